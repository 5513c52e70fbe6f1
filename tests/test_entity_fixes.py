"""Entity fixes on hand-built Docs: boundaries and head-word types, independent of the model."""

from spacy.tokens import Span

from kg.nlp.entities import _clean_boundaries, _common_words, _described, _head_types, _join_dangling, _lone_names, _no_diseases
from kg.nlp.lexicon import lexicon

from helpers import make_doc

TITLES = lexicon()["titles"] | lexicon()["title_heads"]
KINDS = {w: k for k, words in lexicon()["descriptor_nouns"].items() if k != "_about" for w in words}
HEADS = {w: k for k, words in lexicon()["name_heads"].items() if k != "_about" for w in words}


def _ents(doc, spans):
    return [(e.text, e.label_) for e in spans]


def test_common_word_or_title_before_a_name_is_cut_off():
    # "said attorney Tom Muri": the NER took the occupation into the name
    doc = make_doc(
        [("said", 0, "ROOT", "VBD", "VERB", "say"), ("attorney", 3, "compound", "NN", "NOUN", "attorney"),
         ("Tom", 3, "compound", "NNP", "PROPN", "Tom"), ("Muri", 0, "nsubj", "NNP", "PROPN", "Muri")],
        ents=[(1, 4, "PERSON")],
    )
    assert _ents(doc, _clean_boundaries(doc, list(doc.ents), TITLES)) == [("Tom Muri", "PERSON")]


def test_sentence_initial_occupation_is_cut_off_but_name_particles_stay():
    doc = make_doc(
        [("Composer", 1, "compound", "NNP", "PROPN", "Composer"), ("Thomas", 2, "nsubj", "NNP", "PROPN", "Thomas"),
         ("met", 2, "ROOT", "VBD", "VERB", "meet"), ("de", 4, "compound", "NNP", "PROPN", "de"),
         ("Klerk", 2, "dobj", "NNP", "PROPN", "Klerk")],
        ents=[(0, 2, "PERSON"), (3, 5, "PERSON")],
    )
    assert _ents(doc, _clean_boundaries(doc, list(doc.ents), TITLES)) == [("Thomas", "PERSON"), ("de Klerk", "PERSON")]


def test_head_word_sets_the_kind_of_a_multiword_name():
    doc = make_doc(
        [("Custer", 2, "compound", "NNP", "PROPN", "Custer"), ("National", 2, "compound", "NNP", "PROPN", "National"),
         ("Forest", 3, "nsubj", "NNP", "PROPN", "Forest"), ("borders", 3, "ROOT", "VBZ", "VERB", "border"),
         ("Oberlin", 5, "compound", "NNP", "PROPN", "Oberlin"), ("College", 3, "dobj", "NNP", "PROPN", "College"),
         ("and", 5, "cc", "CC", "CCONJ", "and"), ("Soviet", 8, "compound", "NNP", "PROPN", "Soviet"),
         ("Union", 5, "conj", "NNP", "PROPN", "Union")],
        ents=[(0, 3, "ORG"), (4, 6, "PERSON"), (7, 9, "GPE")],
    )
    fixed = _head_types([Span(doc, e.start, e.end, label=e.label_) for e in doc.ents], HEADS)
    assert _ents(doc, fixed) == [("Custer National Forest", "LOC"), ("Oberlin College", "ORG"), ("Soviet Union", "GPE")]


def test_head_word_leaves_single_words_and_agreeing_labels_alone():
    doc = make_doc(
        [("Forest", 1, "nsubj", "NNP", "PROPN", "Forest"), ("won", 1, "ROOT", "VBD", "VERB", "win"),
         ("in", 1, "prep", "IN", "ADP", "in"), ("Cameron", 4, "compound", "NNP", "PROPN", "Cameron"),
         ("Parish", 2, "pobj", "NNP", "PROPN", "Parish")],
        ents=[(0, 1, "PERSON"), (3, 5, "GPE")],
    )
    fixed = _head_types([Span(doc, e.start, e.end, label=e.label_) for e in doc.ents], HEADS)
    assert _ents(doc, fixed) == [("Forest", "PERSON"), ("Cameron Parish", "GPE")]


