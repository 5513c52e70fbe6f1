"""Read-only commands never import spaCy: querying, exporting, rendering and serving a graph start at once."""

import subprocess
import sys

import pytest

TTL = ('<https://w3id.org/kg-news/id/person/a> a <https://w3id.org/kg-news/ontology#Person> ; '
       '<http://www.w3.org/2000/01/rdf-schema#label> "Ann" .\n')
PROBE = """
import sys
from kg.cli import cli
try:
    cli(sys.argv[1:])
except SystemExit as e:
    assert not e.code, e.code
print("spacy" in sys.modules, "kg.resolve" in sys.modules)
"""


@pytest.mark.parametrize("args", [
    ["query", "SELECT * WHERE {{ ?s ?p ?o }}", "-g", "{ttl}"],
    ["export", "-g", "{ttl}", "-f", "nt", "-o", "{tmp}/g.nt"],
    ["render", "-g", "{ttl}", "-o", "{tmp}/g.html"],
])
def test_a_read_only_command_imports_no_spacy(tmp_path, args):
    ttl = tmp_path / "g.ttl"
    ttl.write_text(TTL, encoding="utf-8")
    args = [a.format(ttl=ttl, tmp=tmp_path) for a in args]
    r = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "False False"


def test_the_web_app_imports_no_spacy():
    r = subprocess.run([sys.executable, "-c", "import sys; import kg.web.app, kg.store, kg.cli; print('spacy' in sys.modules)"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_exporting_an_output_folder_imports_no_rdflib(tmp_path):
    """`kg export` of a build's folder goes straight through Oxigraph's writer: neither spaCy nor rdflib."""
    import pyoxigraph as ox

    store = ox.Store(str(tmp_path / "store"))
    store.load(TTL.encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.DefaultGraph())
    store.flush()
    del store
    probe = PROBE.replace('print("spacy" in sys.modules, "kg.resolve" in sys.modules)', 'print("spacy" in sys.modules, "rdflib" in sys.modules)')
    r = subprocess.run([sys.executable, "-c", probe, "export", "-g", str(tmp_path), "-f", "nt", "-o", str(tmp_path / "g.nt")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "False False"
    assert "/person/a>" in (tmp_path / "g.nt").read_text(encoding="utf-8")
