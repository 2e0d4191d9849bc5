"""Choose the content-gap clustering threshold per model on the dev sets, and print how well each one groups.

Unanswered queries that need the same article should land in one gap group, others apart. The dev sets
give exactly that: queries sharing a relevant document. For each threshold this prints B-cubed precision,
recall and F1 of the groups (embedded as the gap finder does: passages, through the embedding cache).

    python benchmarks/tune_gap_threshold.py [--model multilingual-e5-small] [--sample 300]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.analytics.cluster import agglomerate
from kb.embeddings import CachedEmbedder, load_embedder

DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "dev"
SETS = ("orsharc", "tickets-en", "feedbackqa", "crosslingual")


def labelled_queries(folder: Path, sample: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """Up to `sample` queries that share their relevant document with another query, and that document."""
    with open(folder / "qrels" / "test.tsv") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))[1:]
    doc_of = {query: doc for query, doc, *_ in rows}
    shared = {doc for doc, n in Counter(doc_of.values()).items() if n >= 2}
    texts = {}
    with open(folder / "queries.jsonl") as handle:
        for line in handle:
            row = json.loads(line)
            if doc_of.get(row["_id"]) in shared:
                texts[row["_id"]] = row["text"]
    ids = sorted(texts)
    rng.shuffle(ids)
    ids = ids[:sample]
    return [texts[i] for i in ids], [doc_of[i] for i in ids]


def b_cubed(groups: list[list[int]], labels: list[str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a grouping against the true labels."""
    group_of = {i: g for g, members in enumerate(groups) for i in members}
    sizes = Counter(labels)
    precision = recall = 0.0
    for members in groups:
        counts = Counter(labels[i] for i in members)
        for i in members:
            precision += counts[labels[i]] / len(members)
            recall += counts[labels[i]] / sizes[labels[i]]
    n = len(group_of)
    p, r = precision / n, recall / n
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def main() -> None:
    """Print one JSON line per data set and threshold, then the best threshold on average."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "kb" / "embedding-cache.sqlite")
    args = parser.parse_args()
    embedder = CachedEmbedder(load_embedder(args.model), args.cache)
    thresholds = [round(t, 2) for t in np.arange(0.70, 0.96, 0.01)] if "e5" in args.model else \
        [round(t, 2) for t in np.arange(0.30, 0.81, 0.025)]
    f1: dict[float, list[float]] = {t: [] for t in thresholds}
    for name in SETS:
        texts, labels = labelled_queries(DEV / name, args.sample, random.Random(7))
        vectors = np.asarray(embedder.embed_passages(texts))
        for t in thresholds:
            p, r, f = b_cubed(agglomerate(vectors, t), labels)
            f1[t].append(f)
            print(json.dumps({"set": name, "threshold": t, "precision": round(p, 3), "recall": round(r, 3),
                              "f1": round(f, 3), "queries": len(texts)}))
    best = max(thresholds, key=lambda t: float(np.mean(f1[t])))
    print(json.dumps({"model": args.model, "best_threshold": best, "mean_f1": round(float(np.mean(f1[best])), 3)}))


if __name__ == "__main__":
    main()
