"""Serialize a graph: Turtle, N-Triples, JSON-LD, TriG (Oxigraph's native writers)."""

from __future__ import annotations

from typing import BinaryIO

import pyoxigraph as ox

from .errors import Errors, KGError
from .store import KGStore

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
    store.dump(output, rdf_format(fmt))
