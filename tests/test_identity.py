"""Across articles one entity is one node: spellings that differ only in case, spaces and punctuation
('NBC Universal' / 'NBCUniversal', 'S&P' / 'SP') share the IRI the first one got (no model needed)."""

from rdflib import RDFS, SKOS, Literal

from kg.articles import Article
from kg.mapping import document_triples, entity_iri, entity_iris, match_key
from kg.ontology import load_ontology
from kg.resolve import Entity, Fact
from kg.store import KGStore


def _write(store, text, names, fact=None):
    ont = load_ontology()
    ents = {f"Organization/{n.lower()}": Entity(key=f"Organization/{n.lower()}", cls="Company", label=n, aliases={n}) for n in names}
    facts = [fact] if fact else []
    iris = entity_iris(ents, store.by_match_key({match_key(k) for k in ents}))
    labels = store.labels(set(iris.values()))
    store.add_triples(document_triples(Article.from_text(text, path="a.txt"), ents, facts, ont, labels, iris))


def test_match_key_folds_case_spaces_and_punctuation():
    assert match_key("Organization/nbc universal") == match_key("Organization/NBCUniversal") == "organization/nbcuniversal"
    assert match_key("Organization/s&p") == match_key("Organization/SP")
    assert match_key("Organization/sp") != match_key("Place/sp")  # the broad class is part of the key
    assert match_key("Person/irene gao") != match_key("Person/irene gaol")


def test_second_spelling_reuses_the_first_node_across_articles():
    store = KGStore.memory()
    _write(store, "NBC Universal and S&P.", ["NBC Universal", "S&P"])
    fact = Fact(head="Organization/nbcuniversal", relation="partnersWith", tail="Organization/sp", literal=None, confidence=0.9,
                pattern="test", sentence="NBCUniversal partners with SP.", start=0, end=30, status="asserted", qualifiers={}, attributed_to=None)
    _write(store, "NBCUniversal partners with SP.", ["NBCUniversal", "SP"], fact)
    g = store.to_rdflib()
    nbc = entity_iri("Organization/nbc universal")
    assert set(g.objects(nbc, RDFS.label)) == {Literal("NBC Universal")}
    assert Literal("NBCUniversal") in set(g.objects(nbc, SKOS.altLabel))
    assert (entity_iri("Organization/nbcuniversal"), None, None) not in g  # no second node
    assert (nbc, load_ontology().relations["partnersWith"].iri, entity_iri("Organization/s&p")) in g


def test_two_spellings_in_one_article_are_one_node():
    store = KGStore.memory()
    _write(store, "S&P, also written SP.", ["S&P", "SP"])
    g = store.to_rdflib()
    nodes = set(g.subjects(SKOS.altLabel, None)) | {s for s in g.subjects(RDFS.label, None) if "/organization/" in s}
    assert nodes == {entity_iri("Organization/s&p")}
