"""Masking personal data in free text: e-mail addresses, phone, card and IBAN/account numbers."""
from __future__ import annotations

import re

from kb.ticket_patterns import (
    ACCOUNT,
    CARD,
    EMAIL,
    IBAN,
    PHONE_CUED,
    PHONE_GROUPED,
    PHONE_INTL,
    PHONE_LABELLED,
    PHONE_TRUNK,
    PHONE_US,
)


def _luhn(digits: str) -> bool:
    """Payment-card checksum, so order numbers of card length are not masked."""
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(map(int, digits[::-1])))
    return total % 10 == 0


def _iban_ok(candidate: str) -> bool:
    """ISO 13616 mod-97 check, so product codes shaped like an IBAN are not masked."""
    s = candidate.replace(" ", "")
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def _digits(s: str) -> int:
    """Number of digits in s."""
    return sum(c.isdigit() for c in s)


def mask_personal_data(text: str) -> str:
    """Replace e-mail addresses, phone numbers, card numbers and IBAN/account numbers with placeholders."""
    if not isinstance(text, str):
        return ""
    text = EMAIL.sub("[email]", text)
    text = IBAN.sub(lambda m: "[account]" if _iban_ok(m.group()) else m.group(), text)
    text = CARD.sub(lambda m: "[card]" if _luhn(re.sub(r"\D", "", m.group())) else m.group(), text)
    for pattern, placeholder in ((ACCOUNT, "[account]"), (PHONE_LABELLED, "[phone]")):
        text = pattern.sub(lambda m, p=placeholder: m.group().replace(m.group(1), p) if _digits(m.group(1)) >= 6
                           else m.group(), text)
    text = PHONE_CUED.sub(lambda m: m.group().replace(m.group(1), "[phone]") if 8 <= _digits(m.group(1)) <= 15
                          else m.group(), text)
    for pattern in (PHONE_INTL, PHONE_GROUPED, PHONE_TRUNK):
        text = pattern.sub(lambda m: "[phone]" if 8 <= _digits(m.group()) <= 15 else m.group(), text)
    return PHONE_US.sub("[phone]", text)
