"""Mentions → entities: the alias table, names and surnames, 'the company', pronouns, demonyms.

Each entity gets a canonical label, an ontology class and every surface form it was written as.
Relation mentions from the spaCy component are mapped onto these entities, typed against the
ontology's domains and ranges, and anything type-incompatible is dropped here.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from collections import Counter

from spacy.tokens import Doc, Span, Token

from .nlp.classifier import Cluster, PairContext, candidate_pairs, evidence, load_model, pair_features
from .nlp.lexicon import lexicon
from .nlp.relations import title_text
from .ontology import Ontology, load_ontology
from .types import Entity, Fact, Status

_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "«": '"', "»": '"'})
_NODE_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "POLICY", "LAW", "PRODUCT", "MONEY"}
_VALUE_LABELS = {"CARDINAL", "QUANTITY", "PERCENT"}
NEAR_ONLY = {"nationality": 1}  # learned relations that must be written within this many sentences
NOT_MEMBERSHIPS = {"Company", "EducationalInstitution", "MediaOutlet"}  # DWIE's clubs teach memberOf where worksFor is meant
NOT_NATIONALITIES = {"City", "Region"}  # citizenship is of a country: 'Senator X from Vermont' lives there
# a learned spouse needs one of the two introduced as such ('his wife X', 'X, the widow of Y'): a list of
# children beside a wife ('his wife X, their sons A and B, and daughters C and D') names no more spouses
SPOUSE_WORDS = {"wife", "wives", "husband", "spouse", "widow", "widower", "fiancée", "fiancé", "fiance", "married", "marry", "bride", "groom"}
LEAD = 0.25  # a learned fact under its relation's threshold but at least this likely is kept as a lead: status
# "uncertain", an Assertion with no direct triple (drawn dashed on request); so is one above its threshold
# that no sentence, or pair of adjacent sentences, names both ends of


# Facts built in code rather than by a pattern file, with their written confidence (the prior `kg train` calibrates)
TITLE, CREDIT_LINE, BRAND = "jobTitle.title-name.v1", "worksFor.credit-line.v1", "manufactures.brand-name.v1"
CODE_PATTERNS = {TITLE: 0.85, CREDIT_LINE: 0.9, BRAND: 0.8}
ASSERTED = 0.5  # a pattern whose facts were right less often than this on the dev sets writes leads, not facts
MIN_EVIDENCE = 30  # ... when at least this many of its dev facts were scored (fewer say too little to demote it)
# the pattern ids of the relation model's facts: in articles, and in texts read as sentences
LEARNED = {False: "classifier.pairs.v3", True: "classifier.pairs.v3.sentences"}


@functools.cache
def calibration() -> dict:
    """kg/models/patterns.calibration.json (by `kg train`): each pattern's share of right facts on the dev
    sets, and the relation model's mapping onto it; empty when absent or KG_CALIBRATION=off (kg train
    measures the written confidences)."""
    import json

    from .nlp.paths import model_path

    path = model_path("patterns.calibration.json")
    if not path.exists() or os.environ.get("KG_CALIBRATION") == "off":
        return {"patterns": {}, "model": {}}
    table = json.loads(path.read_text(encoding="utf-8"))
    return {"patterns": table["patterns"], "model": table.get("model") or {}}


def pattern_confidence(pattern: str, written: float) -> float:
    """The pattern's share of right facts on the dev sets; its written confidence where it has none."""
    row = calibration()["patterns"].get(pattern)
    return row["confidence"] if row else written


def demoted(pattern: str) -> bool:
    """Whether the pattern writes leads: right less often than ASSERTED on at least MIN_EVIDENCE dev facts."""
    row = calibration()["patterns"].get(pattern)
    return bool(row) and row["facts"] >= MIN_EVIDENCE and row["confidence"] < ASSERTED


def as_fact_confidence(p: float, pattern: str) -> float:
    """The relation model's pair probability p as a fact's confidence: the share of such facts right on
    the dev sets, sigmoid(a * logit(p) + b) with the (a, b) `kg train` fitted for `pattern` (see LEARNED)."""
    fit = calibration()["model"].get(pattern)
    if fit is None:
        return p
    import math

    p = min(max(p, 1e-6), 1 - 1e-6)
    return 1.0 / (1.0 + math.exp(-(fit["a"] * math.log(p / (1 - p)) + fit["b"])))


