"""kb.overlap and its use by search: the question is encoded while the keyword engine searches."""

from __future__ import annotations

import os
import threading

import pytest

from kb.overlap import Overlap


def test_work_runs_on_another_thread_and_its_error_reaches_the_caller() -> None:
    overlap = Overlap("test-overlap")
    try:
        assert overlap.start(threading.get_ident).result() != threading.get_ident()
        with pytest.raises(ZeroDivisionError):
            overlap.start(lambda: 1 / 0).result()
    finally:
        overlap.close()


def test_a_forked_child_starts_its_own_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    overlap = Overlap("test-overlap")
    try:
        parent = overlap.start(threading.get_ident).result()
        # A child process has no copy of its parent's thread: a pool started before the fork would never run.
        monkeypatch.setattr(os, "getpid", lambda: -1)
        assert overlap.start(threading.get_ident).result() != parent
    finally:
        overlap.close()


def test_search_encodes_the_question_while_the_keyword_engine_searches(searchable_kb, monkeypatch) -> None:
    searchable_kb.store.create({"title": "Printer prints blank receipts", "body": "Update the Print Agent.",
                                "status": "published"}, author="maja")
    engine, embedder = searchable_kb.search, searchable_kb.indexes.embedder
    encoding, searching = threading.Event(), threading.Event()
    met: list[bool] = []
    embed, keyword = embedder.embed_queries, engine._keyword

    def slow_embed(texts):
        encoding.set()
        met.append(searching.wait(5))  # one after the other, this would wait in vain
        return embed(texts)

    def slow_keyword(*args, **kwargs):
        searching.set()
        met.append(encoding.wait(5))
        return keyword(*args, **kwargs)

    monkeypatch.setattr(embedder, "embed_queries", slow_embed)
    monkeypatch.setattr(engine, "_keyword", slow_keyword)
    assert [r.title for r in engine.search("printer blank receipts").results] == ["Printer prints blank receipts"]
    assert met == [True, True]


def test_an_encoding_error_is_the_search_error(searchable_kb, monkeypatch) -> None:
    def broken(texts):
        raise RuntimeError("engine failed")

    monkeypatch.setattr(searchable_kb.indexes.embedder, "embed_queries", broken)
    with pytest.raises(RuntimeError, match="engine failed"):
        searchable_kb.search.search("printer")
