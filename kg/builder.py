"""The main job: articles → spaCy → entities and facts → triples in the store → graph.ttl + graph.html."""

from __future__ import annotations

import dataclasses
import itertools
import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .articles import Article, read_article, read_articles
from .errors import Errors, KGError
from .extract import BATCH_SIZE, Piece, extract_batch, extract_stream, worker_init
from .fileindex import stamp
from .files import atomic_write
from .mapping import article_iri, document_triples, entity_iris, match_key
from .ontology import load_ontology
from .store import KGStore, article_sources
from .withdraw import Withdrawal, activity_end, activity_triples, forget_in, new_activity, withdrawal



@dataclass
class Summary:
    documents: int = 0  # added
    replaced: int = 0  # sources built before, with other text then
    forgotten: int = 0  # sources of earlier builds no longer in the folders (--prune)
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
            f"documents: {self.documents + self.replaced} built, {self.skipped} unchanged (skipped)"
            + (f", {len(self.failed)} could not be read" if self.failed else "")
            + (f"; {self.replaced} of them replaced an earlier text of their source" if self.replaced else "")
            + (f"; {self.forgotten} no longer in the folders forgotten" if self.forgotten else ""),
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


def extract(articles: Iterable[Article], model: str | None = None, batch_size: int = BATCH_SIZE, workers: int = 1, dask=None) -> Iterator[Piece]:
    """Parse and resolve articles lazily (a corpus is never held in memory) with `kg.extract`: here
    (`extract_stream`), in `workers` processes or on a Dask cluster (`dask`, a Client: kg.distributed),
    whose workers run `extract_batch` (the same over one batch; results keep the input order)."""
    if dask is not None:
        from .distributed import extract_dask

        yield from extract_dask(articles, dask, model=model)
        return
    if workers > 1:
        import functools
        import multiprocessing as mp

        from spacy.util import minibatch  # the workers load spaCy anyway

        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        with ctx.Pool(workers, initializer=worker_init, initargs=(model,)) as pool:
            for results in pool.imap(functools.partial(extract_batch, model=model), minibatch(articles, batch_size)):
                yield from results
        return
    yield from extract_stream(articles, model)


def _whole(pieces: Iterable[Piece]) -> Iterator[Piece]:
    """Pieces of a long article (they arrive one after the other) joined into one (article, entities, facts)."""
    current = None
    for article, ents, facts in pieces:
        if current is not None and (article.source, article.sha) == (current[0].source, current[0].sha):
            for key, ent in ents.items():
                have = current[1].setdefault(key, ent)
                if have is not ent:
                    have.aliases |= ent.aliases
                    have.mentions.extend(ent.mentions)
                    have.named = have.named or ent.named
            current[2].extend(facts)
            continue
        if current is not None:
            yield current
        current = (article, dict(ents), list(facts))
    if current is not None:
        yield current


