"""Retrain kg's learned parts from gold JSONL (CoNLL04-style spans): the NER and the relation classifier.

    kg train --train ../shared/eval/conll04_train.jsonl --dev ../shared/eval/conll04_dev.jsonl

NER: the bundled model's `ner` is fine-tuned on the gold spans (PERSON, ORG, LOC→GPE/LOC/FAC).
To keep its other labels (DATE, MONEY, NORP, ...), the training docs also carry the base model's
own predictions for those labels where the gold has no entity (pseudo-rehearsal); gold OTHER
spans the base model does not recognise are marked missing rather than "not an entity".
Relations: a logistic regression over same-sentence entity pairs (see kg/nlp/classifier.py for
the features) trained on the gold entities and relations and on the pairs over the entities kg
itself finds in the same texts, stored as plain JSON weights; one probability threshold per
relation is chosen on dev.

Data recipe: CoNLL04 train, plus data/training/news_sentences.jsonl (40 written present-day
sentences, fully annotated: NER rehearsal ×4 and relations) and data/training/news_relations.jsonl
(84 written sentences annotated for the classifier's relations only, with hard negatives such as
"X, the chief executive of Y, said that China's demand ..." and "Ford builds pickup trucks in
Kansas City"; relations only, because their
entities are annotated only where a relation needs them). Neither file uses a name from the
bundled article.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from pathlib import Path

MODEL_DIR = Path(__file__).resolve().parent / "models"
NER_DIR = MODEL_DIR / "ner"
REL_PATH = MODEL_DIR / "relations.json"
POS_WEIGHT = 2.0  # relation classes weigh more than "none" (most pairs hold no relation)
_GOLD_LABEL = {"PERSON": "PERSON", "PEOP": "PERSON", "ORG": "ORG"}
_PLACE_LABELS = {"GPE", "LOC", "FAC"}


def _read(path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _reference(base, text: str, gold_ents: list[dict]):
    """A reference Doc: gold spans + the base model's other labels; unknown OTHER spans missing."""
    from spacy.tokens import Span
    from spacy.util import filter_spans

    pred = base(text)
    ref = base.make_doc(text)
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
    for e in pred.ents:
        if e.label_ in {"PERSON", "ORG"} | _PLACE_LABELS:
            continue  # the gold is complete for these
        if not any(i in covered for i in range(e.start, e.end)):
            spans.append(Span(ref, e.start, e.end, label=e.label_))
    ref.set_ents(filter_spans(spans), missing=[m for m in missing if not any(m.start < s.end and s.start < m.end for s in spans)])
    return ref


def _ent_f1(nlp, docs: list[dict]) -> float:
    tp = pred = gold = 0
    keep = {"PERSON", "ORG", "GPE", "LOC", "FAC"}
    for d, doc in zip(docs, nlp.pipe([d["text"] for d in docs])):
        g = {(e["start"], e["end"], "PLACE" if e["type"] == "LOC" else e["type"]) for e in d["entities"] if e["type"] != "OTHER"}
        p = {(e.start_char, e.end_char, "PLACE" if e.label_ in _PLACE_LABELS else e.label_) for e in doc.ents if e.label_ in keep}
        tp += len(g & p)
        pred += len(p)
        gold += len(g)
    prec, rec = tp / max(pred, 1), tp / max(gold, 1)
    return 2 * prec * rec / max(prec + rec, 1e-9)


TRAINING_DATA = Path(__file__).resolve().parent.parent / "data" / "training"
NEWS_SENTENCES = TRAINING_DATA / "news_sentences.jsonl"  # fully annotated: NER rehearsal and relations
NEWS_RELATIONS = TRAINING_DATA / "news_relations.jsonl"  # relation examples and hard negatives only


