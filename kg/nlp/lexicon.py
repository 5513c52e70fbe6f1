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
