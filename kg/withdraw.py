"""Taking articles back out of the graph: a changed source replaced, a withdrawn one forgotten.

What an article put in the graph is found from the graph itself: its node; the kg:Assertion and
kg:Mentions nodes derived from it (prov:wasDerivedFrom); its entities' kg:mentionedIn links. Forgetting
it removes those, then
- a direct triple (`:Acme kg:acquired :Beta`) goes only when no other article's assertion states it;
- an entity no other article names goes whole; one that others still name keeps its node (and IRI),
  with its labels and types re-read from what the remaining articles say of it (their kg:Mentions:
  names, preferred name, class). Its rdfs:label stays while some article still writes it, else it
  becomes the preferred name of the article whose source sorts first, as a fresh build would give.

Everything is computed first and written in one update: interrupted, the store is as before.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, SKOS, Literal, URIRef, XSD

from .errors import Errors, KGError
from .mapping import build_iri, money
from .ontology import KG, PROV

Triple = tuple
_CHUNK = 400  # VALUES rows per query: large forgets ask in pieces
_ENTITY_LEVEL = {RDF.type, RDFS.label, SKOS.altLabel, KG.value, KG.currency}


@dataclass
class Withdrawal:
    """What forgetting some articles changes: triples to delete and to insert, in one update."""

    articles: set[URIRef]
    delete: set[Triple] = field(default_factory=set)
    insert: set[Triple] = field(default_factory=set)
    gone: set[URIRef] = field(default_factory=set)  # entities no remaining article names
    labels: dict[URIRef, str] = field(default_factory=dict)  # the rdfs:label of each entity that stays


def _chunks(items: list, n: int = _CHUNK):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _values(terms: Iterable) -> str:
    return " ".join(t.n3() for t in terms)


def withdrawal(store, articles: Iterable[URIRef], incoming: dict[str, set[str]] | None = None) -> Withdrawal:
    """What taking `articles` out of the graph in `store` deletes and inserts.

    `incoming`: when the articles are being replaced, the names the new text gives each entity, by
    match key: a label the new text still writes is kept."""
    plan = Withdrawal(set(articles))
    if not plan.articles:
        return plan
    arts = sorted(plan.articles)
    derived: dict[URIRef, dict] = defaultdict(dict)  # assertion → its subject, predicate, object, status
    for part in _chunks(arts):
        values = _values(part)
        for x, p, o in store.rows(f"""SELECT ?x ?p ?o WHERE {{ {{ VALUES ?x {{ {values} }} }}
                                      UNION {{ VALUES ?a {{ {values} }} ?x prov:wasDerivedFrom ?a }} ?x ?p ?o }}"""):
            plan.delete.add((x, p, o))
            if p in (RDF.subject, RDF.predicate, RDF.object, KG.status):
                derived[x][p] = o
    _facts(store, plan, derived)
    _entities(store, plan, incoming or {})
    return plan


def _facts(store, plan: Withdrawal, derived: dict[URIRef, dict]) -> None:
    """Direct triples that only the forgotten articles' assertions state."""
    stated = {(d[RDF.subject], d[RDF.predicate], d[RDF.object]) for d in derived.values()
              if len(d) == 4 and str(d[KG.status]) != "uncertain"}
    kept = set()
    for part in _chunks(sorted(stated)):
        rows = " ".join(f"({s.n3()} {p.n3()} {o.n3()})" for s, p, o in part)
        for s, p, o, a in store.rows(f"""SELECT DISTINCT ?s ?p ?o ?a WHERE {{ VALUES (?s ?p ?o) {{ {rows} }}
                                        ?y rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; kg:status ?st ; prov:wasDerivedFrom ?a .
                                        FILTER(?st != "uncertain") }}"""):
            if a not in plan.articles:
                kept.add((s, p, o))
    plan.delete |= stated - kept


