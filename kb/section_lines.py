"""Sections read line by line, and questions sentence by sentence: the finer grain of the semantic side.

A question of several sentences ("I'm 29 and my credit history is poor. Do I qualify for assistance?") asks
about a combination that one vector of the whole question blurs, and sibling rules split from one page differ in
a line or two ("have a satisfactory credit history" against "be unable to obtain credit elsewhere"). So each
sentence of the question is matched with the line of an article that answers it best, and the mean of those best
cosines is further evidence for the articles the fusion ranked first (kb/fusion.py, with_line_evidence).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from kb.index.base import Chunk
from kb.query_text import split_sentences

LINES_VERSION = 2  # what a line is and how lines are stored: change it and builds are rebuilt (vectors are cached)
MIN_CHARS = 4  # shorter pieces ("1.", "Or") carry no meaning of their own
MAX_QUESTION_SENTENCES = 4  # each costs an e5 encoding at search time; 8 gave the same dev-set figures (README)
_BULLET = " \t*-•#>|"
# A sentence ends at . ! or ? followed by a capital: "approx. 5" and "v2.3.1" stay whole.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-ÞĀ-Ž])")


def lines_of(text: str) -> list[str]:
    """The lines of a section's plain text, list markers left out, long paragraphs split into sentences."""
    pieces = (part.strip() for line in text.splitlines() for part in _SENTENCE_END.split(line.strip(_BULLET)))
    return [p for p in pieces if len(p) >= MIN_CHARS]


def section_lines(chunks: Iterable[Chunk]) -> list[Chunk]:
    """Each section's lines as chunks of their own (`<chunk id>/<n>`), with the section's filters and anchor.

    A line is read without the title and headings: siblings under one title differ in their lines, and the title
    that every one of them repeats would pull their vectors together.
    """
    return [replace(chunk, chunk_id=f"{chunk.chunk_id}/{n}", title="", heading_path=(), text=line)
            for chunk in chunks for n, line in enumerate(lines_of(chunk.text))]


def question_sentences(windows: Sequence[str]) -> list[str]:
    """The sentences of what the semantic engine reads of a question (its windows), at most MAX_QUESTION_SENTENCES."""
    sentences = [s for window in windows for s in split_sentences(window)]
    return [s for s in sentences if len(s) >= MIN_CHARS][:MAX_QUESTION_SENTENCES]
