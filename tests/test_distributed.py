"""Extraction on a Dask LocalCluster of two worker processes: the same graph as one process, and a
worker killed in the middle of a batch loses nothing and writes nothing twice."""

import functools
import os
from pathlib import Path

import pytest

from helpers import BUILD_PREFIX, WAS_GENERATED_BY

from kg.articles import Article
from kg.builder import build_into
from kg.distributed import extract_batch
from kg.store import KGStore

distributed = pytest.importorskip("distributed")
ROOT = Path(__file__).resolve().parents[1]
TEXTS = [
    (ROOT / "data" / "articles" / "bitmain_us_factory.txt").read_text(encoding="utf-8"),
    "Acme Robotics, a company based in Denver, hired Maria Lopez as chief engineer. Lopez said Acme would open a plant in Ohio.",
    "German carmaker Volkswagen said on Tuesday that its chief executive, Oliver Blume, would visit Beijing.",
    "Prime Minister Boris Johnson met French President Emmanuel Macron in Paris on Friday.",
    "Chancellor Angela Merkel's spokesperson, Steffen Seibert, said Germany would ban Mahan Air.",
]


def _articles():
    return [Article.from_text(t, path=f"doc{i}.txt") for i, t in enumerate(TEXTS)]


def _triples(store) -> set[str]:
    return {str(q) for q in store.ox if not q.subject.value.startswith(BUILD_PREFIX) and q.predicate.value != WAS_GENERATED_BY}


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def single_process_graph():
    store = KGStore.memory()
    build_into(store, _articles())
    return _triples(store)


@pytest.mark.model
def test_a_dask_build_writes_the_same_graph_as_one_process(client, single_process_graph):
    store = KGStore.memory()
    summary = build_into(store, _articles(), dask=client)
    assert summary.documents == len(TEXTS)
    assert _triples(store) == single_process_graph


def dying_once(marker: str, articles, model=None):
    """A batch task that kills its worker process the first time it runs (the marker file is the switch)."""
    if os.path.exists(marker):
        os.unlink(marker)
        os._exit(1)
    return extract_batch(articles, model)


@pytest.mark.model
def test_a_worker_killed_mid_batch_has_its_batch_run_again(client, single_process_graph, tmp_path, monkeypatch):
    import kg.distributed

    marker = tmp_path / "die-once"
    marker.write_text("x")
    monkeypatch.setattr(kg.distributed, "extract_batch", functools.partial(dying_once, str(marker)))
    monkeypatch.setattr(kg.distributed, "BATCH", 2)
    seen = []
    store = KGStore.memory()
    summary = build_into(store, _articles(), dask=client, progress=lambda a: seen.append(a.path))
    assert not marker.exists()  # a worker did die, in the middle of the first batch
    assert seen == [f"doc{i}.txt" for i in range(len(TEXTS))]  # each article written once, in input order
    assert summary.documents == len(TEXTS)
    assert _triples(store) == single_process_graph
