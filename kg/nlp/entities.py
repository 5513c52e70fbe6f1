"""Entity fixes on top of the model's NER: boundaries, the alias table, rule patterns, type harmony."""

from __future__ import annotations

import re
from collections import Counter

import catalogue
import srsly
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from ..ontology import load_ontology
from .lexicon import PATTERN_DIR, lexicon, places
from .syntax import coordination, governor, is_article

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


_SUFFIXES = {"inc", "ltd", "llc", "corp", "co", "plc"}
_NAME_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC"}
_NAME_PARTICLES = {"de", "da", "di", "du", "van", "von", "der", "den", "le", "la", "bin", "ibn", "al", "el", "dos", "das", "del"}
_NOT_NAME_TAGS = {"VBG", "VBD", "VBZ", "VBP", "VB", "RB", "IN", "DT", "PRP", "PRP$", "CC"}


def _split_at_commas(doc: Doc, pieces: list[tuple[int, int]], split) -> list[tuple[int, int]]:
    """Cut token ranges at their commas when `split(commas, text after the last comma)` says so."""
    out = []
    for s, e in pieces:
        commas = [i for i in range(s, e) if doc[i].text == ","]
        if commas and commas[0] > s and split(commas, doc[commas[-1] + 1 : e].text):
            out.extend(zip([s] + [c + 1 for c in commas], commas + [e]))
        else:
            out.append((s, e))
    return out


def _clean_boundaries(doc: Doc, ents: list[Span], titles: frozenset = frozenset()) -> list[Span]:
    """Leading 'the', possessive endings, unbalanced brackets and 'A, B' lists become clean spans."""
    out = []
    for ent in ents:
        start, end, label = ent.start, ent.end, ent.label_
        while start < end and doc[start].lower_ in {"the", "a", "an"} and label not in {"MONEY", "DATE", "CARDINAL", "PERCENT"}:
            start += 1
        if label in _NAME_LABELS:
            if label == "PERSON":
                # "Illinois Gov. James Thompson", "U.S. Sen. Robert F. Kennedy": the name follows the title
                inner = [i for i in range(start + 1, end - 1) if doc[i].text.endswith(".") and doc[i].lower_ in titles]
                if inner:
                    start = inner[-1] + 1
            # "attorney Tom Muri", "Evaluating Juppe": a common word or a verb before the name is not part of it
            while start < end - 1 and doc[start].lower_ not in _NAME_PARTICLES and (doc[start].is_lower or doc[start].tag_ in _NOT_NAME_TAGS or (label == "PERSON" and doc[start].lower_ in titles)) and any(
                t.is_title or t.is_upper for t in doc[start + 1 : end]
            ):
                start += 1
        # An unbalanced bracket ends the entity: "Bitcoin (BTC" → "Bitcoin".
        for i in range(start, end):
            if doc[i].text in "([" and not any(doc[j].text in ")]" for j in range(i, end)):
                end = i
                break
        while start < end and doc[start].is_space:
            start += 1
        while end > start and (doc[end - 1].is_space or doc[end - 1].is_punct and doc[end - 1].text not in {".", ")"}):
            end -= 1
        pieces = [(start, end)]
        if label not in {"MONEY", "DATE", "CARDINAL", "PERCENT", "QUANTITY"}:
            # Split at a possessive: "Bitmain’s US" → "Bitmain" + "US"; "Trump’s" → "Trump".
            cut = [i for i in range(start, end) if doc[i].text in _POSSESSIVE or doc[i].tag_ == "POS"]
            if cut:
                pieces = [(start, cut[0])]
                if cut[0] + 1 < end:
                    pieces.append((cut[0] + 1, end))
            if label in {"GPE", "LOC"}:
                # "Aiken, S.C." → two places (the resolver keeps "Aiken, S.C." as an alias of Aiken)
                pieces = _split_at_commas(doc, pieces, lambda commas, tail: len(commas) == 1 and tail)
            elif label == "ORG":
                # "Bitmain, Canaan" → two organisations, but "Apple, Inc." stays one
                pieces = _split_at_commas(doc, pieces, lambda commas, tail: tail.rstrip(".").lower() not in _SUFFIXES)
        for s, e in pieces:
            if e <= s:
                continue
            span = Span(doc, s, e, label=label)
            span._.kg_pattern = ent._.kg_pattern
            span._.kg_class = ent._.kg_class
            out.append(span)
    return out


