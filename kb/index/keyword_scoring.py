"""Scoring side of the keyword engine: decoded postings per segment, query plans and numpy BM25F."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from whoosh.codec.base import Segment
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.fields import Schema
from whoosh.filedb.filestore import Storage
from whoosh.reading import SegmentReader

from kb.index.base import Filters
from kb.index.keyword_analysis import _lang, _query_languages, _query_tokens, _stemmer, _stopwords, _words, fold

# BM25F in its combined form: field weights scale term frequency and length before one saturation, so
# a word in both title and body is not counted twice. Tuned on the dev sets; nDCG@10 is flat near here.
B, K1 = 0.75, 1.2
TITLE_W, HEADING_W, TAG_W, BODY_W = 3.0, 2.0, 2.0, 1.0
FUZZY_W = 0.5  # a typo-corrected word counts less than a word the user typed
IDENT_SCORE = 1000.0  # per matched identifier, more than any text score: exact codes rank first
# ...by where the code is: the title's is the article's topic (all of IDENT_SCORE), the body's a mention
# (two thirds); the spread survives the fusion's normalisation, where the bare tie-break did not.
EXACT_FLOOR = 0.5
MAX_TERMS, MAX_TYPOS, MAX_QUERY_CHARS = 64, 4, 20_000  # keep latency bounded on pasted texts
# Decoded postings kept in memory, 8 bytes each: ~24 MB at 50,000 chunks, every posting of a base whose sections
# hold 60 distinct words or fewer (the bench's hold 49); beyond that, a common word's list is decoded again.
CACHE_POSTINGS_PER_DOC = 60


def _read_postings(reader: SegmentReader, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Document numbers and weights of a term in one segment, deleted documents included."""
    if (field, text) not in reader:
        return np.zeros(0, np.int32), np.zeros(0, np.float32)
    # The raw matcher, whole blocks at a time (whoosh-reloaded 2.7.5 internals): Python per posting, or
    # Reader.postings() with its deletion filter, is 2-5x slower. Views mask deleted documents instead.
    fieldobj = reader.schema[field]
    m = reader._terms.matcher(field, fieldobj.to_bytes(text), fieldobj.format)
    ids, weights = [], []
    if type(m) is W3LeafMatcher and not m._byteids:
        while not m._atend:
            m._read_data()
            ids.append(np.cumsum(np.array(m._data[0], np.int32), dtype=np.int32))
            weights.append(np.broadcast_to(np.array(m._data[1] or 1.0, np.float32), ids[-1].shape))
            m._next_block()
        return np.concatenate(ids), np.concatenate(weights)
    while m.is_active():  # short posting lists are stored inline
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return np.array(ids, np.int32), np.array(weights, np.float32)


