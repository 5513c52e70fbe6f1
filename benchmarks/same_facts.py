"""Does this checkout extract the same facts as an earlier commit? For each gold file's texts, the
entities (label, class), the direct triples of every relation and every assertion (subject, relation,
object, status, confidence, sentence, offset) as each side builds them, compared; the differences listed.

    python benchmarks/same_facts.py REV [GOLD.jsonl ...]    # default: the four dev/gold files in ../shared/eval

Made for moves that must not change what kg writes (a refactor of the pipeline, of the store).
Bookkeeping triples (article nodes, kg:Mentions, kg:Build) are left out: those may change by design.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT.parent / "shared" / "eval"
DEFAULT = ["business_dev.jsonl", "news_gold.jsonl", "conll04_dev.jsonl", "dwie_dev.jsonl"]
DUMP = r'''
import json, sys
from kg.articles import Article
from kg.builder import build_into
from kg.ontology import load_ontology
from kg.store import KGStore
docs = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
store = KGStore.memory()
build_into(store, [Article.from_text(d["text"], path=d.get("id", f"doc-{i}")) for i, d in enumerate(docs)])
relations = {str(r.iri) for r in load_ontology().relations.values()}
lines = {f"fact {s.n3()} {p.n3()} {o.n3()}" for s, p, o in store.triples() if str(p) in relations}
for query, tag in (("SELECT ?s ?p ?o ?st ?c ?sent ?start WHERE { ?x a kg:Assertion ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; "
                    "kg:status ?st ; kg:confidence ?c ; kg:sentence ?sent ; kg:startChar ?start }", "assertion"),
                   ("SELECT ?e ?l ?t WHERE { ?e kg:matchKey ?k ; rdfs:label ?l ; a ?t }", "entity")):
    lines |= {tag + " " + " | ".join(row) for row in store.sparql(query)[2]}
sys.stdout.write("\n".join(sorted(lines)))
'''


def facts(source: Path, gold: Path) -> set[str]:
    r = subprocess.run([sys.executable, "-c", DUMP, str(gold)], cwd=source, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{source}: {r.stderr.strip()[-500:]}")
    return set(r.stdout.splitlines())


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    rev, golds = sys.argv[1], [Path(p) for p in sys.argv[2:]] or [GOLD / name for name in DEFAULT]
    with tempfile.TemporaryDirectory(prefix="kg-same-") as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(old), rev], check=True, capture_output=True)
        try:
            differ = False
            for gold in golds:
                a, b = facts(old, gold), facts(ROOT, gold)
                print(f"{gold.name}: {len(b)} lines, " + ("identical" if a == b else f"{len(a - b)} only at {rev}, {len(b - a)} only here"))
                for line in sorted(a - b)[:10]:
                    print(f"  - {line[:200]}")
                for line in sorted(b - a)[:10]:
                    print(f"  + {line[:200]}")
                differ |= a != b
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], capture_output=True)
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
