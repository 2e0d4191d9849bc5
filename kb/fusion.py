"""Pure fusion functions: rankings from several engines in, one ranking out."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[K]], weights: Sequence[float] | None = None, k: float = 60.0
) -> dict[K, float]:
    """Weighted RRF: sum of weight / (k + rank) over the rankings that contain a key."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[K, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return scores


def max_normalise(scores: Mapping[K, float]) -> dict[K, float]:
    """Scores divided by the best one (0..1), so the engine's own confidence profile survives."""
    if not scores:
        return {}
    top = max(scores.values())
    return {key: (value / top if top > 0 else 0.0) for key, value in scores.items()}


def min_max_normalise(scores: Mapping[K, float], floor: float | None = None) -> dict[K, float]:
    """Scores mapped onto 0..1 between `floor` (or the lowest score) and the best."""
    if not scores:
        return {}
    top = max(scores.values())
    bottom = min(scores.values()) if floor is None else floor
    span = top - bottom
    return {key: (max(0.0, (value - bottom) / span) if span > 0 else 1.0) for key, value in scores.items()}


def top_margin(normalised: Mapping[K, float]) -> float:
    """How far the best normalised score stands above the runner-up (0 when fewer than two)."""
    best = sorted(normalised.values(), reverse=True)[:2]
    return best[0] - best[1] if len(best) == 2 else 0.0


def margin_weights(normalised: Sequence[Mapping[K, float]], weights: Sequence[float], strength: float
                   ) -> list[float]:
    """Weights scaled by each run's confidence (1 + strength * top margin), renormalised to sum 1."""
    scaled = [w * (1.0 + strength * top_margin(run)) for run, w in zip(normalised, weights, strict=True)]
    total = sum(scaled)
    return [w / total for w in scaled] if total > 0 else list(weights)


def convex_combination(
    normalised: Sequence[Mapping[K, float]], weights: Sequence[float]
) -> dict[K, float]:
    """Weighted sum of already-normalised scores; a key missing from a run scores 0 there."""
    fused: dict[K, float] = {}
    for run, weight in zip(normalised, weights, strict=True):
        for key, value in run.items():
            fused[key] = fused.get(key, 0.0) + weight * value
    return fused


def on_own_runs(fused: Mapping[K, float], weights: Sequence[float], runs: int, outside: Callable[[K], bool]
                ) -> dict[K, float]:
    """Fused scores, those of keys `outside` the later runs' reach judged on the first `runs` runs alone.

    The translated runs search English articles only: without this, a Polish article answering a Polish
    question well could score at most the original runs' share, below an English one found by all four.
    """
    own = sum(weights[:runs])
    if own <= 0 or own >= sum(weights):
        return dict(fused)
    return {key: value / own if outside(key) else value for key, value in fused.items()}


def top_keys(scores: Mapping[K, float], limit: int) -> list[K]:
    """Keys by descending score (ties keep insertion order)."""
    return [key for key, _ in sorted(scores.items(), key=lambda item: -item[1])[:limit]]
