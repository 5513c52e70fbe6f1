"""Relation mentions from dependency patterns kept as data (kg/nlp/patterns/<relation>.jsonl).

A pattern line is a spaCy DependencyMatcher pattern plus what its nodes mean:

    {"id": "worksFor.appos-poss.v1", "relation": "worksFor", "confidence": 0.9,
     "head": "person", "tail": "org", "title": "title",
     "pattern": [{"RIGHT_ID": "person", "RIGHT_ATTRS": {"ENT_TYPE": "PERSON"}}, ...],
     "examples": [{"text": "...", "head": "...", "tail": "..."}]}

`head`/`tail` name a node, or `"subject:NODE"` (the grammatical subject of a verb node,
climbing through xcomp, relcl, advcl and conj), or `"owner:NODE"` (a noun's possessor, else the
subject of the verb that governs it). `title` names a node whose words become a jobTitle literal.
`reject` maps a node to words none of its children may be ("vice" under "President").
`literal_is_title` makes the literal node's title words the value ("prime minister", not "minister").
`relation_by_tail_class` picks the relations from the tail's class: for the first listed class the
tail belongs to, every listed relation the head's class admits (a NORP that names a country gives
an organization's `country` and `basedIn` and a person's `nationality`; one that names a region
gives `basedIn` or `livesIn`). Python only interprets these fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import srsly
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from ..ontology import load_ontology
from .lexicon import PATTERN_DIR, lexicon
from .treematch import TreeMatcher

if not Doc.has_extension("kg_relations"):
    Doc.set_extension("kg_relations", default=None)

_CLIMB = {"xcomp", "relcl", "advcl", "conj", "ccomp", "acl", "pcomp"}


@dataclass
class RelationMention:
    """One relation read from one sentence; endpoints are token indices (resolved later)."""

    head: int
    relation: str
    tail: int | None
    literal: str | None
    pattern: str
    confidence: float
    anchor: int
    sent_start: int  # character offsets of the sentence
    sent_end: int
    status: str = "asserted"
    qualifiers: dict = field(default_factory=dict)
    attributed_to: int | None = None
    relation_by_tail_class: dict | None = None


def load_patterns(directory=None) -> list[dict]:
    rows = []
    ont = load_ontology()
    for path in sorted((directory or PATTERN_DIR).glob("*.jsonl")):
        if path.name == "entities.jsonl":
            continue
        for row in srsly.read_jsonl(path):
            if row["relation"] not in ont.relations:
                raise ValueError(f"{path.name}: {row['id']}: relation {row['relation']} is not in the ontology")
            rows.append(row)
    return rows


def subject_of(tok: Token) -> Token | None:
    """The grammatical subject of a verb, looking up through clause links when it has none."""
    seen = set()
    while tok.i not in seen:
        seen.add(tok.i)
        for c in tok.children:
            if c.dep_ in {"nsubj", "nsubjpass"}:
                if c.lower_ in {"who", "which", "that"} and tok.dep_ == "relcl":
                    return tok.head  # "Booth, who assassinated Lincoln": the relative's antecedent
                return c
        if tok.dep_ == "relcl" and tok.head.dep_ in {"dobj", "pobj", "attr", "nsubj"}:
            # "a strategy to establish ...": the one who considers the strategy
            tok = tok.head.head if tok.head.dep_ != "nsubj" else tok.head
            if tok.dep_ == "nsubj":
                return tok
            continue
        if tok.dep_ in _CLIMB or tok.dep_ in {"dobj", "pobj", "prep"}:
            tok = tok.head
            continue
        return None
    return None


def owner_of(tok: Token) -> Token | None:
    for c in tok.children:
        if c.dep_ == "poss":
            return c
    head = tok.head
    while head.dep_ in {"prep", "pobj", "dobj", "conj", "compound"} and head.head.i != head.i:
        head = head.head
    return subject_of(head)


def _ent_of(tok: Token) -> slice:
    for ent in tok.doc.ents:
        if ent.start <= tok.i < ent.end:
            return slice(ent.start, ent.end)
    return slice(tok.i, tok.i + 1)


def _endpoint(spec: str, nodes: dict[str, Token]) -> Token | None:
    if spec.startswith("subject:"):
        return subject_of(nodes[spec.split(":", 1)[1]])
    if spec.startswith("owner:"):
        return owner_of(nodes[spec.split(":", 1)[1]])
    return nodes.get(spec)


def _conjuncts(tok: Token) -> list[Token]:
    out, stack = [], [tok]
    while stack:
        t = stack.pop()
        out.append(t)
        stack.extend(c for c in t.children if c.dep_ in {"conj", "appos"} and c.pos_ in {"PROPN", "NOUN"})
    return out


def title_text(tok: Token) -> str:
    """'Bitmain's global business chief' → 'global business chief'; 'CEO of Uminers' → 'CEO'."""
    skip: set[int] = set()
    for c in tok.lefts:
        if c.dep_ in {"poss", "nmod", "det", "predet", "punct", "case", "nummod"} or c.ent_type_ in {"ORG", "GPE", "PERSON", "NORP"}:
            skip |= {t.i for t in c.subtree}
    left = {t.i for t in tok.subtree if t.i < tok.i and t.i not in skip}
    start = tok.i
    while start - 1 in left:
        start -= 1
    return tok.doc[start : tok.i + 1].text.strip()


