"""rdflib graph → networkx → pyvis → one self-contained HTML page (works offline, styled from the ontology)."""

from __future__ import annotations

import functools
from collections import defaultdict
from importlib import resources

from markupsafe import Markup

import networkx as nx

from .errors import Errors, KGError
from .ontology import load_ontology
from .query import run_query
from .store import KGStore

FIRST_VIEW = 150  # above this many entities the page opens on the best-connected ones; the rest come on demand

_QUERY_NODES = """
SELECT ?s ?label ?type (GROUP_CONCAT(DISTINCT ?alt; separator="\\t") AS ?alts) WHERE {
  ?s a ?type ; rdfs:label ?label .
  FILTER(STRSTARTS(STR(?s), STR(id:)) && !STRSTARTS(STR(?s), CONCAT(STR(id:), "assertion/"))
         && !STRSTARTS(STR(?s), CONCAT(STR(id:), "article/")) && !STRSTARTS(STR(?s), CONCAT(STR(id:), "build/")))
  OPTIONAL { ?s skos:altLabel ?alt }
} GROUP BY ?s ?label ?type
"""
_QUERY_EDGES = """
SELECT ?s ?p ?o ?sentence ?conf ?article ?status WHERE {
  ?a a kg:Assertion ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
     kg:sentence ?sentence ; kg:confidence ?conf ; kg:status ?status ; prov:wasDerivedFrom ?art .
  ?art kg:fileName ?article .
}
"""


