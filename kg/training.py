"""Retrain kg's learned parts from gold JSONL: the news NER and the document-level relation model.

    kg train --train ../shared/eval/conll04_train.jsonl --train ../shared/eval/dwie_train.jsonl \
             --dev ../shared/eval/conll04_dev.jsonl --dev ../shared/eval/dwie_dev.jsonl

NER: the bundled model's `ner` is fine-tuned on the gold mentions (PERSON, ORG, LOC/PLACE →
GPE/LOC/FAC): CoNLL04's sentences and DWIE's 602 Deutsche Welle articles (every mention of every
entity cluster). To keep its other labels (DATE, MONEY, NORP, ...), the training docs also carry
the base model's own predictions for those labels where the gold has no entity (pseudo-rehearsal);
gold OTHER spans the base model does not recognise are marked missing rather than "not an
entity". The epoch with the best dev mention F1 is kept.

Relations: kg's own pipeline (the NER just trained, kg_entities, the resolver's clusters) reads
every training document; each pair of its clusters is matched to the gold entities (by mention
offsets) and labelled with the gold facts between them; kg/nlp/classifier.py pools the pair's
features; one logistic regression per relation is fitted on the sources that annotate that
relation (livesIn and killed only from CoNLL04; leaderOf, officialOf, nationality, memberOf and
spouse from DWIE), and each relation's probability threshold is chosen on dev.

Data recipe: CoNLL04 train, DWIE train (relations mapped to ours, see ../shared/eval/README.md),
plus data/training/news_sentences.jsonl (40 written present-day sentences, fully annotated: NER
rehearsal ×4 and relations) and data/training/news_relations.jsonl (84 written sentences annotated
for relations only, with hard negatives such as "X, the chief executive of Y, said that China's
demand ..." and "Ford builds pickup trucks in Kansas City"; a pair with an entity the file does
not annotate is left out). Neither file uses a name from the bundled article. The texts are read
from ../shared at training time and never shipped; only the weights are.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

from .nlp.paths import PACKAGE_MODELS as MODEL_DIR

NER_DIR = MODEL_DIR / "ner"
REL_PATH = MODEL_DIR / "relations.json"
CALIBRATION_PATH = MODEL_DIR / "patterns.calibration.json"
PRIOR_WEIGHT = 4  # a pattern's written confidence counts as this many dev facts
# A relation's threshold is picked on dev pairs, but never below this: a pair-level optimum of 0.15
# writes facts a reader would not accept (kg eval on all dev sets was better with the floor).
MIN_THRESHOLD = 0.3
# The relations the pair model learns: people and organisations (CoNLL04, DWIE, business news) and
# the deals between companies (business news only; a source that does not annotate one is no negative).
LEARNED_RELATIONS = ("worksFor", "leaderOf", "memberOf", "officialOf", "nationality", "livesIn", "basedIn", "locatedIn", "spouse",
                     "killed", "acquired", "investsIn", "partnersWith", "subsidiaryOf", "foundedBy", "purchasedFrom")
_GOLD_LABEL = {"PERSON": "PERSON", "PEOP": "PERSON", "ORG": "ORG"}
_PLACE_LABELS = {"GPE", "LOC", "FAC"}


def _read(path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _reference(base, pred, gold_ents: list[dict], partial: bool = False):
    """A reference Doc: gold spans + the base model's other labels (`pred`, its reading of the same
    text); unknown OTHER spans missing. With `partial` (a file that annotates only the entities its
    facts need), every token outside the gold spans is missing rather than "not an entity"."""
    from spacy.tokens import Span
    from spacy.util import filter_spans

    ref = base.make_doc(pred.text)
    pred_by_span = {(e.start_char, e.end_char): e.label_ for e in pred.ents}
    spans, missing, covered = [], [], set()
    for g in gold_ents:
        s, e = g["start"], g["end"]
        span = ref.char_span(s, e, alignment_mode="expand")
        if span is None:
            continue
        while len(span) > 1 and span[-1].is_punct and span[-1].text != ")":
            span = span[:-1]  # "Texas." in the detokenised gold: the period is not part of the name
        covered.update(range(span.start, span.end))
        t = g["type"].upper()
        if t in _GOLD_LABEL:
            spans.append(Span(ref, span.start, span.end, label=_GOLD_LABEL[t]))
        elif t in {"LOC", "PLACE"}:
            label = pred_by_span.get((span.start_char, span.end_char))
            spans.append(Span(ref, span.start, span.end, label=label if label in _PLACE_LABELS else "GPE"))
        else:  # OTHER: keep the base model's reading of it, or leave it unannotated
            label = pred_by_span.get((span.start_char, span.end_char))
            if label and label not in {"PERSON", "ORG"} | _PLACE_LABELS:
                spans.append(Span(ref, span.start, span.end, label=label))
            else:
                missing.append(span)
    if partial:
        ref.set_ents(filter_spans(spans), default="missing")
        return ref
    for e in pred.ents:
        if e.label_ in {"PERSON", "ORG"} | _PLACE_LABELS:
            continue  # the gold is complete for these
        if not any(i in covered for i in range(e.start, e.end)):
            spans.append(Span(ref, e.start, e.end, label=e.label_))
    ref.set_ents(filter_spans(spans), missing=[m for m in missing if not any(m.start < s.end and s.start < m.end for s in spans)])
    return ref


def gold_spans(d: dict) -> list[dict]:
    """Every entity mention of a gold document as {start, end, type}: span entities as they are,
    document-level entities (DWIE) by their mention clusters."""
    out = []
    for e in d["entities"]:
        if "mentions" in e:
            out.extend({"start": m["start"], "end": m["end"], "type": e["type"], "text": d["text"][m["start"] : m["end"]]} for m in e["mentions"])
        elif "start" in e:
            out.append(e)
    return out


def _ent_f1(nlp, docs: list[dict]) -> float:
    tp = pred = gold = 0
    keep = {"PERSON", "ORG", "GPE", "LOC", "FAC"}
    place = {"LOC", "PLACE"}
    with nlp.select_pipes(enable=["ner"]):
        parsed = list(nlp.pipe([d["text"] for d in docs]))
    for d, doc in zip(docs, parsed):
        g = {(e["start"], e["end"], "PLACE" if e["type"] in place else e["type"]) for e in gold_spans(d) if e["type"] != "OTHER"}
        p = {(e.start_char, e.end_char, "PLACE" if e.label_ in _PLACE_LABELS else e.label_) for e in doc.ents if e.label_ in keep}
        tp += len(g & p)
        pred += len(p)
        gold += len(g)
    prec, rec = tp / max(pred, 1), tp / max(gold, 1)
    return 2 * prec * rec / max(prec + rec, 1e-9)


TRAINING_DATA = Path(__file__).resolve().parent.parent / "data" / "training"
NEWS_SENTENCES = TRAINING_DATA / "news_sentences.jsonl"  # fully annotated: NER rehearsal and relations
NEWS_RELATIONS = TRAINING_DATA / "news_relations.jsonl"  # relation examples and hard negatives only


def _paths(paths) -> list:
    return [paths] if isinstance(paths, (str, Path)) else list(paths or ())


def _read_all(paths) -> list[dict]:
    return [d for p in _paths(paths) for d in _read(p)]


# Written present-day sentences, repeated so that today's company names hold against DWIE's 318k words:
# (path, repeat, partial).
NER_EXTRA = ((NEWS_SENTENCES, 10, False), (NEWS_RELATIONS, 5, True))


def train_ner(train_path, dev_path=None, out_dir: Path = NER_DIR, base: str | None = None, epochs: int = 12, seed: int = 0,
              extra=NER_EXTRA, dropout: float = 0.35, log=print) -> dict:
    """Fine-tune the base model's ner on one or more gold files; keep the epoch with the best dev entity F1."""
    import spacy
    from spacy.training import Example
    from spacy.util import minibatch

    from .nlp.pipeline import default_model

    random.seed(seed)
    spacy.util.fix_random_seed(seed)
    base_name = base or default_model()
    base_nlp = spacy.load(base_name)
    train = [(d, False) for d in _read_all(train_path)]
    dev = _read_all(dev_path)
    for path, repeat, partial in extra:
        if Path(path).exists():
            train += [(d, partial) for d in _read(path)] * repeat  # present-day names, so they are not forgotten
    with base_nlp.select_pipes(enable=["ner"]):
        preds = base_nlp.pipe([d["text"] for d, _ in train], batch_size=32)
        examples = [Example(base_nlp.make_doc(d["text"]), _reference(base_nlp, p, gold_spans(d), partial)) for (d, partial), p in zip(train, preds)]
    nlp = spacy.load(base_name)
    before = _ent_f1(nlp, dev) if dev else None
    log(f"ner: {len(examples)} training docs; dev entity F1 before: {before if before is None else round(before, 3)}")
    best, best_bytes, history = -1.0, None, []
    with nlp.select_pipes(enable=["ner"]):
        optimizer = nlp.resume_training()
        for epoch in range(epochs):
            t0 = time.perf_counter()
            random.shuffle(examples)
            losses: dict = {}
            for batch in minibatch(examples, size=16):
                nlp.update(batch, drop=dropout, sgd=optimizer, losses=losses)
            f1 = float(_ent_f1(nlp, dev)) if dev else 0.0
            history.append({"epoch": epoch + 1, "loss": round(float(losses.get("ner", 0.0)), 2), "dev_f1": round(f1, 4)})
            log(f"ner epoch {epoch + 1}: loss {losses.get('ner', 0.0):.1f}, dev entity F1 {f1:.3f} ({time.perf_counter() - t0:.0f} s)")
            if f1 > best or not dev:
                best = f1
                with nlp.use_params(optimizer.averages):
                    best_bytes = nlp.get_pipe("ner").to_bytes()
    ner = nlp.get_pipe("ner")
    ner.from_bytes(best_bytes)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ner.to_disk(out_dir)
    meta = {"base": base_name, "base_version": nlp.meta.get("version"), "train": [Path(p).name for p in _paths(train_path)], "epochs": epochs, "dropout": dropout, "dev_f1_before": before, "dev_f1": best, "history": history}
    (out_dir / "training.json").write_text(json.dumps(meta, indent=2))
    return meta


