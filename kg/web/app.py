"""`kg serve`: a local, read-only web app over the store (Starlette + Jinja2, served by uvicorn).

Pages: overview (/), search (/search and the type-ahead /api/search), entity (/entity/<path>),
article (/article/<id>), articles by date (/articles?from=&to=), what's new (/new?from=&to=: facts
first reported in a period), the lists the overview counts (/relation/<name>, /class/<name>), SPARQL
editor (/query) and the SPARQL 1.1 protocol endpoint (/sparql, GET and POST, read-only). Each page
has a JSON twin with the data it shows: the page's address + .json (/.json for the overview).
The new pages' queries are SPARQL files in kg/web/queries/ with $parameters bound as RDF terms. Every page is answered from SPARQL on the store, so it works the same
over a SPARQL server (`--store URL`). Templates auto-escape; page data reaches scripts as JSON in
a non-executable <script type="application/json">; the Content-Security-Policy lets the browser
load nothing from anywhere but this server.
"""

from __future__ import annotations

import contextlib
import urllib.parse
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.concurrency import run_in_threadpool

from ..ontology import ONTOLOGY_DIR
from .data import Pages
from .engine import QueryEngine, QueryFailed, QueryRefused, QueryTimeout, QueryTooLarge, negotiate

MAX_BODY_BYTES = 1024 * 1024  # a SPARQL query is text: a larger request body is refused (413)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
_STATIC = {
    "app.css": ("text/css", lambda: resources.files("kg.web").joinpath("static", "app.css").read_bytes()),
    "app.js": ("text/javascript", lambda: resources.files("kg.web").joinpath("static", "app.js").read_bytes()),
    "vis-network.min.js": ("text/javascript", lambda: resources.files("pyvis").joinpath("lib", "vis-9.1.2", "vis-network.min.js").read_bytes()),
    "vis-network.css": ("text/css", lambda: resources.files("pyvis").joinpath("lib", "vis-9.1.2", "vis-network.css").read_bytes()),
}


def example_queries() -> list[dict]:
    """The example queries shipped in ontology/queries/, with their first comment line as title."""
    out = []
    for p in sorted(Path(ONTOLOGY_DIR, "queries").glob("*.rq")):
        text = p.read_text(encoding="utf-8")
        first = text.splitlines()[0] if text else ""
        out.append({"name": p.stem, "title": first.lstrip("# ").strip() or p.stem, "text": text})
    return out


