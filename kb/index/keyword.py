"""Keyword search over chunks: Whoosh stores the postings, numpy scores them with BM25F."""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import re
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh.analysis import DelimitedAttributeFilter, RegexTokenizer
from whoosh.codec.base import Segment
from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, KEYWORD, TEXT, Schema
from whoosh.filedb.filestore import Storage
from whoosh.lang import NoStemmer, stemmer_for_language, two_letter_code
from whoosh.lang.stopwords import stoplists
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from kb.index.base import Chunk, Filters, Hit, IndexUnavailable

SCHEMA_VERSION = 1
_INDEX_NAME = f"kbkeyword_v{SCHEMA_VERSION}"
logger = logging.getLogger(__name__)

# BM25F in its combined form: field weights scale term frequency and length before one saturation, so
# a word in both title and body is not counted twice. Tuned on the dev sets; nDCG@10 is flat near here.
B, K1 = 0.75, 1.2
TITLE_W, HEADING_W, TAG_W, BODY_W = 3.0, 2.0, 2.0, 1.0
FUZZY_W = 0.5  # a typo-corrected word counts less than a word the user typed
IDENT_SCORE = 1000.0  # per matched identifier, more than any text score: exact codes rank first
MAX_TERMS, MAX_TYPOS, MAX_QUERY_CHARS = 64, 4, 20_000  # keep latency bounded on pasted texts
PL_PREFIX = 6
LOCK_TIMEOUT = 30.0  # a background merge may hold Whoosh's write lock for a while
MERGE_FACTOR, MAX_MERGE_DOCS = 10, 20_000  # Whoosh merges a few hundred documents a second
CACHE_POSTINGS_PER_DOC = 40  # decoded postings kept in memory: ~25 MB at 50,000 chunks
_CODEC = W3Codec(blocklimit=1024, compression=1)  # big blocks: we always read whole posting lists

_WORD = re.compile(r"[^\W_]+")
_IDENT = re.compile(r"[^\W_]+(?:[-._:/]+[^\W_]+)*")  # candidates, linear time; see _is_identifier
_NOT_CODE = re.compile(r"\d+[^\W\d_]{1,2}|[\d:]+")  # ordinals, units and times: 1st, 40s, 5g, 10:02
_PL_STOP = frozenset(
    """a aby albo ale ani bardzo bez bo by być był była było były będzie będą ci co czy czyli dla do gdy
    gdzie go i ich ile im jak jaka jaki jakie jako je jego jej jest jestem jeszcze jeśli jeżeli już ją
    kiedy kto która które którego której który których ku lub ma mam mają mi mnie mogę moja moje może
    można mu my mój na nad nam nas nie niż no o od oraz po pod ponieważ przed przez przy się sobie są ta
    tak tam te tego tej ten też to tu tych tylko tym u w we więc z za ze że żeby""".split()
)
# Polish inflectional endings, longest first. allegro-pl nDCG@10: 6-letter prefix 0.61, with these 0.63.
_PL_SUFFIXES = sorted(
    """owaniami owaniach owaniem owania owanie owaniu aniami aniach aniem ania anie aniu eniami eniach
    eniem enia enie eniu ościami ościach ością ości ość owego owemu owych owymi owej owym owa owe owy iego
    iemu ich imi ego emu ych ymi ej ym im ami ach om ów em ie ią ię iu ia io y i a ę ą u o e liśmy łyśmy
    łem łam łeś łaś li ły ło ła ł ać eć ić yć esz emy ecie cie my sz uje ują ujesz ujemy ować""".split(),
    key=len,
    reverse=True,
)


def _lang(code: str | None) -> str:
    """Two-letter language code: "en-GB" -> "en", "nb" -> "no"; unknown codes pass through."""
    primary = (code or "").lower().replace("_", "-").split("-")[0]
    return {"nb": "no", "nn": "no"}.get(primary) or two_letter_code(primary) or primary


def _stopwords(lang: str) -> frozenset[str]:
    """Stop words of a language, empty when unknown."""
    return _PL_STOP if lang == "pl" else stoplists.get(lang, frozenset())


@lru_cache(maxsize=64)
def _stemmer(lang: str) -> Callable[[str], str]:
    """A memoised stemming function for a language; identity when none exists."""
    try:
        return lru_cache(maxsize=200_000)(_pl_stem if lang == "pl" else stemmer_for_language(lang))
    except NoStemmer:
        return str


def _pl_stem(word: str) -> str:
    """Light Polish stemming (Snowball has none): drop one inflectional ending, keep six letters."""
    if word.isdigit():
        return word
    suffix = next((s for s in _PL_SUFFIXES if word.endswith(s) and len(word) - len(s) >= 4), "")
    return word[: len(word) - len(suffix)][:PL_PREFIX]


def _words(text: str) -> list[str]:
    """Lowercased words, identifiers split into pieces; single letters and 40+ letter blobs dropped."""
    return [w for w in _WORD.findall(text.lower()) if (len(w) > 1 or w.isdigit()) and len(w) <= 40]


