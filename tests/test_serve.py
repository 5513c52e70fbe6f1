"""`kg serve` against a live server: Debian's Chromium through Playwright, and standard SPARQL clients.

The graph is the bundled article plus a hostile one (a headline with a <script>, an entity whose name
is markup and quotes), built through the CLI; the server runs as its own process, as a user starts it.
"""

import json
import re
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import cli
from helpers import start_serve

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
KG_BIN = [sys.executable, "-c", "from kg.cli import cli; cli()"]
HOSTILE_LABEL = """<img src=x onerror="window.kgPwned=1">Jo "Quotes" O'Brien</script>"""
HOSTILE_TEXT = """<script>window.kgPwned=1</script> Acme Robotics hires "a <b>bold</b>" engineer

Acme Robotics, a company based in Denver, hired Maria Lopez as chief engineer on Monday.
Lopez said the company would open a plant in Ohio.
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A built graph with a hostile article and entity, and a live `kg serve` on a free port."""
    tmp = tmp_path_factory.mktemp("serve")
    arts = tmp / "articles"
    arts.mkdir()
    shutil.copy(ROOT / "data" / "articles" / "bitmain_us_factory.txt", arts)
    (arts / "hostile \"<b>name.txt").write_text(HOSTILE_TEXT, encoding="utf-8")
    out = tmp / "out"
    result = CliRunner().invoke(cli, ["build", str(arts), "--out", str(out), "--no-html", "-q"])
    assert result.exit_code == 0, result.output
    # An entity whose label is markup, named in the hostile article, with one fact.
    ident = _article_ids(out)["hostile"]
    update = f"""
      INSERT DATA {{
        <https://w3id.org/kg-news/id/person/hostile> a kg:Person ; rdfs:label {json.dumps(HOSTILE_LABEL)} ; skos:altLabel "O'Brien" ;
          kg:mentionedIn <https://w3id.org/kg-news/id/article/{ident}> ; kg:worksFor <https://w3id.org/kg-news/id/organization/acme-robotics> .
        <https://w3id.org/kg-news/id/mentions/hostile> a kg:Mentions ; kg:entity <https://w3id.org/kg-news/id/person/hostile> ; prov:wasDerivedFrom <https://w3id.org/kg-news/id/article/{ident}> ; kg:offsets "0-8" .
        <https://w3id.org/kg-news/id/assertion/hostile> a kg:Assertion ; rdf:subject <https://w3id.org/kg-news/id/person/hostile> ; rdf:predicate kg:worksFor ;
          rdf:object <https://w3id.org/kg-news/id/organization/acme-robotics> ; prov:wasDerivedFrom <https://w3id.org/kg-news/id/article/{ident}> ;
          kg:sentence {json.dumps('He said "<script>window.kgPwned=1</script>" twice.')} ; kg:startChar 0 ; kg:endChar 10 ;
          kg:pattern "test" ; kg:confidence 0.9 ; kg:status "asserted" .
      }}"""
    result = CliRunner().invoke(cli, ["query", update, "--graph", str(out), "--update"])
    assert result.exit_code == 0, result.output
    proc, base, _ = start_serve("--graph", out, "--timeout", "3")
    yield {"base": base, "out": out, "ids": _article_ids(out)}
    proc.terminate()
    proc.wait(10)


def _article_ids(out: Path) -> dict[str, str]:
    result = CliRunner().invoke(cli, ["query", "SELECT ?a ?f WHERE { ?a kg:fileName ?f }", "--graph", str(out), "-f", "json"])
    rows = json.loads(result.output)
    return {("hostile" if "hostile" in r["f"] else "seed"): r["a"].rsplit("/", 1)[-1] for r in rows}


