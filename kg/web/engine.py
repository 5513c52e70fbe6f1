"""User SPARQL for `kg serve`: run in worker processes that are killed when a query runs too long.

Oxigraph cannot interrupt a query, so a query past the timeout is stopped the only sure way: its
worker process is killed and a fresh one takes its place. Workers open the store read-only (or
load the RDF file once); against a SPARQL server the query is forwarded with an HTTP timeout.
Results come back already serialized in the format the client asked for (SPARQL 1.1 protocol).
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from ..query import MAX_NESTING, is_update, nesting, uses_service

# media type → (kind, pyoxigraph format name); kind "results" for SELECT/ASK, "graph" for CONSTRUCT/DESCRIBE
RESULT_TYPES = {
    "application/sparql-results+json": "JSON",
    "application/json": "JSON",
    "application/sparql-results+xml": "XML",
    "application/xml": "XML",
    "text/csv": "CSV",
    "text/tab-separated-values": "TSV",
}
GRAPH_TYPES = {
    "text/turtle": "TURTLE",
    "application/n-triples": "N_TRIPLES",
    "application/rdf+xml": "RDF_XML",
    "application/n-quads": "N_QUADS",
}
SHORT_NAMES = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv",
               "tsv": "text/tab-separated-values", "turtle": "text/turtle", "ttl": "text/turtle", "nt": "application/n-triples",
               "rdfxml": "application/rdf+xml"}


class QueryRefused(Exception):
    """The request is not a read query (an UPDATE, or no query at all): HTTP 400."""


class QueryFailed(Exception):
    """The query does not parse or the engine failed on it: HTTP 400, the message shown as is."""


class QueryTooLarge(Exception):
    """The query's result, or the memory it needs, is past the server's limits: HTTP 413 / 503."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class QueryTimeout(Exception):
    """The query ran past the timeout and was stopped: HTTP 503."""


@dataclass
class Answer:
    body: bytes
    media_type: str


def negotiate(accept: str | None, fmt: str | None) -> tuple[str | None, str | None]:
    """The media types the client wants for results and for graphs (None: the default)."""
    if fmt:
        media = SHORT_NAMES.get(fmt.lower(), fmt.lower())
        return (media if media in RESULT_TYPES else None), (media if media in GRAPH_TYPES else None)
    results = graph = None
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        if results is None and media in RESULT_TYPES:
            results = media
        if graph is None and media in GRAPH_TYPES:
            graph = media
    return results, graph


MAX_RESULT_BYTES = 32 * 1024 * 1024  # a larger answer is refused (413): ask for less, or use kg query / kg export
WORKER_MEMORY_BYTES = 1024 * 1024 * 1024  # heap a query worker may grow by before the system stops it


class _ResultTooLarge(Exception):
    pass


class _Capped:
    """A file the serializer writes into that refuses to grow past `limit` bytes."""

    def __init__(self, limit: int):
        self.limit, self.parts, self.size = limit, [], 0

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise _ResultTooLarge()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


def _run_local(store, query: str, results_type: str | None, graph_type: str | None, limit: int = MAX_RESULT_BYTES) -> tuple[str, bytes, str]:
    import pyoxigraph as ox

    from ..store import PREFIXES

    out = _Capped(limit)
    try:
        result = store.query(query, prefixes=PREFIXES)
        if isinstance(result, (ox.QuerySolutions, ox.QueryBoolean)):
            media = results_type or "application/sparql-results+json"
            result.serialize(out, format=getattr(ox.QueryResultsFormat, RESULT_TYPES[media]))
        else:
            media = graph_type or "text/turtle"
            result.serialize(out, format=getattr(ox.RdfFormat, GRAPH_TYPES[media]))
        return "ok", out.getvalue(), media
    except _ResultTooLarge:
        return "too-large", f"the result is larger than {limit // (1024 * 1024)} MB: ask for less (LIMIT)".encode(), ""
    except (SyntaxError, OSError, ValueError, RuntimeError) as e:  # a bad query or an engine failure: its message
        if out.size > limit:  # the serializer wrapped our refusal in its own error
            return "too-large", f"the result is larger than {limit // (1024 * 1024)} MB: ask for less (LIMIT)".encode(), ""
        return "error", " ".join(str(e).split())[:500].encode(), ""


def _limit_memory(extra: int) -> None:
    """Let this process's data segment grow by at most `extra` bytes beyond what it holds now: a query
    that would take more fails to allocate and the worker dies, instead of the machine swapping."""
    try:
        import resource

        with open("/proc/self/status") as f:
            data_kb = next(int(line.split()[1]) for line in f if line.startswith("VmData:"))
        cap = data_kb * 1024 + extra
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    except (ImportError, OSError, ValueError, StopIteration):  # not Linux: no cap
        pass