def _status(anchor: Token) -> str:
    lex = lexicon()
    chain = [anchor, *anchor.ancestors]
    for t in chain[:4]:
        for c in t.children:
            if c.dep_ == "neg" or c.lower_ in lex["negations"] and c.dep_ in {"neg", "advmod", "det"}:
                return "negated"
        if t.lemma_.lower() in lex["negating_verbs"] and t.i != anchor.i:
            return "negated"
    for t in chain[:4]:
        for c in t.children:
            if c.dep_ == "aux" and c.lower_ in lex["hedge_auxiliaries"] and c.lower_ != "will":
                return "planned"
            if c.dep_ == "mark" and c.lower_ in lex["hedge_marks"]:
                return "planned"
        if t.i != anchor.i and t.lemma_.lower() in lex["hedge_verbs"] and t.pos_ == "VERB":
            return "planned"
        if t.i == anchor.i and t.lemma_.lower() in lex["hedge_verbs"]:
            return "planned"
    # "is considering a strategy to establish": the verb that heads a relcl/xcomp chain
    for t in anchor.ancestors:
        if t.pos_ in {"VERB", "AUX"} and t.lemma_.lower() in lex["hedge_verbs"]:
            return "planned"
        if t.dep_ == "ROOT":
            break
    return "asserted"


def _attribution(sent) -> int | None:
    """Who the sentence attributes its claims to: 'Bloomberg reported', 'according to X', 'per X'."""
    lex = lexicon()
    for t in sent:
        if t.lemma_.lower() in lex["reporting_verbs"] and t.pos_ == "VERB":
            for c in t.children:
                if c.dep_ == "nsubj" and (c.ent_type_ or c.pos_ == "PRON"):
                    return c.i
        if t.lower_ == "according" and t.i + 1 < len(t.doc) and t.nbor().lower_ == "to":
            for c in t.nbor().children:
                if c.dep_ == "pobj":
                    return c.i
        if t.lower_ == "per" and t.dep_ == "prep":
            for c in t.children:
                if c.dep_ == "pobj":
                    for d in c.subtree:
                        if d.ent_type_ in {"ORG", "PERSON"}:
                            return d.i
                    return c.i
    return None


_VALUE_LABELS = frozenset({"DATE", "MONEY", "CARDINAL", "PERCENT", "QUANTITY"})


def _qualifiers(anchor: Token, used: set[int], values: list[Span]) -> dict:
    """Dates, money, counts and percentages (`values`: the document's value entities) in the anchor's clause."""
    out: dict[str, str] = {}
    sub = {t.i for t in anchor.subtree}
    for ent in values:
        if ent.root.i not in sub or ent.root.i in used:
            continue
        key = {"DATE": "date", "MONEY": "amount"}.get(ent.label_, "quantity")
        out.setdefault(key, ent.text)
    # counts modifying the object: "31,145 Bitmain machines"
    if "quantity" not in out:
        for c in anchor.children:
            if c.dep_ == "dobj":
                for n in c.children:
                    if n.dep_ == "nummod" and n.like_num:
                        out["quantity"] = n.text
    return out