def _required_words(pattern: list[dict]) -> list[tuple[str, frozenset]]:
    """(attribute, words) for each token a Matcher pattern cannot match without: a token that is not
    optional and names its words (ORTH or LOWER, as a value or an IN list)."""
    out = []
    for token in pattern:
        if token.get("OP", "1") not in {"1", "+"}:
            continue
        for attr in ("ORTH", "LOWER"):
            value = token.get(attr)
            if isinstance(value, str):
                out.append((attr, frozenset([value])))
            elif isinstance(value, dict) and set(value) == {"IN"}:
                out.append((attr, frozenset(value["IN"])))
    return out


class EntityFixer:
    """Runs after the model's `ner`; see the module docstring."""

    def __init__(self, nlp: Language, name: str, patterns: str | None, fixes: list[str] | None = None):
        self.name = name
        unknown = sorted(set(fixes or ()) - set(entity_fixes.get_all()))
        if unknown:
            raise ValueError(f"kg_entities: no entity fix named {', '.join(unknown)}; these are: {', '.join(FIXES)}")
        self.fixes = [entity_fixes.get(f) for f in (FIXES if fixes is None else fixes)]
        ont = load_ontology()
        self.known_label: dict[str, tuple[str, str]] = {}
        self.phrases = PhraseMatcher(nlp.vocab, attr="ORTH")
        for k in ont.known:
            for form in (k.name, *k.aliases):
                self.known_label[form] = (_label_for_class(k.cls), k.cls)
                self.phrases.add("KNOWN", [nlp.make_doc(form)])
        self.titles = lexicon()["titles"] | lexicon()["title_heads"]
        self.company_contexts = {k: frozenset(v) for k, v in lexicon()["company_contexts"].items() if k != "_about"}
        self.kinds = {w: cls for cls, words in lexicon()["descriptor_nouns"].items() if cls != "_about" for w in words}
        self.heads = {w: label for label, words in lexicon()["name_heads"].items() if label in _HEAD_LABEL for w in words}
        # One Matcher a rule, run only on documents that hold a word of each of its required tokens:
        # most rules name a rare word ("tariffs", "Inc.", "martial"), and a rule whose first token
        # repeats ("*") is costly on every token of a document that cannot complete it.
        self.rules: dict[str, dict] = {}
        self.matchers: list[tuple[list[tuple[str, frozenset]], Matcher]] = []
        for row in srsly.read_jsonl(patterns or PATTERN_DIR / "entities.jsonl"):
            self.rules[row["id"]] = row
            matcher = Matcher(nlp.vocab)
            matcher.add(row["id"], [row["pattern"]], greedy="LONGEST")
            self.matchers.append((_required_words(row["pattern"]), matcher))

    def _rule_matches(self, doc: Doc):
        """Each rule's matches, rule by rule in the file's order (an earlier rule wins a tie)."""
        words = {"ORTH": {t.text for t in doc}}
        words["LOWER"] = {w.lower() for w in words["ORTH"]}
        for required, matcher in self.matchers:
            if all(not values.isdisjoint(words[attr]) for attr, values in required):
                yield from matcher(doc)

    def __call__(self, doc: Doc) -> Doc:
        ents = [e for e in doc.ents if e.label_ in KEEP_LABELS]
        ents = _clean_boundaries(doc, _join_dangling(ents), self.titles)

        # The alias table wins over the model where it covers a whole model entity (or none).
        ruled: list[Span] = []
        for _, s, e in self.phrases(doc):
            label, cls = self.known_label[doc[s:e].text]
            span = Span(doc, s, e, label=label)
            span._.kg_class = cls
            span._.kg_pattern = "alias-table"
            ruled.append(span)
        # Rule patterns (policies, descriptor + name, suffixes) come next.
        for match_id, s, e in self._rule_matches(doc):
            row = self.rules[doc.vocab.strings[match_id]]
            s2, e2 = s + row.get("trim_left", 0), e - row.get("trim_right", 0)
            if e2 <= s2:
                continue
            span = Span(doc, s2, e2, label=row["label"])
            span._.kg_class = row.get("class")
            span._.kg_pattern = row["id"]
            ruled.append(span)
        # A rule span that cuts across a model name ("Rep. Bill" of "Rep. Bill Nelson") is a misfire.
        ruled = filter_spans([r for r in ruled if r._.kg_pattern == "alias-table" or not any(_crosses(r, e) for e in ents if e.label_ in _NAME_LABELS)])

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
            longer_name = inside_model and all(r._.kg_pattern == "alias-table" for r in overl) and not any(t.text == "," for t in ent)
            if longer_name and ent.label_ in {"PERSON", "GPE", "LOC", "FAC"} or (
                inside_model and ent.label_ in {"ORG", "PERSON"} and all(r._.kg_pattern == "alias-table" or r.label_ == ent.label_ for r in overl)
            ):
                # "US Steel" stays a company even though "US" is a known country, "Virginia Towle" a
                # person and "Southern California" a region; the model's "American University of Beirut"
                # is not cut down to a rule's "University of Beirut".
                ruled = [r for r in ruled if r not in overl]
                kept.append(ent)
            elif any(r.label_ == "POLICY" for r in overl):
                inner.append(ent)  # "US" inside "US industrial policies": kept for enactedBy
        final = sorted(filter_spans(ruled + kept), key=lambda x: x.start)
        found = {"tickers": []}
        for fix in self.fixes:
            final = fix(self, doc, final, found)
        doc.ents = final
        doc.spans["kg_inner"] = inner
        doc.spans["kg_tickers"] = found["tickers"]
        return doc


