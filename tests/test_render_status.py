"""The page draws asserted facts; the relation model's uncertain leads only on request, dashed (no model needed)."""


from kg.articles import Article
from kg.mapping import document_triples
from kg.ontology import load_ontology
from kg.render import render_html
from helpers import page_data
from kg.resolve import Entity, Fact
from kg.store import KGStore


def _fact(head, rel, tail, conf, status):
    return Fact(head=head, relation=rel, tail=tail, literal=None, confidence=conf, pattern="test", sentence="s.",
                start=0, end=2, status=status, qualifiers={}, attributed_to=None)


def _edges(page):
    return page_data(page)["edges"]


def test_uncertain_facts_are_hidden_unless_asked_and_then_dashed():
    ents = {
        "Person/ann lee": Entity(key="Person/ann lee", cls="Person", label="Ann Lee", aliases={"Ann Lee"}),
        "Organization/acme": Entity(key="Organization/acme", cls="Company", label="Acme", aliases={"Acme"}),
        "Place/peru": Entity(key="Place/peru", cls="Country", label="Peru", aliases={"Peru"}),
    }
    facts = [_fact("Person/ann lee", "worksFor", "Organization/acme", 0.9, "asserted"),
             _fact("Person/ann lee", "nationality", "Place/peru", 0.3, "uncertain")]
    store = KGStore.memory()
    store.add_triples(document_triples(Article.from_text("Ann Lee of Acme.", path="a.txt"), ents, facts, load_ontology()))
    shown = _edges(render_html(store))
    assert [e["relation"] for e in shown] == ["worksFor"]
    both = {e["relation"]: e for e in _edges(render_html(store, uncertain=True))}
    assert set(both) == {"worksFor", "nationality"}
    assert both["nationality"]["dashes"] is True and both["worksFor"]["dashes"] is False


def test_first_view_of_a_large_graph_is_its_best_connected_linked_entities():
    import networkx as nx

    from kg.render import first_view

    g = nx.MultiDiGraph()
    g.add_nodes_from(f"n{i}" for i in range(10))  # n8, n9 have no fact
    for a, b in [("n0", "n1"), ("n0", "n2"), ("n0", "n3"), ("n1", "n2"), ("n4", "n5"), ("n6", "n7"), ("n5", "n6")]:
        g.add_edge(a, b, key="worksFor")
    assert first_view(g, limit=20) is None  # small graphs show everything
    view = first_view(g, limit=4)
    assert set(view) == {"n0", "n1", "n2", "n3"}
    view = first_view(g, limit=5)
    assert "n8" not in view and "n9" not in view and len(view) == 5
    assert all(any(m in view for m in nx.all_neighbors(g, n)) for n in view)  # nobody floats alone
