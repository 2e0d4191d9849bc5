"""Pure fusion functions."""

from __future__ import annotations

import pytest

from kb.fusion import convex_combination, max_normalise, min_max_normalise, reciprocal_rank_fusion, top_keys


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