# The entity fixes that run after the model's entities are merged with the alias table and the rule
# patterns, in this order. Each is a registered function (fixer, doc, entities, found) → entities, so
# leaving one out, or adding one, is the component's config:
#     nlp.add_pipe("kg_entities", config={"fixes": [name for name in FIXES if name != "vote"]})
entity_fixes = catalogue.create("kg", "entity_fixes", entry_points=False)


_FIXES = {
    # every other mention of a name the document already names, with its label
    "propagate": lambda fixer, doc, ents, found: _propagate(doc, ents, fixer.known_label),
    # a title alone ('President', 'Chairman') is no person or organisation
    "no_lone_titles": lambda fixer, doc, ents, found: [
        e for e in ents if not (len(e) == 1 and e[0].lower_ in fixer.titles and e.label_ in {"ORG", "PERSON"})],
    # a person's name has no digits: '8chan', '3M', '23andMe' read as people are organisations
    "digits_not_people": lambda fixer, doc, ents, found: [
        _relabel(e, "ORG", "digits-not-people") if e.label_ == "PERSON" and any(c.isdigit() for c in e.text) else e for e in ents],
    # a disease or an outbreak ('COVID-19', 'the Ebola outbreak') is no entity of the ontology
    "no_diseases": lambda fixer, doc, ents, found: _no_diseases(ents, lexicon()["diseases"]),
    "head_types": lambda fixer, doc, ents, found: _head_types(ents, fixer.heads),
    "company_contexts": lambda fixer, doc, ents, found: _company_contexts(doc, ents, fixer.company_contexts),
    "described": lambda fixer, doc, ents, found: _described(ents, fixer.known_label, fixer.kinds),
    "vote": lambda fixer, doc, ents, found: _vote(ents, fixer.known_label),
    "common_words": lambda fixer, doc, ents, found: _common_words(doc, ents, fixer.known_label),
    "lone_names": lambda fixer, doc, ents, found: _lone_names(ents, fixer.known_label, fixer.titles,
                                                              places() if is_article(doc) else frozenset()),
    "harmonise_lists": lambda fixer, doc, ents, found: _harmonise_lists(ents, fixer.known_label),
    "amounts_and_tickers": lambda fixer, doc, ents, found: _tickers_aside(found, *_amounts_and_tickers(doc, ents, fixer.known_label)),
    "brand_products": lambda fixer, doc, ents, found: _brand_products(doc, ents, found["tickers"], fixer.known_label, fixer.heads),
    "headline_people": lambda fixer, doc, ents, found: _headline_people(doc, ents),
}


def _no_diseases(ents: list[Span], diseases: dict) -> list[Span]:
    """The entities that are not a disease, a virus or an outbreak (by name; a name that is no
    organisation's also by its last word: 'National Institute of Allergy and Infectious Diseases' stays)."""
    names, heads = set(diseases["names"]), set(diseases["heads"])
    return [e for e in ents if e.label_ == "POLICY" or not (e.text.lower() in names or (e.label_ != "ORG" and e[-1].lower_ in heads))]


def _tickers_aside(found: dict, ents: list[Span], tickers: list[Span]) -> list[Span]:
    found["tickers"] = tickers  # for brand_products, and doc.spans["kg_tickers"]
    return ents


for _name, _fix in _FIXES.items():
    entity_fixes.register(_name, func=_fix)

FIXES = list(_FIXES)  # the default order


_TICKER = re.compile(r"^[A-Z][A-Z.]{0,5}$")
_PRODUCT_SHAPE = re.compile(r"\d|^[a-z]+[A-Z]|^[A-Z][a-z]+[A-Z]")  # 'iPhone 11', 'HomePod', 'iOS', 'AirPlay'


