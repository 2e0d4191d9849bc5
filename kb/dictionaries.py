"""Bilingual dictionaries into English, read from FreeDict's dictd files, looked up word by word.

Debian's `dict-freedict-dan-eng` and friends put `freedict-dan-eng.index` and `.dict.dz` under
/usr/share/dictd.  A word is looked up as a headword, else by its dictionary form (kb/lemmas.py), else
by its stem, else with a short ending cut off, else as a compound of two headwords.
"""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from kb.index.keyword_analysis import _stemmer, _words

# ISO 639-1 -> the ISO 639-3 code FreeDict names its files with.
ISO3 = {"da": "dan", "nl": "nld", "pl": "pol", "fi": "fin", "de": "deu", "sv": "swe", "fr": "fra", "es": "spa",
        "it": "ita", "pt": "por", "cs": "ces", "hu": "hun", "nb": "nob"}
LOOKUP_CACHE = 100_000  # words remembered per dictionary
SENSES = 2  # translations kept per headword: the first senses are the common ones
MIN_STEM = 5  # shortest word left after cutting an ending off
MIN_PART = 4  # shortest compound part tried: shorter ones match by chance ("pitä|isi|kö")
_LINKS = ("", "s", "e", "en", "n")  # linking letters between compound parts (Danish, Dutch, German, Swedish)
_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_NOTE = re.compile(r"\([^)]*\)|<[^>]*>|\[[^]]*\]")
_SENSE = re.compile(r"^\d+\.\s*")
_TRIM = " \t-‐–—'\"."
_LETTERS = re.compile(r"[^\W\d_]{2}")
_INLINE_SENSE = re.compile(r"\s\d+\.(?=\s|$)")


def _offset(code: str) -> int:
    value = 0
    for char in code:
        value = value * 64 + _B64[char]
    return value


def _senses(entry: str) -> list[str]:
    """English translations of one dictd entry: the lines after the headword, numbered senses included.

    FreeDict's Wiktionary-based dictionaries follow the translation with a definition in the source
    language; it starts after the first un-numbered line, so reading stops there.
    """
    found: list[str] = []
    for number, line in enumerate(entry.split("\n")[1:]):
        line = line.strip()
        if not line:
            continue
        if number > 0 and not _SENSE.match(line):
            break
        line = _INLINE_SENSE.sub(", ", _NOTE.sub("", _SENSE.sub("", line)))
        parts = (part.strip(_TRIM) for part in re.split(r"[,;]", line))
        found += [part for part in parts if _LETTERS.search(part)]  # not bare suffixes such as "‐y"
    return found


def read_dictd(index_path: Path, dict_path: Path) -> dict[str, tuple[str, ...]]:
    """Headword (lowercase) -> English translations, from a dictd index and its (optionally gzipped) data."""
    opener = gzip.open if dict_path.suffix == ".dz" else open
    with opener(dict_path, "rb") as handle:
        data = handle.read()
    entries: dict[str, list[str]] = defaultdict(list)
    for line in index_path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) != 3 or parts[0].startswith("00-database") or parts[0].startswith("00database"):
            continue
        start, length = _offset(parts[1]), _offset(parts[2])
        senses = _senses(data[start : start + length].decode("utf-8", "replace"))
        if senses:
            entries[parts[0].lower()].extend(sense.lower() for sense in senses)
    return {word: tuple(dict.fromkeys(senses)) for word, senses in entries.items()}


def dictionary_files(folder: Path, language: str) -> tuple[Path, Path] | None:
    """The language's installed dictd index and data files into English, if there are any."""
    code = ISO3.get(language)
    index = folder / f"freedict-{code}-eng.index"
    data = next((p for p in (index.with_suffix(".dict.dz"), index.with_suffix(".dict")) if p.exists()), None)
    return (index, data) if code and index.exists() and data is not None else None


class Dictionary:
    """One language's entries into English, looked up by word, dictionary form, stem or compound parts."""

    def __init__(self, language: str, entries: dict[str, tuple[str, ...]],
                 lemma: Callable[[str], str | None] | None = None) -> None:
        self.language = language
        self.entries = entries
        self._lemma = lemma  # inflected word -> dictionary form (kb/lemmas.py), when one is available
        self._stem = _stemmer(language)
        by_stem: dict[str, list[str]] = defaultdict(list)
        for word in entries:
            if " " not in word:
                by_stem[self._stem(word)].append(word)
        self.by_stem = {stem: sorted(words, key=len) for stem, words in by_stem.items()}
        self.english = frozenset(w for senses in entries.values() for sense in senses for w in _words(sense))
        self._seen: dict[str, tuple[str, ...]] = {}

    def _single(self, word: str) -> tuple[str, ...]:
        if word in self.entries:
            return self.entries[word][:SENSES]
        lemma = self._lemma(word) if self._lemma else None
        if lemma in self.entries:
            return self.entries[lemma][:SENSES]
        heads = self.by_stem.get(self._stem(word), ())
        if not heads:
            # Snowball's stems of a nominative and its cases can differ (Finnish "salasana" -> "salas",
            # "salasanan" -> "salasan"): an ending of up to three letters is also tried off the word itself.
            cuts = [word[:-cut] for cut in (1, 2, 3) if len(word) - cut >= MIN_STEM]
            heads = [head for head in cuts if head in self.entries][:1]
        return tuple(dict.fromkeys(t for head in heads[:2] for t in self.entries[head][:SENSES]))

    def knows(self, word: str) -> bool:
        """The word is a headword, an inflected form of one, or one less a short ending: evidence of the language.

        Stems and compound splits are left out here, because they find something in nearly any language;
        a dictionary form is the language's own ("hasła" is Polish for "hasło").
        """
        if word in self.entries or any(word[:-cut] in self.entries for cut in (1, 2, 3)
                                       if len(word) - cut >= MIN_STEM):
            return True
        return self._lemma is not None and self._lemma(word) in self.entries

    def _compound(self, word: str) -> tuple[str, ...]:
        """Two headwords glued together, the longest tail first ("værne|midler", "beschermings|middelen")."""
        for cut in range(MIN_PART, len(word) - MIN_PART + 1):
            tail = self._single(word[cut:])
            if not tail:
                continue
            head = word[:cut]
            for link in _LINKS:
                if link and not head.endswith(link):
                    continue
                found = self._single(head[: len(head) - len(link)]) if len(head) - len(link) >= MIN_PART else ()
                if found:
                    return found[:1] + tail
        return ()

    def lookup(self, word: str) -> tuple[str, ...]:
        """English translations of a word, or () when the dictionary has nothing for it."""
        found = self._seen.get(word)
        if found is None:
            # Stems and compound splits cost tens of microseconds a word; agents repeat their words.
            if len(self._seen) >= LOOKUP_CACHE:
                self._seen.clear()
            found = self._single(word) or (self._compound(word) if len(word) >= 2 * MIN_PART else ())
            self._seen[word] = found
        return found
