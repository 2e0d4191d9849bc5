"""Extract the customer's actual question from a noisy support ticket (e-mail, HTML, chat, call note, web form).

Tickets are cleaned by what their parts *are* (quote headers, header blocks, speaker and field labels, sign-off
and signature blocks, disclaimers), with generic patterns for en, da, nl, pl, fi and de, never by one template's
wording. Long results are shortened on purpose, not truncated blindly: above MAX_CHARS we keep the opening text
(where the ask usually is) plus later sentences carrying a question mark or an identifier (the searchable detail).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kb.html_text import html_to_text
from kb.index.keyword_analysis import plain_text
from kb.personal_data import mask_personal_data
from kb.ticket_channels import chat_lines, detect_mode, form_lines, phone_lines
from kb.ticket_identifiers import Identifier, extract_identifiers
from kb.ticket_patterns import (
    ADDRESSEE,
    BULLET,
    CONFIDENTIAL,
    CTRL,
    DISCLAIMER,
    FILLER,
    FROM,
    FWD,
    GREET_INLINE,
    GREET_LINE,
    HDR,
    LOOKS_HTML,
    MENTIONS,
    META,
    POINTS_BACK,
    QUOTE_INTRO,
    QUOTED,
    SENT_FROM,
    SENT_SPLIT,
    SEP,
    SUBJ_LABEL,
    SUBJ_PREFIX,
    SUBJ_REF,
    SUBJ_URGENT,
    WROTE,
    WS,
)
from kb.ticket_signatures import cut_signature, is_signoff

# Re-exported: callers import the whole ticket-cleaning API from this module.
__all__ = [
    "HEAD_CHARS",
    "MAX_CHARS",
    "CleanedTicket",
    "Identifier",
    "clean_ticket",
    "extract_identifiers",
    "html_to_text",
    "mask_personal_data",
]

MAX_CHARS = 4000
HEAD_CHARS = 2000


@dataclass(frozen=True)
class CleanedTicket:
    """The customer's question extracted from a ticket, with its cleaned subject and identifiers."""

    text: str
    subject: str
    identifiers: tuple[Identifier, ...]
    search_terms: tuple[str, ...]
    # The message held nothing but a greeting, a sign-off or filler ("Hi,", "please call me back"): what `text`
    # holds then came back from the lenient pass, and asks nothing.
    pleasantries_only: bool = False

    @property
    def question(self) -> str:
        """The subject line over the message: what is searched, logged and shown as asked."""
        return "\n".join(part for part in (self.subject, self.text) if part)


# --- message boundaries ------------------------------------------------------------------------------------
def _clean_subject(subject: str) -> str:
    """Strip RE:/FW: prefixes, ticket numbers and urgency words from a subject line."""
    s = SUBJ_URGENT.sub(" ", SUBJ_REF.sub(" ", SUBJ_PREFIX.sub("", WS.sub(" ", subject))))
    s = SUBJ_PREFIX.sub("", WS.sub(" ", s).strip(" -–:|,.;"))
    return "" if s.lower() in ("(no subject)", "no subject") else s


def _boundary(lines: list[str], i: int) -> tuple[int, str]:
    """(lines consumed, 'reply'/'forward') if a quoted or forwarded message starts at line i, else (0, '')."""
    line, nxt = lines[i], (lines[i + 1] if i + 1 < len(lines) else "").strip()
    if FROM.match(line):  # Outlook-style header block: From: plus Sent:/To:/Subject: lines
        n = next((n for n in range(1, len(lines) - i) if not HDR.match(lines[i + n])), len(lines) - i)
        subject = next((m.group(1) for ln in lines[i:i + n] if (m := SUBJ_LABEL.match(ln))), "")
        return (n, "forward" if FWD.search(subject) else "reply") if n >= 2 else (0, "")
    if SEP.match(line):
        return 1, "forward" if FWD.search(line) else "reply"
    if not (line.rstrip().endswith(":") or nxt.endswith(":")):  # cheap pre-check: every quote header ends so
        return 0, ""
    if len(line) < 300 and WROTE.search(line) and re.search(r"\d|@", line):
        return 1, "reply"
    wrapped = f"{line} {nxt}"  # "On Mon, 3 Jun 2024 at 09:12, X <x@y>" + "wrote:" on the next line
    if len(line) < 300 and len(nxt) < 60 and QUOTE_INTRO.match(line) and WROTE.search(wrapped) and re.search(
            r"\d|@", wrapped):
        return 2, "reply"
    return 0, ""