def train_ner(train_path, dev_path=None, out_dir: Path = NER_DIR, base: str | None = None, epochs: int = 20, seed: int = 0,
              extra=(NEWS_SENTENCES,), extra_repeat: int = 4, dropout: float = 0.35, log=print) -> dict:
    """Fine-tune the base model's ner; keep the epoch with the best dev entity F1."""
    import spacy
    from spacy.training import Example
    from spacy.util import minibatch

    from .nlp.pipeline import default_model

    random.seed(seed)
    spacy.util.fix_random_seed(seed)
    base_name = base or default_model()
    base_nlp = spacy.load(base_name)
    train = _read(train_path)
    dev = _read(dev_path) if dev_path else []
    for path in extra:
        if Path(path).exists():
            train = train + _read(path) * extra_repeat  # present-day names, so they are not forgotten
    examples = [Example(base_nlp.make_doc(d["text"]), _reference(base_nlp, d["text"], d["entities"])) for d in train]
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
    meta = {"base": base_name, "base_version": nlp.meta.get("version"), "train": Path(train_path).name, "epochs": epochs, "dropout": dropout, "dev_f1_before": before, "dev_f1": best, "history": history}
    (out_dir / "training.json").write_text(json.dumps(meta, indent=2))
    return meta


def _add_pairs(X: list, y: list, ents, label_of) -> None:
    """Features and gold label of every candidate pair; a relation the type pair cannot hold in the
    ontology counts as none."""
    from .nlp.classifier import PAIRS, candidate_pairs, features

    for a, b, ta, tb in candidate_pairs(ents):
        label = label_of(a, b)
        if label != "none" and PAIRS[(ta, tb)] != label:
            label = "none"
        X.append(features(a, b, ta, tb))
        y.append(label)


def _predicted_examples(nlp, docs: list[dict]):
    """Pairs over the entities kg itself finds, labelled by matching them to the gold spans:
    the classifier also learns from the boundaries and types it will see at run time."""
    from .nlp.classifier import coarse
    from .resolve import normalise

    X, y = [], []
    for d, doc in zip(docs, nlp.pipe([d["text"] for d in docs])):
        gold_ents = d["entities"]
        gold = {(r["head_idx"], r["tail_idx"]): r["relation"] for r in d["relations"]}

        def gold_index(span):
            # the gold entity this span stands for: same text, or inside it sharing an edge ("Amherst" in "Amherst, Mass.")
            for i, g in enumerate(gold_ents):
                if normalise(g["text"]) == normalise(span.text):
                    return i
                inside = g["start"] <= span.start_char and span.end_char <= g["end"] + 1
                if inside and (span.start_char == g["start"] or span.end_char >= g["end"] - 1):
                    return i
            return None

        ents = [(e, coarse(e.label_)) for e in doc.ents]
        ents = [(e, t) for e, t in ents if t]
        index = {e.start: gold_index(e) for e, _ in ents}
        _add_pairs(X, y, ents, lambda a, b: gold.get((index[a.start], index[b.start]), "none"))
    return X, y


def _relation_examples(nlp, docs: list[dict]):
    """(features, label) for every candidate entity pair of every gold document."""
    from spacy.tokens import Span
    from spacy.util import filter_spans

    from .nlp.classifier import coarse

    label_of_type = {"PERSON": "PERSON", "PEOP": "PERSON", "ORG": "ORG", "LOC": "GPE", "PLACE": "GPE"}
    X, y = [], []
    for d, doc in zip(docs, nlp.pipe([d["text"] for d in docs])):
        spans = {}
        for i, e in enumerate(d["entities"]):
            lab = label_of_type.get(e["type"].upper())
            sp = doc.char_span(e["start"], e["end"], alignment_mode="expand") if lab else None
            if sp is not None:
                spans[i] = Span(doc, sp.start, sp.end, label=lab)
        kept = filter_spans(list(spans.values()))
        doc.ents = kept
        by_pos = {(s.start, s.end): s for s in kept}
        gold = {}
        for r in d["relations"]:
            a, b = spans.get(r["head_idx"]), spans.get(r["tail_idx"])
            if a is not None and b is not None:
                gold[((a.start, a.end), (b.start, b.end))] = r["relation"]
        ents = [(s, coarse(s.label_)) for s in by_pos.values()]
        _add_pairs(X, y, ents, lambda a, b: gold.get(((a.start, a.end), (b.start, b.end)), "none"))
    return X, y