class RelationExtractor:
    def __init__(self, nlp: Language, name: str, patterns: str | None = None):
        self.name = name
        self.patterns = {r["id"]: r for r in load_patterns(patterns)}
        self.matcher = TreeMatcher(nlp.vocab, validate=True)
        for pid, row in self.patterns.items():
            self.matcher.add(pid, row["pattern"])

    def __call__(self, doc: Doc) -> Doc:
        found: dict[tuple, RelationMention] = {}
        attribution: dict[int, int | None] = {}  # per sentence start: several matches share one sentence
        values = None
        for pid, token_ids in self.matcher(doc):
            row = self.patterns[pid]
            nodes = {n["RIGHT_ID"]: doc[i] for n, i in zip(row["pattern"], token_ids)}
            if any(c.lower_ in words for node, words in row.get("reject", {}).items() for c in nodes[node].children):
                continue  # 'Vice President X' is no leader
            anchor = nodes[row.get("anchor", row["pattern"][0]["RIGHT_ID"])]
            head = _endpoint(row["head"], nodes)
            if head is None:
                continue
            sent = anchor.sent
            heads = _conjuncts(head) if row.get("expand_head", True) else [head]
            if len(heads) > 1:
                attached = [n for n in nodes.values() if n.head.i == head.i and n.i != head.i]
                if any(n.dep_ == "relcl" for n in attached):
                    heads = [head]  # 'Jack Ruby, who killed Oswald, and Jim Bakker': the clause is Ruby's alone
                # 'Marco Rubio of Florida, Mike Lee of Utah', 'X, the mayor of A, and Y, an activist': a
                # conjunct with its own 'of' or its own apposition is described by that, not by the first's
                links = {(n.dep_, n.lower_ if n.dep_ == "prep" else "") for n in attached}
                heads = [h for h in heads if h.i == head.i or not any((c.dep_, c.lower_ if c.dep_ == "prep" else "") in links for c in h.children)]
            if "tail" in row:
                tail = _endpoint(row["tail"], nodes)
                if tail is None:
                    continue
                tails: list = _conjuncts(tail) if row.get("expand_tail", True) else [tail]
                emits = [(row["relation"], t, None) for t in tails]
            else:
                lit = nodes[row["literal"]]
                value = title_text(lit) if row.get("literal_is_title") else lit.doc[_ent_of(lit)].text
                emits = [(row["relation"], None, value)]
            if "title" in row:
                emits.append(("jobTitle", None, title_text(nodes[row["title"]])))
            verbal = (anchor.pos_ in {"VERB", "AUX"} and anchor.dep_ not in {"amod", "compound"}) or (
                anchor.pos_ == "NOUN" and anchor.dep_ in {"dobj", "pobj", "nsubjpass"}
            )
            status = _status(anchor) if verbal else "asserted"
            used = {t.i for t in nodes.values()}
            if values is None:
                values = [e for e in doc.ents if e.label_ in _VALUE_LABELS]  # doc.ents builds every span: once a document
            quals = _qualifiers(anchor, used, values) if row.get("qualifiers", True) else {}
            if sent.start not in attribution:
                attribution[sent.start] = _attribution(sent)
            attributed = attribution[sent.start]
            for h in heads:
                for relation, t, literal in emits:
                    if t is not None and t.i == h.i:
                        continue
                    m = RelationMention(
                        head=h.i,
                        relation=relation,
                        tail=None if t is None else t.i,
                        literal=literal,
                        pattern=row["id"],
                        confidence=float(row.get("confidence", 0.8)),
                        anchor=anchor.i,
                        sent_start=sent.start_char,
                        sent_end=sent.end_char,
                        status=status,
                        qualifiers=quals if literal is None else {},
                        attributed_to=attributed,
                        relation_by_tail_class=row.get("relation_by_tail_class") if literal is None else None,
                    )
                    key = (m.head, m.relation, m.tail, m.literal)
                    if key not in found or found[key].confidence < m.confidence:
                        found[key] = m
        doc._.kg_relations = [asdict(m) for m in found.values()]
        return doc


@Language.factory("kg_relations", default_config={"patterns": None})
def make_relation_extractor(nlp: Language, name: str, patterns: str | None):
    return RelationExtractor(nlp, name, patterns)
