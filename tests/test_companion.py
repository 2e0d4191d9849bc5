"""The English companion model: a second semantic index over English sections, for translated questions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kb.chunking import passage_text
from kb.embeddings import FakeEmbedder
from kb.index.base import Filters
from kb.index.semantic import SemanticIndex
from kb.knowledge_base import enable_search, load_companion, open_knowledge_base
from tests.test_translation import add_password_articles, dictionaries  # noqa: F401  (the fixture, shared)


class Spy(FakeEmbedder):
    """A fake embedder that remembers the questions it was asked to embed."""

    def __init__(self, dim: int) -> None:
        super().__init__(dim)
        self.queries: list[str] = []

    def embed_queries(self, texts):  # type: ignore[no-untyped-def]
        self.queries.extend(texts)
        return super().embed_queries(texts)


def _open(settings, companion=None):  # type: ignore[no-untyped-def]
    kb = open_knowledge_base(settings, with_search=False)
    enable_search(kb, embedder=FakeEmbedder(64), companion=companion)
    return kb


def _english_sections(kb) -> set[str]:  # type: ignore[no-untyped-def]
    return {c.chunk_id for c in kb.indexes.chunks.values() if c.language == "en"}


def _companion_sections(kb) -> set[str]:  # type: ignore[no-untyped-def]
    vector = np.ones(32, dtype=np.float32)  # every section, best first: the whole index
    return {h.chunk_id for h in kb.indexes.companion.search(vector, limit=1000, filters=Filters())}


def _current(kb) -> bool:  # type: ignore[no-untyped-def]
    """Each English section's companion vector is the one of its text as it now is."""
    for chunk in (c for c in kb.indexes.chunks.values() if c.language == "en"):
        vector = FakeEmbedder(32).embed_passages([passage_text(chunk)])[0]
        hits = kb.indexes.companion.search(vector, limit=1, filters=Filters())
        if not hits or hits[0].chunk_id != chunk.chunk_id or hits[0].score < 0.999:
            return False
    return True


def test_the_companion_index_holds_the_english_sections_and_follows_every_save(settings) -> None:
    kb = _open(settings, FakeEmbedder(32))
    store = kb.store
    english = store.create({"title": "Reset your password", "body": "## Steps\n\nClick Forgot password.",
                            "status": "published"}, author="maja")
    store.create({"title": "Nulstil din adgangskode", "body": "Klik på Glemt adgangskode.", "status": "published",
                  "language": "da"}, author="maja")
    assert _companion_sections(kb) == _english_sections(kb) != set() and _current(kb)
    store.update(english.id, {"body": "## Steps\n\nClick Forgot password.\n\n## If no e-mail comes\n\nWait."},
                 author="maja", base_revision=1)
    assert _companion_sections(kb) == _english_sections(kb) and _current(kb)
    assert kb.indexes.status()["companion"] == "fake-32"
    kb.close()
    # Another process (or a restart) loads the build as it is: no rebuild, the same sections.
    again = _open(settings, FakeEmbedder(32))
    assert not again.indexes.built_on_open and _companion_sections(again) == _english_sections(again)
    assert _current(again)
    again.store.update(english.id, {"language": "de"}, base_revision=2, author="maja")
    assert _companion_sections(again) == set()  # no longer English; the Danish article never was
    again.close()


@pytest.mark.parametrize("companion", [None, FakeEmbedder(48)])
def test_a_build_for_another_companion_is_rebuilt_on_start(settings, companion) -> None:
    kb = _open(settings, FakeEmbedder(32))
    kb.store.create({"title": "Reset your password", "body": "Click Forgot password.", "status": "published"},
                    author="maja")
    kb.close()
    other = _open(settings, companion)
    assert other.indexes.built_on_open  # the manifest names the companion the build was made with
    assert (other.indexes.companion is None) == (companion is None)
    assert [r.title for r in other.search.search("password").results] == ["Reset your password"]
    other.close()


def test_with_the_setting_an_english_question_is_read_by_the_companion_among_the_articles_the_others_found(
        settings, monkeypatch) -> None:
    spy = Spy(32)
    kb = _open(settings.with_overrides(companion_questions=True), spy)
    for title in ("Printer prints blank receipts", "Reset your password", "Refunds take ten days"):
        kb.store.create({"title": title, "body": f"## Steps\n\n{title}.", "status": "published"}, author="maja")
    engine = kb.search
    question = "printer blank receipts"
    keyword = engine._keyword(question, Filters(), None, ())
    # Scored among what the keyword and e5 runs found, not by a scan of the whole companion index
    monkeypatch.setattr(kb.indexes.companion, "search", lambda *a, **k: pytest.fail("scanned the companion index"))
    own, _, beside = engine._semantic([question], Filters(), keyword=keyword)
    assert spy.queries == [question]
    assert {h.article_id for h in beside} == {h.article_id for h in [*keyword, *own]} != set()
    assert engine._semantic([question], Filters(), keyword=[])[2] != []  # e5's run alone counts too
    spy.queries.clear()
    kb.indexes.companion_embedder.forget_queries()
    engine.search(question, mode="keyword")
    engine.search(question, mode="semantic")
    assert spy.queries == []  # the single modes keep to their own engine
    engine.search(question)
    assert spy.queries == [question]
    spy.queries.clear()
    kb.indexes.companion_embedder.forget_queries()
    kb.close()
    kb = _open(settings, spy)  # by default, English questions pay nothing for it
    spy.queries.clear()
    assert kb.search.search(question).results and spy.queries == []
    kb.close()


