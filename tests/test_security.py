"""The attacks of issue 18, as they were tried: federated SERVICE queries, a foreign Host header
(DNS rebinding) and cross-site requests against `kg serve`, and SERVICE through `kg query`.

A local HTTP listener stands in for a service on the user's network: every test that sends a
SERVICE query checks that the listener received nothing.
"""

import http.server
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.query import uses_service
from helpers import start_serve

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
KG_BIN = [sys.executable, "-c", "from kg.cli import cli; cli()"]
TTL = """@prefix kg: <https://w3id.org/kg-news/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/kg-news/id/person/ada> a kg:Person ; rdfs:label "Ada" ;
    kg:worksFor <https://w3id.org/kg-news/id/organization/acme> .
<https://w3id.org/kg-news/id/organization/acme> a kg:Company ; rdfs:label "Acme Service Corp" .
"""


@pytest.fixture(scope="module")
def listener():
    """A local HTTP server that records every request it gets and answers a secret."""
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self):
            seen.append((self.command, self.path))
            body = b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "literal", "value": "SECRET"}}]}}'
            if self.path.startswith("/attack.html"):
                body = ATTACK_PAGE.replace("@TARGET@", self.server.target).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
            else:
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.target = ""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{server.server_address[1]}", "port": server.server_address[1], "seen": seen, "server": server}
    server.shutdown()


ATTACK_PAGE = """<!doctype html><html><body>
<form id="f" method="POST" action="@TARGET@/sparql"><input name="query" value="SELECT * WHERE { ?s ?p ?o }"></form>
<script>document.getElementById('f').submit()</script></body></html>"""


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    path = tmp_path_factory.mktemp("sec") / "graph.ttl"
    path.write_text(TTL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def served(graph):
    proc, base, port = start_serve("--graph", graph, "--timeout", "5")
    yield {"base": base, "port": port}
    proc.terminate()
    proc.wait(10)


def _request(url: str, data: bytes | None = None, **headers) -> tuple[int, str]:
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8")


def _service_query(listener) -> str:
    return f"SELECT * WHERE {{ SERVICE <{listener['url']}/json> {{ ?s ?p ?o }} }}"


# ---------------------------------------------------------------------------- SERVICE, the scanner
@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }",
    "select * where { service silent <http://x/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?a ?b ?c .SERVICE<http://x/>{ ?s ?p ?o } }",
    "SELECT * WHERE { # a comment\n SeRvIcE ?g { ?s ?p ?o } }",
    "SELECT * WHERE { \\u0053ERVICE <http://x/> { ?s ?p ?o } }",
    "SELECT * WHERE { BIND(\"x\" AS ?y) SERVICE <http://x/> { ?s ?p ?o } }",
])
def test_service_is_seen_however_it_is_written(query):
    assert uses_service(query)


@pytest.mark.parametrize("query", [
    'SELECT * WHERE { ?s rdfs:label ?l FILTER(CONTAINS(?l, "Forest Service")) }',
    "SELECT * WHERE { ?s rdfs:label 'service' }",
    'SELECT * WHERE { ?s rdfs:label """a\nSERVICE <http://x/> { }""" }',
    "SELECT ?service WHERE { ?service a <http://example.org/SERVICE> }",
    "PREFIX service: <http://example.org/>\nSELECT * WHERE { ?s service:x ex:service }",
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/> in a comment",
])
def test_service_as_data_or_name_is_no_service(query):
    assert not uses_service(query)


# ---------------------------------------------------------------------------- SERVICE through kg query
def test_kg_query_refuses_service_and_sends_nothing(graph, listener):
    before = len(listener["seen"])
    result = CliRunner().invoke(cli, ["query", _service_query(listener), "--graph", str(graph)])
    assert result.exit_code == 1
    assert "SERVICE" in result.output and "--allow-service" in result.output
    assert len(listener["seen"]) == before


def test_kg_query_allow_service_does_federate(graph, listener):
    """The refusal above is kg's: with --allow-service the engine does call the listener."""
    before = len(listener["seen"])
    result = CliRunner().invoke(cli, ["query", _service_query(listener), "--graph", str(graph), "--allow-service", "-f", "csv"])
    assert len(listener["seen"]) > before, result.output