def _gold_entities(d: dict) -> tuple[list[tuple[str, list[tuple[int, int]], tuple[str, ...]]], set[tuple[int, str, int]]]:
    """A gold document's entities (name, mention offsets, aliases) and its facts by entity index."""
    ents = []
    for e in d["entities"]:
        name = e.get("name") or e.get("text")
        aliases = tuple(a for a in e.get("aliases", ()) if a)
        if e.get("type", "").upper() == "OTHER":
            ents.append((name, [], aliases))
        elif "mentions" in e:
            ents.append((name, [(m["start"], m["end"]) for m in e["mentions"]], aliases))
        else:
            ents.append((name, [(e["start"], e["end"])] if "start" in e else [], aliases))
    index = {}
    for i, (name, _, _) in enumerate(ents):
        index.setdefault(name, i)
    facts = set()
    for r in d["relations"]:
        h = r.get("head_idx", index.get(r["head"]))
        t = r.get("tail_idx", index.get(r["tail"]))
        if h is not None and t is not None:
            facts.add((h, r["relation"], t))
    return ents, facts


def _match_clusters(clusters, gold_ents) -> dict[str, int]:
    """The gold entity each of kg's clusters stands for: the one most of its mentions fall on (same
    start or end, or inside it: 'Amherst' in 'Amherst, Mass.'), else the one its name equals, else
    the one one of its forms is a name or alias of (gold written as names and aliases, no offsets)."""
    from .resolve import normalise

    by_start, by_end, spans = {}, {}, []
    for i, (_, mentions, _) in enumerate(gold_ents):
        for s, e in mentions:
            by_start.setdefault(s, i)
            by_end.setdefault(e, i)
            spans.append((s, e, i))
    names, forms = {}, {}
    for i, (name, _, aliases) in enumerate(gold_ents):
        names.setdefault(normalise(name), i)
        for a in (name, *aliases):
            forms.setdefault(normalise(a), i)
    out = {}
    for c in clusters:
        votes = Counter()
        for m in c.mentions:
            i = by_start.get(m.start_char, by_end.get(m.end_char))
            if i is None:
                i = next((g for s, e, g in spans if s <= m.start_char and m.end_char <= e + 1), None)
            if i is not None:
                votes[i] += 1
        if votes:
            out[c.key] = votes.most_common(1)[0][0]
        elif normalise(c.label) in names:
            out[c.key] = names[normalise(c.label)]
        else:
            hits = {forms[f] for f in map(normalise, c.forms) if f in forms}
            if len(hits) == 1:
                out[c.key] = hits.pop()
    return out