def _segments(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Split into messages: (kind of boundary before it: top/reply/forward, its lines)."""
    segs: list[tuple[str, list[str]]] = [("top", [])]
    i = 0
    while i < len(lines):
        n, kind = _boundary(lines, i)
        if not n:
            segs[-1][1].append(lines[i])
            i += 1
            continue
        # A header block right after a "Forwarded message" separator belongs to that forward.
        after_fwd = segs[-1][0] == "forward" and not any(ln.strip() for ln in segs[-1][1])
        segs.append(("forward" if after_fwd else kind, []))
        i += n
    return segs



# --- disclaimers, filler, length ------------------------------------------------------------------------
def _strip_disclaimer(para: str) -> str:
    """Cut a legal/confidentiality notice, virus-scan or environment footer or external-sender banner.

    Notices trail, so the paragraph is cut from the start of the sentence where the notice begins.
    """
    m = DISCLAIMER.search(para) or (ADDRESSEE.search(para) and CONFIDENTIAL.search(para))
    if not m:
        return para
    start = max((s.end() for s in SENT_SPLIT.finditer(para, 0, m.start())), default=0)
    return para if "?" in para[start:] else para[:start].strip()


def _drop_filler(para: str) -> str:
    """Remove sentences that only chase, thank or ask for a call-back, never ones with a question or a code."""
    sentences = SENT_SPLIT.split(para)
    return " ".join(s for s in sentences if "?" in s or not FILLER.match(s) or extract_identifiers(s)).strip()


def _limit(paras: list[str]) -> list[str]:
    """Keep the opening text up to HEAD_CHARS, then later sentences with a question or identifier, to MAX_CHARS."""
    if sum(len(p) + 1 for p in paras) <= MAX_CHARS:
        return paras
    out: list[str] = []
    size, head_open = 0, True
    for para in paras:
        kept = []
        for sent in SENT_SPLIT.split(para):
            head_open = head_open and size + len(sent) <= HEAD_CHARS
            if head_open or (size + len(sent) <= MAX_CHARS and ("?" in sent or extract_identifiers(sent))):
                kept.append(sent)
                size += len(sent) + 1
        out.extend([" ".join(kept)] if kept else [])
    # One giant unpunctuated block: cut at a word boundary rather than return nothing.
    return out or [paras[0][:HEAD_CHARS].rsplit(" ", 1)[0]]


# --- pipeline ----------------------------------------------------------------------------------------------
def _clean_segment(lines: list[str], channel: str, strict: bool) -> list[str]:
    """Clean one message into paragraphs; strict also drops salutations, filler and bare name lines."""
    own = [ln for ln in lines if not QUOTED.match(ln)]
    if any(ln.strip() for ln in own) and not _points_back(" ".join(own)):
        lines = own
    else:  # nothing but quoted text, or a follow-up pointing at the quote: the quote is what to read
        lines = [QUOTED.sub("", ln) for ln in lines]
    mode = detect_mode(lines, channel)
    lines = [ln for ln in lines if not (SENT_FROM.match(ln) or META.search(ln))]
    extract = {"chat": chat_lines, "phone": phone_lines, "form": form_lines}.get(mode)
    lines = cut_signature(extract(lines) if extract else lines, strict, cut=mode in ("email", "form"))
    if strict:
        lines = [GREET_INLINE.sub("", MENTIONS.sub("", ln)) for ln in lines if not GREET_LINE.match(ln)]
    paras = [_strip_disclaimer(p) for p in _paragraphs(lines)]
    return [q for q in (_drop_filler(p) if strict else p for p in paras) if q]


def _paragraphs(lines: list[str]) -> list[str]:
    """Join wrapped lines into whitespace-normalised paragraphs; each list item starts its own."""
    paras: list[str] = []
    cur: list[str] = []
    for line in [*lines, ""]:
        s = WS.sub(" ", line).strip()
        if cur and (not s or BULLET.match(s)):
            paras.append(" ".join(cur))
            cur = []
        cur.extend([s] if s else [])
    return paras


def _points_back(text: str) -> bool:
    """A follow-up that asks nothing itself and sends the reader to the earlier message for the problem."""
    return "?" not in text and POINTS_BACK.search(text) is not None


def _body(segs: list[tuple[str, list[str]]], channel: str, strict: bool) -> list[str]:
    """Paragraphs of the first non-empty message, plus the forwarded message when it was a forward, or the
    quoted one when the newest points back to it ("still not working, see my message below")."""
    out: list[str] = []
    pointed = False
    for idx, (_, seg) in enumerate(segs):
        paras = _clean_segment(seg, channel, strict)
        out.extend(paras)
        follows = segs[idx + 1][0] if idx + 1 < len(segs) else ""
        points_back = bool(paras) and not pointed and _points_back(" ".join(paras))
        pointed = pointed or points_back
        if paras and not (follows == "forward" or (follows and points_back)):
            break
    return out


def _prepare(text: object) -> tuple[str, str, list[tuple[str, list[str]]]]:
    """Normalise any input to text, then split off top e-mail headers: (text, header subject, segments)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    raw = CTRL.sub("", str(text or "")).replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    raw = html_to_text(raw) if LOOKS_HTML.search(raw) else raw
    lines = raw.split("\n")
    top = next((i for i, ln in enumerate(lines) if ln.strip() and not HDR.match(ln)), len(lines))
    if top < len(lines) - 1 and SUBJ_PREFIX.match(lines[top]) and not lines[top + 1].strip():
        lines[top] = "Subject: " + lines[top]  # a bare "Re: …" line over a blank line is the subject
        top += 1
    segs = _segments(lines[top:])
    # The subject comes from the top headers or a form field of the newest message, never the quoted history.
    subject = next((m.group(1) for ln in lines[:top] + segs[0][1][:20] if (m := SUBJ_LABEL.match(ln))), "")
    return raw, subject, segs


def clean_ticket(text: str, subject: str | None = None, channel: str | None = None) -> CleanedTicket:
    """Extract the customer's problem from raw ticket text (plain or HTML)."""
    given = plain_text(subject) if isinstance(subject, str) else ""
    try:
        # "ERR‑4012" as Outlook hyphenates it is a code
        raw, found_subject, segs = _prepare(plain_text(text) if isinstance(text, str) else text)
        chan = channel.lower().strip() if isinstance(channel, str) else ""
        # The lenient pass keeps salutations and filler, so "Hello" alone still comes back; signatures,
        # disclaimers and quotes stay removed in both passes, so a signature-only ticket yields "".
        strict = _body(segs, chan, strict=True)
        paras = strict or _body(segs, chan, strict=False)
        subj = _clean_subject(given if given.strip() else found_subject)
        idents = extract_identifiers(f"{given}\n{raw}")
    except Exception:  # ticket intake must never fail; degrade to whitespace-normalised text
        strict, paras, subj, idents = ["?"], [WS.sub(" ", str(text or "")).strip()], "", ()
    out = "\n".join(_limit(paras)) if paras else ""
    # Every reference is reported, wherever it was; but only codes in the subject and the newest message
    # are matched exactly: an ERR-4012 in the quoted history belongs to another conversation.
    asked = {i.value for i in extract_identifiers(f"{given}\n{subj}\n{out}")}
    terms = tuple(dict.fromkeys(i.value for i in idents if i.kind != "ticket_ref" and i.value in asked))
    # Text without a single letter or digit ("<<<>>>", "--") carries no question.
    out = out if any(c.isalnum() for c in out) else ""
    # Only what the lenient pass kept for being a greeting or filler: a short "Printer Broken" is a question.
    pleasantries = bool(out) and not strict and all(map(_pleasantry, paras))
    return CleanedTicket(out, subj, idents, terms, pleasantries_only=pleasantries)


def _pleasantry(para: str) -> bool:
    """A greeting, a sign-off or sentences of polite filler, and nothing else."""
    return bool(GREET_LINE.match(para) or is_signoff(para)) or all(
        FILLER.match(s) for s in SENT_SPLIT.split(para) if s.strip())