def test_kg_query_still_answers_a_query_that_mentions_service_as_data(graph):
    q = 'SELECT ?l WHERE { ?o rdfs:label ?l FILTER(CONTAINS(?l, "Service")) }'
    result = CliRunner().invoke(cli, ["query", q, "--graph", str(graph), "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert "Acme Service Corp" in result.output


# ---------------------------------------------------------------------------- kg serve
def test_serve_refuses_service_and_sends_nothing(served, listener):
    before = len(listener["seen"])
    url = served["base"] + "/sparql?" + urllib.parse.urlencode({"query": _service_query(listener)})
    status, body = _request(url)
    assert status == 400 and "SERVICE" in body and "SECRET" not in body
    data = urllib.parse.urlencode({"query": _service_query(listener)}).encode()
    status, body = _request(served["base"] + "/sparql", data=data, **{"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and "SECRET" not in body
    assert len(listener["seen"]) == before


def test_serve_refuses_a_foreign_host_header(served):
    for host in ("evil.example", f"evil.example:{served['port']}", "127.0.0.1.evil.example"):
        status, body = _request(served["base"] + "/", Host=host)
        assert status == 421, host
        assert "Ada" not in body
    status, _ = _request(served["base"] + "/sparql?query=" + urllib.parse.quote("ASK { ?s ?p ?o }"), Host="evil.example")
    assert status == 421
    for host in (f"127.0.0.1:{served['port']}", f"localhost:{served['port']}"):
        status, _ = _request(served["base"] + "/", Host=host)
        assert status == 200, host


def test_serve_refuses_cross_site_requests_from_browsers(served):
    data = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}).encode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _ = _request(served["base"] + "/sparql", data=data, Origin="http://evil.example", **form)
    assert status == 403
    status, _ = _request(served["base"] + "/sparql", data=data, **{"Sec-Fetch-Site": "cross-site"}, **form)
    assert status == 403
    status, _ = _request(served["base"] + "/sparql", data=data, **{"Sec-Fetch-Site": "same-site"}, **form)
    assert status == 403  # another port on localhost is the same site, not the same origin
    status, _ = _request(served["base"] + "/api/search?q=ada", **{"Sec-Fetch-Site": "cross-site"})
    assert status == 403
    # This server's own pages, and clients that are no browser, are answered.
    status, body = _request(served["base"] + "/sparql", data=data, Origin=served["base"], **{"Sec-Fetch-Site": "same-origin"}, **form)
    assert status == 200 and "true" in body
    status, _ = _request(served["base"] + "/sparql", data=data, **form)
    assert status == 200
    # A link followed from another site still opens an ordinary page.
    status, _ = _request(served["base"] + "/", **{"Sec-Fetch-Site": "cross-site"})
    assert status == 200


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (.ci/run installs it)")
def test_a_cross_site_form_post_in_chromium_gets_nothing(served, listener):
    """A page on another origin auto-submits a form to /sparql: the browser gets a refusal, not data."""
    from playwright.sync_api import sync_playwright

    listener["server"].target = served["base"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                                                    "--disable-component-update", "--no-first-run"])
        try:
            page = browser.new_page()
            answers = []
            page.on("response", lambda r: answers.append((r.url, r.status)) if "/sparql" in r.url else None)
            page.goto(f"http://localhost:{listener['port']}/attack.html")
            page.wait_for_url(served["base"] + "/sparql", timeout=10000)
            page.wait_for_load_state()
            assert answers and answers[-1][1] == 403, answers
            assert "cross-site request refused" in page.content()
        finally:
            browser.close()


def test_serve_warns_when_open_to_the_network(graph):
    proc = subprocess.Popen(KG_BIN + ["serve", "--graph", str(graph), "--host", "0.0.0.0", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        warning = proc.stderr.readline()
        assert "warning" in warning and "0.0.0.0" in warning and "network" in warning
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_on_loopback_prints_no_warning(graph):
    proc = subprocess.Popen(KG_BIN + ["serve", "--graph", str(graph), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "127.0.0.1" in proc.stdout.readline()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "warning" not in err


# ---------------------------------------------------------------------------- limits
def _doubling_query(levels: int = 28) -> str:
    binds = " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(levels))
    return f'SELECT (STRLEN(?v{levels}) AS ?n) WHERE {{ BIND("abcdefgh" AS ?v0) {binds} }}'


def test_a_query_that_grows_without_bound_is_stopped_and_the_server_keeps_answering(served):
    url = served["base"] + "/sparql?" + urllib.parse.urlencode({"query": _doubling_query()})
    status, body = _request(url)
    assert status == 503 and ("memory" in body or "longer than" in body), body
    status, body = _request(served["base"] + "/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}))
    assert status == 200 and "true" in body


def test_a_200_mb_post_is_refused_and_the_server_keeps_answering(served):
    import httpx

    def body():
        chunk = b"query=" + b"x" * (1024 * 1024 - 6)
        yield chunk
        for _ in range(199):
            yield b"x" * (1024 * 1024)

    try:
        r = httpx.post(served["base"] + "/sparql", content=body(), timeout=60,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413
    except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
        pass  # the server answered 413 and closed the connection while the client was still sending
    # the same with a Content-Length that says so up front
    r = httpx.post(served["base"] + "/sparql", content=b"query=" + b"x" * (2 * 1024 * 1024),
                   headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=60)
    assert r.status_code == 413 and "larger than" in r.text
    status, body = _request(served["base"] + "/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}))
    assert status == 200 and "true" in body


def test_brackets_nested_too_deep_are_refused_before_the_parser(served, graph):
    deep = "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }"
    status, body = _request(served["base"] + "/sparql", data=urllib.parse.urlencode({"query": deep}).encode(),
                            **{"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and "nests" in body
    r = subprocess.run(KG_BIN + ["query", deep, "--graph", str(graph)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "nests brackets" in r.stderr and "Traceback" not in r.stderr


def test_a_result_past_the_limit_is_refused_by_the_worker():
    import pyoxigraph as ox

    from kg.web.engine import _run_local

    store = ox.Store()
    for i in range(200):
        store.add(ox.Quad(ox.NamedNode(f"http://x/{i}"), ox.NamedNode("http://x/p"), ox.Literal("v" * 100), ox.DefaultGraph()))
    status, body, _ = _run_local(store, "SELECT * WHERE { ?s ?p ?o }", None, None, limit=10_000)
    assert status == "too-large" and b"LIMIT" in body
    status, body, _ = _run_local(store, "SELECT * WHERE { ?s ?p ?o } LIMIT 5", None, None, limit=10_000)
    assert status == "ok"
