"""rdflib graph → networkx → pyvis → one self-contained HTML page (works offline, styled from the ontology)."""

from __future__ import annotations

import html
import json
from collections import defaultdict
from importlib import resources

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
         && !STRSTARTS(STR(?s), CONCAT(STR(id:), "article/")))
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


def _safe_json(obj) -> str:
    """JSON that cannot close a <script> element or open an HTML comment."""
    return json.dumps(obj, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


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
    page = _TEMPLATE
    for key, value in {
        "@@TITLE@@": html.escape(title),
        "@@VIS_CSS@@": _asset("vis-network.css").replace("</", "<\\/"),
        "@@VIS_JS@@": _asset("vis-network.min.js").replace("</script", "<\\/script"),
        "@@NODES@@": _safe_json(nodes),
        "@@EDGES@@": _safe_json(edges),
        "@@LEGEND@@": _safe_json(legend),
        "@@RELATIONS@@": _safe_json(relations),
        "@@FIRST@@": _safe_json(shown),
        "@@ISOLATED@@": str(isolated),
    }.items():
        page = page.replace(key, value)
    return page


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:">
<title>@@TITLE@@</title>
<style>@@VIS_CSS@@</style>
<style>
 body{margin:0;font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#222;display:flex;height:100vh}
 #side{width:300px;padding:12px;border-right:1px solid #ddd;overflow:auto;box-sizing:border-box}
 #graph{flex:1;height:100vh}
 h1{font-size:16px;margin:0 0 8px} h2{font-size:13px;margin:14px 0 6px;text-transform:uppercase;color:#666}
 input[type=search]{width:100%;padding:6px;box-sizing:border-box}
 .sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:middle}
 label{display:block;cursor:pointer} #details{white-space:pre-wrap;background:#f7f7f7;padding:8px;border-radius:4px;min-height:40px}
 #count{color:#666;font-size:12px} button{margin-top:6px}
</style></head>
<body>
<div id="side">
 <h1>@@TITLE@@</h1><div id="count"></div>
 <h2>Find</h2><input id="search" type="search" placeholder="Search a name…" autocomplete="off"><div id="hits"></div>
 <h2>Classes</h2><div id="legend"></div>
 <h2>Relations</h2><div id="relations"></div>
 <h2>Details</h2><div id="details">Click a node or an edge.</div>
 <button id="focus" disabled>Focus on selection</button> <button id="reset">Start over</button>
</div>
<div id="graph"></div>
<script>@@VIS_JS@@</script>
<script>
(function(){
 "use strict";
 var NODES=@@NODES@@, EDGES=@@EDGES@@, LEGEND=@@LEGEND@@, RELATIONS=@@RELATIONS@@, FIRST=@@FIRST@@, ISOLATED=@@ISOLATED@@;
 // A large graph opens on its best-connected entities (FIRST); a click or a search brings in the rest.
 var adjacent={};
 EDGES.forEach(function(e){ (adjacent[e.from]=adjacent[e.from]||[]).push(e.to); (adjacent[e.to]=adjacent[e.to]||[]).push(e.from); });
 function firstView(){ if(!FIRST) return null; var s={}; FIRST.forEach(function(id){ s[id]=true; }); return s; }
 var shown=firstView();
 EDGES.forEach(function(e,i){e.id="e"+i;});
 var nodes=new vis.DataSet(NODES), edges=new vis.DataSet(EDGES);
 var hiddenCls={}, hiddenRel={}, focusSet=null, selected=null;
 function nodeVisible(n){ return !hiddenCls[n.cls] && (focusSet ? !!focusSet[n.id] : (!shown || !!shown[n.id])); }
 var nodeView=new vis.DataView(nodes,{filter:nodeVisible}), onScreen={};
 function seen(){ onScreen={}; nodeView.getIds().forEach(function(id){ onScreen[id]=true; }); }
 seen();
 // only edges between drawn nodes reach the network: a large graph's other edges cost nothing
 var edgeView=new vis.DataView(edges,{filter:function(e){ return !hiddenRel[e.relation] && onScreen[e.from] && onScreen[e.to]; }});
 var net=new vis.Network(document.getElementById("graph"),{},{
   physics:{enabled:true,stabilization:{iterations:FIRST?80:200},barnesHut:{gravitationalConstant:-2500,centralGravity:FIRST?1.2:0.6,springLength:FIRST?90:120,avoidOverlap:0.3}},
   edges:{font:{size:11,align:"middle",strokeWidth:3},smooth:{type:"dynamic"},color:{color:"#999"}},
   nodes:{font:{size:18,strokeWidth:3,strokeColor:"#ffffff"},scaling:{label:{drawThreshold:3}}}, interaction:{hover:true,tooltipDelay:150}
 });
 window.kgNetwork=net;
 // The first stable frame: after stabilisation, or the first drawing when the layout came precomputed.
 function stable(){ if(!window.kgStabilized){ window.kgStabilized=true; window.kgStableAt=performance.now(); } }
 net.once("stabilized",function(){ stable(); net.setOptions({physics:{enabled:false}}); net.fit(); });
 net.once("stabilizationIterationsDone",function(){ stable(); });
 net.once("afterDrawing",function(){ window.kgDrawn=true; if(!nodeView.length) stable(); });
 // data last, so no event fires before the handlers above are in place
 net.setData({nodes:nodeView,edges:edgeView});
 function text(el,s){ el.textContent=s; }
 function count(){
   var msg=nodeView.length+" entities, "+edgeView.length+" facts shown";
   if(shown) msg=nodeView.length+" of "+NODES.length+" entities shown (the best connected; "+ISOLATED+" without a fact hidden). Click an entity to bring in its neighbours; search finds every entity.";
   text(document.getElementById("count"), msg); window.kgShown=nodeView.length; }
 function relayout(){ net.setOptions({physics:{enabled:true}}); net.once("stabilized",function(){ net.setOptions({physics:{enabled:false}}); }); }
 function refresh(){ nodeView.refresh(); seen(); edgeView.refresh(); count(); }
 function reveal(id){ if(!shown) return false; var added=!shown[id]; shown[id]=true;
   (adjacent[id]||[]).forEach(function(nb){ if(!shown[nb]){ shown[nb]=true; added=true; } });
   if(added){ refresh(); relayout(); } return added; }
 var leg=document.getElementById("legend");
 LEGEND.forEach(function(c){ var l=document.createElement("label"), cb=document.createElement("input"), sw=document.createElement("span");
   cb.type="checkbox"; cb.checked=true; cb.onchange=function(){ hiddenCls[c.cls]=!cb.checked; refresh(); };
   sw.className="sw"; sw.style.background=c.colour; l.appendChild(cb); l.appendChild(sw); l.appendChild(document.createTextNode(c.label)); leg.appendChild(l); });
 var rel=document.getElementById("relations");
 RELATIONS.forEach(function(r){ var l=document.createElement("label"), cb=document.createElement("input");
   cb.type="checkbox"; cb.checked=true; cb.onchange=function(){ hiddenRel[r[0]]=!cb.checked; refresh(); };
   l.appendChild(cb); l.appendChild(document.createTextNode(" "+r[1])); rel.appendChild(l); });
 var details=document.getElementById("details"), focusBtn=document.getElementById("focus");
 net.on("click",function(p){
   if(p.nodes.length){ var n=nodes.get(p.nodes[0]); selected=n.id; focusBtn.disabled=false;
     text(details, n.title); reveal(n.id); }
   else if(p.edges.length){ var e=edges.get(p.edges[0]);
     text(details, nodes.get(e.from).label+" — "+e.label+" → "+nodes.get(e.to).label+"\\nconfidence "+e.confidence.toFixed(2)+" ("+e.status+")\\narticle: "+e.article+"\\n“"+e.sentence+"”"); }
 });
 focusBtn.onclick=function(){ if(!selected)return; focusSet={}; focusSet[selected]=true;
   net.getConnectedNodes(selected).forEach(function(id){ focusSet[id]=true; }); refresh(); net.fit(); };
 document.getElementById("reset").onclick=function(){ focusSet=null; shown=firstView(); refresh(); relayout(); net.fit(); };
 var search=document.getElementById("search"), hits=document.getElementById("hits");
 search.oninput=function(){ var q=search.value.trim().toLowerCase(); hits.innerHTML="";
   if(!q) return;
   nodes.get({filter:function(n){ return n.label.toLowerCase().indexOf(q)>=0 || (n.aliases||[]).some(function(a){return a.toLowerCase().indexOf(q)>=0;}); }})
     .slice(0,10).forEach(function(n){ var a=document.createElement("div"); a.className="hit"; a.style.cursor="pointer"; text(a,n.label);
       a.onclick=function(){ focusSet=null; reveal(n.id); refresh(); net.selectNodes([n.id]); net.focus(n.id,{scale:1.2}); selected=n.id; focusBtn.disabled=false; text(details,n.title); };
       hits.appendChild(a); });
 };
 count();
})();
</script>
</body></html>
"""
