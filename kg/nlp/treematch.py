"""Dependency patterns matched by walking the parse from the rarest node, instead of by scanning.

kg's relation patterns are spaCy `DependencyMatcher` patterns (kept as data, validated by spaCy's
own schema when they load). spaCy's matcher runs a token `Matcher` over the whole document for
every node of every pattern and then tries the cartesian product of the candidates; on news articles
that was the largest cost kg added to the parse. `TreeMatcher` gives the same matches in the same
order for the subset of the pattern language kg uses — token attributes `LOWER`, `LEMMA`,
`ENT_TYPE`, `DEP`, `POS`, `TAG`, `ORTH` as a value or `IN`/`NOT_IN`, and the operators `>`, `<`,
`>>`, `<<` — by reading the document's attributes once as integer arrays, finding the first node's
tokens through an index, and following heads and children for the rest. Any other attribute or
operator is refused when the pattern loads, so a pattern can never be silently matched differently.
"""

from __future__ import annotations

from collections.abc import Iterator

from spacy.attrs import IDS as ATTR_IDS
from spacy.matcher import DependencyMatcher
from spacy.strings import get_string_id
from spacy.symbols import IDS as SYMBOLS
from spacy.tokens import Doc

ATTRS = ("LOWER", "LEMMA", "ENT_TYPE", "DEP", "POS", "TAG", "ORTH")
OPERATORS = (">", "<", ">>", "<<")
# the first node's tokens are found through an index on one of its wanted values, rarest kind first
_INDEXED = ("LEMMA", "LOWER", "ORTH", "ENT_TYPE", "TAG", "DEP", "POS")


def _value_id(attr: str, value: str) -> int:
    # POS is stored as a symbol id; every other attribute as its string's hash ("" is 0: no entity)
    return SYMBOLS[value] if attr == "POS" else get_string_id(value)


class _Node:
    __slots__ = ("name", "left", "op", "tests", "index")

    def __init__(self, spec: dict, position: dict[str, int]):
        self.name = spec["RIGHT_ID"]
        self.left = position[spec["LEFT_ID"]] if "LEFT_ID" in spec else None
        self.op = spec.get("REL_OP")
        if self.left is not None and self.op not in OPERATORS:
            raise ValueError(f"node {self.name}: operator {self.op!r} is not supported (only {', '.join(OPERATORS)})")
        # (column, ids, wanted): the token's value in `column` must be (wanted=True) or not be in ids
        self.tests: list[tuple[int, frozenset, bool]] = []
        self.index: tuple[int, frozenset] | None = None
        for attr, value in spec.get("RIGHT_ATTRS", {}).items():
            if attr not in ATTRS:
                raise ValueError(f"node {self.name}: attribute {attr} is not supported (only {', '.join(ATTRS)})")
            column = ATTRS.index(attr)
            if isinstance(value, str):
                self.tests.append((column, frozenset([_value_id(attr, value)]), True))
            elif isinstance(value, dict) and set(value) <= {"IN", "NOT_IN"}:
                for key, words in value.items():
                    self.tests.append((column, frozenset(_value_id(attr, w) for w in words), key == "IN"))
            else:
                raise ValueError(f"node {self.name}: {attr} must be a string or an IN / NOT_IN list")
        wanted = [(column, ids) for column, ids, want in self.tests if want and 0 not in ids]
        if wanted:
            self.index = min(wanted, key=lambda t: _INDEXED.index(ATTRS[t[0]]))

    def accepts(self, row: tuple) -> bool:
        return all((row[c] in ids) is wanted for c, ids, wanted in self.tests)


