"""Serialize a graph: Turtle, N-Triples, JSON-LD, TriG (Oxigraph's native writers)."""

from __future__ import annotations

from typing import BinaryIO

import pyoxigraph as ox

from .errors import Errors, KGError
from .store import PREFIXES, KGStore

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


def export(store: KGStore, fmt: str, output: BinaryIO) -> None:
    """Write the whole graph to a binary stream."""
    f = rdf_format(fmt)
    kwargs = {} if f.supports_datasets else {"from_graph": ox.DefaultGraph()}
    prefixes = PREFIXES if f in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML) else None
    store.ox.dump(output, f, prefixes=prefixes, **kwargs)
