"""Query translation into English with bilingual dictionaries, for questions asked in another language.

A Danish question is turned into English word by word with FreeDict's dictionaries (kb/dictionaries.py):
its headword, else its dictionary form (kb/lemmas.py), stem, a shorter ending or two compound parts.
Words with no entry are kept as they are, because they are mostly names, codes and loan words
("COVID-19", "Zendesk").  The search engine then runs those words through the keyword engine against the
English articles, and an English sentence of the senses those articles use through the semantic engine:
two more opinions where the multilingual embeddings' cross-lingual recall is weakest.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Container, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from whoosh.lang.stopwords import stoplists

from kb.dictionaries import ISO3, Dictionary, dictionary_files, read_dictd
from kb.index.keyword import query_codes
from kb.index.keyword_analysis import _stemmer, _stopwords, _words
from kb.lemmas import Lemmatizer
from kb.loanwords import loanword

log = logging.getLogger(__name__)

DEFAULT_DICTIONARY_DIR = Path("/usr/share/dictd")
TARGET = "en"
_ENGLISH_STOP = _stopwords(TARGET)
_ENGLISH_STEM = _stemmer(TARGET)
FALLBACK_COVERAGE = 0.5  # typed words are read as a language only if it translates half of them
RELATED_SHARE = 0.6  # a language with this share of the leader's stop words is a candidate too


@dataclass(frozen=True)
class Translation:
    """A query turned into English words."""

    language: str  # the language it was read as
    translated: tuple[str, ...]  # query words a dictionary entry was found for
    kept: tuple[str, ...]  # query words without an entry, passed on unchanged
    senses: tuple[tuple[str, ...], ...]  # per content word of the query, in order: its English, or itself

    @property
    def text(self) -> str:
        """Every English word (and kept word) once, in query order: what the keyword engine searches."""
        return " ".join(dict.fromkeys(sense for options in self.senses for sense in options))

    def sentence(self, known: Container[str]) -> str:
        """The query in English for an embedder: per word, the senses `known` holds (two at most), else the first.

        Dictionaries list senses by habit, not by topic ("bremse": brake, gadfly); the words the English
        articles actually use are the likelier reading, and a sentence of one or two readings a word embeds
        closer to the articles than every sense does.
        """
        def fits(sense: str) -> bool:
            content = [w for w in _words(sense) if w not in _ENGLISH_STOP]
            return bool(content) and all(w in known for w in content)

        chosen = ([s for s in options if fits(s)][:2] or list(options[:1]) for options in self.senses)
        return " ".join(s for group in chosen for s in group)

    def to_dict(self) -> dict[str, str]:
        """JSON-ready: the language read and the English words searched."""
        return {"language": self.language, "text": self.text}

    @property
    def coverage(self) -> float:
        """Share of the query's content words that were translated."""
        total = len(self.translated) + len(self.kept)
        return len(self.translated) / total if total else 0.0


