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
    """One source document.

    `source` is its identity across builds: the file's path under the folder given to `kg build`
    (or its name, when the file was given itself), the canonical URL an HTML page names, or `--id`
    for stdin. Building a source again with other text replaces what it said before."""

    id: str  # the content hash prefix
    path: str  # file name as given, or "<stdin>"
    text: str
    sha: str  # SHA-256 of the text
    source: str = ""
    date: str | None = None  # publication date, ISO 8601 (YYYY-MM-DD), from what the source says
    headline: str | None = None  # from the page's metadata or front matter; else the first line
    stamp: tuple[int, int] | None = field(default=None, compare=False)  # the file's (mtime ns, size) just before it was read

    @classmethod
    def from_text(cls, text: str, path: str = "<stdin>", source: str | None = None, date: str | None = None,
                  headline: str | None = None) -> Article:
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if source is None:  # text with no name of its own is known by its content
            source = f"stdin:{sha[:16]}" if path == "<stdin>" else path
        return cls(id=sha[:16], path=path, text=text, sha=sha, source=source, date=date, headline=headline)


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
