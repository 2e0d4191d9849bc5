"""URL slugs derived from titles: lowercase ASCII words joined by hyphens, other scripts transliterated."""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

# Letters NFKD does not decompose into ASCII.
_SPECIAL = str.maketrans({
    "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "å": "a", "Å": "a", "ł": "l", "Ł": "l",
    "ß": "ss", "đ": "d", "Đ": "d", "þ": "th", "ð": "d", "œ": "oe", "Œ": "oe",
})
MAX_SLUG_LENGTH = 80
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Paths of the pages that sit beside /articles/<slug>; an article must never shadow them.
RESERVED = frozenset({"new"})


def slugify(title: str, max_length: int = MAX_SLUG_LENGTH) -> str:
    """Turn a title in any language into a slug (Cyrillic, Greek, CJK transliterated); 'article' if none is left."""
    ascii_text = anyascii(unicodedata.normalize("NFKC", _fold(title, keep=True))).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    slug = slug or "article"
    # An all-digit slug would read as an article id; a reserved one would hide a page.
    return f"{slug}-article" if slug.isdigit() or slug in RESERVED else slug


def is_latin(text: str) -> bool:
    """True when every letter of `text` is Latin, accents aside (no Cyrillic, Greek, CJK...)."""
    return all(not ch.isalpha() or _fold(ch).strip() for ch in text)


def _fold(text: str, keep: bool = False) -> str:
    """Latin letters without their accents; other letters kept for anyascii if `keep`; the rest a space."""
    def folded(char: str) -> str:
        if char.isascii() or (keep and char.isalnum()):
            return char
        return "" if unicodedata.combining(char) else " "  # an accent goes, a dash or emoji separates words
    return "".join(map(folded, unicodedata.normalize("NFKD", text.translate(_SPECIAL))))


def is_valid_slug(value: str) -> bool:
    """True for a slug this module could have produced: not all digits, not reserved."""
    return (len(value) <= MAX_SLUG_LENGTH + 8 and bool(SLUG_PATTERN.fullmatch(value))
            and not value.isdigit() and value not in RESERVED)
