"""Mentions → entities: the alias table, names and surnames, 'the company', pronouns, demonyms.

Each entity gets a canonical label, an ontology class and every surface form it was written as.
Relation mentions from the spaCy component are mapped onto these entities, typed against the
ontology's domains and ranges, and anything type-incompatible is dropped here.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from .nlp.lexicon import lexicon
from .ontology import Ontology, load_ontology

_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "«": '"', "»": '"'})
_NODE_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "POLICY", "LAW", "PRODUCT", "MONEY"}
_VALUE_LABELS = {"CARDINAL", "QUANTITY", "PERCENT"}


def normalise(text: str) -> str:
    """The form names are compared in: case, quotes, a leading 'the' and a trailing 's folded away."""
    t = unicodedata.normalize("NFKC", text).translate(_QUOTES).strip().lower()
    t = re.sub(r"\s+", " ", t)
    t = re.sub(r"^the\s+", "", t)
    t = re.sub(r"('s|')$", "", t).strip()
    return t.replace('"', "").strip()


def clean_surface(text: str) -> str:
    t = re.sub(r"\s+", " ", text).strip()
    t = re.sub(r"^(the|The)\s+", "", t)
    t = re.sub(r"[’']s$", "", t).strip()
    return t.strip(" ,;:")


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


class _Known:
    """Lookups into the alias table."""

    def __init__(self, ont: Ontology):
        self.by_form: dict[str, tuple[str, str]] = {}
        self.by_demonym: dict[str, tuple[str, str]] = {}
        for k in ont.known:
            for form in (k.name, *k.aliases):
                self.by_form.setdefault(form, (k.name, k.cls))
                self.by_form.setdefault(normalise(form), (k.name, k.cls))
            for d in k.demonyms:
                self.by_demonym.setdefault(d.lower(), (k.name, k.cls))

    def form(self, text: str) -> tuple[str, str] | None:
        return self.by_form.get(text) or self.by_form.get(normalise(text)) if len(text) > 3 else self.by_form.get(text)


