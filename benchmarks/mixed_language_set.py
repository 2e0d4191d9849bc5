"""Build a mixed-language dev set: one base of English, Polish and Dutch articles, as a multilingual team has.

Usage: python benchmarks/mixed_language_set.py ../shared/eval/dev OUT_DIR
       python -m kb eval OUT_DIR --json
Merges three dev sets into one BEIR folder: the cross-lingual set (Danish, Dutch, Polish and Finnish questions,
English answers), allegro-pl (Polish questions and answers) and vac-nl (Dutch). Every document names its own
language. A Polish question whose answer is English now meets 921 Polish articles on other subjects, which e5
rates higher for sharing the question's language; a Polish question whose answer is Polish meets 2,364 English
ones. Query ids keep their set as a prefix (x:, pl:, nl:), so figures can be read per set. Nothing is copied
into the project: the folder is made from ../shared/eval/dev each time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SETS = (("crosslingual", "en", "x"), ("allegro-pl", "pl", "pl"), ("vac-nl", "nl", "nl"))


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build(dev: Path, out: Path) -> tuple[int, int]:
    """Write the merged corpus, queries and judgments; returns (documents, queries)."""
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    corpus, queries, qrels = [], [], ["query-id\tcorpus-id\tscore"]
    for name, language, prefix in SETS:
        corpus += [{**doc, "_id": f"{language}:{doc['_id']}", "language": language}
                   for doc in _lines(dev / name / "corpus.jsonl")]
        queries += [{**query, "_id": f"{prefix}:{query['_id']}"} for query in _lines(dev / name / "queries.jsonl")]
        for row in (dev / name / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]:
            query, doc, score = row.split("\t")
            qrels.append(f"{prefix}:{query}\t{language}:{doc}\t{score}")
    (out / "corpus.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in corpus), "utf-8")
    (out / "queries.jsonl").write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries), "utf-8")
    (out / "qrels" / "test.tsv").write_text("\n".join(qrels) + "\n", encoding="utf-8")
    (out / "meta.json").write_text(json.dumps({"lang": "en", "source": "crosslingual + allegro-pl + vac-nl"}))
    return len(corpus), len(queries)


if __name__ == "__main__":
    documents, questions = build(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{documents} documents, {questions} queries in {sys.argv[2]}")
