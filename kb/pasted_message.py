"""A customer's message pasted into the search box is searched for its question, as a suggestion reads a ticket."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from kb.query_text import digest
from kb.search import SearchEngine
from kb.search_results import SearchResponse
from kb.ticket_cleaning import CleanedTicket, clean_ticket

# A whole HTML document, or two closed paragraphs: markup that was pasted, not words about tags that were typed.
HTML_MESSAGE = re.compile(r"<(?:html|body)\b|</(?:p|div)>.*</(?:p|div)>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class TicketQuery:
    """What the engines read of a cleaned ticket: its text, its identifiers exactly, its asking sentences."""

    text: str
    exact_terms: tuple[str, ...]
    semantic_queries: tuple[str, ...]


def ticket_query(cleaned: CleanedTicket) -> TicketQuery:
    """The search behind a cleaned ticket: the whole of it for keywords, its digest for meaning."""
    text = cleaned.question
    return TicketQuery(text, cleaned.search_terms, (digest(text, cleaned.search_terms),))


def pasted_message(query: str) -> TicketQuery | None:
    """The question of a pasted e-mail or chat, or None for a typed query or when there is nothing to clean away."""
    if "\n" not in query.strip() and not HTML_MESSAGE.search(query):
        # One line is typed, whatever it holds ("<br> tags in the template", "> 100 items slow", "Hi, ..."):
        # the search box keeps a pasted e-mail's lines, and cleaning one flattened line gained 1.4 points only.
        # An HTML e-mail body (an API client's `q`) is one line with its paragraphs in tags.
        return None
    cleaned = ticket_query(clean_ticket(query))
    if not cleaned.text.strip() or cleaned.text.split() == query.split():
        return None  # only a signature (search what is there), or the query as typed
    return cleaned


def search_box(engine: SearchEngine, query: str, **options: Any) -> SearchResponse:
    """Search what an agent typed, or the question of the message they pasted (greeting, quotes, signature left out).

    Measured on the dev tickets (orsharc's questions wrapped in e-mail noise), hybrid nDCG@10 0.770 as pasted,
    0.841 cleaned; the typed questions of every other dev set come through cleaning unchanged.
    """
    message = pasted_message(query)
    if message is None:
        return engine.search(query, **options)
    response = engine.search(message.text, exact_terms=message.exact_terms,
                             semantic_queries=message.semantic_queries, **options)
    return replace(response, cleaned_query=message.text)
