"""The word lists in lexicon.json, loaded once."""

from __future__ import annotations

import functools
import json
from pathlib import Path

PATTERN_DIR = Path(__file__).resolve().parent / "patterns"


@functools.cache
def lexicon() -> dict:
    with open(Path(__file__).resolve().parent / "lexicon.json", encoding="utf-8") as f:
        data = json.load(f)
    out = {}
    for k, v in data.items():
        out[k] = frozenset(x.lower() for x in v) if isinstance(v, list) else v
    return out


@functools.cache
def places() -> frozenset[str]:
    """Names of the world's cities above 15,000 people and their first-level regions (GeoNames,
    CC BY 4.0, via datasets/world-cities): data/places.txt, one name a line."""
    from ..ontology import data_path

    with open(data_path("places.txt"), encoding="utf-8") as f:
        return frozenset(line.strip() for line in f if line.strip())
