"""kg's dependency-pattern matcher gives spaCy's DependencyMatcher's matches, in its order, faster."""

import pytest
from helpers import make_doc
from spacy.matcher import DependencyMatcher

from kg.nlp.relations import load_patterns
from kg.nlp.treematch import TreeMatcher

# "Irene Gao, Bitmain's global business chief, said Bitmain and Canaan plan factories in Texas."
ROWS = [
    ("Irene", 1, "compound", "NNP", "PROPN", "Irene"),
    ("Gao", 9, "nsubj", "NNP", "PROPN", "Gao"),
    (",", 1, "punct", ",", "PUNCT", ","),
    ("Bitmain", 7, "poss", "NNP", "PROPN", "Bitmain"),
    ("'s", 3, "case", "POS", "PART", "'s"),
    ("global", 7, "amod", "JJ", "ADJ", "global"),
    ("business", 7, "compound", "NN", "NOUN", "business"),
    ("chief", 1, "appos", "NN", "NOUN", "chief"),
    (",", 1, "punct", ",", "PUNCT", ","),
    ("said", 9, "ROOT", "VBD", "VERB", "say"),
    ("Bitmain", 13, "nsubj", "NNP", "PROPN", "Bitmain"),
    ("and", 10, "cc", "CC", "CCONJ", "and"),
    ("Canaan", 10, "conj", "NNP", "PROPN", "Canaan"),
    ("plan", 9, "ccomp", "VBP", "VERB", "plan"),
    ("factories", 13, "dobj", "NNS", "NOUN", "factory"),
    ("in", 14, "prep", "IN", "ADP", "in"),
    ("Texas", 15, "pobj", "NNP", "PROPN", "Texas"),
    (".", 9, "punct", ".", "PUNCT", "."),
]
ENTS = [(0, 2, "PERSON"), (3, 4, "ORG"), (10, 11, "ORG"), (12, 13, "ORG"), (16, 17, "GPE")]

PATTERNS = {
    "child": [
        {"RIGHT_ID": "verb", "RIGHT_ATTRS": {"LEMMA": "plan"}},
        {"LEFT_ID": "verb", "REL_OP": ">", "RIGHT_ID": "subj", "RIGHT_ATTRS": {"DEP": "nsubj", "ENT_TYPE": "ORG"}},
        {"LEFT_ID": "verb", "REL_OP": ">", "RIGHT_ID": "obj", "RIGHT_ATTRS": {"DEP": "dobj"}},
    ],
    "head": [
        {"RIGHT_ID": "org", "RIGHT_ATTRS": {"ENT_TYPE": "ORG"}},
        {"LEFT_ID": "org", "REL_OP": "<", "RIGHT_ID": "up", "RIGHT_ATTRS": {"POS": {"IN": ["NOUN", "VERB"]}}},
    ],
    "descendant": [
        {"RIGHT_ID": "root", "RIGHT_ATTRS": {"DEP": "ROOT"}},
        {"LEFT_ID": "root", "REL_OP": ">>", "RIGHT_ID": "place", "RIGHT_ATTRS": {"ENT_TYPE": {"IN": ["GPE", "ORG"]}}},
    ],
    "ancestor": [
        {"RIGHT_ID": "place", "RIGHT_ATTRS": {"ENT_TYPE": "GPE"}},
        {"LEFT_ID": "place", "REL_OP": "<<", "RIGHT_ID": "verb", "RIGHT_ATTRS": {"POS": "VERB", "LOWER": {"NOT_IN": ["said"]}}},
    ],
    "not an entity": [
        {"RIGHT_ID": "noun", "RIGHT_ATTRS": {"POS": "NOUN", "ENT_TYPE": ""}},
        {"LEFT_ID": "noun", "REL_OP": ">", "RIGHT_ID": "mod", "RIGHT_ATTRS": {"TAG": {"IN": ["JJ", "NN", "POS"]}}},
    ],
}


