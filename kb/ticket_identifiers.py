"""Codes worth exact matching in ticket text: error codes, hex codes, versions and ticket references."""
from __future__ import annotations

from dataclasses import dataclass

from kb.ticket_patterns import ID_PATTERNS


@dataclass(frozen=True)
class Identifier:
    """A code worth exact matching (error_code, hex_code, version) or a reference number (ticket_ref)."""

    kind: str
    value: str


def _is_date_or_ip(value: str) -> bool:
    """True for dotted dates (03.06.2024, 2024.06.03, 03.06.24) and IPv4 addresses, which look like versions."""
    parts = value.split(".")
    if len(parts) == 3 and (len(parts[2]) == 4 or len(parts[0]) == 4 or (
            len(parts[1]) == len(parts[2]) == 2 and int(parts[0]) <= 31 and int(parts[1]) <= 12)):
        return True
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts) and int(parts[0]) > 9


def extract_identifiers(text: str) -> tuple[Identifier, ...]:
    """Find error codes, hex codes, versions and ticket references, unique and in order of appearance."""
    text = text if isinstance(text, str) else ""
    used = bytearray(len(text))  # claimed characters: keeps overlap checks linear in the text length
    taken: list[tuple[int, Identifier]] = []
    for kind, pattern in ID_PATTERNS:
        for m in pattern.finditer(text):
            value = m.group(m.lastindex or 0)
            if (kind == "version" and _is_date_or_ip(value)) or any(used[m.start():m.end()]):
                continue
            used[m.start():m.end()] = b"\x01" * (m.end() - m.start())
            taken.append((m.start(), Identifier(kind, value)))
    return tuple(dict.fromkeys(ident for _, ident in sorted(taken, key=lambda t: t[0])))
