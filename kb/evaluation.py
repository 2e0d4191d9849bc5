"""Retrieval evaluation on BEIR-format folders, through the same search code the API uses."""

from __future__ import annotations

import json
import math
import statistics
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from kb.config import Settings
from kb.knowledge_base import KnowledgeBase, enable_search, open_knowledge_base
from kb.search import MODES

Ranker = Callable[[str, str], list[int]]  # (query text, mode) -> ranked article ids


@dataclass(frozen=True)
class Dataset:
    """A BEIR folder: documents, queries and graded relevance (binary here)."""

    name: str
    language: str
    corpus: list[dict]
    queries: list[dict]
    qrels: dict[str, set[str]]


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_dataset(folder: Path) -> Dataset:
    """Read corpus.jsonl, queries.jsonl, qrels/test.tsv and meta.json."""
    qrels: dict[str, set[str]] = {}
    for line in (folder / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 3 and float(parts[2]) > 0:
            qrels.setdefault(parts[0], set()).add(parts[1])
    meta_path = folder / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    language = str(meta.get("lang", "en")).split("->")[-1].split(",")[0].strip() or "en"
    queries = [q for q in _jsonl(folder / "queries.jsonl") if q["_id"] in qrels]
    return Dataset(folder.name, language, _jsonl(folder / "corpus.jsonl"), queries, qrels)


def dcg(relevances: Iterable[int]) -> float:
    """Discounted cumulative gain with log2 discount."""
    return sum(rel / math.log2(rank + 2) for rank, rel in enumerate(relevances))


def score_run(ranked: list[str], relevant: set[str]) -> dict[str, float]:
    """nDCG@10, Recall@10, Recall@100 and MRR@10 of one ranked list."""
    gains = [1 if doc in relevant else 0 for doc in ranked[:10]]
    ideal = dcg([1] * min(10, len(relevant)))
    first = next((i for i, g in enumerate(gains) if g), None)
    return {
        "ndcg@10": dcg(gains) / ideal if ideal else 0.0,
        "recall@10": len(set(ranked[:10]) & relevant) / len(relevant),
        "recall@100": len(set(ranked[:100]) & relevant) / len(relevant),
        "mrr@10": 1.0 / (first + 1) if first is not None else 0.0,
    }


def _title(doc: dict) -> str:
    title = (doc.get("title") or "").strip()
    if title:
        return title[:200]
    # Untitled passages show their opening words, as the product would list them.
    words = " ".join(doc.get("text", "").lstrip("# ").split()[:12])
    return words[:200] or doc["_id"]


def build_workspace(dataset: Dataset, base: Settings, folder: Path,
                    progress: Callable[[int, int], None] | None = None) -> tuple[KnowledgeBase, dict[int, str]]:
    """A throw-away knowledge base holding the dataset's corpus as published articles."""
    settings = base.with_overrides(database_url=f"sqlite:///{folder / 'eval.sqlite'}", index_dir=folder / "index",
                                   instance_dir=folder / "instance", auto_import=False)
    kb = open_knowledge_base(settings, with_search=False)
    doc_ids: dict[int, str] = {}
    with kb.store.batch():
        for doc in dataset.corpus:
            # A document may name its own language: a corpus mixing languages, as a team's base does.
            language = doc.get("language") or dataset.language
            article = kb.store.create({"title": _title(doc), "body": doc.get("text", ""), "status": "published",
                                       "language": language, "slug": f"doc-{len(doc_ids) + 1}"},
                                      author="eval")
            doc_ids[article.id] = doc["_id"]
    enable_search(kb, progress=progress)
    if kb.search.translator is not None:  # every query sees every dictionary, as the app does once started
        kb.search.translator.wait_until_loaded()
    return kb, doc_ids


def evaluate(dataset: Dataset, ranker: Ranker, doc_ids: dict[int, str], mode: str,
             tick: Callable[[], None] | None = None) -> dict[str, float | int | str]:
    """Run every query of the dataset in one mode and average the metrics."""
    import time

    totals = {"ndcg@10": 0.0, "recall@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    latencies: list[float] = []
    for query in dataset.queries:
        started = time.perf_counter()
        ranked = [doc_ids[a] for a in ranker(query["text"], mode)[:100]]
        latencies.append((time.perf_counter() - started) * 1000)
        for key, value in score_run(ranked, dataset.qrels[query["_id"]]).items():
            totals[key] += value
        if tick:
            tick()
    n = max(1, len(dataset.queries))
    latencies.sort()
    return {"dataset": dataset.name, "mode": mode, "queries": len(dataset.queries),
            **{k: round(v / n, 4) for k, v in totals.items()},
            "p50_ms": round(statistics.median(latencies), 2) if latencies else 0.0,
            "p95_ms": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 2) if latencies else 0.0}


def search_ranker(kb: KnowledgeBase) -> Ranker:
    """Queries go through the search box's path, exactly like GET /api/v1/search."""
    from kb.pasted_message import search_box

    def rank(text: str, mode: str) -> list[int]:
        return list(search_box(kb.search, text, mode=mode, limit=10).article_ranking)
    return rank


def run_eval(folder: Path, base: Settings, modes: list[str], ranker_factory: Callable[[KnowledgeBase], Ranker],
             progress_factory: Callable[[str, int], Callable[[], None]] | None = None) -> list[dict]:
    """Load the dataset into a temporary workspace, evaluate each mode, and clean up."""
    dataset = load_dataset(folder)
    with tempfile.TemporaryDirectory(prefix="kb-eval-") as tmp:
        kb, doc_ids = build_workspace(dataset, base, Path(tmp))
        try:
            ranker = ranker_factory(kb)
            rows = []
            for mode in modes:
                kb.indexes.embedder.forget_queries()  # each mode pays for its own query encodings
                rows.append(evaluate(dataset, ranker, doc_ids, mode,
                                     progress_factory(mode, len(dataset.queries)) if progress_factory else None))
            return rows
        finally:
            kb.close()


def suggest_ranker(kb: KnowledgeBase) -> Ranker:
    """Queries are tickets: they go through Suggester.rank, exactly like POST /api/v1/suggest."""
    from kb.ticket_cleaning import clean_ticket

    def rank(text: str, mode: str) -> list[int]:
        return list(kb.suggester.rank(clean_ticket(text), limit=10).article_ranking)
    return rank


ALL_MODES = list(MODES)
