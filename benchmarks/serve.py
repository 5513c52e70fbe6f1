"""Exploring a corpus-sized graph: static page render time, and `kg serve` page latency and concurrency.

    python benchmarks/serve.py --graph OUT          # OUT: a `kg build` of ../shared/corpus/wikinews
    python benchmarks/serve.py --graph OUT --quick  # smaller synthetic graphs

Figures, not pass/fail:
1. `kg render` on the Wikinews graph, and on synthetic graphs of 20,000 entities (kg's shape:
   typed, labelled entities named in articles; facts with assertions and sentences).
2. `kg serve`: median and 95th-percentile time of the search, entity and article pages on the
   Wikinews graph and on a synthetic graph of about 1M triples, and 20 concurrent clients.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KG = "https://w3id.org/kg-news/ontology#"
ID = "https://w3id.org/kg-news/id/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "https://schema.org/"
KG_BIN = [sys.executable, "-c", "from kg.cli import cli; cli()"]
CLASSES = [("person", "Person"), ("organization", "Company"), ("place", "City"), ("organization", "PoliticalParty"), ("policy", "Policy")]
RELATIONS = ["worksFor", "memberOf", "basedIn", "livesIn", "leaderOf", "enactedBy"]


def synthetic_graph(path: Path, entities: int, facts_per_entity: float = 1.0, articles: int | None = None, seed: int = 7) -> int:
    """An N-Triples graph shaped like kg's; returns its number of triples. Degrees are skewed (a few
    entities in many facts, most in one or none), as in news."""
    rnd = random.Random(seed)
    articles = articles or max(1, entities // 15)
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        def t(s, p, o):
            nonlocal n
            f.write(f"{s} {p} {o} .\n")
            n += 1

        for a in range(articles):
            art = f"<{ID}article/{a:016x}>"
            t(art, f"<{RDF}type>", f"<{KG}NewsArticle>")
            t(art, f"<{KG}fileName>", f'"synthetic/{a}.txt"')
            t(art, f"<{SCHEMA}headline>", f'"Synthetic article {a}"')
            t(art, f"<{SCHEMA}articleBody>", f'"Synthetic article {a}. Entity {a} met entity {a + 1} in entity {a + 2}."')
        for i in range(entities):
            top, cls = CLASSES[i % len(CLASSES)]
            e = f"<{ID}{top}/entity-{i}>"
            t(e, f"<{RDF}type>", f"<{KG}{cls}>")
            t(e, f"<{RDFS}label>", f'"Entity {i}"')
            for a in {rnd.randrange(articles) for _ in range(max(1, int(rnd.paretovariate(2.0))))}:
                t(e, f"<{KG}mentionedIn>", f"<{ID}article/{a:016x}>")
        cum = list(itertools.accumulate(1 / (k + 1) ** 0.8 for k in range(entities)))
        for k in range(int(entities * facts_per_entity)):
            h, o = rnd.choices(range(entities), cum_weights=cum, k=2)
            if h == o:
                continue
            rel = RELATIONS[k % len(RELATIONS)]
            hs = f"<{ID}{CLASSES[h % len(CLASSES)][0]}/entity-{h}>"
            os_ = f"<{ID}{CLASSES[o % len(CLASSES)][0]}/entity-{o}>"
            t(hs, f"<{KG}{rel}>", os_)
            x = f"<{ID}assertion/{k:020x}>"
            for p, v in ((f"{RDF}type", f"<{KG}Assertion>"), (f"{RDF}subject", hs), (f"{RDF}predicate", f"<{KG}{rel}>"), (f"{RDF}object", os_),
                         (f"{PROV}wasDerivedFrom", f"<{ID}article/{k % articles:016x}>"), (f"{KG}sentence", f'"Entity {h} and entity {o}, sentence {k}."'),
                         (f"{KG}startChar", '"0"^^<http://www.w3.org/2001/XMLSchema#integer>'),
                         (f"{KG}confidence", '"0.9"^^<http://www.w3.org/2001/XMLSchema#decimal>'), (f"{KG}status", '"asserted"')):
                t(x, f"<{p}>", v)
    return n


def render_seconds(graph: str | Path, output: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(KG_BIN + ["render", "--graph", str(graph), "-o", str(output)], check=True, capture_output=True)
    return time.perf_counter() - t0


class Server:
    def __init__(self, graph: Path):
        self.proc = subprocess.Popen(KG_BIN + ["serve", "--graph", str(graph), "--port", "0"], stdout=subprocess.PIPE, text=True)
        self.base = "http://127.0.0.1:" + re.search(r":(\d+)/", self.proc.stdout.readline()).group(1)
        for _ in range(300):
            try:
                self.get("/api/search?q=a")
                break
            except OSError:
                time.sleep(0.1)

    def get(self, path: str) -> tuple[int, float]:
        t0 = time.perf_counter()
        with urllib.request.urlopen(self.base + path, timeout=60) as r:
            r.read()
            return r.status, time.perf_counter() - t0

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)


def latencies(server: Server, paths: list[str], repeat: int = 3) -> dict:
    for p in paths:  # warm: the first search builds the index, the first entity page loads the store's caches
        server.get(p)
    times = [server.get(p)[1] for _ in range(repeat) for p in paths]
    times.sort()
    return {"median_ms": 1000 * statistics.median(times), "p95_ms": 1000 * times[int(0.95 * (len(times) - 1))], "n": len(times)}


def concurrency(server: Server, paths: list[str], clients: int = 20, requests: int = 400) -> dict:
    def one(i):
        try:
            return server.get(paths[i % len(paths)])
        except Exception:  # noqa: BLE001 - counted as an error
            return (0, 0.0)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one, range(requests)))
    wall = time.perf_counter() - t0
    errors = sum(1 for s, _ in results if s != 200)
    return {"clients": clients, "requests": requests, "errors": errors, "per_second": requests / wall,
            "p95_ms": 1000 * sorted(t for _, t in results)[int(0.95 * (len(results) - 1))]}


def page_paths(server: Server, searches: list[str]) -> dict[str, list[str]]:
    """Search, entity and article paths to time: the most connected entities and the articles they are named in."""
    entity, article = [], []
    for q in searches:
        with urllib.request.urlopen(server.base + "/api/search?q=" + urllib.parse.quote(q), timeout=60) as r:
            hits = json.loads(r.read())
        entity += [f"/entity/{h['path']}" for h in hits[:2]]
    for p in entity[:4]:
        with urllib.request.urlopen(server.base + p, timeout=60) as r:
            article += re.findall(r'href="(/article/[0-9a-f]{16})"', r.read().decode())[:1]
    return {"search": [f"/api/search?q={urllib.parse.quote(q)}" for q in searches], "entity": entity, "article": article}


def report(name: str, server: Server, searches: list[str]) -> None:
    paths = page_paths(server, searches)
    for kind in ("search", "entity", "article"):
        if paths[kind]:
            r = latencies(server, paths[kind])
            print(f"   {name:<22} {kind:<8} median {r['median_ms']:7.1f} ms   p95 {r['p95_ms']:7.1f} ms   ({r['n']} requests)")
    c = concurrency(server, paths["search"] + paths["entity"] + paths["article"])
    print(f"   {name:<22} {c['clients']} concurrent clients: {c['requests']} requests, {c['errors']} errors, "
          f"{c['per_second']:.0f} requests/s, p95 {c['p95_ms']:.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--graph", help="A `kg build` output folder of the Wikinews corpus")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    big_entities = 2_000 if args.quick else 20_000
    million = 100_000 if args.quick else 1_000_000
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        print("1. static page (kg render)")
        if args.graph:
            print(f"   Wikinews graph ({args.graph}): {render_seconds(args.graph, d / 'w.html'):.1f} s")
        nt = d / "big.nt"
        triples = synthetic_graph(nt, big_entities)
        print(f"   synthetic, {big_entities:,} entities ({triples:,} triples): {render_seconds(nt, d / 'big.html'):.1f} s")

        print("2. kg serve page latency")
        if args.graph:
            s = Server(Path(args.graph))
            try:
                report("Wikinews graph", s, ["trump", "united", "bor", "orban", "eu"])
            finally:
                s.close()
        m = d / "million.nt"
        # about 10 triples per fact and 3 per entity: entities = triples / 13
        triples = synthetic_graph(m, million // 13, facts_per_entity=1.0)
        out = d / "million"
        import pyoxigraph as ox

        (out / "store").mkdir(parents=True)
        store = ox.Store(str(out / "store"))
        store.bulk_load(path=str(m), format=ox.RdfFormat.N_TRIPLES)
        store.flush()
        del store
        s = Server(out)
        try:
            report(f"synthetic {triples / 1e6:.1f}M triples", s, ["entity 1", "entity 42", "entity 777", "entity 5000"])
        finally:
            s.close()


if __name__ == "__main__":
    main()
