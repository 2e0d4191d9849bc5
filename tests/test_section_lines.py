"""Sections read line by line for questions of several sentences (kb/section_lines.py)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from kb.embeddings import FakeEmbedder
from kb.fusion import FusionConfig, with_line_evidence
from kb.index.base import Chunk
from kb.index.line_vectors import LineVectors
from kb.index.semantic import SemanticIndex
from kb.knowledge_base import enable_search, open_knowledge_base
from kb.line_evidence import lifted_by_lines
from kb.search import SearchEngine
from kb.section_lines import MAX_QUESTION_SENTENCES, lines_of, question_sentences, section_lines
from tests.test_companion import Spy

RULE = "To qualify you must:\n\n* be a family farmer\n* have a satisfactory credit history. Approx. 5 years of it\n*"
ANSWER = ("Loans for farmers.\n\n* A poor credit history does not rule you out.\n"
          "* You can get a farm loan through the county office.\n"
          "* Bring your identity documents to the county office.\n* Opening hours are nine to five on weekdays.")
DECOY = ("Farm loan, credit history, poor harvests, drought aid, seed grants, tractor leases, farm loan rates, "
         "credit unions, poor soil: the farm loan guide.")
QUESTION = "My credit history is poor. Can I get a farm loan?"


def test_a_section_is_read_as_its_lines_and_a_paragraph_as_its_sentences() -> None:
    assert lines_of(RULE) == ["To qualify you must:", "be a family farmer", "have a satisfactory credit history.",
                              "Approx. 5 years of it"]
    assert lines_of("Update to v2.3.1 first. Then restart.\n\n1.") == ["Update to v2.3.1 first.", "Then restart."]


def test_each_line_is_a_chunk_of_its_section_without_the_title() -> None:
    chunk = Chunk("7:2", 7, 2, "Eligibility", ("Farm loans",), "farm-loans", RULE, ("loans",), "en", "support")
    lines = section_lines([chunk])
    assert [line.chunk_id for line in lines] == ["7:2/0", "7:2/1", "7:2/2", "7:2/3"]
    assert {(line.title, line.heading_path, line.article_id, line.anchor, line.tags, line.team) for line in lines} == {
        ("", (), 7, "farm-loans", ("loans",), "support")}


def test_a_question_is_read_as_its_sentences_up_to_a_limit() -> None:
    assert question_sentences(["My printer jams. Why?\nIt is new!"]) == ["My printer jams.", "Why?", "It is new!"]
    assert question_sentences(["reset password"]) == ["reset password"]
    many = " ".join(f"Sentence number {n}." for n in range(20))
    assert len(question_sentences([many])) == MAX_QUESTION_SENTENCES


def test_line_evidence_lifts_the_first_articles_by_their_lines_lead_and_keeps_the_rest_below() -> None:
    ranking, scores = ["a", "b", "c", "d"], {"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.6}
    lines = {"a": 0.5, "b": 0.7, "c": 0.9, "d": 1.0}
    reranked, lifted = with_line_evidence(ranking, scores, lines, 0.3, 3, 0.4)
    assert reranked == ["c", "b", "a", "d"]  # d's best line counts for nothing below the depth
    assert lifted == pytest.approx({"a": 0.9, "b": 0.95, "c": 1.0, "d": 0.6})  # a leads no one: it gains nothing
    # A lead of more than the span gains the whole weight, no more.
    assert with_line_evidence(ranking, scores, lines, 0.3, 3, 0.1)[1] == pytest.approx(
        {"a": 0.9, "b": 1.1, "c": 1.0, "d": 0.6})
    assert with_line_evidence(ranking, scores, {}, 0.3, 3, 0.1) == (ranking, scores)


def _open(settings, embedder=None):  # type: ignore[no-untyped-def]
    kb = open_knowledge_base(settings, with_search=False)
    enable_search(kb, embedder=embedder or FakeEmbedder(64))
    for title, body in (("Eligibility", ANSWER), ("Eligibility", DECOY), ("Printers", "Clear the paper tray.")):
        kb.store.create({"title": title, "body": body, "status": "published"}, author="maja")
    return kb


def test_the_lines_index_holds_every_sections_lines_and_follows_each_save(settings) -> None:
    kb = _open(settings)

    def in_step() -> bool:  # archived sections are indexed too, for the editors
        return kb.indexes.lines.counts() == Counter(line.article_id for line in section_lines(
            kb.indexes.chunks.values()))

    assert in_step() and len(kb.indexes.lines) > len(kb.indexes.chunks)
    printers = next(a for a in kb.indexes.articles.values() if a.title == "Printers")
    assert kb.indexes.lines.counts()[printers.id] == 1
    saved = kb.store.update(printers.id, {"body": "Clear the paper tray.\n\nThen print a test page."},
                            base_revision=kb.store.get(printers.id).revision, author="maja")
    assert in_step() and kb.indexes.lines.counts()[printers.id] == 2
    kb.store.archive(printers.id, author="maja", base_revision=saved.revision)
    assert in_step()
    kb.indexes._install({})  # a catch-up whose every article this process indexed meanwhile
    assert in_step()
    kb.close()


def test_turning_the_lines_off_or_on_rebuilds_the_index_on_start(settings) -> None:
    _open(settings).close()  # on by default
    off = open_knowledge_base(settings.with_overrides(section_lines=False), with_search=False)
    enable_search(off, embedder=FakeEmbedder(64))
    assert off.indexes.built_on_open and off.indexes.lines is None and off.indexes.manifest.section_lines == 0
    assert off.search.search(QUESTION).results  # a question of several sentences, without lines
    off.close()
    on = open_knowledge_base(settings, with_search=False)
    enable_search(on, embedder=FakeEmbedder(64))
    assert on.indexes.built_on_open and on.indexes.lines is not None and on.indexes.manifest.section_lines > 0
    on.close()


def _gains(kb, question: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    # A wide span: each article gains in proportion to its lines' lead, none reaches the whole weight.
    engines = [SearchEngine(kb.indexes, FusionConfig(line_weight=w, line_span=10.0)) for w in (0.0, 0.3)]
    scores = [{r.id: r.score for r in engine.search(question).results} for engine in engines]
    return {kb.indexes.articles[a].slug: round(scores[1][a] - scores[0][a], 6) for a in scores[0]}


def test_a_question_of_several_sentences_lifts_the_articles_whose_lines_answer_each_of_them(settings) -> None:
    kb = _open(settings)
    gains = _gains(kb, QUESTION)
    # The answer's lines match each sentence best; the printer article's worst: nothing; the decoy, which names
    # every word in one list, in between.
    assert gains["printers"] == 0.0 < gains["eligibility-2"] < gains["eligibility"] < 0.3
    kb.close()


def test_a_question_of_one_sentence_is_matched_whole_with_each_articles_best_line(settings) -> None:
    kb = _open(settings)
    gains = _gains(kb, "Can I get a farm loan with a poor credit history?")
    assert gains["printers"] == 0.0 < gains["eligibility"] < 0.3 and gains["eligibility-2"] < 0.3
    kb.close()


def _chunk(article: int, n: int) -> Chunk:
    return Chunk(f"{article}:{n}", article, n, "Title", (), "", "text", (), "en", "")


def test_a_section_closer_than_any_of_its_lines_speaks_for_its_article() -> None:
    lines, sections = LineVectors(2), SemanticIndex.create(2)
    across, up, between = [1.0, 0.0], [0.0, 1.0], [0.6, 0.8]
    # Article 1's section (which reads its title) answers the question, none of its lines does; article 2's
    # lines and section answer it in part; article 3 has no lines, and a section that does not answer it.
    lines.upsert([_chunk(1, 0), _chunk(2, 0)], np.array([up, between], np.float32), [1, 2])
    sections.upsert([_chunk(1, 0), _chunk(2, 0), _chunk(3, 0)], np.array([across, between, up], np.float32), [1, 2, 3])
    config = FusionConfig(line_weight=0.3, line_span=1.0)
    ranking, scores = lifted_by_lines(lines, sections, config, [3, 2, 1], {3: 0.9, 2: 0.8, 1: 0.7},
                                      np.array([across], np.float32))
    assert ranking == [1, 2, 3] and scores == pytest.approx({1: 1.0, 2: 0.98, 3: 0.9}, abs=1e-3)  # half precision
    # A sentence whose vector is zero counts for nothing on either side.
    assert lifted_by_lines(lines, sections, config, [3, 2, 1], {3: 0.9, 2: 0.8, 1: 0.7},
                           np.array([across, [0.0, 0.0]], np.float32)) == (ranking, scores)


def test_a_questions_sentences_are_encoded_in_hybrid_mode_only(settings) -> None:
    spy = Spy(64)
    kb = _open(settings, spy)
    for mode in ("keyword", "semantic", "hybrid"):
        kb.search.search("farm loan history", mode=mode)
        kb.search.search(QUESTION, mode=mode) if mode != "hybrid" else None
    assert set(spy.queries) == {"farm loan history", QUESTION}
    kb.search.search(QUESTION)
    assert spy.queries[-2:] == question_sentences([QUESTION])
    kb.close()
