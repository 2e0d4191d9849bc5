"""The keyword index on disk: its Whoosh schema, the document of a chunk, and the writer's merge policies."""

from __future__ import annotations

import contextlib
import gc
import math
import traceback
import warnings
from pathlib import Path

from whoosh.analysis import DelimitedAttributeFilter, RegexTokenizer
from whoosh.codec.base import Segment
from whoosh.codec.whoosh3 import W3Codec
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, KEYWORD, TEXT, Schema
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from kb.index.base import Chunk, IndexUnavailable
from kb.index.keyword_analysis import _lang, _query_tokens, _stemmer, _stopwords, indexed_words
from kb.index.keyword_scoring import BODY_W, HEADING_W, TAG_W, TITLE_W

# 2: identifiers weighted by the field they are in; 3: words case-folded, Greek accents off; 4: "log in" is "login"
SCHEMA_VERSION = 4
_INDEX_NAME = f"kbkeyword_v{SCHEMA_VERSION}"
MERGE_FACTOR, MAX_MERGE_DOCS = 10, 20_000  # Whoosh merges a few hundred documents a second
_CODEC = W3Codec(blocklimit=1024, compression=1)  # big blocks: we always read whole posting lists


def _schema() -> Schema:
    """The index layout; bump SCHEMA_VERSION on any change."""
    weighted = RegexTokenizer(r"\S+") | DelimitedAttributeFilter()  # "term^weight": analysed by us
    return Schema(
        chunk_id=ID(stored=True, unique=True),
        article_id=ID(stored=True),
        stem=TEXT(analyzer=weighted, phrase=False),  # "<lang>:<stem>", so languages keep apart
        ident=TEXT(analyzer=weighted, phrase=False),  # "<code>^<weight of the best field holding it>"
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
    texts = [chunk.title, " ".join(chunk.heading_path), ", ".join(chunk.tags), chunk.text]  # tag "logs" ≠ "log on"
    words = [[w for w in indexed_words(text) if w not in stop] for text in texts]
    fields = list(zip(words, [TITLE_W, HEADING_W, TAG_W, BODY_W], strict=True))
    idents: dict[str, float] = {}  # once each, weighted by the best field: a code in the title is the topic
    for text, weight in zip(texts, [TITLE_W, HEADING_W, TAG_W, BODY_W], strict=True):
        for token in (tok for tok, is_ident in _query_tokens(text) if is_ident):
            idents[token] = max(weight, idents.get(token, 0.0))
    return {
        "chunk_id": chunk.chunk_id,
        "article_id": str(chunk.article_id),
        "stem": " ".join(f"{lang}:{stem(w)}^{weight:g}" for ws, weight in fields for w in ws),
        "ident": " ".join(f"{token}^{weight:g}" for token, weight in idents.items()),
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
