"""`python -m kb bench`: a synthetic base of N articles, then indexing, search and edit figures as JSON lines."""

from __future__ import annotations

import json
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kb.config import Settings
from kb.embeddings import FakeEmbedder, load_embedder
from kb.knowledge_base import KnowledgeBase, enable_search, load_companion, open_knowledge_base

WORDS = ("account admin agent android app appointment backup barcode billing browser cache calendar card cash "
         "certificate checkout client code connection contract credit customer dashboard data device discount "
         "domain drawer driver email error event export failed firmware google identity import install invoice "
         "ios label language license location login mobile network notification offline okta order outlook "
         "password payment permission phone plan printer profile receipt refund report reset restart role saml "
         "scanner schedule server session settings shopify signature slack sso staff status stripe subscription "
         "sync tax team template timeout token update upgrade user version webhook windows workspace xero zapier "
         "blank crash delay duplicate expired frozen locked missing slow stuck wrong").split()
FILLER = "the a to and of in is for on with after when your this it not can be".split()
CODES = ("ERR-40", "SAML-10", "PAY-20", "SYNC-4", "PRN-60", "EXP-50")
# Questions in Danish, Dutch, Polish and Finnish around the base's English product words: each is
# translated, searched by keyword and embedded twice (the question and its English sentence).
FOREIGN = ("Hvordan nulstiller jeg min {} til {}?", "Hoe kan ik mijn {} voor {} herstellen?",
           "Jak mogę zmienić {} w {}?", "Miten voin vaihtaa {} ja {}?")


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) if rng.random() < 0.55 else rng.choice(FILLER) for _ in range(rng.randint(8, 18))]
    if rng.random() < 0.08:
        words.insert(rng.randrange(len(words)), f"`{rng.choice(CODES)}{rng.randint(10, 99)}`")
    return " ".join(words).capitalize() + "."


def synthetic_article(rng: random.Random, n: int) -> dict[str, Any]:
    """One article of realistic length: an intro and four sections of ~120 words under headings."""
    sections = [" ".join(_sentence(rng) for _ in range(2))]
    for heading in ("Symptoms", "Cause", "Resolution", "Workaround"):
        sentences = [_sentence(rng) for _ in range(rng.randint(7, 11))]
        steps = "\n".join(f"{i}. {s}" for i, s in enumerate(sentences[:3], 1))
        sections.append(f"## {heading}\n\n{' '.join(sentences[3:])}\n\n{steps}")
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 8))).capitalize()
    return {"title": f"{title} {n}", "body": "\n\n".join(sections) + "\n", "status": "published",
            "tags": rng.sample(WORDS[:40], 2), "team": rng.choice(["support", "billing", "product"])}


class SplitEmbedder:
    """Real model for queries; a same-dimension stand-in for passages, so a 10k-article base builds in minutes."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.fake = FakeEmbedder(real.dim)
        self.name, self.dim = f"{real.name}+synthetic-passages", real.dim

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Stand-in passage vectors (cheap)."""
        return self.fake.embed_passages(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Real query vectors: query encoding is part of every search's latency."""
        return self.real.embed_queries(texts)


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2)}


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock milliseconds of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def folder_bytes(folder: Path) -> int:
    """Size of every file below a folder."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _queries(rng: random.Random, count: int) -> list[str]:
    short = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))) for _ in range(count - count // 10)]
    return short + [f"{rng.choice(CODES)}{rng.randint(10, 99)}" for _ in range(count // 10)]


def model_throughput(model: Any, emit: Callable[[dict], None]) -> None:
    """The real model's passage rate on ~1,000-character passages, and the cold-embedding projection."""
    rng = random.Random(7)
    passages = [" ".join(_sentence(rng) for _ in range(8))[:1000] for _ in range(32)]
    started = time.perf_counter()
    model.embed_passages(passages)
    rate = len(passages) / (time.perf_counter() - started)
    emit({"metric": "model_passages_per_s", "model": model.name, "value": round(rate, 1)})


def run_bench(base: Settings, articles: int, queries: int, emit: Callable[[dict], None], *,
              log_rows: int = 1_000_000) -> None:
    """Build, measure, print."""
    rng = random.Random(42)
    real = load_embedder(base.embedding_model)
    model_throughput(real, emit)
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        folder = Path(tmp)
        settings = base.with_overrides(database_url=f"sqlite:///{folder / 'bench.sqlite'}", index_dir=folder / "index",
                                       instance_dir=folder / "instance", cache_dir=folder, auto_import=False)
        kb = open_knowledge_base(settings, with_search=False)
        started = time.perf_counter()
        with kb.store.batch():
            for n in range(articles):
                kb.store.create(synthetic_article(rng, n), author="bench")
        emit({"metric": "import", "articles": articles,
              "articles_per_s": round(articles / (time.perf_counter() - started), 1)})
        _index_and_search(kb, articles, queries, real, rng, emit)
    if log_rows > 0:
        from kb.bench_analytics import run_analytics_bench  # its own throw-away base: the log is what it measures

        run_analytics_bench(base, log_rows, min(articles, 1_000), emit)