def _headline_people(doc: Doc, ents: list[Span]) -> list[Span]:
    """A 'person' met only in title-case lines ('Chinese Bitcoin Miners Pivot to US Soil') is two
    capitalised words of a headline, unless the text names that person in a sentence too."""
    # credit lines ('By Jane Doe', 'Reporting by X; Editing by Y') name their people in title case too
    people = {e: _headline(e.sent) for e in ents if e.label_ == "PERSON"}
    heads = [e for e, headline in people.items() if headline and not any(t.lower_ == "by" for t in e.sent)]
    if not heads:
        return ents
    named = {e.text for e, headline in people.items() if not headline}
    words = {w for n in named for w in n.split()}
    return [e for e in ents if e not in heads or e.text in named or any(w in words for w in e.text.split())]


def _headline(sent: Span) -> bool:
    """A line in title case ('Oracle Sales Top Estimates'), as headlines and 'More:' lists are written:
    no lower-case word longer than three letters ('said', 'would'), as any sentence of prose has."""
    words = [t for t in sent if t.is_alpha and len(t) > 3]
    return len(words) >= 3 and not any(t.is_lower for t in words)


def _brand_products(doc: Doc, ents: list[Span], tickers: list[Span], known: dict, heads: dict) -> list[Span]:
    """A company's name followed by more name is its product: 'Apple Watch', 'Google Home', 'Amazon
    Echo', 'Tesla Model 3' are Products (and resolution says the company makes them).

    The brand must be a company in this article: named on its own as an organisation, and shown to
    be a company (a suffix or ticker after it: 'Apple Inc.', 'Apple (AAPL)'), or the rest of the name
    looks like a product's ('iPhone 11', 'HomePod'), and named on its own before: a name first met as
    part of the longer one is its short form ('Lockheed Martin' ... 'Lockheed'). What follows the brand
    must hold no word of an organisation's name or unit ('Apple Foundation', 'Bloomberg Intelligence'),
    of a story about it ('Apple Earnings'), no place and no suffix; headlines (title-case lines) are
    left alone."""
    lex = lexicon()
    org_words = {w.lower() for w, label in heads.items() if label == "ORG"} | lex["company_suffixes"] | lex["sub_body_heads"] | lex["not_product_words"]
    first_start: dict[str, int] = {}  # each organisation named on its own, and where first
    for e in ents:
        if e.label_ == "ORG" and len(e) == 1:
            first_start.setdefault(e.text, e.start)
    if not first_start:
        return ents
    suffixed = {e[0].text for e in ents if e.label_ == "ORG" and len(e) == 2 and e[1].lower_.strip(".") in lex["company_suffixes"]}
    suffixed |= {doc[t.start - 1].text for t in tickers if t.start > 0} | {doc[t.start - 2].text for t in tickers if t.start > 1}

    def product(e: Span) -> bool:
        if len(e) < 2 or e.label_ not in {"ORG", "PRODUCT", "PERSON", "GPE", "LOC", "FAC"} or e.text in known:
            return False
        brand, rest = e[0], e[1:]
        # named on its own before this name (else it is this name's short form), outside a headline
        if first_start.get(brand.text, e.start) >= e.start or _headline(e.sent):
            return False
        if any(t.lower_.strip(".") in org_words or t.text in known or not (t.is_title or t.is_upper or t.like_num or _PRODUCT_SHAPE.search(t.text))
               for t in rest):
            return False
        return brand.text in suffixed or any(_PRODUCT_SHAPE.search(t.text) for t in rest)

    out = []
    for e in ents:
        if product(e):
            e = _relabel(e, "PRODUCT", "PRODUCT.brand-name.v1")
            e._.kg_class = "Product"
        out.append(e)
    return out


