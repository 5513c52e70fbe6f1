"""Relation patterns on hand-built parses: fast, exact and independent of the model."""

from helpers import make_doc, relations


def test_works_for_apposition_with_possessive_and_title():
    # "Irene Gao, Bitmain's global business chief, spoke."
    doc = make_doc(
        [
            ("Irene", 1, "compound", "NNP", "PROPN", "Irene"),
            ("Gao", 8, "nsubj", "NNP", "PROPN", "Gao"),
            (",", 1, "punct", ",", "PUNCT", ","),
            ("Bitmain", 6, "poss", "NNP", "PROPN", "Bitmain"),
            ("'s", 3, "case", "POS", "PART", "'s"),
            ("global", 6, "amod", "JJ", "ADJ", "global"),
            ("chief", 1, "appos", "NN", "NOUN", "chief"),
            (",", 1, "punct", ",", "PUNCT", ","),
            ("spoke", 8, "ROOT", "VBD", "VERB", "speak"),
        ],
        ents=[(0, 2, "PERSON"), (3, 4, "ORG")],
    )
    found = relations(doc)
    assert ("Gao", "worksFor", "Bitmain") in found
    assert ("Gao", "jobTitle", "global chief") in found


def test_works_for_ceo_of():
    # "Batyr Hydyrov, CEO of Uminers, said"
    doc = make_doc(
        [
            ("Batyr", 1, "compound", "NNP", "PROPN", "Batyr"),
            ("Hydyrov", 7, "nsubj", "NNP", "PROPN", "Hydyrov"),
            (",", 1, "punct", ",", "PUNCT", ","),
            ("CEO", 1, "appos", "NNP", "PROPN", "CEO"),
            ("of", 3, "prep", "IN", "ADP", "of"),
            ("Uminers", 4, "pobj", "NNP", "PROPN", "Uminers"),
            (",", 1, "punct", ",", "PUNCT", ","),
            ("said", 7, "ROOT", "VBD", "VERB", "say"),
        ],
        ents=[(0, 2, "PERSON"), (5, 6, "ORG")],
    )
    found = relations(doc)
    assert ("Hydyrov", "worksFor", "Uminers") in found
    assert ("Hydyrov", "jobTitle", "CEO") in found


def test_facility_in_places_expands_coordination():
    # "Acme will set up a headquarters in Texas or Florida."
    doc = make_doc(
        [
            ("Acme", 2, "nsubj", "NNP", "PROPN", "Acme"),
            ("will", 2, "aux", "MD", "AUX", "will"),
            ("set", 2, "ROOT", "VB", "VERB", "set"),
            ("up", 2, "prt", "RP", "ADP", "up"),
            ("a", 5, "det", "DT", "DET", "a"),
            ("headquarters", 2, "dobj", "NN", "NOUN", "headquarters"),
            ("in", 2, "prep", "IN", "ADP", "in"),
            ("Texas", 6, "pobj", "NNP", "PROPN", "Texas"),
            ("or", 7, "cc", "CC", "CCONJ", "or"),
            ("Florida", 7, "conj", "NNP", "PROPN", "Florida"),
            (".", 2, "punct", ".", "PUNCT", "."),
        ],
        ents=[(0, 1, "ORG"), (7, 8, "GPE"), (9, 10, "GPE")],
    )
    found = relations(doc)
    assert ("Acme", "plansFacilityIn", "Texas") in found
    assert ("Acme", "plansFacilityIn", "Florida") in found


def test_merger_with_takes_subject_of_governing_verb():
    # "Hut8 is planning a merger with Gryphon."
    doc = make_doc(
        [
            ("Hut8", 2, "nsubj", "NNP", "PROPN", "Hut8"),
            ("is", 2, "aux", "VBZ", "AUX", "be"),
            ("planning", 2, "ROOT", "VBG", "VERB", "plan"),
            ("a", 4, "det", "DT", "DET", "a"),
            ("merger", 2, "dobj", "NN", "NOUN", "merger"),
            ("with", 4, "prep", "IN", "ADP", "with"),
            ("Gryphon", 5, "pobj", "NNP", "PROPN", "Gryphon"),
        ],
        ents=[(0, 1, "ORG"), (6, 7, "ORG")],
    )
    assert ("Hut8", "mergesWith", "Gryphon") in relations(doc)


def test_purchase_of_maker_goods_is_purchased_from_not_acquired():
    # "Hut8 purchased 31,145 Bitmain machines."
    doc = make_doc(
        [
            ("Hut8", 1, "nsubj", "NNP", "PROPN", "Hut8"),
            ("purchased", 1, "ROOT", "VBD", "VERB", "purchase"),
            ("31,145", 4, "nummod", "CD", "NUM", "31,145"),
            ("Bitmain", 4, "compound", "NNP", "PROPN", "Bitmain"),
            ("machines", 1, "dobj", "NNS", "NOUN", "machine"),
        ],
        ents=[(0, 1, "ORG"), (2, 3, "CARDINAL"), (3, 4, "ORG")],
    )
    found = relations(doc)
    assert ("Hut8", "purchasedFrom", "Bitmain") in found
    assert not any(r == "acquired" for _, r, _ in found)


