"""kg: English news articles → a knowledge graph of companies, people and policies (RDF).

The library API; `import kg` loads no model and no spaCy (names resolve on first use)::

    import kg
    summary = kg.build(["data/articles"], "out")        # again later: changed files replace, --prune forgets
    kg.forget(["2019-01-04_magnitogorsk.txt"], "out")   # withdraw an article
    with kg.KGStore.for_reading("out") as store:
        variables, rows = kg.run_query(store, "SELECT ?p ?o WHERE { ?p kg:worksFor ?o }")
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"
# Names differ from the submodules (kg.export, kg.evaluate) so that importing one never shadows the API.
__all__ = ["build", "build_into", "forget", "load_pipeline", "KGStore", "open_store", "run_query", "export_graph", "render_html", "evaluate_gold", "load_ontology", "Article", "KGError"]

_HOME = {
    "build": "kg.builder",
    "build_into": "kg.builder",
    "forget": "kg.builder",
    "load_pipeline": "kg.nlp.pipeline",
    "KGStore": "kg.store",
    "open_store": "kg.store",
    "run_query": "kg.query",
    "export_graph": ("kg.export", "export"),
    "render_html": "kg.render",
    "evaluate_gold": ("kg.evaluate", "evaluate"),
    "load_ontology": "kg.ontology",
    "Article": "kg.articles",
    "KGError": "kg.errors",
}


def __getattr__(name: str):
    if name in _HOME:
        module, attr = _HOME[name] if isinstance(_HOME[name], tuple) else (_HOME[name], name)
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'kg' has no attribute {name!r}")