class Resolver:
    """Turns one parsed Doc into entities and facts."""

    def __init__(self, ont: Ontology | None = None):
        self.ont = ont or load_ontology()
        self.known = _Known(self.ont)
        lex = lexicon()
        self.titles = lex["titles"]
        self.title_words = lex["titles"] | lex["title_heads"]
        self.company_nouns = lex["company_nouns"]
        self.event_nouns = lex["event_nouns"]
        self.person_pronouns = frozenset(lex["pronouns"]["PERSON"])
        self.org_pronouns = frozenset(lex["pronouns"]["ORG"])
        words = lex["class_words"]
        self.class_words = {
            cls: (
                frozenset(v.get("suffixes", ())),
                re.compile(r"\b(?:" + "|".join(map(re.escape, v["words"])) + r")\b") if v.get("words") else None,
            )
            for cls, v in words.items()
        }

    # ---------------------------------------------------------------- entities
    def _class_for(self, span: Span, name: str) -> str | None:
        label = span.label_
        if label == "NORP":
            return None
        cls = span._.kg_class or self.ont.class_for_ner(label)
        if cls == "Organization":
            toks = name.split()
            for refined, (suffixes, words) in self.class_words.items():
                if toks and toks[-1] in suffixes:
                    return refined
                if words is not None and words.search(name):
                    return refined
            # "manufacturer Bitmain", "Bitmain, a company": a business noun beside the name
            for t in (span.root.head, *span.root.children):
                if t.lemma_.lower() in self.company_nouns and t.dep_ in {"compound", "appos"} | {span.root.dep_}:
                    return "Company"
        return cls

    def _person_name(self, span: Span) -> str:
        toks = [t for t in span]
        while len(toks) > 1 and toks[0].lower_ in self.titles:
            toks = toks[1:]
        return clean_surface(span.doc[toks[0].i : span.end].text) if toks else clean_surface(span.text)

    def entities(self, doc: Doc) -> tuple[dict[str, Entity], dict[int, str]]:
        """All entities of the document and, for each token inside a mention, its entity key."""
        spans = [e for e in doc.ents if e.label_ in _NODE_LABELS] + [
            e for e in doc.spans.get("kg_inner", []) if e.label_ in _NODE_LABELS
        ]
        records: list[tuple[Span, str, str, set[str]]] = []  # span, class, canonical, aliases
        for span in spans:
            surface = clean_surface(span.text)
            if not surface or not any(ch.isalnum() for ch in surface):
                continue
            aliases = {surface}
            if span.label_ == "NORP":
                hit = self.known.by_demonym.get(surface.lower()) or self.known.by_demonym.get(surface.lower().rstrip("s"))
                if not hit:
                    continue
                name, cls = hit
            elif span.label_ == "MONEY":
                name, cls = span.text.strip(), "MonetaryAmount"
            else:
                hit = self.known.form(surface)
                if hit:
                    name, cls = hit
                else:
                    name = surface
                    if span.label_ == "PERSON":
                        name = self._person_name(span)
                        # "President Lincoln": a title written before the name is kept as an alias
                        start = span.start
                        while start > 0 and doc[start - 1].lower_ in self.title_words and doc[start - 1].is_title:
                            start -= 1
                        if start < span.start:
                            aliases.add(clean_surface(doc[start : span.end].text))
                    cls = self._class_for(span, name)
                    if cls is None:
                        continue
                    aliases.add(name)
            if span.label_ in {"GPE", "LOC"} and span.end + 1 < len(doc) and doc[span.end].text == ",":
                nxt = next((e for e in spans if e.start == span.end + 1 and e.label_ in {"GPE", "LOC"}), None)
                if nxt is not None:
                    aliases.add(doc[span.start : nxt.end].text)  # "Portland, Ore."
            records.append((span, cls, name, aliases))

        # People: a lone surname or first name joins the full name written elsewhere in the article.
        people = [r for r in records if self.ont.top_class(r[1]) == "Person"]
        full = sorted({r[2] for r in people}, key=lambda n: -len(n.split()))
        orgs = sorted({r[2] for r in records if self.ont.top_class(r[1]) == "Organization"}, key=lambda n: -len(n.split()))
        canonical: dict[str, str] = {}
        for n in {r[2] for r in people}:
            parts = n.split()
            if len(parts) == 1:
                longer = [f for f in full if len(f.split()) > 1 and (f.split()[-1] == n or f.split()[0] == n)]
                if len(set(longer)) == 1:
                    canonical[n] = longer[0]
        for n in orgs:
            parts = n.split()
            longer = [f for f in orgs if len(f.split()) > len(parts) and f.split()[: len(parts)] == parts]
            if len(set(longer)) == 1:
                canonical[n] = longer[0]

        ents: dict[str, Entity] = {}
        token_key: dict[int, str] = {}
        votes: dict[str, Counter] = {}
        for span, cls, name, aliases in records:
            name = canonical.get(name, name)
            top = self.ont.top_class(cls)
            key = f"{top}/{normalise(name)}"
            ent = ents.get(key)
            if ent is None:
                ent = ents[key] = Entity(key=key, cls=cls, label=name)
            ent.aliases |= aliases
            ent.mentions.append((span.start_char, span.end_char))
            votes.setdefault(key, Counter())[cls] += 2 if span._.kg_class else 1
            ent.named |= span.label_ != "NORP"
            for t in span:
                token_key[t.i] = key
        for key, c in votes.items():
            # the most specific class with the most votes
            best = max(c.items(), key=lambda kv: (kv[1], len(self.ont.ancestors(kv[0]))))[0]
            ents[key].cls = best
        return ents, token_key

    # ---------------------------------------------------------------- endpoints
    def _salient_org(self, ents: dict[str, Entity]) -> str | None:
        orgs = [e for e in ents.values() if e.top == "Organization" and e.cls != "MediaOutlet"]
        if not orgs:
            return None
        return max(orgs, key=lambda e: (len(e.mentions), -e.mentions[0][0])).key

    def _antecedent(self, tok: Token, ents: dict[str, Entity], top: str) -> str | None:
        """The nearest entity of this kind before the pronoun, within two sentences."""
        limit = tok.sent.start_char
        prev = list(tok.doc.sents)
        for s in prev:
            if s.start <= tok.i < s.end:
                break
            limit = s.start_char
        # the nearest mention; a pronoun that opens its sentence prefers a grammatical subject ("Ansys
        # makes software used by Airbus and Ford. Its chief executive ..." → Ansys)
        opens = tok.i - tok.sent.start <= 1
        best, best_rank = None, (False, -1)
        for e in ents.values():
            if e.top != top:
                continue
            for s, end in e.mentions:
                if limit <= s < tok.idx:
                    span = tok.doc.char_span(s, end, alignment_mode="expand")
                    subject = opens and span is not None and span.root.dep_ in {"nsubj", "nsubjpass"}
                    if (subject, s) > best_rank:
                        best, best_rank = e.key, (subject, s)
        return best

    def resolve_token(self, tok: Token, ents, token_key) -> tuple[str | None, float]:
        """Entity key a relation endpoint refers to, and a confidence factor."""
        if tok.i in token_key:
            return token_key[tok.i], 1.0
        low = tok.lower_
        if low in self.person_pronouns:
            return self._antecedent(tok, ents, "Person"), 0.8
        if low in self.org_pronouns:
            return self._antecedent(tok, ents, "Organization"), 0.8
        for c in tok.children:
            if c.dep_ == "appos" and c.i in token_key:
                return token_key[c.i], 0.95
        if tok.dep_ == "appos" and tok.head.i in token_key:
            return token_key[tok.head.i], 0.95
        for c in tok.children:
            if c.dep_ == "poss" and c.i in token_key:
                return token_key[c.i], 0.8
        lemma = tok.lemma_.lower()
        dets = {c.lower_ for c in tok.children if c.dep_ == "det"}
        definite = not dets or dets <= {"the", "this", "that"}
        singular = tok.tag_ in {"NN", "NNP"}
        if definite and tok.tag_ == "NN" and tok.ent_type_ == "":
            # "the commission" → the European Commission: the one organization named with this head word
            named = {e.key for e in ents.values() if e.top == "Organization" and e.label.split()[-1].lower() == lemma}
            if len(named) == 1:
                return named.pop(), 0.8
        if lemma in self.company_nouns and definite and singular:
            return self._salient_org(ents), 0.7
        for c in tok.children:
            if c.dep_ == "compound" and c.lemma_.lower() in self.company_nouns and c.tag_ == "NN":
                return self._salient_org(ents), 0.6
        if lemma in self.event_nouns and definite and singular:
            return self._salient_org(ents), 0.5
        return None, 0.0

    # ---------------------------------------------------------------- facts
    def resolve(self, doc: Doc) -> tuple[dict[str, Entity], list[Fact]]:
        ents, token_key = self.entities(doc)
        facts: dict[tuple, Fact] = {}
        extra: dict[str, Entity] = {}
        for m in doc._.kg_relations or ():
            head_tok = doc[m["head"]]
            head, f1 = self.resolve_token(head_tok, ents, token_key)
            if head is None:
                continue
            tail, f2, literal = None, 1.0, m["literal"]
            relation = m["relation"]
            if m["tail"] is not None:
                tail_tok = doc[m["tail"]]
                tail, f2 = self.resolve_token(tail_tok, ents, token_key)
                if tail is None and relation in {"employees"} and tail_tok.like_num:
                    tail, f2 = self._quantity(tail_tok, extra), 1.0
                if tail is None or tail == head:
                    continue
                tcls = (ents.get(tail) or extra[tail]).cls
                by_class = m.get("relation_by_tail_class")
                if by_class:
                    # the first relation listed for the tail's class that the head's class admits
                    hcls0 = ents[head].cls
                    options = [r for c, rs in by_class.items() if self.ont.is_a(tcls, c) for r in rs]
                    chosen = next((r for r in options if self.ont.accepts(r, hcls0, tcls)), None)
                    if chosen is None:
                        continue
                    relation = chosen
            else:
                tcls = None
                if not literal:
                    continue
            hcls = ents[head].cls
            if not self.ont.accepts(relation, hcls, tcls):
                continue
            if m["status"] == "negated":
                continue
            attributed = None
            if m["attributed_to"] is not None:
                attributed, _ = self.resolve_token(doc[m["attributed_to"]], ents, token_key)
                if attributed in (head, tail):
                    attributed = None
            rel = self.ont.relations[relation]
            h, t = (head, tail)
            if rel.symmetric and tail is not None and tail < head:
                h, t = tail, head
            fact = Fact(
                head=h,
                relation=relation,
                tail=t,
                literal=literal,
                confidence=round(m["confidence"] * f1 * f2, 3),
                pattern=m["pattern"],
                sentence=doc.text[m["sent_start"] : m["sent_end"]].strip(),
                start=m["sent_start"],
                end=m["sent_end"],
                status=m["status"],
                qualifiers=m["qualifiers"],
                attributed_to=attributed,
            )
            key = (h, relation, t, literal, m["sent_start"])
            if key not in facts or facts[key].confidence < fact.confidence:
                facts[key] = fact
        ents.update(extra)
        # A place known only from an adjective ("Canadian officials") is a node only when a fact uses it.
        used = {f.head for f in facts.values()} | {f.tail for f in facts.values()} | {f.attributed_to for f in facts.values()}
        ents = {k: e for k, e in ents.items() if e.named or k in used or e.cls in {"Quantity"}}
        return ents, list(facts.values())

    def _quantity(self, tok: Token, extra: dict[str, Entity]) -> str:
        text = tok.text
        for ent in tok.doc.ents:
            if ent.start <= tok.i < ent.end:
                text = ent.text
        key = f"Quantity/{normalise(text)}"
        extra.setdefault(key, Entity(key=key, cls="Quantity", label=text, aliases={text}))
        return key