def test_policy_possessor_enacts_and_acl_verb_affects():
    # "Trump's trade war disrupting Bitmain"
    doc = make_doc(
        [
            ("Trump", 3, "poss", "NNP", "PROPN", "Trump"),
            ("'s", 0, "case", "POS", "PART", "'s"),
            ("trade", 3, "compound", "NN", "NOUN", "trade"),
            ("war", 3, "ROOT", "NN", "NOUN", "war"),
            ("disrupting", 3, "acl", "VBG", "VERB", "disrupt"),
            ("Bitmain", 4, "dobj", "NNP", "PROPN", "Bitmain"),
        ],
        ents=[(0, 1, "PERSON"), (2, 4, "POLICY"), (5, 6, "ORG")],
    )
    found = relations(doc)
    assert ("war", "enactedBy", "Trump") in found
    assert ("war", "affects", "Bitmain") in found


def test_killed_through_relative_clause():
    # "Booth, who assassinated Lincoln, was an actor."
    doc = make_doc(
        [
            ("Booth", 6, "nsubj", "NNP", "PROPN", "Booth"),
            (",", 0, "punct", ",", "PUNCT", ","),
            ("who", 3, "nsubj", "WP", "PRON", "who"),
            ("assassinated", 0, "relcl", "VBD", "VERB", "assassinate"),
            ("Lincoln", 3, "dobj", "NNP", "PROPN", "Lincoln"),
            (",", 0, "punct", ",", "PUNCT", ","),
            ("was", 6, "ROOT", "VBD", "AUX", "be"),
        ],
        ents=[(0, 1, "PERSON"), (4, 5, "PERSON")],
    )
    assert ("Booth", "killed", "Lincoln") in relations(doc)


def test_wrong_direction_does_not_match():
    # "Lincoln assassinated nobody": no PERSON object, no fact.
    doc = make_doc(
        [
            ("Lincoln", 1, "nsubj", "NNP", "PROPN", "Lincoln"),
            ("assassinated", 1, "ROOT", "VBD", "VERB", "assassinate"),
            ("nobody", 1, "dobj", "NN", "PRON", "nobody"),
        ],
        ents=[(0, 1, "PERSON")],
    )
    assert not relations(doc)


def test_based_in_on_a_noun_does_not_reach_the_sentence_subject():
    # "VW will share software through a venture based in Palo Alto": the venture is based there, not VW
    doc = make_doc(
        [("VW", 1, "nsubj", "NNP", "PROPN", "VW"), ("shares", 1, "ROOT", "VBZ", "VERB", "share"),
         ("through", 1, "prep", "IN", "ADP", "through"), ("a", 4, "det", "DT", "DET", "a"),
         ("venture", 2, "pobj", "NN", "NOUN", "venture"), ("based", 4, "acl", "VBN", "VERB", "base"),
         ("in", 5, "prep", "IN", "ADP", "in"), ("Palo", 8, "compound", "NNP", "PROPN", "Palo"),
         ("Alto", 6, "pobj", "NNP", "PROPN", "Alto")],
        ents=[(0, 1, "ORG"), (7, 9, "GPE")],
    )
    assert not any(r == "basedIn" and h == "VW" for h, r, _ in relations(doc))
    # ... while "VW is based in Wolfsburg" still is one
    doc = make_doc(
        [("VW", 2, "nsubjpass", "NNP", "PROPN", "VW"), ("is", 2, "auxpass", "VBZ", "AUX", "be"),
         ("based", 2, "ROOT", "VBN", "VERB", "base"), ("in", 2, "prep", "IN", "ADP", "in"),
         ("Wolfsburg", 3, "pobj", "NNP", "PROPN", "Wolfsburg")],
        ents=[(0, 1, "ORG"), (4, 5, "GPE")],
    )
    assert ("VW", "basedIn", "Wolfsburg") in relations(doc)


def test_declared_the_outbreak_an_emergency_is_enacted_by_the_declarer():
    # "HHS declared the outbreak a public health emergency."
    doc = make_doc(
        [
            ("HHS", 1, "nsubj", "NNP", "PROPN", "HHS"),
            ("declared", 1, "ROOT", "VBD", "VERB", "declare"),
            ("the", 3, "det", "DT", "DET", "the"),
            ("outbreak", 7, "nsubj", "NN", "NOUN", "outbreak"),
            ("a", 7, "det", "DT", "DET", "a"),
            ("public", 6, "amod", "JJ", "ADJ", "public"),
            ("health", 7, "compound", "NN", "NOUN", "health"),
            ("emergency", 1, "ccomp", "NN", "NOUN", "emergency"),
        ],
        ents=[(0, 1, "ORG"), (5, 8, "POLICY")],
    )
    assert ("emergency", "enactedBy", "HHS") in relations(doc)  # the policy's head token


