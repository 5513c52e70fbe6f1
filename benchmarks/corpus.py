"""The whole `kg build` command beside bare `nlp.pipe` over the same texts: time and peak memory.

    python benchmarks/corpus.py wikinews      # the 295 Wikinews articles (../shared/corpus/wikinews)
    python benchmarks/corpus.py wikinews4     # the same, 4 distinct copies of each (memory must stay flat)
    python benchmarks/corpus.py short         # 1,744 short files: CoNLL04 texts, then Wikinews paragraphs
    python benchmarks/run.py --corpora        # wikinews and short beside the other benchmarks (+ wikinews4 with --scale)

Each side runs in its own process; its peak is that process's max RSS. kg's figure is the whole
command (start-up, model load, extraction, store, graph.ttl and graph.html); bare `nlp.pipe` is timed
from its first text to its last (model load and file reading outside the timing), batch size 32.
"""

from __future__ import annotations

import argparse
import json
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
    if not any(folder.iterdir()):
        raise SystemExit(f"no texts for {kind!r}: it needs ../shared/corpus/wikinews (and ../shared/eval for short)")


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


def compare(kind: str) -> dict:
    """Bare nlp.pipe and the whole kg build over one corpus: seconds, words, files and peaks."""
    kg = str(Path(sys.executable).with_name("kg"))
    with tempfile.TemporaryDirectory() as d:
        folder, out = Path(d) / "articles", Path(d) / "out"
        folder.mkdir()
        write_corpus(kind, folder)
        _, bare_peak, bare_out = measured([sys.executable, __file__, "--bare", str(folder)])
        b = json.loads(bare_out)
        seconds, peak, _ = measured([kg, "build", str(folder), "--out", str(out), "-q"])
    return {"kind": kind, "files": b["files"], "words": b["words"], "bare_seconds": b["seconds"], "bare_peak_mb": bare_peak,
            "kg_seconds": seconds, "kg_peak_mb": peak}


def report(r: dict, indent: str = "  ") -> None:
    words = r["words"]
    print(f"{indent}{r['kind']}: {r['files']:,} files, {words:,} words")
    print(f"{indent}  bare nlp.pipe (batch 32)   {r['bare_seconds']:7.1f} s  {words / r['bare_seconds']:7,.0f} words/s  peak {r['bare_peak_mb']:6,.0f} MB")
    print(f"{indent}  kg build, whole command    {r['kg_seconds']:7.1f} s  {words / r['kg_seconds']:7,.0f} words/s  peak {r['kg_peak_mb']:6,.0f} MB")
    print(f"{indent}  ratio kg / bare: {r['bare_seconds'] / r['kg_seconds']:.2f}x throughput, {r['kg_peak_mb'] / r['bare_peak_mb']:.2f}x peak")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="*", default=["wikinews"])
    ap.add_argument("--bare", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare:
        sys.path.insert(0, str(ROOT))
        return bare(args.bare)
    for kind in args.corpus:
        report(compare(kind), indent="")


if __name__ == "__main__":
    main()
