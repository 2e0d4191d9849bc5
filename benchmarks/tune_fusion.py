"""Offline fusion tuning on a dev set: run both engines once per query, then score many fusion variants.

Usage: python benchmarks/tune_fusion.py ../shared/eval/dev/orsharc [--model multilingual-e5-small]
Prints nDCG@10 / R@10 per variant. Tune on dev sets only; the defaults in kb/search.py come from here.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.config import load_settings  # noqa: E402
from kb.evaluation import build_workspace, load_dataset, score_run  # noqa: E402
from kb.index.base import Filters  # noqa: E402
from kb.search import FusionConfig  # noqa: E402


def collect(folder: Path, model: str, fetch: int) -> tuple[list, dict]:
    """Per query: (qid, keyword hits, semantic hits); and the article -> doc id map."""
    dataset = load_dataset(folder)
    base = load_settings()
    base = base.with_overrides(cache_dir=base.cache_dir or Path.home() / ".cache" / "kb", embedding_model=model)
    with tempfile.TemporaryDirectory() as tmp:
        kb, doc_ids = build_workspace(dataset, base, Path(tmp))
        engine = kb.search
        engine.config = FusionConfig(fetch=fetch)
        runs = []
        for q in dataset.queries:
            k = engine._keyword(q["text"], Filters(), None, ())
            s = engine._semantic(q["text"], Filters())
            runs.append((q["_id"], [(h.article_id, h.score, len(h.matched_terms)) for h in k],
                         [(h.article_id, h.score) for h in s]))
        kb.close()
    return runs, {"doc_ids": doc_ids, "qrels": dataset.qrels}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--model", default="multilingual-e5-small")
    parser.add_argument("--fetch", type=int, default=100)
    args = parser.parse_args()
    cache = Path(f"/tmp/tune-{args.dataset.name}-{args.model}.pkl")
    if cache.exists():
        runs, info = pickle.loads(cache.read_bytes())
    else:
        runs, info = collect(args.dataset, args.model, args.fetch)
        cache.write_bytes(pickle.dumps((runs, info)))
    print(json.dumps({"dataset": args.dataset.name, "model": args.model, "queries": len(runs)}))


if __name__ == "__main__":
    main()
