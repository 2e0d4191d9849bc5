"""English words a question borrows and inflects ("printeren", "routera", "loginu"): no dictionary lists them.

Support language is full of English product words that take the borrowing language's endings: Danish
"printeren" (the printer), Swedish "routern", Polish "routera", "loginu". A word no dictionary knows is read
as the English word it ends up as once one of its language's noun endings is cut off, if that English word
is one the installed dictionaries translate into (so "printer" is English, "printe" is not).
"""

from __future__ import annotations

from collections.abc import Container

# Noun endings (definite forms, plurals, cases) that borrowed English nouns take, longest first per language.
ENDINGS: dict[str, tuple[str, ...]] = {
    "da": ("erne", "ene", "ens", "ets", "en", "et", "er", "s"),
    "sv": ("arna", "erna", "orna", "ens", "na", "en", "et", "ar", "er", "n", "t", "s"),
    "nl": ("'s", "en", "s"),
    "de": ("en", "s", "n"),
    "pl": ("ami", "ach", "ów", "om", "em", "ie", "a", "u", "y", "i"),
    "fi": ("issa", "ista", "iin", "ssa", "ssä", "sta", "stä", "lla", "llä", "lle", "na", "nä", "n", "a", "ä"),
    "fr": ("s",),
    "es": ("es", "s"),
}
# Shortest English word read out of a borrowed form: four letters made Finnish "miten" a "mite", Dutch "worden"
# a "word" and Danish "bedst" "beds" (the cross-lingual dev questions).
MIN_ENGLISH = 5


def loanword(word: str, language: str, english: Container[str]) -> str | None:
    """The English word `word` is an inflected borrowing of, or None."""
    for ending in ENDINGS.get(language, ()):
        stem = word[: -len(ending)]
        if word.endswith(ending) and len(stem) >= MIN_ENGLISH and stem in english:
            return stem
    return None
