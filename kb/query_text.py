"""What the engines read of a query: the digest of a long ticket, and the words a snippet marks."""

from __future__ import annotations

import re
from collections.abc import Sequence

# e5 reads ~100 characters in ~19 ms on 2 cores: the semantic query of a long ticket is a digest of its
# asking sentences, so a suggestion stays well under 150 ms. The keyword engine still reads the whole ticket.
DIGEST_CHARS = 450
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def split_sentences(text: str) -> list[str]:
    """The sentences and lines of a text, stripped, empty ones left out."""
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def digest(text: str, identifiers: Sequence[str] = (), budget: int = DIGEST_CHARS) -> str:
    """The sentences that ask (a question mark, an identifier), then the opening ones, in their order."""
    if len(text) <= budget:
        return text
    sentences = split_sentences(text)
    asking = [i for i, s in enumerate(sentences) if "?" in s or any(code in s for code in identifiers)]
    chosen: list[int] = []
    for i in [*asking, *range(len(sentences))]:
        if i not in chosen and sum(len(sentences[j]) + 1 for j in chosen) + len(sentences[i]) <= budget:
            chosen.append(i)
    return " ".join(sentences[i] for i in sorted(chosen)) or text[:budget]


HIGHLIGHT_WORDS = 40


def highlight_terms(query: str, matched: Sequence[str] | None) -> str:
    """What to mark in a snippet: the words the keyword engine matched, else the query's first words."""
    if matched:
        return " ".join(matched)
    # A pasted ticket has hundreds of words; marking (and fuzzy-matching) them all costs more than it shows.
    return " ".join(query.split()[:HIGHLIGHT_WORDS])
