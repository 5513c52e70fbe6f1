"""A graph that follows a folder of news: changed articles replace, withdrawn ones are forgotten, dates."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib import Graph

from helpers import content
from kg.articles import read_article, read_articles
from kg.cli import cli
from kg.store import KGStore

ROOT = Path(__file__).resolve().parent.parent

ACME_BETA = ("Acme buys Beta\n\nFriday, January 4, 2019\n\n"
             "Acme Corp said on Tuesday it bought Beta Inc for $5 million. "
             "John Smith, the chief executive of Acme Corp, said the deal would close in May.\n")
ACME_GAMMA = ("Acme buys Gamma\n\nFriday, January 4, 2019\n\n"
              "Acme Corp said on Tuesday it bought Gamma Ltd for $7 million. "
              "Jane Doe, the chief executive of Acme Corp, said the deal would close in May.\n")
OTHER = ("Beta Inc, a maker of batteries, is based in Paris, John Smith said on Monday.\n")
SAME_FACT = "Acme Corp said on Tuesday it bought Beta Inc, a maker of batteries.\n"


def _graph(out) -> Graph:
    with KGStore.for_reading(out) as store:
        g = Graph()
        for t in content(store.triples()):
            g.add(t)
        return g


def _ask(out, body: str) -> bool:
    with KGStore.for_reading(out) as store:
        return store.sparql(f"ASK {{ {body} }}")[1]


def _build(runner, folder, out, *extra):
    r = runner.invoke(cli, ["build", str(folder), "--out", str(out), "--no-html", *extra])
    assert r.exit_code == 0, r.output
    return r.output


def _folder(tmp_path, name, files: dict[str, str]) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for n, text in files.items():
        (folder / n).write_text(text, encoding="utf-8")
    return folder


ACQUIRED = "?a rdfs:label ?al . ?b rdfs:label ?bl . ?a kg:acquired ?b . FILTER(CONTAINS(?al, 'Acme') && CONTAINS(?bl, '{}'))"


@pytest.mark.model
def test_an_edited_article_replaces_its_old_text_and_the_graph_equals_a_fresh_build(tmp_path, runner):
    news = _folder(tmp_path, "news", {"a.txt": ACME_BETA, "b.txt": OTHER})
    out = tmp_path / "out"
    _build(runner, news, out)
    assert _ask(out, ACQUIRED.format("Beta"))
    assert _ask(out, '?p rdfs:label "John Smith" ; kg:mentionedIn ?x')
    (news / "a.txt").write_text(ACME_GAMMA, encoding="utf-8")
    output = _build(runner, news, out)
    assert "1 built, 1 unchanged" in output and "1 of them replaced" in output
    assert not _ask(out, ACQUIRED.format("Beta")), "the old text's fact is still in the graph"
    assert _ask(out, ACQUIRED.format("Gamma"))
    assert not _ask(out, '?e skos:altLabel|rdfs:label "$5 million"'), "an amount only the old text named is still a node"
    assert _ask(out, '?p rdfs:label "John Smith" ; kg:mentionedIn ?x'), "an entity another article names left with the old text"
    with KGStore.for_reading(out) as store:
        assert store.sparql("SELECT (COUNT(?a) AS ?n) WHERE { ?a a kg:NewsArticle }")[2] == [["2"]]  # one article per source
    fresh = tmp_path / "fresh"
    _build(runner, news, fresh)
    a, b = _graph(out), _graph(fresh)
    if not isomorphic(a, b):
        _, only_a, only_b = graph_diff(to_isomorphic(a), to_isomorphic(b))
        pytest.fail(f"not the fresh build's graph: only after the edit {sorted(only_a)[:5]}, only fresh {sorted(only_b)[:5]}")
    with KGStore.for_reading(out) as store:
        conforms, _, text = validate(store.to_rdflib(), shacl_graph=str(ROOT / "ontology" / "shapes.ttl"))
    assert conforms, text


@pytest.mark.model
def test_an_entity_keeps_its_node_and_takes_the_name_the_remaining_articles_give_it(tmp_path, runner):
    news = _folder(tmp_path, "news", {"a.txt": "Acme Corporation opened an office in Paris.\n",
                                      "b.txt": "ACME CORPORATION hired 20 engineers in Berlin.\n"})
    out = tmp_path / "out"
    _build(runner, news, out)
    (news / "a.txt").write_text("Beta Inc opened an office in Paris.\n", encoding="utf-8")
    _build(runner, news, out)
    fresh = tmp_path / "fresh"
    _build(runner, news, fresh)
    assert isomorphic(_graph(out), _graph(fresh))


@pytest.mark.model
def test_a_fact_two_articles_state_survives_forgetting_one_with_the_others_provenance(tmp_path, runner):
    news = _folder(tmp_path, "news", {"a.txt": ACME_BETA, "c.txt": SAME_FACT})
    out = tmp_path / "out"
    _build(runner, news, out)
    both = "?x rdf:subject ?a ; rdf:predicate kg:acquired ; prov:wasDerivedFrom ?art . ?art kg:source '{}' ."
    assert _ask(out, both.format("a.txt")) and _ask(out, both.format("c.txt"))
    r = runner.invoke(cli, ["forget", "a.txt", "--out", str(out), "--no-html"])
    assert r.exit_code == 0, r.output
    assert "forgot 1 article" in r.output
    assert _ask(out, ACQUIRED.format("Beta"))
    assert _ask(out, both.format("c.txt")) and not _ask(out, both.format("a.txt"))
    assert not _ask(out, "?art kg:source 'a.txt'")
    assert not _ask(out, '?p rdfs:label "John Smith"'), "a person only the forgotten article named is still there"
    assert _ask(out, "?b a kg:Build ; kg:command 'forget' ; kg:articlesForgotten 1")
    r = runner.invoke(cli, ["forget", "c.txt", "--out", str(out), "--no-html"])
    assert r.exit_code == 0, r.output
    assert not _ask(out, ACQUIRED.format("Beta"))
    assert not _ask(out, "?e kg:mentionedIn ?a")


def test_forgetting_a_source_the_graph_does_not_have_changes_nothing(tmp_path, runner):
    out = tmp_path / "out"
    with KGStore.for_writing(out) as store:
        store.add_triples([])
    before = sorted(str(q) for q in KGStore.for_reading(out).ox)
    r = runner.invoke(cli, ["forget", "nope.txt", "--out", str(out)])
    assert r.exit_code == 1 and "nope.txt" in r.output and "Traceback" not in r.output
    assert sorted(str(q) for q in KGStore.for_reading(out).ox) == before
    r = runner.invoke(cli, ["forget", "x.txt", "--out", str(tmp_path / "none")])
    assert r.exit_code == 1 and "no graph found" in r.output


@pytest.mark.model
def test_prune_forgets_the_sources_no_longer_in_the_folder(tmp_path, runner):
    news = _folder(tmp_path, "news", {"a.txt": ACME_BETA, "b.txt": OTHER})
    out = tmp_path / "out"
    _build(runner, news, out)
    (news / "b.txt").unlink()
    output = _build(runner, news, out)  # without --prune, what the folder no longer holds stays
    assert "0 built, 1 unchanged" in output and _ask(out, "?a kg:source 'b.txt'")
    output = _build(runner, news, out, "--prune")
    assert "1 no longer in the folders forgotten" in output
    assert not _ask(out, "?a kg:source 'b.txt'") and _ask(out, "?a kg:source 'a.txt'")
    assert not _ask(out, '?e rdfs:label "Paris"')
    fresh = tmp_path / "fresh"
    _build(runner, news, fresh)
    assert isomorphic(_graph(out), _graph(fresh))


@pytest.mark.model
def test_stdin_with_an_id_is_one_source(tmp_path, runner):
    out = tmp_path / "out"
    for text in (ACME_BETA, ACME_GAMMA):
        r = runner.invoke(cli, ["build", "-", "--id", "wire/acme", "--out", str(out), "--no-html"], input=text)
        assert r.exit_code == 0, r.output
    assert _ask(out, ACQUIRED.format("Gamma")) and not _ask(out, ACQUIRED.format("Beta"))
    assert _ask(out, "?a kg:source 'wire/acme' ; schema:datePublished '2019-01-04'^^xsd:date")


_DIE_IN_APPLY = """
import os, subprocess, sys, time
from kg import store
from kg.cli import cli