def _get(url: str, **headers) -> tuple[int, str, dict]:
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode("utf-8"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8"), dict(e.headers)


# ---------------------------------------------------------------------------- HTTP, no browser
def test_serve_binds_to_localhost_and_prints_the_address(served):
    assert served["base"].startswith("http://127.0.0.1:")


def test_unknown_entity_and_article_are_404_pages(served):
    for path in ("/entity/person/nobody-at-all", "/article/0123456789abcdef", "/article/not-an-id", "/entity/../../etc/passwd"):
        status, body, _ = _get(served["base"] + path)
        assert status == 404, path
        assert "Not found" in body and "Traceback" not in body


def test_every_page_sends_a_policy_that_loads_nothing_from_elsewhere(served):
    _, _, headers = _get(served["base"] + "/")
    csp = {k.lower(): v for k, v in headers.items()}["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp


def test_sparql_endpoint_answers_rdflib_sparqlstore(served):
    from rdflib import Graph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    g = Graph(store=SPARQLStore(served["base"] + "/sparql", returnFormat="json"))
    rows = list(g.query("PREFIX kg: <https://w3id.org/kg-news/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
                        "SELECT ?p WHERE { ?p kg:worksFor ?o . ?o rdfs:label \"Bitmain\" }"))
    assert len(rows) >= 1
    xml = Graph(store=SPARQLStore(served["base"] + "/sparql", returnFormat="xml"))
    assert list(xml.query("ASK { ?s ?p ?o }"))[0] is True


def test_sparql_endpoint_refuses_update_and_reports_bad_queries(served):
    from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

    store = SPARQLUpdateStore(served["base"] + "/sparql", served["base"] + "/sparql")
    with pytest.raises(Exception) as e:
        store.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert "400" in str(e.value) or "read-only" in str(e.value)
    req = urllib.request.Request(served["base"] + "/sparql", data=b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
                                 headers={"Content-Type": "application/sparql-query"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    assert e.value.code == 400 and "read-only" in e.value.read().decode()
    status, body, _ = _get(served["base"] + "/sparql?query=" + urllib.parse.quote("SELEKT * WHERE {}"))
    assert status == 400 and "query failed" in body
    status, body, _ = _get(served["base"] + "/sparql?query=" + urllib.parse.quote("ASK { <urn:a> <urn:b> <urn:c> }"))
    assert status == 200 and json.loads(body)["boolean"] is False  # nothing was written


def test_a_runaway_query_is_stopped_and_the_server_keeps_answering(served):
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    t0 = time.monotonic()
    status, body, _ = _get(served["base"] + "/sparql?query=" + urllib.parse.quote(slow))
    assert status == 503 and "stopped" in body
    assert time.monotonic() - t0 < 15
    status, body, _ = _get(served["base"] + "/sparql?query=" + urllib.parse.quote("SELECT (COUNT(*) AS ?n) WHERE { ?s a kg:Person }"))
    assert status == 200 and int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) > 3


def test_twenty_concurrent_clients_get_answers(served):
    from concurrent.futures import ThreadPoolExecutor

    paths = ["/", "/api/search?q=bit", "/entity/organization/bitmain", f"/article/{served['ids']['seed']}", "/api/neighbours/organization/bitmain"]
    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(lambda i: _get(served["base"] + paths[i % len(paths)])[0], range(100)))
    assert statuses == [200] * 100


# ---------------------------------------------------------------------------- in Chromium
@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                                              "--disable-component-update", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture
def page(browser, served):
    """A page that records every request and refuses any that would leave this server."""
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 1400, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    events = {"outside": [], "errors": [], "dialogs": []}

    def route(r):
        if r.request.url.startswith(served["base"]) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            events["outside"].append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    pg.on("pageerror", lambda e: events["errors"].append(str(e)))
    pg.on("dialog", lambda d: (events["dialogs"].append(d.message), d.dismiss()))
    pg.events = events
    yield pg
    assert events["outside"] == [], "a request left the machine"
    assert events["errors"] == []
    ctx.close()


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (.ci/run installs it)")
def test_search_finds_an_entity_ignoring_case_and_accents(page, served):
    page.goto(served["base"] + "/")
    page.fill("#find", "IRENE")
    page.wait_for_selector("#suggest a.hit")
    hits = page.locator("#suggest a.hit").all_inner_texts()
    assert any("Irene Gao" in h for h in hits)
    page.locator("#suggest a.hit", has_text="Irene Gao").first.click()
    page.wait_for_url("**/entity/person/irene-gao")
    assert page.locator("h1").inner_text().startswith("Irene Gao")
    page.fill("#find", "obrien")  # the hostile entity's alias, found without the apostrophe's help
    page.wait_for_selector("#suggest a.hit")
    assert "Quotes" in page.locator("#suggest").inner_text()


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (.ci/run installs it)")
def test_entity_page_lists_facts_with_source_sentences_and_article_links(page, served):
    page.goto(served["base"] + "/entity/person/irene-gao")
    facts = page.locator("section.facts").inner_text()
    assert "works for" in facts and "Bitmain" in facts
    assert page.locator("ul.sources q").count() >= 1
    link = page.locator("ul.sources a[href^='/article/']").first
    link.click()
    page.wait_for_url("**/article/*")
    assert page.locator("a.mention").count() > 10


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (.ci/run installs it)")
def test_article_page_highlights_every_mention_and_links_it(page, served):
    page.goto(served["base"] + f"/article/{served['ids']['seed']}")
    mentions = page.locator("a.mention")
    texts = mentions.all_inner_texts()
    assert texts.count("Bitmain") >= 5 and "Gao" in texts  # the surname is a mention of Irene Gao too
    gao = page.locator("a.mention", has_text=re.compile(r"^Gao$")).first
    assert gao.get_attribute("href") == "/entity/person/irene-gao"
    assert "Facts drawn from this article" in page.content()


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (.ci/run installs it)")
def test_neighbourhood_graph_draws_and_expands_on_click(page, served):
    page.goto(served["base"] + "/entity/person/irene-gao")
    page.wait_for_function("window.kgGraph && window.kgGraph.loaded >= 1 && window.kgGraph.nodes.length >= 2", timeout=20000)
    before = page.evaluate("window.kgGraph.nodes.length")
    page.wait_for_function("window.kgGraph.stable === true", timeout=20000)
    # click Bitmain on the canvas, where vis-network drew it
    x, y = page.evaluate("""() => { const n = window.kgGraph.network; const p = n.canvasToDOM(n.getPosition('organization/bitmain'));
                                     const r = document.getElementById('graph').getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""")
    page.mouse.click(x, y)
    page.wait_for_function(f"window.kgGraph.nodes.length > {before}", timeout=20000)
    assert page.evaluate("window.kgGraph.edges.length") >= page.evaluate("window.kgGraph.nodes.length") - 1


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (.ci/run installs it)")
def test_sparql_page_runs_a_query_links_entities_and_downloads_csv(page, served):
    page.goto(served["base"] + "/query")
    page.fill("#sparql", "SELECT ?p ?org WHERE { ?p kg:worksFor ?org } ORDER BY ?p")
    page.click("#run")
    page.wait_for_selector("#results td a")
    assert page.locator("#results th").all_inner_texts() == ["p", "org"]
    assert page.locator("#results a[href='/entity/person/irene-gao']").count() >= 1
    with page.expect_download() as dl:
        page.click("#csv")
    text = Path(dl.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].strip() == "p,org" and "irene-gao" in text
    page.fill("#sparql", "SELECT ?x WHERE { ?x")
    page.click("#run")
    page.wait_for_selector("#error:not([hidden])")
    assert "query failed" in page.locator("#error").inner_text()


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (.ci/run installs it)")
def test_a_hostile_article_and_entity_run_nothing(page, served):
    for path in ["/", f"/article/{served['ids']['hostile']}", "/entity/person/hostile", "/search?q=brien"]:
        page.goto(served["base"] + path)
        assert page.evaluate("window.kgPwned") is None, path
    page.goto(served["base"] + "/entity/person/hostile")
    assert page.locator("h1").inner_text().startswith(HOSTILE_LABEL)  # shown as text, exactly
    page.wait_for_function("window.kgGraph && window.kgGraph.loaded >= 1", timeout=20000)
    page.goto(served["base"] + f"/article/{served['ids']['hostile']}")
    assert "<script>window.kgPwned=1</script>" in page.locator("h1").inner_text()
    page.fill("#find", "quotes")
    page.wait_for_selector("#suggest a.hit")
    assert page.evaluate("window.kgPwned") is None
    assert page.events["dialogs"] == []


def test_every_page_has_a_json_twin_with_the_data_it_shows(served):
    base, ids = served["base"], served["ids"]
    status, body, headers = _get(base + "/.json")
    assert status == 200 and headers.get("content-type", "").startswith("application/json")
    overview = json.loads(body)
    assert overview["overview"] and any(e["label"] == "Irene Gao" for e in overview["top"])
    status, body, _ = _get(base + "/search.json?q=irene")
    assert status == 200 and json.loads(body)["hits"][0]["path"] == "person/irene-gao"
    status, body, _ = _get(base + "/entity/person/irene-gao.json")
    e = json.loads(body)
    assert status == 200 and e["label"] == "Irene Gao" and e["groups"]
    page = _get(base + "/entity/person/irene-gao")[1]
    assert all(g["relation"] in page and all(i["label"] in page for i in g["items"]) for g in e["groups"])  # what the page lists
    status, body, _ = _get(base + f"/article/{ids['seed']}.json")
    a = json.loads(body)
    assert status == 200 and "Bitmain" in a["headline"]
    status, body, _ = _get(base + "/query.json")
    assert status == 200 and json.loads(body)["examples"]
    status, body, _ = _get(base + "/entity/person/nobody-at-all.json")
    assert status == 404 and json.loads(body)["status"] == 404