def model_versions(model: str | None = None) -> list[str]:
    """The spaCy pipeline and kg's own models, each with a version (kg's: a hash of its files)."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    from .nlp.paths import model_path
    from .nlp.pipeline import default_model

    name = model or default_model()
    try:
        out = [f"{name} {version(name)}"]
    except (PackageNotFoundError, ValueError):
        out = [name]
    for part in ("ner/model", "relations.npz", "patterns.calibration.json"):
        path = model_path(part)
        if path.is_file():
            out.append(f"kg {part.split('/')[0].split('.')[0]} sha256:{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}")
    return out


def build_into(store: KGStore, articles: Iterable[Article], model: str | None = None, workers: int = 1, progress=None, dask=None,
               prune: set[str] | None = None, known: dict | None = None, index=None) -> Summary:
    """Extract articles into an open store: one article per source, each in one transaction.

    A source seen before with the same text is skipped; with other text, its article is replaced
    (what only the old text said leaves the graph). With `prune` (the sources now in the folders),
    sources of earlier builds not among them are forgotten, in one transaction. The build is
    recorded as a kg:Build that each article it read links to. `known`: the store's sources, if
    already read (`article_sources`); `index` (a kg.fileindex.FileIndex) notes each file read."""
    ont = load_ontology()
    summary = Summary()
    t0 = time.perf_counter()
    if not store.has_ontology():
        # The graph describes itself: relation labels and class hierarchy are queryable next to the facts.
        summary.triples += store.add_triples(ont.graph)
    activity, started = new_activity()
    store.add_triples(activity_triples(activity, "build", started))
    known = article_sources(store) if known is None else known

    def fresh():
        for a in articles:
            if known.get(a.source, (None, None))[1] == a.sha:
                summary.skipped += 1
                if index is not None:
                    index.note(a.path, a.stamp, a.source, a.sha)
                continue
            yield a

    todo = fresh()
    first = next(todo, None)  # nothing new or changed: the pipeline is never loaded
    pieces = extract(itertools.chain([first], todo), model=model, workers=workers, dask=dask) if first is not None else ()
    for article, ents, facts in _whole(pieces):
        old = known.get(article.source)
        names: dict[str, set[str]] = {}
        for key, ent in ents.items():
            names.setdefault(match_key(key), set()).update(ent.aliases | {ent.label})
        plan = withdrawal(store, {old[0]}, incoming=names) if old else None
        stored = store.by_match_key(set(names))
        if plan:
            stored = {k: iri for k, iri in stored.items() if iri not in plan.gone}
        iris = entity_iris(ents, stored)
        labels = store.labels(set(iris.values()))
        if plan:
            labels = {iri: plan.labels.get(iri, label) for iri, label in labels.items() if iri not in plan.gone}
        triples = document_triples(article, ents, facts, ont, labels, iris, build=activity)
        if plan:
            new = set(triples)
            store.apply(plan.delete - new, plan.insert | new)
            summary.replaced += 1
        else:
            store.add_triples(triples)
            summary.documents += 1
        known[article.source] = (article_iri(article), article.sha)
        if index is not None:
            index.note(article.path, article.stamp, article.source, article.sha)
        summary.triples += len(triples)
        summary.words += len(article.text.split())
        summary.entities.update(ont.top_class(e.cls) for e in ents.values())
        summary.relations.update(f.relation for f in facts)
        if progress is not None:
            progress(article)
    if prune is not None:
        stale = {iri for source, (iri, _) in known.items() if source not in prune}
        if stale:
            plan = withdrawal(store, stale)
            store.apply(plan.delete, plan.insert)
            summary.forgotten = len(stale)
    counts = {"articlesAdded": summary.documents, "articlesReplaced": summary.replaced, "articlesForgotten": summary.forgotten}
    models = model_versions(model) if summary.documents or summary.replaced else []
    store.add_triples(activity_end(activity, counts, models))
    summary.seconds = time.perf_counter() - t0
    return summary


def write_outputs(store: KGStore, out: str | os.PathLike, html: bool = True) -> list[str]:
    """graph.ttl and graph.html in the output folder, each written atomically."""
    from .export import export
    from .render import render_html

    out = Path(out)

    def turtle() -> None:
        with atomic_write(out / "graph.ttl") as f:
            export(store, "turtle", f)

    if not html:
        turtle()
        return [str(out / "graph.ttl")]
    if store.thread_safe:
        # Oxigraph writes graph.ttl outside the GIL, on the other core, while the page is drawn here.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            ttl = pool.submit(turtle)
            page = render_html(store)
            ttl.result()
    else:
        turtle()
        page = render_html(store)
    with atomic_write(out / "graph.html") as f:
        f.write(page.encode("utf-8"))
    return [str(out / "graph.ttl"), str(out / "graph.html")]


class Readable:
    """The articles of `paths`, read lazily: a file that cannot be read is noted in `failed` (one line
    naming it) and the rest are read; what folders hold besides articles is noted in `ignored`. When not
    one can be read, the error is raised here, before any store is opened or anything written."""

    def __init__(self, paths: Iterable[str], date: str | None = None, stdin_id: str | None = None, index=None):
        self.failed: list[str] = []
        self.ignored: list[tuple[str, str]] = []
        self.sources: set[str] = set()  # the source of every file found, read or not
        self.index = index  # kg.fileindex.FileIndex: files unchanged since they were built are not read
        self.known: dict | None = None  # the store's sources, once it is open: what the index is checked against
        self.unread = 0
        self.unchecked: list[tuple[Path, str, str, str]] = []  # (path, source given, source, sha) skipped before the store was open
        self.date = date
        articles = read_articles(paths, failed=self.failed, skipped=self.ignored, date=date, stdin_id=stdin_id, sources=self.sources,
                                 unchanged=self._unchanged if index is not None else None)
        first = next(articles, None)
        if first is None and self.unchecked:
            self.articles = iter(())  # every file is as when it was built (checked against the store in build_into)
            return
        if first is None:
            if len(self.failed) == 1:
                raise KGError(self.failed[0])
            raise KGError(Errors.E009.format(n=len(self.failed), reasons="; ".join(self.failed[:3]) + ("; …" if len(self.failed) > 3 else "")))
        self.articles = itertools.chain([first], articles)

    def _unchanged(self, path: Path, given: str, now) -> str | None:
        claim = self.index.unchanged(path, now)
        if claim is None:
            return None
        if self.known is None:  # the store is not open yet: skipped now, checked when it is
            self.unchecked.append((path, given, *claim))
        elif not self._holds(*claim):
            return None  # the graph no longer holds what the file gave: read it
        self.unread += 1
        return claim[0]

    def _holds(self, source: str, sha: str) -> bool:
        """Whether the graph holds the article of `source` as built from the text hashed `sha`."""
        return self.known.get(source, (None, None))[1] == sha

    def _recheck(self) -> Iterator[Article]:
        """The files skipped before the store was open whose article the graph no longer holds, read now."""
        for path, given, source, sha in self.unchecked:
            if self._holds(source, sha):
                continue
            self.unread -= 1
            try:
                now = stamp(path)  # before reading, as read_articles takes it: a change meanwhile is seen next time
                yield dataclasses.replace(read_article(path, source=given, date=self.date), stamp=now)
            except KGError as e:
                self.failed.append(str(e))

    def build_into(self, store: KGStore, prune: bool = False, **options) -> Summary:
        """`build_into` over these articles; the summary names the files that could not be read. With
        `prune`, sources of earlier builds that are no longer among these paths are forgotten. With an
        index, files unchanged since they were built are skipped unread, and what was read is noted."""
        self.known = article_sources(store)
        articles = itertools.chain(self._recheck(), self.articles)
        summary = build_into(store, articles, prune=self.sources if prune else None, known=self.known, index=self.index, **options)
        summary.failed, summary.ignored = self.failed, self.ignored
        summary.skipped += self.unread
        if self.index is not None:
            self.index.save()  # after the articles are in the store
        return summary


def build(paths: Iterable[str], out: str | os.PathLike, model: str | None = None, workers: int = 1, html: bool = True, progress=None,
          dask=None, prune: bool = False, date: str | None = None, stdin_id: str | None = None, read_all: bool = False) -> Summary:
    """Build articles (files, folders or '-') into the graph in `out` and write its outputs.

    Every readable file is built; each one that cannot be read is named in `Summary.failed`. A source
    built before is skipped when unchanged and replaced when changed; `prune` forgets the sources of
    earlier builds that are no longer among `paths`; `date` dates the articles that say no date;
    `stdin_id` names the source read from '-'. A file whose time and size are as when it was last
    built is not read again (kg.fileindex) unless `read_all`."""
    from .fileindex import FileIndex

    index = FileIndex(out, read_all=read_all)
    articles = Readable(paths, date=date, stdin_id=stdin_id, index=index)
    with KGStore.for_writing(out) as store:
        summary = articles.build_into(store, prune=prune, model=model, workers=workers, progress=progress, dask=dask)
        summary.outputs = write_outputs(store, out, html=html)
    return summary


def forget(sources: Iterable[str], out: str | os.PathLike, html: bool = True) -> tuple[Withdrawal, list[str]]:
    """`kg forget`: take the articles of `sources` out of the graph in `out` (one transaction,
    recorded as a kg:Build) and write its outputs again."""
    from .store import STORE_DIR

    if not (Path(out) / STORE_DIR).is_dir():
        raise KGError(Errors.E020.format(path=out))
    with KGStore.for_writing(out) as store:
        plan = forget_in(store, sources, str(out))
        return plan, write_outputs(store, out, html=html)


def _stamp(paths: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Each article file under `paths` with its modification time and size: what changes when a file does."""
    from .articles import find_files

    return {str(f): now for f in find_files(paths, failed=[]) if (now := stamp(f)) is not None}


