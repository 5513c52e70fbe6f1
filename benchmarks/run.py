"""kg benchmarks: throughput, SPARQL, export and peak memory, side by side with the baselines.

    python benchmarks/run.py            # everything (about 20 minutes on 2 cores: 3 rounds of each build comparison)
    python benchmarks/run.py --quick    # smaller sizes, for a smoke run
    python benchmarks/run.py --scale    # also the Wikinews corpus 4x (memory must stay flat; ~10 min more)

Each measurement runs in its own process so its peak memory (max RSS) is its own.
Figures and ratios are printed; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
KG = "https://w3id.org/kg-news/ontology#"
ID = "https://w3id.org/kg-news/id/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

QUERY = """
SELECT ?place (COUNT(DISTINCT ?person) AS ?people) WHERE {
  ?person kg:worksFor ?org ; rdfs:label ?name .
  ?org kg:basedIn ?place .
  FILTER(STRSTARTS(?name, "Person 1"))
} GROUP BY ?place ORDER BY DESC(?people) ?place LIMIT 10
"""


# ----------------------------------------------------------------------------- data
def corpus_texts() -> list[str]:
    """Distinct news sentences: CoNLL04 train + dev texts, and the bundled article."""
    texts = []
    for name in ("conll04_train.jsonl", "conll04_dev.jsonl"):
        p = EVAL / name
        if p.exists():
            texts += [json.loads(line)["text"] for line in p.open(encoding="utf-8") if line.strip()]
    texts.append((ROOT / "data" / "articles" / "bitmain_us_factory.txt").read_text(encoding="utf-8"))
    return list(dict.fromkeys(texts))


def synthetic_nt(path: Path, n_triples: int) -> None:
    """Triples shaped like kg's graph: people, organisations, places, facts and assertion nodes."""
    with open(path, "w", encoding="utf-8") as f:
        written, i = 0, 0
        while written < n_triples:
            p, o, pl = f"<{ID}person/p{i}>", f"<{ID}organization/o{i % 5000}>", f"<{ID}place/l{i % 300}>"
            a = f"<{ID}assertion/a{i}>"
            lines = [
                f'{p} <{RDF_TYPE}> <{KG}Person> .',
                f'{p} <{RDFS_LABEL}> "Person {i}" .',
                f'{p} <{KG}worksFor> {o} .',
                f'{o} <{RDF_TYPE}> <{KG}Company> .',
                f'{o} <{RDFS_LABEL}> "Org {i % 5000}" .',
                f'{o} <{KG}basedIn> {pl} .',
                f'{a} <{RDF_TYPE}> <{KG}Assertion> .',
                f'{a} <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> {p} .',
                f'{a} <{KG}sentence> "Person {i} works for Org {i % 5000}, a company based in Place {i % 300}." .',
                f'{a} <{KG}confidence> "0.9"^^<http://www.w3.org/2001/XMLSchema#decimal> .',
            ]
            f.write("\n".join(lines) + "\n")
            written += len(lines)
            i += 1


# ----------------------------------------------------------------------------- tasks (one process each)
def _time_pipe(nlp) -> dict:
    texts = corpus_texts()
    t0 = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=32):
        pass
    return {"seconds": time.perf_counter() - t0, "words": sum(len(t.split()) for t in texts)}


def task_spacy(args) -> dict:
    import spacy

    from kg.nlp.pipeline import default_model

    return _time_pipe(spacy.load(default_model()))


def task_kg_spacy(args) -> dict:
    from kg.nlp.pipeline import load_pipeline

    return _time_pipe(load_pipeline())


def task_kg_build(args) -> dict:
    from kg.articles import Article
    from kg.builder import build_into, extract
    from kg.store import KGStore

    texts = corpus_texts()
    list(extract([Article.from_text("Warm-up.")], workers=1))  # load the model outside the timing
    with tempfile.TemporaryDirectory() as d, KGStore.for_writing(d) as store:
        t0 = time.perf_counter()
        s = build_into(store, (Article.from_text(t, f"doc{i}") for i, t in enumerate(texts)), workers=args.workers)
        return {"seconds": time.perf_counter() - t0, "words": s.words, "triples": s.triples}


def task_kg_build_dask(args) -> dict:
    """kg build with extraction on a Dask LocalCluster of `workers` processes (models loaded outside the timing)."""
    from distributed import Client, LocalCluster

    from kg.articles import Article
    from kg.builder import build_into
    from kg.distributed import extract_batch
    from kg.store import KGStore

    texts = corpus_texts()
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(extract_batch, [Article.from_text("Warm-up.")])
        with tempfile.TemporaryDirectory() as d, KGStore.for_writing(d) as store:
            t0 = time.perf_counter()
            s = build_into(store, (Article.from_text(t, f"doc{i}") for i, t in enumerate(texts)), dask=client)
            return {"seconds": time.perf_counter() - t0, "words": s.words, "triples": s.triples}


