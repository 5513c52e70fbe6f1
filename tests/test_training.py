"""`kg train` retrains both learned parts from gold JSONL (here a tiny set, into a temporary folder)."""

import json
from pathlib import Path

import pytest

import kg
from kg.cli import cli

pytestmark = pytest.mark.model
SEED = Path(__file__).resolve().parent.parent / "data" / "articles" / "bitmain_us_factory.txt"
SENTENCES = Path(__file__).resolve().parent.parent / "data" / "training" / "news_sentences.jsonl"


def test_kg_train_writes_ner_and_classifier(tmp_path, runner):
    models = tmp_path / "models"
    r = runner.invoke(cli, ["train", "--train", str(SENTENCES), "--dev", str(SENTENCES), "--epochs", "1", "--models", str(models)])
    assert r.exit_code == 0, r.output
    meta = json.loads((models / "ner" / "training.json").read_text())
    assert meta["epochs"] == 1 and 0.0 <= meta["dev_f1"] <= 1.0
    meta = json.loads((models / "relations.json").read_text())
    assert {"worksFor", "basedIn", "leaderOf"} <= set(meta["relations"]) and set(meta["thresholds"]) <= set(meta["relations"])
    from kg.nlp.classifier import load_model

    model = load_model(str(models / "relations.json"))
    assert model.weights.shape == (meta["features"], len(meta["relations"])) == (len(model.hashes), len(meta["relations"]))
    assert (model.weights != 0).any(axis=1).all()  # the rows kept are the features the fit used
    names = [n for n in ("AinB", "BinA", "BctxA", "AbeforeB") if model.has(n)]
    assert names and not model.has("no such feature")
    probs = model.predict({name: 1.0 for name in names})
    assert set(probs) == set(meta["relations"]) and all(0.0 <= p <= 1.0 for p in probs.values())
    assert probs != model.predict({"no such feature": 1.0})  # the known features move the scores
    table = json.loads((models / "patterns.calibration.json").read_text())["patterns"]
    assert table and all(0.0 < v["confidence"] < 1.0 and 0 <= v["right"] <= v["facts"] for v in table.values())
    import os

    assert "KG_MODELS" not in os.environ and "KG_CALIBRATION" not in os.environ  # the calibration builds leave no trace


def test_kg_train_refuses_missing_files(tmp_path, runner):
    r = runner.invoke(cli, ["train", "--train", str(tmp_path / "nope.jsonl")])
    assert r.exit_code != 0 and r.output.startswith("kg: error:")


def test_a_short_texts_feature_copies_are_read_without_being_built():
    """predict(feats, short=True) is the model's answer on the short-text copies with_domain builds."""
    from kg.nlp.classifier import SHORT_PREFIX, load_model, with_domain

    model = load_model()
    seen = []  # the features of the pairs of a real article's entities
    predict = model.predict
    model.predict = lambda feats, short=False: seen.extend(feats) or predict(feats, short)
    try:
        kg.load_pipeline()(SEED.read_text(encoding="utf-8"))
    finally:
        del model.predict
    both = [name for name in dict.fromkeys(seen) if model.has(name) and model.has(SHORT_PREFIX + name)][:200]
    assert len(both) >= 20, "the shipped model has short-text copies of its features"
    feats = {name: 1.0 for name in both}
    read = model.logits(feats, short=True)
    built = model.logits(with_domain(dict(feats), True))
    assert abs(read - built).max() < 1e-4
    assert abs(read - model.logits(feats)).max() > 1e-3  # the copies count
    assert all(name.startswith(SHORT_PREFIX) for name in set(with_domain(dict(feats), True)) - set(feats))


def test_a_saved_relation_model_reads_back_row_for_row(tmp_path):
    """Features are saved as hashes beside their weights (mostly zeros, kept sparse); the model read
    back scores every feature as the fitted one did, and a model saved with its feature names (before
    they were hashed) reads the same."""
    import numpy as np

    from kg.nlp.classifier import SHORT_PREFIX, PairModel, load_model

    rng = np.random.default_rng(7)
    names = [f"w:{i}" for i in range(300)] + [f"{SHORT_PREFIX}w:{i}" for i in range(0, 300, 3)]
    weights = rng.normal(size=(len(names), 4)) * (rng.random((len(names), 4)) < 0.3)
    weights[:, 0] += 0.5  # no row all zeros
    meta = {"relations": ["a", "b", "c", "d"], "thresholds": {"a": 0.4}, "calibration": {"b": [2.0, -1.0]}}
    PairModel.from_names(meta, names, weights, np.array([0.1, 0.2, 0.3, 0.4])).save(tmp_path / "new" / "relations.json")
    model = load_model(str(tmp_path / "new" / "relations.json"))
    assert model.weights.shape == (len(names), 4)
    for i in (0, 1, 150, 299):
        expect = (weights[i] + [0.1, 0.2, 0.3, 0.4]).astype(np.float32)
        assert np.allclose(model.logits({f"w:{i}": 1.0}), expect)
    both = {f"w:{i}": 1.0 for i in (3, 4)}  # w:3 has a short copy, w:4 has none
    short = weights[[3, 4, names.index(f"{SHORT_PREFIX}w:3")]].sum(axis=0) + [0.1, 0.2, 0.3, 0.4]
    assert np.allclose(model.logits(both, short=True), short)
    assert np.allclose(model.logits({"unknown": 1.0}), [0.1, 0.2, 0.3, 0.4])
    assert model.threshold("a") == 0.4 and abs(model.predict({})["b"] - 1 / (1 + np.exp(-(2 * 0.2 - 1)))) < 1e-6
    legacy = tmp_path / "old" / "relations.json"
    legacy.parent.mkdir()
    legacy.write_text(json.dumps(dict(meta, features=names)))
    np.savez_compressed(legacy.with_suffix(".npz"), weights=weights.astype(np.float32), intercept=np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32))
    old = load_model(str(legacy))
    feats = {f"w:{i}": 1.0 for i in range(0, 300, 7)}
    assert np.allclose(old.logits(feats, short=True), model.logits(feats, short=True))
