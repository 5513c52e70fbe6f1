"""`kg train` retrains both learned parts from gold JSONL (here a tiny set, into a temporary folder)."""

import json
from pathlib import Path

import pytest

from kg.cli import cli

pytestmark = pytest.mark.model
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
    assert model.weights.shape == (len(meta["features"]), len(meta["relations"]))
    probs = model.predict({name: 1.0 for name in meta["features"][:50]})
    assert set(probs) == set(meta["relations"]) and all(0.0 <= p <= 1.0 for p in probs.values())
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
    both = [name for name in model.short_index if name in model.index][:200]
    assert both, "the shipped model has short-text copies of its features"
    feats = {name: 1.0 for name in both}
    read = model.logits(feats, short=True)
    built = model.logits(with_domain(dict(feats), True))
    assert abs(read - built).max() < 1e-4
    assert abs(read - model.logits(feats)).max() > 1e-3  # the copies count
    assert all(name.startswith(SHORT_PREFIX) for name in set(with_domain(dict(feats), True)) - set(feats))
