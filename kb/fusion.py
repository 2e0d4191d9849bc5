"""Pure fusion functions and their settings: rankings from several engines in, one ranking out."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from kb.index.base import Hit

K = TypeVar("K", bound=Hashable)
# A fused ranking: article ids, their scores, best sections, and (keyword, semantic) evidence.
Fused = tuple[list[int], dict[int, float], dict[int, str], dict[int, tuple[float, float]]]


@dataclass(frozen=True)
class FusionConfig:
    """How the two engines are combined; tuned on the dev sets (see README and benchmarks/tune_fusion.py)."""

    # Convex combination of normalised scores keeps each engine's confidence (a weak keyword match stays
    # weak), where plain RRF turns any top-ranked keyword hit into a strong vote.
    method: str = "convex"  # "convex" or "rrf"
    keyword_weight: float = 0.4  # the semantic side gets 1 - keyword weight
    # The keyword weight shrinks in proportion when the best keyword match covers less than this share of
    # the query's words: a Danish question against English articles matches a word or two by chance.
    full_coverage: float = 0.7
    # An engine whose best article clearly stands out (normalised top-1 minus top-2) is more likely right
    # on this query: its weight grows by that margin times this, before renormalising (0 turns it off).
    margin_strength: float = 1.0
    # A question in another language also runs as its dictionary translation against the English articles
    # (kb/translation.py): its words through the keyword engine with the first share of the weight, its
    # English sentence through the semantic engine with the second (hybrid mode only).
    translated_weight: float = 0.2
    translated_semantic_weight: float = 0.2
    # With an English companion model (Settings.companion_model) the sentence is searched by both models:
    # e5's share becomes the first, the companion's the second. Two models that read English differently
    # disagree on different questions (cross-lingual dev set, Recall@10: see README).
    companion_shares: tuple[float, float] = (0.1, 0.2)
    # With companion_reads_questions (KB_COMPANION_QUESTIONS) an untranslated question is read by the companion
    # too, among the articles the other runs found, with this share: the English dev sets gained 0.5-1.3 nDCG@10
    # points, for 8 ms p50 and 11 ms p95 more a hybrid search at 10,000 articles (README).
    companion_reads_questions: bool = False
    companion_question_share: float = 0.15
    # In a base of several languages e5 rates an article higher for being in the question's language: a
    # Finnish printer question put unrelated Finnish articles (0.84) above the English answer (0.82; 0.93 to
    # the question's English sentence). So the sentence is searched among every language, and articles in the
    # question's language are judged on it too; and their cosines lose the median gain that asking in English
    # gave the English articles the sentence found closest (without_language_advantage; mixed-language dev set:
    # README).
    sentence_everywhere: bool = True
    debias_own_language: bool = True
    # A translated question's two e5 runs are searched again from vectors moved toward the mean of the articles
    # the first fusion ranked best (Rocchio feedback, kb/query_feedback.py): this many articles, with these shares
    # for the question's vector and its English sentence's (cross-lingual dev set: README; 0 articles: off).
    feedback_articles: int = 2
    feedback_shares: tuple[float, float] = (0.3, 0.4)
    # Articles in a language the reader prefers (their browser's Accept-Language) are nudged up by this
    # factor: a Danish agent sees the Danish article before the English one of the same score, never
    # before a clearly better one.
    preferred_language_boost: float = 1.1
    # A query of identifiers only ("ERR-4012") that the keyword engine matched exactly: the embeddings
    # of a bare code are noise, so the keyword side gets this weight (a code found in one article's body
    # ranked 7th-9th at the default).
    code_weight: float = 0.8
    # Each sentence of the question is matched with its best line in an article, or its best section when that is
    # closer (a question that names the title), for the first `line_depth` fused articles (kb/line_evidence.py).
    # The mean of those cosines lifts an article by this weight times how far it stands above the lowest of them,
    # in units of `line_span` (at most once the weight): lines that answer the question no better than the other
    # candidates' add nothing (0 turns it off). Measured on the dev sets (README).
    line_weight: float = 0.5
    line_span: float = 0.12
    line_depth: int = 20
    rrf_k: float = 60.0
    fetch: int = 100  # chunks fetched from each engine before fusing


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


def without_language_advantage(own: Mapping[K, float], sentence: Mapping[K, float], in_language: Callable[[K], bool],
                               english: Callable[[K], bool], top: int = 5, least: int = 3) -> dict[K, float]:
    """The question's cosines, those of articles in its language lowered by that language's advantage.

    The advantage is read from the English articles the question's English sentence found closest (its best
    `top` that the question's own run found too): the median of what asking in their language added to their
    cosine. A poor translation shows a small gain, and the question's own language keeps its say; with fewer
    than `least` such articles nothing changes. The best few, not all: unrelated articles gain little from any
    translation, and in a small base they are most of those found.
    """
    found = sorted((key for key in own if key in sentence and english(key)), key=lambda key: -sentence[key])
    gains = sorted(sentence[key] - own[key] for key in found[:top])
    gain = max(0.0, gains[len(gains) // 2]) if len(gains) >= least else 0.0
    return {key: value - gain if in_language(key) else value for key, value in own.items()}


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

    The later runs (the translation's keywords, the English companion model) search English articles only:
    without this, a Polish article answering a Polish question well could score at most the earlier runs'
    share, below an English one found by all of them.
    """
    own = sum(weights[:runs])
    if own <= 0 or own >= sum(weights):
        return dict(fused)
    return {key: value / own if outside(key) else value for key, value in fused.items()}


def with_line_evidence(ranking: Sequence[K], scores: Mapping[K, float], line_scores: Mapping[K, float],
                       weight: float, depth: int, span: float) -> tuple[list[K], dict[K, float]]:
    """The first `depth` keys' scores plus `weight` times how far their line score stands above the lowest of
    them, in units of `span` and at most one; and the new ranking.

    Keys below `depth` keep their scores: each one above them only gains, so none of them can rise past it.
    """
    top = list(ranking[:depth])
    found = {key: line_scores[key] for key in top if key in line_scores}
    floor = min(found.values(), default=0.0)
    lifted = {**scores, **{key: scores[key] + weight * min(1.0, (found[key] - floor) / span) for key in found}}
    return sorted(top, key=lambda key: -lifted[key]) + list(ranking[depth:]), lifted


def top_keys(scores: Mapping[K, float], limit: int) -> list[K]:
    """Keys by descending score (ties keep insertion order)."""
    return [key for key, _ in sorted(scores.items(), key=lambda item: -item[1])[:limit]]


def in_tiers(fuse: Callable[[list[Hit], list[Hit]], Fused], keyword: list[Hit], semantic: list[Hit], usual: int
             ) -> Fused:
    """A deeper fetch (many results asked for) fused in two tiers: the articles the usual fetch finds, ranked
    exactly as it ranks them, then those only the deeper one found, in its order and never above them."""
    ranking, scores, best, evidence = fuse(keyword[:usual], semantic[:usual])
    deeper = fuse(keyword, semantic)
    floor = min(scores.values(), default=0.0)
    for article in (a for a in deeper[0] if a not in scores):
        ranking.append(article)
        scores[article], best[article], evidence[article] = (min(deeper[1][article], floor),
                                                             deeper[2][article], deeper[3][article])
    return ranking, scores, best, evidence
