"""Extraction on Dask distributed workers: `kg build ARTICLES --dask ADDRESS` (or `--dask local`).

The parent reads articles lazily, sends them in batches to the workers (each worker process loads
the pipeline once and keeps it), and writes each batch's results into the store itself, in input
order, so the graph is the same as a single-process build's (the first spelling of a node seen
gives its label). At most `in_flight` batches are out at a time: a corpus of millions of articles
is never all in memory or all queued. A batch whose worker dies is run again by the scheduler
(and `retries` covers a batch that fails); its results are written once, when they arrive.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from .errors import Errors, KGError
from .extract import Piece, extract_batch
from .types import Article

BATCH = 16  # articles per task: enough to keep nlp.pipe batching, small enough to spread work


def connect(address: str, workers: int = 2):
    """A Client for a scheduler address, or for a LocalCluster of `workers` processes ('local')."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - a declared dependency
        raise KGError(Errors.E015.format(command="kg build --dask", extra="dask")) from None
    if address == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        return Client(cluster), cluster
    try:
        return Client(address, timeout="10s"), None
    except OSError as e:
        raise KGError(Errors.E080.format(address=address, reason=e)) from None


def extract_dask(articles: Iterable[Article], client, model: str | None = None, batch: int | None = None, in_flight: int | None = None,
                 retries: int = 2) -> Iterator[Piece]:
    """(article, entities, facts) for each piece of each article, in input order, computed on the cluster."""
    from distributed import wait

    batch = batch or BATCH

    if in_flight is None:
        in_flight = 2 * max(1, len(client.scheduler_info().get("workers", {})) or 1)
    it = iter(articles)
    pending = []  # futures in submission order: results are handed on in that order

    def submit_next() -> bool:
        chunk = list(islice(it, batch))
        if not chunk:
            return False
        pending.append(client.submit(extract_batch, chunk, model, pure=False, retries=retries))
        return True

    more = True
    while more and len(pending) < in_flight:
        more = submit_next()
    while pending:
        head = pending.pop(0)
        wait([head])
        if head.status == "error":
            raise KGError(Errors.E081.format(retries=retries, reason=head.exception()))
        results = head.result()
        head.release()
        if more:
            more = submit_next()
        yield from results
