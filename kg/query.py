"""SPARQL over the graph, with the project's prefixes predeclared; read-only unless asked."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from .errors import Errors, KGError

_UPDATE = re.compile(r"^\s*(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.I | re.M)
_PROLOGUE = re.compile(r"^\s*((PREFIX|BASE)\s+[^\n]*\n|#[^\n]*\n|\s+)*", re.I)


def _is_file(text: str) -> bool:
    try:
        return "\n" not in text and Path(text).is_file()
    except (OSError, ValueError):  # longer than a file name can be, or a NUL byte: query text
        return False


def read_query(text_or_path: str) -> str:
    """The query text itself, or the contents of a .rq/.sparql file."""
    if text_or_path.endswith((".rq", ".sparql")) or _is_file(text_or_path):
        p = Path(text_or_path)
        if not p.is_file():
            raise KGError(Errors.E001.format(path=text_or_path))
        return p.read_text(encoding="utf-8")
    return text_or_path


# What is not SPARQL keywords: strings (long and short), IRIs, comments. SERVICE inside them is data.
_NOT_KEYWORDS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\x00-\x20]*>|#[^\n]*',
    re.S,
)
_SERVICE = re.compile(r"(?<![\w:?$])SERVICE(?![\w:-])", re.I)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def uses_service(query: str) -> bool:
    """Whether the query asks another endpoint for data (a SERVICE clause: federated query).

    Scanned on the query as the parser sees it: \\u escapes decoded first (SPARQL applies them
    before parsing), then strings, IRIs and comments set aside, so "Forest Service" in a literal
    or ex:service as a name is not one."""
    text = _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), query)
    return bool(_SERVICE.search(_NOT_KEYWORDS.sub(" ", text)))


MAX_NESTING = 64  # brackets deeper than this are refused: Oxigraph's parser recurses and 5,000 levels overflow its stack


def nesting(query: str) -> int:
    """How deeply the query's brackets ((), {}, []) nest, strings, IRIs and comments aside."""
    depth = deepest = 0
    for ch in _NOT_KEYWORDS.sub(" ", query):
        if ch in "({[":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")}]":
            depth -= 1
    return deepest


def short_syntax_error(message: str, limit: int = 160) -> str:
    """The parser's message in one short line: where, and the first few things it expected (its
    character ranges, a wall of Unicode, left out)."""
    text = " ".join(message.split())
    head, sep, expected = text.partition("expected ")
    if not sep:
        return text[:limit]
    expected = expected.removeprefix("one of ")
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|[A-Za-z_]\w*', expected)
    items = [t for t in tokens if not t.startswith("[")]
    if len(items) < len(tokens):
        items.append("a name or a number")
    shown = ", ".join(items[:8]) + (", …" if len(items) > 8 else "")
    return (head + ("expected " if len(items) == 1 else "expected one of ") + shown)[:limit]


def is_update(query: str) -> bool:
    body = _PROLOGUE.sub("", query, count=1)
    return bool(_UPDATE.match(body))


def run_query(store, query: str, update: bool = False, allow_service: bool = False):
    """Run SPARQL on the store. Returns (variables, rows) for SELECT, a bool for ASK, triples for CONSTRUCT.

    A query with SERVICE is refused unless `allow_service`: the engine would fetch from the URL it names."""
    if not allow_service and uses_service(query):
        raise KGError(Errors.E035)
    if nesting(query) > MAX_NESTING:
        raise KGError(Errors.E036.format(limit=MAX_NESTING))
    try:
        if is_update(query):
            if not update:
                raise KGError(Errors.E031)
            store.update(query)
            return None
        result = store.sparql(query)
    except SyntaxError as e:
        raise KGError(Errors.E030.format(reason=short_syntax_error(str(e)))) from None
    except OSError as e:
        raise KGError(Errors.E034.format(reason=str(e).splitlines()[0])) from None
    if result[0] == "select":
        return result[1], result[2]
    return result[1]


def run_query_timed(store, query: str, update: bool = False, timeout: float | None = None, allow_service: bool = False):
    """run_query, giving up after `timeout` seconds (the engine cannot be interrupted, so the
    query keeps a daemon thread until the process exits; the CLI exits right away)."""
    if not timeout:
        return run_query(store, query, update, allow_service)
    import threading

    box: dict = {}

    def work():
        try:
            box["result"] = run_query(store, query, update, allow_service)
        except BaseException as e:  # noqa: BLE001 - handed back to the caller's thread
            # without its traceback and context: their frames hold the engine's result iterator, which
            # must be dropped on this thread (pyoxigraph objects are unsendable)
            e.__traceback__ = e.__context__ = e.__cause__ = None
            box["error"] = e

    t = threading.Thread(target=work, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise KGError(Errors.E032.format(seconds=timeout), hard_exit=True)
    if "error" in box:
        raise box["error"]
    return box["result"]


def format_result(result, fmt: str = "table") -> str:
    if result is None:
        return "update applied"
    if isinstance(result, bool):
        return json.dumps(result) if fmt == "json" else ("yes" if result else "no")
    if isinstance(result, list):  # CONSTRUCT / DESCRIBE triples
        return "".join(f"{t} .\n" for t in result)
    variables, rows = result
    if fmt == "json":
        return json.dumps([dict(zip(variables, r)) for r in rows], ensure_ascii=False, indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(variables)
        w.writerows(rows)
        return buf.getvalue().rstrip("\n")
    if fmt != "table":
        raise KGError(Errors.E033.format(fmt=fmt, choices="table, csv, json"))
    cells = [[c.replace("\n", " ") for c in r] for r in rows]
    widths = [min(60, max([len(v)] + [len(r[i]) for r in cells])) for i, v in enumerate(variables)]
    line = lambda vals: "  ".join(v[:60].ljust(w) for v, w in zip(vals, widths)).rstrip()
    out = [line(variables), line(["-" * w for w in widths])] + [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)