def _index_and_search(kb: KnowledgeBase, articles: int, queries: int, real: Any, rng: random.Random,
                      emit: Callable[[dict], None]) -> None:
    # The English companion model, as the settings would load it: its query encodings and memory are measured too.
    companion = load_companion(kb.settings.companion_model, real.name)
    started = time.perf_counter()
    enable_search(kb, embedder=SplitEmbedder(real), companion=SplitEmbedder(companion) if companion else None)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    kb.indexes.reindex()
    warm = time.perf_counter() - started
    emit({"metric": "index_build", "articles": articles, "chunks": len(kb.indexes.chunks),
          "seconds": round(cold, 1), "articles_per_s": round(articles / cold, 1)})
    emit({"metric": "reindex", "articles": articles, "seconds": round(warm, 1),
          "articles_per_s": round(articles / warm, 1), "note": "embedding cache warm: only changed text is embedded"})
    for mode in ("keyword", "semantic", "hybrid"):
        texts = _queries(rng, queries)  # fresh per mode: the query-vector cache must not flatter a mode
        for q in _queries(rng, 20):
            kb.search.search(q, mode=mode)  # warm-up: caches, lazy imports
        samples = [timed(lambda q=q, m=mode: kb.search.search(q, mode=m), 1)[0] for q in texts]
        emit({"metric": "search", "mode": mode, "articles": articles, **percentiles(samples)})
    _translated_latency(kb, rng, queries, emit)
    _suggest_latency(kb, rng, queries, emit)
    _page_latency(kb, rng, emit)
    _edit_visibility(kb, emit)
    emit({"metric": "index_size", "bytes": folder_bytes(kb.settings.index_dir)})
    emit({"metric": "peak_rss", "megabytes": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)})
    kb.close()


def _translated_latency(kb: KnowledgeBase, rng: random.Random, count: int, emit: Callable[[dict], None]) -> None:
    """Hybrid search of questions in another language, when dictionaries are installed."""
    translator = kb.search.translator
    if translator is None or not translator.languages:
        return
    translator.wait_until_loaded()
    questions = [rng.choice(FOREIGN).format(rng.choice(WORDS), rng.choice(WORDS)) for _ in range(count + 20)]
    for question in questions[:20]:
        kb.search.search(question)  # warm-up: the dictionaries' first lookups, the tries' first reads
    samples = [timed(lambda q=q: kb.search.search(q), 1)[0] for q in questions[20:]]
    emit({"metric": "search_translated", "mode": "hybrid", "articles": len(kb.indexes.articles),
          "languages": list(translator.languages), **percentiles(samples)})


def synthetic_ticket(rng: random.Random, chars: int = 2000) -> str:
    """A noisy e-mail of about `chars` characters: greeting, a long rambling problem, signature, quoted reply."""
    body = []
    while sum(len(s) for s in body) < chars - 400:
        body.append(_sentence(rng))
    return ("Hi support team,\n\n" + " ".join(body) + "\n\nKind regards\nAnna Berg\nCafé Lund | +45 31 22 45 67\n\n"
            "On Mon, 3 Jun 2024 at 09:12, Support <support@example.com> wrote:\n> Thanks for contacting us.\n"
            "> Your ticket number is 84606.\n")


def _suggest_latency(kb: KnowledgeBase, rng: random.Random, count: int, emit: Callable[[dict], None]) -> None:
    tickets = [synthetic_ticket(rng) for _ in range(count)]
    for ticket in tickets[:10]:
        kb.suggester.suggest(ticket)
    samples = [timed(lambda t=t: kb.suggester.suggest(t), 1)[0] for t in tickets]
    emit({"metric": "suggest", "ticket_chars": round(statistics.mean(len(t) for t in tickets)),
          "articles": len(kb.indexes.articles), **percentiles(samples)})


def _sign_in(kb: KnowledgeBase, client: Any) -> None:
    """Sign in through the real login form, as an admin (who may open every page measured)."""
    password = "bench-password-" + "x" * 12
    if kb.users.find("bench-admin") is None:
        kb.users.create("bench-admin", role="admin", password=password, by="cli:bench")
    form = client.get("/login").get_data(as_text=True)
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = client.post("/login", data={"username": "bench-admin", "password": password, "csrf_token": token})
    if answer.status_code != 303:
        raise RuntimeError(f"bench sign-in failed: {answer.status_code}")


def _page_latency(kb: KnowledgeBase, rng: random.Random, emit: Callable[[dict], None]) -> None:
    """Server-rendered pages, through the whole Flask stack (test client: no network in the figure)."""
    from kb.web import create_app

    client = create_app(knowledge_base=kb).test_client()
    _sign_in(kb, client)
    ids = [rng.randint(1, len(kb.indexes.articles)) for _ in range(60)]
    slugs = [kb.store.get(i).slug for i in ids]
    pages = {"article": [f"/articles/{s}" for s in slugs], "search": [f"/?q={q}" for q in _queries(rng, 60)],
             "history": [f"/articles/{s}/history" for s in slugs], "editor": [f"/articles/{s}/edit" for s in slugs],
             "articles": [f"/articles?page={rng.randint(1, 50)}" for _ in range(60)]}
    for name, paths in pages.items():
        for path in paths[:10]:
            status = client.get(path).status_code
            if status != 200:  # a redirect to the login page would be measured instead of the page
                raise RuntimeError(f"{path} answered {status}")
        samples = [timed(lambda p=p: client.get(p), 1)[0] for p in paths]
        emit({"metric": "page", "page": name, "articles": len(kb.indexes.articles), **percentiles(samples)})


def _edit_visibility(kb: KnowledgeBase, emit: Callable[[dict], None]) -> None:
    samples = []
    for n in range(5):
        article = kb.store.get(n + 1)
        word = f"zyxquux{n}"
        started = time.perf_counter()
        kb.store.update(article.id, {"body": article.body + f"\n\nNew note: {word}.\n"},
                        base_revision=article.revision, author="bench")
        found = any(r.id == article.id for r in kb.search.search(word, mode="keyword").results)
        samples.append((time.perf_counter() - started) * 1000)
        assert found, "edit not searchable"
    emit({"metric": "edit_to_searchable", **percentiles(samples)})


def emit_json(row: dict) -> None:
    """Print one JSON line and flush (figures show up as they are measured)."""
    print(json.dumps(row), flush=True)