class QueryTranslator:
    """Reads a query's language from its stop words and translates it with that language's dictionary."""

    def __init__(self, folder: Path | None = DEFAULT_DICTIONARY_DIR, lemmas: Lemmatizer | None = None) -> None:
        self._files = self._find(folder)
        self._lemmas = lemmas
        self._loaded: dict[str, Dictionary] = {}
        self._locks = {language: threading.Lock() for language in self._files}  # a big one never blocks another
        self._preload: threading.Thread | None = None
        # Stop words of every language with a list: a query with none of them was typed as a few words.
        self._stop_languages = frozenset({*stoplists, *self._files, TARGET})
        self._stop_words = frozenset().union(*map(_stopwords, self._stop_languages))
        # Per set of loaded dictionaries: the English words they translate into, and those with their stems.
        self._english_words: tuple[tuple[str, ...], frozenset[str], frozenset[str]] = ((), frozenset(), frozenset())

    @staticmethod
    def _find(folder: Path | None) -> dict[str, tuple[Path, Path]]:
        if folder is None or not folder.is_dir():
            return {}
        found = {lang: dictionary_files(folder, lang) for lang in ISO3}
        return {lang: files for lang, files in found.items() if files is not None}

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
                lemma = partial(self._lemmas.lemma, language) if self._lemmas else None
                self._loaded[language] = Dictionary(language, read_dictd(*self._files[language]), lemma)
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
        share most of theirs), and in a long ticket one with 60% of the leader's: a Danish e-mail can
        hold five Norwegian stop words to three Danish ones.  English as many as a candidate means no
        translation.  With one stop word or none (a few typed words) every dictionary already in memory is
        a candidate; `translate` weighs them.
        """
        counts = self._stop_counts(words)
        best = max(counts.values())
        if best <= 1:  # one stop word says little: "go" is Polish, "min" Danish and English
            return sorted(self._loaded)
        floor = max(1, min(best - 1, math.ceil(best * RELATED_SHARE)), counts[TARGET] + 1)
        return sorted(lang for lang in self._files if counts[lang] >= floor)

    def _stop_counts(self, words: Iterable[str]) -> dict[str, int]:
        distinct = set(words)
        return {lang: len(distinct & _stopwords(lang)) for lang in self._stop_languages}

    def _english(self) -> frozenset[str]:
        """Every word the loaded dictionaries translate into, and its English stem: the English a typed query
        would use, inflected or not (the dictionaries hold "expire", a query says "expired")."""
        return self._english_vocabulary()[1]

    def _english_vocabulary(self) -> tuple[frozenset[str], frozenset[str]]:
        """The English the loaded dictionaries translate into, as written and with stems added."""
        loaded = tuple(sorted(self._loaded))
        if self._english_words[0] != loaded:  # built once per set of loaded dictionaries, not per query
            words = frozenset(w for lang in loaded for w in self._loaded[lang].english)
            self._english_words = (loaded, words, words | {_ENGLISH_STEM(w) for w in words})
        return self._english_words[1], self._english_words[2]

    def _borrowed(self, word: str, language: str) -> tuple[str, ...]:
        """The English word behind an inflected borrowing ("printeren": printer), as a one-sense translation."""
        if self._reads_english(word):  # "routers" in a Danish question is English already, as typed
            return ()
        loaned = loanword(word, language, self._english_vocabulary()[0])
        return (loaned,) if loaned else ()

    def _reads_english(self, word: str) -> bool:
        english = self._english()
        return word in english or _ENGLISH_STEM(word) in english

    def translate(self, text: str, language: str | None = None) -> Translation | None:
        """English words for a query in another language; None when it reads as English or has no dictionary."""
        words = _words(text)
        if (language and language.lower().startswith(TARGET)) or query_codes(text):
            return None  # codes read the same in every language: "SAML-1011" holds no Danish verb "saml"
        if language in self._files:
            return self._translate(words, language, borrow=True)
        if max(self._stop_counts(words).values()) > 1:
            options = [self._translate(words, lang) for lang in self.candidates(words)]
            best = max((t for t in options if t.translated), key=lambda t: t.coverage, default=None)
            return self._translate(words, best.language, borrow=True) if best else None
        # A few typed words: translate only what reads less like English than like the language.
        content = [w for w in words if w.isalpha()]  # codes and numbers read the same in every language
        english_share = sum(map(self._reads_english, content)) / max(1, len(content))
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
        found = self._translate(content, language, borrow=True)
        return found if found.coverage >= FALLBACK_COVERAGE and found.coverage > english_share else None

    def _translate(self, words: list[str], language: str, borrow: bool = False) -> Translation:
        """The words in English by `language`'s dictionary; with `borrow`, inflected English borrowings too
        (only once the language is chosen: read into every candidate, they made Finnish "miten" Swedish)."""
        dictionary = self.dictionary(language)
        stop = _stopwords(language)
        found = {w: (dictionary.lookup(w) if dictionary else ()) or (self._borrowed(w, language) if borrow else ())
                 for w in dict.fromkeys(words) if w not in stop}
        senses = tuple(found[w] or (w,) for w in words if w in found)  # repeats kept: the sentence reads them
        return Translation(language, tuple(w for w, s in found.items() if s),
                           tuple(w for w, s in found.items() if not s), senses)
