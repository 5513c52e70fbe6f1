"""What each page of `kg serve` shows, read from the store with SPARQL (local or a SPARQL server).

Each query is a file in kg/web/queries/ whose `$parameters` are bound as RDF terms (`bind`); entity
and article IRIs are checked against the shapes kg writes (`entity_iri` / `article_iri`) first, so
no request text is ever pasted into a query.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from importlib import resources

from rdflib import XSD, Literal, URIRef

from ..ontology import ID, Ontology, load_ontology

_PATH = re.compile(r"^[a-z]+/[A-Za-z0-9][A-Za-z0-9._~-]{0,200}$")
_ARTICLE = re.compile(r"^[0-9a-f]{16}$")
_ID = str(ID)
_NOT_ENTITIES = ("assertion/", "article/", "mentions/", "build/")  # kg's other nodes under id:


def entity_iri(path: str) -> str | None:
    """`organization/bitmain` → the entity's IRI, or None when the path is not one kg writes."""
    return _ID + path if _PATH.match(path) and not path.startswith(_NOT_ENTITIES) else None


def article_iri(ident: str) -> str | None:
    return f"{_ID}article/{ident}" if _ARTICLE.match(ident) else None


def entity_path(iri: str) -> str | None:
    """The page path of an entity IRI (None for articles, assertions and IRIs from elsewhere)."""
    if not iri.startswith(_ID):
        return None
    rest = iri[len(_ID):]
    return rest if _PATH.match(rest) and not rest.startswith(_NOT_ENTITIES) else None


def article_id(iri: str) -> str | None:
    rest = iri[len(_ID) + len("article/"):] if iri.startswith(_ID + "article/") else ""
    return rest if _ARTICLE.match(rest) else None


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


@functools.cache
def page_query(name: str) -> str:
    """A page's SPARQL, from kg/web/queries/<name>.rq: parameters are written $name."""
    return resources.files("kg.web").joinpath("queries", f"{name}.rq").read_text(encoding="utf-8")


def bind(query: str, **params) -> str:
    """The query with each $name replaced by its value as an RDF term (a str or a date becomes a typed
    literal, a URIRef an IRI): values never reach the query as text to be parsed as SPARQL."""

    def term(m: re.Match) -> str:
        name = m.group(1)
        if name not in params:
            raise KeyError(f"query parameter ${name} not given")
        value = params[name]
        if isinstance(value, (URIRef, Literal)):
            return value.n3()
        if isinstance(value, (list, tuple)):
            return " ".join(v.n3() for v in value)  # VALUES rows
        if isinstance(value, bool):
            return Literal(value).n3()
        if isinstance(value, int):
            return str(int(value))
        return Literal(str(value)).n3()

    return _PARAM.sub(term, query)


def as_date(value: str | None) -> Literal | None:
    """A date from a request ('2019-01-04'), or None when it is not one."""
    if not value or not _DATE.match(value):
        return None
    import datetime as dt

    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return None
    return Literal(value, datatype=XSD.date)


_APART = re.compile(r"[-‐‑–—_/]+")
_DROP = re.compile(r"[^\w\s]+")


