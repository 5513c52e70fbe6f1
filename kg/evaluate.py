"""Gold JSONL vs the graph kg builds from the same texts → precision, recall, F1.

Facts are scored at corpus level, as ../shared/eval/README.md describes: a predicted
(head, relation, tail) matches a gold fact when the relation is the same and the head and tail
nodes carry a label (rdfs:label or skos:altLabel) equal to the gold name or an alias, after
normalising. Only relations that occur in the gold file are scored. Entities are scored the same
way over the node types the gold annotates (PERSON, ORG, PLACE/LOC, POLICY, MONEY; OTHER is not a
node type in kg and is not scored).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, Literal

from .articles import Article
from .errors import Errors, KGError
from .ontology import KG, load_ontology
from .resolve import normalise

_TYPE_ALIASES = {"LOC": "PLACE", "GPE": "PLACE"}


@dataclass
class Score:
    tp_pred: int = 0
    pred: int = 0
    tp_gold: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        return self.tp_pred / self.pred if self.pred else 0.0

    @property
    def recall(self) -> float:
        return self.tp_gold / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    relations: dict[str, Score] = field(default_factory=dict)
    micro: Score = field(default_factory=Score)
    entities: Score = field(default_factory=Score)
    documents: int = 0
    errors: list[str] = field(default_factory=list)  # missed and spurious facts, for inspection
    judged: list[tuple[float, bool]] = field(default_factory=list)  # each predicted fact: its confidence, and whether it is right
    verdicts: dict[tuple, bool] = field(default_factory=dict)  # (subject, predicate, object) → right, for each scored fact

    def calibration(self, bins=(0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)) -> list[tuple[float, float, int, float]]:
        """(low, high, facts, share right) per confidence bin: is a fact at 0.8 right 8 times in 10?"""
        out = []
        for lo, hi in zip(bins, bins[1:]):
            inside = [ok for c, ok in self.judged if lo <= c < hi or (hi == bins[-1] and c == hi)]
            out.append((lo, hi, len(inside), sum(inside) / len(inside) if inside else float("nan")))
        return out

    def calibration_lines(self) -> list[str]:
        out = [f"{'confidence':<12} {'facts':>6} {'right':>6}"]
        for lo, hi, n, share in self.calibration():
            out.append(f"{lo:.1f}–{hi:.1f}     {n:6d} {share:6.3f}" if n else f"{lo:.1f}–{hi:.1f}     {n:6d}      -")
        high = [ok for c, ok in self.judged if c >= 0.8]
        if high:
            out.append(f"≥ 0.8        {len(high):6d} {sum(high) / len(high):6.3f}")
        return out

    def lines(self) -> list[str]:
        out = [f"{'relation':<16} {'P':>6} {'R':>6} {'F1':>6} {'gold':>5} {'pred':>5}"]
        for name, s in sorted(self.relations.items()):
            out.append(f"{name:<16} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.gold:5d} {s.pred:5d}")
        m, e = self.micro, self.entities
        out.append(f"{'relations micro':<16} {m.precision:6.3f} {m.recall:6.3f} {m.f1:6.3f} {m.gold:5d} {m.pred:5d}")
        out.append(f"{'entities':<16} {e.precision:6.3f} {e.recall:6.3f} {e.f1:6.3f} {e.gold:5d} {e.pred:5d}")
        out.append(f"documents: {self.documents}; relation micro-F1 {m.f1:.3f}; entity F1 {e.f1:.3f}")
        return out


def _type(t: str) -> str:
    return _TYPE_ALIASES.get(t, t)


def load_gold(path: str | Path) -> list[dict]:
    p = Path(path)
    if not p.is_file():
        raise KGError(Errors.E001.format(path=path))
    docs = []
    with open(p, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                d["text"], d.setdefault("entities", []), d.setdefault("relations", [])
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise KGError(Errors.E040.format(path=path, reason=f"line {n}: {e}")) from None
            docs.append(d)
    if not docs:
        raise KGError(Errors.E040.format(path=path, reason="no documents"))
    return docs


def evaluate(gold_path: str | Path, model: str | None = None, graph_store=None) -> Report:
    """Build the gold texts into a fresh in-memory graph and score it."""
    from .builder import build_into
    from .store import KGStore

    docs = load_gold(gold_path)
    store = graph_store or KGStore.memory()
    if graph_store is None:
        arts = [Article.from_text(d["text"], path=d.get("id", f"doc-{i}")) for i, d in enumerate(docs)]
        build_into(store, arts, model=model)
    return score(docs, store.to_rdflib())


def score(docs: list[dict], g) -> Report:
    ont = load_ontology()
    rep = Report(documents=len(docs))

    # Gold entities and facts, as sets of normalised names.
    gold_ents: dict[tuple[frozenset, str], None] = {}
    gold_facts: set[tuple[frozenset, str, frozenset]] = set()
    for d in docs:
        names: dict[str, frozenset] = {}
        for e in d["entities"]:
            name = e.get("name") or e.get("text")
            forms = frozenset(normalise(x) for x in [name, *e.get("aliases", [])] if x)
            names[name] = forms
            if _type(e.get("type", "")) != "OTHER":
                gold_ents[(forms, _type(e.get("type", "")))] = None
        for r in d["relations"]:
            h = names.get(r["head"], frozenset([normalise(r["head"])]))
            t = names.get(r["tail"], frozenset([normalise(r["tail"])]))
            gold_facts.add((h, r["relation"], t))
    gold_relations = {r for _, r, _ in gold_facts}
    gold_types = {t for _, t in gold_ents}

    # Predicted nodes: labels and scored type.
    labels: dict = defaultdict(set)
    for p in (RDFS.label, SKOS.altLabel):
        for s, o in g.subject_objects(p):
            labels[s].add(normalise(str(o)))
    pred_types: dict = {}
    for cls_name, c in ont.classes.items():
        for s in g.subjects(RDF.type, c.iri):
            for t in ont.gold_types(cls_name):
                if _type(t) in gold_types:
                    pred_types.setdefault(s, _type(t))

    def labels_of(node) -> set[str]:
        return {normalise(str(node))} if isinstance(node, Literal) else labels.get(node, set())

    # Entities.
    ent = rep.entities
    ent.gold = len(gold_ents)
    matched_gold = set()
    for s, t in pred_types.items():
        ls = labels.get(s, set())
        hit = [k for k in gold_ents if k[1] == t and ls & k[0]]
        ent.pred += 1
        if hit:
            ent.tp_pred += 1
            matched_gold.update(hit)
        else:
            rep.errors.append(f"spurious entity: {sorted(ls)[:2]} {t}")
    ent.tp_gold = len(matched_gold)
    for k in gold_ents:
        if k not in matched_gold:
            rep.errors.append(f"missed entity:   {sorted(k[0])[:2]} {k[1]}")

    # Facts.
    for rel in sorted(gold_relations):
        rep.relations[rel] = Score()
    # each direct triple's confidence: the highest of the assertions that state it (leads aside)
    confidence: dict[tuple, float] = {}
    for a in g.subjects(RDF.type, KG.Assertion):
        if str(g.value(a, KG.status)) == "uncertain":
            continue
        key = (g.value(a, RDF.subject), g.value(a, RDF.predicate), g.value(a, RDF.object))
        confidence[key] = max(confidence.get(key, 0.0), float(g.value(a, KG.confidence) or 0.0))
    preds = []
    for rel in gold_relations:
        iri = ont.relations[rel].iri if rel in ont.relations else KG[rel]
        for s, o in g.subject_objects(iri):
            preds.append((s, rel, o))
    matched_facts = set()
    for s, rel, o in preds:
        sl, ol = labels_of(s), labels_of(o)
        sym = rel in ont.relations and ont.relations[rel].symmetric
        hits = [
            f for f in gold_facts
            if f[1] == rel and ((sl & f[0] and ol & f[2]) or (sym and sl & f[2] and ol & f[0]))
        ]
        sc = rep.relations[rel]
        sc.pred += 1
        triple = (s, ont.relations[rel].iri if rel in ont.relations else KG[rel], o)
        rep.judged.append((confidence.get(triple, 0.0), bool(hits)))
        rep.verdicts[triple] = bool(hits)
        if hits:
            sc.tp_pred += 1
            matched_facts.update(hits)
        else:
            rep.errors.append(f"spurious: {sorted(sl)[:1]} {rel} {sorted(ol)[:1]}")
    for f in gold_facts:
        sc = rep.relations[f[1]]
        sc.gold += 1
        if f in matched_facts:
            sc.tp_gold += 1
        else:
            rep.errors.append(f"missed:   {sorted(f[0])[:1]} {f[1]} {sorted(f[2])[:1]}")
    m = rep.micro
    for sc in rep.relations.values():
        m.tp_pred += sc.tp_pred
        m.pred += sc.pred
        m.tp_gold += sc.tp_gold
        m.gold += sc.gold
    return rep
