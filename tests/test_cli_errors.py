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


@pytest.mark.model
def test_one_bad_file_does_not_stop_the_build_and_each_is_named(runner, tmp_path):
    arts = tmp_path / "arts"
    (arts / "sub").mkdir(parents=True)
    (arts / "good.txt").write_text("Acme Corp. hired Jane Doe as chief engineer in Denver.", encoding="utf-8")
    (arts / "sub" / "also_good.txt").write_text("Globex Inc. opened an office in Ohio.", encoding="utf-8")
    (arts / "empty.txt").write_text("  \n")
    (arts / "fake.txt").write_bytes(b"%PDF-1.7\n...")
    (arts / "report.pdf").write_bytes(b"%PDF-1.7\n...")
    out = tmp_path / "out"
    r = runner.invoke(cli, ["build", str(arts), "--out", str(out), "--no-html"])
    assert r.exit_code == 1
    assert "Traceback" not in r.output
    assert "2 built" in r.output and "2 could not be read" in r.output
    errors = [l for l in r.output.splitlines() if l.startswith("kg: error:")]
    assert len(errors) == 2 and any("empty.txt" in l for l in errors) and any("fake.txt" in l and "PDF" in l for l in errors)
    assert "report.pdf: not an article" in r.output  # left alone, and said so
    q = runner.invoke(cli, ["query", "SELECT ?f WHERE { ?a kg:fileName ?f }", "-g", str(out), "-f", "csv"])
    assert "good.txt" in q.output and "also_good.txt" in q.output


@pytest.mark.model
def test_a_link_out_of_the_folder_is_not_read(runner, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("Top Secret Corp. pays Mallory Keys in Zurich.", encoding="utf-8")
    arts = tmp_path / "arts"
    arts.mkdir()
    (arts / "good.txt").write_text("Acme Corp. hired Jane Doe as chief engineer in Denver.", encoding="utf-8")
    (arts / "inside.txt").symlink_to(arts / "good.txt")  # a link inside the folder is fine
    (arts / "passwd.txt").symlink_to(secret)
    out = tmp_path / "out"
    r = runner.invoke(cli, ["build", str(arts), "--out", str(out), "--no-html"])
    assert r.exit_code == 0, r.output
    assert "passwd.txt: a link to a file outside the folder" in r.output
    q = runner.invoke(cli, ["query", "ASK { ?a schema:articleBody ?b FILTER(CONTAINS(?b, 'Mallory')) }", "-g", str(out)])
    assert q.output.strip() == "no"


def test_a_folder_that_cannot_be_read_is_named(tmp_path, monkeypatch):
    import os

    from kg import articles

    (tmp_path / "a.txt").write_text("x")

    def walk(top, onerror=None, **kw):
        onerror(PermissionError(13, "Permission denied", str(tmp_path / "locked")))
        yield str(tmp_path), [], ["a.txt"]

    monkeypatch.setattr(os, "walk", walk)
    skipped = []
    assert articles.find_files([str(tmp_path)], skipped) == [tmp_path / "a.txt"]
    assert skipped == [(str(tmp_path / "locked"), "cannot read the folder (Permission denied)")]


def test_utf16_without_a_byte_order_mark_is_read(tmp_path):
    from kg.articles import read_article

    for enc in ("utf-16-le", "utf-16-be"):
        f = tmp_path / f"{enc}.txt"
        f.write_bytes("Acme Corp. hired Jane Doe in Zürich.".encode(enc))
        assert read_article(f).text == "Acme Corp. hired Jane Doe in Zürich."


def test_a_file_that_cannot_be_read_says_read_not_write(tmp_path, monkeypatch):
    import builtins

    from kg.articles import read_article
    from kg.errors import KGError

    f = tmp_path / "locked.txt"
    f.write_text("Acme Corp.")
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda p, *a, **k: (_ for _ in ()).throw(PermissionError(13, "Permission denied")) if str(p) == str(f) else real_open(p, *a, **k))
    with pytest.raises(KGError, match=r"locked.txt: cannot read the file \(Permission denied\)"):
        read_article(f)


def test_outputs_get_the_users_umask_not_0600(runner, tmp_path):
    import os

    ttl = tmp_path / "g.ttl"
    ttl.write_text('<https://w3id.org/kg-news/id/person/a> a <https://w3id.org/kg-news/ontology#Person> ; '
                   '<http://www.w3.org/2000/01/rdf-schema#label> "Ann" .\n', encoding="utf-8")
    old = os.umask(0o022)
    try:
        r = runner.invoke(cli, ["render", "-g", str(ttl), "-o", str(tmp_path / "g.html")])
        assert r.exit_code == 0, r.output
        r = runner.invoke(cli, ["export", "-g", str(ttl), "-f", "nt", "-o", str(tmp_path / "g.nt")])
        assert r.exit_code == 0, r.output
    finally:
        os.umask(old)
    assert (tmp_path / "g.html").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "g.nt").stat().st_mode & 0o777 == 0o644