def fold(text: str) -> str:
    """The form search compares: case, accents and punctuation folded ('Orbán' and 'orban',
    "O'Brien" and 'obrien' meet; 'Glawischnig-Piesczek' is two words)."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(ch for ch in t if not unicodedata.combining(ch)).casefold()
    return " ".join(_DROP.sub("", _APART.sub(" ", t)).split())


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _months(counts: list[dict]) -> list[dict]:
    """Month-by-month counts with the months between filled in (0), for a timeline without gaps (at most 20 years)."""
    if not counts:
        return []
    have = {c["month"]: c["articles"] for c in counts}
    y, m = map(int, counts[0]["month"].split("-"))
    last = counts[-1]["month"]
    out = []
    while len(out) < 240:
        month = f"{y:04d}-{m:02d}"
        out.append({"month": month, "articles": have.get(month, 0)})
        if month >= last:
            break
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


_EARLIEST, _LATEST = Literal("0001-01-01", datatype=XSD.date), Literal("9999-12-31", datatype=XSD.date)


@dataclass
class SearchEntry:
    path: str
    label: str
    cls: str
    forms: list[tuple[str, str]] = field(default_factory=list)  # (folded form, as written)
    weight: int = 0


class Pages:
    """The page data, from SPARQL; cached where the graph cannot change under a read-only server."""

    def __init__(self, store, ont: Ontology | None = None):
        self.store = store
        self.ont = ont or load_ontology()
        self._lock = threading.Lock()  # guards the caches (search index, overview)
        self._query_lock = threading.Lock()  # a remote store's HTTP client is not shared between threads
        self._index: list[SearchEntry] | None = None
        self._by_path: dict[str, SearchEntry] = {}
        self._overview: dict | None = None
        self.remote = not store.thread_safe

    # ------------------------------------------------------------------ basics
    def select(self, query: str) -> list[dict[str, str]]:
        if self.remote:
            with self._query_lock:
                result = self.store.sparql(query)
        else:
            result = self.store.sparql(query)
        _, variables, rows = result
        return [dict(zip(variables, r)) for r in rows]

    def best_class(self, types) -> str:
        """The most specific ontology class among an entity's rdf:types."""
        best = None
        for t in types:
            c = _local(t)
            if c in self.ont.classes and (best is None or len(self.ont.ancestors(c)) > len(self.ont.ancestors(best))):
                best = c
        return best or "Entity"

    def class_info(self, cls: str) -> dict:
        colour, shape = self.ont.style(cls) if cls in self.ont.classes else ("#999999", "dot")
        label = self.ont.classes[cls].label if cls in self.ont.classes else cls
        return {"name": cls, "label": label, "colour": colour, "shape": shape}

    def relation_label(self, iri: str) -> str:
        r = _local(iri)
        return self.ont.relations[r].label if r in self.ont.relations else r

    # ------------------------------------------------------------------ search
    def _build_index(self) -> list[SearchEntry]:
        rows = self.select(page_query("search_index"))
        entries: dict[str, SearchEntry] = {}
        types: dict[str, set[str]] = defaultdict(set)
        for r in rows:
            path = entity_path(r["e"])
            if path is None:
                continue
            e = entries.get(path)
            if e is None:
                e = entries[path] = SearchEntry(path, r["label"], "", [(fold(r["label"]), r["label"])])
            types[path].add(r["type"])
            if r.get("alt") and all(w != r["alt"] for _, w in e.forms):
                e.forms.append((fold(r["alt"]), r["alt"]))
        for r in self.select(page_query("search_weights")):
            path = entity_path(r["e"])
            if path in entries:
                entries[path].weight = int(r["n"])
        for path, e in entries.items():
            e.cls = self.best_class(types[path])
        return sorted(entries.values(), key=lambda e: (-e.weight, e.label))

    def _search_index(self) -> list[SearchEntry]:
        """Every entity's label and aliases, built from the store on first use (the graph does not change under the server)."""
        with self._lock:
            if self._index is None:
                self._index = self._build_index()
                self._by_path = {e.path: e for e in self._index}
            return self._index

    def search(self, q: str, limit: int = 10) -> list[dict]:
        index = self._search_index()
        needle = fold(q.strip())
        if not needle:
            return []
        starts, inside = [], []
        for e in index:
            hit = None
            for folded, written in e.forms:
                if folded.startswith(needle) or f" {needle}" in folded:
                    hit = ("start", written)
                    break
                if hit is None and needle in folded:
                    hit = ("inside", written)
            if hit:
                (starts if hit[0] == "start" else inside).append((e, hit[1]))
            if len(starts) >= limit:
                break
        out = []
        for e, written in (starts + inside)[:limit]:
            info = self.class_info(e.cls)
            out.append({"label": e.label, "path": e.path, "cls": e.cls, "classLabel": info["label"],
                        "colour": info["colour"], "matched": written if written != e.label else None,
                        "articles": e.weight})
        return out

    # ------------------------------------------------------------------ entity
    def entity(self, path: str) -> dict | None:
        iri = entity_iri(path)
        if iri is None:
            return None
        node = URIRef(iri)
        rows = self.select(bind(page_query("entity"), entity=node))
        if not rows:
            return None
        cls = self.best_class({r["type"] for r in rows})
        aliases = sorted({r["alt"] for r in rows if r.get("alt")} - {rows[0]["label"]})
        facts = self._facts(iri)
        articles = self.select(bind(page_query("entity_articles"), entity=node))
        extra = self.select(bind(page_query("entity_amount"), entity=node))
        timeline = [{"month": r["month"], "articles": int(r["articles"])} for r in self.select(bind(page_query("entity_timeline"), entity=node))]
        return {
            "iri": iri, "path": path, "label": rows[0]["label"], "cls": self.class_info(cls), "aliases": aliases,
            "groups": facts, "articles": [{"id": article_id(a["a"]), "file": a["file"], "headline": a.get("headline") or a["file"],
                                           "date": a.get("date") or None} for a in articles],
            "value": (extra[0].get("value") if extra else None), "currency": (extra[0].get("currency") if extra else None),
            "timeline": _months(timeline),
        }

    def _describe(self, iris) -> tuple[dict[str, str], dict[str, set[str]]]:
        """The label and types of each of kg's nodes among `iris` (literals and other IRIs are left out)."""
        nodes = sorted({i for i in iris if i.startswith(_ID)})
        labels: dict[str, str] = {}
        types: dict[str, set[str]] = defaultdict(set)
        for chunk in range(0, len(nodes), 500):
            for r in self.select(bind(page_query("describe"), nodes=[URIRef(o) for o in nodes[chunk:chunk + 500]])):
                labels[r["o"]] = r["label"]
                if r.get("type"):
                    types[r["o"]].add(r["type"])
        return labels, types

    def _node(self, value: str, labels: dict[str, str], types: dict[str, set[str]]) -> dict:
        """One end of a fact as a page shows it: an entity (label, page, class) or a literal."""
        path = entity_path(value) if value in labels else None
        if path is None:
            return {"label": labels.get(value, value), "path": None, "cls": None}
        return {"label": labels[value], "path": path, "cls": self.class_info(self.best_class(types.get(value, ())))}

    def _facts(self, iri: str) -> list[dict]:
        """Facts in and out, grouped by relation and other end, each with its source sentences."""
        node = URIRef(iri)
        # one narrow query for the assertions, then labels, classes, files and qualifiers for the
        # distinct nodes they name: joins per row would cost a popular entity (1,800 facts) 4x more
        rows = self.select(bind(page_query("entity_facts"), entity=node))
        labels, types = self._describe({r["other"] for r in rows})
        files, dates = {}, {}
        for r in self.select(bind(page_query("entity_fact_articles"), entity=node)):
            files[r["a"]] = r["file"]
            dates[r["a"]] = r.get("date") or None
        quals: dict[str, dict[str, str]] = defaultdict(dict)
        for r in self.select(bind(page_query("entity_fact_qualifiers"), entity=node)):
            quals[r["x"]][_local(r["q"])] = r["v"]
        for r in rows:
            r["olabel"] = labels.get(r["other"])
            r["file"] = files.get(r["a"], "")
            r.update(quals.get(r["x"], {}))
        groups: dict[tuple[str, str], dict] = {}
        for r in rows:
            key = (r["dir"], r["p"])
            g = groups.setdefault(key, {"dir": r["dir"], "relation": self.relation_label(r["p"]), "items": {}})
            other_path = entity_path(r["other"]) if r.get("olabel") else None
            other_key = r["other"] if r.get("olabel") else " ".join(r["other"].casefold().split())  # 'Prime Minister' = 'prime minister'
            item = g["items"].setdefault(other_key, {
                "label": r.get("olabel") or r["other"], "path": other_path,
                "cls": self.class_info(self.best_class(types.get(r["other"], ()))) if other_path else None,
                "confidence": 0.0, "statuses": set(), "sources": {},
            })
            conf = float(r["conf"])
            item["confidence"] = max(item["confidence"], conf)
            item["statuses"].add(r["status"])
            src = item["sources"].setdefault((r["a"], r["sentence"]), {"sentence": r["sentence"], "article": article_id(r["a"]), "file": r["file"],
                                                                        "date": dates.get(r["a"]), "confidence": conf, "status": r["status"],
                                                                        "qualifiers": {}})
            src["qualifiers"].update({k: r[k] for k in ("date", "amount", "quantity") if r.get(k)})
        out = []
        literal = {key for key, g in groups.items() if not any(i["path"] for i in g["items"].values())}
        for (direction, _), g in sorted(groups.items(), key=lambda kv: (kv[0][0] != "out", kv[0] in literal, kv[1]["relation"])):
            items = []
            for item in g["items"].values():
                item["status"] = "asserted" if item["statuses"] - {"uncertain"} else "uncertain"
                reported = sorted({s["date"] for s in item["sources"].values() if s["date"]})
                item["first"], item["last"] = (reported[0], reported[-1]) if reported else (None, None)
                item["sources"] = sorted(item["sources"].values(), key=lambda s: -s["confidence"])
                items.append(item)
            g["items"] = sorted(items, key=lambda i: (-i["confidence"], i["label"]))
            out.append(g)
        return out

    def neighbours(self, path: str) -> dict | None:
        """The entity and every entity one fact away, for the neighbourhood graph (uncertain facts left out)."""
        iri = entity_iri(path)
        if iri is None:
            return None
        rows = self.select(bind(page_query("neighbours"), entity=URIRef(iri)))
        me = self.select(bind(page_query("entity_label"), entity=URIRef(iri)))
        if not me:
            return None
        types: dict[str, set[str]] = defaultdict(set)
        labels = {iri: me[0]["label"]}
        types[iri] |= {r["type"] for r in me}
        edges = set()
        for r in rows:
            types[r["s"]].add(r["st"])
            types[r["o"]].add(r["ot"])
            labels[r["s"]], labels[r["o"]] = r["sl"], r["ol"]
            edges.add((r["s"], r["p"], r["o"]))
        nodes = []
        for node, label in labels.items():
            p = entity_path(node)
            if p is None:
                continue
            info = self.class_info(self.best_class(types[node]))
            nodes.append({"id": p, "label": label[:60], "cls": info["name"], "classLabel": info["label"], "color": info["colour"], "shape": info["shape"]})
        ids = {n["id"] for n in nodes}
        out_edges = []
        for s, p, o in sorted(edges):
            ps, po = entity_path(s), entity_path(o)
            if ps in ids and po in ids:
                out_edges.append({"id": f"{ps}|{_local(p)}|{po}", "from": ps, "to": po, "label": self.relation_label(p)})
        return {"center": path, "nodes": nodes, "edges": out_edges}

    # ------------------------------------------------------------------ article
    def article(self, ident: str) -> dict | None:
        iri = article_iri(ident)
        if iri is None:
            return None
        node = URIRef(iri)
        rows = self.select(bind(page_query("article"), article=node))
        if not rows:
            return None
        body = rows[0].get("body") or ""
        mentions = self.select(bind(page_query("article_mentions"), article=node))
        types: dict[str, set[str]] = defaultdict(set)
        spans: dict[tuple[int, int], str] = {}
        labels = {}
        for m in mentions:
            types[m["e"]].add(m["type"])
            labels[m["e"]] = m["label"]
            for part in m["offsets"].split():
                a, _, b = part.partition("-")
                if a.isdigit() and b.isdigit() and int(a) < int(b) <= len(body):
                    spans[(int(a), int(b))] = m["e"]
        segments, pos = [], 0
        for (a, b), e in sorted(spans.items()):
            if a < pos:
                continue  # overlapping mentions: the first wins
            if a > pos:
                segments.append({"text": body[pos:a]})
            info = self.class_info(self.best_class(types[e]))
            segments.append({"text": body[a:b], "path": entity_path(e), "cls": info["name"], "colour": info["colour"],
                             "title": f"{labels[e]} ({info['label']})"})
            pos = b
        segments.append({"text": body[pos:]})
        facts = self.select(bind(page_query("article_facts"), article=node))
        return {
            "id": ident, "file": rows[0]["file"], "headline": rows[0].get("headline") or rows[0]["file"], "segments": segments,
            "date": rows[0].get("date") or None, "source": rows[0].get("source") or None,
            "entities": len(labels),
            "facts": [{"subject": f["sl"], "subject_path": entity_path(f["s"]), "relation": self.relation_label(f["p"]),
                       "object": f.get("ol") or f["o"], "object_path": entity_path(f["o"]) if f.get("ol") else None,
                       "confidence": float(f["conf"]), "status": f["status"], "sentence": f["sentence"]} for f in facts],
        }

    # ------------------------------------------------------------------ time
    def date_range(self) -> dict:
        """The graph's first and last publication dates, and how many of its articles are dated."""
        r = (self.select(page_query("date_range")) or [{}])[0]
        return {"first": r.get("first") or None, "last": r.get("last") or None, "dated": int(r.get("dated") or 0),
                "articles": int(r.get("articles") or 0)}

    def articles(self, start: str | None = None, end: str | None = None, limit: int = 2000) -> dict:
        """Articles newest first (undated ones last); with dates, those published from `start` to `end`."""
        s, e = as_date(start), as_date(end)
        rows = self.select(bind(page_query("articles"), dated=bool(s or e), limit=limit, **{"from": s or _EARLIEST, "to": e or _LATEST}))
        return {"from": str(s) if s else None, "to": str(e) if e else None, "range": self.date_range(), "limit": limit,
                "articles": [{"id": article_id(r["a"]), "file": r["file"], "source": r["source"], "headline": r.get("headline") or r["file"],
                              "date": r.get("date") or None} for r in rows]}

    def whats_new(self, start: str | None = None, end: str | None = None) -> dict:
        """Facts first reported from `start` to `end` (by default the last week of the graph's news),
        grouped by relation, each with the articles that state it."""
        import datetime as dt

        span = self.date_range()
        e = as_date(end) or (Literal(span["last"], datatype=XSD.date) if span["last"] else None)
        if e is None:
            return {"from": None, "to": None, "range": span, "groups": [], "facts": 0}
        s = as_date(start)
        # unasked, the period is the last week of the graph's news, or the last month or quarter when that week has no fact
        for days in ((None,) if s is not None else (7, 30, 91)):
            if days is not None:
                s = Literal((dt.date.fromisoformat(str(e)) - dt.timedelta(days=days - 1)).isoformat(), datatype=XSD.date)
            rows = self.select(bind(page_query("whats_new"), **{"from": s, "to": e}))
            if rows:
                break
        labels, types = self._describe({r["s"] for r in rows} | {r["o"] for r in rows})
        facts: dict[tuple[str, str, str], dict] = {}
        for r in rows:
            f = facts.setdefault((r["s"], r["p"], r["o"]), {"relation": self.relation_label(r["p"]), "name": _local(r["p"]), "first": r["first"],
                                                            "subject": self._node(r["s"], labels, types), "object": self._node(r["o"], labels, types),
                                                            "articles": {}})
            f["articles"][r["a"]] = {"id": article_id(r["a"]), "file": r["file"], "headline": r.get("headline") or r["file"], "date": r["date"]}
        groups: dict[str, dict] = {}
        for f in facts.values():
            f["articles"] = sorted(f["articles"].values(), key=lambda a: (a["date"], a["file"]))
            groups.setdefault(f["relation"], {"relation": f["relation"], "name": f["name"], "facts": []})["facts"].append(f)
        for g in groups.values():
            g["facts"].sort(key=lambda f: (f["first"], f["subject"]["label"], f["object"]["label"]))
        return {"from": str(s), "to": str(e), "range": span, "facts": len(facts),
                "groups": sorted(groups.values(), key=lambda g: (-len(g["facts"]), g["relation"]))}

    # ------------------------------------------------------------------ lists the overview counts open
    def relation_facts(self, name: str, limit: int = 1000) -> dict | None:
        """Every fact of one relation (leads aside), most often reported first."""
        if name not in self.ont.relations:
            return None
        rows = self.select(bind(page_query("relation_facts"), relation=URIRef(str(self.ont.relations[name].iri)), limit=limit))
        labels, types = self._describe({r["s"] for r in rows} | {r["o"] for r in rows})
        return {"name": name, "relation": self.ont.relations[name].label, "limit": limit,
                "facts": [{"subject": self._node(r["s"], labels, types), "object": self._node(r["o"], labels, types),
                           "articles": int(r["articles"]), "first": r.get("first") or None, "last": r.get("last") or None,
                           "confidence": float(r["confidence"])} for r in rows]}

    def class_entities(self, name: str, limit: int = 2000) -> dict | None:
        """The entities of one class (the overview counts them by rdf:type), most often named first."""
        if name not in self.ont.classes:
            return None
        rows = self.select(bind(page_query("class_entities"), **{"class": URIRef(str(self.ont.classes[name].iri))}, limit=limit))
        return {"cls": self.class_info(name), "limit": limit,
                "entities": [{"label": r["label"], "path": entity_path(r["e"]), "articles": int(r["articles"])} for r in rows if entity_path(r["e"])]}

    # ------------------------------------------------------------------ overview
    def overview(self) -> dict:
        with self._lock:
            if self._overview is not None:
                return self._overview
        classes = Counter()
        for r in self.select(page_query("overview_classes")):
            c = _local(r["type"])
            if c in self.ont.classes:
                classes[c] = int(r["n"])
        relations = [{"name": _local(r["p"]), "label": self.relation_label(r["p"]), "count": int(r["n"])}
                     for r in self.select(page_query("overview_relations"))]
        degree = self.select(page_query("overview_degree"))
        recent = self.articles(limit=100)
        top = [(r["e"], int(r["n"])) for r in degree if entity_path(r["e"])]
        data = {
            "classes": [{"info": self.class_info(c), "count": n} for c, n in classes.most_common()],
            "relations": relations,
            "top": top,
            "articles": recent["range"]["articles"],
            "article_list": recent["articles"],
            "range": recent["range"],
        }
        with self._lock:
            self._overview = data
        return data

    def top_entities(self, cls: str | None = None, limit: int = 40) -> list[dict]:
        """The most connected entities (optionally of one class and its subclasses)."""
        data = self.overview()
        self._search_index()
        out = []
        for iri, n in data["top"]:
            e = self._by_path.get(entity_path(iri))
            if e is None or (cls and not self.ont.is_a(e.cls, cls)):
                continue
            out.append({"label": e.label, "path": e.path, "cls": self.class_info(e.cls), "facts": n})
            if len(out) >= limit:
                break
        return out