def _local(iri) -> str:
    return str(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def to_networkx(store: KGStore, classes: set[str] | None = None, uncertain: bool = False) -> nx.MultiDiGraph:
    """Entities as nodes (with class, aliases, supporting sentences); facts as edges (with provenance).
    Facts whose only support is uncertain (status "uncertain") are left out unless `uncertain`."""
    ont = load_ontology()
    g = nx.MultiDiGraph()
    _, rows = run_query(store, _QUERY_NODES)
    for node, label, type_, alts in rows:
        cls = _local(type_)
        if cls not in ont.classes:
            continue
        prev = g.nodes[node]["cls"] if node in g else None
        if prev and len(ont.ancestors(prev)) >= len(ont.ancestors(cls)):
            continue  # keep the most specific class
        g.add_node(node, label=label, cls=cls, aliases=sorted(set(alts.split("\t")) - {""}), sentences=[])
    literal_facts = defaultdict(list)
    _, rows = run_query(store, _QUERY_EDGES)
    for s, p, o, sentence, conf, article, status in rows:
        rel = _local(p)
        if rel not in ont.relations or s not in g:
            continue
        if status == "uncertain" and not uncertain:
            continue
        prov = {"sentence": sentence, "confidence": float(conf), "article": article, "status": status}
        g.nodes[s]["sentences"].append(prov["sentence"])
        if o in g:
            g.nodes[o]["sentences"].append(prov["sentence"])
            if g.has_edge(s, o, key=rel) and g.edges[s, o, rel]["confidence"] >= prov["confidence"]:
                continue  # an edge shows its best-supported assertion
            g.add_edge(s, o, key=rel, relation=rel, label=ont.relations[rel].label, **prov)
        else:
            literal_facts[s].append(f"{ont.relations[rel].label}: {o}")
    for node, facts in literal_facts.items():
        g.nodes[node]["facts"] = sorted(set(facts))
    if classes:
        keep = [n for n, d in g.nodes(data=True) if any(ont.is_a(d["cls"], c) for c in classes)]
        g = g.subgraph(keep).copy()
    return g


def focus(g: nx.MultiDiGraph, name: str, radius: int = 1) -> nx.MultiDiGraph:
    """The neighbourhood of the node whose label or alias is `name`."""
    low = name.lower()
    hits = [n for n, d in g.nodes(data=True) if d["label"].lower() == low or low in (a.lower() for a in d["aliases"])]
    if not hits:
        raise KGError(Errors.E060.format(name=name))
    return nx.ego_graph(g, hits[0], radius=radius, undirected=True)


class _Ids(list):
    """pyvis keeps node ids in a list and tests membership on every add_node and add_edge, which is
    quadratic in the graph's size; this list answers `in` from a set, so building stays linear."""

    def __init__(self):
        super().__init__()
        self._set = set()

    def append(self, item):
        self._set.add(item)
        super().append(item)

    def __contains__(self, item):
        return item in self._set


def _vis_data(g: nx.MultiDiGraph):
    """pyvis nodes and edges for the page (no layout here: the browser lays out what it shows)."""
    from pyvis.network import Network

    ont = load_ontology()
    net = Network(directed=True, cdn_resources="in_line")
    net.node_ids = _Ids()
    degree = dict(g.degree())
    for node, d in g.nodes(data=True):
        colour, shape = ont.style(d["cls"])
        # Titles are plain text: vis-network shows strings as text, never as HTML.
        title = "\n".join(
            [f"{d['label']} ({ont.classes[d['cls']].label})"]
            + ([f"also: {', '.join(d['aliases'][:8])}"] if d["aliases"] else [])
            + d.get("facts", [])
            + [f"“{s[:160]}”" for s in sorted(set(d["sentences"]))[:3]]
        )
        net.add_node(node, label=d["label"][:60], title=title, color=colour, shape=shape, size=10 + 4 * min(degree[node], 10),
                     cls=d["cls"], classLabel=ont.classes[d["cls"]].label, aliases=d["aliases"], degree=degree[node])
    for s, o, d in g.edges(data=True):
        net.add_edge(s, o, label=d["label"], title=f"{d['label']} (confidence {d['confidence']:.2f})\n{d['sentence'][:200]}",
                     arrows="to", relation=d["relation"], sentence=d["sentence"], article=d["article"],
                     confidence=d["confidence"], status=d["status"], dashes=d["status"] == "uncertain")
    return net.nodes, net.edges


def first_view(g: nx.MultiDiGraph, limit: int = FIRST_VIEW) -> list[str] | None:
    """The entities the page opens on: all of a small graph; of a large one, the `limit` best
    connected (entities without a fact stay hidden until searched for)."""
    if g.number_of_nodes() <= limit:
        return None
    ranked = [n for _, n in sorted(((d, n) for n, d in g.degree() if d > 0), key=lambda kv: (-kv[0], kv[1]))]
    chosen = ranked[:limit]
    inside = set(chosen)
    linked = [n for n in chosen if any(m in inside for m in nx.all_neighbors(g, n))]
    if linked and len(linked) < len(chosen):
        # an entity whose every neighbour is left out would float alone: trade it for the best-connected
        # entity linked to the view, and only when there are not enough of those keep it after all
        kept = set(linked)
        more = [n for n in ranked if n not in inside and any(m in kept for m in nx.all_neighbors(g, n))]
        floaters = [n for n in chosen if n not in kept]
        chosen = linked + more[: limit - len(linked)]
        chosen += floaters[: limit - len(chosen)]
    return chosen


def _asset(name: str) -> str:
    return resources.files("pyvis").joinpath("lib", "vis-9.1.2", name).read_text(encoding="utf-8")


def render_html(store: KGStore, focus_name: str | None = None, max_nodes: int | None = None, classes: set[str] | None = None,
                title: str = "kg — news knowledge graph", uncertain: bool = False) -> str:
    """The graph as one self-contained HTML page; `uncertain` also draws the relation model's
    low-confidence leads (dashed)."""
    ont = load_ontology()
    g = to_networkx(store, classes, uncertain)
    if focus_name:
        g = focus(g, focus_name)
    if max_nodes and g.number_of_nodes() > max_nodes:
        keep = sorted(g.degree(), key=lambda kv: (-kv[1], kv[0]))[:max_nodes]
        g = g.subgraph([n for n, _ in keep]).copy()
    nodes, edges = _vis_data(g)
    shown = first_view(g)
    isolated = sum(1 for _, d in g.degree() if d == 0)
    present = sorted({d["cls"] for _, d in g.nodes(data=True)})
    legend = [{"cls": c, "label": ont.classes[c].label, "colour": ont.style(c)[0], "shape": ont.style(c)[1]} for c in present]
    relations = sorted({d["relation"]: d["label"] for _, _, d in g.edges(data=True)}.items())
    return _page_template().render(
        title=title,
        vis_css=Markup(_asset("vis-network.css").replace("</", "<\\/")),
        vis_js=Markup(_asset("vis-network.min.js").replace("</script", "<\\/script")),
        data={"nodes": nodes, "edges": edges, "legend": legend, "relations": relations, "first": shown, "isolated": isolated},
    )


@functools.cache
def _page_template():
    from jinja2 import Environment, PackageLoader

    env = Environment(loader=PackageLoader("kg", "templates"), autoescape=True, keep_trailing_newline=True)
    return env.get_template("graph.html")
