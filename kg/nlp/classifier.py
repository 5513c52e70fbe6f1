"""A learned, document-level relation model: every pair of entity clusters, scored from all their mentions.

An entity is a cluster of mentions (kg/resolve.py: names, surnames, demonyms). For a pair of
clusters the model pools (a) the sentence features of every pair of their mentions that share a
sentence: the dependency path between them (with and without its words, again from the first
conjunct or the noun an appositive renames), its top word, the words and kinds of entity between
them, the words around them, bracketing and order; and (b) document features: the two classes,
how many sentences they share and how far apart they are, the words each entity is introduced
with ("Chancellor", "the carmaker", "German"), the words of their names, whether one's name or
demonym is inside the other's ("German Foreign Ministry" and Germany), and how salient each is
in the article. A text of one or two sentences gets a second, prefixed copy of every feature
(CoNLL04's sentence-level conventions stay apart from DWIE's article-level ones). One logistic regression per relation (a pair can hold several: a chief
executive works for and leads a company), trained by `kg train` (kg/training.py) on DWIE's
document-level facts, CoNLL04's sentences and kg's written sentences, over the clusters kg itself
finds. The weights ship as kg/models/relations.npz (each feature as a 64-bit BLAKE2b hash of its
name, with its row of weights; + .json: relations, thresholds, calibration), so prediction needs no
scikit-learn and no pickles, and loading builds no table of half a million names.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from spacy.tokens import Doc, Span

from .paths import model_path
from .syntax import SHORT_TEXT, governor

PLACE = {"GPE", "LOC", "FAC"}
CONJ_APPOS = frozenset({"conj", "appos"})
COARSE = {"Person": "PERSON", "Organization": "ORG", "Place": "PLACE"}
SENT_WINDOW = 3  # clusters further apart than this many sentences pair only when one is salient
SHORT_PREFIX = "short|"  # the prefix of the feature copy a text read as sentences gets
MAX_MENTION_PAIRS = 8  # per cluster pair, the closest same-sentence mention pairs give sentence features


def coarse(label: str) -> str | None:
    if label in PLACE:
        return "PLACE"
    if label in {"PERSON", "ORG"}:
        return label
    return None


@dataclass
class Cluster:
    """One entity of one document, as the relation model sees it."""

    key: str
    cls: str  # the ontology class (Country, Company, ...)
    top: str  # Person, Organization, Place
    label: str
    forms: frozenset[str]  # lower-cased names, aliases and demonyms
    mentions: list[Span] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return COARSE[self.top]


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


def features(e1: Span, e2: Span, t1: str, t2: str, ents: tuple[Span, ...] | None = None) -> dict[str, float]:
    """Sentence features of one mention pair; `ents` is doc.ents, passed in when it is at hand."""
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
    inside = [e for e in (doc.ents if ents is None else ents) if first.end <= e.start and e.end <= second.start]
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


def _bracketed(ent: Span) -> bool:
    doc = ent.doc
    return ent.start > 0 and ent.end < len(doc) and doc[ent.start - 1].text == "(" and doc[ent.end].text == ")"


def _context(m: Span) -> set[str]:
    """The words a mention is introduced with: its title and modifiers ('German Chancellor X'), an
    appositive's noun ('X, the carmaker'), the noun it modifies or belongs to ('Germany's
    chancellor', 'the chief executive of X')."""
    doc, root = m.doc, m.root
    out = set()
    for c in root.children:
        if m.start <= c.i < m.end:
            continue
        if c.dep_ in {"compound", "amod", "nmod"}:
            out.add(c.lemma_.lower())
        elif c.dep_ == "appos":
            out.add("appos:" + c.lemma_.lower())
            out.update("appos:" + cc.lemma_.lower() for cc in c.children if cc.dep_ in {"compound", "amod"})
    if root.dep_ == "appos":
        out.add("appos:" + root.head.lemma_.lower())
        out.update("appos:" + cc.lemma_.lower() for cc in root.head.children if cc.dep_ in {"compound", "amod"} and not m.start <= cc.i < m.end)
    if root.dep_ in {"compound", "amod", "poss", "nmod"} and not m.start <= root.head.i < m.end:
        out.add("mod:" + root.head.lemma_.lower())
    if root.dep_ == "pobj" and root.head.lower_ in {"of", "for", "at", "with"}:
        out.add(f"{root.head.lower_}:" + root.head.head.lemma_.lower())
    for t in doc[max(m.start - 3, m.sent.start) : m.start]:
        if t.is_alpha:
            out.add("pre:" + t.lower_)
    return out


