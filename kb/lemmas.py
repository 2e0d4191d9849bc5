"""Inflected words -> their dictionary form, so "dzieci" and "koronaviruksen" find "dziecko" and "koronavirus".

Stems and cut endings miss most Polish and Finnish inflection; simplemma's word lists do not.  Its plain
dictionaries keep a whole language in memory (Polish 430 MB, Finnish 350 MB, measured here): too much for
every web worker.  Its MARISA-trie form holds all seven installed languages in 54 MB and loads in 0.05 s,
but building a trie takes a quarter minute and 0.7 GB once: `python -m kb lemmas` (run by `make setup`)
builds them, and a process only reads tries already built, never starts a build in a request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from simplemma import Lemmatizer as _Simplemma
from simplemma.__metadata__ import __version__ as SIMPLEMMA_VERSION
from simplemma.strategies import DefaultStrategy
from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES
from simplemma.strategies.dictionaries.trie_dictionary_factory import TrieDictionaryFactory

if TYPE_CHECKING:
    from kb.config import Settings

log = logging.getLogger(__name__)


def trie_folder(lemma_dir: Path) -> Path:
    """Where the tries of this simplemma release live (a new release builds its own)."""
    return lemma_dir / f"simplemma-{SIMPLEMMA_VERSION}"


def lemmatizer(settings: Settings) -> Lemmatizer | None:
    """The configured lemmatizer, or None when the settings have no lemma folder."""
    return Lemmatizer(trie_folder(settings.lemma_dir)) if settings.lemma_dir else None


def build_tries(folder: Path, languages: Iterable[str]) -> list[str]:
    """Build (or keep) the trie of each supported language; the languages now ready."""
    factory = TrieDictionaryFactory(cache_max_size=1, disk_cache_dir=str(folder))
    ready = []
    for language in sorted(set(languages) & SUPPORTED_LANGUAGES):
        factory.get_dictionary(language)  # reads the trie when built, else builds and saves it
        ready.append(language)
    return ready


class Lemmatizer:
    """Dictionary forms for the languages whose trie is built; other languages get None."""

    def __init__(self, folder: Path | None) -> None:
        self._languages = frozenset(
            lang for lang in SUPPORTED_LANGUAGES if folder is not None and (folder / f"{lang}.dic").is_file())
        if folder is not None and not self._languages:
            log.info("no dictionary forms in %s (python -m kb lemmas builds them): stems only", folder)
        factory = TrieDictionaryFactory(cache_max_size=len(SUPPORTED_LANGUAGES), disk_cache_dir=str(folder or "."))
        self._simplemma = _Simplemma(lemmatization_strategy=DefaultStrategy(dictionary_factory=factory))

    @property
    def languages(self) -> frozenset[str]:
        """Languages with a built trie."""
        return self._languages

    def lemma(self, language: str, word: str) -> str | None:
        """The word's dictionary form (lowercase), or None when it has none other or the language has no trie."""
        if language not in self._languages:
            return None
        lemma = self._simplemma.lemmatize(word, language).lower()
        return lemma if lemma != word else None
