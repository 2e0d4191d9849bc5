"""Starting points for new articles, and drafting a troubleshooting article from a resolved ticket."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.ticket_cleaning import clean_ticket, mask_personal_data
from kb.ticket_patterns import SIGNOFF as _SIGNOFF


@dataclass(frozen=True)
class Template:
    """A named Markdown skeleton an author can start from."""

    key: str
    name: str
    body: str


TEMPLATES: dict[str, Template] = {t.key: t for t in (
    Template("how-to", "How-to", "Who this is for and what it achieves.\n\n## Before you start\n\n- \n\n"
             "## Steps\n\n1. \n2. \n3. \n\n## Check that it worked\n\n"),
    Template("troubleshooting", "Troubleshooting", "Who is affected.\n\n## Symptoms\n\n\n\n## Cause\n\n\n\n"
             "## Resolution\n\n1. \n\n## Workaround\n\n\n"),
    Template("known-issue", "Known issue", "**Status:** investigating · **Affects:** versions\n\n## Symptoms\n\n\n\n"
             "## Cause\n\n\n\n## Resolution\n\nFixed in version …\n\n## Workaround\n\n\n"),
)}

_MY_NAME = re.compile(r"\b(?:my name is|this is|i am|i'm|jeg hedder|mijn naam is|nazywam się|olen)\s+"
                      r"([A-ZÆØÅÄÖŁŚŻŹ][\w'-]+(?:\s+[A-ZÆØÅÄÖŁŚŻŹ][\w'-]+)?)")
_NAME_LINE = re.compile(r"^\s*([A-ZÆØÅÄÖŁŚŻŹ][\w'.-]+(?:\s+[A-ZÆØÅÄÖŁŚŻŹ][\w'.-]+){0,2})\s*$")


def customer_names(ticket: str) -> set[str]:
    """Names a ticket reveals: self-introductions and the name line under a sign-off, with their parts."""
    found = {m.group(1) for m in _MY_NAME.finditer(ticket)}
    lines = ticket.splitlines()
    for i, line in enumerate(lines[:-1]):
        if _SIGNOFF.match(line.strip()) and (m := _NAME_LINE.match(lines[i + 1])):
            found.add(m.group(1))
    return with_parts(found)


def with_parts(names: set[str]) -> set[str]:
    """Full names and their parts: "Anna Berg" signs, "Anna confirmed" later, so both go."""
    return names | {part for name in names for part in name.split() if len(part) > 2}


def scrub(text: str, names: set[str] | tuple[str, ...] = ()) -> str:
    """Remove customer data: e-mails, phones, cards, accounts, and the given or self-introduced names."""
    text = mask_personal_data(text)
    found = {m.group(1) for m in _MY_NAME.finditer(text)} | {n.strip() for n in names if n.strip()}
    for name in sorted(found, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(name)}\b", "[customer]", text, flags=re.IGNORECASE)
    return text


def _title_from(subject: str, text: str) -> str:
    first = subject or re.split(r"(?<=[.?!])\s", text.strip(), maxsplit=1)[0]
    first = " ".join(first.split())
    return (first[:97].rsplit(" ", 1)[0] + "…") if len(first) > 100 else (first or "Untitled troubleshooting article")


def draft_from_ticket(ticket: str, resolution: str, *, subject: str | None = None, title: str | None = None,
                      known_names: tuple[str, ...] = ()) -> dict[str, str]:
    """Title and body of a Troubleshooting draft: symptoms from the cleaned ticket, resolution from the notes."""
    cleaned = clean_ticket(ticket, subject)
    names = with_parts(set(known_names)) | customer_names(ticket)
    symptoms = scrub(cleaned.text, names) or "_Describe what the customer saw._"
    steps = scrub(resolution.strip(), names) or "_Describe what resolved it._"
    codes = ", ".join(f"`{term}`" for term in cleaned.search_terms)
    intro = f"Seen with {codes}.\n\n" if codes else ""
    body = (f"{intro}## Symptoms\n\n{symptoms}\n\n## Cause\n\n_To be confirmed._\n\n"
            f"## Resolution\n\n{steps}\n\n## Workaround\n\n_None known yet._\n")
    return {"title": title or scrub(_title_from(cleaned.subject, cleaned.text), names), "body": body}
