"""Offline fusion tuning on a dev set: run the engines once per query, then score fusion variants.

Usage: python benchmarks/tune_fusion.py ../shared/eval/dev/orsharc [--model multilingual-e5-small]
Collects per query the keyword and semantic article scores (and a pseudo-relevance-feedback semantic run),
caches them under /tmp, and prints nDCG@10 for a grid of fusion variants. Tune on dev sets only.
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.config import load_settings
from kb.evaluation import build_workspace, load_dataset, score_run
from kb.fusion import convex_combination, max_normalise, reciprocal_rank_fusion, top_keys
from kb.index.base import Filters
from kb.index.base import best_per_article as _rollup
from kb.ticket_cleaning import clean_ticket


def collect(folder: Path, model: str, tickets: bool) -> dict:
    dataset = load_dataset(folder)
    base = load_settings()
    base = base.with_overrides(cache_dir=base.cache_dir or Path.home() / ".cache" / "kb", embedding_model=model)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        kb, doc_ids = build_workspace(dataset, base, Path(tmp))
        engine, semantic = kb.search, kb.indexes.semantic
        for q in dataset.queries:
            text = q["text"]
            exact: tuple[str, ...] = ()
            if tickets:
                cleaned = clean_ticket(text)
                text, exact = "\n".join(p for p in (cleaned.subject, cleaned.text) if p), cleaned.search_terms
            k_hits = engine._keyword(text, Filters(), None, exact)
            vec = kb.indexes.embedder.embed_queries([text])[0]
            s_hits = semantic.search(vec, limit=100)
            s_scores = _rollup(s_hits)[0]
            run = {"qid": q["_id"], "k": _rollup(k_hits)[0], "s": s_scores,
                   "kcov": {h.article_id: len(h.matched_terms) for h in k_hits}}
            top = top_keys(s_scores, 3)
            for beta in (0.3, 0.6, 1.0):  # pseudo-relevance feedback: move the query towards its best articles
                if top:
                    pv = vec + beta * np.mean([semantic.article_vector(a) for a in top], axis=0)
                    pv = (pv / np.linalg.norm(pv)).astype(np.float32)
                    run[f"prf{beta}"] = _rollup(semantic.search(pv, limit=100))[0]
            runs.append(run)
        kb.close()
    return {"runs": runs, "doc_ids": doc_ids, "qrels": dataset.qrels}


def ndcg(data: dict, fuse) -> float:
    total = 0.0
    for r in data["runs"]:
        ranked = [data["doc_ids"][a] for a in fuse(r)[:100]]
        total += score_run(ranked, data["qrels"][r["qid"]])["ndcg@10"]
    return total / len(data["runs"])


def variants() -> dict:
    out = {"keyword": lambda r: top_keys(r["k"], 100), "semantic": lambda r: top_keys(r["s"], 100)}
    for beta in (0.3, 0.6, 1.0):
        out[f"semantic prf{beta}"] = lambda r, b=beta: top_keys(r.get(f"prf{b}", r["s"]), 100)
    for wk, ws in [(1, 1), (0.5, 1), (0.3, 1), (1, 0.5)]:
        out[f"rrf k=60 w={wk},{ws}"] = lambda r, wk=wk, ws=ws: top_keys(reciprocal_rank_fusion(
            [top_keys(r["k"], 100), top_keys(r["s"], 100)], [wk, ws]), 100)
    for alpha, floor, key in itertools.product((0.1, 0.15, 0.2, 0.3), (0.6, 0.7, 0.8), ("s", "prf0.3", "prf0.6")):
        def convex(r, alpha=alpha, floor=floor, key=key):
            s = {a: max(0.0, v - floor) / (1 - floor) for a, v in r.get(key, r["s"]).items()}
            return top_keys(convex_combination([max_normalise(r["k"]), s], [alpha, 1 - alpha]), 100)
        out[f"convex a={alpha} floor={floor} {key}"] = convex
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--tickets", action="store_true", help="clean queries as tickets first")
    args = parser.parse_args()
    cache = Path(f"/tmp/tune-{args.dataset.name}-{args.model}.pkl")
    data = pickle.loads(cache.read_bytes()) if cache.exists() else collect(args.dataset, args.model, args.tickets)
    cache.write_bytes(pickle.dumps(data))
    for name, fuse in variants().items():
        print(f"{args.dataset.name:<13} {name:<32} nDCG@10 {ndcg(data, fuse):.4f}", flush=True)


if __name__ == "__main__":
    main()
