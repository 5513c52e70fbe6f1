"""`kg serve` in time, in Chromium: articles by date with a date filter, an entity's timeline and the
first and last date each fact was reported, "What's new", and the lists the overview counts open."""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import start_serve
from kg.cli import cli

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Dated by file name; Acme is named in four months, its chief executive in two articles.
ARTICLES = {
    "2019-01-08_acme-hires.txt": "Acme Corp hired 200 engineers in Denver, its chief executive John Smith said on Monday.",
    "2019-01-20_acme-plant.txt": "Acme Corp plans to build a battery factory in Ohio, John Smith, the chief executive of Acme Corp, said.",
    "2019-03-02_beta-raise.txt": "Beta Inc, a startup based in Austin, raised $20 million from investors. Acme Corp invested in Beta Inc.",
    "2019-05-15_acme-beta.txt": "Acme Corp acquired Beta Inc for $90 million, the companies said on Wednesday.",
    "2019-05-17_gamma.txt": "Gamma Ltd, a maker of batteries based in Leeds, named Jane Doe its chief executive.",
    "undated.txt": "Delta Systems is based in Toronto, a spokesman for Delta Systems said.",
}


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dated")
    news = tmp / "news"
    news.mkdir()
    for name, text in ARTICLES.items():
        (news / name).write_text(text + "\n", encoding="utf-8")
    out = tmp / "out"
    r = CliRunner().invoke(cli, ["build", str(news), "--out", str(out), "--no-html", "-q"])
    assert r.exit_code == 0, r.output
    proc, base, _ = start_serve("--graph", out)
    yield {"base": base, "out": out}
    proc.terminate()
    proc.wait(10)


def _json(url: str):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


@pytest.mark.model
def test_json_twins_of_the_pages_in_time(dated):
    base = dated["base"]
    listed = _json(base + "/articles.json")["articles"]
    assert [a["date"] for a in listed] == ["2019-05-17", "2019-05-15", "2019-03-02", "2019-01-20", "2019-01-08", None]
    march = _json(base + "/articles.json?from=2019-03-01&to=2019-04-30")["articles"]
    assert [a["source"] for a in march] == ["2019-03-02_beta-raise.txt"]
    new = _json(base + "/new.json?from=2019-05-01&to=2019-05-31")
    relations = {g["name"]: g for g in new["groups"]}
    assert "acquired" in relations
    fact = relations["acquired"]["facts"][0]
    assert (fact["subject"]["label"], fact["object"]["label"], fact["first"]) == ("Acme Corp", "Beta Inc", "2019-05-15")
    assert all(f["first"] >= "2019-05-01" for g in new["groups"] for f in g["facts"])
    assert _json(base + "/new.json")["to"] == "2019-05-17"  # unasked: the graph's latest news, not today
    acme = _json(base + "/entity/organization/acme-corp.json")
    assert [m["month"] for m in acme["timeline"]] == ["2019-01", "2019-02", "2019-03", "2019-04", "2019-05"]
    assert [m["articles"] for m in acme["timeline"]] == [2, 0, 1, 0, 1]
    overview = _json(base + "/.json")["overview"]
    for r in overview["relations"]:  # each count opens the list it counts
        assert len(_json(base + f"/relation/{r['name']}.json")["facts"]) == r["count"], r
    for c in overview["classes"]:
        assert len(_json(base + f"/class/{c['info']['name']}.json")["entities"]) == c["count"], c


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        yield b
        b.close()


@pytest.mark.model
@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (.ci/run installs it)")
def test_articles_by_date_the_date_filter_a_timeline_and_whats_new_in_chromium(browser, dated):
    base = dated["base"]
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/articles")
    dates = page.locator("td.date").all_inner_texts()
    assert dates == ["2019-05-17", "2019-05-15", "2019-03-02", "2019-01-20", "2019-01-08", "—"]
    page.fill("input[name=from]", "2019-01-01")
    page.fill("input[name=to]", "2019-01-31")
    page.click("form.dates button")
    page.wait_for_url("**/articles?from=2019-01-01&to=2019-01-31")
    assert page.locator("td.date").all_inner_texts() == ["2019-01-20", "2019-01-08"]
    page.goto(base + "/entity/organization/acme-corp")
    bars = page.locator(".timeline .month")
    assert bars.count() == 5
    assert bars.first.get_attribute("title") == "2019-01: 2 articles"
    heights = [b.bounding_box()["height"] for b in page.locator(".timeline .bar").all()]
    assert heights[0] > heights[2] > heights[1]  # two articles, one, none
    assert "2019-05-15" in page.locator("section.facts").inner_text()  # when the purchase was reported
    page.goto(base + "/new?from=2019-05-01&to=2019-05-31")
    text = page.locator("main").inner_text()
    assert "acquired" in text and "Beta Inc" in text and "first 2019-05-15" in text
    assert "Denver" not in text  # reported in January, not new in May
    page.goto(base + "/")
    page.locator("table.counts a").first.click()
    page.wait_for_url("**/relation/*")
    assert page.locator("table.results tbody tr").count() >= 1
    assert errors == []
    page.close()