def test_with_the_setting_a_larger_limit_keeps_the_first_results_and_a_danish_question_is_not_read_as_english(
        settings, dictionaries: Path) -> None:  # noqa: F811
    spy = Spy(32)
    kb = _open(settings.with_overrides(companion_questions=True, dictionary_dir=dictionaries), spy)
    words = "wifi cable error printer router invoice refund login screen update battery label".split()
    for n in range(160):  # more sections than the usual fetch reaches
        picked = " ".join(words[(n * k) % len(words)] for k in (1, 3, 7))
        kb.store.create({"title": f"Case {n}: {picked}", "body": f"## Fix\n\n{picked} {n}\n\n## Why\n\n"
                         f"{words[n % len(words)]} again", "status": "published"}, author="maja")
    for question in ("wifi cable printer", "wifi printer router", "refund invoice login"):
        first = [r.id for r in kb.search.search(question).results]
        assert [r.id for r in kb.search.search(question, limit=100).results][:10] == first, question
    spy.queries.clear()
    kb.search.search("Hvordan nulstiller jeg min adgangskode?")
    assert "Hvordan nulstiller jeg min adgangskode?" not in spy.queries  # an English model reads English only
    kb.close()


def test_a_translated_question_is_also_searched_by_the_companion(settings, dictionaries: Path) -> None:  # noqa: F811
    spy = Spy(32)
    kb = _open(settings.with_overrides(dictionary_dir=dictionaries), spy)
    add_password_articles(kb.store)
    engine = kb.search
    question = "Hvordan nulstiller jeg min adgangskode?"
    _, sentence, _ = engine._translated(question, Filters(), None, True)
    *_, beside = engine._semantic([question], Filters(), sentence)
    assert spy.queries == [sentence] and "password" in sentence.split()
    assert beside and {kb.indexes.articles[h.article_id].language for h in beside} == {"en"}
    spy.queries.clear()
    kb.indexes.companion_embedder.forget_queries()  # asked again: not from the query cache
    found = engine.search(question, mode="hybrid")
    assert spy.queries == [sentence]
    assert {r.title for r in found.results[:2]} == {"Reset your password", "Nulstil din adgangskode"}
    kb.indexes.companion_embedder.forget_queries()
    engine.search(question, mode="keyword")
    engine.search(question, mode="semantic")
    assert spy.queries == [sentence]  # the single modes keep to their own engine
    # An empty companion index answers nothing: it never falls back to e5's index (an empty index is falsy)
    assert engine._nearest(np.ones((1, 64), np.float32), Filters(), index=SemanticIndex.create(64)) == []
    assert engine._nearest(np.ones((1, 64), np.float32), Filters()) != []
    kb.close()


def test_the_companion_setting(monkeypatch) -> None:
    loaded: list[str] = []
    monkeypatch.setattr("kb.embeddings.load_embedder", lambda spec: loaded.append(spec) or FakeEmbedder(8))
    assert load_companion("off", "multilingual-e5-small") is None
    assert load_companion("auto", "fake-64") is None and load_companion("auto", "all-MiniLM-L6-v2") is None
    assert load_companion("auto", "multilingual-e5-small") is not None and loaded == ["all-MiniLM-L6-v2"]
    assert load_companion("/models/my-english-model", "fake-64") is not None
    assert loaded[-1] == "/models/my-english-model"


def test_one_progress_bar_over_both_models(settings) -> None:
    kb = _open(settings, FakeEmbedder(32))
    kb.store.create({"title": "Reset your password", "body": "Click Forgot password.", "status": "published"},
                    author="maja")
    kb.store.create({"title": "Colour settings", "body": "Pick a colour.", "status": "published",
                     "language": "en-GB"}, author="maja")
    seen: list[tuple[int, int]] = []
    kb.indexes.reindex(lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1] and len({t for _, t in seen}) == 1  # one total, reached
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)  # never back to zero for the second model
    assert _companion_sections(kb) == {c.chunk_id for c in kb.indexes.chunks.values()}  # en and en-GB
    kb.close()


def test_a_translated_question_finds_english_articles_however_their_language_is_spelled(
        settings, dictionaries: Path) -> None:  # noqa: F811
    kb = _open(settings.with_overrides(dictionary_dir=dictionaries), FakeEmbedder(32))
    article = kb.store.create({"title": "Reset your password", "body": "Open the login page and click Forgot password.",
                               "status": "published", "language": "en-GB"}, author="maja")
    question = "Hvordan nulstiller jeg min adgangskode?"
    keyword, sentence, _ = kb.search._translated(question, Filters(), None, True)
    assert [h.article_id for h in keyword] == [article.id] and sentence
    assert [h.article_id for h in kb.search._semantic([question], Filters(), sentence)[2]] == [article.id]
    assert kb.search.search(question, mode="keyword").results[0].id == article.id
    # A reader who asked for Danish articles only gets no English ones through the translation
    assert kb.search._translated(question, Filters(languages=("da",)), None, True)[0] == []
    assert kb.search._translated(question, Filters(languages=("en-GB",)), None, True)[0] != []
    kb.close()


def test_a_manifest_with_facts_a_newer_version_added_still_reads(tmp_path) -> None:
    from kb.index.layout import MANIFEST, read_manifest

    fields = {"schema_version": 1, "build_id": "b", "model": "m", "dim": 8, "chunker_version": 1,
              "keyword_schema": 1, "articles": 0, "chunks": 0, "generation": 0, "built_at": "now"}
    (tmp_path / MANIFEST).write_text(json.dumps({**fields, "something_new": [1, 2]}))
    manifest = read_manifest(tmp_path)
    assert manifest.model == "m" and manifest.companion == "" and manifest.companion_dim == 0
