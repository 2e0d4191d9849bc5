"""Channel-specific extraction from one ticket message: chat transcripts, phone-call notes and web forms."""
from __future__ import annotations

from kb.ticket_patterns import (
    AGENT_NOTE,
    AGENT_PHRASE,
    AGENT_ROLE,
    CUST_ROLE,
    FIELD,
    FIELD_KINDS,
    PHONE_HINT,
    QUOTED_SPEECH,
    REPORTED,
    SPEAKER,
    SURVEY,
)


def _speaker(line: str) -> tuple[str, str, bool] | None:
    """(speaker label, utterance, timestamped) for a chat line with a timestamp or a recognised role label."""
    m = SPEAKER.match(line)
    if not m or not (m.group(1) or AGENT_ROLE.search(m.group(2)) or CUST_ROLE.search(m.group(2))):
        return None
    return m.group(2).strip(), (m.group(3) or "").strip(), bool(m.group(1))


def chat_lines(lines: list[str]) -> list[str]:
    """Keep what the customer/visitor typed (and a pre-chat form's question); agent and bot turns go."""
    turns: list[tuple[str, list[str]]] = []
    preamble: list[str] = []
    for line in lines:
        if sp := _speaker(line):
            turns.append((sp[0], [sp[1]]))
        elif turns and line.strip():
            turns[-1][1].append(line)
        elif not turns:
            preamble.append(line)
    said: dict[str, str] = {}
    for label, texts in turns:
        said[label] = f"{said.get(label, '')} {' '.join(texts)}"
    # A bare name ("Priya:") counts as an agent only if that speaker talks like one.
    agents = {lb for lb, text in said.items()
              if AGENT_ROLE.search(lb) or (not CUST_ROLE.search(lb) and AGENT_PHRASE.search(text))}
    out = form_lines(preamble) if _is_form(preamble) else []
    for label, texts in turns:
        out.extend([*texts, ""] if label not in agents else [])
    return out


def phone_lines(lines: list[str]) -> list[str]:
    """Keep the reported problem ('Customer says: …'); without such lines drop only the agent's own actions."""
    out: list[str] = []
    grab = False
    for line in lines:
        if ":" in line and (m := REPORTED.search(line)):
            rest = line[m.end():].strip()
            # Quoted speech ends at its closing quote; what follows is the agent's note again.
            out.append(q.group(1) if (q := QUOTED_SPEECH.match(rest)) else rest)
            grab = not out[-1]  # "Customer says:" alone introduces the following lines
        elif grab and line.strip():
            out.append(line)
        else:
            grab = False
    return out if any(out) else [ln for ln in lines if not AGENT_NOTE.match(ln)]


def _field(line: str) -> tuple[str, str, str] | None:
    """(kind, label, value) for a form-field line; kind is message/useful/drop/other."""
    if SURVEY.match(line):
        return "drop", "", ""
    if not (m := FIELD.match(line)):
        return None
    label, value = m.group(1).strip(" ?"), (m.group(2) or "").strip()
    kind = next((kind for kind, pattern in FIELD_KINDS if pattern.fullmatch(label)), "other")
    return kind, label, value


def _is_form(lines: list[str]) -> bool:
    """Two or more known form fields, or any message/description field."""
    kinds = [f[0] for f in map(_field, lines) if f and f[0] != "other"]
    return len(kinds) >= 2 or "message" in kinds


def form_lines(lines: list[str]) -> list[str]:
    """Keep message/description values and useful fields (product, version, error); drop contact/admin fields."""
    out: list[str] = []
    keep = True
    for line in lines:
        if not (f := _field(line) if line.strip() else None):
            # A blank line ends a dropped field's continuation; a long line or a question is the message itself.
            keep = keep or not line.strip() or "?" in line or len(line) >= 60
            out.append(line if keep else "")
            continue
        kind, label, value = f
        if kind == "message" or (kind == "other" and (len(value) >= 40 or "?" in value)):
            out.extend([value if kind == "message" else line, ""])
        elif kind == "useful" and value:
            out.extend([f"{label}: {value}", ""])
        keep = kind != "drop" and (kind != "other" or len(value) >= 40)
    return out


def detect_mode(lines: list[str], channel: str) -> str:
    """Pick chat/phone/form/email from structure; the channel is a hint that wins when it names chat or phone."""
    if channel in ("chat", "phone"):
        return channel
    if any(PHONE_HINT.match(ln) or (":" in ln and REPORTED.search(ln)) for ln in lines):
        return "phone"
    speakers = [sp for sp in map(_speaker, lines) if sp]
    # Two labelled speakers alone ("User: admin", "Customer: Acme") are no chat without timestamps or an agent.
    if len({sp[0] for sp in speakers}) >= 2 and (
            sum(sp[2] for sp in speakers) >= 2 or any(AGENT_ROLE.search(sp[0]) for sp in speakers)):
        return "chat"
    return "form" if _is_form(lines) else "email"