def test_a_listed_person_with_an_own_place_does_not_take_the_first_ones():
    # "Senators Rubio of Florida and Lee of Utah spoke."
    doc = make_doc(
        [
            ("Senators", 1, "compound", "NNS", "NOUN", "senator"),
            ("Rubio", 8, "nsubj", "NNP", "PROPN", "Rubio"),
            ("of", 1, "prep", "IN", "ADP", "of"),
            ("Florida", 2, "pobj", "NNP", "PROPN", "Florida"),
            ("and", 1, "cc", "CC", "CCONJ", "and"),
            ("Lee", 1, "conj", "NNP", "PROPN", "Lee"),
            ("of", 5, "prep", "IN", "ADP", "of"),
            ("Utah", 6, "pobj", "NNP", "PROPN", "Utah"),
            ("spoke", 8, "ROOT", "VBD", "VERB", "speak"),
        ],
        ents=[(1, 2, "PERSON"), (3, 4, "GPE"), (5, 6, "PERSON"), (7, 8, "GPE")],
    )
    found = {f for f in relations(doc) if f[1] == "livesIn"}
    assert found == {("Rubio", "livesIn", "Florida"), ("Lee", "livesIn", "Utah")}


def test_a_relative_clause_belongs_to_its_own_noun_not_to_the_list_it_sits_in():
    # "Jack Ruby, who killed Oswald, and Jim Bakker were clients."
    doc = make_doc(
        [
            ("Jack", 1, "compound", "NNP", "PROPN", "Jack"),
            ("Ruby", 11, "nsubj", "NNP", "PROPN", "Ruby"),
            (",", 1, "punct", ",", "PUNCT", ","),
            ("who", 4, "nsubj", "WP", "PRON", "who"),
            ("killed", 1, "relcl", "VBD", "VERB", "kill"),
            ("Oswald", 4, "dobj", "NNP", "PROPN", "Oswald"),
            (",", 1, "punct", ",", "PUNCT", ","),
            ("and", 1, "cc", "CC", "CCONJ", "and"),
            ("Jim", 9, "compound", "NNP", "PROPN", "Jim"),
            ("Bakker", 1, "conj", "NNP", "PROPN", "Bakker"),
            ("were", 11, "aux", "VBD", "AUX", "be"),
            ("clients", 11, "ROOT", "NNS", "NOUN", "client"),
        ],
        ents=[(0, 2, "PERSON"), (5, 6, "PERSON"), (8, 10, "PERSON")],
    )
    found = {f for f in relations(doc) if f[1] == "killed"}
    assert found == {("Ruby", "killed", "Oswald")}


def test_a_wife_named_in_a_list_of_the_family_is_the_only_spouse():
    # "Imus is survived by his wife Deirdre, his son Wyatt, and daughters Nadine and Toni."
    doc = make_doc(
        [
            ("Imus", 2, "nsubjpass", "NNP", "PROPN", "Imus"),
            ("is", 2, "auxpass", "VBZ", "AUX", "be"),
            ("survived", 2, "ROOT", "VBN", "VERB", "survive"),
            ("by", 2, "agent", "IN", "ADP", "by"),
            ("his", 5, "poss", "PRP$", "PRON", "his"),
            ("wife", 3, "pobj", "NN", "NOUN", "wife"),
            ("Deirdre", 5, "appos", "NNP", "PROPN", "Deirdre"),
            (",", 6, "punct", ",", "PUNCT", ","),
            ("his", 9, "poss", "PRP$", "PRON", "his"),
            ("son", 6, "conj", "NN", "NOUN", "son"),
            ("Wyatt", 6, "conj", "NNP", "PROPN", "Wyatt"),
            (",", 6, "punct", ",", "PUNCT", ","),
            ("and", 6, "cc", "CC", "CCONJ", "and"),
            ("daughters", 6, "conj", "NNS", "NOUN", "daughter"),
            ("Nadine", 6, "conj", "NNP", "PROPN", "Nadine"),
            ("and", 14, "cc", "CC", "CCONJ", "and"),
            ("Toni", 14, "conj", "NNP", "PROPN", "Toni"),
            (".", 2, "punct", ".", "PUNCT", "."),
        ],
        ents=[(0, 1, "PERSON"), (6, 7, "PERSON"), (10, 11, "PERSON"), (14, 15, "PERSON"), (16, 17, "PERSON")],
    )
    spouses = {(h, t) for h, r, t in relations(doc) if r == "spouse"}
    assert spouses == {("his", "Deirdre")}
