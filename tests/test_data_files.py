"""The data files agree with each other: patterns ↔ ontology ↔ styles ↔ alias table."""


import pytest
import srsly

from kg.nlp.lexicon import PATTERN_DIR
from kg.ontology import load_ontology

ONT = load_ontology()
ROWS = [row for p in sorted(PATTERN_DIR.glob("*.jsonl")) if p.name != "entities.jsonl" for row in srsly.read_jsonl(p)]


def test_every_pattern_names_an_ontology_relation():
    for row in ROWS:
        assert row["relation"] in ONT.relations, row["id"]
        for rels in (row.get("relation_by_tail_class") or {}).values():
            assert set(rels) <= set(ONT.relations), row["id"]


def test_pattern_ids_are_unique_and_versioned():
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids))
    assert all(i.startswith(r["relation"] + ".") and i.endswith(".v1") for i, r in zip(ids, ROWS))


def test_every_relation_has_patterns_label_comment_domain():
    covered = {r["relation"] for r in ROWS} | {"jobTitle"} | {
        v for r in ROWS for vs in (r.get("relation_by_tail_class") or {}).values() for v in vs
    }
    for name, rel in ONT.relations.items():
        assert name in covered, f"no pattern extracts {name}"
        assert rel.label and rel.comment and rel.domain, name
        assert all(d in ONT.classes for d in rel.domain | rel.range), name


def test_every_class_has_a_style():
    for name in ONT.classes:
        colour, shape = ONT.style(name)
        assert colour.startswith("#") and shape, name


def test_alias_table_classes_exist_and_forms_are_unambiguous():
    forms = {}
    for k in ONT.known:
        assert k.cls in ONT.classes, k.name
        for f in (k.name, *k.aliases):
            assert forms.setdefault(f, k.name) == k.name, f"{f} names both {forms[f]} and {k.name}"


def test_us_forms_are_one_node():
    names = {f: k.name for k in ONT.known for f in (k.name, *k.aliases)}
    assert {names[f] for f in ("US", "U.S.", "USA", "America", "United States")} == {"United States"}


@pytest.mark.model
@pytest.mark.parametrize("row", [r for r in ROWS if r["examples"]], ids=lambda r: r["id"])
def test_pattern_examples_really_match(nlp, row):
    """Each example sentence a pattern carries yields the fact it names, after resolution and typing."""
    from kg.resolve import normalise

    for ex in row["examples"]:
        doc = nlp(ex["text"])
        ents, facts = doc._.entities, doc._.facts

        def names(key):
            e = ents.get(key)
            return {normalise(a) for a in (e.aliases | {e.label})} if e else set()

        wanted_rel = {row["relation"]} | {r for rs in (row.get("relation_by_tail_class") or {}).values() for r in rs}
        hit = [
            f for f in facts
            if f.relation in wanted_rel
            and (
                (normalise(ex["head"]) in names(f.head) or ex["head"].lower() in {"his", "her"})
                and (normalise(ex["tail"]) in names(f.tail) if f.tail else normalise(ex["tail"]) == normalise(f.literal))
                or ONT.relations[f.relation].symmetric
                and normalise(ex["head"]) in names(f.tail)
                and normalise(ex["tail"]) in names(f.head)
            )
        ]
        assert hit, (ex["text"], [(f.head, f.relation, f.tail or f.literal) for f in facts])


ENTITY_ROWS = list(srsly.read_jsonl(PATTERN_DIR / "entities.jsonl"))


@pytest.mark.model
@pytest.mark.parametrize("row", ENTITY_ROWS, ids=lambda r: r["id"])
def test_entity_pattern_examples_really_match(nlp, row):
    """Each entity rule's example sentences come out of the pipeline with an entity of the rule's label
    that the rule produced."""
    assert row["examples"], row["id"]
    for text in row["examples"]:
        doc = nlp(text)
        found = [e for e in doc.ents if e.label_ == row["label"] and e._.kg_pattern == row["id"]]
        assert found, (text, [(e.text, e.label_, e._.kg_pattern) for e in doc.ents])


def test_training_sentences_name_no_person_or_company_of_the_bundled_article():
    """The written training data must not teach the article's own names (the article is an eval text)."""
    from kg.training import NEWS_RELATIONS, NEWS_SENTENCES

    article = next((PATTERN_DIR.parent.parent.parent / "data" / "articles").glob("*.txt")).read_text(encoding="utf-8")
    for path in (NEWS_SENTENCES, NEWS_RELATIONS):
        rows = list(srsly.read_jsonl(path))
        assert rows
        for row in rows:
            for e in row["entities"]:
                assert row["text"][e["start"] : e["end"]] == e["text"], (path.name, row["id"], e)
                if e["type"] in {"PERSON", "ORG"}:
                    assert e["text"] not in article, (path.name, row["id"], e["text"])
            for r in row["relations"]:
                assert row["entities"][r["head_idx"]]["text"] == r["head"] and row["entities"][r["tail_idx"]]["text"] == r["tail"]


@pytest.mark.model
def test_a_title_of_several_words_stays_out_of_the_name(nlp):
    """'Chief Executive Officer Jan Kowalczyk': the occupation rule starts the name after the last title
    word, not after the first."""
    doc = nlp("Whereas Rivian began the year strong, Chief Executive Officer Jan Kowalczyk is worried about demand.")
    assert [e.text for e in doc.ents if e.label_ == "PERSON"] == ["Jan Kowalczyk"]
