"""Where the graph lives: an rdflib Graph over Oxigraph on disk (default), in memory, or a Turtle file."""

from __future__ import annotations

import fcntl
import functools
import gc
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
from rdflib import RDFS, BNode, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from . import names
from .errors import Errors, KGError
from .export import write_rdf
from .ontology import KG


def to_ox(term):
    """An rdflib term as a pyoxigraph term (public constructors only)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def from_ox(term):
    """A pyoxigraph term as an rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise TypeError(f"not an RDF term: {term!r}")

def _term(term):
    """A pyoxigraph term as rdflib's, plain strings as plain literals (RDF 1.1: the same term)."""
    if isinstance(term, ox.Literal) and term.datatype == _XSD_STRING:
        return Literal(term.value)
    return from_ox(term)


def data_rows(triples: Iterable[tuple]) -> list[str]:
    """Triples as the lines of a SPARQL `INSERT DATA` / `DELETE DATA` block."""
    return [f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in triples]


def change_text(delete: Iterable[tuple], insert: Iterable[tuple]) -> str:
    """One SPARQL update that removes `delete` and adds `insert` (applied as one transaction)."""
    parts = [f"{op} DATA {{\n" + "\n".join(rows) + "\n}" for op, rows in (("DELETE", data_rows(delete)), ("INSERT", data_rows(insert))) if rows]
    return " ;\n".join(parts) or "INSERT DATA { }"


SOURCES_QUERY = "SELECT ?a ?source ?sha WHERE { ?a a kg:NewsArticle ; kg:source ?source ; kg:contentHash ?sha }"


def article_sources(store: Store) -> dict[str, tuple[URIRef, str]]:
    """Each source in a store's graph → (its article's IRI, the content hash it was built from)."""
    return {str(src): (iri, str(sha)) for iri, src, sha in store.rows(SOURCES_QUERY)}


STORE_DIR = names.STORE_DIR
_XSD_STRING = ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")
LOCK_FILE = ".kg.lock"
PREFIXES = names.PREFIXES  # predeclared in every query


PROLOGUE = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())  # the same prefixes, for a remote server


def _bind_prefixes(g: Graph) -> Graph:
    for p, ns in PREFIXES.items():
        g.bind(p, ns, override=True)
    return g


def _text(term) -> str:
    if term is None:
        return ""
    return term.value if hasattr(term, "value") else str(term)


# An on-disk store keeps recent writes in memory until they are flushed to its files: flushed every
# this many quads, a build's memory stays flat however large the corpus (unflushed, it grew ~0.5 KB a quad).
FLUSH_QUADS = 50_000


class Store(Protocol):
    """What kg needs of a graph, wherever it lives: `KGStore` (Oxigraph on disk, in memory, or an RDF
    file) and `RemoteKGStore` (any SPARQL 1.1 server) both provide it; `open_store` picks one."""

    location: str
    thread_safe: bool  # may several threads query it at once (a remote store's HTTP client may not)

    def add_triples(self, triples: Iterable[tuple]) -> int: ...
    def apply(self, delete: Iterable[tuple], insert: Iterable[tuple]) -> None: ...
    def rows(self, query: str) -> list[list]: ...
    def sparql(self, query: str): ...
    def update(self, update: str) -> None: ...
    def has_ontology(self) -> bool: ...
    def labels(self, iris: Iterable[URIRef]) -> dict[URIRef, str]: ...
    def by_match_key(self, keys: Iterable[str]) -> dict[str, URIRef]: ...
    def dump(self, output, fmt: ox.RdfFormat) -> None: ...
    def to_rdflib(self) -> Graph: ...
    def close(self) -> None: ...


