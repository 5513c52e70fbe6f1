"""A learned relation classifier over same-sentence entity pairs: recall where the patterns run out.

Features (each conjoined with the ordered type pair): the dependency path between the two
entities' root tokens (with and without the words on it, and again from the first conjunct or
the noun an appositive renames), its top word, the words between them and the kinds of entity
between them, the words just outside them, the entities' own words and NER labels, whether one
is in brackets or opens the sentence, their order and distance. The model is a
multinomial logistic regression trained by `kg train` (kg/training.py) and stored as plain JSON
weights in kg/models/relations.json, so prediction needs no scikit-learn and no pickles.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span

from .syntax import coordination, governor

MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "relations.json"
PLACE = {"GPE", "LOC", "FAC"}
CONJ, CONJ_APPOS = frozenset({"conj"}), frozenset({"conj", "appos"})
DISTRIBUTE_MIN = 0.8  # only confident relations are distributed over conjuncts
# Coarse entity types the classifier sees, and the relations each ordered pair may hold.
PAIRS = {
    ("PERSON", "ORG"): "worksFor",
    ("ORG", "PLACE"): "basedIn",
    ("PERSON", "PLACE"): "livesIn",
    ("PLACE", "PLACE"): "locatedIn",
    ("PERSON", "PERSON"): "killed",
}


def coarse(label: str) -> str | None:
    if label in PLACE:
        return "PLACE"
    if label in {"PERSON", "ORG"}:
        return label
    return None


def _path(a, b) -> tuple[list[str], list[str]]:
    """Dependency path from token a up to the common ancestor and down to b."""
    up_a = [a, *a.ancestors]
    up_b = [b, *b.ancestors]
    ids_b = {t.i for t in up_b}
    lca = next((t for t in up_a if t.i in ids_b), None)
    if lca is None:
        return ["NOPATH"], ["NOPATH"]
    left = up_a[: [t.i for t in up_a].index(lca.i)]
    right = up_b[: [t.i for t in up_b].index(lca.i)]
    deps = [f"<{t.dep_}" for t in left] + [f"^{lca.pos_}"] + [f">{t.dep_}" for t in reversed(right)]
    words = [f"<{t.dep_}:{t.lemma_.lower()}" for t in left[1:]] + [f"^{lca.lemma_.lower()}"] + [f">{t.dep_}:{t.lemma_.lower()}" for t in reversed(right[1:])]
    return deps, words


def features(e1: Span, e2: Span, t1: str, t2: str) -> dict[str, float]:
    doc = e1.doc
    pair = f"{t1}>{t2}"
    f: dict[str, float] = {}

    def add(name: str, value: float = 1.0):
        f[f"{pair}|{name}"] = value
        f[name] = value

    first, second = (e1, e2) if e1.start < e2.start else (e2, e1)
    add("order:" + ("12" if e1.start < e2.start else "21"))
    between = doc[first.end : second.start]
    dist = len(between)
    add(f"dist:{min(dist, 10) if dist < 10 else '10+'}")
    deps, words = _path(e1.root, e2.root)
    add("path:" + " ".join(deps))
    add("lca:" + next((w for w in words if w.startswith("^")), "^"))
    add(f"labels:{e1.label_}>{e2.label_}")
    add("pathw:" + " ".join(words))
    add(f"pathlen:{min(len(deps), 8)}")
    for w in words:
        add("pw:" + w)
    # The same path from the first conjunct / the noun an appositive renames: "taught at Harvard and
    # the National War College" gives the College the path Harvard has.
    n1, n2 = governor(e1.root, CONJ_APPOS), governor(e2.root, CONJ_APPOS)
    if (n1.i, n2.i) != (e1.root.i, e2.root.i) and n1.i != n2.i:
        ndeps, nwords = _path(n1, n2)
        add("npath:" + " ".join(ndeps))
        add("npathw:" + " ".join(nwords))
    for t in between:
        if not t.is_punct:
            add("bw:" + t.lemma_.lower())
    if dist <= 4:
        add("btw:" + " ".join(t.lower_ for t in between))
    inside = [e for e in doc.ents if first.end <= e.start and e.end <= second.start]
    add("ents_between:" + str(min(len(inside), 3)))
    kinds = sorted({k for e in inside if (k := coarse(e.label_))})
    add("kinds_between:" + "+".join(kinds))
    sent_start = e1.sent.start
    for name, ent in (("1", e1), ("2", e2)):
        if _bracketed(ent):
            add(f"paren{name}")
        if ent.start - sent_start <= 1:
            add(f"opens{name}")
    for name, ent in (("w1", e1), ("w2", e2)):
        for t in ent:
            add(f"{name}:{t.lower_}")
        add(f"{name}shape:{len(ent)}")
    if first.start > 0:
        add("before:" + doc[first.start - 1].lower_)
    if second.end < len(doc):
        add("after:" + doc[second.end].lower_)
    if first.end < len(doc):
        add("right1:" + doc[first.end].lower_)
    if second.start > 0:
        add("left2:" + doc[second.start - 1].lower_)
    return f


def candidate_pairs(sent_ents: list[tuple[Span, str]]):
    """Ordered pairs of entities (with coarse types) whose type pair can hold a relation."""
    for i, (a, ta) in enumerate(sent_ents):
        for j, (b, tb) in enumerate(sent_ents):
            if i != j and (ta, tb) in PAIRS:
                yield a, b, ta, tb


class LinearModel:
    """Multinomial logistic regression from JSON: {"classes", "intercept", "weights": {feature: [w...]}}."""

    def __init__(self, data: dict):
        self.classes: list[str] = data["classes"]
        self.intercept: list[float] = data["intercept"]
        self.weights: dict[str, list[float]] = data["weights"]
        self.threshold: float = data.get("threshold", 0.5)
        self.thresholds: dict[str, float] = data.get("thresholds", {})  # per relation, chosen on dev

    def predict(self, feats: dict[str, float]) -> tuple[str, float]:
        scores = list(self.intercept)
        for name, value in feats.items():
            w = self.weights.get(name)
            if w:
                for k, wk in enumerate(w):
                    scores[k] += wk * value
        m = max(scores)
        exp = [math.exp(s - m) for s in scores]
        z = sum(exp)
        k = max(range(len(scores)), key=scores.__getitem__)
        return self.classes[k], exp[k] / z


@cache
def load_model(path: str | None = None) -> LinearModel | None:
    p = Path(path) if path else MODEL_PATH
    if not p.exists():
        return None
    with open(p, encoding="utf-8") as f:
        return LinearModel(json.load(f))


class RelationClassifier:
    def __init__(self, nlp: Language, name: str, model: str | None = None):
        self.name = name
        self.model = load_model(model)

    def __call__(self, doc: Doc) -> Doc:
        if self.model is None:
            return doc
        out = list(doc._.kg_relations or [])
        for sent in doc.sents:
            ents = [(e, coarse(e.label_)) for e in doc.ents if sent.start <= e.start < sent.end]
            ents = [(e, t) for e, t in ents if t]
            found: dict[tuple[int, int], tuple[str, float]] = {}
            for a, b, ta, tb in candidate_pairs(ents):
                label, prob = self.model.predict(features(a, b, ta, tb))
                if label != "none" and prob >= self.model.thresholds.get(label, self.model.threshold):
                    found[(a.root.i, b.root.i)] = (label, prob)
            found = _distribute(doc, found, ents)
            for (head, tail), (label, prob) in found.items():
                out.append(
                    {
                        "head": head, "relation": label, "tail": tail, "literal": None,
                        "pattern": "classifier.logreg.v1", "confidence": round(prob, 3), "anchor": head,
                        "sent_start": sent.start_char, "sent_end": sent.end_char, "status": "asserted",
                        "qualifiers": {}, "attributed_to": None, "relation_by_tail_class": None,
                    }
                )
        doc._.kg_relations = out
        return doc


def _bracketed(ent: Span) -> bool:
    doc = ent.doc
    return ent.start > 0 and ent.end < len(doc) and doc[ent.start - 1].text == "(" and doc[ent.end].text == ")"


def _distribute(doc: Doc, found: dict, ents: list[tuple[Span, str]]) -> dict:
    """A relation holds for every conjunct of an endpoint of the same type: 'the Andean Group
    (Colombia, Bolivia, Ecuador)' is based in all three once it is found to be based in one."""
    kind = {e.root.i: t for e, t in ents}
    out = dict(found)
    for (head, tail), (label, prob) in found.items():
        if prob < DISTRIBUTE_MIN:
            continue
        for h in coordination(doc[head], CONJ):
            for t in coordination(doc[tail], CONJ):
                if h.i == t.i or (h.i, t.i) in out or (t.i, h.i) in out:
                    continue
                if kind.get(h.i) == kind[head] and kind.get(t.i) == kind[tail]:
                    out[(h.i, t.i)] = (label, prob * 0.9)
    return out


@Language.factory("kg_relation_classifier", default_config={"model": None})
def make_relation_classifier(nlp: Language, name: str, model: str | None):
    return RelationClassifier(nlp, name, model)
