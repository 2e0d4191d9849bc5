"""How far can per-query fusion weighting go on a dev set? Prints the production hybrid and its ceilings.

Usage: python benchmarks/fusion_ceiling.py ../shared/eval/dev/crosslingual [--model multilingual-e5-small]
Runs each query once through the engines (the production SearchEngine methods, the dictionary
translation included), then scores: the production hybrid, each engine alone, and an *oracle* that picks
the best keyword weight and translated share per query from a grid. The oracle is not a method (it reads
the judgments); it bounds every rule that only re-weights these runs, so a target above it needs a better
run, not a better weighting.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.config import load_settings
from kb.evaluation import build_workspace, load_dataset, score_run
from kb.index.base import Filters, Hit
from kb.query_text import digest
from kb.search import SearchEngine

WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)
SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)  # of each translated run (keyword, semantic), where the query has them
METRICS = ("ndcg@10", "recall@10")


def _ranked(engine: SearchEngine, keyword: list[Hit], semantic: list[Hit], weight: float,
            translated: Sequence[Sequence[Hit]] = ((), (), ()), share: float | None = None) -> list[int]:
    """Article ranking of the production fusion at a given keyword weight (and translated runs' share)."""
    production = engine.config
    if share is not None:
        engine.config = replace(production, translated_weight=share, translated_semantic_weight=share)
    try:
        return engine._fuse(keyword, semantic, {}, weight, translated)[0][:100]
    finally:
        engine.config = production


def _scores(ranked: list[int], doc_ids: dict[int, str], relevant: set[str]) -> dict[str, float]:
    return score_run([doc_ids[a] for a in ranked], relevant)


def measure(folder: Path, model: str | None) -> dict[str, dict[str, float]]:
    """Mean nDCG@10 / Recall@10 of hybrid, keyword, semantic and the per-query weight oracle."""
    dataset = load_dataset(folder)
    base = load_settings()
    base = base.with_overrides(cache_dir=base.cache_dir or Path.home() / ".cache" / "kb",
                               embedding_model=model or base.embedding_model)
    totals = {name: dict.fromkeys(METRICS, 0.0) for name in ("hybrid", "keyword", "semantic", "oracle")}
    with tempfile.TemporaryDirectory(prefix="kb-ceiling-") as tmp:
        kb, doc_ids = build_workspace(dataset, base, Path(tmp))
        try:
            engine = kb.search
            for query in dataset.queries:
                text, relevant = query["text"], dataset.qrels[query["_id"]]
                keyword = engine._keyword(text, Filters(), None, ())
                translated_keyword, sentence, _ = engine._translated(text, Filters(), None, True)
                semantic, translated_semantic, companion = engine._semantic([digest(text)], Filters(), sentence)
                translated = (translated_keyword, translated_semantic, companion)
                weight = (engine.keyword_weight(text, keyword) if keyword and semantic  # as SearchEngine.search
                          else engine.config.keyword_weight)
                runs = {"hybrid": _ranked(engine, keyword, semantic, weight, translated),
                        "keyword": _ranked(engine, keyword, [], engine.config.keyword_weight, (translated[0], (), ())),
                        "semantic": _ranked(engine, [], semantic, 0.0)}
                for name, ranked in runs.items():
                    for metric, value in _scores(ranked, doc_ids, relevant).items():
                        if metric in METRICS:
                            totals[name][metric] += value
                grid = [_scores(_ranked(engine, keyword, semantic, w, translated, t), doc_ids, relevant)
                        for w in WEIGHTS for t in (SHARES if translated[0] else (0.0,))]
                for metric in METRICS:  # each metric's own best weight: an upper bound for both
                    totals["oracle"][metric] += max(s[metric] for s in grid)
        finally:
            kb.close()
    n = max(1, len(dataset.queries))
    return {name: {m: round(v / n, 4) for m, v in row.items()} for name, row in totals.items()}


def main() -> None:
    """Print one line per run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    for name, row in measure(args.dataset, args.model).items():
        print(f"{args.dataset.name:<14} {name:<9} " + "  ".join(f"{m} {v:.4f}" for m, v in row.items()))


if __name__ == "__main__":
    main()