class KGStore:
    """One graph, opened by location. The rdflib `graph` is the API; `ox` is the fast path."""

    thread_safe = True

    def __init__(self, ox_store: ox.Store, location: str, lock_fd: int | None = None):
        self.ox = ox_store
        self.location = location
        self._lock_fd = lock_fd
        self._unflushed = 0

    @functools.cached_property
    def graph(self) -> Graph:
        """The rdflib Graph over this store, made when first asked for (oxrdflib brings rdflib's SPARQL
        engine in, a fifth of a second that kg's own commands do not need)."""
        from oxrdflib import OxigraphStore

        # identifier = the dataset's default graph, where kg writes; any other identifier would be an empty named graph
        return _bind_prefixes(Graph(store=OxigraphStore(store=self.ox), identifier=DATASET_DEFAULT_GRAPH_ID))

    # ------------------------------------------------------------------ opening
    @classmethod
    def memory(cls) -> KGStore:
        return cls(ox.Store(), "<memory>")

    @classmethod
    def for_writing(cls, out: str | os.PathLike) -> KGStore:
        """Open (or create) the on-disk store in an output folder, holding its write lock."""
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise KGError(Errors.E021.format(path=out))
        try:
            out.mkdir(parents=True, exist_ok=True)
            fd = os.open(out / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise KGError(Errors.E022.format(path=out, reason=e.strerror or e)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise KGError(Errors.E023.format(path=out)) from None
        try:
            store = ox.Store(str(out / STORE_DIR))
        except OSError as e:
            os.close(fd)
            raise KGError(Errors.E024.format(path=out / STORE_DIR, reason=str(e).splitlines()[0])) from None
        return cls(store, str(out), fd)

    @classmethod
    def for_reading(cls, location: str | os.PathLike) -> KGStore:
        """An output folder (its store, read-only so a running build is not disturbed) or an RDF file."""
        path = Path(location)
        if path.is_dir():
            if not (path / STORE_DIR).is_dir():
                ttl = path / "graph.ttl"
                if ttl.is_file():
                    return cls._from_file(ttl)
                raise KGError(Errors.E020.format(path=path))
            try:
                return cls(ox.Store.read_only(str(path / STORE_DIR)), str(path))
            except OSError as e:
                raise KGError(Errors.E024.format(path=path / STORE_DIR, reason=str(e).splitlines()[0])) from None
        if path.is_file():
            return cls._from_file(path)
        raise KGError(Errors.E020.format(path=path))

    @classmethod
    def _from_file(cls, path: Path) -> KGStore:
        store = ox.Store()
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".")) or ox.RdfFormat.TURTLE
        try:
            if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
                store.bulk_load(path=str(path), format=fmt)
            else:
                store.bulk_load(path=str(path), format=fmt, to_graph=ox.DefaultGraph())
        except (SyntaxError, ValueError, OSError) as e:
            raise KGError(Errors.E024.format(path=path, reason=str(e).splitlines()[0])) from None
        return cls(store, str(path))

    def close(self) -> None:
        if self.ox is None:
            return
        if self._lock_fd is not None:
            self.ox.flush()
        # Dropping the last reference closes Oxigraph's files (and its own lock) right away.
        made = self.__dict__.pop("graph", None) is not None
        self.ox = None
        if made:
            gc.collect()  # rdflib's Graph/namespace-manager cycle holds the store until collected
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> KGStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ writing
    def add_triples(self, triples: Iterable[tuple]) -> int:
        """Add triples to the default graph in one transaction."""
        quads = [ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.DefaultGraph()) for s, p, o in triples]
        self.ox.extend(quads)
        if self._lock_fd is not None:  # on disk
            self._unflushed += len(quads)
            if self._unflushed >= FLUSH_QUADS:
                self.ox.flush()
                self._unflushed = 0
        return len(quads)

    def apply(self, delete: Iterable[tuple], insert: Iterable[tuple]) -> None:
        """Remove `delete` and add `insert` in one transaction: interrupted, the store is as before."""
        self.ox.update(change_text(delete, insert))
        if self._lock_fd is not None:
            self.ox.flush()
            self._unflushed = 0

    # ------------------------------------------------------------------ reading
    def rows(self, query: str) -> list[list]:
        """A SELECT's rows as rdflib terms (None where unbound): what kg's own bookkeeping reads."""
        result = self.ox.query(query, prefixes=PREFIXES)
        variables = result.variables
        return [[None if sol[v] is None else _term(sol[v]) for v in variables] for sol in result]

    def has_ontology(self) -> bool:
        onto = ox.NamedNode(str(KG).rstrip("#"))
        return any(True for _ in self.ox.quads_for_pattern(onto, None, None, None))

    def labels(self, iris: Iterable[URIRef]) -> dict[URIRef, str]:
        out = {}
        p = to_ox(RDFS.label)
        for iri in iris:
            for q in self.ox.quads_for_pattern(to_ox(iri), p, None, None):
                out[iri] = q.object.value
                break
        return out

    def by_match_key(self, keys: Iterable[str]) -> dict[str, URIRef]:
        """The node each match key already names in the store (kg:matchKey)."""
        out = {}
        p = to_ox(KG.matchKey)
        for k in keys:
            for q in self.ox.quads_for_pattern(None, p, ox.Literal(k), None):
                out[k] = URIRef(q.subject.value)
                break
        return out

    def sparql(self, query: str):
        """Run a read query: ("select", variables, rows of str) | ("ask", bool) | ("graph", triples)."""
        result = self.ox.query(query, prefixes=PREFIXES)
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            return "select", variables, [[_text(sol[v]) for v in variables] for sol in result]
        if isinstance(result, ox.QueryBoolean):
            return "ask", bool(result)
        return "graph", list(result)

    def update(self, update: str) -> None:
        self.ox.update(update, prefixes=PREFIXES)

    def dump(self, output, fmt: ox.RdfFormat) -> None:
        write_rdf(self.ox, output, fmt)

    def __len__(self) -> int:
        return len(self.ox)

    def triples(self):
        for q in self.ox.quads_for_pattern(None, None, None, ox.DefaultGraph()):
            # plain strings as plain literals: RDF 1.1's same term, which rdflib compares as different
            yield from_ox(q.subject), from_ox(q.predicate), _term(q.object)

    def to_rdflib(self) -> Graph:
        """A plain in-memory rdflib Graph copy (for pySHACL and other rdflib tools)."""
        g = _bind_prefixes(Graph())
        for t in self.triples():
            g.add(t)
        return g