def _code_fact(pattern: str, **fields) -> Fact:
    """A fact built in code (not by a pattern file), at its pattern's calibrated confidence and status."""
    return Fact(confidence=pattern_confidence(pattern, CODE_PATTERNS[pattern]), pattern=pattern,
                status=Status.UNCERTAIN if demoted(pattern) else Status.ASSERTED, qualifiers={}, attributed_to=None, **fields)


def _latin_share(text: str) -> float:
    """The share of the letters that are Latin (a-z with their accents): English text is near 1."""
    letters = [ch for ch in text if ch.isalpha() and not unicodedata.name(ch, "").startswith("MODIFIER")]  # Hawaiʻi
    if not letters:
        return 1.0
    return sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, "")) / len(letters)


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


class _Known:
    """Lookups into the alias table."""

    def __init__(self, ont: Ontology):
        self.by_form: dict[str, tuple[str, str]] = {}
        self.by_demonym: dict[str, tuple[str, str]] = {}
        self.demonyms: dict[str, tuple[str, ...]] = {}  # canonical name → its demonyms
        for k in ont.known:
            self.demonyms[k.name] = tuple(k.demonyms)
            for form in (k.name, *k.aliases):
                self.by_form.setdefault(form, (k.name, k.cls))
                self.by_form.setdefault(normalise(form), (k.name, k.cls))
            for d in k.demonyms:
                self.by_demonym.setdefault(d.lower(), (k.name, k.cls))

    def form(self, text: str) -> tuple[str, str] | None:
        return self.by_form.get(text) or self.by_form.get(normalise(text)) if len(text) > 3 else self.by_form.get(text)


def role_head(title: str) -> str:
    """The word a job title is headed by: the last before a preposition ('head of sales' → 'head',
    'spokeswoman for the ministry' → 'spokeswoman', 'media investment management arm' → 'arm')."""
    words = re.split(r"\b(?:of|for|at|in|with|on|to)\b", title.lower(), maxsplit=1)[0].split()
    return words[-1] if words else ""


def _coordination(tok):
    """The first item of the list a token is in (the token itself when in none); a headline's list
    without 'and' ("Arizona, Florida, Illinois hold primaries") is parsed as appositions."""
    while tok.dep_ in {"conj", "appos"} and tok.head.i != tok.i:
        tok = tok.head
    return tok


def _same_list(x, y) -> bool:
    """Two tokens are items of one list: of one coordination, or (a list the parser broke up) two
    dependents of one word in the same role ('Arizona, Florida, Illinois hold' with two subjects)."""
    x, y = _coordination(x), _coordination(y)
    return x.i == y.i or (x.head.i == y.head.i and x.dep_ == y.dep_ and x.head.i not in (x.i, y.i))


def listed_together(a: Cluster, b: Cluster) -> bool:
    """Whether the two entities meet only as items of one list ('Arizona, Florida and Illinois'):
    every sentence that names both has them in the same list."""
    met = False
    for ma in a.mentions:
        for mb in b.mentions:
            if ma.sent.start != mb.sent.start:
                continue
            if not _same_list(ma.root, mb.root):
                return False
            met = True
    return met


