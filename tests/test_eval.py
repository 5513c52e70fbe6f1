"""The scorer, on graphs built by hand, and the quality floor on the bundled article."""

from pathlib import Path

import pytest
from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef

from kg.evaluate import evaluate, score
from kg.ontology import KG

GOLD = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "seed_gold.jsonl"
DOCS = [
    {
        "text": "...",
        "entities": [
            {"name": "Irene Gao", "type": "PERSON", "aliases": ["Irene Gao", "Gao"]},
            {"name": "Bitmain", "type": "ORG", "aliases": ["Bitmain"]},
            {"name": "Hut 8", "type": "ORG", "aliases": ["Hut8", "Hut 8"]},
            {"name": "Gryphon", "type": "ORG", "aliases": ["Gryphon"]},
        ],
        "relations": [
            {"head": "Irene Gao", "relation": "worksFor", "tail": "Bitmain"},
            {"head": "Hut 8", "relation": "mergesWith", "tail": "Gryphon"},
        ],
    }
]


def _node(g, name, cls, *alts):
    n = URIRef(f"urn:x:{name.replace(' ', '')}")
    g.add((n, RDF.type, KG[cls]))
    g.add((n, RDFS.label, Literal(name)))
    for a in alts:
        g.add((n, SKOS.altLabel, Literal(a)))
    return n


def test_scores_aliases_and_symmetric_relations():
    g = Graph()
    gao = _node(g, "Gao", "Person")
    bm = _node(g, "the Bitmain", "Company")
    hut = _node(g, "Hut8", "Company")
    gry = _node(g, "Gryphon", "Company")
    g.add((gao, KG.worksFor, bm))
    g.add((gry, KG.mergesWith, hut))  # reversed: still a match
    rep = score(DOCS, g)
    assert rep.micro.f1 == 1.0
    assert rep.entities.f1 == 1.0


def test_wrong_relation_and_wrong_type_are_penalised():
    g = Graph()
    gao = _node(g, "Irene Gao", "Person")
    bm = _node(g, "Bitmain", "Place")  # wrong type
    g.add((gao, KG.basedIn, bm))  # relation not in gold: not scored
    g.add((bm, KG.worksFor, gao))  # wrong direction
    rep = score(DOCS, g)
    assert rep.relations["worksFor"].precision == 0.0
    assert rep.micro.recall == 0.0
    assert rep.entities.tp_gold == 1 and rep.entities.pred == 1


@pytest.mark.model
@pytest.mark.skipif(not GOLD.exists(), reason="shared eval data not present")
def test_quality_floor_on_bundled_article():
    rep = evaluate(GOLD)
    assert rep.micro.f1 >= 0.9, "\n".join(rep.lines())
    assert rep.entities.f1 >= 0.9, "\n".join(rep.lines())