def train_relations(train_path, dev_path=None, out_path: Path = REL_PATH, base: str | None = None, C: float = 0.1, predicted: bool = True,
                    extra=(NEWS_SENTENCES, NEWS_RELATIONS), log=print) -> dict:
    """Fit the pair classifier on gold entities; pick the probability threshold on dev."""
    import spacy
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    from .nlp.pipeline import default_model

    nlp = spacy.load(base or default_model(), disable=["ner"])
    train = _read(train_path) + [d for p in extra if Path(p).exists() for d in _read(p)]
    X, y = _relation_examples(nlp, train)
    if predicted:
        from .nlp.pipeline import load_pipeline

        full = load_pipeline(base, relations=False)
        Xp, yp = _predicted_examples(full, train)
        X, y = X + Xp, y + yp
    vec = DictVectorizer()
    Xv = vec.fit_transform(X)
    clf = LogisticRegression(C=C, max_iter=3000, class_weight={c: (1.0 if c == "none" else POS_WEIGHT) for c in set(y)})
    clf.fit(Xv, y)
    log(f"relations: {len(y)} training pairs, {Counter(y).most_common()}; {Xv.shape[1]} features")
    names = vec.get_feature_names_out()
    weights = {}
    for j, name in enumerate(names):
        col = clf.coef_[:, j]
        if abs(col).max() > 1e-3:
            weights[str(name)] = [round(float(v), 4) for v in col]
    model = {"classes": [str(c) for c in clf.classes_], "intercept": [round(float(v), 4) for v in clf.intercept_], "weights": weights, "threshold": 0.5}
    meta = {"train": Path(train_path).name, "pairs": len(y), "features": len(weights), "C": C}
    if dev_path:
        dev = _read(dev_path)
        # The threshold is chosen where it will be used: on the entities kg finds itself.
        Xd, yd = _predicted_examples(full, dev) if predicted else _relation_examples(nlp, dev)
        probs = clf.predict_proba(vec.transform(Xd))
        classes = list(clf.classes_)
        # one threshold per relation: each class keeps the cut-off that maximises its own F1 on dev
        thresholds = {}
        for k, cls in enumerate(classes):
            if cls == "none":
                continue
            best = (-1.0, 0.5)
            for th in [x / 20 for x in range(4, 19)]:
                tp = fp = fn = 0
                for row, gold in zip(probs, yd):
                    pred = cls if row.argmax() == k and row[k] >= th else None
                    tp += pred == cls and gold == cls
                    fp += pred == cls and gold != cls
                    fn += pred != cls and gold == cls
                f1 = 2 * tp / max(2 * tp + fp + fn, 1)
                best = max(best, (f1, th))
            thresholds[str(cls)] = best[1]
        model["thresholds"] = thresholds
        tp = fp = fn = 0
        for row, gold in zip(probs, yd):
            k = row.argmax()
            pred = classes[k] if classes[k] != "none" and row[k] >= thresholds[classes[k]] else "none"
            tp += pred != "none" and pred == gold
            fp += pred != "none" and pred != gold
            fn += gold != "none" and pred != gold
        f1 = 2 * tp / max(2 * tp + fp + fn, 1)
        meta.update({"dev_pair_f1": round(f1, 4), "dev_pairs_from": "kg entities" if predicted else "gold entities", "thresholds": thresholds})
        log(f"relations: dev pair F1 ({meta['dev_pairs_from']}) {f1:.3f} with thresholds {thresholds}")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(model, separators=(",", ":")))
    (out_path.parent / "relations.training.json").write_text(json.dumps(meta, indent=2))
    return meta
