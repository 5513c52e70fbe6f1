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


def test_parse_batches_are_capped_by_size_so_long_articles_do_not_pile_up():
    from kg.extract import batches

    pieces = [("x" * n, i) for i, n in enumerate([10, 10, 10, 40_000, 30_000, 70_000, 5, 5])]
    sizes = [[len(t) for t, _ in b] for b in batches(iter(pieces), batch_size=3, max_chars=50_000)]
    assert sizes == [[10, 10, 10], [40_000], [30_000], [70_000], [5, 5]]  # a piece longer than the cap goes alone
    assert [i for b in batches(iter(pieces), 3, 50_000) for _, i in b] == list(range(8))  # order kept