def test_rule_span_cutting_across_a_model_name_is_dropped():
    # the named-law rule sees "Rep. Bill" as a bill; the model's PERSON "Bill Nelson" stays
    import spacy

    from kg.nlp.entities import EntityFixer

    doc = make_doc(
        [("Rep.", 2, "compound", "NNP", "PROPN", "Rep."), ("Bill", 2, "compound", "NNP", "PROPN", "Bill"),
         ("Nelson", 3, "nsubj", "NNP", "PROPN", "Nelson"), ("flew", 3, "ROOT", "VBD", "VERB", "fly")],
        ents=[(1, 3, "PERSON")],
    )
    fixer = EntityFixer(spacy.blank("en", vocab=doc.vocab), "kg_entities", None)
    assert [(e.text, e.label_) for e in fixer(doc).ents] == [("Bill Nelson", "PERSON")]


def test_a_known_place_inside_a_longer_model_name_keeps_the_name():
    # "Virginia" and "California" are in the alias table; the model's longer names win
    import spacy

    from kg.nlp.entities import EntityFixer

    words = ["Virginia", "Towle", "moved", "to", "Southern", "California", "from", "Salem", ",", "Virginia"]
    rows = [(w, 2, "dep", "NNP", "PROPN", w) for w in words]
    doc = make_doc(rows, ents=[(0, 2, "PERSON"), (4, 6, "LOC"), (7, 10, "GPE")])
    fixer = EntityFixer(spacy.blank("en", vocab=doc.vocab), "kg_entities", None)
    got = [(e.text, e.label_) for e in fixer(doc).ents]
    # ... but "Salem, Virginia" is still a city and its state
    assert got == [("Virginia Towle", "PERSON"), ("Southern California", "LOC"), ("Salem", "GPE"), ("Virginia", "GPE")]


def test_a_name_after_an_inner_abbreviated_title_starts_after_it():
    doc = make_doc(
        [("Illinois", 3, "compound", "NNP", "PROPN", "Illinois"), ("Gov.", 3, "compound", "NNP", "PROPN", "Gov."),
         ("James", 3, "compound", "NNP", "PROPN", "James"), ("Thompson", 4, "nsubj", "NNP", "PROPN", "Thompson"),
         ("spoke", 4, "ROOT", "VBD", "VERB", "speak")],
        ents=[(0, 4, "PERSON")],
    )
    assert _ents(doc, _clean_boundaries(doc, list(doc.ents), TITLES)) == [("James Thompson", "PERSON")]


def test_a_name_cut_after_of_is_joined_to_the_next_name():
    from kg.nlp.entities import _join_dangling

    words = ["in", "the", "Sea", "of", "Japan", "and", "Bank", "of"]
    rows = [(w, 0, "dep", "NNP", "PROPN", w) for w in words]
    doc = make_doc(rows, ents=[(2, 4, "LOC"), (4, 5, "GPE"), (6, 8, "ORG")])
    assert _ents(doc, _join_dangling(list(doc.ents))) == [("Sea of Japan", "LOC"), ("Bank", "ORG")]


def test_a_persons_surname_is_tagged_where_it_recurs_alone():
    from kg.nlp.entities import _propagate

    words = ["RJ", "Scaringe", "spoke", ".", "Scaringe", "founded", "it", "in", "Washington", "."]
    rows = [(w, 2, "dep", "NNP" if w[0].isupper() else "VBD", "PROPN" if w[0].isupper() else "VERB", w) for w in words]
    doc = make_doc(rows, ents=[(0, 2, "PERSON"), (8, 9, "GPE")])
    got = _ents(doc, _propagate(doc, list(doc.ents), known={"Washington": ("GPE", "City")}))
    assert got == [("RJ Scaringe", "PERSON"), ("Scaringe", "PERSON"), ("Washington", "GPE")]


def test_a_person_cut_after_a_name_particle_is_joined():
    from kg.nlp.entities import _join_dangling

    words = ["Ursula", "von", "der", "Leyen", "spoke"]
    rows = [(w, 4, "dep", "NNP", "PROPN", w) for w in words]
    doc = make_doc(rows, ents=[(0, 3, "PERSON"), (3, 4, "GPE")])
    assert _ents(doc, _join_dangling(list(doc.ents))) == [("Ursula von der Leyen", "PERSON")]