class PairContext:
    """What the pair features need to know about one document's clusters, computed once."""

    def __init__(self, doc: Doc, clusters: list[Cluster]):
        import bisect

        self.doc = doc
        self.ents = doc.ents
        self.sents = list(doc.sents)
        self.short = len(self.sents) <= SHORT_TEXT  # read as sentences (CoNLL04's kind), not as an article
        starts = [s.start for s in self.sents]
        self.sent_ids = {c.key: [bisect.bisect_right(starts, m.start) - 1 for m in c.mentions] for c in clusters}
        self.sent_sets = {k: frozenset(v) for k, v in self.sent_ids.items()}
        self.context = {c.key: set().union(*(_context(m) for m in c.mentions)) if c.mentions else set() for c in clusters}
        # the same words without their slot ('pre:german' → 'german'): where a demonym or name is met
        self.intro_words = {k: {w.split(":", 1)[-1] for w in ws} for k, ws in self.context.items()}
        self.rank: dict[str, int] = {}
        by_top = defaultdict(list)
        for c in clusters:
            by_top[c.top].append(c)
        for group in by_top.values():
            group.sort(key=lambda c: (-len(c.mentions), c.mentions[0].start if c.mentions else 0))
            for i, c in enumerate(group):
                self.rank[c.key] = i + 1
        self.first = {c.key: min((m.start for m in c.mentions), default=0) for c in clusters}

    def near(self, a: Cluster, b: Cluster) -> int:
        """The fewest sentences between a mention of a and one of b."""
        sa, sb = self.sent_sets[a.key], self.sent_sets[b.key]
        if not sa or not sb:
            return 99
        if not sa.isdisjoint(sb):
            return 0
        return min(abs(x - y) for x in sa for y in sb)


def _bucket(n: int, cuts=(1, 2, 3, 5, 10)) -> str:
    for c in cuts:
        if n <= c:
            return str(c)
    return f"{cuts[-1]}+"


def pair_features(a: Cluster, b: Cluster, ctx: PairContext) -> tuple[dict[str, float], Span | None]:
    """Pooled features of the cluster pair (a, b) and the sentence that names both closest (None if none does)."""
    pair = f"{a.kind}>{b.kind}"
    f: dict[str, float] = {}

    def add(name: str):
        f[name] = 1.0
        f[f"{pair}|{name}"] = 1.0

    add(f"cls:{a.cls}>{b.cls}")
    sa, sb = ctx.sent_ids[a.key], ctx.sent_ids[b.key]
    shared = ctx.sent_sets[a.key] & ctx.sent_sets[b.key]
    add(f"cooc:{_bucket(len(shared), (0, 1, 2, 3))}")
    add(f"sdist:{_bucket(ctx.near(a, b), (0, 1, 2, 3, 5))}")
    ra, rb = ctx.rank[a.key], ctx.rank[b.key]
    add(f"rankA:{min(ra, 4)}")
    add(f"rankB:{min(rb, 4)}")
    add(f"nA:{_bucket(len(a.mentions))}")
    add(f"nB:{_bucket(len(b.mentions))}")
    add("firstA" if ctx.first[a.key] <= ctx.first[b.key] else "firstB")
    ca, cb = ctx.context[a.key], ctx.context[b.key]
    for w in ca:
        add("cA:" + w)
        f[f"{pair}|cA:{w}|rankB:{min(rb, 3)}|cooc:{bool(shared)}"] = 1.0
    for w in cb:
        add("cB:" + w)
    words_a, words_b = a.label.lower().split(), b.label.lower().split()
    for w in words_a:
        add("nameA:" + w)
    for w in words_b:
        add("nameB:" + w)
    text_a, text_b = f" {a.label.lower()} ", f" {b.label.lower()} "
    if any(f" {form} " in text_a for form in b.forms):
        add("BinA")
    if any(f" {form} " in text_b for form in a.forms):
        add("AinB")
    if ctx.intro_words[a.key] & b.forms:
        add("BctxA")
    best, best_dist = None, None
    if shared:
        close = []
        for ma, ia in zip(a.mentions, sa):
            if ia not in shared:
                continue
            for mb, ib in zip(b.mentions, sb):
                if ia == ib and not (ma.start < mb.end and mb.start < ma.end):
                    close.append((abs(ma.start - mb.start), ma.start, ma, mb))
        close.sort(key=lambda x: x[:2])
        for dist, _, ma, mb in close[:MAX_MENTION_PAIRS]:
            f.update(features(ma, mb, a.kind, b.kind, ctx.ents))
        if close:
            best, best_dist = close[0][2].sent, close[0][0]
            add(f"mindist:{_bucket(best_dist, (1, 2, 4, 8, 15))}")
    return f, best


