"""The small public API: explicit, and nothing heavy at import time."""

import subprocess
import sys


def test_import_kg_loads_no_spacy():
    code = "import sys, kg; assert 'spacy' not in sys.modules and 'rdflib' not in sys.modules; print(sorted(kg.__all__))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_every_public_name_resolves_to_the_api_not_a_module():
    import types

    import kg
    import kg.builder  # noqa: F401  (importing submodules must not shadow the API)
    import kg.evaluate  # noqa: F401
    import kg.export  # noqa: F401

    for name in kg.__all__:
        assert not isinstance(getattr(kg, name), types.ModuleType), name
    assert callable(kg.build) and callable(kg.run_query)