def _entities(store, plan: Withdrawal, incoming: dict[str, set[str]]) -> None:
    """Entities the articles named: gone when nothing else names them, else re-read from what still does."""
    touched = set()
    for part in _chunks(sorted(plan.articles)):
        for e, a in store.rows(f"SELECT ?e ?a WHERE {{ VALUES ?a {{ {_values(part)} }} ?e kg:mentionedIn ?a }}"):
            touched.add(e)
            plan.delete.add((e, KG.mentionedIn, a))
    if not touched:
        return
    own: dict[URIRef, set[Triple]] = defaultdict(set)  # each entity's own triples
    still: dict[URIRef, set] = defaultdict(set)  # each entity's remaining articles
    said: dict[URIRef, dict] = defaultdict(lambda: defaultdict(lambda: {"names": set(), "types": set(), "preferred": None, "source": ""}))
    for part in _chunks(sorted(touched)):
        values = _values(part)
        for e, p, o in store.rows(f"SELECT ?e ?p ?o WHERE {{ VALUES ?e {{ {values} }} ?e ?p ?o }}"):
            own[e].add((e, p, o))
            if p == KG.mentionedIn and o not in plan.articles:
                still[e].add(o)
        for e, m, a, src, typ, pref, name in store.rows(f"""
                SELECT ?e ?m ?a ?src ?type ?pref ?name WHERE {{ VALUES ?e {{ {values} }} ?m kg:entity ?e ; prov:wasDerivedFrom ?a .
                  OPTIONAL {{ ?a kg:source ?src }} OPTIONAL {{ ?m kg:entityType ?type }} OPTIONAL {{ ?m kg:preferredName ?pref }}
                  OPTIONAL {{ ?m kg:name ?name }} }}"""):
            if a in plan.articles:
                continue
            info = said[e][m]
            info["source"] = str(src or "")
            if typ is not None:
                info["types"].add(typ)
            if pref is not None:
                info["preferred"] = str(pref)
            if name is not None:
                info["names"].add(str(name))
    for e in touched:
        if not still[e]:
            plan.gone.add(e)
            plan.delete |= own[e]
            continue
        mentions = [m for m in said[e].values() if m["preferred"]]
        for m in mentions:
            m["names"].add(m["preferred"])  # kg:name holds the other names only
        current_label = next((str(o) for _, p, o in own[e] if p == RDFS.label), None)
        if not mentions:  # a graph from before kg kept what each article says of an entity: leave it be
            if current_label is not None:
                plan.labels[e] = current_label
            continue
        names = set().union(*(m["names"] for m in mentions))
        key = next((str(o) for _, p, o in own[e] if p == KG.matchKey), "")
        if current_label in names | incoming.get(key, set()):
            label = current_label
        else:
            label = min(mentions, key=lambda m: m["source"])["preferred"]
        want = {(e, RDFS.label, Literal(label))}
        want |= {(e, SKOS.altLabel, Literal(n)) for n in names - {label}}
        want |= {(e, RDF.type, t) for m in mentions for t in m["types"]}
        if any(p == KG.value for _, p, _ in own[e]):  # an amount: its value is read from its label
            want |= {(e, p, o) for p, o in money(label)}
        have = {t for t in own[e] if t[1] in _ENTITY_LEVEL}
        plan.delete |= have - want
        plan.insert |= want - have
        plan.labels[e] = label


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def activity_triples(iri: URIRef, command: str, started: str) -> list[Triple]:
    """A kg:Build (a prov:Activity) as it starts: which command, when, with which kg."""
    from . import __version__

    return [(iri, RDF.type, KG.Build), (iri, RDFS.label, Literal(f"kg {command} {started}")), (iri, KG.command, Literal(command)),
            (iri, PROV.startedAtTime, Literal(started, datatype=XSD.dateTime)), (iri, KG.kgVersion, Literal(__version__))]


def activity_end(iri: URIRef, counts: dict[str, int], models: Iterable[str] = ()) -> list[Triple]:
    """What a kg:Build did, when it ends: the articles it added, replaced and forgot, the models it read with."""
    out = [(iri, PROV.endedAtTime, Literal(now(), datatype=XSD.dateTime))]
    out += [(iri, KG.modelVersion, Literal(m)) for m in models]
    out += [(iri, KG[name], Literal(n)) for name, n in counts.items()]
    return out


def new_activity() -> tuple[URIRef, str]:
    """A fresh kg:Build IRI and its start time."""
    import secrets

    started = now()
    return build_iri(started.replace(":", "").replace("-", "") + "-" + secrets.token_hex(3)), started


def find_articles(store, sources: Iterable[str]) -> tuple[dict[str, URIRef], list[str]]:
    """The article of each source (as the graph names it: its kg:source, else the file name given when
    it was built); and the sources no article comes from."""
    by_source, by_file = {}, {}
    for a, src, f in store.rows("SELECT ?a ?source ?file WHERE { ?a a kg:NewsArticle ; kg:source ?source ; kg:fileName ?file }"):
        by_source[str(src)], by_file[str(f)] = a, a
    found, missing = {}, []
    for src in sources:
        iri = by_source.get(src) or by_file.get(src)
        if iri is None:
            missing.append(src)
        else:
            found[src] = iri
    return found, missing


def forget_in(store, sources: Iterable[str], location: str = "the graph") -> Withdrawal:
    """Withdraw the articles of `sources` from an open store, in one transaction, recorded as a kg:Build."""
    iri, started = new_activity()
    found, missing = find_articles(store, list(sources))
    if missing:
        raise KGError(Errors.E090.format(path=location, sources=", ".join(repr(s) for s in missing[:5]) + (", …" if len(missing) > 5 else "")))
    plan = withdrawal(store, set(found.values()))
    record = activity_triples(iri, "forget", started) + activity_end(iri, {"articlesForgotten": len(plan.articles)})
    store.apply(plan.delete, plan.insert | set(record))
    return plan
