"""The whole `kg export` command beside Oxigraph's own `oxigraph dump` binary on the same store,
in interleaved rounds (each a fresh process), and `kg export` of the bundled article's graph.

    python benchmarks/export.py OUT [--rounds 5] [--format nt]

OUT is the output folder of a build (its store is read). The ratio is oxigraph's time over kg's:
1.0 means kg exports as fast as Oxigraph's own command-line tool.
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
KG = [sys.executable, "-c", "from kg.cli import cli; cli()"]


def timed(cmd: list[str], cwd: Path | None = None) -> float:
    """Seconds one command takes as its own process (exits with its error when it fails)."""
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])} … ({cwd or '.'}): {r.stderr.strip()[-500:]}")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("graph")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--format", default="nt")
    args = ap.parse_args()
    oxigraph = shutil.which("oxigraph")
    if oxigraph is None:
        sys.exit("the oxigraph binary is not installed (pip install oxigraph)")
    tmp = Path(tempfile.mkdtemp(prefix="kg-export-"))
    # oxigraph dump opens the store for writing: it gets its own copy, so both read the same data
    copy = tmp / "copy"
    shutil.copytree(Path(args.graph) / "store", copy)
    kg_times, ox_times = [], []
    for _ in range(args.rounds):
        ox_times.append(timed([oxigraph, "dump", "--location", str(copy), "--graph", "default", "--file", str(tmp / f"ox.{args.format}")]))
        kg_times.append(timed(KG + ["export", "-g", args.graph, "-f", args.format, "-o", str(tmp / f"kg.{args.format}")]))
    ratios = [o / k for o, k in zip(ox_times, kg_times)]
    same = (tmp / f"ox.{args.format}").stat().st_size == (tmp / f"kg.{args.format}").stat().st_size
    print(f"kg export -f {args.format}: median {statistics.median(kg_times):.2f} s; oxigraph dump: median {statistics.median(ox_times):.2f} s; "
          f"kg at {statistics.median(ratios):.2f}x oxigraph's speed (rounds {' '.join(f'{r:.2f}' for r in ratios)}); same size: {same}")
    seed = tmp / "seed"
    r = subprocess.run(KG + ["build", str(ROOT / "data" / "articles"), "--out", str(seed), "-q", "--no-html"], capture_output=True, text=True)
    if r.returncode == 0:
        times = [timed(KG + ["export", "-g", str(seed), "-o", str(tmp / "seed.ttl")]) for _ in range(args.rounds)]
        print(f"kg export of the bundled article's graph (Turtle, whole process): median {statistics.median(times):.2f} s "
              f"(rounds {' '.join(f'{t:.2f}' for t in times)})")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