def _open_local(location: str):
    """The worker's own read-only Oxigraph store: opened as every command opens a graph (kg.store)."""
    from ..store import KGStore

    return KGStore.for_reading(location).ox


def _worker_main(location: str, conn, memory: int = WORKER_MEMORY_BYTES) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops its workers itself
    store = _open_local(location)
    _limit_memory(memory)
    conn.send(("ready", b"", ""))
    while True:
        try:
            query, results_type, graph_type = conn.recv()
        except EOFError:
            return
        conn.send(_run_local(store, query, results_type, graph_type))


class _Worker:
    def __init__(self, ctx, location: str, memory: int = WORKER_MEMORY_BYTES):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(location, child, memory), daemon=True)
        self.proc.start()
        child.close()
        self.ready = False

    def wait_ready(self, timeout: float) -> bool:
        if not self.ready and self.conn.poll(timeout):
            self.ready = self.conn.recv()[0] == "ready"
        return self.ready

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join(5)
        self.conn.close()


class QueryEngine:
    """A small pool of query workers over a local graph, or a forwarder to a SPARQL server."""

    def __init__(self, location: str | None = None, url: str | None = None, timeout: float = 10.0, workers: int = 2,
                 memory: int = WORKER_MEMORY_BYTES):
        self.timeout = timeout
        self.location = location
        self.url = url
        self.memory = memory
        self._ctx = mp.get_context("spawn")
        self._free: queue.Queue[_Worker] = queue.Queue()
        for _ in range(0 if url else workers):
            self._free.put(_Worker(self._ctx, location, memory))

    def close(self) -> None:
        while True:
            try:
                self._free.get_nowait().kill()
            except queue.Empty:
                return

    def run(self, query: str, results_type: str | None = None, graph_type: str | None = None) -> Answer:
        if not query or not query.strip():
            raise QueryRefused("no query given")
        if is_update(query):
            raise QueryRefused("this endpoint is read-only: SPARQL UPDATE is refused")
        if uses_service(query):
            raise QueryRefused("SERVICE (federated query) is refused: this server sends no requests to other servers")
        if nesting(query) > MAX_NESTING:
            raise QueryRefused(f"the query nests brackets more than {MAX_NESTING} deep")
        if self.url:
            return self._forward(query, results_type, graph_type)
        try:
            worker = self._free.get(timeout=self.timeout)
        except queue.Empty:
            raise QueryTimeout(f"the server is busy: no query slot came free within {self.timeout:g} s") from None
        try:
            if not worker.wait_ready(max(self.timeout, 30.0)):
                raise QueryFailed("the query worker did not start")
            worker.conn.send((query, results_type, graph_type))
            if not worker.conn.poll(self.timeout):
                worker.kill()
                worker = _Worker(self._ctx, self.location, self.memory)
                raise QueryTimeout(f"the query ran longer than {self.timeout:g} s and was stopped")
            status, body, media = worker.conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError):
            worker.kill()
            worker = _Worker(self._ctx, self.location, self.memory)
            raise QueryTooLarge(f"the query needed more memory than this server gives a query "
                                f"({self.memory // (1024 * 1024)} MB) and was stopped", 503) from None
        finally:
            self._free.put(worker)
        if status == "too-large":
            raise QueryTooLarge(body.decode("utf-8", "replace"), 413)
        if status != "ok":
            raise QueryFailed(body.decode("utf-8", "replace"))
        return Answer(body, media)

    def _forward(self, query: str, results_type: str | None, graph_type: str | None) -> Answer:
        from ..store import PROLOGUE

        accept = ", ".join(t for t in (results_type or "application/sparql-results+json", graph_type or "text/turtle"))
        endpoint = self.url  # the server's query endpoint itself (open_store's URL/query, or --query-endpoint)
        req = urllib.request.Request(endpoint, data=urllib.parse.urlencode({"query": PROLOGUE + query}).encode(),
                                     headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - the user's own server
                body = resp.read(MAX_RESULT_BYTES + 1)
                if len(body) > MAX_RESULT_BYTES:
                    raise QueryTooLarge(f"the result is larger than {MAX_RESULT_BYTES // (1024 * 1024)} MB: ask for less (LIMIT)", 413)
                return Answer(body, resp.headers.get_content_type())
        except urllib.error.HTTPError as e:
            raise QueryFailed(" ".join(e.read().decode("utf-8", "replace").split())[:500]) from None
        except TimeoutError:
            raise QueryTimeout(f"the query ran longer than {self.timeout:g} s and was stopped") from None
        except (urllib.error.URLError, OSError) as e:
            raise QueryFailed(f"the SPARQL server did not answer: {e}") from None