def evidence(a: Cluster, b: Cluster, ctx: PairContext) -> Span | None:
    """The text that names both a and b: the sentence holding the closest pair of their mentions,
    else the closest two adjacent sentences that do; None when no sentence or adjacent pair names both."""
    sa, sb = ctx.sent_ids[a.key], ctx.sent_ids[b.key]
    best = None
    for ia in sa:
        for ib in sb:
            gap = abs(ia - ib)
            if gap <= 1 and (best is None or (gap, min(ia, ib)) < best):
                best = (gap, min(ia, ib))
    if best is None:
        return None
    first = ctx.sents[best[1]]
    last = ctx.sents[best[1] + best[0]]
    return ctx.doc[first.start : last.end]


def with_domain(feats: dict[str, float], short: bool) -> dict[str, float]:
    """A text read as sentences (CoNLL04's kind) gives every feature a copy of its own, so that the
    conventions of sentence-level annotation do not bend what the model reads in articles (Daumé III
    2007, "frustratingly easy domain adaptation"). `PairModel.predict(feats, short)` reads the copies
    without building them."""
    if short:
        feats.update({f"{SHORT_PREFIX}{k}": v for k, v in list(feats.items())})
    return feats


def candidate_pairs(ctx: PairContext, clusters: list[Cluster], relations_for):
    """(a, b, relations) for every ordered pair of clusters that can hold one of the model's relations
    and that meet in the text: within SENT_WINDOW sentences, or one of the two is among the most
    mentioned of its kind (the article's country, its company)."""
    for a in clusters:
        for b in clusters:
            if a.key == b.key or not a.mentions or not b.mentions:
                continue
            rels = relations_for(a, b)
            if not rels:
                continue
            if ctx.near(a, b) > SENT_WINDOW and min(ctx.rank[a.key], ctx.rank[b.key]) > 2:
                continue
            yield a, b, rels