class _Rows:
    """Sparse rows built one at a time (a feature vocabulary that grows), then pruned to the features
    seen at least `min_count` times."""

    def __init__(self):
        from array import array

        self.vocab: dict[str, int] = {}
        self.indices = array("i")
        self.indptr = [0]
        self.labels: list[dict[str, int]] = []  # relation → 1/0; a relation the source does not annotate is absent
        self.short: list[bool] = []  # the pair comes from a text read as sentences (see syntax.SHORT_TEXT)

    def add(self, feats: dict, labels: dict[str, int], short: bool) -> None:
        self.short.append(short)
        for name in feats:
            j = self.vocab.get(name)
            if j is None:
                j = self.vocab[name] = len(self.vocab)
            self.indices.append(j)
        self.indptr.append(len(self.indices))
        self.labels.append(labels)

    def matrix(self, vocab: dict[str, int] | None = None, min_count: int = 1):
        """CSR matrix over `vocab` (default: this set's own features seen min_count times) and the vocab."""
        import numpy as np
        from scipy.sparse import csr_matrix

        idx = np.frombuffer(self.indices, dtype=np.int32)
        raw = csr_matrix((np.ones(len(idx), dtype=np.float32), idx, np.array(self.indptr)), shape=(len(self.labels), len(self.vocab)))
        if vocab is None:
            counts = np.asarray(raw.sum(axis=0)).ravel()
            keep = [name for name, j in self.vocab.items() if counts[j] >= min_count]
            vocab = {name: k for k, name in enumerate(sorted(keep))}
        cols = np.full(len(self.vocab), -1, dtype=np.int64)
        for name, j in self.vocab.items():
            k = vocab.get(name)
            if k is not None:
                cols[j] = k
        coo = raw.tocoo()
        ok = cols[coo.col] >= 0
        m = csr_matrix((coo.data[ok], (coo.row[ok], cols[coo.col[ok]])), shape=(raw.shape[0], len(vocab)))
        return m, vocab


