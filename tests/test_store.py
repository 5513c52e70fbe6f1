"""The on-disk store flushes its recent writes as it goes, so a long build's memory stays flat."""

from rdflib import Literal, URIRef

import kg.store as store_module
from kg.store import KGStore


class _Counting:
    """Oxigraph's Store with its flushes counted (its own class cannot be patched)."""

    def __init__(self, inner):
        self.inner, self.flushes = inner, 0

    def flush(self):
        self.flushes += 1
        self.inner.flush()

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _triples(n, start=0):
    return [(URIRef(f"https://example.org/s{i}"), URIRef("https://example.org/p"), Literal(f"v{i}")) for i in range(start, start + n)]


def test_an_on_disk_store_flushes_every_so_many_quads(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "FLUSH_QUADS", 100)
    with KGStore.for_writing(tmp_path) as s:
        s.ox = counting = _Counting(s.ox)
        for k in range(5):
            s.add_triples(_triples(60, 60 * k))
        assert counting.flushes == 2  # after 120 and after 240 quads; 60 are still in memory
        assert len(counting.inner) == 300
        s.ox = counting.inner
        del counting  # the store's last other reference: closing it closes its files
    with KGStore.for_reading(tmp_path) as s:
        assert len(s.ox) == 300


def test_a_memory_store_never_flushes(monkeypatch):
    monkeypatch.setattr(store_module, "FLUSH_QUADS", 10)
    s = KGStore.memory()
    s.ox = counting = _Counting(s.ox)
    s.add_triples(_triples(50))
    assert counting.flushes == 0 and len(counting.inner) == 50
