"""Small walks over a dependency parse that several components share."""

from __future__ import annotations

from spacy.tokens import Doc, Token

SHORT_TEXT = 2  # texts of at most this many sentences are read as sentences, not articles


def governor(tok: Token, deps: frozenset[str]) -> Token:
    """The token `tok` stands in for: up through `deps` links (its first conjunct, the noun an
    appositive renames)."""
    while tok.dep_ in deps and tok.head.i != tok.i:
        tok = tok.head
    return tok


def coordination(tok: Token, deps: frozenset[str]) -> list[Token]:
    """Every token linked to `tok` through `deps` links: 'Colombia, Bolivia, Ecuador and Peru'."""
    group, stack = [], [governor(tok, deps)]
    while stack:
        t = stack.pop()
        group.append(t)
        stack.extend(c for c in t.children if c.dep_ in deps)
    return group


def is_article(doc: Doc) -> bool:
    """More than SHORT_TEXT sentences: what holds of whole articles (a person is named in full at
    least once) can be relied on."""
    return sum(1 for _ in doc.sents) > SHORT_TEXT
