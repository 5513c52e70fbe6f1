"""Does each fact cite text that names both its ends? And is any direct triple supported by leads only?

    python benchmarks/evidence.py OUT        # OUT: the output folder of a kg build (e.g. of ../shared/corpus/wikinews)

For every asserted fact between two entities (a kg:Assertion whose status is not "uncertain" and
whose object is an entity), the cited text is kg:startChar..kg:endChar of its article; the fact
cites both ends when each end has a mention (kg:Mentions offsets of that article: a name, an
alias, or a pronoun or description a fact was read through) inside it. Prints the share, the
facts per pattern that do not, and the direct triples that only uncertain assertions support.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.store import KGStore  # noqa: E402

FACTS = """
SELECT ?a ?s ?o ?art ?start ?end ?pattern WHERE {
  ?a a kg:Assertion ; rdf:subject ?s ; rdf:object ?o ; kg:status ?status ; prov:wasDerivedFrom ?art ;
     kg:startChar ?start ; kg:endChar ?end ; kg:pattern ?pattern .
  FILTER(?status != "uncertain" && isIRI(?o) && STRSTARTS(STR(?o), STR(id:)))
}"""
MENTIONS = "SELECT ?e ?art ?offsets WHERE { ?m a kg:Mentions ; kg:entity ?e ; prov:wasDerivedFrom ?art ; kg:offsets ?offsets }"
LEADS_ONLY = """
SELECT (COUNT(*) AS ?n) WHERE {
  ?s ?p ?o . ?p a owl:ObjectProperty .
  FILTER EXISTS { ?a a kg:Assertion ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o }
  FILTER NOT EXISTS { ?b a kg:Assertion ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; kg:status ?st FILTER(?st != "uncertain") }
}"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="output folder of a kg build")
    args = ap.parse_args()
    with KGStore.for_reading(args.out) as store:
        mentions: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for e, art, offsets in store.sparql(MENTIONS)[2]:
            mentions[(e, art)] = [tuple(map(int, x.split("-"))) for x in offsets.split()]
        total, good, bad = 0, 0, Counter()
        for _, s, o, art, start, end, pattern in store.sparql(FACTS)[2]:
            start, end = int(start), int(end)

            def named(e):
                return any(start <= a and b <= end for a, b in mentions.get((e, art), ()))

            total += 1
            if named(s) and named(o):
                good += 1
            else:
                bad[pattern] += 1
        leads_only = int(store.sparql(LEADS_ONLY)[2][0][0])
    print(f"asserted facts between two entities: {total}; citing text that names both ends: {good} ({good / max(total, 1):.1%})")
    print("not naming both, by pattern: " + ", ".join(f"{p} {n}" for p, n in bad.most_common(12)))
    print(f"direct triples that only uncertain assertions support: {leads_only}")


if __name__ == "__main__":
    main()