class _Parsed:
    """One document's attributes as integer rows, its heads and children, and lazy value indexes."""

    def __init__(self, doc: Doc):
        cols = doc.to_array([ATTR_IDS[a] for a in ATTRS]).tolist() if len(doc) else []
        self.rows = [tuple(r) for r in cols]
        heads = doc.to_array([ATTR_IDS["HEAD"]]).astype("int64").tolist() if len(doc) else []
        n = len(self.rows)
        self.head = [i + h for i, h in enumerate(heads)]
        self.children: list[list[int]] = [[] for _ in range(n)]
        for i, h in enumerate(self.head):
            if h != i:
                self.children[h].append(i)
        self._index: dict[int, dict[int, list[int]]] = {}

    def values(self, column: int) -> dict[int, list[int]]:
        """The column's values in this document, each with its tokens in order."""
        index = self._index.get(column)
        if index is None:
            index = self._index[column] = {}
            for i, row in enumerate(self.rows):
                index.setdefault(row[column], []).append(i)
        return index

    def contains(self, column: int, ids: frozenset) -> bool:
        """Whether some token has one of these values (every node must match a token, so a pattern
        with a node whose values the document lacks cannot match)."""
        index = self.values(column)
        small, large = (ids, index) if len(ids) <= len(index) else (index, ids)
        return any(v in large for v in small)

    def having(self, column: int, ids: frozenset) -> list[int]:
        index = self.values(column)
        if len(ids) == 1:
            return index.get(next(iter(ids)), [])
        return sorted(i for v in ids for i in index.get(v, ()))

    def related(self, i: int, op: str) -> list[int]:
        if op == ">":
            return self.children[i]
        if op == "<":
            h = self.head[i]
            return [] if h == i else [h]
        if op == "<<":
            out = []
            while self.head[i] != i:
                i = self.head[i]
                out.append(i)
            return sorted(out)
        out, stack = [], list(self.children[i])  # ">>": every descendant
        while stack:
            j = stack.pop()
            out.append(j)
            stack.extend(self.children[j])
        return sorted(out)


class TreeMatcher:
    """Patterns added with `add(key, pattern)`; calling it on a Doc yields `(key, token_ids)` with the
    ids in the pattern's node order, patterns in the order added, matches in document order."""

    def __init__(self, vocab, validate: bool = True):
        self.vocab = vocab
        self.validate = validate
        self.patterns: list[tuple[str, list[_Node]]] = []
        # which patterns a document can match, from the values of their first nodes it contains
        self._by_value: dict[int, dict[int, list[int]]] = {}
        self._anywhere: list[int] = []  # patterns whose first node has no value to look up

    def add(self, key: str, pattern: list[dict]) -> None:
        if self.validate:  # spaCy's own checks of the pattern's shape
            DependencyMatcher(self.vocab, validate=True).add(key, [pattern])
        position = {spec["RIGHT_ID"]: i for i, spec in enumerate(pattern)}
        nodes = [_Node(spec, position) for spec in pattern]
        number = len(self.patterns)
        self.patterns.append((key, nodes))
        if nodes[0].index is None:
            self._anywhere.append(number)
        else:
            column, ids = nodes[0].index
            for v in ids:
                self._by_value.setdefault(column, {}).setdefault(v, []).append(number)

    def __call__(self, doc: Doc, keys=None) -> Iterator[tuple[str, list[int]]]:
        """Every match, or only those of the patterns whose key is in `keys`."""
        parsed = _Parsed(doc)
        numbers = set(self._anywhere)
        for column, wanted in self._by_value.items():
            present = parsed.values(column)
            small, large = (present, wanted) if len(present) < len(wanted) else (wanted, present)
            for v in small:
                if v in large:
                    numbers.update(wanted[v])
        for number in sorted(numbers):
            key, nodes = self.patterns[number]
            if (keys is None or key in keys) and all(parsed.contains(*n.index) for n in nodes[1:] if n.index):
                for ids in _search(parsed, nodes):
                    yield key, ids


def _search(parsed: _Parsed, nodes: list[_Node]) -> Iterator[list[int]]:
    first = nodes[0]
    rows = parsed.rows
    starts = parsed.having(*first.index) if first.index else range(len(rows))
    chosen = [0] * len(nodes)
    last = len(nodes) - 1

    def extend(k: int) -> Iterator[list[int]]:
        node = nodes[k]
        for j in parsed.related(chosen[node.left], node.op):
            if node.accepts(rows[j]):
                chosen[k] = j
                if k == last:
                    yield list(chosen)
                else:
                    yield from extend(k + 1)

    for i in starts:
        if first.accepts(rows[i]):
            chosen[0] = i
            if last == 0:
                yield [i]
            else:
                yield from extend(1)
