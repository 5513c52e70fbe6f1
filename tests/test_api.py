"""The small public API: explicit, and nothing heavy at import time."""

import subprocess
import sys

import pytest

import kg


def test_import_kg_loads_no_spacy():
    code = "import sys, kg; assert 'spacy' not in sys.modules and 'rdflib' not in sys.modules; print(sorted(kg.__all__))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_every_public_name_resolves_to_the_api_not_a_module():
    import types

    import kg
    import kg.builder  # noqa: F401  (importing submodules must not shadow the API)
    import kg.evaluate  # noqa: F401
    import kg.export  # noqa: F401

    for name in kg.__all__:
        assert not isinstance(getattr(kg, name), types.ModuleType), name
    assert callable(kg.build) and callable(kg.run_query)


def test_parse_batches_are_capped_by_size_so_long_articles_do_not_pile_up():
    from kg.extract import batches

    pieces = [("x" * n, i) for i, n in enumerate([10, 10, 10, 40_000, 30_000, 70_000, 5, 5])]
    sizes = [[len(t) for t, _ in b] for b in batches(iter(pieces), batch_size=3, max_chars=50_000)]
    assert sizes == [[10, 10, 10], [40_000], [30_000], [70_000], [5, 5]]  # a piece longer than the cap goes alone
    assert [i for b in batches(iter(pieces), 3, 50_000) for _, i in b] == list(range(8))  # order kept


@pytest.mark.model
def test_the_pipeline_gives_the_facts_the_build_writes():
    """`kg.load_pipeline()(text)` sets doc._.entities and doc._.facts: the ones `kg build` writes."""
    from rdflib import RDF, Literal

    from kg.articles import Article
    from kg.builder import build_into
    from kg.mapping import entity_iris
    from kg.ontology import KG, load_ontology
    from kg.store import KGStore
    from kg.types import Entity, Fact

    text = ("Acme Corp, a maker of batteries based in Denver, said on Monday it acquired Beta Inc for $90 million. "
            "Jane Doe, the chief executive of Acme Corp, said the company would hire 200 engineers in Ohio.")
    doc = kg.load_pipeline()(text)
    assert doc._.facts and all(isinstance(f, Fact) for f in doc._.facts)
    assert all(isinstance(e, Entity) for e in doc._.entities.values())
    store = KGStore.memory()
    build_into(store, [Article.from_text(text, "a.txt")])
    ont = load_ontology()
    iris = entity_iris(doc._.entities)
    for f in doc._.facts:
        s, p = iris[f.head], ont.relations[f.relation].iri
        o = iris[f.tail] if f.tail else Literal(f.literal)
        stated = f.status != "uncertain"
        assert ((s, p, o) in store.graph) == stated, (f.head, f.relation, f.tail or f.literal, f.status)
    assertions = len(list(store.graph.subjects(RDF.type, KG.Assertion)))
    assert assertions == len(doc._.facts)
