"""A bulk import by another process while this one searches (e5): search latency during the catch-up.

Usage: KB_CACHE_DIR=~/.cache/kb python benchmarks/backlog_catch_up.py [SEED] [inline]
Imports the shipped content, then 40 synthetic articles through a second knowledge base (as `kb import` in
another process would), and searches once every 0.2 s until this process has indexed them. Two seconds in, this
process saves an article of its own and times the save until a search finds it. `inline` measures the behaviour
before the background catch-up: the first search that sees the backlog embeds it.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.bench import synthetic_article  # noqa: E402
from kb.config import load_settings  # noqa: E402
from kb.content_io import import_directory  # noqa: E402
from kb.index import manager  # noqa: E402
from kb.knowledge_base import open_knowledge_base  # noqa: E402

BACKLOG = 40


def main(seed: int, inline: bool) -> dict:
    """One run: the figures of the searches made while the backlog was indexed."""
    if inline:
        manager.INLINE_CHANGES = 10**9
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings().with_overrides(
            database_url=f"sqlite:///{tmp}/kb.sqlite", index_dir=Path(tmp) / "index", instance_dir=Path(tmp) / "i",
            auto_import=False, embedding_model="multilingual-e5-small")
        kb = open_knowledge_base(settings)
        import_directory(kb.store, ROOT / "content")
        other = open_knowledge_base(settings, with_search=False)
        rng = random.Random(seed)
        with other.store.batch():
            for n in range(BACKLOG):
                other.store.create({**synthetic_article(rng, 10_000 + n), "status": "published"}, author="cli:root")
        other.close()
        latencies, started, saved_ms = [], time.perf_counter(), None
        while not latencies or kb.indexes.catching_up():
            if saved_ms is None and kb.indexes.catching_up() and time.perf_counter() - started > 2:
                saved_ms = save_and_find(kb, rng, seed)
            kb.indexes._checked = 0.0  # every search may sync, as after the sync interval
            began = time.perf_counter()
            kb.search.search("printer prints blank receipts")
            latencies.append((time.perf_counter() - began) * 1000)
            time.sleep(0.2)
        kb.close()
    return {"mode": "inline" if inline else "background", "backlog_articles": BACKLOG,
            "searches": len(latencies), "p50_ms": round(statistics.median(latencies), 1),
            "max_ms": round(max(latencies), 1), "indexed_after_s": round(time.perf_counter() - started, 1),
            "own_save_searchable_ms": saved_ms}


def save_and_find(kb, rng: random.Random, seed: int) -> float | None:
    """Milliseconds from this process's save to a search that finds it (keyword and semantic), or None."""
    began = time.perf_counter()
    article = synthetic_article(rng, 99_000 + seed)
    kb.store.create({**article, "body": f"zzsaved{seed}\n\n{article['body']}", "status": "published"}, author="bench")
    keyword = kb.search.search(f"zzsaved{seed}", mode="keyword").results
    semantic = kb.search.search(article["title"], mode="semantic").results
    found = keyword and semantic and semantic[0].title == article["title"]
    return round((time.perf_counter() - began) * 1000, 1) if found else None


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 7, "inline" in sys.argv[2:])))
