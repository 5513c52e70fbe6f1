"""The whole `kg build` of a corpus folder at an earlier commit and at this checkout, in interleaved
rounds (old, new, old, new, ...), each into a fresh output folder and in its own process.

    python benchmarks/compare.py REV [--corpus ../shared/corpus/wikinews] [--rounds 3]

REV is checked out into a temporary git worktree; both sides run with this checkout's Python
environment. The ratio is new over old per round: below 1.0, this checkout is faster.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from export import timed  # benchmarks/export.py: this folder is on the path when a benchmark runs

ROOT = Path(__file__).resolve().parent.parent


def build(source: Path, corpus: str, out: Path) -> float:
    """The whole kg build of `corpus` with the kg package of `source` (run from there, so its kg is imported)."""
    shutil.rmtree(out, ignore_errors=True)
    return timed([sys.executable, "-c", "from kg.cli import cli; cli()", "build", corpus, "--out", str(out), "-q"], cwd=source)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rev")
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "wikinews"))
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kg-compare-"))
    old = tmp / "old"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(old), args.rev], check=True, capture_output=True)
    try:
        ratios = []
        for i in range(args.rounds):
            t_old = build(old, args.corpus, tmp / "out-old")
            t_new = build(ROOT, args.corpus, tmp / "out-new")
            ratios.append(t_new / t_old)
            print(f"round {i + 1}: {args.rev} {t_old:.1f} s, this checkout {t_new:.1f} s ({t_new / t_old:.2f})")
        print(f"this checkout / {args.rev}: median {statistics.median(ratios):.2f} (rounds {' '.join(f'{r:.2f}' for r in ratios)})")
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