def _is_identifier(token: str) -> bool:
    """Codes such as ERR-4012, 0x80070005, v2.3.1, 4.18.2 or max_retries; not 2024, 1st, 10:02."""
    digits = any(c.isdigit() for c in token) and not token.isdigit() and not _NOT_CODE.fullmatch(token)
    return digits or "_" in token


def _query_tokens(text: str) -> list[tuple[str, bool]]:
    """Lowercased pieces of text in order, each flagged when it is an identifier to match whole."""
    text, tokens, pos = text.lower(), [], 0
    for m in _IDENT.finditer(text):
        if _is_identifier(m.group()):
            tokens += [(text[pos : m.start()], False), (m.group(), True)]
            pos = m.end()
    return [t for t in [*tokens, (text[pos:], False)] if t[0]]


def _schema() -> Schema:
    """The index layout; bump SCHEMA_VERSION on any change."""
    weighted = RegexTokenizer(r"\S+") | DelimitedAttributeFilter()  # "term^weight": analysed by us
    return Schema(
        chunk_id=ID(stored=True, unique=True),
        article_id=ID(stored=True),
        stem=TEXT(analyzer=weighted, phrase=False),  # "<lang>:<stem>", so languages keep apart
        ident=KEYWORD(lowercase=False),
        dl=COLUMN(NumericColumn("f")),  # field-weighted length, for BM25F
        tags=KEYWORD(commas=True, lowercase=False),
        team=ID,
        language=ID,
        status=ID,
    )


def _document(chunk: Chunk) -> dict:
    """The Whoosh document of a chunk: one stem field, each word weighted by the field it came from."""
    lang = _lang(chunk.language)
    stop, stem = _stopwords(lang), _stemmer(lang)
    texts = [chunk.title, " ".join(chunk.heading_path), " ".join(chunk.tags), chunk.text]
    words = [[w for w in _words(text) if w not in stop] for text in texts]
    fields = list(zip(words, [TITLE_W, HEADING_W, TAG_W, BODY_W], strict=True))
    idents = [tok for text in texts for tok, is_ident in _query_tokens(text) if is_ident]
    return {
        "chunk_id": chunk.chunk_id,
        "article_id": str(chunk.article_id),
        "stem": " ".join(f"{lang}:{stem(w)}^{weight:g}" for ws, weight in fields for w in ws),
        "ident": " ".join(dict.fromkeys(idents)),  # once each: a match scores IDENT_SCORE exactly
        "dl": float(sum(len(ws) * weight for ws, weight in fields)),
        "tags": ",".join(chunk.tags),
        "team": chunk.team,
        "language": chunk.language,
        "status": chunk.status,
    }


def _merge_group(segments: list[Segment]) -> list[Segment]:
    """MERGE_FACTOR segments of similar size to merge into one, unless that would take too long."""
    tiers: dict[int, list] = {}
    for seg in segments:
        tiers.setdefault(int(math.log(max(seg.doc_count_all(), 1), MERGE_FACTOR)), []).append(seg)
    for _, group in sorted(tiers.items(), key=lambda item: item[0]):
        if len(group) >= MERGE_FACTOR and sum(s.doc_count() for s in group) <= MAX_MERGE_DOCS:
            return group
    return []


def _merge_tiers(writer: SegmentWriter, segments: list[Segment]) -> list[Segment]:
    """Whoosh merge policy: drop emptied segments and merge one group of similar size."""
    kept = [s for s in segments if s.doc_count() > 0]
    group = _merge_group(kept)
    for seg in group:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [s for s in kept if s not in group]


def _no_merge(writer: SegmentWriter, segments: list[Segment]) -> list[Segment]:
    """Whoosh merge policy of an upsert: only drop emptied segments (merges run in the background)."""
    return [s for s in segments if s.doc_count() > 0]


def _abandon(writer: SegmentWriter) -> None:
    """Give up a failed writer, making sure Whoosh's lock is released for the other writers."""
    with contextlib.suppress(Exception):
        writer.cancel()
    if not writer.is_closed and writer.writelock:
        writer.writelock.release()


def _unusable(path: Path, failure: BaseException) -> IndexUnavailable:
    """The error for a damaged index, after closing the files Whoosh left open in its failed frames."""
    reason, chained = repr(failure), failure
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        while chained is not None:
            traceback.clear_frames(chained.__traceback__)
            chained.__traceback__, chained = None, chained.__cause__ or chained.__context__
        gc.collect()
    return IndexUnavailable(f"keyword index at {path} is unreadable: {reason}")