def test_a_lone_name_where_only_a_company_fits_is_an_organisation():
    from kg.nlp.entities import _company_contexts

    contexts = {k: frozenset(v) for k, v in lexicon()["company_contexts"].items() if k != "_about"}
    doc = make_doc(
        [("Chevron", 1, "nsubj", "NNP", "PROPN", "Chevron"), ("completed", 1, "ROOT", "VBD", "VERB", "complete"),
         ("its", 3, "poss", "PRP$", "PRON", "its"), ("acquisition", 1, "dobj", "NN", "NOUN", "acquisition"),
         ("of", 3, "prep", "IN", "ADP", "of"), ("Hess", 4, "pobj", "NNP", "PROPN", "Hess"),
         ("and", 1, "cc", "CC", "CCONJ", "and"), ("thanked", 1, "conj", "VBD", "VERB", "thank"),
         ("Wirth", 7, "dobj", "NNP", "PROPN", "Wirth")],
        ents=[(0, 1, "ORG"), (5, 6, "PERSON"), (8, 9, "PERSON")],
    )
    assert _ents(doc, _company_contexts(doc, list(doc.ents), contexts)) == [("Chevron", "ORG"), ("Hess", "ORG"), ("Wirth", "PERSON")]


def test_an_untagged_name_in_a_company_slot_becomes_an_organisation():
    from kg.nlp.entities import _company_contexts

    contexts = {k: frozenset(v) for k, v in lexicon()["company_contexts"].items() if k != "_about"}
    doc = make_doc(
        [("It", 1, "nsubj", "PRP", "PRON", "it"), ("partnered", 1, "ROOT", "VBD", "VERB", "partner"),
         ("with", 1, "prep", "IN", "ADP", "with"), ("Accenture", 2, "pobj", "NN", "NOUN", "accenture"),
         ("in", 1, "prep", "IN", "ADP", "in"), ("Dublin", 4, "pobj", "NNP", "PROPN", "Dublin")],
    )
    assert _ents(doc, _company_contexts(doc, [], contexts)) == [("Accenture", "ORG")]


def test_a_lone_surname_of_a_person_named_in_full_votes_person():
    from kg.nlp.entities import _vote

    words = ["Mark", "Carney", "met", "Lutnick", ".", "Carney", "flew", "home", "."]
    rows = [(w, 2, "dep", "NNP" if w[0].isupper() else "VBD", "PROPN" if w[0].isupper() else "VERB", w) for w in words]
    doc = make_doc(rows, ents=[(0, 2, "PERSON"), (3, 4, "PERSON"), (5, 6, "GPE")])
    assert _ents(doc, _vote(list(doc.ents), known={})) == [("Mark Carney", "PERSON"), ("Lutnick", "PERSON"), ("Carney", "PERSON")]


def test_a_headline_name_does_not_keep_the_blank_lines_after_it():
    doc = make_doc(
        [("deal", 0, "ROOT", "NN", "NOUN", "deal"), ("for", 0, "prep", "IN", "ADP", "for"),
         ("Ansys", 1, "pobj", "NNP", "PROPN", "Ansys"), ("\n\n", 2, "dep", "_SP", "SPACE", "\n\n")],
        ents=[(2, 4, "ORG")],
    )
    assert _ents(doc, _clean_boundaries(doc, list(doc.ents), TITLES)) == [("Ansys", "ORG")]


def test_lone_word_person_that_the_article_puts_somewhere_is_a_place():
    # "Plants in Damietta and Idku. Smith met Anna Smith in Idku.": Smith is explained by a full name
    doc = make_doc(
        [("Plants", 0, "ROOT", "NNS", "NOUN", "plant"), ("in", 0, "prep", "IN", "ADP", "in"),
         ("Damietta", 1, "pobj", "NNP", "PROPN", "Damietta"), ("and", 2, "cc", "CC", "CCONJ", "and"),
         ("Idku", 2, "conj", "NNP", "PROPN", "Idku"), (".", 0, "punct", ".", "PUNCT", "."),
         ("Smith", 7, "nsubj", "NNP", "PROPN", "Smith"), ("met", 7, "ROOT", "VBD", "VERB", "meet"),
         ("Anna", 9, "compound", "NNP", "PROPN", "Anna"), ("Smith", 7, "dobj", "NNP", "PROPN", "Smith"),
         ("in", 7, "prep", "IN", "ADP", "in"), ("Idku", 10, "pobj", "NNP", "PROPN", "Idku")],
        ents=[(2, 3, "PERSON"), (4, 5, "PERSON"), (6, 7, "PERSON"), (8, 10, "PERSON"), (11, 12, "PERSON")],
    )
    fixed = _lone_names(list(doc.ents), {}, TITLES)
    assert _ents(doc, fixed) == [("Damietta", "GPE"), ("Idku", "GPE"), ("Smith", "PERSON"), ("Anna Smith", "PERSON"), ("Idku", "GPE")]


