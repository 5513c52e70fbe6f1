"""Entity fixes on top of the model's NER: boundaries, the alias table, rule patterns, type harmony."""

from __future__ import annotations

from collections import Counter

import srsly
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from ..ontology import load_ontology
from .lexicon import PATTERN_DIR

# Classes in the alias table → the NER label their mentions get.
_CLASS_TO_LABEL = {"Person": "PERSON", "Country": "GPE", "Region": "GPE", "City": "GPE", "Place": "GPE", "Product": "PRODUCT"}
_POSSESSIVE = {"'s", "’s", "'", "’"}
KEEP_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "POLICY", "LAW", "PRODUCT", "MONEY", "PERCENT", "CARDINAL", "QUANTITY", "DATE"}

if not Span.has_extension("kg_class"):
    Span.set_extension("kg_class", default=None)  # a finer ontology class when a rule knows one
if not Span.has_extension("kg_pattern"):
    Span.set_extension("kg_pattern", default=None)


def _label_for_class(cls: str) -> str:
    return _CLASS_TO_LABEL.get(cls, "ORG")


def _clean_boundaries(doc: Doc, ents: list[Span]) -> list[Span]:
    """Leading 'the', possessive endings, unbalanced brackets and 'A, B' lists become clean spans."""
    out = []
    for ent in ents:
        start, end, label = ent.start, ent.end, ent.label_
        while start < end and doc[start].lower_ in {"the", "a", "an"} and label not in {"MONEY", "DATE", "CARDINAL", "PERCENT"}:
            start += 1
        # An unbalanced bracket ends the entity: "Bitcoin (BTC" → "Bitcoin".
        for i in range(start, end):
            if doc[i].text in "([" and not any(doc[j].text in ")]" for j in range(i, end)):
                end = i
                break
        while end > start and (doc[end - 1].is_punct and doc[end - 1].text not in {".", ")"}):
            end -= 1
        pieces = [(start, end)]
        if label not in {"MONEY", "DATE", "CARDINAL", "PERCENT", "QUANTITY"}:
            # Split at a possessive: "Bitmain’s US" → "Bitmain" + "US"; "Trump’s" → "Trump".
            cut = [i for i in range(start, end) if doc[i].text in _POSSESSIVE or doc[i].tag_ == "POS"]
            if cut:
                pieces = [(start, cut[0])]
                if cut[0] + 1 < end:
                    pieces.append((cut[0] + 1, end))
            # Split organisation lists: "Bitmain, Canaan" → two ORGs (but not "Apple, Inc.").
            if label == "ORG":
                new = []
                for s, e in pieces:
                    commas = [i for i in range(s, e) if doc[i].text == ","]
                    if commas and not doc[commas[-1] + 1 : e].text.rstrip(".").lower() in {"inc", "ltd", "llc", "corp", "co", "plc"}:
                        bounds = [s] + [c + 1 for c in commas]
                        ends = commas + [e]
                        new.extend((b, x) for b, x in zip(bounds, ends))
                    else:
                        new.append((s, e))
                pieces = new
        for s, e in pieces:
            if e <= s:
                continue
            span = Span(doc, s, e, label=label)
            span._.kg_pattern = ent._.kg_pattern
            span._.kg_class = ent._.kg_class
            out.append(span)
    return out


