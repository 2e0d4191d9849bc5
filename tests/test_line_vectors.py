"""The sections' line vectors store (kb/index/line_vectors.py): half precision, per article, checked on load."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kb.index.base import Chunk, IndexUnavailable
from kb.index.line_vectors import META_FILE, VECTORS_FILE, LineVectors


def _lines(article_id: int, count: int) -> list[Chunk]:
    return [Chunk(f"{article_id}:0/{n}", article_id, 0, "", (), "", f"line {n}", (), "en", "") for n in range(count)]


def _vectors(count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(count, 8)).astype(np.float32)


def test_each_querys_best_line_per_article_is_its_cosine_within_half_precision() -> None:
    store, first, second = LineVectors(8), _vectors(3, 1), _vectors(2, 2)
    store.upsert([*_lines(1, 3), *_lines(2, 2)], np.vstack([first, second]) * 5, [1, 2])  # any length is unit
    queries = _vectors(2, 3)
    best = store.best_per_article(queries, [2, 1, 2, 9])
    assert list(best) == [2, 1]  # each article once, in the order asked; unknown ones left out

    def cosines(rows: np.ndarray) -> np.ndarray:
        unit = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        return (unit @ (queries / np.linalg.norm(queries, axis=1, keepdims=True)).T).max(axis=0)

    assert best[1] == pytest.approx(cosines(first), abs=2e-3)
    assert best[2] == pytest.approx(cosines(second), abs=2e-3)
    assert len(store) == 5 and store.counts() == {1: 3, 2: 2}


def test_an_upsert_replaces_its_articles_lines_and_an_empty_one_forgets_them() -> None:
    store = LineVectors(8)
    store.upsert([*_lines(1, 3), *_lines(2, 2)], _vectors(5, 1), [1, 2])
    store.upsert(_lines(1, 1), _vectors(1, 4), [1, 3])  # 3 has no lines (an empty article)
    assert store.counts() == {2: 2, 1: 1}
    store.upsert([], np.zeros((0, 8), np.float32), [2])  # a deleted article
    assert store.counts() == {1: 1}
    with pytest.raises(ValueError, match="not being replaced"):
        store.upsert(_lines(5, 1), _vectors(1, 5), [1])
    with pytest.raises(ValueError, match=r"shape \(n, 8\)"):
        store.upsert(_lines(1, 1), np.zeros((1, 4), np.float32), [1])
    assert store.counts() == {1: 1}  # a refused upsert changes nothing


def test_saved_lines_load_back_and_damage_or_another_dimension_is_refused(tmp_path) -> None:
    store = LineVectors(8)
    store.upsert([*_lines(4, 2), *_lines(7, 3)], _vectors(5, 1), [4, 7])
    store.save(tmp_path / "lines")
    loaded = LineVectors.load(tmp_path / "lines", expected_dim=8)
    assert loaded.counts() == {4: 2, 7: 3}
    queries = _vectors(1, 2)
    saved, read = store.best_per_article(queries, [4, 7]), loaded.best_per_article(queries, [4, 7])
    assert all(np.array_equal(saved[a], read[a]) for a in (4, 7))
    with pytest.raises(IndexUnavailable, match="dimension 8"):
        LineVectors.load(tmp_path / "lines", expected_dim=16)
    meta = json.loads((tmp_path / "lines" / META_FILE).read_text())
    (tmp_path / "lines" / META_FILE).write_text(json.dumps({**meta, "articles": [[4, 2], [7, 2]]}))
    with pytest.raises(IndexUnavailable, match="article counts"):
        LineVectors.load(tmp_path / "lines")
    (tmp_path / "lines" / VECTORS_FILE).write_bytes(b"\x93NUMPY torn")
    with pytest.raises(IndexUnavailable, match="damaged"):
        LineVectors.load(tmp_path / "lines")
    with pytest.raises(IndexUnavailable):
        LineVectors.load(tmp_path / "missing")


def test_an_empty_store_saves_and_loads(tmp_path) -> None:
    LineVectors(8).save(tmp_path)
    assert len(LineVectors.load(tmp_path, expected_dim=8)) == 0
    assert LineVectors(8).best_per_article(_vectors(1, 1), [1]) == {}


def test_lines_are_embedded_some_at_a_time_each_articles_together() -> None:
    lines = [*_lines(1, 3), *_lines(2, 1), *_lines(3, 2)]
    vectors = {line.chunk_id: v for line, v in zip(lines, _vectors(len(lines), 1), strict=True)}
    calls = []

    def embed(part, done):  # type: ignore[no-untyped-def]
        calls.append(([line.article_id for line in part], done))
        return np.array([vectors[line.chunk_id] for line in part])

    store = LineVectors.embedded(8, [lines[3], *lines[:3], *lines[4:]], embed, batch=3)  # article 2's line first
    assert calls == [([2], 0), ([1, 1, 1], 1), ([3, 3], 4)]  # 2 and 1 together would exceed the batch
    whole = LineVectors(8)
    whole.upsert(lines, np.array(list(vectors.values())), [1, 2, 3])
    queries = _vectors(2, 5)
    expected, found = whole.best_per_article(queries, [1, 2, 3]), store.best_per_article(queries, [1, 2, 3])
    assert all(np.array_equal(expected[a], found[a]) for a in (1, 2, 3))


def test_a_zero_query_vector_is_left_out_as_the_semantic_index_leaves_it_out() -> None:
    store = LineVectors(8)
    store.upsert(_lines(1, 3), _vectors(3, 1), [1])
    queries = _vectors(2, 2)
    with_zero = np.vstack([queries[:1], np.zeros((1, 8), np.float32), queries[1:]])
    assert np.array_equal(store.best_per_article(with_zero, [1])[1], store.best_per_article(queries, [1])[1])
    assert store.best_per_article(np.zeros((2, 8), np.float32), [1]) == {}