def test_a_one_word_name_the_article_also_writes_in_lower_case_is_a_common_word():
    doc = make_doc(
        [("Battle", 1, "nsubj", "NNP", "PROPN", "Battle"), ("rages", 1, "ROOT", "VBZ", "VERB", "rage"),
         ("as", 3, "mark", "IN", "SCONJ", "as"), ("battle", 1, "advcl", "NN", "NOUN", "battle"),
         ("nears", 3, "ROOT", "VBZ", "VERB", "near"), ("Paris", 4, "dobj", "NNP", "PROPN", "Paris")],
        ents=[(0, 1, "PERSON"), (5, 6, "GPE")],
    )
    assert _ents(doc, _common_words(doc, list(doc.ents), {})) == [("Paris", "GPE")]


def test_two_halves_of_an_organisation_name_are_joined_but_not_across_a_verb():
    league = make_doc(
        [("League", 0, "ROOT", "NNP", "PROPN", "League"), ("for", 0, "prep", "IN", "ADP", "for"), ("the", 3, "det", "DT", "DET", "the"),
         ("Defence", 1, "pobj", "NNP", "PROPN", "Defence"), ("of", 3, "prep", "IN", "ADP", "of"), ("Rights", 4, "pobj", "NNP", "PROPN", "Rights")],
        ents=[(0, 1, "ORG"), (3, 6, "ORG")],
    )
    assert _ents(league, _join_dangling(list(league.ents))) == [("League for the Defence of Rights", "ORG")]
    sued = make_doc(
        [("Apple", 1, "nsubj", "NNP", "PROPN", "Apple"), ("sued", 1, "ROOT", "VBD", "VERB", "sue"), ("Google", 1, "dobj", "NNP", "PROPN", "Google"),
         ("for", 1, "prep", "IN", "ADP", "for"), ("the", 5, "det", "DT", "DET", "the"), ("Agency", 3, "pobj", "NNP", "PROPN", "Agency")],
        ents=[(0, 1, "ORG"), (2, 3, "ORG"), (5, 6, "ORG")],
    )
    assert _ents(sued, _join_dangling(list(sued.ents))) == [("Apple", "ORG"), ("Google", "ORG"), ("Agency", "ORG")]


def test_lone_word_person_that_reports_is_an_outlet():
    doc = make_doc(
        [("Rudaw", 1, "nsubj", "NNP", "PROPN", "Rudaw"), ("reported", 1, "ROOT", "VBD", "VERB", "report"),
         ("that", 4, "mark", "IN", "SCONJ", "that"), ("Smith", 4, "nsubj", "NNP", "PROPN", "Smith"), ("resigned", 1, "ccomp", "VBD", "VERB", "resign")],
        ents=[(0, 1, "PERSON"), (3, 4, "PERSON")],
    )
    assert _ents(doc, _lone_names(list(doc.ents), {}, TITLES)) == [("Rudaw", "ORG"), ("Smith", "PERSON")]


def test_a_name_described_by_a_common_noun_takes_its_kind():
    # "UpGuard, a cybersecurity firm, told Greek daily Kathimerini of the Karish and Tanin fields."
    doc = make_doc(
        [("UpGuard", 5, "nsubj", "NNP", "PROPN", "UpGuard"), (",", 0, "punct", ",", "PUNCT", ","), ("a", 4, "det", "DT", "DET", "a"),
         ("cybersecurity", 4, "compound", "NN", "NOUN", "cybersecurity"), ("firm", 0, "appos", "NN", "NOUN", "firm"),
         ("told", 5, "ROOT", "VBD", "VERB", "tell"), ("Greek", 8, "amod", "JJ", "ADJ", "greek"), ("daily", 8, "amod", "RB", "ADV", "daily"),
         ("Kathimerini", 5, "dobj", "NNP", "PROPN", "Kathimerini"), ("of", 8, "prep", "IN", "ADP", "of"), ("the", 14, "det", "DT", "DET", "the"),
         ("Karish", 14, "nmod", "NNP", "PROPN", "Karish"), ("and", 11, "cc", "CC", "CCONJ", "and"), ("Tanin", 11, "conj", "NNP", "PROPN", "Tanin"),
         ("fields", 9, "pobj", "NNS", "NOUN", "field")],
        ents=[(0, 1, "PERSON"), (8, 9, "PERSON"), (11, 12, "NORP"), (13, 14, "PERSON")],
    )
    fixed = _described(list(doc.ents), {}, KINDS)
    assert [(e.text, e.label_, e._.kg_class) for e in fixed] == [
        ("UpGuard", "ORG", "Company"), ("Kathimerini", "ORG", "MediaOutlet"), ("Karish", "GPE", "Place"), ("Tanin", "GPE", "Place")]


def test_a_person_is_not_described_by_a_noun_they_modify_or_a_title():
    # "the daily Trump briefing" (Trump modifies briefing); "Smith, a lawyer" (not a kind of organisation)
    doc = make_doc(
        [("the", 3, "det", "DT", "DET", "the"), ("daily", 3, "amod", "JJ", "ADJ", "daily"), ("Trump", 3, "compound", "NNP", "PROPN", "Trump"),
         ("briefing", 3, "ROOT", "NN", "NOUN", "briefing"), ("with", 3, "prep", "IN", "ADP", "with"), ("Smith", 4, "pobj", "NNP", "PROPN", "Smith"),
         (",", 5, "punct", ",", "PUNCT", ","), ("a", 8, "det", "DT", "DET", "a"), ("lawyer", 5, "appos", "NN", "NOUN", "lawyer")],
        ents=[(2, 3, "PERSON"), (5, 6, "PERSON")],
    )
    assert _ents(doc, _described(list(doc.ents), {}, KINDS)) == [("Trump", "PERSON"), ("Smith", "PERSON")]


def test_a_person_name_after_the_is_an_organisation():
    doc = make_doc(
        [("According", 0, "ROOT", "VBG", "VERB", "accord"), ("to", 0, "prep", "IN", "ADP", "to"), ("the", 4, "det", "DT", "DET", "the"),
         ("Cyprus", 4, "compound", "NNP", "PROPN", "Cyprus"), ("Mail", 1, "pobj", "NNP", "PROPN", "Mail")],
        ents=[(3, 5, "PERSON")],
    )
    assert [(e.text, e.label_) for e in _described(list(doc.ents), {}, KINDS)] == [("Cyprus Mail", "ORG")]


def test_a_lone_word_that_starts_an_organisation_name_is_that_organisation():
    # "Germany banned Mahan Air. Mahan flies to Syria."
    doc = make_doc(
        [("Germany", 1, "nsubj", "NNP", "PROPN", "Germany"), ("banned", 1, "ROOT", "VBD", "VERB", "ban"),
         ("Mahan", 3, "compound", "NNP", "PROPN", "Mahan"), ("Air", 1, "dobj", "NNP", "PROPN", "Air"), (".", 1, "punct", ".", "PUNCT", "."),
         ("Mahan", 6, "nsubj", "NNP", "PROPN", "Mahan"), ("flies", 6, "ROOT", "VBZ", "VERB", "fly")],
        ents=[(0, 1, "GPE"), (2, 4, "ORG"), (5, 6, "PERSON")],
    )
    assert _ents(doc, _lone_names(list(doc.ents), {}, TITLES)) == [("Germany", "GPE"), ("Mahan Air", "ORG"), ("Mahan", "ORG")]