class RemoteKGStore:
    """A graph on any SPARQL 1.1 server, through rdflib's SPARQLUpdateStore.

    `url` is the dataset's base: queries go to URL/query and updates to URL/update (Oxigraph,
    Fuseki) unless `query_endpoint` / `update_endpoint` say otherwise (GraphDB, Virtuoso).
    Writes are batched INSERT DATA requests; IRIs are deterministic, so re-sending is harmless.
    """

    BATCH = 5000
    thread_safe = False  # one HTTP client: Pages serialises its queries

    def __init__(self, url: str, query_endpoint: str | None = None, update_endpoint: str | None = None, timeout: float = 60):
        from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

        base = url.rstrip("/")
        self.location = base
        self.query_endpoint = query_endpoint or f"{base}/query"
        self.update_endpoint = update_endpoint or f"{base}/update"
        self._store = SPARQLUpdateStore(self.query_endpoint, self.update_endpoint, timeout=timeout, autocommit=True)
        self.graph = Graph(store=self._store)

    def _fail(self, e: Exception):
        raise KGError(Errors.E050.format(url=self.location, reason=" ".join(str(e).split())[:200])) from None

    def close(self) -> None:
        try:
            self._store.close()
        except Exception:  # noqa: BLE001 - closing a HTTP client never matters to the user
            pass

    def __enter__(self) -> RemoteKGStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add_triples(self, triples: Iterable[tuple]) -> int:
        rows = data_rows(triples)
        for i in range(0, len(rows), self.BATCH):
            body = "INSERT DATA {\n" + "\n".join(rows[i : i + self.BATCH]) + "\n}"
            try:
                self._store.update(body)
            except Exception as e:  # noqa: BLE001 - HTTP and server errors become one line
                self._fail(e)
        return len(rows)

    def sparql(self, query: str):
        try:
            result = self._store.query(PROLOGUE + query, initNs={}, initBindings={}, queryGraph=None, DEBUG=False)
        except SyntaxError:
            raise
        except Exception as e:  # noqa: BLE001
            if "syntax" in str(e).lower() or "parse" in str(e).lower():
                raise SyntaxError(" ".join(str(e).split())[:300]) from None
            self._fail(e)
        if result.type == "SELECT":
            variables = [str(v) for v in result.vars]
            return "select", variables, [["" if row[v] is None else str(row[v]) for v in result.vars] for row in result]
        if result.type == "ASK":
            return "ask", bool(result.askAnswer)
        return "graph", list(result.graph)

    def update(self, update: str) -> None:
        try:
            self._store.update(PROLOGUE + update)
        except Exception as e:  # noqa: BLE001
            self._fail(e)

    def apply(self, delete: Iterable[tuple], insert: Iterable[tuple]) -> None:
        """Remove `delete` and add `insert` in one update request (one transaction on Oxigraph and Fuseki)."""
        self.update(change_text(delete, insert))

    def rows(self, query: str) -> list[list]:
        try:
            result = self._store.query(PROLOGUE + query, initNs={}, initBindings={}, queryGraph=None, DEBUG=False)
        except Exception as e:  # noqa: BLE001
            self._fail(e)
        return [[row[v] for v in result.vars] for row in result]

    def has_ontology(self) -> bool:
        return self.sparql(f"ASK {{ <{str(KG).rstrip('#')}> ?p ?o }}")[1]

    def labels(self, iris: Iterable[URIRef]) -> dict[URIRef, str]:
        iris = list(iris)
        if not iris:
            return {}
        values = " ".join(i.n3() for i in iris)
        _, _, rows = self.sparql(f"SELECT ?s ?l WHERE {{ VALUES ?s {{ {values} }} ?s rdfs:label ?l }}")
        return {URIRef(s): label for s, label in rows}

    def by_match_key(self, keys: Iterable[str]) -> dict[str, URIRef]:
        keys = list(keys)
        if not keys:
            return {}
        values = " ".join(Literal(k).n3() for k in keys)
        _, _, rows = self.sparql(f"SELECT ?k ?s WHERE {{ VALUES ?k {{ {values} }} ?s kg:matchKey ?k }}")
        return {k: URIRef(s) for k, s in rows}

    def to_rdflib(self) -> Graph:
        g = _bind_prefixes(Graph())
        for t in self.sparql("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")[1]:
            g.add(t)
        return g

    def dump(self, output, fmt: ox.RdfFormat) -> None:
        local = ox.Store()
        data = self.to_rdflib().serialize(format="nt", encoding="utf-8")
        local.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
        KGStore(local, "<remote copy>").dump(output, fmt)


def open_store(location: str | None = None, url: str | None = None, write: bool = False, query_endpoint=None, update_endpoint=None) -> Store:
    """The store a command works on: a SPARQL server when `url` is given, else the folder/file at `location`."""
    if url:
        return RemoteKGStore(url, query_endpoint, update_endpoint)
    return KGStore.for_writing(location) if write else KGStore.for_reading(location)
