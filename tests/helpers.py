"""Build spaCy Docs by hand (words, heads, deps, tags, entities) so patterns are tested without a model."""

from __future__ import annotations

from spacy.tokens import Doc, Span
import spacy

_VOCAB = spacy.blank("en").vocab  # English lexical attributes (LOWER, LIKE_NUM) without a model


def make_doc(rows: list[tuple], ents: list[tuple[int, int, str]] = ()) -> Doc:
    """rows: (word, head index, dep, tag, pos, lemma); ents: (start, end, label) token spans."""
    words = [r[0] for r in rows]
    doc = Doc(
        _VOCAB,
        words=words,
        heads=[r[1] for r in rows],
        deps=[r[2] for r in rows],
        tags=[r[3] for r in rows],
        pos=[r[4] for r in rows],
        lemmas=[r[5] for r in rows],
        sent_starts=[True] + [False] * (len(words) - 1),
    )
    doc.ents = [Span(doc, s, e, label=label) for s, e, label in ents]
    return doc


def relations(doc: Doc) -> set[tuple[str, str, str]]:
    """Run the pattern component on a hand-made Doc; (head text, relation, tail text or literal)."""
    from kg.nlp.relations import RelationExtractor

    class _NLP:
        vocab = doc.vocab

    ext = RelationExtractor(_NLP(), "kg_relations")
    ext(doc)
    out = set()
    for m in doc._.kg_relations:
        tail = doc[m["tail"]].text if m["tail"] is not None else m["literal"]
        out.add((doc[m["head"]].text, m["relation"], tail))
    return out


def page_data(page: str) -> dict:
    """The data a graph.html page draws (nodes, edges, legend, relations, first, isolated)."""
    import json
    import re

    return json.loads(re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', page, re.S).group(1))


def start_serve(*options: str):
    """`kg serve --port 0 OPTIONS` as its own process, answering: (process, base URL, port)."""
    import re
    import subprocess
    import sys
    import time
    import urllib.request

    proc = subprocess.Popen([sys.executable, "-c", "from kg.cli import cli; cli()", "serve", "--port", "0", *map(str, options)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # 'kg: serving GRAPH-OR-STORE-URL at http://127.0.0.1:PORT/'
    m = re.search(r" at http://127\.0\.0\.1:(\d+)/", line)
    assert m, line + (proc.stderr.read() if proc.poll() is not None else "")
    base = f"http://127.0.0.1:{m.group(1)}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/api/search?q=a", timeout=5).read()
            break
        except OSError:
            time.sleep(0.1)
    return proc, base, int(m.group(1))


BUILD_PREFIX = "https://w3id.org/kg-news/id/build/"
WAS_GENERATED_BY = "http://www.w3.org/ns/prov#wasGeneratedBy"


def content(triples) -> set:
    """A graph's triples with its build records aside (kg:Build nodes and the links to them differ
    from run to run by their time): what two builds of the same articles must agree on."""
    return {t for t in triples if not str(t[0]).startswith(BUILD_PREFIX) and str(t[1]) != WAS_GENERATED_BY}
