"""Tests for kb.index.semantic.SemanticIndex.

Unit tests use the FakeEmbedder or random vectors.  The test marked ``model`` loads the real
MiniLM model (no network); the marker needs registering in the pytest configuration under
``markers`` as "model: loads a real embedding model" (pytest config is owned elsewhere).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import kb.index.semantic as semantic
from kb.embeddings import FakeEmbedder, load_embedder
from kb.index.base import Chunk, Filters, IndexUnavailable
from kb.index.semantic import SemanticIndex

EMB = FakeEmbedder(64)

ARTICLES: dict[int, dict] = {
    1: dict(
        texts=["reset your password from the sign in page", "password reset emails expire after an hour"],
        tags=("account", "howto"),
        team="support",
        language="en",
    ),
    2: dict(texts=["printer paper tray refill instructions"], tags=("office",), team="it", language="en"),
    3: dict(
        texts=["invoices and billing cycle", "download an invoice as pdf"],
        tags=("billing", "howto"),
        team="finance",
        language="da",
    ),
    4: dict(texts=["refund policy for cancelled orders"], tags=("billing",), team="finance", language="pl"),
    5: dict(texts=["draft notes about password rotation policy"], tags=("account",), team="support", status="draft"),
}


def make_chunks(article_id: int, spec: dict | None = None) -> list[Chunk]:
    spec = spec or ARTICLES[article_id]
    return [
        Chunk(
            chunk_id=f"{article_id}:{i}",
            article_id=article_id,
            ordinal=i,
            title=f"Article {article_id}",
            heading_path=(f"Section {i}",) if i else (),
            anchor=f"s{i}" if i else "",
            text=text,
            tags=tuple(spec.get("tags", ())),
            language=spec.get("language", "en"),
            team=spec.get("team", ""),
            status=spec.get("status", "published"),
        )
        for i, text in enumerate(spec["texts"])
    ]


def add(index: SemanticIndex, article_id: int, spec: dict | None = None) -> list[Chunk]:
    chunks = make_chunks(article_id, spec)
    index.upsert(chunks, EMB.embed_passages([c.text for c in chunks]), [article_id])
    return chunks


def q(text: str) -> np.ndarray:
    return EMB.embed_queries([text])[0]


@pytest.fixture
def index() -> SemanticIndex:
    idx = SemanticIndex.create(EMB.dim)
    for article_id in ARTICLES:
        add(idx, article_id)
    return idx


def ids(hits: list) -> list[str]:
    return [h.chunk_id for h in hits]


# --------------------------------------------------------------------------- basics


def test_empty_index() -> None:
    idx = SemanticIndex.create(16)
    assert idx.dim == 16 and idx.count() == 0 and idx.kind == "exact"
    assert idx.search(np.ones(16, dtype=np.float32)) == []
    assert idx.related(1) == []
    assert idx.article_vector(1) is None


def test_search_ranks_by_inner_product(index: SemanticIndex) -> None:
    assert index.count() == 7
    query = q("how do I reset my password")
    hits = index.search(query, limit=3)
    assert len(hits) == 3
    assert hits[0].article_id == 1
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    by_id = {c.chunk_id: c for a in ARTICLES for c in make_chunks(a)}
    for hit in hits:
        expected = float(EMB.embed_passages([by_id[hit.chunk_id].text])[0] @ query)
        assert hit.score == pytest.approx(expected, abs=1e-5)


def test_limit_and_default_status_filter(index: SemanticIndex) -> None:
    everything = index.search(q("password"), limit=100)
    assert len(everything) == 6  # the draft chunk is excluded by the default Filters()
    assert "5:0" not in ids(everything)
    with_drafts = index.search(q("password"), limit=100, filters=Filters(statuses=()))
    assert len(with_drafts) == 7 and "5:0" in ids(with_drafts)
    assert index.search(q("password"), limit=0) == []


def test_filters(index: SemanticIndex) -> None:
    query = q("password invoice refund printer")
    assert {h.article_id for h in index.search(query, filters=Filters(tags=("billing",)))} == {3, 4}
    assert {h.article_id for h in index.search(query, filters=Filters(tags=("billing", "howto")))} == {3}
    assert {h.article_id for h in index.search(query, filters=Filters(teams=("it", "support")))} == {1, 2}
    assert {h.article_id for h in index.search(query, filters=Filters(languages=("da", "pl")))} == {3, 4}
    assert {h.article_id for h in index.search(query, filters=Filters(statuses=("draft",)))} == {5}
    assert index.search(query, filters=Filters(tags=("nope",))) == []
    assert index.search(query, filters=Filters(teams=("nobody",))) == []
    assert index.search(query, filters=Filters(tags=("office",), teams=("finance",))) == []
    # tag order does not matter (same cached selector)
    assert ids(index.search(query, filters=Filters(tags=("howto", "billing")))) == ids(
        index.search(query, filters=Filters(tags=("billing", "howto")))
    )


def test_filter_is_applied_inside_the_search_not_after(index: SemanticIndex) -> None:
    # Many decoys closer to the query than the one allowed chunk: a post-filter over a short
    # list would come back empty.
    for article_id in range(100, 160):
        add(index, article_id, dict(texts=["reset your password now"], team="decoys"))
    hits = index.search(q("reset your password"), limit=1, filters=Filters(teams=("finance",)))
    assert len(hits) == 1 and hits[0].article_id in (3, 4)
    hits = index.search(q("reset your password"), limit=3, filters=Filters(teams=("finance",)))
    assert len(hits) == 3 and {h.article_id for h in hits} == {3, 4}


def test_upsert_replaces_all_chunks_of_an_article(index: SemanticIndex) -> None:
    add(index, 1, dict(texts=["completely new text about vacation days"], tags=("hr",), team="people"))
    assert index.count() == 6
    hits = index.search(q("vacation days"), limit=100, filters=Filters(statuses=()))
    assert "1:1" not in ids(hits)
    assert hits[0].chunk_id == "1:0"
    assert index.search(q("vacation"), filters=Filters(tags=("account",), teams=("support",))) == []
    assert [h.article_id for h in index.search(q("vacation"), filters=Filters(tags=("hr",)))] == [1]


def test_selector_cache_is_invalidated_by_writes(index: SemanticIndex) -> None:
    billing = Filters(tags=("billing",))
    assert {h.article_id for h in index.search(q("x"), filters=billing)} == {3, 4}
    add(index, 6, dict(texts=["billing address change"], tags=("billing",)))
    assert {h.article_id for h in index.search(q("x"), filters=billing)} == {3, 4, 6}
    index.delete([3])
    assert {h.article_id for h in index.search(q("x"), filters=billing)} == {4, 6}


def test_delete(index: SemanticIndex) -> None:
    index.delete([1, 999])
    assert index.count() == 5
    assert all(h.article_id != 1 for h in index.search(q("reset password"), filters=Filters(statuses=())))
    index.delete([])
    assert index.count() == 5
    index.upsert([], np.zeros((0, EMB.dim), dtype=np.float32), [2])  # upsert with no chunks = delete
    assert index.count() == 4


def test_upsert_validation(index: SemanticIndex) -> None:
    chunks = make_chunks(2)
    with pytest.raises(ValueError, match="not in article_ids"):
        index.upsert(chunks, EMB.embed_passages(["x"]), [3])
    with pytest.raises(ValueError):
        index.upsert(chunks, np.ones((1, EMB.dim + 1), dtype=np.float32), [2])
    with pytest.raises(ValueError):
        index.upsert(chunks * 2, EMB.embed_passages(["x", "y"]), [2])  # duplicate chunk ids
    with pytest.raises(ValueError):
        index.upsert(chunks, np.zeros((1, EMB.dim), dtype=np.float32), [2])
    with pytest.raises(ValueError):
        index.search(np.ones(EMB.dim + 1, dtype=np.float32))
    assert index.count() == 7  # nothing changed by the failed calls


def test_vectors_are_normalised_on_the_way_in() -> None:
    idx = SemanticIndex.create(4)
    chunk = make_chunks(1, dict(texts=["a"]))
    idx.upsert(chunk, np.array([[3.0, 0.0, 4.0, 0.0]]), [1])
    (hit,) = idx.search(np.array([0.0, 0.0, 10.0, 0.0]))
    assert hit.score == pytest.approx(0.8)


def test_many_writes_with_compaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semantic, "_COMPACT_MIN", 8)
    idx = SemanticIndex.create(EMB.dim)
    rng = np.random.default_rng(0)
    for round_ in range(40):
        for article_id in rng.integers(0, 10, size=3).tolist():
            add(idx, article_id, dict(texts=[f"article {article_id} version {round_}", f"part two {article_id}"]))
    assert idx.count() == 2 * len({a for a in range(10) if idx.has_article(a)})
    hits = idx.search(q("article 3"), limit=100, filters=Filters(statuses=()))
    assert len(hits) == idx.count() and len(set(ids(hits))) == len(hits)
    assert idx._index.ntotal - idx.count() <= max(8, 0.1 * idx.count()) + 6  # tombstones were dropped


# --------------------------------------------------------------------------- related / article_vector


def test_article_vector_is_normalised_mean(index: SemanticIndex) -> None:
    vec = index.article_vector(1)
    assert vec is not None and vec.dtype == np.float32 and vec.shape == (EMB.dim,)
    raw = EMB.embed_passages(ARTICLES[1]["texts"]).mean(axis=0)
    np.testing.assert_allclose(vec, raw / np.linalg.norm(raw), atol=1e-5)
    assert index.article_vector(12345) is None


def test_related_excludes_the_article_and_dedupes(index: SemanticIndex) -> None:
    add(index, 7, dict(texts=["forgot password reset link", "password reset troubleshooting", "sign in help"]))
    related = index.related(1, limit=3)
    articles = [h.article_id for h in related]
    assert 1 not in articles
    assert len(articles) == len(set(articles)) == 3
    assert articles[0] == 7
    assert [h.score for h in related] == sorted((h.score for h in related), reverse=True)
    assert 5 not in [h.article_id for h in index.related(1, limit=10)]  # draft excluded by default
    assert 5 in [h.article_id for h in index.related(1, limit=10, filters=Filters(statuses=()))]
    assert {h.article_id for h in index.related(1, limit=10, filters=Filters(tags=("billing",)))} == {3, 4}
    assert index.related(1, filters=Filters(teams=("support",), statuses=("published",))) == [
        h for h in index.related(1, filters=Filters(teams=("support",))) if h.article_id != 1
    ]
    assert index.related(999) == []


def test_related_finds_enough_articles_with_many_chunks_each() -> None:
    idx = SemanticIndex.create(EMB.dim)
    for article_id in range(30):
        add(idx, article_id, dict(texts=[f"shared topic words chunk {i} of {article_id}" for i in range(12)]))
    related = idx.related(0, limit=20)
    assert len(related) == 20 and 0 not in {h.article_id for h in related}


# --------------------------------------------------------------------------- persistence


def test_save_load_round_trip(index: SemanticIndex, tmp_path: Path) -> None:
    folder = tmp_path / "semantic"
    index.save(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["semantic.faiss", "semantic.json"]
    meta = json.loads((folder / "semantic.json").read_text())
    assert meta["dim"] == EMB.dim and meta["kind"] == "exact" and len(meta["chunks"]) == 7
    assert {c["chunk_id"] for c in meta["chunks"]} == {c.chunk_id for a in ARTICLES for c in make_chunks(a)}

    loaded = SemanticIndex.load(folder, expected_dim=EMB.dim)
    assert loaded.count() == 7 and loaded.dim == EMB.dim
    for text in ("reset password", "invoice pdf", "printer"):
        for filters in (Filters(), Filters(statuses=()), Filters(tags=("billing",)), Filters(languages=("da",))):
            assert index.search(q(text), filters=filters) == loaded.search(q(text), filters=filters)
    assert loaded.related(1) == index.related(1)
    # the loaded index keeps working
    add(loaded, 8, dict(texts=["brand new article about passwords"]))
    assert loaded.count() == 8 and loaded.search(q("brand new article"), limit=1)[0].article_id == 8
    loaded.save(folder)  # overwrite in place
    assert SemanticIndex.load(folder).count() == 8
    assert sorted(p.name for p in folder.iterdir()) == ["semantic.faiss", "semantic.json"]


def test_save_after_deletes_compacts(index: SemanticIndex, tmp_path: Path) -> None:
    index.delete([1, 3])
    index.save(tmp_path)
    loaded = SemanticIndex.load(tmp_path)
    assert loaded.count() == index.count() == 3
    assert loaded.search(q("password"), filters=Filters(statuses=())) == index.search(
        q("password"), filters=Filters(statuses=())
    )


def test_empty_index_round_trip(tmp_path: Path) -> None:
    SemanticIndex.create(8).save(tmp_path)
    loaded = SemanticIndex.load(tmp_path, expected_dim=8)
    assert loaded.count() == 0 and loaded.search(np.ones(8)) == []


def test_load_missing(tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailable):
        SemanticIndex.load(tmp_path / "absent")
    with pytest.raises(IndexUnavailable):
        SemanticIndex.load(tmp_path)


def test_load_dim_mismatch(index: SemanticIndex, tmp_path: Path) -> None:
    index.save(tmp_path)
    with pytest.raises(IndexUnavailable, match="dimension"):
        SemanticIndex.load(tmp_path, expected_dim=384)


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: (folder / "semantic.faiss").write_bytes(b"garbage"),
        lambda folder: (folder / "semantic.faiss").write_bytes((folder / "semantic.faiss").read_bytes()[:-100]),
        lambda folder: (folder / "semantic.json").write_text("{not json"),
        lambda folder: (folder / "semantic.json").write_text("[]"),
        lambda folder: (folder / "semantic.faiss").unlink(),
    ],
    ids=["faiss-garbage", "faiss-truncated", "json-garbage", "json-wrong-shape", "faiss-missing"],
)
def test_load_corrupt(index: SemanticIndex, tmp_path: Path, damage) -> None:
    index.save(tmp_path)
    damage(tmp_path)
    with pytest.raises(IndexUnavailable):
        SemanticIndex.load(tmp_path)


def test_load_rejects_files_from_different_saves(index: SemanticIndex, tmp_path: Path) -> None:
    index.save(tmp_path / "a")
    add(index, 9, dict(texts=["something else"]))
    index.save(tmp_path / "b")
    (tmp_path / "a" / "semantic.faiss").write_bytes((tmp_path / "b" / "semantic.faiss").read_bytes())
    with pytest.raises(IndexUnavailable, match="does not match"):
        SemanticIndex.load(tmp_path / "a")


# --------------------------------------------------------------------------- approximate path


def clustered(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """Vectors around 20 fixed topic centres (the same centres for every seed)."""
    centers = np.random.default_rng(12345).standard_normal((20, dim))
    rng = np.random.default_rng(seed)
    vectors = centers[rng.integers(0, 20, n)] + 0.8 * rng.standard_normal((n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def bulk(index: SemanticIndex, vectors: np.ndarray, per_article: int = 4) -> None:
    chunks = [
        Chunk(
            chunk_id=f"{i // per_article}:{i % per_article}",
            article_id=i // per_article,
            ordinal=i % per_article,
            title="t",
            heading_path=(),
            anchor="",
            text="",
            tags=("even",) if (i // per_article) % 2 == 0 else ("odd",),
        )
        for i in range(len(vectors))
    ]
    index.upsert(chunks, vectors, {c.article_id for c in chunks})


def test_approximate_path_matches_exact(tmp_path: Path) -> None:
    dim, n = 32, 1200
    vectors = clustered(n, dim)
    exact = SemanticIndex.create(dim)
    approx = SemanticIndex.create(dim, approx_threshold=300)
    bulk(exact, vectors)
    bulk(approx, vectors)
    assert exact.kind == "exact"
    assert approx.kind == "approximate" and approx.nprobe is not None
    assert approx.count() == exact.count() == n

    queries = clustered(50, dim, seed=1)
    same_top = sum(approx.search(v, limit=1)[0].chunk_id == exact.search(v, limit=1)[0].chunk_id for v in queries)
    assert same_top >= 45
    recall = np.mean(
        [len(set(ids(approx.search(v, limit=10))) & set(ids(exact.search(v, limit=10)))) / 10 for v in queries]
    )
    assert recall >= 0.9
    # Filters work in approximate mode, including a restrictive one.
    odd = Filters(tags=("odd",))
    same_top = sum(approx.search(v, limit=1, filters=odd) == exact.search(v, limit=1, filters=odd) for v in queries)
    assert same_top >= 45
    assert all(len(approx.search(v, limit=5, filters=odd)) == 5 for v in queries)
    only_one = Filters(tags=("odd",), teams=("",), languages=("en",))
    approx.upsert([], np.zeros((0, dim)), [7])
    exact.upsert([], np.zeros((0, dim)), [7])
    assert all(h.article_id != 7 for h in approx.search(queries[0], limit=n, filters=only_one))
    assert len(approx.search(queries[0], limit=n, filters=Filters(tags=("odd",)))) == n // 2 - 4
    # A single-article upsert in approximate mode is searchable at once.
    newcomer = clustered(2, dim, seed=9)
    approx.upsert(make_chunks(5000, dict(texts=["a", "b"], tags=("new",))), newcomer, [5000])
    assert [h.chunk_id for h in approx.search(newcomer[1], limit=1)] == ["5000:1"]
    assert {h.chunk_id for h in approx.search(newcomer[0], filters=Filters(tags=("new",)))} == {"5000:0", "5000:1"}
    approx.delete([5000])
    # related() excludes the article itself in approximate mode too.
    assert 3 not in {h.article_id for h in approx.related(3, limit=5)}
    assert len(approx.related(3, limit=5)) == 5

    approx.save(tmp_path)
    loaded = SemanticIndex.load(tmp_path, approx_threshold=300)
    assert loaded.kind == "approximate" and loaded.count() == n - 4
    assert loaded.search(queries[0], limit=1) == approx.search(queries[0], limit=1)
    # Loaded with the default threshold, it becomes exact again.
    assert SemanticIndex.load(tmp_path).kind == "exact"


def test_approximate_goes_back_to_exact_when_small() -> None:
    dim = 16
    idx = SemanticIndex.create(dim, approx_threshold=200)
    bulk(idx, clustered(400, dim))
    assert idx.kind == "approximate"
    idx.delete(range(60))  # 160 chunks left: not below 80% of the threshold
    assert idx.kind == "approximate" and idx.count() == 160
    idx.delete(range(60, 70))
    assert idx.kind == "exact" and idx.count() == 120
    assert len(idx.search(clustered(1, dim, seed=3)[0], limit=1000, filters=Filters(statuses=()))) == 120


# --------------------------------------------------------------------------- real model


@pytest.mark.model
def test_real_model_semantic_search() -> None:
    embedder = load_embedder("all-MiniLM-L6-v2")
    idx = SemanticIndex.create(embedder.dim)
    articles = {
        10: "How to reset your password: open the sign-in page and click 'Forgot password'.",
        11: "Printer paper is stored in the supply cupboard next to the kitchen.",
        12: "Refunds go back to the original payment method within ten business days.",
    }
    for article_id, text in articles.items():
        chunk = make_chunks(article_id, dict(texts=[text]))
        idx.upsert(chunk, embedder.embed_passages([text]), [article_id])
    query = embedder.embed_queries(["I forgot my password and can't sign in"])[0]
    hits = idx.search(query, limit=3)
    assert next(h.article_id for h in hits) == 10
    assert hits[0].score > hits[1].score + 0.2


def test_retrained_on_save_after_doubling(tmp_path: Path) -> None:
    dim = 16
    idx = SemanticIndex.create(dim, approx_threshold=200)
    vectors = clustered(1000, dim)
    bulk(idx, vectors[:400])
    assert idx.kind == "approximate" and idx._trained_n == 400
    more = [
        Chunk(chunk_id=f"{1000 + i}:0", article_id=1000 + i, ordinal=0, title="", heading_path=(), anchor="", text="")
        for i in range(600)
    ]
    idx.upsert(more, vectors[400:], range(1000, 1600))
    assert idx._trained_n == 400  # adding does not retrain...
    idx.save(tmp_path)
    assert idx._trained_n == 1000  # ...saving does, once the size has more than doubled
    assert SemanticIndex.load(tmp_path, approx_threshold=200).count() == 1000


def test_concurrent_search_and_upsert() -> None:
    import threading

    idx = SemanticIndex.create(EMB.dim)
    for article_id in ARTICLES:
        add(idx, article_id)
    errors: list[BaseException] = []
    stop = threading.Event()

    def searcher() -> None:
        try:
            while not stop.is_set():
                idx.search(q("password"), filters=Filters(tags=("account",)))
                idx.related(1)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=searcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for round_ in range(200):
        add(idx, 100 + round_ % 7, dict(texts=[f"password text {round_}"], tags=("account",)))
        if round_ % 10 == 0:
            idx.delete([100 + round_ % 7])
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors
