"""Hybrid search: keyword and semantic rankings fused, rolled up to articles, best section kept."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import replace
from functools import partial
from urllib.parse import quote

import numpy as np

from kb.fusion import (
    Fused,
    FusionConfig,
    convex_combination,
    in_tiers,
    margin_weights,
    max_normalise,
    min_max_normalise,
    on_own_runs,
    reciprocal_rank_fusion,
    top_keys,
    without_language_advantage,
)
from kb.index.base import Filters, Hit, best_per_article
from kb.index.keyword import match_spans, query_codes, query_terms
from kb.index.keyword_analysis import plain_text
from kb.index.manager import IndexManager
from kb.index.semantic import SemanticIndex
from kb.line_evidence import lifted_by_lines, sentences_to_match
from kb.overlap import Overlap
from kb.query_feedback import feedback_centroid, moved_toward
from kb.query_text import DIGEST_CHARS, digest, highlight_terms
from kb.search_results import SearchResponse, SearchResult
from kb.section_choice import choose_sections
from kb.snippets import make_snippet
from kb.translation import TARGET, QueryTranslator, Translation
from kb.validation import base_language

MODES = ("hybrid", "keyword", "semantic")
FETCH_PER_RESULT = 5  # sections fetched from each engine per result asked for (at least FusionConfig.fetch)


def _found_cosines(evidence: Mapping[int, tuple[float, float]], semantic: Sequence[Hit], sentence: Sequence[Hit]
                   ) -> dict[int, tuple[float, float]]:
    """Evidence whose semantic side is the question's own cosine, not the feedback run's (which leans toward the
    articles it was moved to); an article those runs did not fetch gets their lowest, a bound it stayed below."""
    cosines = best_per_article([*semantic, *sentence])[0]
    floor = min(cosines.values(), default=0.0)
    return {a: (keyword, cosines.get(a, min(floor, cosine))) for a, (keyword, cosine) in evidence.items()}


class SearchEngine:
    """Runs a query through the keyword and/or semantic index and fuses the rankings."""

    def __init__(self, indexes: IndexManager, config: FusionConfig = FusionConfig(), url_prefix: str = "/articles/",
                 translator: QueryTranslator | None = None) -> None:
        self.indexes = indexes
        self.config = config
        self.url_prefix = url_prefix
        self.translator = translator
        self._english_codes: tuple[int, tuple[str, ...]] = (-1, ())  # (index generation, English language codes)
        self._encoding = Overlap("kb-query-encoding")

    def _keyword(self, query: str, filters: Filters, language: str | None, exact: Sequence[str],
                 fetch: int = 0) -> list[Hit]:
        assert self.indexes.keyword is not None
        return self.indexes.keyword.search(query, limit=fetch or self.config.fetch, filters=filters,
                                           language=language, exact_terms=exact)

    def _translated(self, query: str, filters: Filters, language: str | None, semantic: bool
                    ) -> tuple[list[Hit], str | None, Translation | None]:
        """Keyword hits among the English articles for the query's translation, and its sentence for e5 if asked."""
        if self.translator is None or self.config.translated_weight <= 0:
            return [], None, None
        english = self._english(filters)
        if not english.languages:  # the reader asked for other languages only
            return [], None, None
        translation = self.translator.translate(query, language)
        if translation is None or not translation.translated:
            return [], None, None
        keyword = self._keyword(translation.text, english, TARGET, ())
        if not (semantic and keyword and self.config.translated_semantic_weight > 0):
            return keyword, None, translation
        # A long ticket is read from its digest, as the semantic engine reads it; the senses the English
        # articles use, as the keyword engine just matched them, make the sentence.
        short = translation if len(query) <= DIGEST_CHARS else self.translator.translate(
            digest(query), translation.language)
        known = {word for hit in keyword for word in hit.matched_terms}
        return keyword, short.sentence(known) if short else None, translation

    def _semantic(self, queries: Sequence[str], filters: Filters, sentence: str | None = None, fetch: int = 0,
                  encoded: Future[np.ndarray] | None = None, keyword: Sequence[Hit] | None = None
                  ) -> tuple[list[Hit], list[Hit], list[Hit]]:
        """Semantic hits for the query texts (`encoded` already, when given), and for a translation's English
        sentence: by e5 among every language (sentence_everywhere), and by the English companion model, when there
        is one, among the English articles. Given the `keyword` run (hybrid mode, a question not translated), the
        companion reads the question too, among the articles that run and e5's usual fetch found."""
        embed, companion = self.indexes.embedder.embed_queries, self.indexes.companion
        question_too = keyword is not None and self.config.companion_reads_questions
        reads = [sentence] if sentence else list(queries) if question_too else []
        # The companion (torch) encodes on this thread while e5 encodes the question on the worker.
        read = (self.indexes.companion_embedder.embed_queries(reads)
                if reads and companion is not None and self.indexes.companion_embedder is not None else None)
        own = self._nearest(encoded.result() if encoded else embed(queries), filters, fetch) if queries else []
        if not sentence:  # an English question: its own words are all there is to read
            usual = self.config.fetch  # a deeper fetch must not change the first results (in_tiers)
            found = [h.article_id for h in [*(keyword or ())[:usual], *own[:usual]]]
            return own, [], [] if read is None else self._nearest(read, filters, index=companion, among=found)
        beside = [] if read is None else self._nearest(read, self._english(filters), index=companion)
        return own, self._sentence_run(embed([sentence]), filters), beside

    def _ranked(self, fuse: Callable[..., Fused], keyword: list[Hit], semantic: list[Hit],
                translated: tuple[list[Hit], list[Hit], list[Hit]], windows: Sequence[str], sentence: str | None,
                filters: Filters, fetch: int) -> tuple[Fused, list[Hit], list[Hit]]:
        """The fused ranking, and the e5 runs it used: a question with an English sentence is fused twice, its e5
        runs searched again from what every run found together the first time (kb/query_feedback.py)."""
        translated_keyword, translated_semantic, companion = translated
        own = (semantic, translated_semantic)  # the question's own cosines, which its evidence keeps
        moved = bool(sentence and translated_semantic and self.config.feedback_articles > 0)
        if moved:
            usual = self.config.fetch
            first = fuse(keyword[:usual], semantic[:usual], translated=translated)[0]
            fed = self._feedback(windows, sentence or "", first, fetch)
            moved = fed is not None
            semantic, translated_semantic = fed or (semantic, translated_semantic)
        fuse = partial(fuse, translated=(translated_keyword, translated_semantic, companion))
        fused = (in_tiers(fuse, keyword, semantic, self.config.fetch) if fetch > self.config.fetch
                 else fuse(keyword, semantic))
        if moved:
            fused = (*fused[:3], _found_cosines(fused[3], *own))
        return fused, semantic, translated_semantic

    def _feedback(self, windows: Sequence[str], sentence: str, ranking: Sequence[int], fetch: int
                  ) -> tuple[list[Hit], list[Hit]] | None:
        """The question's and its sentence's e5 runs again, from vectors moved toward the articles the first fusion
        ranked best (kb/query_feedback.py), scored among the articles it ranked (a scan of every section cost
        45 ms at 10,000 articles, for the same dev-set figures); None when there is nothing to move toward."""
        assert self.indexes.semantic is not None
        centroid = feedback_centroid(self.indexes.semantic, ranking[: self.config.feedback_articles])
        if centroid is None:
            return None
        vectors = self.indexes.embedder.embed_queries([*windows, sentence])  # the query cache has them
        own_share, sentence_share = self.config.feedback_shares
        english = [a for a in ranking if self.config.sentence_everywhere or self._in_language(TARGET, a)]
        return (self._nearest(moved_toward(vectors[:-1], centroid, own_share), Filters(), fetch, among=ranking),
                self._nearest(moved_toward(vectors[-1:], centroid, sentence_share), Filters(), among=english))

    def _sentence_run(self, vectors: np.ndarray, filters: Filters) -> list[Hit]:
        """The English sentence's e5 run: among every language (sentence_everywhere), else the English articles."""
        return self._nearest(vectors, filters if self.config.sentence_everywhere else self._english(filters))

    def _nearest(self, vectors: np.ndarray, filters: Filters, fetch: int = 0, index: SemanticIndex | None = None,
                 among: Sequence[int] | None = None) -> list[Hit]:
        """Nearest chunks (of the articles `among`, when given, which passed the filters already); several query
        vectors (windows of a long ticket) keep each chunk's best score."""
        index = self.indexes.semantic if index is None else index  # an empty index is falsy (it has a length)
        assert index is not None
        limit, best = fetch or self.config.fetch, {}
        for vector in vectors:
            hits = (index.search(vector, limit=limit, filters=filters) if among is None
                    else index.score_articles(vector, among, limit))
            for hit in hits:
                if hit.chunk_id not in best or hit.score > best[hit.chunk_id].score:
                    best[hit.chunk_id] = hit
        return sorted(best.values(), key=lambda h: -h.score)

    def keyword_weight(self, query: str, keyword: list[Hit]) -> float:
        """The keyword engine's weight for this query: the configured one, less when few query words matched."""
        codes = query_codes(query)
        if codes and keyword and self._holds(keyword[0], codes):
            return self.config.code_weight  # an agent typed codes the best chunk holds exactly: they decide
        terms = len(query_terms(query))
        coverage = max((len(h.matched_terms) for h in keyword), default=0) / max(1, terms)
        return self.config.keyword_weight * min(1.0, coverage / self.config.full_coverage)

    def _holds(self, hit: Hit, codes: Sequence[str]) -> bool:
        """True when the hit's section holds every code whole: the keyword engine matches an unknown code
        ("PRN-9999") by its parts, and reports the code as matched all the same."""
        chunk = self.indexes.chunks.get(hit.chunk_id)
        if chunk is None:
            return False
        text = "\n".join((chunk.title, *chunk.heading_path, chunk.text))
        # "4.18" is not held by "4.18.2", nor "ERR-40" by "ERR-4012".
        return all(re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-]|[.:/]\w)", text, re.IGNORECASE) for code in codes)

    def _fuse(self, keyword: list[Hit], semantic: list[Hit], boosts: Mapping[int, float], keyword_weight: float,
              translated: Sequence[Sequence[Hit]] = ((), (), ()), prefer: frozenset[str] = frozenset(),
              asked_in: str | None = None) -> Fused:
        (k_scores, k_best), (s_scores, s_best) = best_per_article(keyword), best_per_article(semantic)
        (t_scores, t_best), (u_scores, u_best), (c_scores, c_best) = (best_per_article(hits) for hits in translated)
        in_language = partial(self._in_language, asked_in)
        judged = (without_language_advantage(s_scores, u_scores, in_language, partial(self._in_language, TARGET))
                  if self.config.debias_own_language else s_scores)
        sentence_shares = self.config.companion_shares if c_scores else (self.config.translated_semantic_weight, 0.0)
        companion_share = sentence_shares[1] if u_scores or t_scores else self.config.companion_question_share
        shares = (sentence_shares[0] if u_scores else 0.0, self.config.translated_weight if t_scores else 0.0,
                  companion_share if c_scores else 0.0)
        rest = 1.0 - sum(shares)
        # In this order: the question's own two runs, the sentence's e5 run, the translation's keyword run, the
        # companion's; the first three (two when the sentence reads English articles only) see every language.
        weights = (keyword_weight * rest, (1.0 - keyword_weight) * rest, *shares)
        seen = 3 if self.config.sentence_everywhere else 2
        if self.config.method == "convex":
            # BM25 scores: share of the best; cosines: spread between this query's best and worst fetched.
            runs = [max_normalise(k_scores), min_max_normalise(judged), min_max_normalise(u_scores),
                    max_normalise(t_scores), min_max_normalise(c_scores)]
            mixed = margin_weights(runs, weights, self.config.margin_strength)
            fused = on_own_runs(convex_combination(runs, mixed), mixed, seen, in_language)
        else:
            ranked = [top_keys(run, len(run)) for run in (k_scores, judged, u_scores, t_scores, c_scores)]
            fused = reciprocal_rank_fusion(ranked, weights, self.config.rrf_k)
        fused = {a: score * boosts.get(a, 1.0) * self._preference(a, prefer) for a, score in fused.items()}
        # The section: a keyword engine's when it found the article (it can say why), else a semantic one's.
        best = {**c_best, **u_best, **s_best, **t_best, **k_best}
        # A Danish ticket's English article is matched by the English runs: its evidence is the better of each.
        evidence = {a: (max(k_scores.get(a, 0.0), t_scores.get(a, 0.0)),
                        max(s_scores.get(a, 0.0), u_scores.get(a, 0.0))) for a in fused}
        return top_keys(fused, len(fused)), fused, best, evidence

    def search(self, query: str, *, mode: str = "hybrid", limit: int = 10, filters: Filters = Filters(),
               language: str | None = None, exact_terms: Sequence[str] = (),
               semantic_queries: Sequence[str] | None = None, boosts: Mapping[int, float] | None = None,
               prefer_languages: Sequence[str] = ()) -> SearchResponse:
        """Search, returning up to `limit` articles with their best section and a highlighted snippet."""
        # prefer_languages are base codes ("da", not "da-DK"): their articles get the preference nudge.
        started = time.perf_counter()
        # "ERR‑4012" pasted from Outlook, with a non-breaking hyphen, is ERR-4012
        query, exact_terms = plain_text(query), tuple(map(plain_text, exact_terms))
        self.indexes.sync()
        fetch = max(self.config.fetch, FETCH_PER_RESULT * limit)  # an article has several sections
        windows = [q for q in (semantic_queries or [digest(query)]) if q.strip()] if mode != "keyword" else []
        # The question is encoded on the other core while the keyword engine searches (kb/e5_threads.py).
        encoded = self._encoding.start(self.indexes.embedder.embed_queries, windows) if windows else None
        lines = self.indexes.lines if mode == "hybrid" else None
        sentences = sentences_to_match(self.config, windows) if lines is not None else []
        # Its sentences, for line evidence (kb/line_evidence.py), encoded after it while it is searched; a question
        # of one sentence is matched with its own vector.
        by_sentence = (encoded if sentences == windows else
                       self._encoding.start(self.indexes.embedder.embed_queries, sentences) if sentences else None)
        keyword = self._keyword(query, filters, language, exact_terms, fetch) if mode != "semantic" else []
        translated_keyword, sentence, translation = (
            self._translated(query, filters, language, mode == "hybrid") if mode != "semantic" else ([], None, None))
        semantic, translated_semantic, companion = self._semantic(
            windows, filters, sentence, fetch, encoded, keyword if mode == "hybrid" and translation is None else None)
        # Judged on the usual fetch: a deeper one (more results asked for) must not change the first results.
        first = keyword[: self.config.fetch]
        weight = self.keyword_weight(query, first) if first and semantic else self.config.keyword_weight
        fuse = partial(self._fuse, boosts=boosts or {}, keyword_weight=weight, prefer=frozenset(prefer_languages),
                       asked_in=translation.language if translation else None)
        (ranking, scores, best, evidence), semantic, translated_semantic = self._ranked(
            fuse, keyword, semantic, (translated_keyword, translated_semantic, companion), windows, sentence,
            filters, fetch)
        if lines is not None and by_sentence is not None and self.indexes.semantic is not None:
            ranking, scores = lifted_by_lines(lines, self.indexes.semantic, self.config, ranking, scores,
                                              by_sentence.result())
        shown = [a for a in ranking[:limit] if a in self.indexes.articles]
        # The usual fetch's articles open where they would with the default limit; the deeper tier after.
        for depth in sorted({fetch, self.config.fetch}, reverse=True):
            reached = {h.article_id for h in [*keyword[:depth], *semantic[:depth], *translated_keyword]}
            best.update(choose_sections([a for a in shown if a in reached], (keyword[:depth], translated_keyword),
                                        (semantic[:depth], translated_semantic), self.indexes.chunks, weight))
        matched = {h.chunk_id: h.matched_terms for h in [*translated_keyword, *keyword] if h.matched_terms}
        for hit in [*translated_keyword, *keyword]:  # a section the semantic side chose: the article's words
            matched.setdefault(best.get(hit.article_id, ""), hit.matched_terms)
        results = tuple(self._result(a, scores[a], best[a], highlight_terms(query, matched.get(best[a])))
                        for a in shown if best[a] in self.indexes.chunks)
        took = (time.perf_counter() - started) * 1000
        codes = query_codes(query) if keyword else ()
        holders = frozenset(h.article_id for h in keyword if codes and self._holds(h, codes))
        return SearchResponse(results, len(ranking), round(took, 2), mode, tuple(ranking), evidence,
                              translation if translated_keyword else None, holders)

    def close(self) -> None:
        """Stop the query-encoding thread."""
        self._encoding.close()

    def _english(self, filters: Filters) -> Filters:
        """The filters narrowed to the English articles, however their language is spelled ("en", "en-GB")."""
        if self._english_codes[0] != self.indexes.generation:  # read once per change, not per question
            codes = {m.language for m in self.indexes.articles.values() if base_language(m.language) == TARGET}
            self._english_codes = (self.indexes.generation, tuple(sorted(codes or {TARGET})))
        wanted = [c for c in self._english_codes[1] if not filters.languages or c in filters.languages]
        return replace(filters, languages=tuple(wanted))

    def _in_language(self, language: str | None, article_id: int) -> bool:
        meta = self.indexes.articles.get(article_id) if language else None
        return meta is not None and base_language(meta.language) == language

    def _preference(self, article_id: int, prefer: frozenset[str]) -> float:
        meta = self.indexes.articles.get(article_id) if prefer else None
        liked = meta is not None and base_language(meta.language) in prefer
        return self.config.preferred_language_boost if liked else 1.0

    def related(self, article_id: int, limit: int = 5, filters: Filters = Filters()) -> list[SearchResult]:
        """Nearest other articles in the semantic index (readers see published ones only)."""
        self.indexes.sync()
        if self.indexes.semantic is None:
            return []
        hits = self.indexes.semantic.related(article_id, limit=limit, filters=filters)
        return [self._result(h.article_id, h.score, h.chunk_id, "") for h in hits
                if h.article_id in self.indexes.articles and h.chunk_id in self.indexes.chunks]

    def _result(self, article_id: int, score: float, chunk_id: str, query: str) -> SearchResult:
        meta = self.indexes.articles[article_id]
        chunk = self.indexes.chunks[chunk_id]
        spans = match_spans(chunk.text, query, chunk.language)
        anchor = f"#{quote(chunk.anchor)}" if chunk.anchor else ""  # a Russian heading's id, percent-encoded
        return SearchResult(
            id=meta.id, slug=meta.slug, title=meta.title, url=f"{self.url_prefix}{meta.slug}{anchor}",
            section=chunk.heading, anchor=chunk.anchor, snippet=make_snippet(chunk.text, spans), score=score,
            language=meta.language, tags=meta.tags, updated=meta.updated,
        )