def _kg_store(path: str):
    """kg's store (Oxigraph, in memory) bulk-loaded with the synthetic triples; and the seconds it took."""
    import pyoxigraph as ox

    from kg.store import KGStore

    store = KGStore(ox.Store(), "<bench>")
    t0 = time.perf_counter()
    store.ox.bulk_load(path=path, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
    return store, time.perf_counter() - t0


def _timed_serialise(write, formats=("turtle", "nt")) -> dict:
    out = {}
    for fmt in formats:
        with open(os.devnull, "wb") as sink:
            t0 = time.perf_counter()
            write(sink, fmt)
            out[fmt] = time.perf_counter() - t0
    return out


def task_sparql_kg(args) -> dict:
    from kg.query import run_query

    store, load = _kg_store(args.data)
    t0 = time.perf_counter()
    _, rows = run_query(store, QUERY)
    return {"load_seconds": load, "seconds": time.perf_counter() - t0, "rows": rows}


def task_sparql_rdflib(args) -> dict:
    from rdflib import Graph

    g = Graph()
    t0 = time.perf_counter()
    g.parse(args.data, format="nt")
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = [[str(v) for v in r] for r in g.query(QUERY, initNs={"kg": KG, "rdfs": "http://www.w3.org/2000/01/rdf-schema#"})]
    return {"load_seconds": load, "seconds": time.perf_counter() - t0, "rows": rows}


def task_export_kg(args) -> dict:
    from kg.export import export

    store, _ = _kg_store(args.data)
    return _timed_serialise(lambda sink, fmt: export(store, fmt, sink), formats=("turtle", "nt", "nquads"))


def task_export_dump(args) -> dict:
    """Oxigraph's own Store.dump on the same store: the physical limit `kg export` is measured against."""
    import pyoxigraph as ox

    store, _ = _kg_store(args.data)
    fmts = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "nquads": ox.RdfFormat.N_QUADS}
    return _timed_serialise(lambda sink, fmt: store.ox.dump(sink, fmts[fmt], **({} if fmt == "nquads" else {"from_graph": ox.DefaultGraph()})),
                            formats=("turtle", "nt", "nquads"))


def task_export_rdflib(args) -> dict:
    from rdflib import Graph

    g = Graph()
    g.parse(args.data, format="nt")
    return _timed_serialise(lambda sink, fmt: g.serialize(sink, format=fmt))


def task_export_rdflib_on_kg_graph(args) -> dict:
    """rdflib's own serializers called on kg's rdflib Graph (Oxigraph store underneath)."""
    store, _ = _kg_store(args.data)
    return _timed_serialise(lambda sink, fmt: store.graph.serialize(sink, format=fmt))


TASKS = {k[5:]: v for k, v in globals().items() if k.startswith("task_")}


# ----------------------------------------------------------------------------- driver
def _ratios(what: str, values: list[float]) -> None:
    print(f"   ratio {what + ':':<44} median {statistics.median(values):.2f}x   rounds {' '.join(f'{v:.2f}' for v in values)}")