def test_a_lone_person_the_gazetteer_lists_as_a_place_is_a_place_unless_a_full_name_explains_it():
    # "Koblenz voted. Anna Sydney met Sharm el-Sheikh officials. Sydney spoke."
    doc = make_doc(
        [("Koblenz", 1, "nsubj", "NNP", "PROPN", "Koblenz"), ("voted", 1, "ROOT", "VBD", "VERB", "vote"),
         ("Anna", 3, "compound", "NNP", "PROPN", "Anna"), ("Sydney", 4, "nsubj", "NNP", "PROPN", "Sydney"),
         ("met", 4, "ROOT", "VBD", "VERB", "meet"), ("Sharm", 6, "compound", "NNP", "PROPN", "Sharm"),
         ("el-Sheikh", 7, "compound", "NNP", "PROPN", "el-Sheikh"), ("officials", 4, "dobj", "NNS", "NOUN", "official"),
         ("Sydney", 9, "nsubj", "NNP", "PROPN", "Sydney"), ("spoke", 9, "ROOT", "VBD", "VERB", "speak")],
        ents=[(0, 1, "PERSON"), (2, 4, "PERSON"), (5, 7, "PERSON"), (8, 9, "PERSON")],
    )
    places = frozenset({"Koblenz", "Sydney", "Sharm el-Sheikh"})
    assert _ents(doc, _lone_names(list(doc.ents), {}, TITLES, places)) == [
        ("Koblenz", "GPE"), ("Anna Sydney", "PERSON"), ("Sharm el-Sheikh", "GPE"), ("Sydney", "PERSON")]
    assert _ents(doc, _lone_names(list(doc.ents), {}, TITLES)) == [
        ("Koblenz", "PERSON"), ("Anna Sydney", "PERSON"), ("Sharm el-Sheikh", "PERSON"), ("Sydney", "PERSON")]


def test_a_rule_needs_every_required_token_and_optional_ones_do_not_count():
    from kg.nlp.entities import _required_words

    pattern = [
        {"TAG": {"IN": ["JJ", "NN"]}, "LOWER": {"NOT_IN": ["new"]}, "OP": "*"},
        {"LOWER": {"IN": ["ban", "tariff"]}},
        {"ORTH": "Act", "OP": "?"},
        {"ORTH": {"IN": ["of", "on"]}, "OP": "+"},
    ]
    assert _required_words(pattern) == [("LOWER", frozenset({"ban", "tariff"})), ("ORTH", frozenset({"of", "on"}))]


def test_rules_matched_one_by_one_still_find_their_names():
    from kg.nlp.entities import EntityFixer

    class _NLP:
        vocab = make_doc([("x", 0, "ROOT", "NN", "NOUN", "x")]).vocab

        @staticmethod
        def make_doc(text):
            from spacy.tokens import Doc

            return Doc(_NLP.vocab, words=text.split())

    fixer = EntityFixer(_NLP(), "kg_entities", None)
    # "Russia imposed martial law ." — the martial-law rule fires; a text without 'martial' skips it
    doc = make_doc(
        [
            ("Russia", 1, "nsubj", "NNP", "PROPN", "Russia"),
            ("imposed", 1, "ROOT", "VBD", "VERB", "impose"),
            ("martial", 3, "amod", "JJ", "ADJ", "martial"),
            ("law", 1, "dobj", "NN", "NOUN", "law"),
            (".", 1, "punct", ".", "PUNCT", "."),
        ],
        ents=[(0, 1, "GPE")],
    )
    found = {(doc.vocab.strings[k], s, e) for k, s, e in fixer._rule_matches(doc)}
    assert ("POLICY.martial-law.v1", 2, 4) in found
    other = make_doc([("Russia", 1, "nsubj", "NNP", "PROPN", "Russia"), ("slept", 1, "ROOT", "VBD", "VERB", "sleep")])
    assert list(fixer._rule_matches(other)) == []


def test_an_amount_keeps_its_currency_sign_and_drops_its_hedge():
    from kg.nlp.entities import _amounts_and_tickers

    # "raised about $ 350 million": the model left '$' outside and took 'about' in
    doc = make_doc(
        [("Acme", 1, "nsubj", "NNP", "PROPN", "Acme"), ("raised", 1, "ROOT", "VBD", "VERB", "raise"),
         ("about", 3, "advmod", "RB", "ADV", "about"), ("$", 5, "nmod", "$", "SYM", "$"), ("350", 5, "compound", "CD", "NUM", "350"),
         ("million", 1, "dobj", "CD", "NUM", "million")],
        ents=[(0, 1, "ORG"), (2, 3, "MONEY")],
    )
    doc.ents = [Span(doc, 0, 1, "ORG"), Span(doc, 2, 6, "MONEY")]
    ents, tickers = _amounts_and_tickers(doc, list(doc.ents), {})
    assert _ents(doc, ents) == [("Acme", "ORG"), ("$ 350 million", "MONEY")] and tickers == []
    # the sign outside the model's span
    doc.ents = [Span(doc, 0, 1, "ORG"), Span(doc, 4, 6, "MONEY")]
    ents, _ = _amounts_and_tickers(doc, list(doc.ents), {})
    assert _ents(doc, ents) == [("Acme", "ORG"), ("$ 350 million", "MONEY")]


