"""The HTML page in real headless Chromium (Debian's, driven by Playwright): offline, searchable, inert."""

import json
import shutil
from pathlib import Path

import pytest

from kg.cli import cli

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (.ci/run installs it)"),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        yield b
        b.close()


def _open(browser, page_path: Path):
    # The page's own CSP forbids eval; Playwright's waiting helpers need it, so the test context bypasses it.
    page = browser.new_page(bypass_csp=True, viewport={"width": 1400, "height": 900})
    events = {"errors": [], "requests": [], "dialogs": []}
    page.on("console", lambda m: events["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: events["errors"].append(str(e)))
    page.on("request", lambda r: events["requests"].append(r.url))
    page.on("dialog", lambda d: (events["dialogs"].append(d.message), d.dismiss()))
    page.goto(page_path.resolve().as_uri())
    page.wait_for_function("window.kgStabilized === true", timeout=30000)
    return page, events


def _render_and_open(browser, runner, graph: Path):
    page_path = graph.with_suffix(".html")
    r = runner.invoke(cli, ["render", "--graph", str(graph), "-o", str(page_path)])
    assert r.exit_code == 0, r.output
    return _open(browser, page_path)


@pytest.mark.model
def test_seed_page_draws_every_entity_offline_and_search_finds_gao(browser, seed_out, runner):
    import json

    r = runner.invoke(cli, ["query", "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e kg:mentionedIn ?a ; rdfs:label ?l }", "-g", str(seed_out), "-f", "json"])
    entities = int(json.loads(r.output)[0]["n"])
    page, events = _open(browser, seed_out / "graph.html")
    drawn = page.evaluate("window.kgNetwork.body.nodeIndices.length")
    assert drawn == entities
    assert events["errors"] == []
    assert all(u.startswith(("file:", "data:", "blob:", "about:")) for u in events["requests"]), events["requests"]
    page.fill("#search", "Irene")
    assert "Irene Gao" in page.inner_text("#hits")
    page.click("#hits div")
    assert "Person" in page.inner_text("#details")
    page.close()


def test_hostile_names_are_drawn_as_text(browser, tmp_path, runner):
    hostile = '<img src=x onerror=alert(1)>'
    script = "<script>alert(2)</script>"
    ttl = tmp_path / "x.ttl"
    ttl.write_text(
        f"""@prefix kg: <https://w3id.org/kg-news/ontology#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/kg-news/id/organization/x> a kg:Company ; rdfs:label "{hostile}" ; skos:altLabel "{script}" .
<https://w3id.org/kg-news/id/person/y> a kg:Person ; rdfs:label "</script><script>alert(3)</script>" .
""",
        encoding="utf-8",
    )
    page, events = _render_and_open(browser, runner, ttl)
    assert page.evaluate("window.kgNetwork.body.nodeIndices.length") == 2
    page.fill("#search", "img")
    assert hostile in page.inner_text("#hits")  # shown literally
    page.click("#hits div")
    assert script in page.inner_text("#details")
    # hover every node so vis-network draws its tooltips too
    for pos in page.evaluate("Object.values(window.kgNetwork.getPositions()).map(p => window.kgNetwork.canvasToDOM(p))"):
        page.mouse.move(pos["x"] + 300, pos["y"])
        page.wait_for_timeout(400)
    assert events["dialogs"] == []
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    page.close()


def test_placeholders_and_script_ends_in_article_text_leave_the_page_working(browser, tmp_path, runner):
    """An article sentence holding '@@LEGEND@@' or '</script>' once broke the page (placeholders were
    filled by chained text replacement); now the template engine escapes each value where it goes."""
    sentence = 'He said "@@LEGEND@@ @@NODES@@ @@TITLE@@ </script><script>alert(4)</script>" twice.'
    ttl = tmp_path / "x.ttl"
    ttl.write_text(
        r"""@prefix kg: <https://w3id.org/kg-news/ontology#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> . @prefix prov: <http://www.w3.org/ns/prov#> .
@prefix id: <https://w3id.org/kg-news/id/> .
id:person\/a a kg:Person ; rdfs:label "@@EDGES@@ Ann" ; kg:worksFor id:organization\/b .
id:organization\/b a kg:Company ; rdfs:label "</script>Acme" .
id:article\/x kg:fileName "@@ISOLATED@@.txt" .
id:assertion\/1 a kg:Assertion ; rdf:subject id:person\/a ; rdf:predicate kg:worksFor ; rdf:object id:organization\/b ;
  kg:sentence %s ; kg:confidence 0.9 ; kg:status "asserted" ; prov:wasDerivedFrom id:article\/x .
""" % json.dumps(sentence),
        encoding="utf-8",
    )
    page, events = _render_and_open(browser, runner, ttl)
    assert page.evaluate("window.kgNetwork.body.nodeIndices.length") == 2
    assert page.evaluate("Object.keys(window.kgNetwork.body.edges).length") == 1
    edge = page.evaluate("(() => { const n = window.kgNetwork; const id = Object.keys(n.body.edges)[0]; "
                         "const e = n.body.edges[id]; return n.canvasToDOM({x: (e.from.x + e.to.x) / 2, y: (e.from.y + e.to.y) / 2}); })()")
    page.mouse.click(edge["x"] + 300, edge["y"])
    assert sentence in page.inner_text("#details")  # the sentence shown as written, nothing run
    assert events["errors"] == [] and events["dialogs"] == []
    page.fill("#search", "acme")
    assert "</script>Acme" in page.inner_text("#hits")
    page.close()


def test_a_twenty_thousand_entity_page_opens_on_the_best_connected_and_finds_any_entity(browser, tmp_path, runner):
    n = 20_000
    lines = ["@prefix kg: <https://w3id.org/kg-news/ontology#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
             "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> . @prefix prov: <http://www.w3.org/ns/prov#> ."]
    classes = ["Company", "Person", "Policy", "City"]
    for i in range(n):
        lines.append(f'<https://w3id.org/kg-news/id/e/{i}> a kg:{classes[i % 4]} ; rdfs:label "entity {i}" .')
    lines.append('<https://w3id.org/kg-news/id/article/a> kg:fileName "synthetic.txt" .')
    for i in range(0, n // 2, 2):  # hubs: entity k links to 2k+1 and 2k+2 (a tree), the upper half has no fact
        for child in (2 * i + 1, 2 * i + 2):
            if child >= n // 2:
                continue
            lines.append(f"<https://w3id.org/kg-news/id/e/{child}> kg:worksFor <https://w3id.org/kg-news/id/e/{i}> .")
            lines.append(
                f'<https://w3id.org/kg-news/id/assertion/{child}> a kg:Assertion ; rdf:subject <https://w3id.org/kg-news/id/e/{child}> ; '
                f"rdf:predicate kg:worksFor ; rdf:object <https://w3id.org/kg-news/id/e/{i}> ; kg:sentence \"s {child}\" ; "
                f'kg:confidence 0.9 ; kg:status "asserted" ; prov:wasDerivedFrom <https://w3id.org/kg-news/id/article/a> .'
            )
    ttl = tmp_path / "big.ttl"
    ttl.write_text("\n".join(lines), encoding="utf-8")
    page_path = tmp_path / "big.html"
    assert runner.invoke(cli, ["render", "--graph", str(ttl), "-o", str(page_path)]).exit_code == 0
    page, events = _open(browser, page_path)
    drawn = page.evaluate("window.kgNetwork.body.nodeIndices.length")
    assert drawn == 150  # the first view: the best-connected entities, not a disc of 20,000
    assert "150 of 20000 entities shown" in page.inner_text("#count") and "without a fact hidden" in page.inner_text("#count")
    # search reaches an entity the first view left out, and brings it in with its neighbours
    page.fill("#search", "entity 19999")
    assert "entity 19999" in page.inner_text("#hits")
    page.click("#hits div")
    assert page.evaluate("window.kgNetwork.body.nodeIndices.includes('https://w3id.org/kg-news/id/e/19999')")
    # a click on a drawn entity brings in its hidden neighbours
    before = page.evaluate("window.kgNetwork.body.nodeIndices.length")
    page.fill("#search", "entity 9997")
    page.click("#hits div")
    assert page.evaluate("window.kgNetwork.body.nodeIndices.length") > before
    assert events["errors"] == []
    page.close()
