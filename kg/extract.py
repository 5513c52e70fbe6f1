"""Articles → (article, entities, facts): the one function every way of building runs.

`extract_stream` parses and resolves articles with this process's pipeline (loaded once, on first
use): `kg build` runs it in its own process, and `extract_batch` (the same over one batch) in each of
its `--workers` processes and on each Dask worker (`kg.distributed`), so the three build the same graph. A long article comes
out in several pieces, one after the other, with offsets into its whole text.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

from .types import Article, Entity, Fact

Piece = tuple[Article, dict[str, Entity], list[Fact]]
BATCH_SIZE = 32
BATCH_CHARS = 50_000  # and at most this much text per batch: long articles do not pile up in one parse
MAX_CHARS = 100_000  # spaCy parses at most ~1M characters at once; long articles go in paragraph-sized pieces
_LOCK = threading.Lock()  # a process with several threads (a Dask worker) shares one pipeline, one batch at a time


def pipeline(model: str | None = None):
    """This process's pipeline for `model` (`load_pipeline` keeps it), imported and loaded on first use."""
    from .nlp.pipeline import load_pipeline

    return load_pipeline(model)


def extract_stream(articles: Iterable[Article], model: str | None = None) -> Iterator[Piece]:
    """(article, entities, facts) for each piece of each article, in order, read lazily: `kg build` in
    one process runs this over the whole stream (nlp.pipe's batches then span articles)."""
    yield from pieces(pipeline(model), articles)


def extract_batch(articles: list[Article], model: str | None = None) -> list[Piece]:
    """The same for one batch, whole: what each `--workers` process and each Dask worker runs."""
    with _LOCK:
        return list(extract_stream(articles, model))


def pieces(nlp, articles: Iterable[Article], batch_size: int = BATCH_SIZE, max_chars: int = BATCH_CHARS) -> Iterator[Piece]:
    """The pieces of `articles`, parsed in batches through nlp.pipe: each Doc's entities and facts
    (`doc._.entities`, `doc._.facts`, set by the pipeline's kg_facts) with offsets into the whole text."""
    parts = ((text, (a, offset)) for a in articles for text, offset in chunks(a.text))
    for batch in batches(parts, batch_size, max_chars):
        for doc, (article, offset) in nlp.pipe(batch, as_tuples=True, batch_size=len(batch)):
            yield article, _shift_mentions(doc._.entities, offset), _shift(doc._.facts, offset)


def batches(parts: Iterable[tuple[str, tuple]], batch_size: int, max_chars: int) -> Iterator[list]:
    """Pieces grouped for nlp.pipe: up to `batch_size` of them, but no more text than `max_chars`
    (unless one piece alone is longer). Parsing holds a whole batch in memory, so a batch of long
    articles, not the corpus, sets the peak: capped by size, the peak stays flat as a corpus grows."""
    batch, size = [], 0
    for piece in parts:
        if batch and (len(batch) >= batch_size or size + len(piece[0]) > max_chars):
            yield batch
            batch, size = [], 0
        batch.append(piece)
        size += len(piece[0])
    if batch:
        yield batch


def chunks(text: str, max_chars: int = MAX_CHARS) -> Iterator[tuple[str, int]]:
    """Split text at paragraph (else line, else space) boundaries into pieces of at most max_chars."""
    start, n = 0, len(text)
    while start < n:
        end = min(start + max_chars, n)
        if end < n:
            for sep in ("\n\n", "\n", " "):
                cut = text.rfind(sep, start + max_chars // 2, end)
                if cut > start:
                    end = cut + len(sep)
                    break
        yield text[start:end], start
        start = end


def _shift_mentions(ents: dict[str, Entity], offset: int) -> dict[str, Entity]:
    if offset:
        for e in ents.values():
            e.mentions = [(s + offset, t + offset) for s, t in e.mentions]
    return ents


def _shift(facts: list[Fact], offset: int) -> list[Fact]:
    if offset:
        for f in facts:
            f.start += offset
            f.end += offset
    return facts


def worker_init(model: str | None) -> None:
    """A `--workers` process: leave Ctrl-C to the parent (which stops the pool) and load the pipeline now."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    pipeline(model)
