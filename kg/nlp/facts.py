"""The pipeline's last component: a parsed Doc's entities and facts, as kg writes them.

`kg_facts` runs `kg.resolve.Resolver` (mentions clustered into entities, references and pronouns
resolved, titles, credit lines, the learned relation model) and sets `doc._.entities` (entity key →
`kg.types.Entity`) and `doc._.facts` (a list of `kg.types.Fact`). So `kg.load_pipeline()(text)` gives
the facts `kg build` writes for that text; kg's build reads them from there.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

for _name in ("entities", "facts"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


class FactsComponent:
    """Sets doc._.entities and doc._.facts (needs kg_entities and kg_relations before it)."""

    def __init__(self, nlp: Language, name: str):
        from ..resolve import Resolver

        self.name = name
        self.resolver = Resolver()

    def __call__(self, doc: Doc) -> Doc:
        doc._.entities, doc._.facts = self.resolver.resolve(doc)
        return doc


@Language.factory("kg_facts", assigns=["doc._.entities", "doc._.facts"], requires=["doc.ents", "doc._.kg_relations"])
def make_facts(nlp: Language, name: str):
    return FactsComponent(nlp, name)