def create_app(store, location: str | None = None, url: str | None = None, timeout: float = 10.0, query_workers: int = 2,
               hosts: set[str] | frozenset[str] = LOOPBACK_HOSTS) -> Starlette:
    """The web app over an open store (a KGStore or RemoteKGStore); user SPARQL runs in `QueryEngine`.

    `url`: a SPARQL server's query endpoint, which /sparql forwards to; `hosts`: the names the server
    answers to (the Host header, port aside); by default loopback only."""
    pages = Pages(store)
    engine = QueryEngine(location=location, url=url, timeout=timeout, workers=query_workers)
    env = Environment(loader=PackageLoader("kg.web", "templates"), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    static_cache: dict[str, bytes] = {}
    examples = example_queries()

    def page(name: str, status: int = 200, **ctx) -> HTMLResponse:
        html = env.get_template(name).render(**ctx)
        return HTMLResponse(html, status_code=status)

    async def overview(request: Request):
        cls = request.query_params.get("class") or None
        if cls and cls not in pages.ont.classes:
            cls = None
        data = await run_in_threadpool(pages.overview)
        top = await run_in_threadpool(pages.top_entities, cls, 60)
        if request.url.path == "/.json":
            return _json({"overview": data, "top": top, "class": cls})
        return page("overview.html", data=data, top=top, cls=cls, title="Overview")

    async def search_page(request: Request):
        q = request.query_params.get("q", "")
        hits = await run_in_threadpool(pages.search, q, 50) if q else []
        if request.url.path == "/search.json":
            return _json({"q": q, "hits": hits})
        return page("search.html", q=q, hits=hits, title=f"Search: {q}" if q else "Search")

    async def search_api(request: Request):
        q = request.query_params.get("q", "")[:200]
        return JSONResponse(await run_in_threadpool(pages.search, q, 10))

    def one(param: str, fetch, template: str, name: str, missing: str, title: str):
        """A page about one thing (`/entity/<path>`, `/article/<id>`, `/relation/<name>`, `/class/<name>`)
        and its JSON twin at the same address + .json; 404 when there is no such thing."""

        async def handler(request: Request):
            key = request.path_params[param]
            twin = key.endswith(".json")  # paths, ids and names have no dot of their own
            data = await run_in_threadpool(fetch, key.removesuffix(".json"))
            if data is None:
                raise HTTPException(404, missing.format(key.removesuffix(".json")))
            return _json(data) if twin else page(template, **{name: data}, title=title(data))

        return handler

    def dated(fetch, template: str, title: str):
        """A page over a period (`?from=YYYY-MM-DD&to=YYYY-MM-DD`) and its JSON twin (its path + .json)."""

        async def handler(request: Request):
            data = await run_in_threadpool(fetch, request.query_params.get("from"), request.query_params.get("to"))
            return _json(data) if request.url.path.endswith(".json") else page(template, d=data, title=title)

        return handler

    entity = one("path", pages.entity, "entity.html", "e", "No entity at /entity/{}", lambda d: d["label"])
    article = one("ident", pages.article, "article.html", "a", "No article at /article/{}", lambda d: d["headline"])
    relation_page = one("name", pages.relation_facts, "relation.html", "d", "No relation named {!r} in the ontology", lambda d: d["relation"])
    class_page = one("name", pages.class_entities, "class.html", "d", "No class named {!r} in the ontology", lambda d: d["cls"]["label"])
    articles_page = dated(pages.articles, "articles.html", "Articles")
    whats_new = dated(pages.whats_new, "new.html", "What's new")

    async def neighbours(request: Request):
        data = await run_in_threadpool(pages.neighbours, request.path_params["path"])
        if data is None:
            raise HTTPException(404, "no such entity")
        return JSONResponse(data)

    async def query_page(request: Request):
        q = request.query_params.get("query") or (examples[0]["text"] if examples else "")
        if request.url.path == "/query.json":
            return _json({"query": q, "examples": examples, "timeout": timeout, "endpoint": "/sparql"})
        return page("query.html", query=q, examples=examples, timeout=timeout, title="SPARQL")

    async def sparql(request: Request):
        """SPARQL 1.1 protocol: query via GET ?query=, POST form (query=) or POST application/sparql-query."""
        fmt = request.query_params.get("format")
        query = request.query_params.get("query")
        if request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            raw = await _read_body(request, MAX_BODY_BYTES)
            if raw is None:
                return _plain(413, f"the request body is larger than {MAX_BODY_BYTES // 1024} KB")
            body = raw.decode("utf-8", "replace")
            if ctype == "application/sparql-update":
                return _plain(400, "this endpoint is read-only: SPARQL UPDATE is refused")
            if ctype == "application/sparql-query":
                query = body
            elif ctype == "application/x-www-form-urlencoded":
                form = urllib.parse.parse_qs(body, keep_blank_values=True)
                if "update" in form:
                    return _plain(400, "this endpoint is read-only: SPARQL UPDATE is refused")
                query = (form.get("query") or [query])[0]
                fmt = (form.get("format") or [fmt])[0]
            else:
                return _plain(415, "send the query as application/sparql-query or as a form field 'query'")
        elif "update" in request.query_params:
            return _plain(400, "this endpoint is read-only: SPARQL UPDATE is refused")
        if query is None:
            return _plain(400, "no query: pass it as ?query=… (see /query for an editor)")
        results_type, graph_type = negotiate(request.headers.get("accept"), fmt)
        try:
            answer = await run_in_threadpool(engine.run, query, results_type, graph_type)
        except QueryRefused as e:
            return _plain(400, str(e))
        except QueryFailed as e:
            return _plain(400, f"query failed: {e}")
        except QueryTimeout as e:
            return _plain(503, str(e))
        except QueryTooLarge as e:
            return _plain(e.status, str(e))
        headers = {}
        if fmt and request.query_params.get("download"):
            ext = {"text/csv": "csv", "application/sparql-results+json": "json", "text/tab-separated-values": "tsv"}.get(answer.media_type, "txt")
            headers["Content-Disposition"] = f'attachment; filename="kg-results.{ext}"'
        return Response(answer.body, media_type=answer.media_type, headers=headers)

    async def static(request: Request):
        name = request.path_params["name"]
        if name not in _STATIC:
            raise HTTPException(404, "no such file")
        media, read = _STATIC[name]
        if name not in static_cache:
            static_cache[name] = read()
        return Response(static_cache[name], media_type=media, headers={"Cache-Control": "max-age=3600"})

    async def not_found(request: Request, exc: HTTPException):
        if request.url.path.endswith(".json"):
            return JSONResponse({"error": exc.detail, "status": exc.status_code}, status_code=exc.status_code)
        if request.url.path.startswith(("/api/", "/sparql")):
            return _plain(exc.status_code, exc.detail)
        return page("error.html", status=exc.status_code, code=exc.status_code, message=exc.detail, title="Not found" if exc.status_code == 404 else "Error")

    async def server_error(request: Request, exc: Exception):
        message = "The server failed on this page: " + " ".join(str(exc).split())[:200]
        if request.url.path.startswith(("/api/", "/sparql")):
            return _plain(500, message)
        return page("error.html", status=500, code=500, message=message, title="Error")

    routes = [
        Route("/", overview),
        Route("/.json", overview),
        Route("/search", search_page),
        Route("/search.json", search_page),
        Route("/api/search", search_api),
        Route("/api/neighbours/{path:path}", neighbours),
        Route("/entity/{path:path}", entity),
        Route("/article/{ident}", article),
        Route("/articles", articles_page),
        Route("/articles.json", articles_page),
        Route("/new", whats_new),
        Route("/new.json", whats_new),
        Route("/relation/{name}", relation_page),
        Route("/class/{name}", class_page),
        Route("/query", query_page),
        Route("/query.json", query_page),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/static/{name}", static),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        engine.close()

    app = Starlette(routes=routes, exception_handlers={HTTPException: not_found, 404: not_found, 500: server_error}, lifespan=lifespan)
    app.add_middleware(_SecurityHeaders)
    app.add_middleware(_SameOrigin, hosts=frozenset(h.lower() for h in hosts))
    app.state.pages = pages
    app.state.engine = engine
    return app


def host_names(host: str) -> frozenset[str]:
    """The Host names a server bound to `host` answers to: loopback names always, the address
    given, and for a wildcard address (0.0.0.0, ::) this machine's own names and addresses."""
    import ipaddress
    import socket

    names = set(LOOPBACK_HOSTS) | {f"[{host}]" if ":" in host else host}
    try:
        wildcard = ipaddress.ip_address(host).is_unspecified
    except ValueError:
        wildcard = False
    if wildcard:
        for name in {socket.gethostname(), socket.getfqdn()}:
            names.add(name)
            with contextlib.suppress(OSError):
                for *_, addr in socket.getaddrinfo(name, None):
                    names.add(f"[{addr[0]}]" if ":" in addr[0] else addr[0])
    return frozenset(n.lower() for n in names)


def is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() == "localhost"


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is (or says it is) larger than `limit`: read no further."""
    try:
        if int(request.headers.get("content-length") or 0) > limit:
            return None
    except ValueError:
        return None
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


def _jsonable(obj):
    """Page data as JSON: sets become sorted lists."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted((_jsonable(v) for v in obj), key=str)
    return obj


def _json(data) -> JSONResponse:
    """A page's JSON twin (Datasette's way: the same data the page shows, at the page's address + .json)."""
    return JSONResponse(_jsonable(data))


def _plain(status: int, message: str) -> Response:
    return Response(message + "\n", status_code=status, media_type="text/plain; charset=utf-8")


class _SameOrigin:
    """Answer only requests addressed to this server, from this server's own pages or from non-browser clients.

    - The Host header must name this server (loopback, or the --host given): a page elsewhere that
      points its own name at 127.0.0.1 (DNS rebinding) gets 421, not the graph.
    - Requests with an effect (any method but GET/HEAD) and every SPARQL or API request must not come
      from another site: a browser marks them with Sec-Fetch-Site and Origin, which must say this
      origin. Clients that send neither (curl, rdflib's SPARQLStore) are no browser and pass.
    """

    SAFE = {"GET", "HEAD"}
    GUARDED = ("/sparql", "/api/")

    def __init__(self, app, hosts: frozenset[str]):
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if _host_name(host) not in self.hosts:
            return await _plain(421, "this server answers only requests addressed to it (its Host is not "
                                     f"{host[:100]!r}); see SECURITY.md")(scope, receive, send)
        if scope["method"] not in self.SAFE or scope["path"].startswith(self.GUARDED):
            site = headers.get("sec-fetch-site")
            origin = headers.get("origin")
            if (site is not None and site not in ("same-origin", "none")) or (
                    origin is not None and origin.lower() != f"{scope.get('scheme', 'http')}://{host.lower()}"):
                return await _plain(403, "cross-site request refused: only this server's own pages may send it")(scope, receive, send)
        return await self.app(scope, receive, send)


def _host_name(host: str) -> str:
    """The name part of a Host header: 'localhost:8080' → 'localhost', '[::1]:80' → '[::1]'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class _SecurityHeaders:
    """Content-Security-Policy and friends on every response: the pages load nothing from elsewhere."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]
                message["headers"] = headers
            await send(message)

        return await self.app(scope, receive, send_with_headers)