def run(task: str, **kw) -> dict:
    cmd = [sys.executable, __file__, "--task", task] + [x for k, v in kw.items() for x in (f"--{k}", str(v))]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["peak_mb"] = result.pop("_peak_kb") / 1024
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--task")
    ap.add_argument("--data")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--triples", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds of each build comparison (median reported)")
    ap.add_argument("--no-corpora", action="store_true", help="skip the whole-command runs over the Wikinews corpus and the short files")
    ap.add_argument("--scale", action="store_true", help="also the Wikinews corpus 4x (about 10 more minutes): memory must stay flat")
    args = ap.parse_args()
    if args.task:
        sys.path.insert(0, str(ROOT))
        result = TASKS[args.task](args)
        result["_peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps(result))
        return
    n = 100_000 if args.quick else args.triples
    if args.quick:
        args.repeat = 1
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")
    t_all = time.perf_counter()

    texts = corpus_texts()
    words = sum(len(t.split()) for t in texts)
    print(f"\n1. build throughput: {len(texts)} distinct news texts, {words:,} words (CoNLL04 train+dev, bundled article)")
    # This machine's speed drifts by 10-25 % from minute to minute (a shared VM): each comparison is
    # run as interleaved rounds (baseline, kg, baseline, kg, ...) and its ratio given per round and as
    # the median, so a drift hits both sides of a round alike.
    wps = lambda r: r["words"] / r["seconds"]
    rounds = []
    for _ in range(args.repeat):
        rounds.append({"base": run("spacy"), "kgnlp": run("kg_spacy"), "one": run("kg_build", workers=1), "two": run("kg_build", workers=2)})
    last = rounds[-1]
    print(f"   bare nlp.pipe, model               {wps(last['base']):9,.0f} words/s   peak {last['base']['peak_mb']:6.0f} MB   (last round)")
    print(f"   nlp.pipe, kg's spaCy pipeline      {wps(last['kgnlp']):9,.0f} words/s   peak {last['kgnlp']['peak_mb']:6.0f} MB")
    print(f"   kg build, 1 worker                 {wps(last['one']):9,.0f} words/s   peak {last['one']['peak_mb']:6.0f} MB   ({last['one']['triples']:,} triples)")
    print(f"   kg build, 2 workers                {wps(last['two']):9,.0f} words/s   peak {last['two']['peak_mb']:6.0f} MB")
    _ratios("kg build / bare model nlp.pipe", [wps(r["one"]) / wps(r["base"]) for r in rounds])
    _ratios("kg build / kg's own spaCy nlp.pipe", [wps(r["one"]) / wps(r["kgnlp"]) for r in rounds])
    _ratios("2 workers / 1 worker", [wps(r["two"]) / wps(r["one"]) for r in rounds])
    if not args.no_corpora:
        import corpus  # benchmarks/corpus.py

        print("\n   the whole kg build command (start-up, store, graph.ttl, graph.html) beside bare nlp.pipe, one process:")
        results = {}
        for kind in ["wikinews", "short"] + (["wikinews4"] if args.scale else []):
            results[kind] = [corpus.compare(kind) for _ in range(1 if kind == "wikinews4" else args.repeat)]
            corpus.report(results[kind][-1], indent="   ")
            _ratios(f"{kind}: kg build / bare nlp.pipe", [r["bare_seconds"] / r["kg_seconds"] for r in results[kind]])
        if "wikinews4" in results:
            growth = results["wikinews4"][0]["kg_peak_mb"] / statistics.median(r["kg_peak_mb"] for r in results["wikinews"]) - 1
            print(f"   peak memory, corpus 4x against 1x: {growth:+.0%}")
    d1 = run("kg_build_dask", workers=1)
    d2 = run("kg_build_dask", workers=2)
    print(f"   kg build --dask local, 1 worker    {wps(d1):9,.0f} words/s   (parent peak {d1['peak_mb']:.0f} MB)")
    print(f"   kg build --dask local, 2 workers   {wps(d2):9,.0f} words/s   ({wps(d2) / wps(d1):.2f}x one Dask worker, {wps(d2) / wps(last['one']):.2f}x one process (last round))")

    with tempfile.TemporaryDirectory() as d:
        data = Path(d) / "synthetic.nt"
        synthetic_nt(data, n)
        print(f"\n2. SPARQL: {n:,} synthetic triples shaped like kg's graph; 2-hop join + FILTER + GROUP BY + COUNT")
        ours = run("sparql_kg", data=data)
        theirs = run("sparql_rdflib", data=data)
        assert ours["rows"] == theirs["rows"], "the two engines disagree"
        print(f"   kg query (Oxigraph)   {ours['seconds']:8.3f} s   (load {ours['load_seconds']:.1f} s)   peak {ours['peak_mb']:6.0f} MB")
        print(f"   rdflib Memory store   {theirs['seconds']:8.3f} s   (load {theirs['load_seconds']:.1f} s)   peak {theirs['peak_mb']:6.0f} MB")
        print(f"   ratio: {theirs['seconds'] / ours['seconds']:.0f}x faster (same {len(ours['rows'])} rows)")

        print(f"\n3. export {n:,} triples")
        ex_ours = run("export_kg", data=data)
        ex_theirs = run("export_rdflib", data=data)
        ex_on_kg = run("export_rdflib_on_kg_graph", data=data)
        for fmt in ("turtle", "nt"):
            print(f"   {fmt:<7} kg export {ex_ours[fmt]:7.2f} s   rdflib serialize, Memory graph {ex_theirs[fmt]:7.2f} s ({ex_theirs[fmt] / ex_ours[fmt]:.0f}x)"
                  f"   rdflib serialize, kg's Oxigraph-backed graph {ex_on_kg[fmt]:7.2f} s ({ex_on_kg[fmt] / ex_ours[fmt]:.0f}x)")
        print(f"   peak: kg export {ex_ours['peak_mb']:.0f} MB, rdflib Memory {ex_theirs['peak_mb']:.0f} MB, rdflib on kg's graph {ex_on_kg['peak_mb']:.0f} MB")
        pairs = [(ex_ours, run("export_dump", data=data))]
        for _ in range(args.repeat - 1):  # interleaved rounds, as for the builds
            pairs.append((run("export_kg", data=data), run("export_dump", data=data)))
        for fmt in ("turtle", "nt", "nquads"):
            ours, dump = pairs[-1]
            print(f"   {fmt:<7} kg export {ours[fmt]:7.2f} s   Oxigraph Store.dump {dump[fmt]:7.2f} s   (last round)")
            _ratios(f"{fmt}: kg export speed / Store.dump", [d[fmt] / o[fmt] for o, d in pairs])
    print("\n4. peak memory is printed beside each figure (max RSS of its own process)")
    print(f"total benchmark time: {time.perf_counter() - t_all:.0f} s")


if __name__ == "__main__":
    main()