def _read_postings(reader: SegmentReader, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Document numbers and weights of a term in one segment, deleted documents included."""
    if (field, text) not in reader:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    # The raw matcher, whole blocks at a time (whoosh-reloaded 2.7.5 internals): Python per posting, or
    # Reader.postings() with its deletion filter, is 2-5x slower. Views mask deleted documents instead.
    fieldobj = reader.schema[field]
    m = reader._terms.matcher(field, fieldobj.to_bytes(text), fieldobj.format)
    ids, weights = [], []
    if type(m) is W3LeafMatcher and not m._byteids:
        while not m._atend:
            m._read_data()
            ids.append(np.cumsum(np.array(m._data[0], np.int64)))
            weights.append(np.broadcast_to(np.array(m._data[1] or 1.0, np.float32), ids[-1].shape))
            m._next_block()
        return np.concatenate(ids), np.concatenate(weights)
    while m.is_active():  # short posting lists are stored inline
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return np.array(ids, np.int64), np.array(weights, np.float32)


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
        self._postings: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._cached, self._budget = 0, CACHE_POSTINGS_PER_DOC * max(segment.doc_count_all(), 1000)

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Decoded postings of a term, kept within a memory budget."""
        found = self._postings.get((field, text))
        if found is None:
            found = _read_postings(self.reader, field, text)
            if self._cached > self._budget:  # crude but bounded: hot terms come back at once
                self._postings, self._cached = {}, 0
            self._postings[(field, text)] = found
            self._cached += len(found[0])
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
        ids = [np.zeros(0, np.int64)] + [found[0] + base for found, base in parts]
        return np.concatenate(ids), np.concatenate([np.zeros(0, np.float32)] + [p[1] for p, _ in parts])

    def stored(self, docnum: int) -> dict:
        """Stored fields of a document."""
        leaf, base, _ = next(item for item in reversed(self.leaves) if docnum >= item[1])
        return leaf.reader.stored_fields(docnum - base)

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


def _query_languages(words: list[str], language: str | None) -> set[str]:
    """Languages whose stop words to drop: the given one, else English plus the best stop-word guess."""
    if language:
        return {_lang(language)}
    distinct = set(words)
    counts = {lang: len(distinct & _stopwords(lang)) for lang in [*stoplists, "pl"]}
    best = max(counts.values())
    return {"en"} | {lang for lang, n in counts.items() if best and n == best}


class _Plan:
    """The terms of one query: boost, exactness, and the user's words each one stands for."""

    def __init__(self) -> None:
        self.terms: dict[tuple[str, str], tuple[float, bool]] = {}
        self.origin: dict[tuple[str, str], set[str]] = {}
        self.words: list[str] = []  # in query order, for Hit.matched_terms

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
        else:
            words += _words(token)
    for term in (t.strip().lower() for t in exact_terms if t.strip()):
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


def _rank(view: _View, plan: _Plan, mask: np.ndarray, limit: int) -> list[tuple[int, float, list[str]]]:
    """BM25F over whole posting lists with numpy: the best (docnum, score, matched words)."""
    scores, used = np.zeros(view.size, np.float32), []
    for key, (boost, exact) in plan.terms.items():
        ids, tf = view.postings(*key)
        if exact:
            scores[ids] += boost
        elif len(ids):
            idf = math.log(1.0 + (view.size - len(ids) + 0.5) / (len(ids) + 0.5))
            norm = K1 * (1.0 - B + B * view.dl[ids] / view.avgdl)
            scores[ids] += boost * idf * (K1 + 1.0) * tf / (tf + norm)
        used += [(plan.origin[key], ids)] if len(ids) else []
    candidates = np.flatnonzero((scores > 0) & mask)
    if len(candidates) > limit:
        candidates = candidates[np.argpartition(-scores[candidates], limit - 1)[:limit]]
    candidates = candidates[np.lexsort((candidates, -scores[candidates]))]
    has = {w: np.zeros(len(candidates), bool) for w in plan.words}
    for words, ids in used:  # a term's ids are sorted: binary search beats building sets
        hit = ids[np.minimum(np.searchsorted(ids, candidates), len(ids) - 1)] == candidates
        for word in words:
            has[word] |= hit
    words = [[w for w in plan.words if has[w][i]] for i in range(len(candidates))]
    return [(int(d), float(scores[d]), found) for d, found in zip(candidates, words, strict=True)]


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
    tokens = _query_tokens(query[:MAX_QUERY_CHARS])
    words = [w for t, is_ident in tokens if not is_ident for w in _words(t)]
    stop = set().union(text_stop, *map(_stopwords, _query_languages(words, None)))
    stems = {stem(w) for w in words if w not in stop}
    spans = [(m.start(), m.end()) for m in _IDENT.finditer(text) if (m.group().lower(), True) in tokens]
    for m in _WORD.finditer(text):
        word = m.group().lower()
        if word not in text_stop and stem(word) in stems and not any(s <= m.start() < e for s, e in spans):
            spans.append((m.start(), m.end()))
    return sorted(spans)


def query_terms(query: str, language: str | None = None) -> tuple[str, ...]:
    """The distinct words (stop words dropped) and identifiers of a query, as the engine looks them up."""
    tokens = _query_tokens(query[:MAX_QUERY_CHARS])
    words = [w for t, is_ident in tokens if not is_ident for w in _words(t)]
    stop = set().union(*(_stopwords(lang) for lang in _query_languages(words, language)))
    idents = [t for t, is_ident in tokens if is_ident]
    return tuple(dict.fromkeys([*idents, *(w for w in words if w not in stop)]))
