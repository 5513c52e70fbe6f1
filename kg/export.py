"""Serialize a graph: Turtle, N-Triples, JSON-LD, TriG (Oxigraph's native writers).

Exporting an output folder's store needs neither rdflib nor spaCy (`export_folder`): the command
starts at once and runs at Oxigraph's own speed.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from .errors import Errors, KGError
from .names import PREFIXES, STORE_DIR

FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "json-ld": ox.RdfFormat.JSON_LD,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
    "xml": ox.RdfFormat.RDF_XML,
}
CHOICES = ("turtle", "nt", "jsonld", "trig", "nquads", "xml")


def rdf_format(name: str) -> ox.RdfFormat:
    fmt = FORMATS.get(name.lower())
    if fmt is None:
        raise KGError(Errors.E033.format(fmt=name, choices=", ".join(CHOICES)))
    return fmt


def write_rdf(store: ox.Store, output, fmt: ox.RdfFormat) -> None:
    """Oxigraph's own writer: the default graph (every quad for TriG and N-Quads), with kg's prefixes where the format has them."""
    kwargs = {} if fmt.supports_datasets else {"from_graph": ox.DefaultGraph()}
    prefixes = PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML) else None
    store.dump(output, fmt, prefixes=prefixes, **kwargs)


def export(store, fmt: str, output: BinaryIO) -> None:
    """Write the whole graph of an open store (kg.store.Store) to a binary stream."""
    store.dump(output, rdf_format(fmt))


def export_folder(location: str | Path, fmt: str, output: BinaryIO) -> bool:
    """Write the graph of an output folder's store, opened read-only; False when `location` holds no store."""
    store_dir = Path(location) / STORE_DIR
    if not store_dir.is_dir():
        return False
    try:
        store = ox.Store.read_only(str(store_dir))
    except OSError as e:
        raise KGError(Errors.E024.format(path=store_dir, reason=str(e).splitlines()[0])) from None
    write_rdf(store, output, rdf_format(fmt))
    return True