def test_a_ticker_after_a_company_is_one_of_its_names_not_a_company():
    from kg.nlp.entities import _amounts_and_tickers

    # "Apple Inc. ( AAPL ) and Microsoft MSFT agreed"
    words = ["Apple", "Inc.", "(", "AAPL", ")", "and", "Microsoft", "MSFT", "agreed", ",", "said", "Al", "Jazeera", "TV"]
    rows = [(w, 8, "dep", "NNP", "PROPN", w) for w in words]
    rows[8] = ("agreed", 8, "ROOT", "VBD", "VERB", "agree")
    doc = make_doc(rows, ents=[(0, 2, "ORG"), (3, 4, "ORG"), (6, 8, "ORG"), (11, 14, "ORG")])
    ents, tickers = _amounts_and_tickers(doc, list(doc.ents), {})
    assert _ents(doc, ents) == [("Apple Inc.", "ORG"), ("Microsoft", "ORG"), ("Al Jazeera TV", "ORG")]  # TV: two letters, kept
    assert [t.text for t in tickers] == ["MSFT", "AAPL"]


def _brand_doc(words, ents):
    rows = [(w, 0, "dep", "NNP", "PROPN", w) for w in words]
    rows[0] = (words[0], 0, "ROOT", "NNP", "PROPN", words[0])
    return make_doc(rows, ents=ents)


def test_a_company_name_followed_by_more_name_is_its_product():
    from kg.nlp.entities import _brand_products

    # "Apple Inc. unveiled ... Apple said the Apple Watch and the HomePod 2 ..."
    words = ["Apple", "Inc.", "unveiled", "it", ".", "Apple", "said", "the", "Apple", "Watch", "sold", "."]
    doc = _brand_doc(words, [(0, 2, "ORG"), (5, 6, "ORG"), (8, 10, "ORG")])
    out = _brand_products(doc, list(doc.ents), [], {}, HEADS)
    assert [(e.text, e.label_, e._.kg_class) for e in out][-1] == ("Apple Watch", "PRODUCT", "Product")


def test_a_longer_name_met_first_or_a_unit_or_a_headline_is_no_product():
    from kg.nlp.entities import _brand_products

    # 'Lockheed Martin' first, 'Lockheed' later: a short form, not a brand
    words = ["Lockheed", "Martin", "Inc.", "rose", ".", "Lockheed", "said", "so", "."]
    doc = _brand_doc(words, [(0, 3, "ORG"), (5, 6, "ORG")])
    assert all(e.label_ == "ORG" for e in _brand_products(doc, list(doc.ents), [], {}, HEADS))
    # a unit of the company ('Bloomberg Intelligence') stays an organisation
    words = ["Bloomberg", "Inc.", "said", ".", "Bloomberg", "said", "Bloomberg", "Intelligence", "agreed", "."]
    doc = _brand_doc(words, [(0, 2, "ORG"), (4, 5, "ORG"), (6, 8, "ORG")])
    assert all(e.label_ == "ORG" for e in _brand_products(doc, list(doc.ents), [], {}, HEADS))


def _two_lines(headline: list[str], prose: list[str]):
    from spacy.tokens import Doc

    words = headline + prose
    return Doc(make_doc([("x", 0, "ROOT", "NN", "NOUN", "x")]).vocab, words=words,
               sent_starts=[True] + [False] * (len(headline) - 1) + [True] + [False] * (len(prose) - 1))


def test_a_person_met_only_in_a_title_case_headline_is_no_person():
    from kg.nlp.entities import _headline_people

    # "Chinese Bitcoin Miners Pivot to US Soil" over a sentence that names nobody of that name
    doc = _two_lines(["Chinese", "Bitcoin", "Miners", "Pivot", "to", "US", "Soil"], ["Bitmain", "said", "that", "Irene", "Gao", "would", "lead"])
    doc.ents = [Span(doc, 2, 4, "PERSON"), Span(doc, 10, 12, "PERSON")]
    assert [e.text for e in _headline_people(doc, list(doc.ents))] == ["Irene Gao"]