class Resolver:
    """Turns one parsed Doc into entities and facts."""

    def __init__(self, ont: Ontology | None = None):
        self.ont = ont or load_ontology()
        self.known = _Known(self.ont)
        lex = lexicon()
        self.titles = lex["titles"]
        self.title_words = lex["titles"] | lex["title_heads"]
        # what ends an organisation's name or part, never a role ('arm', 'board', 'unit', 'group')
        self.not_roles = (set(lex["company_nouns"]) | set(lex["sub_body_heads"]) | set(lex["not_role_heads"])) - set(self.title_words)
        self.title_heads = self.title_words - lex["honorifics"]
        self.honorifics = lex["honorifics"]
        self._admitted: dict[tuple, list[str]] = {}  # (relations, class, class) → the ones the ontology admits
        self.title_skip = lex["title_skip"]
        self.company_nouns = lex["company_nouns"]
        self.event_nouns = lex["event_nouns"]
        self.exchanges = lex["stock_exchanges"]
        self.sub_body_heads = lex["sub_body_heads"]
        credits = sorted(lex["credit_lines"], key=len, reverse=True)
        # a credit line: 'By Jane Doe', '(Reporting by X; Editing by Y)', 'To contact the reporter on this story: X in Y at x@outlet.net'
        self.credit_line = re.compile(r"^\(?\s*(?:" + "|".join(re.escape(c) for c in credits) + r")\s", re.I)
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
        tickers = {}  # the token after a company where its ticker is written → the ticker
        for t in doc.spans.get("kg_tickers", []):
            i = t.start
            while i > 0 and not doc[i - 1].ent_type_ and not doc[i - 1].is_alpha or (i > 0 and doc[i - 1].lower_ in self.exchanges):
                i -= 1
            tickers[i] = t.text
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
                if not hit and span.label_ in {"GPE", "LOC"}:
                    hit = self.known.by_demonym.get(surface.lower())  # "German" read as a place: Germany
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
            if span.label_ == "ORG" and span.end in tickers:
                aliases.add(tickers[span.end])  # 'Microsoft MSFT', 'Apple Inc. (AAPL)', '(NYSE: T)'
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
            # 'Microsoft' is 'Microsoft Corp', 'Mahan' is 'Mahan Air'; 'the House' is not its Intelligence Committee
            longer = [f for f in orgs if len(f.split()) > len(parts) and f.split()[: len(parts)] == parts
                      and not any(w.lower() in self.sub_body_heads for w in f.split()[len(parts):])]
            if len(set(longer)) == 1:
                canonical[n] = longer[0]
        # A bare policy word ("the ban", "sanctions") is the article's fuller policy with that word
        # ("the ban on Mahan Air"), when it has one.
        policy_names = [r[2] for r in records if r[1] == "Policy"]
        for n in set(policy_names):
            if len(n.split()) == 1 and n.islower():
                stem = n.rstrip("s")
                fuller = [f for f in policy_names if len(f.split()) > 1 and any(w.lower().rstrip("s") == stem for w in f.split())]
                if fuller:
                    canonical[n] = Counter(fuller).most_common(1)[0][0]

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
            # the most specific class with the most votes; a mention that says more ("manufacturer
            # Bitmain": a Company) refines the plain mentions ("Bitmain": an Organization) it agrees with
            best = max(c.items(), key=lambda kv: (kv[1], len(self.ont.ancestors(kv[0]))))[0]
            finer = [k for k in c if k != best and self.ont.is_a(k, best)]
            if len(finer) == 1:
                best = finer[0]
            ents[key].cls = best
        return ents, token_key

    def clusters(self, doc: Doc, ents: dict[str, Entity]) -> list[Cluster]:
        """The entities as the relation model sees them: each with its mention spans and every form
        its name takes (aliases and demonyms)."""
        spans = {(e.start_char, e.end_char): e for e in (*doc.ents, *doc.spans.get("kg_inner", []))}
        out = []
        for ent in ents.values():
            top = self.ont.top_class(ent.cls)
            if top not in {"Person", "Organization", "Place"}:
                continue
            mentions = []
            for s, e in sorted(set(ent.mentions)):
                span = spans.get((s, e)) or doc.char_span(s, e, alignment_mode="expand")
                if span is not None:
                    mentions.append(span)
            forms = {a.lower() for a in ent.aliases} | {ent.label.lower()}
            forms |= {d.lower() for d in self.known.demonyms.get(ent.label, ())}
            out.append(Cluster(key=ent.key, cls=ent.cls, top=top, label=ent.label, forms=frozenset(forms), mentions=mentions))
        return out

    def admitted(self, relations: tuple[str, ...], a: Cluster, b: Cluster) -> list[str]:
        """Those of `relations` the ontology lets a's class hold with b's class (cached per class pair)."""
        key = (relations, a.cls, b.cls)
        rels = self._admitted.get(key)
        if rels is None:
            rels = self._admitted[key] = [r for r in relations if self.ont.accepts(r, a.cls, b.cls)]
        return rels

    def learned_facts(self, doc: Doc, ents: dict[str, Entity], model=None) -> list[Fact]:
        """Facts the document-level relation model finds between pairs of entities."""
        model = model or load_model()
        if model is None:
            return []
        clusters = self.clusters(doc, ents)
        ctx = PairContext(doc, clusters)
        out: dict[tuple, Fact] = {}

        relations = tuple(model.relations)
        beside: dict[str, set[str]] = {}  # each person's countries whose demonym is written beside a mention ('the Israeli official X')

        def demonym_beside(a: Cluster) -> set[str]:
            if a.key not in beside:
                beside[a.key] = {c.key for c in clusters if c.top == "Place"
                                 and ctx.intro_words[a.key] & {d.lower() for d in self.known.demonyms.get(c.label, ())}}
            return beside[a.key]

        for a, b, rels in candidate_pairs(ctx, clusters, lambda a, b: self.admitted(relations, a, b)):
            feats, _ = pair_features(a, b, ctx)
            probs = model.predict(feats, ctx.short)
            cited = None
            for r in rels:
                p = probs[r]
                if p < min(LEAD, model.threshold(r, ctx.short)):
                    continue
                if r == "memberOf" and b.cls in NOT_MEMBERSHIPS:
                    continue  # people work for companies and universities; memberOf is for parties, alliances, boards
                if r == "nationality" and b.cls in NOT_NATIONALITIES:
                    continue
                if r == "spouse" and not (ctx.intro_words[a.key] | ctx.intro_words[b.key]) & SPOUSE_WORDS:
                    continue
                if r == "locatedIn" and a.cls == b.cls and listed_together(a, b):
                    continue  # 'Arizona, Florida and Illinois hold primaries': places of one kind in a list are peers
                if r in NEAR_ONLY and ctx.near(a, b) > NEAR_ONLY[r] and not (ctx.intro_words[a.key] & b.forms):
                    continue  # a nationality is written beside the person ('the Syrian president'), not inferred from the article's country
                if r == "nationality" and b.key not in demonym_beside(a) and demonym_beside(a):
                    continue  # the text says which: 'the Israeli official X' is not made Cypriot by a 'Cyprus' nearby
                if cited is None:
                    cited = evidence(a, b, ctx) or False
                q = as_fact_confidence(p, LEARNED[ctx.short])
                asserted = p >= max(model.threshold(r, ctx.short), ASSERTED) and q >= ASSERTED and cited is not False
                span = cited or a.mentions[0].sent  # an uncertain lead with no shared sentence cites where its head is named
                h, t = a.key, b.key
                if self.ont.relations[r].symmetric and t < h:
                    h, t = t, h
                key = (h, r, t)
                if key in out and (out[key].status == Status.ASSERTED, out[key].confidence) >= (asserted, q):
                    continue
                out[key] = Fact(
                    head=h, relation=r, tail=t, literal=None, confidence=round(q, 3), pattern=LEARNED[ctx.short],
                    sentence=span.text.strip(), start=span.start_char, end=span.end_char,
                    status=Status.ASSERTED if asserted else Status.UNCERTAIN, qualifiers={}, attributed_to=None,
                )
        return list(out.values())

    def _title_before(self, span: Span, ent_start: dict[int, int]) -> Span | None:
        """The title written before a person's name: 'Prime Minister Boris Johnson', 'US Secretary of
        State Mike Pompeo', 'Israeli energy minister Yuval Steinitz', 'Apple CEO Tim Cook'. It stops
        at a place, nationality or organization (those are facts of their own), a determiner or
        punctuation, and drops honorifics and 'former'."""
        doc = span.doc
        end = span.start
        while end < span.end - 1 and doc[end].lower_ in self.title_words:
            end += 1  # a title the NER put inside the name
        start = end
        while start > span.sent.start:
            t = doc[start - 1]
            if t.ent_type_ and t.ent_type_ not in {"PERSON"} and not (span.start <= t.i < span.end):
                s0 = ent_start.get(start, start)
                if start == end and s0 - 2 >= span.sent.start and doc[s0 - 1].lower_ in {"to", "for"} and doc[s0 - 2].lower_ in self.title_words:
                    start = end = s0 - 1  # 'Ambassador to Germany Richard Grenell': the title is 'Ambassador'
                    continue
                break
            low = t.lower_ if t.tag_ not in {"NNS", "NNPS"} else t.lemma_.lower()  # 'Presidents X and Y'
            # hangs on the name itself, not on the title already taken ('Chief Executive Officer Elon Musk'
            # is one title even where the NER took 'Officer' into the name)
            on_name = span.start <= t.head.i < span.end and not start <= t.head.i < end
            if on_name and low in self.title_heads and any(
                span.start <= doc[i].head.i < span.end and doc[i].lower_ in self.title_heads for i in range(start, end)
            ):
                break  # 'presidential candidate Senator Ted Cruz': two titles side by side, the nearer one is his
            if low in self.title_words or (t.is_title and t.is_alpha and not t.ent_type_ and t.pos_ in {"PROPN", "NOUN", "ADJ"}):
                start -= 1
            elif low == "of" and start < end and doc[start].is_title and start - 2 >= span.sent.start and doc[start - 2].lower_ in self.title_words:
                start -= 1  # 'Secretary of State'
            elif t.is_lower and t.is_alpha and t.pos_ in {"NOUN", "ADJ", "PROPN"} and t.dep_ in {"compound", "amod"} and low not in self.title_skip:
                start -= 1  # 'energy minister'
            else:
                break
        while start < end and (doc[start].lower_ in self.honorifics or doc[start].lower_ in self.title_skip or doc[start].lower_ == "of"):
            start += 1
        words = doc[start:end]
        if not len(words) or not any(t.lower_ in self.title_heads or t.lemma_.lower() in self.title_heads for t in words) or words[-1].lower_ == "of":
            return None
        if start == span.sent.start and len(words) == 1 and words[0].lower_ not in self.title_heads:
            return None
        return words

    def _title_appos(self, span: Span) -> str | None:
        """'Steffen Seibert, the chancellor's spokesperson' / 'its chief executive, Jane Doe'."""
        root = span.root
        nouns = [c for c in root.children if c.dep_ == "appos" and c.pos_ == "NOUN"]
        if root.dep_ == "appos" and root.head.pos_ == "NOUN":
            nouns.append(root.head)
        for n in nouns:
            if n.lower_ in self.title_heads and not n.ent_type_:
                return title_text(n)
        return None

    def title_facts(self, doc: Doc, token_key: dict[int, str], ents: dict[str, Entity]) -> list[Fact]:
        """jobTitle of every person introduced with a title, before the name or beside it."""
        out = []
        plural: dict[int, str] = {}  # 'Presidents Muhammadu Buhari of Nigeria and Patrice Talon of Benin'
        ents_ = doc.ents  # built once: doc.ents makes every span anew
        ent_start = {e.end: e.start for e in ents_}
        for span in ents_:
            if span.label_ != "PERSON":
                continue
            key = token_key.get(span[-1].i)
            if key is None or ents[key].top != "Person":
                continue
            words = self._title_before(span, ent_start)
            if words is not None and words[-1].tag_ in {"NNS", "NNPS"}:
                title = clean_surface(" ".join([*(t.text for t in words[:-1]), words[-1].lemma_]))
                plural[span.root.i] = title
            else:
                title = clean_surface(words.text) if words is not None else self._title_appos(span)
            if not title and span.root.dep_ == "conj":
                title = plural.get(span.root.head.i)
            if not title or len(title) > 60:
                continue
            sent = span.sent
            out.append(_code_fact(TITLE, head=key, relation="jobTitle", tail=None, literal=title,
                                  sentence=sent.text.strip(), start=sent.start_char, end=sent.end_char))
        return out

    def brand_facts(self, doc: Doc, ents: dict[str, Entity], referred: list[tuple[str, int, int]]) -> list[Fact]:
        """A product named after its maker ('Apple Watch', typed Product by the entity rules) is made
        by the company of that name in the article; the brand inside the name is a mention of it."""
        makers = {}
        for e in ents.values():
            if e.top == "Organization":
                for form in (e.label, *e.aliases):
                    makers.setdefault(form, e.key)
        out = []
        for e in list(ents.values()):
            if e.cls != "Product" or not e.mentions or " " not in e.label:
                continue
            maker = makers.get(e.label.split()[0])
            if maker is None:
                continue
            start, end = min(e.mentions)
            referred.append((maker, start, start + len(e.label.split()[0])))
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is None:
                continue
            sent = span.sent
            out.append(_code_fact(BRAND, head=maker, relation="manufactures", tail=e.key, literal=None,
                                  sentence=sent.text.strip(), start=sent.start_char, end=sent.end_char))
        return out

    def credit_lines(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, line) of each credit line: a byline under the headline, 'Reporting by', 'To contact'."""
        lines, pos = [], 0
        for line in text.split("\n"):
            byline = line.strip().lower().startswith("by ")  # only under the headline, short, no sentence
            if self.credit_line.match(line.strip()) and len(line) < 400 and not (
                    byline and (pos > 400 or len(line) > 100 or line.rstrip().endswith("."))):
                lines.append((pos, pos + len(line), line))
            pos += len(line) + 1
        return lines

    def byline_facts(self, doc: Doc, ents: dict[str, Entity], token_key: dict[int, str], lines: list[tuple[int, int, str]]) -> list[Fact]:
        """worksFor the outlet, for each person a credit line names: the byline under the headline
        ('By Jane Doe'), '(Reporting by X; Editing by Y)', 'To contact the reporter on this story: X
        ... at x@bloomberg.net'. The outlet is the news agency of the dateline ('(Reuters) -',
        'NEW YORK (AP) --') or of the contact e-mail, as the alias table names it. `lines`: credit_lines."""
        text = doc.text
        if not lines:
            return []
        outlet = None
        for m in re.finditer(r"(?m)(?:\(([A-Z][A-Za-z .&-]{1,40})\)|^([A-Z][A-Z .&-]{1,40}))\s*[-\u2013\u2014]+\s", text[:600]):
            # the dateline: '(Reuters) -', 'NEW YORK (AP) --', 'REUTERS - '
            hit = self.known.form((m.group(1) or m.group(2)).strip())
            if hit and hit[1] == "MediaOutlet":
                g = 1 if m.group(1) else 2
                outlet = (hit[0], m.start(g), m.end(g))
                break
        if outlet is None:
            for _, _, line in lines:
                m = re.search(r"@([a-z0-9-]+)\.(?:net|com|org|co\.uk)\b", line)
                hit = m and self.known.form(m.group(1).capitalize())
                if hit and hit[1] == "MediaOutlet":
                    outlet = (hit[0], None, None)
                    break
        if outlet is None:
            return []
        key = f"{self.ont.top_class('MediaOutlet')}/{normalise(outlet[0])}"
        ent = ents.get(key)
        if ent is None:
            ent = ents[key] = Entity(key=key, cls="MediaOutlet", label=outlet[0], aliases={outlet[0]}, named=True)
        if outlet[1] is not None and (outlet[1], outlet[2]) not in ent.mentions:
            ent.mentions.append((outlet[1], outlet[2]))
        out = []
        for start, end, line in lines:
            for span in doc.char_span(start, end, alignment_mode="expand").ents if end > start else ():
                person = token_key.get(span[-1].i)
                if span.label_ != "PERSON" or person not in ents or ents[person].top != "Person":
                    continue
                out.append(_code_fact(CREDIT_LINE, head=person, relation="worksFor", tail=key, literal=None,
                                      sentence=line.strip(), start=start, end=end))
        return out

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
        referred: list[tuple[str, int, int]] = []  # (entity, start, end) of pronouns and descriptions that name it
        text = doc.text
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
                    # every relation listed for the tail's most specific listed class that the head's class
                    # admits: "German carmaker Volkswagen" is based in Germany (and its country is Germany)
                    hcls0 = ents[head].cls
                    options = next((rs for c, rs in by_class.items() if self.ont.is_a(tcls, c)), [])
                    relations = [r for r in options if self.ont.accepts(r, hcls0, tcls)]
                else:
                    relations = [relation]
            else:
                tcls = None
                relations = [relation]
                if not literal:
                    continue
            hcls = ents[head].cls
            relations = [r for r in relations if self.ont.accepts(r, hcls, tcls)]
            if not relations or m["status"] == "negated":
                continue
            attributed = None
            if m["attributed_to"] is not None:
                attributed, _ = self.resolve_token(doc[m["attributed_to"]], ents, token_key)
                if attributed in (head, tail):
                    attributed = None
            for relation in relations:
                self._add_fact(facts, text, m, head, relation, tail, literal, f1 * f2, attributed)
            # a pronoun or description a fact was read through ('he', 'the company') is a mention of its entity
            for tok, key in ((head_tok, head), (tail_tok if m["tail"] is not None else None, tail)):
                if tok is not None and key in ents and tok.i not in token_key:
                    referred.append((key, tok.idx, tok.idx + len(tok.text)))
        titles = {(f.head, f.literal.lower()) for f in facts.values() if f.relation == "jobTitle"}
        for fact in self.title_facts(doc, token_key, ents):
            if (fact.head, fact.literal.lower()) not in titles:
                titles.add((fact.head, fact.literal.lower()))
                facts[(fact.head, fact.relation, None, fact.literal, fact.start)] = fact
        # a job title names a role: 'media investment management arm', 'online message board' name an organisation's part
        facts = {k: f for k, f in facts.items() if f.relation != "jobTitle" or role_head(f.literal) not in self.not_roles}
        # 'Secretary' from one pattern, 'Secretary of State' from another: the fuller title says it all
        by_head: dict[str, set[str]] = {}
        for f in facts.values():
            if f.relation == "jobTitle":
                by_head.setdefault(f.head, set()).add(f" {f.literal.lower()} ")
        facts = {
            k: f for k, f in facts.items()
            if f.relation != "jobTitle" or not any(f" {f.literal.lower()} " in longer and longer != f" {f.literal.lower()} " for longer in by_head[f.head])
        }
        credits = self.credit_lines(text)
        for fact in (*self.byline_facts(doc, ents, token_key, credits), *self.brand_facts(doc, ents, referred)):
            facts.setdefault((fact.head, fact.relation, fact.tail, None, fact.start), fact)
        stated = {(f.head, f.relation, f.tail) for f in facts.values()}
        for fact in self.learned_facts(doc, ents):
            if (fact.head, fact.relation, fact.tail) in stated:
                continue  # a pattern already states it
            if (fact.tail, fact.relation, fact.head) in stated and not self.ont.relations[fact.relation].symmetric:
                continue  # a pattern states it the other way round ('Ruby, who killed Oswald'): the wording wins
            facts[(fact.head, fact.relation, fact.tail, None, fact.start)] = fact
        # kg reads English: a sentence mostly in another script (a Hindi answer in an interview) gives no fact
        # (nor does a 'name' the English NER read out of another script, wholly or in part: 'COVID-19 से')
        label = {k: e.label for k, e in (*ents.items(), *extra.items())}
        facts = {k: f for k, f in facts.items() if _latin_share(f.sentence) >= 0.5 and _latin_share(f.literal or "") >= 0.5
                 and _latin_share(label.get(f.head, "")) == 1.0 and _latin_share(label.get(f.tail, "") if f.tail else "") == 1.0}
        # two nodes of one name joined by a fact are one name read two ways ('Ulta' a company and a place): no fact
        facts = {k: f for k, f in facts.items() if not (f.tail and label.get(f.tail) and label[f.tail].lower() == label.get(f.head, "").lower())}
        # a credit line says who wrote the story and nothing more ('Dana Hull in San Francisco at ...' is no livesIn)
        if credits:
            facts = {k: f for k, f in facts.items() if f.pattern == CREDIT_LINE or not any(f.start < e and s < f.end for s, e, _ in credits)}
        for key, start, end in referred:  # after the relation model, which reads names only
            ents[key].mentions.append((start, end))
        ents.update(extra)
        # A place known only from an adjective ("Canadian officials") is a node only when a fact uses it.
        used = {f.head for f in facts.values()} | {f.tail for f in facts.values()} | {f.attributed_to for f in facts.values()}
        ents = {k: e for k, e in ents.items() if (e.named or k in used or e.cls in {"Quantity"}) and _latin_share(e.label) == 1.0}
        return ents, list(facts.values())

    def _add_fact(self, facts: dict, text: str, m: dict, head: str, relation: str, tail: str | None, literal: str | None,
                  factor: float, attributed: str | None) -> None:
        rel = self.ont.relations[relation]
        confidence = pattern_confidence(m["pattern"], m["confidence"]) * factor  # calibrated on the dev sets
        h, t = (head, tail)
        if rel.symmetric and tail is not None and tail < head:
            h, t = tail, head
        fact = Fact(
            head=h,
            relation=relation,
            tail=t,
            literal=literal,
            confidence=round(confidence, 3),
            pattern=m["pattern"],
            sentence=text[m["sent_start"] : m["sent_end"]].strip(),
            start=m["sent_start"],
            end=m["sent_end"],
            status=Status.UNCERTAIN if m["status"] == Status.ASSERTED and demoted(m["pattern"]) else m["status"],
            qualifiers=m["qualifiers"],
            attributed_to=attributed,
        )
        key = (h, relation, t, literal, m["sent_start"])
        if key not in facts or facts[key].confidence < fact.confidence:
            facts[key] = fact

    def _quantity(self, tok: Token, extra: dict[str, Entity]) -> str:
        text = tok.text
        for ent in tok.doc.ents:
            if ent.start <= tok.i < ent.end:
                text = ent.text
        key = f"Quantity/{normalise(text)}"
        extra.setdefault(key, Entity(key=key, cls="Quantity", label=text, aliases={text}))
        return key