def _pair_rows(nlp, resolver, docs: list[dict], annotated: set[str], complete: bool, rows: _Rows, relations_for) -> None:
    """Features and labels of every candidate cluster pair of every document, over the clusters kg
    itself finds (so the model learns from the boundaries, types and coreference it will see)."""
    from .nlp.classifier import PairContext, candidate_pairs, pair_features, with_domain

    for d, doc in zip(docs, nlp.pipe([d["text"] for d in docs], batch_size=16)):
        ents, _ = resolver.entities(doc)
        clusters = resolver.clusters(doc, ents)
        gold_ents, gold = _gold_entities(d)
        match = _match_clusters(clusters, gold_ents)
        ctx = PairContext(doc, clusters)
        for a, b, rels in candidate_pairs(ctx, clusters, relations_for):
            ga, gb = match.get(a.key), match.get(b.key)
            if (ga is None or gb is None) and not complete:
                continue  # entities annotated only where a fact needs them: an unmatched pair is unknown
            labels = {}
            for r in rels:
                if r in annotated:
                    symmetric = resolver.ont.relations[r].symmetric
                    hit = ga is not None and gb is not None and ga != gb and ((ga, r, gb) in gold or (symmetric and (gb, r, ga) in gold))
                    labels[r] = int(hit)
            if labels:
                feats, _ = pair_features(a, b, ctx)
                rows.add(with_domain(feats, ctx.short), labels, ctx.short)


