"""The typed boundary between extraction and the graph: articles in, entities and facts out.

No spaCy here: `kg.mapping` turns these into triples, and everything that only reads or writes the
graph (query, export, render, serve) imports this module and never the pipeline.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """How an article states a fact (kg:status). Only a lead has no direct triple."""

    ASSERTED = "asserted"
    PLANNED = "planned"  # "plans to", "considering", "would"
    REPORTED = "reported"
    NEGATED = "negated"  # never written: "did not", "never"
    UNCERTAIN = "uncertain"  # a lead: the relation model is unsure, or no sentence names both ends


@dataclass(frozen=True)
class Article:
    """One source document."""

    id: str  # stable: the content hash prefix
    path: str  # file name as given, or "<stdin>"
    text: str
    sha: str  # SHA-256 of the text

    @classmethod
    def from_text(cls, text: str, path: str = "<stdin>") -> Article:
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return cls(id=sha[:16], path=path, text=text, sha=sha)


@dataclass
class Entity:
    key: str  # "<TopClass>/<normalised canonical label>": stable across documents
    cls: str
    label: str
    aliases: set[str] = field(default_factory=set)
    mentions: list[tuple[int, int]] = field(default_factory=list)  # character offsets
    named: bool = False  # named outright somewhere, not only through a demonym ("Canadian")

    @property
    def top(self) -> str:
        return self.key.split("/", 1)[0]


@dataclass
class Fact:
    head: str
    relation: str
    tail: str | None
    literal: str | None
    confidence: float
    pattern: str
    sentence: str
    start: int
    end: int
    status: str
    qualifiers: dict
    attributed_to: str | None
