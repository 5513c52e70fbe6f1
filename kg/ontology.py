"""The ontology files (ontology/*.ttl) → a frozen Ontology: classes, relations, styles, alias table."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, Namespace, URIRef

from . import names

KG = Namespace(names.KG)
ID = Namespace(names.ID)
SCHEMA = Namespace(names.SCHEMA)
PROV = Namespace(names.PROV)

_PKG = Path(__file__).resolve().parent


def data_path(*parts: str) -> Path:
    """A shipped data file: inside the wheel (kg/_data) or in the source checkout."""
    bundled = _PKG / "_data" / Path(*parts)
    if bundled.exists():
        return bundled
    top = _PKG.parent
    if parts[0] == "ontology":
        return top / Path(*parts)
    return top / "data" / Path(*parts)


ONTOLOGY_DIR = data_path("ontology")
ALIASES_PATH = data_path("aliases.jsonl")


@dataclass(frozen=True)
class Relation:
    """One ontology property the extractor can emit."""

    name: str
    iri: URIRef
    label: str
    comment: str
    domain: frozenset[str]
    range: frozenset[str]
    symmetric: bool
    literal: bool


@dataclass(frozen=True)
class EntityClass:
    name: str
    iri: URIRef
    label: str
    parents: tuple[str, ...]
    ner_labels: tuple[str, ...]
    gold_types: tuple[str, ...]
    colour: str
    shape: str


@dataclass(frozen=True)
class KnownEntity:
    """A row of the alias table in data/aliases.jsonl."""

    name: str
    cls: str
    aliases: tuple[str, ...]
    demonyms: tuple[str, ...]


@dataclass(frozen=True)
class Ontology:
    graph: Graph = field(repr=False)
    classes: dict[str, EntityClass]
    relations: dict[str, Relation]
    known: tuple[KnownEntity, ...] = field(repr=False)
    lineage: dict[str, tuple[str, ...]] = field(repr=False, default_factory=dict)  # class → itself and superclasses

    def class_for_ner(self, label: str) -> str | None:
        """The most general class that claims a spaCy NER label."""
        for c in self.classes.values():
            if label in c.ner_labels:
                return c.name
        return None

    def ancestors(self, name: str) -> list[str]:
        """The class and its superclasses in this ontology, nearest first."""
        return list(self.lineage.get(name, ()))

    def is_a(self, name: str, ancestor: str) -> bool:
        return ancestor in self.ancestors(name)

    def top_class(self, name: str) -> str:
        """The broad class used in IRIs: Person, Organization, Place, Policy, Product, ..."""
        chain = self.ancestors(name)
        for c in chain:
            if self.classes[c].parents and set(self.classes[c].parents) <= {"Entity", "Agent"}:
                return c
        return chain[-1] if chain else name

    def accepts(self, relation: str, head_cls: str, tail_cls: str | None) -> bool:
        """True when the relation's domain and range admit these classes."""
        rel = self.relations[relation]
        if not any(self.is_a(head_cls, d) for d in rel.domain):
            return False
        if rel.literal or tail_cls is None:
            return rel.literal and tail_cls is None
        return any(self.is_a(tail_cls, r) for r in rel.range)

    def gold_types(self, name: str) -> tuple[str, ...]:
        for c in self.ancestors(name):
            if self.classes[c].gold_types:
                return self.classes[c].gold_types
        return ()

    def style(self, name: str) -> tuple[str, str]:
        for c in self.ancestors(name):
            if self.classes[c].colour:
                return self.classes[c].colour, self.classes[c].shape
        return "#9e9e9e", "dot"


def _local(iri) -> str:
    return str(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _label(g: Graph, s) -> str:
    lab = g.value(s, RDFS.label)
    return str(lab) if lab is not None else _local(s)


@functools.cache
def load_ontology(directory: str | None = None, aliases: str | None = None) -> Ontology:
    """Read kg.ttl, style.ttl and the alias table (cached: the files do not change at run time)."""
    d = Path(directory) if directory else ONTOLOGY_DIR
    g = Graph()
    g.bind("kg", KG)
    for name in ("kg.ttl", "style.ttl"):
        g.parse(d / name, format="turtle")

    classes = {}
    for s in g.subjects(RDF.type, OWL.Class):
        if not str(s).startswith(str(KG)):
            continue
        name = _local(s)
        parents = tuple(sorted(_local(p) for p in g.objects(s, RDFS.subClassOf) if str(p).startswith(str(KG))))
        classes[name] = EntityClass(
            name=name,
            iri=s,
            label=_label(g, s),
            parents=parents,
            ner_labels=tuple(sorted(str(x) for x in g.objects(s, KG.nerLabel))),
            gold_types=tuple(sorted(str(x) for x in g.objects(s, KG.goldType))),
            colour=str(g.value(s, KG.colour) or ""),
            shape=str(g.value(s, KG.shape) or ""),
        )

    relations = {}
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty):
        for s in g.subjects(RDF.type, kind):
            dom = frozenset(_local(x) for x in g.objects(s, SCHEMA.domainIncludes))
            if not str(s).startswith(str(KG)) or not dom:
                continue  # provenance properties have no domainIncludes: not extractable
            name = _local(s)
            relations[name] = Relation(
                name=name,
                iri=s,
                label=_label(g, s),
                comment=str(g.value(s, RDFS.comment) or ""),
                domain=dom,
                range=frozenset(_local(x) for x in g.objects(s, SCHEMA.rangeIncludes)),
                symmetric=(s, RDF.type, OWL.SymmetricProperty) in g,
                literal=kind == OWL.DatatypeProperty,
            )

    known = []
    with open(aliases or ALIASES_PATH, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                known.append(
                    KnownEntity(row["name"], row["class"], tuple(row.get("aliases", ())), tuple(row.get("demonyms", ())))
                )
    return Ontology(graph=g, classes=classes, relations=relations, known=tuple(known), lineage=_lineage(classes))


def _lineage(classes: dict[str, EntityClass]) -> dict[str, tuple[str, ...]]:
    """Each class with its superclasses, nearest first (breadth-first over rdfs:subClassOf), computed once."""
    out = {}
    for name in classes:
        chain, todo = [], [name]
        while todo:
            n = todo.pop(0)
            if n in chain or n not in classes:
                continue
            chain.append(n)
            todo.extend(classes[n].parents)
        out[name] = tuple(chain)
    return out