apply = store.KGStore.apply

def dying(self, delete, insert):
    # the killer is another process: a thread of this one would wait for the GIL the update may hold
    subprocess.Popen(["/bin/sh", "-c", f"sleep {sys.argv[1]}; kill -9 {os.getpid()}"])
    apply(self, delete, insert)
    time.sleep(5)  # committed: wait for the kill, so that only the transaction decides what the store holds

store.KGStore.apply = dying
cli(sys.argv[2:])
"""


def _nt(out) -> set[str]:
    """The store's triples, its build records aside (a build records itself before it changes anything)."""
    with KGStore.for_reading(out) as store:
        return {f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in content(store.triples())}


@pytest.mark.model
@pytest.mark.parametrize("command", ["forget", "build"])
def test_kill_9_during_forget_or_a_replacing_build_leaves_the_store_as_before_or_as_after(tmp_path, runner, command):
    """Killed while the change is written, the store holds the graph as before or as after it, never a mix."""
    # b.txt writes 'ACME Corp': forgetting the others relabels Acme, so the forget both deletes and inserts
    b = "Beta Inc, a maker of batteries, is based in Paris, said John Smith of ACME Corp on Monday.\n"
    news = _folder(tmp_path, "news", {f"{i:02d}.txt": ACME_BETA.replace("Beta", f"Beta{i}") for i in range(12)} | {"b.txt": b})
    out = tmp_path / "out"
    _build(runner, news, out)
    if command == "build":
        # one replacement, one transaction, long enough (sixty deals) for a kill to land inside it
        deals = " ".join(f"Acme Corp said it bought Gamma{i} Ltd for ${i + 2} million in cash." for i in range(60))
        (news / "00.txt").write_text(ACME_GAMMA + deals + "\n", encoding="utf-8")
        args = ["build", str(news), "--no-html", "-q"]
    else:
        args = ["forget", *[f"{i:02d}.txt" for i in range(12)], "--no-html", "-q"]
    before = _nt(out)
    done = tmp_path / "done"
    shutil.copytree(out, done)
    r = runner.invoke(cli, [*args, "--out", str(done)])
    assert r.exit_code == 0, r.output
    after = _nt(done)
    assert after != before
    if command == "forget":
        assert any('"ACME Corp"' in t and "#label>" in t for t in after - before)
    outcomes = []
    for delay in (0, 0.005, 0.01, 0.02, 0.05, 0.1):
        copy = tmp_path / f"copy{delay}"
        shutil.copytree(out, copy)
        r = subprocess.run([sys.executable, "-c", _DIE_IN_APPLY, str(delay), *args, "--out", str(copy)], capture_output=True, text=True, timeout=300)
        assert r.returncode == -signal.SIGKILL, r.stderr
        now = _nt(copy)
        assert now in (before, after), f"killed after {delay} s, the store is neither as before nor as after ({len(now)} triples)"
        outcomes.append("before" if now == before else "after")
    assert "before" in outcomes, f"no kill landed before the commit: the test tests nothing ({outcomes})"