class EntityFixer:
    """Runs after the model's `ner`; see the module docstring."""

    def __init__(self, nlp: Language, name: str, patterns: str | None):
        self.name = name
        ont = load_ontology()
        self.known_label: dict[str, tuple[str, str]] = {}
        self.phrases = PhraseMatcher(nlp.vocab, attr="ORTH")
        for k in ont.known:
            for form in (k.name, *k.aliases):
                self.known_label[form] = (_label_for_class(k.cls), k.cls)
                self.phrases.add("KNOWN", [nlp.make_doc(form)])
        self.matcher = Matcher(nlp.vocab)
        self.rules: dict[str, dict] = {}
        for row in srsly.read_jsonl(patterns or PATTERN_DIR / "entities.jsonl"):
            self.rules[row["id"]] = row
            self.matcher.add(row["id"], [row["pattern"]], greedy="LONGEST")

    def __call__(self, doc: Doc) -> Doc:
        ents = [e for e in doc.ents if e.label_ in KEEP_LABELS]
        ents = _clean_boundaries(doc, ents)

        # The alias table wins over the model where it covers a whole model entity (or none).
        ruled: list[Span] = []
        for _, s, e in self.phrases(doc):
            label, cls = self.known_label[doc[s:e].text]
            span = Span(doc, s, e, label=label)
            span._.kg_class = cls
            span._.kg_pattern = "alias-table"
            ruled.append(span)
        # Rule patterns (policies, descriptor + name, suffixes) come next.
        for match_id, s, e in self.matcher(doc):
            row = self.rules[doc.vocab.strings[match_id]]
            s2, e2 = s + row.get("trim_left", 0), e - row.get("trim_right", 0)
            if e2 <= s2:
                continue
            span = Span(doc, s2, e2, label=row["label"])
            span._.kg_class = row.get("class")
            span._.kg_pattern = row["id"]
            ruled.append(span)
        ruled = filter_spans(ruled)

        inner = []
        kept = []
        for ent in ents:
            overl = [r for r in ruled if r.start < ent.end and ent.start < r.end]
            if not overl:
                kept.append(ent)
                continue
            inside_model = all(r.start >= ent.start and r.end <= ent.end for r in overl) and any(
                (r.start, r.end) != (ent.start, ent.end) for r in overl
            )
            if inside_model and all(r._.kg_pattern == "alias-table" for r in overl) and ent.label_ == "ORG":
                # "US Steel" stays a company even though "US" is a known country.
                ruled = [r for r in ruled if r not in overl]
                kept.append(ent)
            elif any(r.label_ == "POLICY" for r in overl):
                inner.append(ent)  # "US" inside "US industrial policies": kept for enactedBy
        final = _propagate(doc, filter_spans(ruled + kept))
        doc.ents = _harmonise_lists(final)
        doc.spans["kg_inner"] = inner
        return doc


def _propagate(doc: Doc, ents: list[Span]) -> list[Span]:
    """A name tagged once is tagged everywhere it recurs in the article ("Hut8" in every sentence)."""
    named = {}
    for e in ents:
        if e.label_ in {"ORG", "PERSON", "GPE"} and any(t.pos_ == "PROPN" or t.is_title or t.is_upper for t in e):
            named.setdefault(e.text, e.label_)
    if not named:
        return ents
    taken = {i for e in ents for i in range(e.start, e.end)}
    matcher = PhraseMatcher(doc.vocab, attr="ORTH")
    for text, label in named.items():
        matcher.add(label, [doc[e.start : e.end].as_doc() for e in ents if e.text == text][:1])
    extra = []
    for match_id, s, e in matcher(doc):
        if not any(i in taken for i in range(s, e)):
            span = Span(doc, s, e, label=doc.vocab.strings[match_id])
            span._.kg_pattern = "propagated"
            extra.append(span)
            taken.update(range(s, e))
    return sorted(ents + extra, key=lambda e: e.start)


def _harmonise_lists(ents: list[Span]) -> list[Span]:
    """In 'Mara Holdings, Riot Platforms and CleanSpart' the odd one out takes the list's type."""
    by_root = {e.root.i: e for e in ents}
    out = []
    for ent in ents:
        if ent.label_ not in {"PERSON", "ORG"} or ent._.kg_pattern == "alias-table":
            out.append(ent)
            continue
        group = set()
        tok = ent.root
        while tok.dep_ == "conj" and tok.head.i != tok.i:
            tok = tok.head
        stack = [tok]
        while stack:
            t = stack.pop()
            group.add(t.i)
            stack.extend(c for c in t.children if c.dep_ == "conj")
        labels = Counter(by_root[i].label_ for i in group if i in by_root and i != ent.root.i)
        if labels:
            top, n = labels.most_common(1)[0]
            if n >= 2 and top in {"PERSON", "ORG"} and top != ent.label_:
                new = Span(ent.doc, ent.start, ent.end, label=top)
                new._.kg_pattern = "list-harmony"
                out.append(new)
                continue
        out.append(ent)
    return out


@Language.factory("kg_entities", default_config={"patterns": None})
def make_entity_fixer(nlp: Language, name: str, patterns: str | None):
    return EntityFixer(nlp, name, patterns)


@Language.component("kg_line_breaks")
def line_breaks(doc: Doc) -> Doc:
    """A newline ends a sentence: headlines and paragraphs never run into the next line."""
    for tok in doc[:-1]:
        if "\n" in tok.text:
            doc[tok.i + 1].is_sent_start = True
    return doc