def feature_hash(name: str) -> int:
    """A feature's key in the shipped model: the first 8 bytes of BLAKE2b of its name (stable across
    processes and platforms, unlike Python's hash)."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


class PairModel:
    """One logistic regression per relation over the pooled pair features.

    The features are kept as their sorted hashes (`feature_hash`), row i of `weights` being the
    feature whose hash is `hashes[i]`: loading is reading three arrays. A name is looked up once
    (hash, then binary search) and remembered; an unknown name has row -1."""

    CACHE = 1 << 17  # names remembered (their rows) before the memory is cleared

    def __init__(self, meta: dict, hashes: np.ndarray, weights: np.ndarray, intercept: np.ndarray):
        self.relations: list[str] = meta["relations"]
        self.thresholds: dict[str, float] = meta["thresholds"]
        self.thresholds_short: dict[str, float] = meta.get("thresholds_short", {})
        # Platt scaling fitted on the dev pairs (kg train): logit z → sigmoid(a * z + b), per relation and domain
        self.calibration: dict[str, tuple[float, float]] = meta.get("calibration", {})
        self.calibration_short: dict[str, tuple[float, float]] = meta.get("calibration_short", {})
        self.hashes = hashes  # (features,) uint64, sorted
        self.weights = weights  # (features, relations)
        self.intercept = intercept
        self._rows: dict[str, int] = {}  # name → row (-1: not a feature of the model)
        self._short_rows: dict[str, int] = {}  # name → row of its short-text copy

    @classmethod
    def from_names(cls, meta: dict, names: list[str], weights: np.ndarray, intercept: np.ndarray) -> PairModel:
        """The model of weights whose rows are the features `names` (as `kg train` fits them)."""
        hashes = np.fromiter(map(feature_hash, names), dtype=np.uint64, count=len(names))
        order = np.argsort(hashes, kind="stable")
        hashes = hashes[order]
        if len(hashes) > 1 and (hashes[1:] == hashes[:-1]).any():
            raise ValueError("two features of the model share a hash")
        return cls(meta, hashes, np.asarray(weights, dtype=np.float32)[order], np.asarray(intercept, dtype=np.float32))

    def find(self, names: list[str]) -> np.ndarray:
        """The rows of `names` (-1 for a name that is not a feature of the model)."""
        if not names:
            return np.empty(0, dtype=np.int64)
        keys = np.fromiter(map(feature_hash, names), dtype=np.uint64, count=len(names))
        rows = np.searchsorted(self.hashes, keys).clip(max=len(self.hashes) - 1)
        return np.where(self.hashes[rows] == keys, rows, -1)

    def rows(self, names, short: bool = False) -> list[int]:
        """The rows of those of `names` the model has; `short`: of their short-text copies."""
        memo = self._short_rows if short else self._rows
        out, new = [], []
        for name in names:
            row = memo.get(name)
            if row is None:
                new.append(name)
            elif row >= 0:
                out.append(row)
        if new:
            if len(memo) > self.CACHE:
                memo.clear()
            found = self.find([SHORT_PREFIX + n for n in new] if short else new)
            for name, row in zip(new, found.tolist()):
                memo[name] = row
                if row >= 0:
                    out.append(row)
        return out

    def has(self, name: str) -> bool:
        return bool(self.rows([name]))

    def threshold(self, relation: str, short: bool = False) -> float:
        """The probability a fact needs: a text read as sentences has its own cut-offs where dev had them."""
        if short and relation in self.thresholds_short:
            return self.thresholds_short[relation]
        return self.thresholds.get(relation, 0.5)

    def logits(self, feats: dict[str, float], short: bool = False) -> np.ndarray:
        """Each relation's score before calibration; `short`: the features are a short text's (their copies count too)."""
        idx = self.rows(feats)
        if short:
            idx += self.rows(feats, short=True)
        return self.weights[idx].sum(axis=0) + self.intercept if idx else self.intercept.copy()

    def predict(self, feats: dict[str, float], short: bool = False) -> dict[str, float]:
        """Each relation's calibrated probability: the share of such pairs on the dev sets that held it."""
        z = self.logits(feats, short)
        out = {}
        for r, v in zip(self.relations, z):
            a, b = (short and self.calibration_short.get(r)) or self.calibration.get(r) or (1.0, 0.0)
            out[r] = 1.0 / (1.0 + math.exp(-(a * float(v) + b)))
        return out

    def save(self, path: Path) -> None:
        """relations.json (relations, thresholds, calibration) and relations.npz (hashes, weights, intercept) beside it."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"relations": self.relations, "thresholds": self.thresholds, "thresholds_short": self.thresholds_short,
                "calibration": self.calibration, "calibration_short": self.calibration_short,
                "features": len(self.hashes), "feature_hash": "blake2b-64"}
        path.write_text(json.dumps(meta, separators=(",", ":")))
        rows, columns = np.nonzero(self.weights)  # most weights are 0: kept as (row, column, value), rows as offsets
        indptr = np.searchsorted(rows, np.arange(len(self.hashes) + 1)).astype(np.uint32)
        with open(path.with_suffix(".npz"), "wb") as fh:  # not compressed: loading stays a read
            np.savez(fh, hashes=self.hashes, indptr=indptr, columns=columns.astype(np.uint8),
                     values=self.weights[rows, columns].astype(np.float32), intercept=self.intercept.astype(np.float32))

    @staticmethod
    def dense(arrays, relations: int) -> np.ndarray:
        """The (features, relations) weights of a saved model."""
        indptr = arrays["indptr"]
        weights = np.zeros((len(indptr) - 1, relations), dtype=np.float32)
        weights[np.repeat(np.arange(len(indptr) - 1), np.diff(indptr)), arrays["columns"]] = arrays["values"]
        return weights


@cache
def load_model(path: str | None = None) -> PairModel | None:
    p = Path(path) if path else model_path("relations.json")
    if not p.exists() or not p.with_suffix(".npz").exists():
        return None
    meta = json.loads(p.read_text(encoding="utf-8"))
    arrays = np.load(p.with_suffix(".npz"))
    if isinstance(meta.get("features"), list):  # a model saved before features were hashed: rows named in the .json
        return PairModel.from_names(meta, meta["features"], arrays["weights"], arrays["intercept"])
    return PairModel(meta, arrays["hashes"], PairModel.dense(arrays, len(meta["relations"])), arrays["intercept"])
