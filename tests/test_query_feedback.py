"""Pseudo-relevance feedback for questions in another language: the vector arithmetic and its place in search."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kb.index.base import Chunk, Filters, best_per_article
from kb.index.semantic import SemanticIndex
from kb.query_feedback import feedback_centroid, moved_toward
from kb.query_text import digest
from tests.test_translation import DANISH, password_base, write_dictd

QUESTION = "Hvordan nulstiller jeg min adgangskode?"


def _index() -> SemanticIndex:
    index = SemanticIndex.create(3)
    chunks = [Chunk(chunk_id=f"{article}:{n}", article_id=article, ordinal=n, title="t", heading_path=(), anchor="",
                    text="x") for article, n in ((1, 0), (1, 1), (2, 0))]
    vectors = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    index.upsert(chunks[:2], vectors[:2], [1])
    index.upsert(chunks[2:], vectors[2:], [2])
    return index


def test_the_centroid_counts_each_article_once_and_skips_unknown_ones() -> None:
    index = _index()
    # Article 1 is the mean of its two sections; it weighs as much as article 2's single one.
    one = np.array([1, 1, 0]) / np.sqrt(2)
    expected = (one + np.array([0, 0, 1])) / np.linalg.norm(one + np.array([0, 0, 1]))
    assert np.allclose(feedback_centroid(index, [1, 2, 99]), expected)
    assert np.allclose(feedback_centroid(index, [2]), [0, 0, 1])
    assert feedback_centroid(index, [99]) is None and feedback_centroid(index, []) is None


def test_query_vectors_are_made_unit_before_the_centroid_is_added() -> None:
    centroid = np.array([0, 0, 1], dtype=np.float32)
    moved = moved_toward(np.array([[3, 0, 0], [0, 0, 0]], dtype=np.float32), centroid, 0.5)
    assert np.allclose(moved, [[1, 0, 0.5], [0, 0, 0.5]])  # a zero row gets the centroid's share alone
    assert moved.dtype == np.float32


@pytest.fixture
def danish_kb(settings, tmp_path: Path):
    write_dictd(tmp_path / "dictd", "dan", DANISH)
    with password_base(settings, tmp_path / "dictd") as kb:
        yield kb


def test_the_feedback_runs_lean_toward_the_articles_the_first_fusion_ranked_best(danish_kb) -> None:
    engine = danish_kb.search
    _, sentence, _ = engine._translated(QUESTION, Filters(), None, True)
    assert sentence
    windows = [digest(QUESTION)]
    own, read, _ = engine._semantic(windows, Filters(), sentence)
    english = next(a.id for a in danish_kb.indexes.articles.values() if a.title == "Printer prints blank receipts")
    ranked = [a.id for a in danish_kb.indexes.articles.values()]
    moved_own, moved_read = engine._feedback(windows, sentence, [english, *ranked], 0)
    for before, after in ((own, moved_own), (read, moved_read)):
        assert best_per_article(after)[0][english] > best_per_article(before)[0][english]
    # Scored among the articles the first fusion ranked only, each section once.
    assert {h.article_id for h in moved_own} <= set(ranked)
    assert len({h.chunk_id for h in moved_own}) == len(moved_own)
    assert engine._feedback(windows, sentence, [], 0) is None  # nothing to lean toward: the runs stay


def test_scoring_among_articles_matches_a_search_restricted_to_them() -> None:
    index = _index()
    query = np.array([0.6, 0.8, 0.0], dtype=np.float32)
    among = index.score_articles(query, [1, 99, 1])  # an unknown article and a repeat change nothing
    assert [(h.chunk_id, round(h.score, 5)) for h in among] == [("1:1", 0.8), ("1:0", 0.6)]
    assert [h.chunk_id for h in index.search(query, limit=3)][:2] == ["1:1", "1:0"]
    assert index.score_articles(query, [1, 2], limit=1)[0].chunk_id == "1:1"
    assert index.score_articles(query, []) == [] and index.score_articles(np.zeros(3), [1]) == []


def test_a_translated_search_is_fed_back_but_reports_the_questions_own_cosines(danish_kb, monkeypatch) -> None:
    engine = danish_kb.search
    calls: list[list[int]] = []
    feedback = engine._feedback

    def spy(windows, sentence, ranking, fetch):  # type: ignore[no-untyped-def]
        calls.append(list(ranking))
        return feedback(windows, sentence, ranking, fetch)

    monkeypatch.setattr(engine, "_feedback", spy)
    response = engine.search(QUESTION)
    assert len(calls) == 1 and calls[0][0] == response.results[0].id
    _, sentence, _ = engine._translated(QUESTION, Filters(), None, True)
    own, read, _ = engine._semantic([digest(QUESTION)], Filters(), sentence)
    cosines = best_per_article([*own, *read])[0]
    # Suggestion confidence reads this evidence: it must not be inflated by the lean toward the first results.
    assert {a: round(s, 5) for a, (_, s) in response.evidence.items()} == {
        a: round(cosines[a], 5) for a in response.evidence}
    engine.search("How do I reset my password?")  # English: nothing to feed back
    engine.config = replace(engine.config, feedback_articles=0)
    engine.search(QUESTION)
    assert len(calls) == 1