def _platt(z, y, min_positives: int = 5) -> tuple[float, float]:
    """Platt scaling: (a, b) so that sigmoid(a * z + b) is the share of dev pairs that hold the
    relation at logit z. Too few positives to fit on: the model's own probability (1, 0)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    if int(y.sum()) < min_positives or int((1 - y).sum()) < min_positives:
        return 1.0, 0.0
    fit = LogisticRegression(C=100.0, solver="lbfgs").fit(np.asarray(z).reshape(-1, 1), y)
    return round(float(fit.coef_[0][0]), 4), round(float(fit.intercept_[0]), 4)


def _best_threshold(p, y) -> tuple[float, float, int, int, int]:
    """(F1, threshold, tp, fp, fn) at the probability cut-off that maximises F1 on these pairs."""
    best = (-1.0, 0.5, 0, 0, 0)
    for th in [x / 20 for x in range(3, 19)]:
        tp = int(((p >= th) & (y == 1)).sum())
        fp = int(((p >= th) & (y == 0)).sum())
        fn = int(((p < th) & (y == 1)).sum())
        best = max(best, (2 * tp / max(2 * tp + fp + fn, 1), th, tp, fp, fn))
    return best


def train_relations(train_path, dev_path=None, out_path: Path = REL_PATH, base: str | None = None, C: float = 0.3,
                    extra=(NEWS_SENTENCES, NEWS_RELATIONS), ner_dir=None, min_count: int = 2, log=print) -> dict:
    """Fit one logistic regression per relation over cluster pairs; pick each relation's threshold on dev."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from .nlp.classifier import PairModel
    from .nlp.pipeline import load_pipeline
    from .resolve import Resolver

    nlp = load_pipeline(base, relations=False, ner_dir=str(ner_dir) if ner_dir else None)
    resolver = Resolver()
    relations = LEARNED_RELATIONS

    def relations_for(a, b):
        return resolver.admitted(relations, a, b)

    def rows_of(paths, extras=()) -> _Rows:
        rows = _Rows()
        sources = [(p, True) for p in _paths(paths)] + [(p, Path(p) != NEWS_RELATIONS) for p in extras if Path(p).exists()]
        for p, complete in sources:
            docs = _read(p)
            annotated = {r["relation"] for d in docs for r in d["relations"]}
            t0 = time.perf_counter()
            _pair_rows(nlp, resolver, docs, annotated, complete, rows, relations_for)
            log(f"relations: {Path(p).name}: {len(docs)} docs, {len(rows.labels)} pairs so far ({time.perf_counter() - t0:.0f} s)")
        return rows

    train = rows_of(train_path, extra)
    X, vocab = train.matrix(min_count=min_count)
    weights = np.zeros((len(vocab), len(relations)), dtype=np.float64)
    intercept = np.full(len(relations), -10.0)
    counts = {}
    for k, r in enumerate(relations):
        mask = np.array([r in lab for lab in train.labels])
        y = np.array([lab.get(r, 0) for lab in train.labels])[mask]
        counts[r] = (int(y.sum()), int(mask.sum()))
        if y.sum() < 2:
            continue
        clf = LogisticRegression(C=C, solver="liblinear", max_iter=2000, random_state=0)  # liblinear shuffles: seeded, so kg train is reproducible
        clf.fit(X[mask], y)
        weights[:, k] = clf.coef_[0]
        intercept[k] = clf.intercept_[0]
    log(f"relations: {X.shape[0]} training pairs, {X.shape[1]} features; positives/pairs per relation {counts}")
    thresholds = {r: 0.5 for r in relations}
    meta = {"train": [Path(p).name for p in _paths(train_path)], "pairs": int(X.shape[0]), "features": int(X.shape[1]), "C": C, "positives": counts}
    if dev_path:
        dev = rows_of(dev_path)
        Xd, _ = dev.matrix(vocab=vocab)
        z = Xd @ weights + intercept
        probs = 1.0 / (1.0 + np.exp(-z))
        per = {}
        tp_all = fp_all = fn_all = 0
        short = np.array(dev.short)
        thresholds_short = {}
        calibration, calibration_short = {}, {}
        for k, r in enumerate(relations):
            has = np.array([r in lab for lab in dev.labels])
            if not has.any():
                continue
            y_all = np.array([lab.get(r, 0) for lab in dev.labels])
            # Articles and sentences read on their own keep their own thresholds: the model sees which
            # one a pair comes from, but one cut-off would let CoNLL04's sentences set DWIE's, or back.
            for domain, rows in (("article", has & ~short), ("short", has & short)):
                y, p = y_all[rows], probs[rows, k]
                if y.sum() == 0:
                    continue
                a, b = _platt(z[rows, k], y)
                (calibration if domain == "article" else calibration_short)[r] = [a, b]
                p = 1.0 / (1.0 + np.exp(-(a * z[rows, k] + b)))
                best = _best_threshold(p, y)
                (thresholds if domain == "article" else thresholds_short)[r] = max(best[1], MIN_THRESHOLD)
                tp_all, fp_all, fn_all = tp_all + best[2], fp_all + best[3], fn_all + best[4]
                per[f"{r}/{domain}"] = round(best[0], 3)
        f1 = 2 * tp_all / max(2 * tp_all + fp_all + fn_all, 1)
        meta.update({"dev": [Path(p).name for p in _paths(dev_path)], "dev_pair_f1": round(f1, 4), "dev_pair_f1_by_relation": per,
                     "thresholds": thresholds, "thresholds_short": thresholds_short, "calibration": calibration,
                     "calibration_short": calibration_short})
        log(f"relations: dev pair F1 {f1:.3f}; by relation {per}; thresholds {thresholds}; short texts {thresholds_short}")
    names = sorted(vocab, key=vocab.get)
    keep = np.abs(weights).max(axis=1) > 1e-4
    model_meta = {"relations": relations, "thresholds": thresholds, "thresholds_short": thresholds_short if dev_path else {},
                  "calibration": calibration if dev_path else {}, "calibration_short": calibration_short if dev_path else {}}
    PairModel.from_names(model_meta, [n for n, k in zip(names, keep) if k], weights[keep], intercept).save(Path(out_path))
    (Path(out_path).parent / "relations.training.json").write_text(json.dumps(meta, indent=2))
    return meta


