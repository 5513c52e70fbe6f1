"""kg against a real SPARQL 1.1 server: Oxigraph's own server binary on a free loopback port."""

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from kg.cli import cli

OXIGRAPH = shutil.which("oxigraph")
pytestmark = [pytest.mark.server, pytest.mark.skipif(OXIGRAPH is None, reason="oxigraph server binary not installed")]
SEED = Path(__file__).resolve().parent.parent / "data" / "articles"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [OXIGRAPH, "serve", "--location", str(tmp_path / "db"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/query?query=ASK%7B%7D", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.model
def test_build_query_export_render_against_server(server, runner, tmp_path):
    r = runner.invoke(cli, ["build", str(SEED), "--store", server])
    assert r.exit_code == 0, r.output
    assert "1 built" in r.output
    r = runner.invoke(cli, ["query", "SELECT ?p ?o WHERE { ?p kg:worksFor ?o }", "--store", server, "-f", "json"])
    assert r.exit_code == 0, r.output
    assert {"p": "https://w3id.org/kg-news/id/person/irene-gao", "o": "https://w3id.org/kg-news/id/organization/bitmain"} in json.loads(r.output)
    # building the same article again is skipped by its hash: nothing is duplicated
    r = runner.invoke(cli, ["build", str(SEED), "--store", server])
    assert "0 built, 1 unchanged" in r.output
    out = tmp_path / "g.nt"
    assert runner.invoke(cli, ["export", "--store", server, "--format", "nt", "-o", str(out)]).exit_code == 0
    assert "irene-gao" in out.read_text(encoding="utf-8")
    page = tmp_path / "g.html"
    assert runner.invoke(cli, ["render", "--store", server, "-o", str(page)]).exit_code == 0
    assert "Irene Gao" in page.read_text(encoding="utf-8")


def test_explicit_endpoints_and_unreachable_server(server, runner):
    r = runner.invoke(cli, ["query", "ASK { ?s ?p ?o }", "--store", "http://ignored", "--query-endpoint", f"{server}/query", "--update-endpoint", f"{server}/update"])
    assert r.exit_code == 0 and r.output.strip() == "no"
    r = runner.invoke(cli, ["query", "ASK { ?s ?p ?o }", "--store", "http://127.0.0.1:9"])
    assert r.exit_code != 0 and r.output.startswith("kg: error:") and "Traceback" not in r.output


@pytest.mark.model
def test_kg_serve_over_a_sparql_server(server, runner):
    """The web app answers its pages and /sparql from the server, as from a local store."""
    import re
    import sys
    import urllib.error
    import urllib.parse

    assert runner.invoke(cli, ["build", str(SEED), "--store", server]).exit_code == 0
    proc = subprocess.Popen([sys.executable, "-c", "from kg.cli import cli; cli()", "serve", "--store", server, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = re.search(r"(http://127\.0\.0\.1:\d+)/", proc.stdout.readline()).group(1)
        hits = []
        for _ in range(100):
            try:
                hits = json.loads(urllib.request.urlopen(base + "/api/search?q=irene", timeout=10).read())
                break
            except OSError:
                time.sleep(0.1)
        assert hits and hits[0]["path"] == "person/irene-gao"
        page = urllib.request.urlopen(base + "/entity/person/irene-gao", timeout=10).read().decode()
        assert "works for" in page and "Bitmain" in page
        q = urllib.parse.quote("SELECT ?o WHERE { ?p kg:worksFor ?o }")
        body = json.loads(urllib.request.urlopen(base + "/sparql?query=" + q, timeout=10).read())
        assert any(b["o"]["value"].endswith("organization/bitmain") for b in body["results"]["bindings"])
        req = urllib.request.Request(base + "/sparql", data=b"query=" + urllib.parse.quote("INSERT DATA { <urn:a> <urn:b> <urn:c> }").encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        assert e.value.code == 400
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.model
def test_kg_serve_forwards_sparql_to_the_query_endpoint_given(server, runner):
    """--query-endpoint X: the pages and /sparql both ask X (the store URL itself answers nothing here)."""
    import urllib.parse

    from helpers import start_serve

    assert runner.invoke(cli, ["build", str(SEED), "--store", server]).exit_code == 0
    dead = f"http://127.0.0.1:{_free_port()}/nothing"
    proc, base, _ = start_serve("--store", dead, "--query-endpoint", f"{server}/query", "--update-endpoint", f"{server}/update")
    try:
        q = urllib.parse.quote("SELECT ?o WHERE { ?p kg:worksFor ?o }")
        body = json.loads(urllib.request.urlopen(base + "/sparql?query=" + q, timeout=10).read())
        assert any(b["o"]["value"].endswith("organization/bitmain") for b in body["results"]["bindings"])
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.model
def test_an_edited_article_replaces_and_forget_withdraws_on_a_server(server, runner, tmp_path):
    news = tmp_path / "news"
    news.mkdir()
    (news / "a.txt").write_text("Acme Corp acquired Beta Inc for $5 million, John Smith said.\n", encoding="utf-8")
    (news / "b.txt").write_text("Beta Inc is based in Paris, John Smith said.\n", encoding="utf-8")
    assert runner.invoke(cli, ["build", str(news), "--store", server]).exit_code == 0

    def ask(body: str) -> bool:
        r = runner.invoke(cli, ["query", f"ASK {{ {body} }}", "--store", server])
        assert r.exit_code == 0, r.output
        return r.output.strip() == "yes"

    beta = "?a kg:acquired ?b . ?b rdfs:label 'Beta Inc'"
    assert ask(beta)
    (news / "a.txt").write_text("Acme Corp acquired Gamma Ltd for $7 million, John Smith said.\n", encoding="utf-8")
    r = runner.invoke(cli, ["build", str(news), "--store", server])
    assert r.exit_code == 0 and "1 of them replaced" in r.output, r.output
    assert not ask(beta) and ask("?a kg:acquired ?b . ?b rdfs:label 'Gamma Ltd'")
    r = runner.invoke(cli, ["forget", "b.txt", "--store", server])
    assert r.exit_code == 0, r.output
    assert not ask("?a kg:source 'b.txt'") and not ask("?e rdfs:label 'Paris'") and ask("?e rdfs:label 'John Smith'")
