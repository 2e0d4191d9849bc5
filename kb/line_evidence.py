"""Line evidence for a search: which of the question's sentences to encode, and the fused articles they lift.

Each sentence of the question is matched with its best line in each of the first fused articles (kb/section_lines.py,
kb/index/line_vectors.py), or with its best section when that is closer: a section reads its title and headings,
which a line leaves out. The mean of those cosines lifts an article by how far it stands above the other
candidates' (kb/fusion.py, with_line_evidence).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kb.fusion import FusionConfig, with_line_evidence
from kb.index.line_vectors import LineVectors
from kb.index.semantic import SemanticIndex
from kb.section_lines import question_sentences


def sentences_to_match(config: FusionConfig, windows: Sequence[str]) -> list[str]:
    """The question's sentences (none when line evidence is off); a question of one sentence is read whole, as
    the semantic engine reads it, so its vector is encoded once."""
    if config.line_weight <= 0:
        return []
    sentences = question_sentences(windows)
    return list(windows) if len(sentences) == 1 and len(windows) == 1 else sentences


def lifted_by_lines(lines: LineVectors, sections: SemanticIndex, config: FusionConfig, ranking: list[int],
                    scores: dict[int, float], vectors: np.ndarray) -> tuple[list[int], dict[int, float]]:
    """The ranking and scores with the first fused articles lifted by the mean of each sentence's best line."""
    top = ranking[: config.line_depth]
    best, whole = lines.best_per_article(vectors, top), sections.best_per_article(vectors, top)
    # An article without lines (a title and a heading alone) is judged on its sections.
    closest = {a: np.maximum(best[a], whole[a]) if a in best and a in whole else best.get(a, whole.get(a))
               for a in top if a in best or a in whole}
    return with_line_evidence(ranking, scores, {a: float(v.mean()) for a, v in closest.items()},
                              config.line_weight, config.line_depth, config.line_span)