# ---------------------------------------------------------------------- dates and sources


def test_dates_from_each_kind_of_source(tmp_path):
    html = tmp_path / "page.html"
    html.write_text('<html><head><title>Acme buys Beta</title><link rel="canonical" href="https://news.example.com/acme-beta">'
                    '<meta property="article:published_time" content="2019-03-05T10:00:00Z"></head>'
                    "<body><article><p>Acme Corp said on Tuesday it bought Beta Inc for $5 million in cash.</p></article></body></html>")
    a = read_article(html, source="page.html")
    assert (a.date, a.source, a.headline) == ("2019-03-05", "https://news.example.com/acme-beta", "Acme buys Beta")
    md = tmp_path / "note.md"
    md.write_text("---\ntitle: Acme buys Beta\ndate: 2020-02-29\n---\n# Acme buys Beta\n\nAcme Corp bought Beta Inc.\n")
    a = read_article(md)
    assert a.date == "2020-02-29" and "title:" not in a.text and a.text.lstrip().startswith("Acme buys Beta")
    line = tmp_path / "wire.txt"
    line.write_text("Acme buys Beta\n\nFriday, January 4, 2019\n\nAcme Corp bought Beta Inc.\n")
    assert read_article(line).date == "2019-01-04"
    named = tmp_path / "2018-12-31_acme-buys-beta.txt"
    named.write_text("Acme buys Beta\n\nAcme Corp bought Beta Inc on January 4, 2019.\n")
    assert read_article(named).date == "2018-12-31"
    undated = tmp_path / "undated.txt"
    undated.write_text("Acme buys Beta\n\nAcme Corp said on Tuesday, January 4, 2019, that it bought Beta Inc.\n")
    assert read_article(undated).date is None  # a date inside a sentence is not the article's date
    assert read_article(undated, date="2021-06-01").date == "2021-06-01"  # --date: for what says none
    assert read_article(line, date="2021-06-01").date == "2019-01-04"


