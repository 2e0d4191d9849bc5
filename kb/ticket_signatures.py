"""Sign-offs, signature blocks and postscripts at the end of a ticket's message (kb/ticket_cleaning.py)."""

from __future__ import annotations

import re

from kb.ticket_patterns import CONTACT, POSTSCRIPT, POSTSCRIPT_ALONE, SIG_DELIM, SIGNOFF


def _name_like(s: str) -> bool:
    """Looks like a person's name or a short title-cased signature line ("J. Kowalski", "Acme Ltd")."""
    words = s.replace(",", " ").split()
    return 0 < len(words) <= 4 and not any(c.isdigit() for c in s) and all(
        w[0].isupper() or w.lower() in ("van", "de", "der", "den", "von", "da", "&", "|", "-") for w in words)


def is_signoff(line: str) -> bool:
    """A closing such as 'Kind regards,' or 'Mvh Jens': the phrase plus at most a name."""
    m = SIGNOFF.match(line)
    return bool(m) and (not (rest := line[m.end():].strip(" ,.!-–")) or _name_like(rest))


LINK = re.compile(r"https?://\S+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


def _without_closing(line: str) -> str:
    """A last line that ends with its own sign-off ("Hvad gør vi? Mvh Peter"): the line without it."""
    last = SENTENCE_END.split(line)[-1]
    return line[: len(line) - len(last)].rstrip() if last != line and is_signoff(last.strip()) else line


def _is_sig_line(line: str, strict: bool) -> bool:
    """A signature line: contact details, or (strict) a bare name, title or company."""
    words = len(line.split())
    if "?" in line or words > 8:
        return False
    return (strict and _name_like(line)) or bool(SIG_DELIM.match(line)) or is_signoff(line) or (
        line[-1] not in ".!" and (_contact_line(line) or ("@" in line and words <= 3)))


def _contact_line(line: str) -> bool:
    """Phone, "tel:", "|" mark a signature line; a link only when it is most of the line ("Web: https://…")."""
    # "Receipts print blank since the update https://shop.example/till" is the customer's whole question.
    without_links = LINK.sub(" ", line)
    return bool(CONTACT.search(without_links)) or (without_links != line and len(without_links.split()) <= 3)


def _postscript(lines: list[str], strict: bool) -> list[str]:
    """The postscripts among the lines after a sign-off: each from its "P.S." to the next blank line, its
    own closing name left out."""
    kept: list[str] = []
    for start in (i for i, line in enumerate(lines) if POSTSCRIPT.match(line) or POSTSCRIPT_ALONE.match(line)):
        end = next((i for i in range(start + 1, len(lines)) if not lines[i].strip()), len(lines))
        first = POSTSCRIPT.sub("", lines[start]) if POSTSCRIPT.match(lines[start]) else ""
        kept += ["", *_trim_signature([*([first] if first else []), *lines[start + 1:end]], strict)]
    return kept


def _trim_signature(lines: list[str], strict: bool) -> list[str]:
    """The lines without the signature lines they end with."""
    end = len(lines)
    while end and (not lines[end - 1].strip() or _is_sig_line(lines[end - 1].strip(), strict)):
        end -= 1
    # Short lines after "…these devices:" are a list the customer wrote, not a signature.
    return lines if end and lines[end - 1].rstrip().endswith(":") else lines[:end]


def cut_signature(lines: list[str], strict: bool, cut: bool) -> list[str]:
    """Drop the sign-off (and, when cut, everything after it or after '-- ' but a postscript), then trailing
    signature lines."""
    seen, end = False, len(lines)
    for i, line in enumerate(lines):
        closing = bool(SIG_DELIM.match(line) or is_signoff(line.strip()))
        # A leading "Thanks!" opens the message rather than closing it; "-- " always starts a signature.
        if closing and cut and (seen or SIG_DELIM.match(line)):
            end = i
            break
        seen = seen or (bool(line.strip()) and not closing)
    postscript = _postscript(lines[end:], strict) if cut else []
    # In a chat a "thanks" may be followed by another question, so only the closing line itself goes.
    lines = _trim_signature(lines[:end] if cut else [ln for ln in lines if not is_signoff(ln.strip())], strict)
    if cut and lines:  # a closing typed on the question's own line
        lines[-1] = _without_closing(lines[-1])
    return lines + postscript
