"""Shared fixtures: the real pipeline (session-wide), the built bundled article, hand-made Docs."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "articles" / "bitmain_us_factory.txt"
GOLD = ROOT.parent / "shared" / "eval"


@pytest.fixture(scope="session")
def nlp():
    from kg.nlp.pipeline import load_pipeline

    return load_pipeline()


@pytest.fixture(scope="session")
def seed_out(tmp_path_factory):
    """The bundled article built once through the CLI into an output folder."""
    from kg.cli import cli

    out = tmp_path_factory.mktemp("seed") / "out"
    result = CliRunner().invoke(cli, ["build", str(SEED.parent), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def seed_graph(seed_out):
    from kg.store import KGStore

    with KGStore.for_reading(seed_out) as store:
        return store.to_rdflib()


@pytest.fixture
def runner():
    return CliRunner()