def _amounts_and_tickers(doc: Doc, ents: list[Span], known: dict) -> tuple[list[Span], list[Span]]:
    """Amounts whole and bare, tickers as names of their company.

    - An amount takes the currency sign the model left outside ('$' of '$2,000') and drops a hedge
      before it ('about $350 million' is '$350 million'; lexicon.json amount_hedges).
    - A stock ticker or short name after a company is no entity of its own: 'Apple Inc. (AAPL)',
      'Alphabet (NASDAQ: GOOGL)', 'Microsoft MSFT' (three letters or more when not in brackets:
      'Al-Masirah TV' keeps its TV). It is returned as a span (label TICKER) that
      resolution adds to the company's names.
    """
    lex = lexicon()
    hedges = sorted((h.split() for h in lex["amount_hedges"]), key=len, reverse=True)
    signs, exchanges, suffixes = lex["currency_symbols"], lex["stock_exchanges"], lex["company_suffixes"]
    out: list[Span] = []
    tickers: list[Span] = []
    taken = {t for e in ents for t in range(e.start, e.end)}
    for e in ents:
        if e.label_ == "MONEY":
            start, end = e.start, e.end
            trimmed = True
            while trimmed and end - start > 1:
                trimmed = False
                for h in hedges:
                    if end - start > len(h) and [t.lower_ for t in doc[start : start + len(h)]] == h:
                        start += len(h)
                        trimmed = True
                        break
            if start > 0 and doc[start - 1].lower_ in signs and start - 1 not in taken:
                start -= 1
            if (start, end) != (e.start, e.end):
                e = _relabel(e, "MONEY", e._.kg_pattern or "MONEY.sign-hedge.v1", end=end, start=start)
        elif e.label_ == "ORG" and len(e) >= 2 and _TICKER.match(e[-1].text) and len(e[-1].text) >= 3 and not e[-2].is_upper \
                and e[-2].is_title and e[-1].lower_.strip(".") not in suffixes and e[-1].text not in known:
            tickers.append(Span(doc, e.end - 1, e.end, label="TICKER"))  # 'Microsoft MSFT'
            e = _relabel(e, "ORG", e._.kg_pattern or "ORG.ticker.v1", end=e.end - 1)
        out.append(e)
    # '(AAPL)', '(NYSE: T)' right after a company: the company's ticker, not a second company
    kept: list[Span] = []
    ends = {e.end: e for e in out if e.label_ == "ORG"}
    for e in out:
        if len(e) == 1 and e.label_ in {"ORG", "PERSON", "PRODUCT"} and _TICKER.match(e.text) and e.text not in known \
                and e.end < len(doc) and doc[e.end].text == ")":
            i = e.start - 1
            while i > 0 and (doc[i].text == ":" or doc[i].lower_ in exchanges):
                i -= 1
            if i > 0 and doc[i].text == "(" and i in ends:
                tickers.append(Span(doc, e.start, e.end, label="TICKER"))
                continue
        kept.append(e)
    return kept, tickers


_DANGLING = {"of", "de", "del", "and", "&", "for", "on"}


def _org_link(a: Span, b: Span) -> bool:
    """a 'for the' / 'of the' b, with b's name capitalised: the words between join two halves of a name."""
    between = [t.lower_ for t in a.doc[a.end : b.start]]
    attached = a.end < len(a.doc) and a.doc[a.end].head.pos_ not in {"VERB", "AUX"}  # 'League for ...', not 'sued X for ...'
    return between in (["for"], ["for", "the"], ["of", "the"]) and b[0].is_title and a[-1].is_title and attached


def _join_dangling(ents: list[Span]) -> list[Span]:
    """A name cut after 'of' ("Sea of" + "Japan") or a name particle ("Ursula von der" + "Leyen") is
    joined to the name that follows it; with none following, a dangling 'of' goes."""
    out: list[Span] = []
    for e in sorted(ents, key=lambda x: x.start):
        prev = out[-1] if out else None
        dangling = _DANGLING | _NAME_PARTICLES if prev is not None and prev.label_ == "PERSON" else _DANGLING
        cut = prev is not None and prev.label_ in _NAME_LABELS and e.label_ in _NAME_LABELS and prev.end == e.start and prev[-1].lower_ in dangling
        # "Tunisian League" + "for the" + "Defence of Human Rights": one organisation's name
        halves = prev is not None and prev.label_ == "ORG" and e.label_ == "ORG" and _org_link(prev, e)
        if cut or halves:
            joined = Span(e.doc, prev.start, e.end, label=prev.label_)
            joined._.kg_pattern = "joined"
            out[-1] = joined
            continue
        out.append(e)
    fixed = []
    for e in out:
        if len(e) > 1 and e.label_ in _NAME_LABELS and e[-1].lower_ in _DANGLING:
            e = _relabel(e, e.label_, e._.kg_pattern, end=e.end - 1)
        fixed.append(e)
    return fixed


def _name_start(t: Token, taken, word) -> int:
    """Where the name headed by `t` starts: back over its compound words that `word` accepts and
    no entity holds ("Bitcoin mining giant Hut" ← "8")."""
    doc, start = t.doc, t.i
    while start > 0 and doc[start - 1].dep_ == "compound" and doc[start - 1].head.i == t.i and word(doc[start - 1]) and start - 1 not in taken:
        start -= 1
    return start


def _proper(t: Token) -> bool:
    return t.pos_ == "PROPN"


def _company_slot(t: Token, contexts: dict[str, frozenset]) -> bool:
    """Only a company fits here: 'the acquisition of X', 'X employs', 'acquired X', 'partnered with X'
    (or a conjunct of such a name: 'Exxon and Mobil merged')."""
    if t.dep_ == "conj":
        t = governor(t, frozenset({"conj"}))
    head = t.head
    if t.dep_ == "pobj":
        verb = head.head.lemma_.lower()
        return (
            (head.lower_ == "of" and verb in contexts["of_nouns"])
            or (head.lower_ == "with" and head.head.pos_ == "VERB" and verb in contexts["with_verbs"])
            or (head.lower_ == "in" and head.head.pos_ == "VERB" and verb in contexts["in_verbs"])
        )
    return (t.dep_ == "nsubj" and head.lemma_.lower() in contexts["subject_verbs"]) or (
        t.dep_ == "dobj" and head.lemma_.lower() in contexts["object_verbs"]
    )


