"""Query translation into English with bilingual dictionaries, for questions asked in another language.

The dictionaries are FreeDict's, in the dictd format Debian ships (`dict-freedict-dan-eng` and friends
put `freedict-dan-eng.index` and `.dict.dz` under /usr/share/dictd).  A Danish question is turned into
English words, word by word: the exact headword, else a headword with the same stem (inflections), else
a compound split into two headwords ("beskyttelses|udstyr").  Words with no entry are kept as they are,
because they are mostly names, codes and loan words ("COVID-19", "Zendesk").  The keyword engine then
searches the English articles with those words, which gives the semantic engine a second, independent
opinion where its cross-lingual recall is weakest.
"""

from __future__ import annotations

import gzip
import logging
import re
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from whoosh.lang.stopwords import stoplists

from kb.index.keyword_analysis import _stemmer, _stopwords, _words

log = logging.getLogger(__name__)

DEFAULT_DICTIONARY_DIR = Path("/usr/share/dictd")
TARGET = "en"
# ISO 639-1 -> the ISO 639-3 code FreeDict names its files with.
ISO3 = {"da": "dan", "nl": "nld", "pl": "pol", "fi": "fin", "de": "deu", "sv": "swe", "fr": "fra", "es": "spa",
        "it": "ita", "pt": "por", "cs": "ces", "hu": "hun", "nb": "nob"}
LOOKUP_CACHE = 100_000  # words remembered per dictionary
SENSES = 2  # translations kept per headword: the first senses are the common ones
MIN_STEM = 5  # shortest word left after cutting an ending off
MIN_PART = 4  # shortest compound part tried: shorter ones match by chance ("pitä|isi|kö")
FALLBACK_COVERAGE = 0.5  # typed words are read as a language only if it translates half of them
_LINKS = ("", "s", "e", "en", "n")  # linking letters between compound parts (Danish, Dutch, German, Swedish)
_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_NOTE = re.compile(r"\([^)]*\)|<[^>]*>|\[[^]]*\]")
_SENSE = re.compile(r"^\d+\.\s*")
_TRIM = " \t-‐–—'\"."
_LETTERS = re.compile(r"[^\W\d_]{2}")
_INLINE_SENSE = re.compile(r"\s\d+\.(?=\s|$)")


@dataclass(frozen=True)
class Translation:
    """A query turned into English words."""

    language: str  # the language it was read as
    text: str  # English words (and kept words) for the keyword engine
    translated: tuple[str, ...]  # query words a dictionary entry was found for
    kept: tuple[str, ...]  # query words without an entry, passed on unchanged

    def to_dict(self) -> dict[str, str]:
        """JSON-ready: the language read and the English words searched."""
        return {"language": self.language, "text": self.text}

    @property
    def coverage(self) -> float:
        """Share of the query's content words that were translated."""
        total = len(self.translated) + len(self.kept)
        return len(self.translated) / total if total else 0.0


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


class Dictionary:
    """One language's entries into English, looked up by word, stem or compound parts."""

    def __init__(self, language: str, entries: dict[str, tuple[str, ...]]) -> None:
        self.language = language
        self.entries = entries
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
        heads = self.by_stem.get(self._stem(word), ())
        if not heads:
            # Snowball's stems of a nominative and its cases can differ (Finnish "salasana" -> "salas",
            # "salasanan" -> "salasan"): an ending of up to three letters is also tried off the word itself.
            cuts = [word[:-cut] for cut in (1, 2, 3) if len(word) - cut >= MIN_STEM]
            heads = [head for head in cuts if head in self.entries][:1]
        return tuple(dict.fromkeys(t for head in heads[:2] for t in self.entries[head][:SENSES]))

    def knows(self, word: str) -> bool:
        """The word is a headword, or one less an ending of up to three letters: evidence of the language.

        Stems and compound splits are left out here, because they find something in nearly any language.
        """
        return word in self.entries or any(word[:-cut] in self.entries for cut in (1, 2, 3)
                                           if len(word) - cut >= MIN_STEM)

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


