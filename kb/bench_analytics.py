"""Analytics bench: what logging adds to a search, and the analytics pages over 1,000,000 logged queries."""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from kb.bench import WORDS, _queries, percentiles, synthetic_article
from kb.config import Settings
from kb.embeddings import FakeEmbedder
from kb.knowledge_base import KnowledgeBase, enable_search, open_knowledge_base
from kb.models import Feedback, QueryLogEntry, SuggestQuery, utcnow
from kb.suggestion_counts import add_counts, count_answers

SPAN_DAYS = 90  # a million queries over the default retention period: ~11,000 a day
MISS_RATE, CLICK_RATE = 0.08, 0.45


def logging_overhead(kb: KnowledgeBase, emit: Callable[[dict], None], searches: int = 300) -> None:
    """GET /api/v1/search with the query log on and off, interleaved in one run, and the INSERT alone."""
    from kb.web import create_app

    client = create_app(knowledge_base=kb).test_client()
    _, secret = kb.tokens.create("bench", "read")
    headers = {"Authorization": f"Bearer {secret}"}
    rng = random.Random(3)
    texts = _queries(rng, searches)
    for q in texts[:20]:
        client.get("/api/v1/search", query_string={"q": q}, headers=headers)
    samples: dict[bool, list[float]] = {True: [], False: []}
    served: dict[bool, list[float]] = {True: [], False: []}  # until the response is closed: the deferred write too
    for n, q in enumerate(texts):
        for enabled in (n % 2 == 0, n % 2 == 1):  # alternate which goes first: caches must not favour either
            kb.analytics.log.enabled = enabled
            started = time.perf_counter()
            response = client.get("/api/v1/search", query_string={"q": q}, headers=headers)
            assert response.status_code == 200 and response.get_data()
            samples[enabled].append((time.perf_counter() - started) * 1000)
            response.close()  # what the WSGI server does after sending: runs the deferred log write
            served[enabled].append((time.perf_counter() - started) * 1000)
    kb.analytics.log.enabled = True
    on, off = percentiles(samples[True]), percentiles(samples[False])
    on_served, off_served = percentiles(served[True]), percentiles(served[False])
    emit({"metric": "search_logging_overhead", "with_log": on, "without_log": off,
          "added_p50_ms": round(on["p50_ms"] - off["p50_ms"], 2),
          "added_p95_ms": round(on["p95_ms"] - off["p95_ms"], 2),
          "added_incl_write_p50_ms": round(on_served["p50_ms"] - off_served["p50_ms"], 2),
          "added_incl_write_p95_ms": round(on_served["p95_ms"] - off_served["p95_ms"], 2),
          "rows_written": _logged(kb), "searches_logged": len(samples[True])})
    inserts = []
    for q in texts:
        started = time.perf_counter()
        kb.analytics.log.record_search(q, mode="hybrid", filters={}, shown=[1, 2, 3], total=3, took_ms=10.0,
                                       actor="bench", source="api")
        inserts.append((time.perf_counter() - started) * 1000)
    emit({"metric": "query_log_insert", **percentiles(inserts)})


def _logged(kb: KnowledgeBase) -> int:
    with kb.db.session() as session:
        return session.scalar(select(func.count()).select_from(QueryLogEntry)) or 0


AGENTS = 200  # who searched: popular searches count people