def test_a_source_is_the_path_under_the_folder_given(tmp_path):
    news = tmp_path / "news"
    (news / "reuters").mkdir(parents=True)
    (news / "reuters" / "a.txt").write_text("Acme Corp bought Beta Inc.")
    (news / "b.txt").write_text("Acme Corp bought Gamma Inc.")
    assert sorted(a.source for a in read_articles([str(news)])) == ["b.txt", "reuters/a.txt"]
    assert [a.source for a in read_articles([str(news / "reuters")])] == ["a.txt"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "b.txt").write_text("Something else entirely.")
    failed: list[str] = []
    read = list(read_articles([str(news), str(other)], failed=failed))
    assert len(read) == 2 and len(failed) == 1 and "the same source as" in failed[0] and str(other / "b.txt") in failed[0]


@pytest.mark.model
def test_undated_articles_have_no_date_and_dated_ones_have_theirs(tmp_path, runner):
    news = _folder(tmp_path, "news", {"a.txt": ACME_BETA, "b.txt": OTHER})
    out = tmp_path / "out"
    _build(runner, news, out)
    assert _ask(out, "?a kg:source 'a.txt' ; schema:datePublished '2019-01-04'^^xsd:date")
    assert not _ask(out, "?a kg:source 'b.txt' ; schema:datePublished ?d")
    assert _ask(out, "?a kg:source 'a.txt' ; prov:wasGeneratedBy ?b . ?b a kg:Build ; kg:articlesAdded 2 ; prov:endedAtTime ?t ; kg:modelVersion ?m")
    r = runner.invoke(cli, ["build", str(news), "--out", str(out), "--date", "yesterday"])
    assert r.exit_code == 1 and "--date yesterday" in r.output


@pytest.mark.model
def test_kg_watch_keeps_the_graph_in_step_with_the_folder(tmp_path):
    """`kg watch`: built at start, an edited file replaced, a removed one forgotten (--prune), Ctrl-C ends it."""
    import queue
    import threading
    import time

    news = _folder(tmp_path, "news", {"a.txt": ACME_BETA, "b.txt": OTHER})
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", "from kg.cli import cli; cli()", "watch", str(news), "--out", str(out), "--interval", "0.2",
                             "--no-html", "--prune"], stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()

    def wait_for(text: str) -> str:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                assert proc.poll() is None, "kg watch ended"
                continue
            assert "Traceback" not in line, line
            if text in line:
                return line
        pytest.fail(f"kg watch never said {text!r}")

    try:
        wait_for("2 added")
        ttl = (out / "graph.ttl").read_text(encoding="utf-8")
        assert "Beta Inc" in ttl
        time.sleep(0.05)
        (news / "a.txt").write_text(ACME_GAMMA, encoding="utf-8")
        wait_for("1 replaced")
        ttl = (out / "graph.ttl").read_text(encoding="utf-8")
        assert "Gamma Ltd" in ttl and "$5 million" not in ttl and "$7 million" in ttl  # the old text's amount left with it
        (news / "b.txt").unlink()
        wait_for("1 forgotten")
        assert '"Paris"' not in (out / "graph.ttl").read_text(encoding="utf-8")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    assert proc.returncode == 130


