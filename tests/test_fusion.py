"""Pure fusion functions."""

from __future__ import annotations

from functools import partial

import pytest

from kb.fusion import (
    convex_combination,
    margin_weights,
    max_normalise,
    min_max_normalise,
    on_own_runs,
    reciprocal_rank_fusion,
    top_keys,
    top_margin,
    without_language_advantage,
)


def test_rrf_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "a", "d"]], k=60)
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert top_keys(fused, 2) == ["a", "b"] or top_keys(fused, 2) == ["b", "a"]
    assert fused["d"] == pytest.approx(1 / 63)


def test_rrf_weights_shift_the_balance() -> None:
    fused = reciprocal_rank_fusion([["a", "b"], ["b", "a"]], weights=[1.0, 3.0])
    assert top_keys(fused, 1) == ["b"]


def test_normalisers() -> None:
    assert max_normalise({"a": 4.0, "b": 1.0}) == {"a": 1.0, "b": 0.25}
    assert min_max_normalise({"a": 0.9, "b": 0.5, "c": 0.7}) == pytest.approx({"a": 1.0, "b": 0.0, "c": 0.5})
    assert min_max_normalise({"a": 0.9, "b": 0.5}, floor=0.1) == pytest.approx({"a": 1.0, "b": 0.5})
    assert max_normalise({}) == {} and min_max_normalise({"a": 1.0}) == {"a": 1.0}


def test_convex_combination_counts_missing_as_zero() -> None:
    fused = convex_combination([{"a": 1.0, "b": 0.5}, {"b": 1.0}], [0.3, 0.7])
    assert fused == pytest.approx({"a": 0.3, "b": 0.85})


def test_top_margin_is_the_lead_of_the_best() -> None:
    assert top_margin({"a": 1.0, "b": 0.25, "c": 0.1}) == 0.75
    assert top_margin({"a": 1.0}) == 0.0
    assert top_margin({}) == 0.0


def test_margin_weights_favour_the_confident_run() -> None:
    clear, tied = {"a": 1.0, "b": 0.0}, {"a": 1.0, "b": 1.0}
    weights = margin_weights([clear, tied], [0.5, 0.5], strength=1.0)
    assert weights == [2 / 3, 1 / 3]
    assert margin_weights([clear, tied], [0.4, 0.6], strength=0.0) == [0.4, 0.6]
    assert margin_weights([{}, {}], [0.0, 0.0], strength=1.0) == [0.0, 0.0]


def test_keys_the_later_runs_cannot_reach_are_judged_on_their_own_runs() -> None:
    fused = {"da": 0.6, "en": 0.9, "en-weak": 0.3}  # 0.6 is all the original runs' weight can give
    outside = {"da"}.__contains__
    assert on_own_runs(fused, [0.3, 0.3, 0.2, 0.2], 2, outside) == pytest.approx({"da": 1.0, "en": 0.9, "en-weak": 0.3})
    assert on_own_runs(fused, [0.5, 0.5, 0.0, 0.0], 2, outside) == fused  # no later run took part


def test_articles_in_the_questions_language_lose_the_gain_asking_in_english_gave_the_english_ones() -> None:
    own = {"fi-1": 0.84, "fi-2": 0.83, "en-1": 0.82, "en-2": 0.80, "en-3": 0.79, "en-4": 0.70, "nl-1": 0.60}
    sentence = {"en-1": 0.93, "en-2": 0.86, "en-3": 0.81, "en-4": 0.90, "fi-1": 0.78, "nl-1": 0.95}
    finnish, english = partial(_starts, "fi"), partial(_starts, "en")
    judged = without_language_advantage(own, sentence, finnish, english, top=3)
    # The three English articles the sentence found closest gained 0.11, 0.20 and 0.06: the median, 0.11, goes.
    # The Dutch article's gain (0.35) says nothing of English, and is not counted.
    assert judged == pytest.approx({**own, "fi-1": 0.73, "fi-2": 0.72})
    # Fewer than three English articles in both runs, or a translation that gained nothing: nothing changes.
    assert without_language_advantage(own, {"en-1": 0.93, "en-2": 0.86}, finnish, english) == own
    worse = {key: value - 0.05 for key, value in own.items()}
    assert without_language_advantage(own, worse, finnish, english) == own


def _starts(prefix: str, key: str) -> bool:
    return key.startswith(prefix)