def _company_contexts(doc: Doc, ents: list[Span], contexts: dict[str, frozenset]) -> list[Span]:
    """A lone name the NER took for a person, or did not tag at all, is a company where only a
    company fits ("partnered with Accenture", "the acquisition of Hess")."""
    out = []
    for e in ents:
        if e.label_ == "PERSON" and len(e) == 1 and (e.start == 0 or not doc[e.start - 1].is_title) and _company_slot(e.root, contexts):
            e = _relabel(e, "ORG", "company-context")
        out.append(e)
    taken = {i for e in ents for i in range(e.start, e.end)}
    for t in doc:
        if t.i in taken or t.is_sent_start or not (t.is_title or (t.is_upper and len(t) > 1)) or t.pos_ not in {"PROPN", "NOUN"}:
            continue
        if _company_slot(t, contexts):
            span = Span(doc, _name_start(t, taken, lambda w: w.is_title), t.i + 1, label="ORG")
            span._.kg_pattern = "company-context"
            out.append(span)
    return sorted(out, key=lambda x: x.start)


def _crosses(a: Span, b: Span) -> bool:
    """The spans overlap and neither contains the other."""
    return a.start < b.end and b.start < a.end and not (a.start <= b.start and b.end <= a.end) and not (b.start <= a.start and a.end <= b.end)


def _surnames(ents: list[Span]) -> set[str]:
    """The last names of the people named in full ("Mark Carney" → "Carney")."""
    return {e[-1].text for e in ents if e.label_ == "PERSON" and len(e) > 1 and e[-1].is_title}


def _propagate(doc: Doc, ents: list[Span], known: dict | None = None) -> list[Span]:
    """A name tagged once is tagged everywhere it recurs in the article ("Hut8" in every sentence),
    and so is a person's surname on its own ("RJ Scaringe" ... "Scaringe said")."""
    named: dict[tuple[str, ...], str] = {}
    for e in ents:
        if e.label_ in {"ORG", "PERSON", "GPE"} and any(t.pos_ == "PROPN" or t.is_title or t.is_upper for t in e):
            named.setdefault(tuple(t.text for t in e), e.label_)
    for surname in _surnames(ents):
        if surname.isalpha() and surname not in (known or {}):
            named.setdefault((surname,), "PERSON")
    if not named:
        return ents
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for words in named:
        by_first.setdefault(words[0], []).append(words)
    taken = {i for e in ents for i in range(e.start, e.end)}
    extra = []
    for tok in doc:
        for words in by_first.get(tok.text, ()):
            s, e = tok.i, tok.i + len(words)
            if e <= len(doc) and tuple(t.text for t in doc[s:e]) == words and not any(i in taken for i in range(s, e)):
                span = Span(doc, s, e, label=named[words])
                span._.kg_pattern = "propagated"
                extra.append(span)
                taken.update(range(s, e))
    return sorted(ents + extra, key=lambda e: e.start)


def _weight(ent: Span) -> float:
    """How much one mention's label counts in the document-level vote."""
    if ent._.kg_pattern and ent._.kg_pattern not in {"propagated", "list-harmony"}:
        return 3.0  # the alias table or a rule pattern said so
    if ent.label_ == "PERSON" and len(ent) == 1:
        doc = ent.doc
        titled = ent.start > 0 and doc[ent.start - 1].is_title and doc[ent.start - 1].text.endswith(".")
        return 1.0 if titled else 0.5  # a lone capitalised word is the NER's weakest PERSON guess
    return 1.0


def _relabel(ent: Span, label: str, pattern: str, end: int | None = None, start: int | None = None) -> Span:
    new = Span(ent.doc, ent.start if start is None else start, ent.end if end is None else end, label=label)
    new._.kg_pattern = pattern
    new._.kg_class = ent._.kg_class if ent.label_ == label else None
    return new


_VOTED = {"PERSON", "ORG", "GPE"}
_LISTED = frozenset({"conj", "appos"})  # how the members of a list hang together
SURNAME_VOTE = 2.5  # more than a few weak NER guesses, less than two rule decisions
_HEAD_LABEL = {"ORG": "ORG", "PLACE": "LOC", "PERSON": "PERSON"}
_PLACE_LABELS = {"GPE", "LOC", "FAC"}


