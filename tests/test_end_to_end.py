"""The bundled article through the real model: facts, SHACL, IRIs, query and export round trips."""

import json
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import RDF, BNode, Graph, URIRef
from rdflib.compare import isomorphic

from kg.ontology import KG, PROV, SCHEMA

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "articles" / "bitmain_us_factory.txt"


def _ask(g: Graph, body: str) -> bool:
    return bool(g.query("ASK { " + body + " }", initNs={"kg": KG, "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}).askAnswer)


def test_build_writes_turtle_html_and_store(seed_out):
    assert (seed_out / "graph.ttl").stat().st_size > 1000
    assert (seed_out / "graph.html").stat().st_size > 1000
    assert (seed_out / "store").is_dir()


@pytest.mark.parametrize(
    "body",
    [
        '?p rdfs:label "Irene Gao" ; kg:worksFor ?o ; kg:jobTitle "global business chief" . ?o rdfs:label "Bitmain"',
        '?a rdfs:label "Hut8" . ?b rdfs:label "Gryphon Digital Mining" . { ?a kg:mergesWith ?b } UNION { ?b kg:mergesWith ?a }',
        '?x a kg:Policy ; kg:affects ?b . ?b rdfs:label "Bitmain"',
        '?p rdfs:label "Batyr Hydyrov" ; kg:worksFor ?o ; kg:jobTitle "CEO" . ?o rdfs:label "Uminers"',
        '?b rdfs:label "Bitmain" ; kg:plansFacilityIn ?t . ?t rdfs:label "Texas"',
        '?b rdfs:label "Bitmain" ; kg:basedIn ?t . ?t rdfs:label "Beijing"',
        '?x kg:enactedBy ?t . ?t rdfs:label "Donald Trump"',
    ],
)
def test_seed_facts(seed_graph, body):
    assert _ask(seed_graph, body), body


def test_us_forms_are_one_node_with_every_surface_as_alt_label(seed_graph):
    rows = list(seed_graph.query('SELECT ?alt WHERE { ?us rdfs:label "United States" ; skos:altLabel ?alt }'))
    alts = {str(r.alt) for r in rows}
    assert {"US", "U.S.", "USA", "America"} <= alts
    assert len(list(seed_graph.query('SELECT ?s WHERE { ?s rdfs:label "United States" }'))) == 1


def test_surname_resolves_to_full_name(seed_graph):
    assert _ask(seed_graph, '?p rdfs:label "Irene Gao" ; skos:altLabel "Gao"')
    assert not _ask(seed_graph, '?p rdfs:label "Gao"')


def test_qualifiers_attach_to_the_purchase(seed_graph):
    q = """ASK { ?a rdf:predicate kg:purchasedFrom ; kg:quantity "31,145" ; kg:date "November 2024" ;
                   prov:wasDerivedFrom ?art . ?art kg:contentHash ?h }"""
    assert seed_graph.query(q, initNs={"kg": KG, "prov": "http://www.w3.org/ns/prov#"}).askAnswer


def test_every_fact_has_an_assertion_with_provenance(seed_graph):
    q = """SELECT ?s ?p ?o WHERE { ?s ?p ?o . ?p a ?kind . FILTER(?kind IN (owl:ObjectProperty, owl:DatatypeProperty))
             FILTER(STRSTARTS(STR(?p), STR(kg:)))
             FILTER NOT EXISTS { ?a rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; kg:sentence ?sent ; kg:confidence ?c }
             FILTER(?p NOT IN (kg:mentionedIn, kg:matchKey, kg:contentHash, kg:fileName, kg:value, kg:currency, kg:sentence, kg:startChar,
                               kg:endChar, kg:pattern, kg:confidence, kg:status, kg:quantity, kg:amount, kg:date, kg:entity, kg:offsets,
                               kg:source, kg:entityType, kg:preferredName, kg:name, kg:command, kg:kgVersion, kg:modelVersion,
                               kg:articlesAdded, kg:articlesReplaced, kg:articlesForgotten)) }"""
    assert list(seed_graph.query(q, initNs={"kg": KG})) == []


def test_no_blank_nodes_and_readable_iris(seed_graph):
    for s, p, o in seed_graph:
        assert not isinstance(s, BNode) and not isinstance(o, BNode)
    people = {str(s) for s in seed_graph.subjects(predicate=KG.worksFor)}
    assert "https://w3id.org/kg-news/id/person/irene-gao" in people


def test_graph_conforms_to_shapes(seed_graph):
    conforms, _, text = validate(seed_graph, shacl_graph=str(ROOT / "ontology" / "shapes.ttl"))
    assert conforms, text[:2000]


def test_shapes_catch_a_broken_graph(seed_graph):
    broken = Graph()
    broken += seed_graph
    gao = URIRef("https://w3id.org/kg-news/id/person/irene-gao")
    broken.add((gao, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), __import__("rdflib").Literal("Another name")))
    broken.add((gao, KG.worksFor, URIRef("https://w3id.org/kg-news/id/place/texas")))
    conforms, _, _ = validate(broken, shacl_graph=str(ROOT / "ontology" / "shapes.ttl"))
    assert not conforms


@pytest.mark.parametrize("fmt,parse_as", [("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"), ("trig", "trig")])
def test_export_round_trip(seed_out, seed_graph, runner, tmp_path, fmt, parse_as):
    from kg.cli import cli

    target = tmp_path / f"g.{fmt}"
    r = runner.invoke(cli, ["export", "--graph", str(seed_out), "--format", fmt, "-o", str(target)])
    assert r.exit_code == 0, r.output
    back = Graph()
    if parse_as == "trig":
        from rdflib import Dataset

        ds = Dataset()
        ds.parse(target, format="trig")
        for s, p, o, _ in ds.quads():
            back.add((s, p, o))
    else:
        back.parse(target, format=parse_as)
    assert isomorphic(back, seed_graph)


def test_query_formats_and_rq_files(seed_out, runner):
    from kg.cli import cli

    r = runner.invoke(cli, ["query", "SELECT ?p ?org WHERE { ?p kg:worksFor ?org }", "--graph", str(seed_out), "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert {"p": "https://w3id.org/kg-news/id/person/irene-gao", "org": "https://w3id.org/kg-news/id/organization/bitmain"} in rows
    r = runner.invoke(cli, ["query", "SELECT ?p WHERE { ?p kg:worksFor ?org }", "-g", str(seed_out), "-f", "csv"])
    assert r.output.splitlines()[0] == "p" and len(r.output.splitlines()) == 3


@pytest.fixture(scope="module")
def dated_out(tmp_path_factory):
    """The bundled article dated by --date, then a second, dated article in a second build: the graph
    the example queries about dates and builds are written for."""
    from click.testing import CliRunner

    from kg.cli import cli

    news = tmp_path_factory.mktemp("dated") / "news"
    news.mkdir()
    (news / SEED.name).write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    out = news.parent / "out"
    for date in ("2025-06-02", None):
        r = CliRunner().invoke(cli, ["build", str(news), "--out", str(out), "--no-html", "-q"] + (["--date", date] if date else []))
        assert r.exit_code == 0, r.output
        (news / "2025-07-15_bitmain-houston.txt").write_text(
            "Bitmain opened an office in Houston, Irene Gao said on Tuesday. Bitmain hired 300 engineers in Texas.\n", encoding="utf-8")
    return out


@pytest.mark.parametrize("path", sorted((ROOT / "ontology" / "queries").glob("*.rq")), ids=lambda p: p.name)
def test_example_queries_return_rows(dated_out, runner, path):
    from kg.cli import cli

    r = runner.invoke(cli, ["query", str(path), "--graph", str(dated_out), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.output)) >= 2


def test_query_accepts_turtle_file(seed_out, runner):
    from kg.cli import cli

    r = runner.invoke(cli, ["query", "ASK { ?p kg:worksFor ?o }", "--graph", str(seed_out / "graph.ttl")])
    assert r.exit_code == 0 and r.output.strip() == "yes"


def test_rebuild_skips_unchanged_and_adds_new_articles(tmp_path, runner):
    from kg.cli import cli

    out = tmp_path / "out"
    art = tmp_path / "a"
    art.mkdir()
    (art / "one.txt").write_text("Jane Smith, the chief executive of Microsoft, spoke in Seattle.", encoding="utf-8")
    assert runner.invoke(cli, ["build", str(art), "--out", str(out)]).exit_code == 0
    r = runner.invoke(cli, ["build", str(art), "--out", str(out)])
    assert "0 built, 1 unchanged" in r.output
    (art / "two.txt").write_text("Google opened a new office in Paris.", encoding="utf-8")
    r = runner.invoke(cli, ["build", str(art), "--out", str(out)])
    assert "1 built, 1 unchanged" in r.output
    r = runner.invoke(cli, ["query", "SELECT ?a WHERE { ?a a kg:NewsArticle }", "-g", str(out), "-f", "json"])
    assert len(json.loads(r.output)) == 2


def test_render_is_offline(seed_out, runner, tmp_path):
    import re

    from kg.cli import cli

    page = tmp_path / "g.html"
    r = runner.invoke(cli, ["render", "--graph", str(seed_out), "-o", str(page)])
    assert r.exit_code == 0, r.output
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", html, re.I)
    assert "Irene Gao" in html and "vis.Network" in html


def test_render_focus_classes_and_max_nodes(seed_out, runner, tmp_path):

    from kg.cli import cli

    def nodes_of(args):
        page = tmp_path / "p.html"
        r = runner.invoke(cli, ["render", "--graph", str(seed_out), "-o", str(page), *args])
        assert r.exit_code == 0, r.output
        from helpers import page_data

        return {n["label"]: n["cls"] for n in page_data(page.read_text(encoding="utf-8"))["nodes"]}

    focused = nodes_of(["--focus", "Irene Gao"])
    assert set(focused) == {"Irene Gao", "Bitmain"}
    people = nodes_of(["--classes", "Person"])
    assert people and set(people.values()) == {"Person"}
    assert len(nodes_of(["--max-nodes", "5"])) == 5
    r = runner.invoke(cli, ["render", "--graph", str(seed_out), "-o", str(tmp_path / "q.html"), "--focus", "Nobody Here"])
    assert r.exit_code != 0 and "no node named" in r.output


def test_rdflib_view_of_the_store_sees_every_triple(seed_out):
    from kg.store import KGStore

    with KGStore.for_reading(seed_out) as store:
        assert len(store.graph) == len(store) > 500
        rows = list(store.graph.query("SELECT ?p WHERE { ?p kg:worksFor ?o }"))
        assert len(rows) == 2


def test_one_descriptive_mention_makes_the_whole_entity_a_company(seed_graph):
    # "Chinese Bitcoin mining rig manufacturer Bitmain" once, "Bitmain" a dozen times: a Company,
    # so the relation model's club-style memberOf does not make its staff (or Trump) its members
    bitmain = URIRef("https://w3id.org/kg-news/id/organization/bitmain")
    assert (bitmain, RDF.type, KG.Company) in seed_graph
    assert not list(seed_graph.subjects(KG.memberOf, bitmain))


def test_the_store_keeps_the_article_text_and_where_each_entity_is_named(seed_graph):
    # the web app's article page draws its highlights from these: the offsets must point at the names
    q = """SELECT ?label ?offsets ?body WHERE { ?m a kg:Mentions ; kg:entity ?e ; kg:offsets ?offsets ; prov:wasDerivedFrom ?a .
             ?a schema:articleBody ?body . ?e rdfs:label ?label }"""
    rows = list(seed_graph.query(q, initNs={"kg": KG, "prov": PROV, "schema": SCHEMA}))
    seen = {}
    for label, offsets, body in rows:
        seen[str(label)] = [str(body)[int(a):int(b)] for a, b in (span.split("-") for span in str(offsets).split())]
    assert "Irene Gao" in seen["Irene Gao"] and "Gao" in seen["Irene Gao"]
    assert seen["Bitmain"].count("Bitmain") >= 5