def calibrate_patterns(dev_path, models: Path = MODEL_DIR, model: str | None = None, log=print) -> dict:
    """The share of each pattern's facts that are right on the dev sets, as its confidence.

    Each dev file is built as `kg build` builds it (the relation model already trained; the patterns
    at their written confidences) and scored as `kg eval` scores it; every assertion of a scored fact
    counts for the pattern that wrote it. A pattern's written confidence is the prior, worth
    PRIOR_WEIGHT facts: (right + w * written) / (n + w)."""
    import os

    from .nlp.classifier import load_model
    from .resolve import calibration

    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # pattern → [right, scored]
    points: dict[str, list[tuple[float, int]]] = defaultdict(list)  # the relation model's facts: (its probability, right)
    saved = {k: os.environ.get(k) for k in ("KG_CALIBRATION", "KG_MODELS")}
    os.environ["KG_CALIBRATION"] = "off"  # the patterns at their written confidences
    os.environ["KG_MODELS"] = str(models)  # with the models just trained
    caches = (load_model, calibration)
    for c in caches:
        c.cache_clear()
    try:
        for p in _paths(dev_path):
            _score_patterns(p, counts, points, model)
            log(f"calibration: {Path(p).name} built and scored")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        for c in caches:
            c.cache_clear()
    out_path = Path(models) / CALIBRATION_PATH.name
    from .nlp.relations import load_patterns
    from .resolve import CODE_PATTERNS

    written = {row["id"]: float(row.get("confidence", 0.8)) for row in load_patterns(None)} | CODE_PATTERNS
    table = {}
    for pattern, (right, n) in sorted(counts.items()):
        if pattern in written:  # the relation model calibrates itself (kg train --dev)
            table[pattern] = {"confidence": round((right + PRIOR_WEIGHT * written[pattern]) / (n + PRIOR_WEIGHT), 3), "right": right, "facts": n}
    learned = {k: fit for k, v in sorted(points.items()) if (fit := _fit_facts(v))}
    Path(out_path).write_text(json.dumps({"dev": [Path(p).name for p in _paths(dev_path)], "prior_weight": PRIOR_WEIGHT,
                                          "model": learned, "patterns": table}, indent=1))
    if learned:
        log(f"calibration: relation model facts {learned}")
    log(f"calibration: {len(table)} patterns; " + ", ".join(f"{k} {v['confidence']}" for k, v in table.items() if v["facts"] >= 10))
    return table


def _fit_facts(points: list[tuple[float, int]]) -> dict | None:
    """Platt scaling of the relation model's probability to the share of its facts right on dev."""
    import numpy as np

    y = np.array([r for _, r in points])
    if len(points) < 20 or y.sum() < 5 or (1 - y).sum() < 5:
        return None
    p = np.clip(np.array([c for c, _ in points]), 1e-6, 1 - 1e-6)
    a, b = _platt(np.log(p / (1 - p)), y)
    return {"a": a, "b": b, "facts": len(points), "right": int(y.sum())}


def _score_patterns(path, counts: dict, points: dict, model: str | None) -> None:
    """Build one dev file in memory, score it, and count each pattern's right and scored assertions."""
    from rdflib import RDF

    from .articles import Article
    from .builder import build_into
    from .evaluate import load_gold, score
    from .ontology import KG
    from .resolve import LEARNED
    from .store import KGStore

    docs = load_gold(path)
    store = KGStore.memory()
    build_into(store, [Article.from_text(d["text"], path=d.get("id", f"doc-{i}")) for i, d in enumerate(docs)], model=model)
    g = store.to_rdflib()
    verdicts = score(docs, g).verdicts
    for a in g.subjects(RDF.type, KG.Assertion):
        triple = (g.value(a, RDF.subject), g.value(a, RDF.predicate), g.value(a, RDF.object))
        if triple in verdicts and str(g.value(a, KG.status)) != "uncertain":
            c = counts[str(g.value(a, KG.pattern))]
            c[0] += verdicts[triple]
            c[1] += 1
            if str(g.value(a, KG.pattern)) in LEARNED.values():
                points[str(g.value(a, KG.pattern))].append((float(g.value(a, KG.confidence)), int(verdicts[triple])))