def _head_types(ents: list[Span], heads: dict[str, str]) -> list[Span]:
    """A multi-word name takes the kind its head word says: 'Custer National Forest' is a place."""
    out = []
    for e in ents:
        kind = heads.get(e.root.text) if len(e) > 1 and e.label_ in _NAME_LABELS and e._.kg_pattern != "alias-table" else None
        if kind is not None:
            label = _HEAD_LABEL[kind]
            same = e.label_ == label or (label == "LOC" and e.label_ in _PLACE_LABELS)
            if not same:
                e = _relabel(e, label, "name-head")
        out.append(e)
    return out


def _common_words(doc: Doc, ents: list[Span], known: dict) -> list[Span]:
    """A one-word name that the same article also writes in lower case is a common word the NER took
    for a name at the start of a sentence or in a headline ('Battle', 'Citizens', 'Cholesterol')."""
    lower = {t.lower_ for t in doc if t.is_lower and t.is_alpha}
    return [
        e for e in ents
        if not (len(e) == 1 and e.label_ in _NAME_LABELS and e.text not in known and e[0].is_title and e[0].lower_ in lower)
    ]


_LOCATIVE = {"in", "near", "outside", "across", "throughout", "around"}


def _lone_names(ents: list[Span], known: dict, titles, places: frozenset = frozenset()) -> list[Span]:
    """A one-word 'person' that no full name in the article explains and no title introduces is a
    place where the article puts something in it ('plants in Damietta and Idku') or that the
    gazetteer lists ('Koblenz', 'Niigata'), and an organisation where it is a source ('Kathimerini
    reported'): news names a person in full at least once, so a lone word only the NER calls a
    person is most often something else."""
    full = {t.lower_ for e in ents if e.label_ == "PERSON" and len(e) > 1 for t in e}
    org_first = {e[0].text for e in ents if e.label_ == "ORG" and len(e) > 1 and e[0].is_title}  # 'Mahan' of 'Mahan Air'
    by_text: dict[str, list[Span]] = {}
    for e in ents:
        if e.label_ == "PERSON" and len(e) == 1 and e.text not in known and e[0].lower_ not in full:
            by_text.setdefault(e.text, []).append(e)
    relabel: dict[str, str] = {}
    for text, mentions in by_text.items():
        if any(m.start > 0 and m.doc[m.start - 1].lower_ in titles for m in mentions):
            continue
        if text in org_first:
            relabel[text] = "ORG"
            continue
        governors = [governor(m.root, _LISTED) for m in mentions]  # 'Damietta and Idku': the list's first
        if any(g.dep_ == "pobj" and g.head.lower_ in _LOCATIVE for g in governors):
            relabel[text] = "GPE"
        elif any(_source_slot(g) for g in governors):
            relabel[text] = "ORG"  # 'Kathimerini reported', 'according to Rudaw', 'told Wikinews': a news outlet
        elif text in places:
            relabel[text] = "GPE"
    for e in ents:
        if e.label_ == "PERSON" and len(e) > 1 and e.text in places and e.text not in known:
            relabel[e.text] = "GPE"  # 'Sharm el-Sheikh', 'Tarin Kowt'
    return [_relabel(e, relabel[e.text], "lone-name") if e.label_ == "PERSON" and e.text in relabel else e for e in ents]


def _source_slot(t: Token) -> bool:
    """Where news names its sources: subject of 'report' / 'publish', after 'according to', object of 'tell'."""
    if t.dep_ == "nsubj" and t.head.lemma_.lower() in {"report", "publish"}:
        return True
    if t.dep_ == "pobj" and t.head.lower_ == "to" and t.head.head.lower_ == "according":
        return True
    return t.dep_ == "dobj" and t.head.lemma_.lower() == "tell"


_DESCRIBED = {"PERSON", "GPE", "NORP", "LOC", "ORG"}


def _descriptor(e: Span, kinds: dict[str, str]) -> str | None:
    """The class a common noun describing the name gives it: the word just before it ('Greek daily
    Kathimerini', 'the Mexican company Cultura Colectiva'), an indefinite apposition ('UpGuard, a
    cybersecurity firm') or the noun the name modifies ('the Karish and Tanin fields')."""
    doc, root = e.doc, e.root
    if root.dep_ == "compound":
        return None  # 'the daily Trump briefing': the name modifies another noun
    before = doc[e.start - 1] if e.start > 0 else None
    if before is not None and before.lower_ == "the" and e.label_ == "PERSON":
        return "Organization"  # 'the Cyprus Mail', 'the Oberster Gerichtshof': people take no article
    if before is not None and before.lower_ in kinds and kinds[before.lower_] != "Place" and before.ent_type_ in {"", "DATE"}:
        return kinds[before.lower_]
    for child in root.children:
        if child.dep_ == "appos" and child.lower_ in kinds and any(d.lower_ in {"a", "an"} for d in child.children):
            return kinds[child.lower_]
    slot = governor(root, frozenset({"conj"}))
    if slot.dep_ in {"compound", "nmod"} and slot.head.lower_ in kinds and kinds[slot.head.lower_] == "Place" and slot.head.i >= e.end:
        return "Place"
    return None