def watch(paths: list[str], out: str | os.PathLike, interval: float = 2.0, prune: bool = False, html: bool = True, date: str | None = None,
          model: str | None = None, report=None, rounds: int | None = None) -> None:
    """`kg watch`: keep the graph in `out` in step with `paths`, with the pipeline loaded once.

    Every `interval` seconds the folders are looked at (file times and sizes); when something changed,
    the changed sources are built (replacing their old text, each in one transaction; with `prune`,
    sources gone from the folders are forgotten) and graph.ttl / graph.html written again. `report`
    gets each round's Summary; `rounds` stops after that many looks (for tests and benchmarks)."""
    from .extract import pipeline

    from .fileindex import FileIndex

    seen: dict[str, tuple[int, int]] | None = None
    index = FileIndex(out)  # each look reads only the files changed since they were built
    with KGStore.for_writing(out) as store:
        pipeline(model)("Warm-up.")  # loaded once (and its lazy parts), before the first look: a change costs its reading only
        n = 0
        while rounds is None or n < rounds:
            n += 1
            now = _stamp(paths)
            if now != seen:
                seen, t0 = now, time.perf_counter()
                try:
                    articles = Readable(paths, date=date, index=index)
                except KGError as e:  # nothing readable (yet): say so and keep looking
                    if report is not None:
                        report(e)
                else:
                    summary = articles.build_into(store, prune=prune, model=model)
                    if summary.documents or summary.replaced or summary.forgotten or not (Path(out) / "graph.ttl").exists():
                        summary.outputs = write_outputs(store, out, html=html)
                    summary.seconds = time.perf_counter() - t0  # from seeing the change to the graph and its outputs written
                    if report is not None:
                        report(summary)
            if rounds is None or n < rounds:
                time.sleep(interval)