def _spacy(doc, patterns):
    out = []
    for key, pattern in patterns.items():
        m = DependencyMatcher(doc.vocab)
        m.add(key, [pattern])
        out.extend((doc.vocab.strings[k], ids) for k, ids in m(doc))
    return out


def test_each_operator_and_test_gives_spacys_matches_in_spacys_order():
    doc = make_doc(ROWS, ents=ENTS)
    tm = TreeMatcher(doc.vocab)
    for key, pattern in PATTERNS.items():
        tm.add(key, pattern)
    got = list(tm(doc))
    assert got == _spacy(doc, PATTERNS)
    by_key = {}
    for key, ids in got:
        by_key.setdefault(key, []).append([doc[i].text for i in ids])
    # every kind of pattern found something, so the comparison above is not between two empty lists
    assert by_key["child"] == [["plan", "Bitmain", "factories"]]  # Canaan is a conjunct, not the subject
    assert ["Texas", "plan"] in by_key["ancestor"] and ["Texas", "said"] not in by_key["ancestor"]
    assert ["said", "Texas"] in by_key["descendant"] and ["said", "Canaan"] in by_key["descendant"]
    assert ["Bitmain", "chief"] in by_key["head"]
    assert ["chief", "global"] in by_key["not an entity"] and ["factories", "in"] not in by_key["not an entity"]


def test_only_the_asked_keys_run():
    doc = make_doc(ROWS, ents=ENTS)
    tm = TreeMatcher(doc.vocab)
    for key, pattern in PATTERNS.items():
        tm.add(key, pattern)
    assert {k for k, _ in tm(doc, keys={"child"})} == {"child"}


@pytest.mark.parametrize(
    "node",
    [
        {"LEFT_ID": "a", "REL_OP": ".", "RIGHT_ID": "b", "RIGHT_ATTRS": {"LOWER": "x"}},  # operator kg does not use
        {"LEFT_ID": "a", "REL_OP": ">", "RIGHT_ID": "b", "RIGHT_ATTRS": {"LIKE_NUM": True}},  # attribute
        {"LEFT_ID": "a", "REL_OP": ">", "RIGHT_ID": "b", "RIGHT_ATTRS": {"LOWER": {"REGEX": "x"}}},  # predicate
    ],
)
def test_what_it_cannot_match_exactly_is_refused_when_the_pattern_loads(node):
    tm = TreeMatcher(make_doc(ROWS).vocab)
    with pytest.raises(ValueError):
        tm.add("p", [{"RIGHT_ID": "a", "RIGHT_ATTRS": {"LOWER": "plan"}}, node])


def test_a_malformed_pattern_is_refused_by_spacys_schema():
    tm = TreeMatcher(make_doc(ROWS).vocab)
    with pytest.raises(ValueError):
        tm.add("p", [{"RIGHT_ID": "a", "RIGHT_ATTRS": {"LOWER": "plan"}}, {"RIGHT_ID": "b", "RIGHT_ATTRS": {}}])


def test_kg_patterns_match_as_spacy_does_on_real_parses(nlp):
    """Every shipped pattern, on parsed news text: the same matches, in the same order."""
    text = (
        "Irene Gao, Bitmain's global business chief, said the company plans a factory in Texas. "
        "Microsoft agreed to buy Activision Blizzard for $69 billion, its chief executive Satya Nadella said. "
        "German Chancellor Olaf Scholz met French President Emmanuel Macron in Berlin on Monday. "
        "The European Union's tariffs on Chinese electric vehicles hit BYD, which is based in Shenzhen."
    )
    doc = nlp(text)
    patterns = {row["id"]: row["pattern"] for row in load_patterns()}
    tm = TreeMatcher(doc.vocab)
    for key, pattern in patterns.items():
        tm.add(key, pattern)
    got = list(tm(doc))
    assert len(got) >= 5
    assert got == _spacy(doc, patterns)
