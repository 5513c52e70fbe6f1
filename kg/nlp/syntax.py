"""Small walks over a dependency parse that several components share."""

from __future__ import annotations

from spacy.tokens import Token


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