def test_a_headline_person_the_prose_names_and_a_credit_line_stay():
    from kg.nlp.entities import _headline_people

    doc = _two_lines(["Gao", "Leads", "Bitmain", "Into", "Texas"], ["Bitmain", "said", "that", "Irene", "Gao", "would", "lead"])
    doc.ents = [Span(doc, 0, 1, "PERSON"), Span(doc, 8, 10, "PERSON")]
    assert [e.text for e in _headline_people(doc, list(doc.ents))] == ["Gao", "Irene Gao"]
    doc = _two_lines(["Reporting", "by", "Aaron", "Sheldrick", "Editing", "by", "Kenneth", "Maxwell"], ["Oil", "prices", "rose", "sharply"])
    doc.ents = [Span(doc, 2, 4, "PERSON"), Span(doc, 6, 8, "PERSON")]
    assert len(_headline_people(doc, list(doc.ents))) == 2


def test_entity_fixes_are_registered_and_chosen_by_config():
    """Each fix is a registered function the component runs in order; its config picks them."""
    import pytest
    import spacy

    import kg.nlp.entities as entities

    assert set(entities.FIXES) == set(entities.entity_fixes.get_all())

    def lone_title(config: dict) -> list[str]:
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        fixer = nlp.add_pipe("kg_entities", config=config)
        doc = nlp.get_pipe("sentencizer")(nlp.make_doc("The Chairman spoke."))
        doc.ents = [Span(doc, 1, 2, label="PERSON")]
        return [e.text for e in fixer(doc).ents]

    assert lone_title({}) == []  # by default every fix runs: a title alone is no person
    assert lone_title({"fixes": [f for f in entities.FIXES if f != "no_lone_titles"]}) == ["Chairman"]
    with pytest.raises(ValueError, match="no entity fix named nope"):
        spacy.blank("en").add_pipe("kg_entities", config={"fixes": ["nope"]})


def test_a_disease_or_an_outbreak_is_no_entity_but_a_foundation_named_after_one_is():
    doc = make_doc(
        [("COVID-19", 3, "nsubj", "NNP", "PROPN", "COVID-19"), ("and", 0, "cc", "CC", "CCONJ", "and"),
         ("Ebola", 0, "conj", "NNP", "PROPN", "Ebola"), ("hit", 3, "ROOT", "VBD", "VERB", "hit"),
         ("AIDS", 6, "compound", "NNP", "PROPN", "AIDS"), ("Healthcare", 6, "compound", "NNP", "PROPN", "Healthcare"),
         ("Foundation", 3, "dobj", "NNP", "PROPN", "Foundation"), ("during", 3, "prep", "IN", "ADP", "during"),
         ("Zika", 9, "compound", "NNP", "PROPN", "Zika"), ("Outbreak", 7, "pobj", "NNP", "PROPN", "Outbreak"),
         ("at", 3, "prep", "IN", "ADP", "at"), ("Infectious", 12, "compound", "NNP", "PROPN", "Infectious"),
         ("Diseases", 10, "pobj", "NNP", "PROPN", "Diseases")],
        ents=[(0, 1, "GPE"), (2, 3, "PERSON"), (4, 7, "ORG"), (8, 10, "LOC"), (11, 13, "ORG")],
    )
    kept = _no_diseases([Span(doc, e.start, e.end, label=e.label_) for e in doc.ents], lexicon()["diseases"])
    assert _ents(doc, kept) == [("AIDS Healthcare Foundation", "ORG"), ("Infectious Diseases", "ORG")]


def test_a_name_with_digits_read_as_a_person_is_an_organisation():
    from kg.nlp.entities import entity_fixes

    doc = make_doc(
        [("8chan", 1, "nsubj", "NNP", "PROPN", "8chan"), ("hosted", 1, "ROOT", "VBD", "VERB", "host"),
         ("Jim", 3, "compound", "NNP", "PROPN", "Jim"), ("Watkins", 1, "dobj", "NNP", "PROPN", "Watkins")],
        ents=[(0, 1, "PERSON"), (2, 4, "PERSON")],
    )
    fixed = entity_fixes.get("digits_not_people")(None, doc, list(doc.ents), {})
    assert _ents(doc, fixed) == [("8chan", "ORG"), ("Jim Watkins", "PERSON")]