def _reads(monkeypatch) -> list[str]:
    """The files kg reads from now on (as read_articles, or the build re-checking a skipped file, reads them)."""
    import kg.articles
    import kg.builder

    seen: list[str] = []
    real = kg.articles.read_article

    def counting(path, *args, **kwargs):
        seen.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(kg.articles, "read_article", counting)
    monkeypatch.setattr(kg.builder, "read_article", counting)
    return seen


def _age(*files: Path, seconds: float = 10) -> None:
    """Files written `seconds` ago (a build trusts no file written in the two seconds before its index)."""
    import os
    import time

    for f in files:
        os.utime(f, ns=(time.time_ns() - int(seconds * 1e9),) * 2)


@pytest.mark.model
def test_files_unchanged_since_they_were_built_are_not_read_again(tmp_path, runner, monkeypatch):
    """OUT/files.sqlite keeps each file's time and size: a build reads only files that changed; a
    touched file is read and skipped by its text; what the graph no longer holds is read again; and
    --read-all reads everything. The graph is the same as when every file is read."""
    import os

    news = _folder(tmp_path, "news", {"a.txt": ACME_BETA, "b.txt": OTHER, "c.txt": SAME_FACT})
    _age(*news.iterdir())
    out = tmp_path / "out"
    _build(runner, news, out)
    assert (out / "files.sqlite").exists()
    reads = _reads(monkeypatch)
    assert "0 built, 3 unchanged" in _build(runner, news, out)
    assert reads == []
    (news / "a.txt").write_text(ACME_GAMMA, encoding="utf-8")
    os.utime(news / "b.txt", ns=(1_000_000_000,) * 2)  # another time, the same text
    _age(news / "a.txt")
    output = _build(runner, news, out)
    assert "1 built, 2 unchanged" in output and "1 of them replaced" in output
    assert sorted(reads) == ["a.txt", "b.txt"]
    assert _ask(out, ACQUIRED.format("Gamma"))
    reads.clear()
    r = runner.invoke(cli, ["forget", "c.txt", "--out", str(out), "-q", "--no-html"])
    assert r.exit_code == 0, r.output
    assert "1 built, 2 unchanged" in _build(runner, news, out)  # the index said unchanged; the graph no longer had it
    assert reads == ["c.txt"] and _ask(out, "?a kg:source 'c.txt'")
    reads.clear()
    assert "0 built, 3 unchanged" in _build(runner, news, out, "--read-all")
    assert sorted(reads) == ["a.txt", "b.txt", "c.txt"]
    fresh = tmp_path / "fresh"
    _build(runner, news, fresh)
    assert isomorphic(_graph(out), _graph(fresh))


@pytest.mark.model
def test_a_file_written_just_before_the_index_is_read_again(tmp_path, runner, monkeypatch):
    """A change within a clock tick can keep a file's time and size: a file written in the two seconds
    before the last build's index is not trusted to be unchanged."""
    news = _folder(tmp_path, "news", {"a.txt": ACME_BETA})
    out = tmp_path / "out"
    _build(runner, news, out)  # a.txt was written just now
    reads = _reads(monkeypatch)
    _build(runner, news, out)
    assert reads == ["a.txt"]
    (out / "files.sqlite").write_bytes(b"not a database")  # a damaged index is no index
    _age(news / "a.txt")
    reads.clear()
    assert "0 built, 1 unchanged" in _build(runner, news, out)
    assert reads == ["a.txt"]