class _Leaf:
    """An open segment with its vocabulary, lengths and decoded postings: its files never change."""

    def __init__(self, storage: Storage, schema: Schema, segment: Segment) -> None:
        self.reader, self.id = SegmentReader(storage, schema, segment), segment.segment_id()
        # In memory: Whoosh's on-disk lookup (an md5 per call) is too slow for 300-word tickets.
        self.vocab = {
            field: {t.decode("utf-8"): info.doc_frequency() for t, info in self.reader.iter_field(field)}
            for field in ("stem", "ident")
        }
        self.dl = np.asarray(self.reader.column_reader("dl").load(), np.float32)
        self.languages = {_lang(v) for v in self.reader.field_terms("language")}
        self.letters = set("".join(t.partition(":")[2] for t in self.vocab["stem"])) - set("0123456789")
        self._postings: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cached, self._budget = 0, CACHE_POSTINGS_PER_DOC * max(segment.doc_count_all(), 1000)
        self._stored: dict[int, dict] = {}
        self._lock = threading.Lock()

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Decoded postings of a term, the least recently used dropped beyond a memory budget."""
        key = (field, text)
        with self._lock:  # searches run in several threads; the order of an OrderedDict is shared state
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        found = _read_postings(self.reader, field, text)
        with self._lock:
            if key not in self._postings:
                self._postings[key] = found
                self._cached += len(found[0])
            while self._cached > self._budget and len(self._postings) > 1:
                _, dropped = self._postings.popitem(last=False)
                self._cached -= len(dropped[0])
        return found

    def stored(self, docnum: int) -> dict:
        """Stored fields of a document (ids only: small), decoded once; segments never change."""
        found = self._stored.get(docnum)
        if found is None:
            found = self._stored[docnum] = self.reader.stored_fields(docnum)
        return found


class _View:
    """One generation of the index: its segments and the per-document arrays scoring needs."""

    def __init__(self, generation: int, leaves: list[tuple[_Leaf, Segment]]) -> None:
        self.generation, self.leaves, self.size, self._masks = generation, [], 0, {}
        for leaf, seg in leaves:  # seg as in this generation: a reused reader knows older deletions only
            self.leaves.append((leaf, self.size, seg))
            self.size += seg.doc_count_all()
        self.live = np.ones(self.size, bool)
        for _, base, seg in self.leaves:
            self.live[base + np.fromiter(seg.deleted_docs(), np.int64)] = False
        self.dl = np.concatenate([leaf.dl for leaf, _, _ in self.leaves] or [np.ones(0, np.float32)])
        self.avgdl = float(self.dl.mean()) if self.size else 1.0
        self.languages = sorted(set().union(*(leaf.languages for leaf, _, _ in self.leaves))) or ["en"]
        self.letters = "".join(sorted(set().union(*(leaf.letters for leaf, _, _ in self.leaves))))

    def df(self, field: str, text: str) -> int:
        """Documents containing a term (deleted ones included, as Whoosh counts)."""
        if field in ("stem", "ident"):
            return sum(leaf.vocab[field].get(text, 0) for leaf, _, _ in self.leaves)
        return sum(leaf.reader.doc_frequency(field, text) for leaf, _, _ in self.leaves)

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Sorted document numbers and weights of a term."""
        leaves = [(leaf, base) for leaf, base, _ in self.leaves if text in leaf.vocab.get(field, {text})]
        parts = [(leaf.postings(field, text), base) for leaf, base in leaves]
        ids = [np.zeros(0, np.int32)] + [found[0] + base for found, base in parts]
        return np.concatenate(ids), np.concatenate([np.zeros(0, np.float32)] + [p[1] for p, _ in parts])

    def stored(self, docnum: int) -> dict:
        """Stored fields of a document."""
        leaf, base, _ = next(item for item in reversed(self.leaves) if docnum >= item[1])
        return leaf.stored(docnum - base)

    def mask(self, filters: Filters) -> np.ndarray:
        """Live documents passing the filters (tags all-of, others any-of), before any ranking."""
        if filters not in self._masks:
            mask = self.live.copy()
            groups = [[("tags", t)] for t in filters.tags] + [
                [(field, v) for v in values]
                for field, values in (
                    ("team", filters.teams),
                    ("language", filters.languages),
                    ("status", filters.statuses),
                )
                if values
            ]
            for group in groups:
                allowed = np.zeros(self.size, bool)
                for field, value in group:
                    allowed[self.postings(field, value)[0]] = True
                mask &= allowed
            self._masks = {} if len(self._masks) > 64 else self._masks
            self._masks[filters] = mask
        return self._masks[filters]


class _Plan:
    """The terms of one query: boost, exactness, and the user's words each one stands for."""

    def __init__(self) -> None:
        self.terms: dict[tuple[str, str], tuple[float, bool]] = {}
        self.origin: dict[tuple[str, str], set[str]] = {}
        self.words: list[str] = []  # in query order, for Hit.matched_terms
        self.tiebreak: list[tuple[str, str]] = []  # scored only in chunks that matched an exact term

    def add(self, key: tuple[str, str], boost: float, word: str, exact: bool = False) -> None:
        self.terms[key] = max((boost, exact), self.terms.get(key, (0.0, False)))
        self.origin.setdefault(key, set()).add(word)


