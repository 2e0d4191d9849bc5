"""Keyword search over chunks: Whoosh stores the postings, numpy scores them with BM25F.

The parts live beside it: keyword_analysis turns text into words, stems and identifiers, keyword_store
defines what a chunk becomes on disk, and keyword_scoring decodes postings and ranks them. This module
ties them into KeywordIndex, next to match_spans and query_terms, which analyse a query without an index.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.codec.base import Segment
from whoosh.fields import Schema

from kb.index.base import Chunk, Filters, Hit, IndexUnavailable
from kb.index.keyword_analysis import (
    _IDENT,
    _WORD,
    JOINED,
    PARTICLE_VERB,
    _joined,
    _lang,
    _query_languages,
    _query_tokens,
    _stemmer,
    _stopwords,
    _words,
    fold,
    has_particle_verb,
)
from kb.index.keyword_scoring import MAX_QUERY_CHARS, _Leaf, _plan, _rank, _read_postings, _View
from kb.index.keyword_store import (
    _CODEC,
    _INDEX_NAME,
    SCHEMA_VERSION,
    _abandon,
    _document,
    _merge_group,
    _merge_tiers,
    _no_merge,
    _schema,
    _unusable,
)

__all__ = ["SCHEMA_VERSION", "KeywordIndex", "match_spans", "query_codes", "query_terms"]

logger = logging.getLogger(__name__)
LOCK_TIMEOUT = 30.0  # a background merge may hold Whoosh's write lock for a while


class KeywordIndex:
    """A keyword index of chunks in one folder, which several processes may share."""

    def __init__(self, ix: whoosh_index.FileIndex) -> None:
        self._ix, self._leaves, self._lock = ix, {}, threading.Lock()
        self._merger: threading.Thread | None = None
        try:
            self._view = self._load_view()
        except BaseException:
            self.close()
            raise

    @classmethod
    def create(cls, path: Path) -> KeywordIndex:
        """A new, empty index in folder `path` (created if needed), replacing any index there."""
        Path(path).mkdir(parents=True, exist_ok=True)
        return cls(whoosh_index.create_in(str(path), _schema(), indexname=_INDEX_NAME))

    @classmethod
    def open(cls, path: Path) -> KeywordIndex:
        """Open an index; IndexUnavailable if missing, corrupt or built with another schema version."""
        path = Path(path)
        if not any(path.glob(f"_{_INDEX_NAME}_*.toc")):
            other = any(path.glob("_kbkeyword_v*_*.toc"))
            problem = "was built with another schema version" if other else "is missing"
            raise IndexUnavailable(f"keyword index at {path} {problem}")
        try:
            ix = whoosh_index.open_dir(str(path), indexname=_INDEX_NAME)
            if sorted(ix.schema.names()) != sorted(_schema().names()):
                raise IndexUnavailable(f"keyword index at {path} has an unexpected schema")
            return cls(ix)
        except IndexUnavailable:
            raise
        except Exception as exc:  # damaged files surface as many kinds of error; all mean unusable
            failure = exc
        raise _unusable(path, failure)  # outside the except block, so the failed frames can be freed

    def upsert(self, chunks: Sequence[Chunk], article_ids: Iterable[int]) -> None:
        """Atomically replace every chunk of these articles (and of the chunks' own) by `chunks`."""
        ids = {str(a) for a in article_ids} | {str(c.article_id) for c in chunks}
        self._write(ids, [_document(c) for c in chunks])  # analysed before locking: others wait less

    def delete(self, article_ids: Iterable[int]) -> None:
        """Remove every chunk of these articles."""
        self._write({str(a) for a in article_ids}, [])

    def _write(self, article_ids: set[str], docs: list[dict]) -> None:
        """One commit deleting the articles' chunks and adding the documents, after other writers."""
        try:
            writer = self._ix.writer(timeout=LOCK_TIMEOUT, delay=0.05, codec=_CODEC)
        except whoosh_index.LockError as exc:
            raise TimeoutError(f"keyword index still locked after {LOCK_TIMEOUT} s") from exc
        try:
            base = 0  # by document number: delete_by_term would reopen every segment (~1 ms each)
            for seg in writer.segments:
                reader = self._leaf(seg, writer.schema).reader
                for article_id in article_ids:
                    for docnum in _read_postings(reader, "article_id", article_id)[0]:
                        writer.delete_document(base + int(docnum))
                base += seg.doc_count_all()
            for doc in docs:
                writer.add_document(**doc)
            writer.commit(mergetype=_no_merge)
        except BaseException:
            _abandon(writer)
            raise
        self.refresh()
        if _merge_group([seg for _, _, seg in self._view.leaves]):
            with self._lock:
                if self._merger is None or not self._merger.is_alive():
                    self._merger = threading.Thread(target=self._merge, name="kb-keyword-merge", daemon=True)
                    self._merger.start()

    def _merge(self) -> None:
        """Merge small segments in a thread, so that no upsert waits for it; skipped if others write."""
        try:
            writer = self._ix.writer(codec=_CODEC)
        except whoosh_index.LockError:
            return  # the next commit asks again
        try:
            writer.commit(mergetype=_merge_tiers)
        except Exception:  # a lost merge costs only speed; never take the worker down for it
            logger.exception("keyword index merge failed")
            _abandon(writer)
            return
        self.refresh()

    def refresh(self) -> None:
        """Pick up commits made since the last refresh, by this or another process (cheap if none)."""
        # Not Whoosh's Searcher.refresh(): in whoosh-reloaded 2.7.5 it resurrects merged segments and
        # misses new deletions. A view takes the deletions from its own generation's table of contents.
        if self._ix.latest_generation() != self._view.generation:
            self._view = self._load_view()

    def _load_view(self) -> _View:
        """The latest generation; retried because a concurrent merge may delete files under us."""
        for attempt in range(10):
            try:
                toc = whoosh_index.TOC.read(self._ix.storage, _INDEX_NAME)
                segments = [seg for seg in toc.segments if seg.doc_count_all()]
                leaves = [self._leaf(seg, toc.schema) for seg in segments]
                with self._lock:  # forget merged-away segments; their files close after their last search
                    self._leaves = {leaf.id: leaf for leaf in leaves}
                return _View(toc.generation, list(zip(leaves, segments, strict=True)))
            except OSError:
                if attempt == 9:
                    raise
                time.sleep(0.02)
        raise AssertionError("unreachable")

    def _leaf(self, segment: Segment, schema: Schema) -> _Leaf:
        """The open segment, shared by every generation that contains it."""
        leaf = self._leaves.get(segment.segment_id())
        if leaf is None:
            leaf = _Leaf(self._ix.storage, schema, segment)
            with self._lock:
                self._leaves[leaf.id] = leaf
        return leaf

    def count(self) -> int:
        """Number of chunks in the index."""
        return int(self._view.live.sum())

    def close(self) -> None:
        """Wait for a running merge, then release the index files."""
        if self._merger is not None:
            self._merger.join()
        for leaf in self._leaves.values():
            leaf.reader.close()
        self._leaves = {}

    def search(
        self,
        query: str,
        *,
        limit: int = 100,
        filters: Filters = Filters(),
        language: str | None = None,
        exact_terms: Sequence[str] = (),
    ) -> list[Hit]:
        """The best chunks for a natural-language query (any word may match), identifiers first."""
        view = self._view  # one generation throughout, even if another thread refreshes
        if limit <= 0 or not view.size:
            return []
        plan = _plan(view, query[:MAX_QUERY_CHARS], language, exact_terms)
        ranked = _rank(view, plan, view.mask(filters), limit) if plan.terms else []
        hits = []
        for docnum, score, words in ranked:
            stored = view.stored(docnum)
            hits.append(Hit(stored["chunk_id"], int(stored["article_id"]), score, tuple(words)))
        return hits


def match_spans(text: str, query: str, language: str = "en") -> list[tuple[int, int]]:
    """Character spans of words in `text` that match the query the way the index does (stemmed, identifiers exact)."""
    # Typo-corrected words are not marked: without the index's vocabulary a typo ("pasword") cannot be
    # told from another word ("paint" for "print"), and a wrong mark is worse than a missing one.
    stem, text_stop = _stemmer(_lang(language)), _stopwords(_lang(language))
    idents, stems = _marks(query[:MAX_QUERY_CHARS], language)
    spans = [(m.start(), m.end()) for m in _IDENT.finditer(text) if fold(m.group()) in idents] if idents else []
    taken = {i for s, e in spans for i in range(s, e)}
    joined = {stem(word) for word in JOINED} & stems
    # "log in" is marked whole for "login", and the other way round
    for m in PARTICLE_VERB.finditer(text) if joined and has_particle_verb(text) else ():
        if m.start() not in taken and stem(_joined(m)) in joined:
            spans.append((m.start(), m.end()))
            taken.update(range(m.start(), m.end()))
    known: dict[str, bool] = {}  # a section repeats its words: fold and stem each once
    for m in _WORD.finditer(text):
        word = m.group()
        if (matched := known.get(word)) is None:
            folded = fold(word)
            matched = known[word] = folded not in text_stop and stem(folded) in stems
        if matched and m.start() not in taken:
            spans.append((m.start(), m.end()))
    return sorted(spans)


@lru_cache(maxsize=512)
def _marks(query: str, language: str) -> tuple[frozenset[str], frozenset[str]]:
    """A query's identifiers and the stems of its words, once per query (every result's snippet asks)."""
    stem, text_stop = _stemmer(_lang(language)), _stopwords(_lang(language))
    tokens = _query_tokens(query)
    words = [w for t, is_ident in tokens if not is_ident for w in _words(t)]
    stop = set().union(text_stop, *map(_stopwords, _query_languages(words, None)))
    return frozenset(t for t, is_ident in tokens if is_ident), frozenset(stem(w) for w in words if w not in stop)


def query_terms(query: str, language: str | None = None) -> tuple[str, ...]:
    """The distinct words (stop words dropped) and identifiers of a query, as the engine looks them up."""
    tokens = _query_tokens(query[:MAX_QUERY_CHARS])
    words = [w for t, is_ident in tokens if not is_ident for w in _words(t)]
    stop = set().union(*(_stopwords(lang) for lang in _query_languages(words, language)))
    idents = [t for t, is_ident in tokens if is_ident]
    return tuple(dict.fromkeys([*idents, *(w for w in words if w not in stop)]))


@lru_cache(maxsize=512)  # asked for the fusion weight, then for the results holding the codes
def query_codes(query: str) -> tuple[str, ...]:
    """The identifiers of a query when it is nothing else ("ERR-4012", "0x80070005 PRN-6004"), else ()."""
    # Punctuation around a code ("(ERR-4012)", "ERR-4012.") is not a word beside it.
    tokens = [(t, is_ident) for t, is_ident in _query_tokens(query[:MAX_QUERY_CHARS]) if is_ident or _WORD.search(t)]
    return tuple(t for t, _ in tokens) if tokens and all(is_ident for _, is_ident in tokens) else ()
