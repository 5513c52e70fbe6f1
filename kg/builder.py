"""The main job: articles → spaCy → entities and facts → triples in the store → graph.ttl + graph.html."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .articles import Article, read_articles
from .errors import Errors, KGError
from .files import atomic_write
from .mapping import document_triples, entity_iris, match_key
from .ontology import load_ontology
from .resolve import Entity, Fact, Resolver
from .store import KGStore

BATCH_SIZE = 32
BATCH_CHARS = 50_000  # and at most this much text per batch: long articles do not pile up in one parse


@dataclass
class Summary:
    documents: int = 0
    skipped: int = 0
    words: int = 0
    triples: int = 0
    entities: Counter = field(default_factory=Counter)
    relations: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # one line per file that could not be read, naming it
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (path, why) left alone in the folders given

    def lines(self) -> list[str]:
        out = [
            f"documents: {self.documents} built, {self.skipped} unchanged (skipped)"
            + (f", {len(self.failed)} could not be read" if self.failed else ""),
            "entities: " + (", ".join(f"{k} {v}" for k, v in self.entities.most_common()) or "none"),
            "relations: " + (", ".join(f"{k} {v}" for k, v in self.relations.most_common()) or "none"),
            f"triples added: {self.triples}; words: {self.words}; seconds: {self.seconds:.1f}"
            + (f" ({self.words / self.seconds:,.0f} words/s)" if self.seconds > 0 else ""),
        ]
        if self.ignored:
            shown = "; ".join(f"{p}: {why}" for p, why in self.ignored[:5])
            out.append(f"left alone: {len(self.ignored)} file{'s' if len(self.ignored) != 1 else ''} ({shown}{'; …' if len(self.ignored) > 5 else ''})")
        out.extend(f"wrote {p}" for p in self.outputs)
        return out


def extract(
    articles: Iterable[Article], model: str | None = None, batch_size: int = BATCH_SIZE, workers: int = 1, dask=None
) -> Iterator[tuple[Article, dict[str, Entity], list[Fact]]]:
    """Parse and resolve articles lazily (a corpus is never held in memory).

    With workers > 1, each worker process loads the pipeline once and parses *and* resolves its
    share of articles, so the parent only writes triples; results keep the input order. With a
    Dask `Client` the batches run on its cluster instead (kg.distributed).
    """
    if dask is not None:
        from .distributed import extract_dask

        yield from extract_dask(articles, dask, model=model)
        return
    if workers > 1:
        import multiprocessing as mp

        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        from spacy.util import minibatch

        with ctx.Pool(workers, initializer=_worker_init, initargs=(model,)) as pool:
            for results in pool.imap(_worker_extract, minibatch(articles, batch_size)):
                yield from results
        return
    from .nlp.pipeline import load_pipeline

    yield from _resolved_pieces(load_pipeline(model), Resolver(), articles, batch_size)


def _batches(pieces: Iterable[tuple[str, tuple]], batch_size: int, max_chars: int) -> Iterator[list]:
    """Pieces grouped for nlp.pipe: up to `batch_size` of them, but no more text than `max_chars`
    (unless one piece alone is longer). Parsing holds a whole batch in memory, so a batch of long
    articles, not the corpus, sets the peak: capped by size, the peak stays flat as a corpus grows."""
    batch, size = [], 0
    for piece in pieces:
        if batch and (len(batch) >= batch_size or size + len(piece[0]) > max_chars):
            yield batch
            batch, size = [], 0
        batch.append(piece)
        size += len(piece[0])
    if batch:
        yield batch


def _resolved_pieces(nlp, resolver: Resolver, articles: Iterable[Article], batch_size: int = BATCH_SIZE, max_chars: int = BATCH_CHARS):
    """(article, entities, facts) for each piece of each article, parsed in batches through nlp.pipe.
    A long article yields several pieces, one after the other, with offsets into the whole text."""
    pieces = ((text, (a, offset)) for a in articles for text, offset in chunks(a.text))
    for batch in _batches(pieces, batch_size, max_chars):
        for doc, (article, offset) in nlp.pipe(batch, as_tuples=True, batch_size=len(batch)):
            ents, facts = resolver.resolve(doc)
            yield article, _shift_mentions(ents, offset), _shift(facts, offset)


MAX_CHARS = 100_000  # spaCy parses at most ~1M characters at once; long articles go in paragraph-sized pieces


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


_WORKER: dict = {}


def _worker_init(model: str | None) -> None:
    import signal

    from .nlp.pipeline import load_pipeline

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    _WORKER["nlp"] = load_pipeline(model)
    _WORKER["resolver"] = Resolver()


def _worker_extract(articles: list[Article]) -> list[tuple[Article, dict[str, Entity], list[Fact]]]:
    """A worker's batch: the same pieces the single process yields (pickled together, so the pieces of
    one article still share one Article object in the parent)."""
    return list(_resolved_pieces(_WORKER["nlp"], _WORKER["resolver"], articles))


def build_into(store: KGStore, articles: Iterable[Article], model: str | None = None, workers: int = 1, progress=None, dask=None) -> Summary:
    """Extract articles and add their triples to an open store; unchanged articles are skipped."""
    ont = load_ontology()
    summary = Summary()
    t0 = time.perf_counter()
    if not store.has_ontology():
        # The graph describes itself: relation labels and class hierarchy are queryable next to the facts.
        summary.triples += store.add_triples(ont.graph)

    def fresh():
        for a in articles:
            if store.has_article(a.sha):
                summary.skipped += 1
                continue
            yield a

    last, pieces_left = None, 0
    for article, ents, facts in extract(fresh(), model=model, workers=workers, dask=dask):
        if article is not last:  # a long article arrives in several pieces, one after the other
            summary.documents += 1
            summary.words += len(article.text.split())
            last, pieces_left = article, (1 if len(article.text) <= MAX_CHARS else sum(1 for _ in chunks(article.text)))
        iris = entity_iris(ents, store.by_match_key({match_key(k) for k in ents}))
        labels = store.labels(set(iris.values()))
        pieces_left -= 1
        # the content hash goes in with the last piece: an article cut short by Ctrl-C or kill -9 is
        # built again by the next build, not skipped as unchanged
        triples = document_triples(article, ents, facts, ont, labels, iris, whole=pieces_left == 0)
        summary.triples += store.add_triples(triples)
        summary.entities.update(ont.top_class(e.cls) for e in ents.values())
        summary.relations.update(f.relation for f in facts)
        if progress is not None:
            progress(article)
    summary.seconds = time.perf_counter() - t0
    return summary


def write_outputs(store: KGStore, out: str | os.PathLike, html: bool = True) -> list[str]:
    """graph.ttl and graph.html in the output folder, each written atomically."""
    from .export import export
    from .render import render_html

    out = Path(out)
    written = []
    with atomic_write(out / "graph.ttl") as f:
        export(store, "turtle", f)
    written.append(str(out / "graph.ttl"))
    if html:
        page = render_html(store)
        with atomic_write(out / "graph.html") as f:
            f.write(page.encode("utf-8"))
        written.append(str(out / "graph.html"))
    return written


class Readable:
    """The articles of `paths`, read lazily: a file that cannot be read is noted in `failed` (one line
    naming it) and the rest are read; what folders hold besides articles is noted in `ignored`. When not
    one can be read, the error is raised here, before any store is opened or anything written."""

    def __init__(self, paths: Iterable[str]):
        import itertools

        self.failed: list[str] = []
        self.ignored: list[tuple[str, str]] = []
        articles = read_articles(paths, failed=self.failed, skipped=self.ignored)
        first = next(articles, None)
        if first is None:
            if len(self.failed) == 1:
                raise KGError(self.failed[0])
            raise KGError(Errors.E009.format(n=len(self.failed), reasons="; ".join(self.failed[:3]) + ("; …" if len(self.failed) > 3 else "")))
        self.articles = itertools.chain([first], articles)

    def build_into(self, store: KGStore, **options) -> Summary:
        """`build_into` over these articles; the summary names the files that could not be read."""
        summary = build_into(store, self.articles, **options)
        summary.failed, summary.ignored = self.failed, self.ignored
        return summary


def build(paths: Iterable[str], out: str | os.PathLike, model: str | None = None, workers: int = 1, html: bool = True, progress=None,
          dask=None) -> Summary:
    """Build articles (files, folders or '-') into the graph in `out` and write its outputs.

    Every readable file is built; each one that cannot be read is named in `Summary.failed`."""
    articles = Readable(paths)
    with KGStore.for_writing(out) as store:
        summary = articles.build_into(store, model=model, workers=workers, progress=progress, dask=dask)
        summary.outputs = write_outputs(store, out, html=html)
    return summary
