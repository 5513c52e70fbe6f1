"""A build of a folder where nothing changed: with the file index (only time and size looked at) and
with `--read-all` (every file read, its text extracted and hashed), in interleaved rounds.

    python benchmarks/unchanged.py FOLDER OUT [--rounds 5]

OUT is a build of FOLDER (with its files.sqlite); each round works on a fresh copy of it. Times are of
the whole `kg build --no-html` command in its own process, graph.ttl written again included.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from export import timed  # benchmarks/export.py: this folder is on the path when a benchmark runs

KG = [sys.executable, "-c", "from kg.cli import cli; cli()"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("out")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # as Python runs by default (see follow.py)
    tmp = Path(tempfile.mkdtemp(prefix="kg-unchanged-"))
    times: dict[str, list[float]] = {"index": [], "--read-all": []}
    try:
        for i in range(args.rounds + 1):
            for name in (("index", "--read-all") if i % 2 else ("--read-all", "index")):
                copy = tmp / "out"
                shutil.rmtree(copy, ignore_errors=True)
                shutil.copytree(args.out, copy)
                t = timed(KG + ["build", args.folder, "--out", str(copy), "-q", "--no-html"] + (["--read-all"] if name != "index" else []))
                if i:  # round 0 writes the bytecode caches
                    times[name].append(t)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for name, ts in times.items():
        print(f"nothing changed, {name}: median {statistics.median(ts):.2f} s (rounds {' '.join(f'{t:.2f}' for t in ts)})")


if __name__ == "__main__":
    main()
