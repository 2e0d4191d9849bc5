"""Which section a found article opens at: the ranking's hybrid evidence, weighed per section."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from kb.fusion import max_normalise, min_max_normalise
from kb.index.base import Chunk, Hit
from kb.index.keyword import match_spans
from kb.index.keyword_analysis import _is_identifier


def _per_chunk(hits: Sequence[Hit]) -> dict[str, float]:
    best: dict[str, float] = {}
    for hit in hits:
        best[hit.chunk_id] = max(hit.score, best.get(hit.chunk_id, hit.score))
    return best


def _merged(runs: Iterable[dict[str, float]]) -> dict[str, float]:
    merged: dict[str, float] = {}
    for run in runs:
        for chunk_id, score in run.items():
            merged[chunk_id] = max(score, merged.get(chunk_id, 0.0))
    return merged


def matches_in_section(chunk: Chunk, words: Sequence[str]) -> bool:
    """True when the words match in the section's own heading or text, not only in the article's title or tags.

    A word the title and tags do not hold matched in the section, even where no mark shows it (a typo the
    engine corrected: "pasword").
    """
    if not words:
        return False
    if match_spans("\n".join((*chunk.heading_path, chunk.text)), " ".join(words), chunk.language):
        return True
    title = "\n".join((chunk.title, *chunk.tags))
    return any(not match_spans(title, word, chunk.language) for word in words)


def _codes_here(chunk: Chunk, words: Sequence[str]) -> float:
    """Share of the matched identifiers that the section itself holds (1.0 when none matched).

    An identifier outweighs every word in the keyword score, so one in the article's title ("SYNC-401 or
    SYNC-429") would make every section look equally right, SYNC-429's Resolution for a SYNC-401 question too.
    """
    codes = [w for w in words if _is_identifier(w)]
    if not codes:
        return 1.0
    own = "\n".join((*chunk.heading_path, chunk.text))
    return sum(bool(match_spans(own, code, chunk.language)) for code in codes) / len(codes)


def choose_sections(articles: Iterable[int], keyword: Sequence[Sequence[Hit]], semantic: Sequence[Sequence[Hit]],
                    chunks: Mapping[str, Chunk], keyword_weight: float) -> dict[int, str]:
    """The section each of `articles` opens at: the best of its sections by the ranking's weighted sum.

    Every section carries its article's title and tags, so a query that matched only those would send the
    reader to the shortest section (BM25 favours it): keyword evidence counts where the words matched in
    the section itself.
    """
    k = _merged(max_normalise(_per_chunk(run)) for run in keyword)
    s = _merged(min_max_normalise(_per_chunk(run)) for run in semantic)
    words = {h.chunk_id: h.matched_terms for run in keyword for h in run}
    wanted = set(articles)
    candidates: dict[int, list[str]] = {}
    for chunk_id in {*k, *s}:
        chunk = chunks.get(chunk_id)
        if chunk is not None and chunk.article_id in wanted:
            candidates.setdefault(chunk.article_id, []).append(chunk_id)

    def bound(chunk_id: str) -> float:  # the score if the words matched in the section itself
        return keyword_weight * k.get(chunk_id, 0.0) + (1.0 - keyword_weight) * s.get(chunk_id, 0.0)

    def score(chunk_id: str) -> tuple[float, int]:
        chunk, matched = chunks[chunk_id], words.get(chunk_id, ())
        own = k.get(chunk_id, 0.0) * _codes_here(chunk, matched) if matches_in_section(chunk, matched) else 0.0
        # Ties (a match in the title alone, in every section) go to the earliest section: the article's top.
        return keyword_weight * own + (1.0 - keyword_weight) * s.get(chunk_id, 0.0), -chunks[chunk_id].ordinal

    def best_of(ids: list[str]) -> str:
        # Reading sections costs: best bound first, and stop once none left can beat the best so far.
        best, best_score = "", (-1.0, 0)
        for chunk_id in sorted(ids, key=lambda c: (-bound(c), chunks[c].ordinal)):
            if best and bound(chunk_id) < best_score[0]:
                break
            if (found := score(chunk_id)) > best_score:
                best, best_score = chunk_id, found
        return best

    return {article_id: best_of(ids) for article_id, ids in candidates.items()}