def test_a_sparql_syntax_error_is_one_short_line(runner, tmp_path):
    ttl = tmp_path / "g.ttl"
    ttl.write_text("<https://w3id.org/kg-news/id/person/a> <http://www.w3.org/2000/01/rdf-schema#label> \"Ann\" .\n", encoding="utf-8")
    r = runner.invoke(cli, ["query", "SELECT * WHERE { ?s ?p ", "-g", str(ttl)])
    _one_line_error(r)
    assert "1:24" in r.output and "\\u{" not in r.output and len(r.output) < 220


def test_an_engine_error_under_timeout_is_one_line(tmp_path):
    """The engine fails while the results are read in the timeout's thread: one line, no
    'RuntimeError ... unsendable' from the engine's iterator dropped on the wrong thread."""
    import subprocess
    import sys

    ttl = tmp_path / "g.ttl"
    ttl.write_text("<https://w3id.org/kg-news/id/person/a> <http://www.w3.org/2000/01/rdf-schema#label> \"Ann\" .\n", encoding="utf-8")
    # Oxigraph refuses port 9 itself: the engine errors without any request being sent
    q = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }"
    r = subprocess.run([sys.executable, "-c", "from kg.cli import cli; cli()", "query", q, "-g", str(ttl), "--timeout", "5", "--allow-service"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0 and r.stderr.startswith("kg: error: [E034] the query failed"), r.stderr


def test_a_missing_graph_is_named_as_the_graph_option_was_given(runner, tmp_path):
    r = runner.invoke(cli, ["export", "--graph", str(tmp_path / "none")])
    _one_line_error(r)
    assert "--graph takes the output folder of a build" in r.output


def test_a_closed_pipe_ends_quietly(tmp_path):
    import subprocess
    import sys

    lines = "".join(f'<https://w3id.org/kg-news/id/person/p{i}> <http://www.w3.org/2000/01/rdf-schema#label> "P {i}" .\n' for i in range(20000))
    (tmp_path / "g.nt").write_text(lines, encoding="utf-8")
    p = subprocess.Popen([sys.executable, "-c", "from kg.cli import cli; cli()", "export", "-g", str(tmp_path / "g.nt"), "-f", "nt"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.readline()
    p.stdout.close()  # as `| head -1` does
    err = p.stderr.read().decode()
    p.wait(60)
    assert "Broken" not in err and "Traceback" not in err and "error" not in err


def test_render_writes_next_to_the_graph_and_lists_the_classes_it_knows(runner, tmp_path, monkeypatch):
    ttl = tmp_path / "g.ttl"
    ttl.write_text('<https://w3id.org/kg-news/id/person/a> a <https://w3id.org/kg-news/ontology#Person> ; '
                   '<http://www.w3.org/2000/01/rdf-schema#label> "Ann" .\n', encoding="utf-8")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    r = runner.invoke(cli, ["render", "-g", str(ttl)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "g.html").exists() and not (elsewhere / "graph.html").exists()
    r = runner.invoke(cli, ["render", "-g", str(ttl), "--classes", "Persons"])
    _one_line_error(r)
    assert "unknown class Persons" in r.output and "Person" in r.output and "Assertion" not in r.output


def test_progress_lines_where_no_bar_can_be_drawn(capsys):
    from kg.articles import Article
    from kg.cli import ProgressLines

    quiet = ProgressLines(3, every=3600)
    quiet(Article.from_text("one two three", "a.txt"))
    quiet.done()
    assert capsys.readouterr().err == ""  # a short build prints no progress line
    lines = ProgressLines(3, every=0)
    for name in ("a.txt", "b.txt"):
        lines(Article.from_text("one two three", name))
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[-1].startswith("kg: building: 2 built of 3 files (")


def test_a_command_whose_extra_is_not_installed_says_which_to_install(runner, monkeypatch, tmp_path):
    import sys

    from kg.cli import cli

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if kg-news[web] were not installed
    r = runner.invoke(cli, ["serve", "--graph", str(tmp_path)])
    assert r.exit_code == 1 and "[E015] kg serve needs the 'web' extra: pip install 'kg-news[web]'" in r.output
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None if name == "sklearn" else object())
    r = runner.invoke(cli, ["train", "--train", str(tmp_path / "x.jsonl")])
    assert r.exit_code == 1 and "'train' extra" in r.output