class QueryTranslator:
    """Reads a query's language from its stop words and translates it with that language's dictionary."""

    def __init__(self, folder: Path | None = DEFAULT_DICTIONARY_DIR) -> None:
        self._files = self._find(folder)
        self._loaded: dict[str, Dictionary] = {}
        self._locks = {language: threading.Lock() for language in self._files}  # a big one never blocks another
        self._preload: threading.Thread | None = None
        # Stop words of every language with a list: a query with none of them was typed as a few words.
        self._stop_languages = frozenset({*stoplists, *self._files, TARGET})
        self._stop_words = frozenset().union(*map(_stopwords, self._stop_languages))
        self._english_words: tuple[tuple[str, ...], frozenset[str]] = ((), frozenset())

    @staticmethod
    def _find(folder: Path | None) -> dict[str, tuple[Path, Path]]:
        found: dict[str, tuple[Path, Path]] = {}
        if folder is None or not folder.is_dir():
            return found
        for lang, code in ISO3.items():
            index = folder / f"freedict-{code}-eng.index"
            data = next((p for p in (index.with_suffix(".dict.dz"), index.with_suffix(".dict")) if p.exists()), None)
            if index.exists() and data is not None:
                found[lang] = (index, data)
        return found

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages a dictionary into English is installed for."""
        return tuple(sorted(self._files))

    def dictionary(self, language: str) -> Dictionary | None:
        """The language's dictionary, read on first use (0.3 s for Danish, 2.6 s for Finnish here) and kept."""
        if language not in self._files:
            return None
        with self._locks[language]:
            if language not in self._loaded:
                index, data = self._files[language]
                self._loaded[language] = Dictionary(language, read_dictd(index, data))
                log.info("loaded %s-%s dictionary (%d entries)", language, TARGET, len(self._loaded[language].entries))
            return self._loaded[language]

    def preload_in_background(self) -> threading.Thread:
        """Read every installed dictionary in a daemon thread, so the first foreign query does not wait."""
        def load_all() -> None:
            for language in sorted(self.languages, key=lambda lang: self._files[lang][0].stat().st_size):
                self.dictionary(language)  # small ones first: German's 380,000 entries take a quarter minute
            self._english()  # the English word list typed queries are checked against, built once here
        self._preload = threading.Thread(target=load_all, name="kb-dictionaries", daemon=True)
        self._preload.start()
        return self._preload

    def wait_until_loaded(self, timeout: float | None = None) -> None:
        """Block until the background preload (if one was started) has read every dictionary."""
        if self._preload is not None:
            self._preload.join(timeout)

    def candidates(self, words: Iterable[str]) -> list[str]:
        """Languages to read the query as, from its stop words, among those with a dictionary installed.

        Every language with a stop-word list is counted, so German is not read as Polish because "ich" is
        a Polish word too.  A language one stop word behind the leader still counts (Danish and Norwegian
        share most of theirs); English as many as a candidate means no translation.  With no stop words at
        all (a few typed words) every dictionary already in memory is a candidate; `translate` weighs them.
        """
        distinct = set(words)
        counts = {lang: len(distinct & _stopwords(lang)) for lang in self._stop_languages}
        best = max(counts.values())
        if not best:
            return sorted(self._loaded)
        floor = max(1, best - 1, counts[TARGET] + 1)
        return sorted(lang for lang in self._files if counts[lang] >= floor)

    def _english(self) -> frozenset[str]:
        """Every word the loaded dictionaries translate into: the English a typed query would use."""
        loaded = tuple(sorted(self._loaded))
        if self._english_words[0] != loaded:  # built once per set of loaded dictionaries, not per query
            self._english_words = (loaded, frozenset(w for lang in loaded for w in self._loaded[lang].english))
        return self._english_words[1]

    def translate(self, text: str, language: str | None = None) -> Translation | None:
        """English words for a query in another language; None when it reads as English or has no dictionary."""
        words = _words(text)
        if language and language.lower().startswith(TARGET):
            return None
        if language in self._files:
            return self._translate(words, language)
        if not self._stop_words.isdisjoint(words):
            options = [self._translate(words, lang) for lang in self.candidates(words)]
            return max((t for t in options if t.translated), key=lambda t: t.coverage, default=None)
        # Typed words without stop words: translate only what reads less like English than like the language.
        content = [w for w in words if w.isalpha()]  # codes and numbers read the same in every language
        english = self._english()
        english_share = sum(w in english for w in content) / max(1, len(content))
        if not content or english_share == 1.0:
            return None
        # The language that translates most of the words; on a tie, the one holding more of them as they
        # are (stems and compound splits find something in nearly any language: "Miten vaihdan salasanan"
        # translates as far in Spanish as in Finnish, but only Finnish has "miten" and "salasana").
        options = {lang: self._translate(content, lang) for lang in self.candidates(words)}
        known = {lang: sum(self._loaded[lang].knows(w) for w in content) for lang in options}
        language = max(options, key=lambda lang: (options[lang].coverage, known[lang]), default=None)
        if language is None or not known[language]:
            return None
        found = options[language]
        return found if found.coverage >= FALLBACK_COVERAGE and found.coverage > english_share else None

    def _translate(self, words: list[str], language: str) -> Translation:
        dictionary = self.dictionary(language)
        stop = _stopwords(language)
        english: list[str] = []
        translated: list[str] = []
        kept: list[str] = []
        for word in dict.fromkeys(w for w in words if w not in stop):
            senses = dictionary.lookup(word) if dictionary else ()
            (translated if senses else kept).append(word)
            english += senses or [word]
        return Translation(language, " ".join(dict.fromkeys(english)), tuple(translated), tuple(kept))
