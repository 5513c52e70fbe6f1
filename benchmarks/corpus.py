"""The whole `kg build` command beside bare `nlp.pipe` over the same texts: time and peak memory.

    python benchmarks/corpus.py wikinews      # the 295 Wikinews articles (../shared/corpus/wikinews)
    python benchmarks/corpus.py wikinews4     # the same, 4 distinct copies of each (memory must stay flat)
    python benchmarks/corpus.py short         # 1,744 short files: CoNLL04 texts, then Wikinews paragraphs

Each side runs in its own process; its peak is that process's max RSS. kg's figure is the whole
command (start-up, model load, extraction, store, graph.ttl and graph.html); bare `nlp.pipe` is timed
from its first text to its last (model load and file reading outside the timing), batch size 32.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
WIKINEWS = SHARED / "corpus" / "wikinews"
SHORT_FILES = 1_744


def write_corpus(kind: str, folder: Path) -> None:
    articles = sorted(WIKINEWS.glob("*.txt"))
    if kind == "wikinews":
        for p in articles:
            (folder / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    elif kind == "wikinews4":
        for p in articles:
            text = p.read_text(encoding="utf-8")
            for k in range(4):
                (folder / f"{p.stem}-copy{k}.txt").write_text(f"{text}\n\n(copy {k})\n", encoding="utf-8")
    elif kind == "short":
        texts = []
        for name in ("conll04_train.jsonl", "conll04_dev.jsonl"):
            path = SHARED / "eval" / name
            if path.exists():
                texts += [json.loads(line)["text"] for line in path.open(encoding="utf-8") if line.strip()]
        for p in articles:  # then single paragraphs of news, as short files
            texts += [par.strip() for par in p.read_text(encoding="utf-8").split("\n\n") if 10 <= len(par.split()) <= 60]
        texts = list(dict.fromkeys(texts))[:SHORT_FILES]
        for i, text in enumerate(texts):
            (folder / f"short{i:05d}.txt").write_text(text + "\n", encoding="utf-8")
    else:
        raise SystemExit(f"unknown corpus {kind!r}: wikinews, wikinews4 or short")


def bare(folder: str) -> None:
    import spacy

    from kg.nlp.pipeline import default_model

    texts = [p.read_text(encoding="utf-8") for p in sorted(Path(folder).glob("*.txt"))]
    nlp = spacy.load(default_model())
    t0 = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=32):
        pass
    print(json.dumps({"seconds": time.perf_counter() - t0, "words": sum(len(t.split()) for t in texts), "files": len(texts)}))


def measured(cmd: list[str]) -> tuple[float, float, str]:
    """Seconds, peak MB of the command's own process, and its stdout (run from a fresh child)."""
    probe = (
        "import json, resource, subprocess, sys, time\n"
        "t0 = time.perf_counter(); out = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=True).stdout\n"
        "print(json.dumps({'seconds': time.perf_counter() - t0, 'kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, 'out': out}))"
    )
    r = json.loads(subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True, check=True).stdout)
    return r["seconds"], r["kb"] / 1024, r["out"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", default="wikinews")
    ap.add_argument("--bare", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare:
        sys.path.insert(0, str(ROOT))
        return bare(args.bare)
    kg = str(Path(sys.executable).with_name("kg"))
    with tempfile.TemporaryDirectory() as d:
        folder, out = Path(d) / "articles", Path(d) / "out"
        folder.mkdir()
        write_corpus(args.corpus, folder)
        _, bare_peak, bare_out = measured([sys.executable, __file__, "--bare", str(folder)])
        b = json.loads(bare_out)
        seconds, peak, _ = measured([kg, "build", str(folder), "--out", str(out), "-q"])
    words = b["words"]
    print(f"{args.corpus}: {b['files']:,} files, {words:,} words")
    print(f"  bare nlp.pipe (batch 32)   {b['seconds']:7.1f} s  {words / b['seconds']:7,.0f} words/s  peak {bare_peak:6,.0f} MB")
    print(f"  kg build, whole command    {seconds:7.1f} s  {words / seconds:7,.0f} words/s  peak {peak:6,.0f} MB")
    print(f"  ratio kg / bare: {b['seconds'] / seconds:.2f}x throughput, {peak / bare_peak:.2f}x peak")


if __name__ == "__main__":
    main()