def _plan(view: _View, text: str, language: str | None, exact_terms: Sequence[str]) -> _Plan:
    """Analyse the query once per language in the index, keeping the terms the index knows."""
    plan, words = _Plan(), []
    for token, is_ident in _query_tokens(text):
        # A code is matched whole while it identifies something: "COVID-19" is in 75% of feedbackqa's
        # documents, and ranking those first would hide the rest of the question (0.586 -> 0.597).
        rare = is_ident and 0 < view.df("ident", token) <= max(50, view.size // 100)
        if rare and len(plan.terms) < MAX_TERMS:
            plan.add(("ident", token), IDENT_SCORE, token, exact=True)
            plan.words.append(token)
            plan.tiebreak += _parts(view, token)
        else:
            words += _words(token)
    for term in (fold(t.strip()) for t in exact_terms if t.strip()):
        keys = [("ident", term)]
        if not view.df("ident", term):  # a plain word: its stems, as strongly as a code
            keys = [("stem", f"{lang}:{_stemmer(lang)(w)}") for w in _words(term) for lang in view.languages]
        for key in (key for key in keys if view.df(*key)):
            plan.add(key, IDENT_SCORE, term, exact=True)
        plan.words.append(term)
    query_langs = _query_languages(words, language)
    stop = set().union(*(_stopwords(lang) for lang in query_langs))
    known, unknown = [], []
    for word in dict.fromkeys(w for w in words if w not in stop):
        plan.words.append(word)
        keys = [("stem", f"{lang}:{_stemmer(lang)(word)}") for lang in view.languages]
        found = [(key, df) for key in keys if (df := view.df(*key))]
        (known if found else unknown).append((word, keys, found))
    known.sort(key=lambda item: min(df for _, df in item[2]))  # the rarest are kept if there are too many
    for word, _, found in known[:MAX_TERMS]:
        for key, _ in found:
            plan.add(key, 1.0, word)
    typos = [u for u in unknown if len(u[0]) >= 5 and u[0].isalpha()] if len(known) < MAX_TERMS else []
    langs = set(view.languages) & query_langs or set(view.languages)  # typos are in the user's language
    for word, keys, _ in typos[:MAX_TYPOS]:
        for _, term in (key for key in keys if key[1].partition(":")[0] in langs):
            for near in _near_terms(view, term):
                plan.add(("stem", near), FUZZY_W, word)
    plan.words = list(dict.fromkeys(plan.words))
    return plan


def _parts(view: _View, code: str) -> list[tuple[str, str]]:
    """The indexed stems of a code's parts: among chunks that all hold it, the one titled with it comes first."""
    return [key for w in _words(code) for lang in view.languages
            if view.df(*(key := ("stem", f"{lang}:{_stemmer(lang)(w)}")))]


def _near_terms(view: _View, term: str) -> list[str]:
    """Up to three indexed stems one edit (transpositions too) from a stem, first letter kept."""
    lang, _, stem = term.partition(":")
    letters, splits = view.letters, [(stem[:i], stem[i:]) for i in range(1, len(stem) + 1)]
    near = {a + b[1:] for a, b in splits if b} | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    near |= {a + c + b[1:] for a, b in splits if b for c in letters}
    near |= {a + c + b for a, b in splits for c in letters}
    # Intersecting these ~60 spellings per letter with each vocabulary beats Whoosh's automaton 10x.
    spellings = {f"{lang}:{n}" for n in near - {stem}}
    found = {t for leaf, _, _ in view.leaves for t in leaf.vocab["stem"].keys() & spellings}
    return sorted(found, key=lambda t: -view.df("stem", t))[:3]


def _bm25(view: _View, ids: np.ndarray, tf: np.ndarray) -> np.ndarray:
    """BM25F of one term in the chunks `ids` (tf is already weighted by field)."""
    idf = math.log(1.0 + (view.size - len(ids) + 0.5) / (len(ids) + 0.5))
    norm = K1 * (1.0 - B + B * view.dl[ids] / view.avgdl)
    return idf * (K1 + 1.0) * tf / (tf + norm)


def _rank(view: _View, plan: _Plan, mask: np.ndarray, limit: int) -> list[tuple[int, float, list[str]]]:
    """BM25F over whole posting lists with numpy: the best (docnum, score, matched words)."""
    scores, used = np.zeros(view.size, np.float32), []
    for key, (boost, exact) in plan.terms.items():
        ids, tf = view.postings(*key)
        if exact:
            scores[ids] += boost * (EXACT_FLOOR + (1 - EXACT_FLOOR) * np.minimum(tf, TITLE_W) / TITLE_W)
        elif len(ids):
            scores[ids] += boost * _bm25(view, ids, tf)
        used += [(plan.origin[key], ids)] if len(ids) else []
    exact = scores >= IDENT_SCORE * EXACT_FLOOR
    for key in dict.fromkeys(plan.tiebreak) if exact.any() else ():
        ids, tf = view.postings(*key)
        keep = exact[ids]
        scores[ids[keep]] += _bm25(view, ids, tf)[keep]
    candidates = np.flatnonzero((scores > 0) & mask)
    if len(candidates) > limit:
        candidates = candidates[np.argpartition(-scores[candidates], limit - 1)[:limit]]
    candidates = candidates[np.lexsort((candidates, -scores[candidates]))]
    has = {w: np.zeros(len(candidates), bool) for w in plan.words}
    for words, ids in used:  # a term's ids are sorted: binary search beats building sets
        hit = ids[np.minimum(np.searchsorted(ids, candidates.astype(ids.dtype)), len(ids) - 1)] == candidates
        for word in words:
            has[word] |= hit
    words = [[w for w in plan.words if has[w][i]] for i in range(len(candidates))]
    return [(int(d), float(scores[d]), found) for d, found in zip(candidates, words, strict=True)]