def _described(ents: list[Span], known: dict, kinds: dict[str, str]) -> list[Span]:
    """A name a descriptor noun classifies takes that class, whatever the NER guessed."""
    out = []
    for e in ents:
        cls = _descriptor(e, kinds) if e.label_ in _DESCRIBED and e.text not in known else None
        if cls is not None:
            label = _label_for_class(cls) if cls == "Place" else "ORG"
            if cls == "Place" and e.label_ in _PLACE_LABELS:
                pass
            elif label != e.label_ or e._.kg_class is None:
                e = _relabel(e, label, "descriptor")
                e._.kg_class = cls
        out.append(e)
    return out


def _vote(ents: list[Span], known: dict) -> list[Span]:
    """One name, one type per article: every mention of a name takes the label its mentions vote for."""
    votes: dict[str, Counter] = {}
    for e in ents:
        if e.label_ in _VOTED:
            votes.setdefault(e.text, Counter())[e.label_] += _weight(e)
    # A lone word that is the surname of a person named in full in the article leans to PERSON
    # ("Mark Carney" ... "Carney flew"), unless rules said otherwise ("the acquisition of Hess").
    surnames = _surnames(ents)
    for text, c in votes.items():
        if text in surnames:
            c["PERSON"] += SURNAME_VOTE
    out = []
    for e in ents:
        c = votes.get(e.text)
        if c and e.label_ in _VOTED and e.text not in known:
            top = c.most_common(1)[0][0]
            if top != e.label_:
                e = _relabel(e, top, "document-vote")
        out.append(e)
    return out


def _harmonise_lists(ents: list[Span], known: dict) -> list[Span]:
    """In 'Mara Holdings, Riot Platforms and CleanSpart' the odd one out takes the list's type.

    A listed name the model typed differently (or missed) becomes an ORG when organisations
    dominate its list; a lone unknown 'place' listed among companies is a company too.
    """
    if not ents:
        return ents
    doc = ents[0].doc
    by_tok = {i: e for e in ents for i in range(e.start, e.end)}
    out = list(ents)
    seen: set[int] = set()
    for e in ents:
        if e.label_ != "ORG" or e.root.i in seen:
            continue
        group = coordination(e.root, _LISTED)
        seen.update(t.i for t in group)
        labels = Counter(by_tok[t.i].label_ if t.i in by_tok else None for t in group)
        orgs, people = labels["ORG"], labels["PERSON"]
        known_places = sum(1 for t in group if t.i in by_tok and by_tok[t.i].label_ == "GPE" and by_tok[t.i].text in known)
        for t in group:
            ent = by_tok.get(t.i)
            if ent is not None and (ent.text in known or ent.label_ == "ORG"):
                continue
            if ent is None:
                if t.pos_ != "PROPN" or not t.text[:1].isupper() or orgs < 2:
                    continue
                span = Span(doc, _name_start(t, by_tok, _proper), t.i + 1, label="ORG")
                span._.kg_pattern = "list-harmony"
                out.append(span)
            elif ent.label_ == "PERSON" and orgs >= 2 and orgs > people:
                out[out.index(ent)] = _relabel(ent, "ORG", "list-harmony")
            elif ent.label_ == "GPE" and orgs > known_places + people:
                out[out.index(ent)] = _relabel(ent, "ORG", "list-harmony")
    return sorted(filter_spans(out), key=lambda x: x.start)


@Language.factory("kg_entities", default_config={"patterns": None, "fixes": None}, assigns=["doc.ents", "doc.spans"], requires=["doc.ents"])
def make_entity_fixer(nlp: Language, name: str, patterns: str | None, fixes: list[str] | None):
    """`patterns`: the rule patterns file (default kg/nlp/patterns/entities.jsonl); `fixes`: the entity
    fixes to run, by name, in order (default FIXES, all of them)."""
    return EntityFixer(nlp, name, patterns, fixes)


@Language.component("kg_line_breaks")
def line_breaks(doc: Doc) -> Doc:
    """A newline ends a sentence: headlines and paragraphs never run into the next line."""
    for tok in doc[:-1]:
        if "\n" in tok.text:
            doc[tok.i + 1].is_sent_start = True
    return doc