def fill_log(kb: KnowledgeBase, rows: int, articles: int, rng: random.Random) -> float:
    """Bulk-write `rows` synthetic log rows over SPAN_DAYS (Zipf-like query popularity); returns seconds taken."""
    vocabulary = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 4))) for _ in range(20_000)]
    now = utcnow()
    started = time.perf_counter()
    with kb.db.engine.begin() as connection:
        for start in range(0, rows, 20_000):
            batch = []
            for _ in range(min(20_000, rows - start)):
                query = vocabulary[min(len(vocabulary) - 1, int(rng.paretovariate(1.1)) - 1)]
                at = now - timedelta(seconds=rng.randint(0, SPAN_DAYS * 86400))
                hit = rng.random() > MISS_RATE
                top = rng.randint(1, articles) if hit else None
                clicked = top if hit and rng.random() < CLICK_RATE else None
                batch.append({"id": uuid.uuid4().hex, "at": at, "day": at.date(), "kind": "search", "source": "api",
                              "query": query, "query_key": query, "mode": "hybrid", "filters": {},
                              "shown": [top] if top else [], "result_count": 1 if hit else 0, "top_article_id": top,
                              "abstained": False, "took_ms": 20.0, "actor": f"agent{rng.randrange(AGENTS)}",
                              "clicked_article_id": clicked,
                              "clicked_at": at if clicked else None})
            connection.execute(insert(QueryLogEntry), batch)
        fill_suggestions(connection, rows // 10, articles, now, rng)
    with kb.db.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE") if kb.db.engine.dialect.name == "sqlite" else None
    return time.perf_counter() - started


def fill_suggestions(connection: Any, count: int, articles: int, now: datetime, rng: random.Random) -> None:
    """Helpdesk suggestions beside the searches (one for every ten), with some feedback: drift reads these."""
    outcomes = ("linked", "helpful", "not_related", "did_not_answer")
    for start in range(0, count, 20_000):
        queries, verdicts = [], []
        for _ in range(min(20_000, count - start)):
            at = now - timedelta(seconds=rng.randint(0, SPAN_DAYS * 86400))
            shown = rng.sample(range(1, articles + 1), min(5, articles))
            query_id = uuid.uuid4().hex
            queries.append({"id": query_id, "created_at": at, "token_id": None, "channel": "email",
                            "query_text": "synthetic ticket", "shown": shown, "abstained": rng.random() < 0.1,
                            "top_confidence": rng.random()})
            if rng.random() < 0.3:
                verdicts.append({"query_id": query_id, "article_id": shown[0], "outcome": rng.choice(outcomes),
                                 "ticket_ref": "", "created_at": at})
        connection.execute(insert(SuggestQuery), queries)
        with Session(connection) as session:
            add_counts(session, count_answers((q["created_at"].date(), q["shown"]) for q in queries))
            session.flush()
        if verdicts:
            connection.execute(insert(Feedback), verdicts)


def analytics_page(kb: KnowledgeBase, rows: int, emit: Callable[[dict], None], repeat: int = 5) -> None:
    """The /analytics and /analytics/gaps pages rendered over `rows` logged queries (first view and later ones)."""
    from kb.web import create_app
    from kb.web.analytics_pages import analytics_gaps
    from kb.web.analytics_pages import analytics_page as page

    app = create_app(knowledge_base=kb)
    for name, view, path in (("analytics", page, "/analytics?days=30"), ("analytics_gaps", analytics_gaps,
                                                                         "/analytics/gaps?days=30")):
        samples = []
        for _ in range(repeat):
            # The view itself (queries + template), without sign-in: the page as a reviewer gets it.
            with app.test_request_context(path):
                started = time.perf_counter()
                html = view()
                samples.append((time.perf_counter() - started) * 1000)
        emit({"metric": "page", "page": name, "logged_queries": rows, "first_ms": round(samples[0], 1),
              **percentiles(samples[1:]), "bytes": len(html)})


def popular_searches(kb: KnowledgeBase, rows: int, emit: Callable[[dict], None], repeat: int = 7) -> None:
    """The home page's popular searches read from the log, uncached (what one load a minute pays)."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        kb.search_counts.popular(now=utcnow())  # `now` bypasses the per-process cache
        samples.append((time.perf_counter() - started) * 1000)
    emit({"metric": "popular_searches", "logged_queries": rows, **percentiles(samples)})


def run_analytics_bench(base: Settings, rows: int, articles: int, emit: Callable[[dict], None]) -> None:
    """A throw-away base of `articles` articles (fake embedder: the figures are about the log), then both measures."""
    rng = random.Random(11)
    with tempfile.TemporaryDirectory(prefix="kb-bench-analytics-") as tmp:
        folder = Path(tmp)
        settings = base.with_overrides(database_url=f"sqlite:///{folder / 'bench.sqlite'}", index_dir=folder / "index",
                                       instance_dir=folder / "instance", cache_dir=folder, auto_import=False,
                                       rate_limit="1000000 per minute")
        kb = open_knowledge_base(settings, with_search=False)
        with kb.store.batch():
            for n in range(articles):
                kb.store.create(synthetic_article(rng, n), author="bench")
        enable_search(kb, embedder=FakeEmbedder(384))
        logging_overhead(kb, emit)
        seconds = fill_log(kb, rows, articles, rng)
        emit({"metric": "query_log_fill", "rows": rows, "seconds": round(seconds, 1)})
        analytics_page(kb, rows, emit)
        popular_searches(kb, rows, emit)
        kb.close()
