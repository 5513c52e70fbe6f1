"""Keeping a graph in step with a folder: the whole `kg build` command that replaces one edited article
in the 295-article Wikinews store, and the whole `kg forget` of 100 articles.

    python benchmarks/follow.py [--rounds 3] [--store OUT]

Without --store the corpus is built once first (about two minutes); each round works on a fresh copy
of that store, so every round replaces (or forgets) against the same 295-article graph. Times are of
the whole command in its own process: start-up, imports, model load, extraction, the one-transaction
change, and graph.ttl (+ graph.html unless --no-html).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIKINEWS = ROOT.parent / "shared" / "corpus" / "wikinews"
KG = [sys.executable, "-c", "from kg.cli import cli; cli()"]


def run(args: list[str]) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(KG + args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"kg {' '.join(args[:3])} …: {r.stderr.strip()}")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--store", help="a build of the Wikinews folder (default: build one)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kg-follow-"))
    corpus = tmp / "wikinews"
    shutil.copytree(WIKINEWS, corpus, ignore=shutil.ignore_patterns("MANIFEST*"))
    base = Path(args.store) if args.store else tmp / "base"
    if not args.store:
        print(f"building the corpus once: {run(['build', str(corpus), '--out', str(base), '-q']):.1f} s")
    files = sorted(corpus.glob("*.txt"))
    results: dict[str, list[float]] = {"replace one article (kg build, with graph.html)": [],
                                       "replace one article (kg build --no-html)": [],
                                       "no change (kg build --no-html)": [],
                                       "forget 100 articles (kg forget)": []}
    for i in range(args.rounds):
        for name, times in results.items():
            out = tmp / f"round{i}"
            shutil.rmtree(out, ignore_errors=True)
            shutil.copytree(base, out)
            if name.startswith("replace"):
                edited = files[(7 * i + len(times)) % len(files)]
                original = edited.read_text(encoding="utf-8")
                edited.write_text(original.replace(" the ", " a ", 1), encoding="utf-8")
                times.append(run(["build", str(corpus), "--out", str(out), "-q"] + (["--no-html"] if "no-html" in name else [])))
                edited.write_text(original, encoding="utf-8")
            elif name.startswith("no change"):
                times.append(run(["build", str(corpus), "--out", str(out), "-q", "--no-html"]))
            else:
                sources = [f.name for f in files[i:i + 100]]
                times.append(run(["forget", *sources, "--out", str(out), "-q"]))
    for name, times in results.items():
        print(f"{name}: median {statistics.median(times):.2f} s (rounds {' '.join(f'{t:.2f}' for t in times)})")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
