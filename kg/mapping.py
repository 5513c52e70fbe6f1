"""Entities and facts → RDF triples against the ontology, each fact with PROV-O provenance.

Design: every fact is a direct triple (`entity kg:relation entity-or-literal`) *and* a
`kg:Assertion` node (an `rdf:Statement` with an IRI, never a blank node) that records where it
came from: the article, the sentence and its offsets, the pattern, a confidence, a status
(asserted / planned), qualifiers (date, amount, quantity) and who the article attributes it to.
A lead (status "uncertain": the relation model is unsure, or no sentence names both ends) is its
Assertion alone, with no direct triple.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator

from rdflib import RDF, RDFS, SKOS, XSD, Literal, URIRef

from .ontology import ID, KG, PROV, SCHEMA, Ontology
from .types import Article, Entity, Fact, Status

Triple = tuple[URIRef, URIRef, URIRef | Literal]
_MAX_SLUG = 80
# Characters that are not allowed (or not wise) in an IRI even when percent-encoding is skipped.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_MONEY = re.compile(r"(?P<cur>[$€£¥]|US\$|USD|EUR|GBP)?\s*(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<mult>thousand|million|billion|trillion|[mbk]n?)?", re.I)
_MULT = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "b": 1e9, "bn": 1e9, "trillion": 1e12}
_CUR = {"$": "USD", "us$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP", "¥": "JPY"}


def slug(text: str) -> str:
    """A readable, IRI-safe slug; long or non-Latin names get a hash suffix so they stay unique."""
    t = unicodedata.normalize("NFKD", text)
    ascii_ = t.encode("ascii", "ignore").decode().lower()
    s = re.sub(r"[^a-z0-9]+", "-", ascii_).strip("-")
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    if not s:
        return digest
    if len(s) > _MAX_SLUG or ascii_ != t.lower():
        s = s[:_MAX_SLUG].rstrip("-") + "-" + digest
    return s


def entity_iri(key: str) -> URIRef:
    top, name = key.split("/", 1)
    return ID[f"{top.lower()}/{slug(name)}"]


def match_key(key: str) -> str:
    """The entity key with case, spaces and punctuation folded away ('Organization/nbc universal' and
    'Organization/nbcuniversal' → 'organization/nbcuniversal'): across articles, one node."""
    top, name = key.split("/", 1)
    folded = unicodedata.normalize("NFKD", name.casefold())
    return f"{top.lower()}/" + "".join(ch for ch in folded if ch.isalnum())


def entity_iris(keys, known: dict[str, URIRef] | None = None) -> dict[str, URIRef]:
    """The IRI of each entity key: the node its match key already names (`known`, from the store),
    else the first key of this document with that match key, else its own."""
    first: dict[str, URIRef] = dict(known or {})
    return {k: first.setdefault(match_key(k), entity_iri(k)) for k in keys}


def article_iri(article: Article | str) -> URIRef:
    """An article's IRI, from its source (an Article or the source itself): a source built again
    with other text keeps its IRI, and a fresh build of the same folder gives the same ones."""
    source = article.source if isinstance(article, Article) else article
    return ID[f"article/{hashlib.sha256(source.encode('utf-8')).hexdigest()[:16]}"]


def build_iri(stamp: str) -> URIRef:
    return ID[f"build/{stamp}"]


def clean_literal(text: str) -> str:
    """Control characters and bidi overrides out; text otherwise kept as written."""
    return _CONTROL.sub(" ", text)


def money(label: str) -> Iterator[tuple[URIRef, Literal]]:
    m = _MONEY.search(label)
    if not m:
        return
    try:
        value = float(m.group("num").replace(",", "")) * _MULT.get((m.group("mult") or "").lower(), 1)
    except ValueError:
        return
    yield KG.value, Literal(str(round(value, 2)), datatype=XSD.decimal)
    cur = _CUR.get((m.group("cur") or "").lower())
    if cur:
        yield KG.currency, Literal(cur)


def article_triples(article: Article, build: URIRef | None = None) -> Iterator[Triple]:
    """The article node: its source, file, content hash, date and headline, and the build that read it."""
    a = article_iri(article)
    yield a, RDF.type, KG.NewsArticle
    yield a, RDFS.label, Literal(clean_literal(article.path.rsplit("/", 1)[-1]))
    yield a, KG.source, Literal(clean_literal(article.source))
    yield a, KG.fileName, Literal(clean_literal(article.path))
    yield a, KG.contentHash, Literal(article.sha)
    if article.date:
        yield a, SCHEMA.datePublished, Literal(article.date, datatype=XSD.date)
    first = article.headline or next((line for line in article.text.splitlines() if line.strip()), "")[:200]
    yield a, SCHEMA.headline, Literal(clean_literal(first.strip()))
    yield a, SCHEMA.articleBody, Literal(article.text)  # as read: mention offsets point into it
    if build is not None:
        yield a, PROV.wasGeneratedBy, build


def mentions_iri(article: Article, s: URIRef) -> URIRef:
    return ID[f"mentions/{hashlib.sha1((article.sha + '|' + str(s)).encode('utf-8')).hexdigest()[:20]}"]


def entity_triples(ent: Entity, ont: Ontology, article: Article, labels: dict[URIRef, str], s: URIRef) -> Iterator[Triple]:
    """Type, one rdfs:label (the first one the store saw), one skos:altLabel per surface form, the match key;
    and the article's kg:Mentions node, which keeps what this article says of the entity (its names,
    class, spans), so that forgetting the article can take back exactly that."""
    yield s, RDF.type, ont.classes[ent.cls].iri
    label = labels.get(s)
    if label is None:
        label = labels[s] = clean_literal(ent.label)
        yield s, RDFS.label, Literal(label)
    names = sorted({clean_literal(alias) for alias in ent.aliases | {ent.label}})
    for alias in names:
        if alias != label:
            yield s, SKOS.altLabel, Literal(alias)
    a = article_iri(article)
    yield s, KG.matchKey, Literal(match_key(ent.key))
    yield s, KG.mentionedIn, a
    m = mentions_iri(article, s)
    yield m, RDF.type, KG.Mentions
    yield m, KG.entity, s
    yield m, PROV.wasDerivedFrom, a
    yield m, KG.entityType, ont.classes[ent.cls].iri
    preferred = clean_literal(ent.label)
    yield m, KG.preferredName, Literal(preferred)
    for alias in names:
        if alias != preferred:  # the preferred name is a name too: not written twice
            yield m, KG.name, Literal(alias)
    if ent.mentions:
        yield m, KG.offsets, Literal(" ".join(f"{a}-{b}" for a, b in sorted(set(ent.mentions))))
    if ent.cls == "MonetaryAmount":
        yield from ((s, p, o) for p, o in money(label))


def fact_triples(fact: Fact, ont: Ontology, article: Article, iris: dict[str, URIRef]) -> Iterator[Triple]:
    s = iris[fact.head]
    p = ont.relations[fact.relation].iri
    o = iris[fact.tail] if fact.tail else Literal(clean_literal(fact.literal or ""))
    if fact.status != Status.UNCERTAIN:  # a lead is no fact: only its Assertion says it, with its status
        yield s, p, o
    ident = "|".join([article.sha, fact.head, fact.relation, fact.tail or "", fact.literal or "", str(fact.start)])
    a = ID[f"assertion/{hashlib.sha1(ident.encode('utf-8')).hexdigest()[:20]}"]
    yield a, RDF.type, KG.Assertion
    yield a, RDF.subject, s
    yield a, RDF.predicate, p
    yield a, RDF.object, o
    yield a, PROV.wasDerivedFrom, article_iri(article)
    yield a, KG.sentence, Literal(clean_literal(fact.sentence))
    yield a, KG.startChar, Literal(fact.start)
    yield a, KG.endChar, Literal(fact.end)
    yield a, KG.pattern, Literal(fact.pattern)
    yield a, KG.confidence, Literal(f"{max(0.0, min(1.0, fact.confidence)):.3f}", datatype=XSD.decimal)
    yield a, KG.status, Literal(fact.status)
    for key, value in sorted(fact.qualifiers.items()):
        yield a, KG[key], Literal(clean_literal(value))
    if fact.attributed_to:
        yield a, PROV.wasAttributedTo, iris[fact.attributed_to]


def document_triples(
    article: Article, ents: dict[str, Entity], facts: list[Fact], ont: Ontology, labels: dict[URIRef, str] | None = None,
    iris: dict[str, URIRef] | None = None, build: URIRef | None = None,
) -> list[Triple]:
    """All triples for one article. `labels` holds the rdfs:label already in the store per IRI;
    `iris` each entity's IRI (`entity_iris`, with the nodes other spellings created in the store);
    `build` the kg:Build that read it."""
    labels = {} if labels is None else labels
    iris = entity_iris(ents) if iris is None else iris
    out = list(article_triples(article, build))
    for ent in ents.values():
        out.extend(entity_triples(ent, ont, article, labels, iris[ent.key]))
    for fact in facts:
        out.extend(fact_triples(fact, ont, article, iris))
    return out
