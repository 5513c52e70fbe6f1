"""Bad input gets one line on stderr and a non-zero exit, never a traceback, and outputs stay intact."""

import pytest

from kg.cli import cli


def _run(runner, args):
    r = runner.invoke(cli, args)
    return r


def _one_line_error(r):
    assert r.exit_code != 0
    assert "Traceback" not in r.output
    lines = [l for l in r.output.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("kg: error:"), r.output


def test_missing_path(runner, tmp_path):
    _one_line_error(_run(runner, ["build", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "o")]))


def test_empty_file(runner, tmp_path):
    f = tmp_path / "empty.txt"
    f.write_text("   \n")
    _one_line_error(_run(runner, ["build", str(f), "--out", str(tmp_path / "o")]))


@pytest.mark.parametrize("data", [b"%PDF-1.7\n...", b"\x89PNG\r\n\x1a\n....", b"abc\x00\x00def"])
def test_binary_file(runner, tmp_path, data):
    f = tmp_path / "bad.txt"
    f.write_bytes(data)
    _one_line_error(_run(runner, ["build", str(f), "--out", str(tmp_path / "o")]))


def test_unsupported_extension(runner, tmp_path):
    f = tmp_path / "a.docx"
    f.write_text("hello")
    _one_line_error(_run(runner, ["build", str(f), "--out", str(tmp_path / "o")]))


def test_folder_without_articles(runner, tmp_path):
    (tmp_path / "x.csv").write_text("a,b")
    _one_line_error(_run(runner, ["build", str(tmp_path), "--out", str(tmp_path / "o")]))


def test_out_is_a_file(runner, tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("Google opened an office in Paris.")
    out = tmp_path / "file"
    out.write_text("keep me")
    _one_line_error(_run(runner, ["build", str(f), "--out", str(out)]))
    assert out.read_text() == "keep me"


def test_missing_graph(runner, tmp_path):
    _one_line_error(_run(runner, ["query", "SELECT * WHERE { ?s ?p ?o }", "--graph", str(tmp_path / "none")]))


@pytest.mark.model
def test_bad_sparql_says_where(runner, seed_out):
    r = _run(runner, ["query", "SELECT ?s WHERE { ?s ?p }", "--graph", str(seed_out)])
    _one_line_error(r)
    assert "syntax" in r.output.lower()


@pytest.mark.model
def test_a_long_one_line_query_is_query_text_not_a_file_name(runner, seed_out):
    long_query = "SELECT ?s WHERE { ?s ?p ?o " + " ".join(f"OPTIONAL {{ ?s rdfs:label ?l{i} }}" for i in range(20)) + " } LIMIT 1"
    assert len(long_query) > 300  # longer than a file name may be
    r = _run(runner, ["query", long_query, "--graph", str(seed_out), "--format", "csv"])
    assert r.exit_code == 0, r.output


@pytest.mark.model
def test_update_is_refused_without_flag(runner, seed_out):
    r = _run(runner, ["query", "INSERT DATA { <http://a> <http://b> <http://c> }", "--graph", str(seed_out)])
    _one_line_error(r)
    assert "read-only" in r.output


@pytest.mark.model
def test_unknown_export_format_writes_nothing(runner, seed_out, tmp_path):
    target = tmp_path / "x.out"
    _one_line_error(_run(runner, ["export", "--graph", str(seed_out), "--format", "yaml", "-o", str(target)]))
    assert not target.exists()


@pytest.mark.model
def test_unwritable_output(runner, seed_out, tmp_path):
    _one_line_error(_run(runner, ["export", "--graph", str(seed_out), "-o", str(tmp_path / "no" / "such" / "dir" / "g.ttl")]))


def test_latin1_file_is_read(tmp_path):
    from kg.articles import read_article

    f = tmp_path / "l1.txt"
    f.write_bytes("Société Générale opened an office in Zürich.".encode("cp1252"))
    assert "Société Générale" in read_article(f).text


def test_html_main_text_drops_scripts_and_navigation(tmp_path):
    from kg.articles import read_article

    f = tmp_path / "a.html"
    f.write_text(
        "<html><head><script>alert('x')</script><style>p{}</style></head><body><nav>Home | About</nav>"
        "<article><p>" + "Google opened a new office in Paris on Monday, the company said. " * 5 + "</p></article>"
        "<footer>Copyright</footer></body></html>",
        encoding="utf-8",
    )
    text = read_article(f).text
    assert "Google opened a new office in Paris" in text
    assert "alert" not in text and "p{}" not in text


def test_serve_without_a_graph_or_on_a_busy_port(runner, tmp_path, seed_out):
    import socket

    _one_line_error(_run(runner, ["serve", "--graph", str(tmp_path / "nothing")]))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = _run(runner, ["serve", "--graph", str(seed_out), "--port", str(port)])
    _one_line_error(r)
    assert "cannot listen" in r.output


def test_build_with_an_unreachable_dask_scheduler(runner, tmp_path):
    art = tmp_path / "a.txt"
    art.write_text("Acme hired Jane Doe in Denver.", encoding="utf-8")
    r = _run(runner, ["build", str(art), "--out", str(tmp_path / "o"), "--dask", "tcp://127.0.0.1:1", "-q"])
    _one_line_error(r)
    assert "Dask scheduler" in r.output
