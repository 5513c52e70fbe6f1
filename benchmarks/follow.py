"""Keeping a graph in step with a folder: the whole `kg build` command that replaces one edited article
in the 295-article Wikinews store, the whole `kg forget` of 100 articles, and `kg watch` (the pipeline
loaded once) replacing one edited article: from the edit to the store and graph.ttl written.

    python benchmarks/follow.py [--rounds 3] [--store OUT] [--against REV]

Without --store the corpus is built once first (about two minutes); each round works on a fresh copy
of that store, so every round replaces (or forgets) against the same 295-article graph. Times are of
the whole command in its own process: start-up, imports, model load, extraction, the one-transaction
change, and graph.ttl (+ graph.html unless --no-html). With --against, REV (checked out in a temporary
worktree) runs the same commands in interleaved rounds (REV, this checkout, this checkout, REV, ...).

Commands run as Python runs by default, caching compiled modules (PYTHONDONTWRITEBYTECODE, set on
some machines, is dropped): every kg command would otherwise compile kg's own modules again; one
untimed round per side writes the caches first.
"""

from __future__ import annotations

import argparse
import os
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


def run(args: list[str], cwd: Path = ROOT) -> float:
    """Seconds the kg command takes in its own process, with the kg package of `cwd`."""
    t0 = time.perf_counter()
    r = subprocess.run(KG + args, capture_output=True, text=True, cwd=cwd)
    if r.returncode != 0:
        sys.exit(f"kg {' '.join(args[:3])} … ({cwd}): {r.stderr.strip()[-500:]}")
    return time.perf_counter() - t0


def watch_rounds(corpus: Path, files: list[Path], base: Path, out: Path, rounds: int, html: bool) -> list[float]:
    """Seconds from editing a file to `kg watch` saying it replaced it (store and outputs written)."""
    import queue
    import threading

    shutil.copytree(base, out)
    proc = subprocess.Popen(KG + ["watch", str(corpus), "--out", str(out), "--interval", "0.2"] + ([] if html else ["--no-html"]), cwd=ROOT,
                            stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()

    def wait_for(text: str) -> None:
        while True:
            line = lines.get(timeout=300)
            if text in line:
                return

    times = []
    try:
        wait_for("unchanged in")  # the first look: nothing changed since the store was built
        for i in range(rounds):
            edited = files[(11 * i + 3) % len(files)]
            original = edited.read_text(encoding="utf-8")
            t0 = time.perf_counter()
            edited.write_text(original.replace(" the ", " a ", 1), encoding="utf-8")
            wait_for("1 replaced")
            times.append(time.perf_counter() - t0)
            edited.write_text(original, encoding="utf-8")
            wait_for("1 replaced")
    finally:
        proc.terminate()
        proc.wait(30)
    return times


def command_rounds(sides: dict[str, Path], corpus: Path, files: list[Path], base: Path, tmp: Path, rounds: int) -> dict[str, list[float]]:
    """The whole-command figures, each side in turn (the order alternating by round); round 0 untimed."""
    kinds = ("replace one article (kg build, with graph.html)", "replace one article (kg build --no-html)",
             "no change (kg build --no-html)", "forget 100 articles (kg forget)")
    results: dict[str, list[float]] = {f"{kind} [{side}]": [] for kind in kinds for side in sides}
    for i in range(rounds + 1):
        order = list(sides.items()) if i % 2 else list(sides.items())[::-1]
        for j, kind in enumerate(kinds):
            edited = files[(7 * i + j) % len(files)]
            for side, tree in order:
                out = tmp / f"round-{side}"
                shutil.rmtree(out, ignore_errors=True)
                shutil.copytree(base, out)
                if kind.startswith("replace"):
                    original = edited.read_text(encoding="utf-8")
                    edited.write_text(original.replace(" the ", " a ", 1), encoding="utf-8")
                    try:
                        t = run(["build", str(corpus), "--out", str(out), "-q"] + (["--no-html"] if "no-html" in kind else []), tree)
                    finally:
                        edited.write_text(original, encoding="utf-8")
                elif kind.startswith("no change"):
                    t = run(["build", str(corpus), "--out", str(out), "-q", "--no-html"], tree)
                else:
                    t = run(["forget", *[f.name for f in files[i:i + 100]], "--out", str(out), "-q"], tree)
                if i:
                    results[f"{kind} [{side}]"].append(t)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--store", help="a build of the Wikinews folder (default: build one)")
    ap.add_argument("--against", metavar="REV", help="also time the commands of commit REV, interleaved")
    ap.add_argument("--watch-only", action="store_true", help="only the kg watch figures")
    args = ap.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    tmp = Path(tempfile.mkdtemp(prefix="kg-follow-"))
    corpus = tmp / "wikinews"
    shutil.copytree(WIKINEWS, corpus, ignore=shutil.ignore_patterns("MANIFEST*"))
    base = Path(args.store) if args.store else tmp / "base"
    if not args.store:
        print(f"building the corpus once: {run(['build', str(corpus), '--out', str(base), '-q']):.1f} s")
    files = sorted(corpus.glob("*.txt"))
    sides = {"this checkout": ROOT}
    if args.against:
        sides[args.against] = tmp / "against"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(tmp / "against"), args.against], check=True, capture_output=True)
    try:
        results = {} if args.watch_only else command_rounds(sides, corpus, files, base, tmp, args.rounds)
        for html in (False, True):
            name = "replace one article (kg watch, edit to graph written" + (", with graph.html)" if html else ", --no-html)")
            results[name] = watch_rounds(corpus, files, base, tmp / f"watch{int(html)}", args.rounds, html)
    finally:
        if args.against:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tmp / "against")], capture_output=True)
    for name, times in results.items():
        if times:
            print(f"{name}: median {statistics.median(times):.2f} s (rounds {' '.join(f'{t:.2f}' for t in times)})")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
