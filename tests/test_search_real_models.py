"""Integration: the real embedding models behind the full search path, on articles from the shipped base."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from test_translation import needs_freedict

from kb.config import PROJECT_ROOT
from kb.front_matter import fields_from_front_matter, parse_markdown_file
from kb.index.base import Filters
from kb.knowledge_base import open_knowledge_base
from kb.translation import DEFAULT_DICTIONARY_DIR

pytestmark = pytest.mark.model

SLUGS = ("cash-drawer-does-not-open", "reset-your-norbly-password", "delete-your-norbly-account",
         "printer-prints-blank-receipts-after-the-print-agent-update", "switch-to-annual-billing",
         "using-offline-mode-in-norbly-go", "set-up-two-factor-authentication", "zapier-zaps-not-triggering")


def load(settings, model: str, slugs: tuple[str, ...] = SLUGS):
    kb = open_knowledge_base(settings.with_overrides(embedding_model=model), with_search=False)
    for slug in slugs:
        meta, body = parse_markdown_file((PROJECT_ROOT / "content" / f"{slug}.md").read_text(encoding="utf-8"))
        fields = fields_from_front_matter(meta, body, slug)
        fields["status"] = "published"
        kb.store.create(fields, author="test")
    from kb.knowledge_base import enable_search

    enable_search(kb)
    return kb


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory: pytest.TempPathFactory):
    from kb.config import Settings

    def make(name: str) -> Settings:
        root: Path = tmp_path_factory.mktemp(name)
        return Settings(database_url=f"sqlite:///{root / 'kb.sqlite'}", index_dir=root / "index",
                        content_dir=root / "content", instance_dir=root / "instance", secret_key="x",
                        cache_dir=root, auto_import=False)
    return make


@pytest.mark.parametrize(("query", "slug"), [
    ("the till drawer won't pop open after a sale", "cash-drawer-does-not-open"),
    ("customer forgot her login credentials", "reset-your-norbly-password"),
    ("close my business account permanently and erase our data", "delete-your-norbly-account"),
    ("pay once a year instead of monthly", "switch-to-annual-billing"),
])
def test_minilm_finds_paraphrased_questions(module_settings, query: str, slug: str) -> None:
    kb = load(module_settings("minilm"), "all-MiniLM-L6-v2")
    try:
        assert kb.search.search(query, mode="semantic").results[0].slug == slug
        assert kb.search.search(query, mode="hybrid").results[0].slug == slug
    finally:
        kb.close()


def test_e5_finds_english_articles_for_danish_and_polish_questions(module_settings) -> None:
    kb = load(module_settings("e5"), "multilingual-e5-small")
    try:
        for query, slug in [("Kassen åbner ikke efter et salg", "cash-drawer-does-not-open"),
                            ("Jak usunąć konto i wszystkie dane firmy?", "delete-your-norbly-account"),
                            ("Hvordan slår jeg totrinsbekræftelse til?", "set-up-two-factor-authentication")]:
            assert kb.search.search(query).results[0].slug == slug, query
        for code, slug in (("ERR-4012", "reset-your-norbly-password"), ("OFF-7002", "using-offline-mode-in-norbly-go")):
            answer = kb.suggester.suggest(code)  # an agent pastes only the error code
            assert not answer.abstained and answer.suggestions[0].slug == slug, code
    finally:
        kb.close()


@needs_freedict
def test_a_polish_question_reaches_the_english_article_through_its_dictionary_translation(module_settings) -> None:
    settings = module_settings("e5-translation").with_overrides(dictionary_dir=DEFAULT_DICTIONARY_DIR)
    kb = load(settings, "multilingual-e5-small")
    try:
        kb.search.translator.wait_until_loaded(60)  # typed words without stop words need every dictionary read
        query, slug = "Drukarka drukuje puste paragony", "printer-prints-blank-receipts-after-the-print-agent-update"
        translated, sentence, _ = kb.search._translated(query, Filters(), None, True)
        assert sentence and "printer" in sentence.split()  # the English sentence e5 also reads
        assert translated and kb.indexes.articles[translated[0].article_id].slug == slug
        # MiniLM, the English companion beside e5, reads the same sentence among the English sections
        assert kb.indexes.companion_embedder is not None and kb.indexes.companion_embedder.name == "all-MiniLM-L6-v2"
        beside = kb.search._semantic([query], Filters(), sentence)[2]
        assert beside and kb.indexes.articles[beside[0].article_id].slug == slug
        result = kb.search.search(query).results[0]
        assert result.slug == slug
        assert "<mark>" in result.snippet  # the English words the translation matched are marked
    finally:
        kb.close()


@needs_freedict
def test_a_polish_question_finds_the_polish_article_before_the_english_one(module_settings) -> None:
    settings = module_settings("e5-own-language").with_overrides(dictionary_dir=DEFAULT_DICTIONARY_DIR)
    polish = "kody-weryfikacji-dwuetapowej-odrzucane-z-bledem-err-4020"
    english = "two-factor-codes-rejected-with-err-4020"
    kb = load(settings, "multilingual-e5-small", (*SLUGS[:3], polish, english))
    try:
        kb.search.translator.wait_until_loaded(60)
        # The English article is found by the translation's runs too; the Polish one is judged on the question's
        # own runs, not held to their share of the weight (it came second, 0.62 against 0.77).
        query = "Przy logowaniu kody weryfikacji dwuetapowej są odrzucane z błędem ERR-4020. Co mam zrobić?"
        assert [r.slug for r in kb.search.search(query).results[:2]] == [polish, english]
        assert kb.search.search("two-factor codes rejected ERR-4020").results[0].slug == english
    finally:
        kb.close()


FINNISH = ("kassan-paivan-sulkeminen-ja-z-raportti", "norbly-go-3-9-0-kaatuu-kaynnistyksessa-androidilla",
           "norblyn-palvelun-tilan-tarkistaminen", "verkkolaskuosoitteen-lisaaminen-asiakkaalle")


@needs_freedict
def test_articles_in_the_questions_language_do_not_win_for_their_language_alone(module_settings) -> None:
    settings = module_settings("e5-mixed").with_overrides(dictionary_dir=DEFAULT_DICTIONARY_DIR)
    kb = load(settings, "multilingual-e5-small", (*SLUGS, *FINNISH))
    try:
        kb.search.translator.wait_until_loaded(60)
        # e5 put the four unrelated Finnish articles (cosines 0.83-0.84) above the English answer (0.82, and 0.93
        # to the question's English sentence); judged on the sentence too, and less their language's advantage,
        # they fall behind it.
        query = "tulostin tulostaa tyhjiä kuitteja päivityksen jälkeen"
        answer = "printer-prints-blank-receipts-after-the-print-agent-update"
        assert kb.search.search(query).results[0].slug == answer
        default = kb.search.config
        kb.search.config = replace(default, sentence_everywhere=False, debias_own_language=False)
        try:
            assert kb.search.search(query).results[0].slug in FINNISH  # how it was
        finally:
            kb.search.config = default
    finally:
        kb.close()
