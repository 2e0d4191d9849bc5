"""Query translation with dictd dictionaries: parsing, lookup by word, dictionary form, stem and compound, search."""

from __future__ import annotations

import gzip
import os
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder

from kb.config import load_settings
from kb.dictionaries import Dictionary, read_dictd
from kb.index.base import Filters
from kb.knowledge_base import open_knowledge_base
from kb.lemmas import Lemmatizer, build_tries, lemmatizer, trie_folder
from kb.loanwords import loanword
from kb.translation import DEFAULT_DICTIONARY_DIR, QueryTranslator

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# Tests of the real installed dictionaries: skipped without them, except in CI, where `make test` installs them.
needs_freedict = pytest.mark.skipif(
    not all((DEFAULT_DICTIONARY_DIR / f"freedict-{code}-eng.index").exists() for code in ("dan", "nld", "pol", "fin"))
    and not os.environ.get("CI"),
    reason="Debian's dict-freedict-* packages are not installed (make setup installs them)")

DANISH = {
    "adgangskode": "adgangskode /ˈaðɡaŋsˌkoːðə/ <n>\npassword\n",
    "nulstille": "nulstille <v>\nreset, zero\n",
    "glemme": "glemme <v>\nforget\n",
    "printer": "printer <n>\nprinter\n",
    "kvittering": "kvittering <n>\n1. receipt\n2. acknowledgement\n",
    "blank": "blank <adj>\nblank, shiny\n",
    "tom": "tom <adj>\nempty, blank\n(om beholder) uden indhold\n",
}
POLISH = {"hasło": "hasło /ˈxaswɔ/ <n>\npassword\n(informatyka) ciąg znaków\n"}


def _encode(number: int) -> str:
    digits = ""
    while True:
        digits = _B64[number % 64] + digits
        number //= 64
        if not number:
            return digits


def write_dictd(folder: Path, code: str, entries: dict[str, str], *, gzipped: bool = True) -> None:
    """A dictd pair as FreeDict ships it: an index of base64 offsets into a (dictzip-compatible) data file."""
    data, lines = b"", ["00-database-info\tA\tB"]
    for word, entry in sorted(entries.items()):
        raw = entry.encode("utf-8")
        lines.append(f"{word}\t{_encode(len(data))}\t{_encode(len(raw))}")
        data += raw
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"freedict-{code}-eng.index").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if gzipped:
        (folder / f"freedict-{code}-eng.dict.dz").write_bytes(gzip.compress(data))
    else:
        (folder / f"freedict-{code}-eng.dict").write_bytes(data)


@pytest.fixture
def dictionaries(tmp_path: Path) -> Path:
    folder = tmp_path / "dictd"
    write_dictd(folder, "dan", DANISH)
    write_dictd(folder, "pol", POLISH, gzipped=False)
    return folder


def test_reads_translations_and_stops_at_the_source_language_definition(dictionaries: Path) -> None:
    entries = read_dictd(dictionaries / "freedict-dan-eng.index", dictionaries / "freedict-dan-eng.dict.dz")
    assert entries["adgangskode"] == ("password",)
    assert entries["kvittering"] == ("receipt", "acknowledgement")  # numbered senses
    assert entries["tom"] == ("empty", "blank")  # the Danish gloss after them is not a translation
    assert "00-database-info" not in entries
    plain = read_dictd(dictionaries / "freedict-pol-eng.index", dictionaries / "freedict-pol-eng.dict")
    assert plain == {"hasło": ("password",)}


def test_translates_inflected_and_compound_words_and_keeps_unknown_ones(dictionaries: Path) -> None:
    translator = QueryTranslator(dictionaries)
    assert translator.languages == ("da", "pl")
    translation = translator.translate("Hvordan nulstiller jeg min adgangskode til Zendesk?")
    assert translation is not None and translation.language == "da"
    # "nulstiller" by its stem; words without an entry stay ("hvordan" is no stop word in the Danish list)
    assert translation.text.split() == ["hvordan", "reset", "zero", "password", "zendesk"]
    assert translation.translated == ("nulstiller", "adgangskode") and translation.kept == ("hvordan", "zendesk")
    assert translation.coverage == pytest.approx(2 / 4)
    compound = translator.translate("Printeren giver en tom kvitteringsprinter")
    assert compound is not None and "kvitteringsprinter" in compound.translated  # "kvitterings|printer"
    assert {"receipt", "printer", "empty"} <= set(compound.text.split())


def test_english_and_unknown_languages_are_not_translated(dictionaries: Path) -> None:
    translator = QueryTranslator(dictionaries)
    assert translator.translate("How do I reset my password?") is None
    assert translator.translate("Wie kann ich mein Passwort zurücksetzen?") is None  # no German dictionary
    assert translator.translate("nulstil adgangskode", language="en-GB") is None
    assert translator.translate("hasło", language="pl") is not None  # a stated language needs no stop words
    assert QueryTranslator(None).translate("Hvordan nulstiller jeg min adgangskode?") is None
    assert QueryTranslator(dictionaries / "missing").languages == ()


def test_preload_reads_every_dictionary(dictionaries: Path) -> None:
    translator = QueryTranslator(dictionaries)
    translator.wait_until_loaded()  # nothing started: returns at once
    translator.preload_in_background()
    translator.wait_until_loaded(10)
    assert set(translator._loaded) == {"da", "pl"}
    assert translator.translate("adgangskode nulstille") is not None  # typed words, no stop words
    assert translator.translate("printer blank") is None  # every word reads as English too
    assert translator.translate("ERR-4012") is None  # codes are the same in every language
    assert translator.translate("Wie kann mein Passwort") is None  # German stop words, no German dictionary
    assert translator.translate("kvittering") is not None and translator.translate("zzzz kvxq") is None


def add_password_articles(store) -> None:  # type: ignore[no-untyped-def]
    """English articles on resetting a password and on blank receipts, and the Danish password article."""
    store.create({"title": "Reset your password", "body": "Open the login page and click Forgot password.",
                  "status": "published"}, author="maja")
    store.create({"title": "Printer prints blank receipts", "body": "Update the print agent, then print a test.",
                  "status": "published"}, author="maja")
    store.create({"title": "Nulstil din adgangskode", "body": "Klik på Glemt adgangskode.", "status": "published",
                  "language": "da"}, author="maja")


@contextmanager
def password_base(settings, dictionaries: Path):  # type: ignore[no-untyped-def]
    """A knowledge base translating with these dictionaries, holding the password and receipt articles."""
    kb = open_knowledge_base(settings.with_overrides(dictionary_dir=dictionaries))
    add_password_articles(kb.store)
    try:
        yield kb
    finally:
        kb.close()


@pytest.fixture
def translating_kb(settings, dictionaries: Path):
    with password_base(settings, dictionaries) as kb:
        yield kb


def test_a_danish_question_finds_the_english_article_through_its_translation(translating_kb) -> None:
    engine = translating_kb.search
    question = "Hvordan nulstiller jeg min adgangskode?"
    hits, sentence, translation = engine._translated(question, Filters(), None, True)
    assert hits and translation is not None  # the English article matched "reset password"
    assert sentence is not None and "password" in sentence.split()
    # Its English sentence also runs through the semantic engine, among every language: the Danish article
    # is judged on it too, so that e5's liking for a question's own language does not decide alone.
    own, read, beside = engine._semantic([question], Filters(), sentence)
    assert beside == []  # no companion model here
    languages = translating_kb.indexes.articles
    assert {languages[h.article_id].language for h in own} == {languages[h.article_id].language for h in read} == {
        "en", "da"}
    engine.config = replace(engine.config, sentence_everywhere=False)
    assert {languages[h.article_id].language for h in engine._semantic([question], Filters(), sentence)[1]} == {"en"}
    engine.config = replace(engine.config, sentence_everywhere=True)
    assert engine._translated(question, Filters(), None, False)[1] is None  # keyword mode: no sentence
    # A longer Danish e-mail with more Norwegian stop words than Danish ones (no Norwegian dictionary)
    e_mail = ("Hej. Printeren giver en tom kvittering hver gang jeg prøver igen i butikken. "
              "Hvordan nulstiller jeg min adgangskode?")
    assert engine.translator.translate(e_mail).language == "da"
    response = engine.search(question)
    # The Danish article first: judged on the question's own runs, not held to their share of the weight
    # because the translation's runs reach English articles only.
    assert [r.title for r in response.results[:2]] == ["Nulstil din adgangskode", "Reset your password"]
    for language, title in (("en", "Reset link shows ERR-4012"), ("da", "Nulstillingslinket viser ERR-4012")):
        translating_kb.store.create({"title": title, "language": language, "status": "published",
                                     "body": "ERR-4012: nulstil adgangskode" if language == "da" else
                                     "ERR-4012: reset the password"}, author="maja")
    coded = engine.search("Hvordan nulstiller jeg min adgangskode ved ERR-4012?")
    assert [r.title for r in coded.results[:2]] == ["Nulstillingslinket viser ERR-4012", "Reset link shows ERR-4012"]
    assert response.translation is not None and "password" in response.translation.text
    assert engine.search("How do I reset my password?").translation is None
    receipt = engine.search("Printeren giver en tom kvittering", mode="keyword").results[0]
    assert receipt.title == "Printer prints blank receipts"
    assert "<mark>" in receipt.snippet or "<mark>" in receipt.title or receipt.section == ""


def test_an_english_article_found_through_the_translation_carries_that_evidence(translating_kb) -> None:
    engine = translating_kb.search
    question = "Printeren giver en tom kvittering"
    keyword = engine._keyword(question, Filters(), None, ())
    english, _, _ = engine._translated(question, Filters(), None, True)
    response = engine.search(question)
    printer = next(r.id for r in response.results if r.title == "Printer prints blank receipts")
    direct = max((h.score for h in keyword if h.article_id == printer), default=0.0)
    through = max(h.score for h in english if h.article_id == printer)
    assert through > direct  # the English words match it better than the Danish ones
    # Suggestion confidence reads this evidence: the English article is judged by its English match.
    assert response.evidence[printer][0] == through


def test_a_long_foreign_ticket_is_embedded_from_its_digest(translating_kb) -> None:
    filler = " ".join(["Printeren giver en tom kvittering, og kassen åbner ikke."] * 20)
    ticket = f"Hej. {filler} Hvordan nulstiller jeg min adgangskode?"
    hits, sentence, translation = translating_kb.search._translated(ticket, Filters(), None, True)
    assert hits and sentence and translation is not None
    assert "password" in sentence.split()  # the asking sentence is in the digest
    assert len(sentence) < len(translation.sentence(set())) / 2  # not every repeated sentence again


def test_translation_respects_filters_and_english_queries(translating_kb) -> None:
    engine = translating_kb.search
    danish = "Hvordan nulstiller jeg min adgangskode?"
    assert engine._translated(danish, Filters(languages=("da",)), None, True) == ([], None, None)
    assert engine._translated("How do I reset my password?", Filters(), None, True) == ([], None, None)
    drafts_only = Filters(statuses=("draft",))
    hits, sentence, translation = engine._translated(danish, drafts_only, None, True)
    # Translated, but no published-only article among drafts, and no semantic run without keyword evidence
    assert hits == [] and sentence is None and translation is not None


@needs_freedict
def test_installed_freedict_dictionaries_translate_real_questions() -> None:
    translator = QueryTranslator(DEFAULT_DICTIONARY_DIR)
    assert {"da", "nl", "pl", "fi"} <= set(translator.languages)
    for language in ("da", "nl", "pl", "fi"):  # the app reads them in the background on start
        translator.dictionary(language)
    cases = {"Hvordan nulstiller jeg min adgangskode?": "password",
             "Hoe kan ik mijn factuur betalen?": "bill",
             "Jak mogę zmienić hasło do konta?": "password",
             "Miten voin vaihtaa salasanan?": "password"}
    for question, english in cases.items():
        translation = translator.translate(question)
        assert translation is not None and english in translation.text.split(), (question, translation)
    # Inflections only the dictionary forms reach ("dzieci" -> "dziecko", "børn" -> "barn"), with the tries
    # `make setup` builds (python -m kb lemmas)
    lemmas = lemmatizer(load_settings())
    if lemmas is None or not {"da", "pl"} <= lemmas.languages:
        assert not os.environ.get("CI"), "make test builds the dictionary forms before the tests"
        return
    with_forms = QueryTranslator(DEFAULT_DICTIONARY_DIR, lemmas)
    for question in ("Czy dzieci mogą wrócić do szkoły?", "Hvor længe skal mine børn blive hjemme?"):
        assert "child" not in translator.translate(question).text.split()
        assert "child" in with_forms.translate(question).text.split(), question
    # A few typed words in their inflected forms, and a single stop word another language shares ("go")
    for language in ("da", "nl", "pl", "fi"):
        with_forms.dictionary(language)
    typed = {"resetowanie hasła": ("pl", "password"), "Norbly Go kaatuu käynnistyksessä Androidilla": ("fi", "fall")}
    for query, (language, english) in typed.items():
        translation = with_forms.translate(query)
        assert translation is not None and translation.language == language, (query, translation)
        assert english in translation.text.split(), (query, translation)
    assert with_forms.translate("printer on fire") is None  # English with one shared stop word stays English
    # Inflected English is English: the dictionaries hold "expire" and "problem", an agent types "expired"
    for english in ("links expired", "certificate expired", "sign in problems", "notifications stopped",
                    "settings changed"):
        assert with_forms.translate(english) is None, english
    assert with_forms.translate("SAML-1011") is None  # a code, not the Danish verb "saml"


def test_the_api_and_the_search_page_say_how_the_question_was_translated(translating_kb) -> None:
    from kb.web import create_app

    app = create_app(knowledge_base=translating_kb)
    app.config["TESTING"] = True
    client = app.test_client()
    path = "/api/v1/search?q=Hvordan+nulstiller+jeg+min+adgangskode%3F"
    response = client.get(path)
    body = response.get_json()
    assert body["translation"]["language"] == "da" and "password" in body["translation"]["text"].split()
    spec = OpenAPI.from_dict(client.get("/api/v1/openapi.json").get_json())  # the documented shape, filled in
    request = EnvironBuilder(path, environ_base=client.environ_base).get_request()
    spec.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
    assert client.get("/api/v1/search", query_string={"q": "reset password"}).get_json()["translation"] is None
    ticket = {"text": "Hej! Hvordan nulstiller jeg min adgangskode? Jeg har glemt den."}
    suggested = client.post("/api/v1/suggest", json=ticket)
    assert suggested.status_code == 200 and suggested.get_json()["translation"]["language"] == "da"
    suggest_request = EnvironBuilder("/api/v1/suggest", method="POST", json=ticket,
                                     environ_base=client.environ_base).get_request()
    spec.validate_response(WerkzeugOpenAPIRequest(suggest_request), WerkzeugOpenAPIResponse(suggested))
    english_ticket = "I forgot my password, how do I reset it?"
    english = client.post("/api/v1/suggest", json={"text": english_ticket})
    assert english.get_json()["translation"] is None
    page = client.get("/", query_string={"q": "Hvordan nulstiller jeg min adgangskode?"}).get_data(as_text=True)
    assert 'id="translation"' in page and "password" in page
    app.config["WTF_CSRF_ENABLED"] = False
    pasted = client.post("/tickets", data=ticket).get_data(as_text=True)  # the paste-a-ticket page says so too
    assert 'id="translation"' in pasted and '<span lang="da">da</span>' in pasted
    assert 'id="translation"' not in client.post("/tickets", data={"text": english_ticket}).get_data(as_text=True)


def test_dictionary_forms_are_looked_up_before_stems_and_endings() -> None:
    forms = {"dzieci": "dziecko", "szkołach": "szkoła"}
    polish = Dictionary("pl", {"dziecko": ("child", "kid", "infant"), "szkoła": ("school",)}, forms.get)
    assert polish.lookup("dzieci") == ("child", "kid")  # two senses, as for every headword
    assert polish.lookup("szkołach") == ("school",)
    assert polish.lookup("szkoła") == ("school",) and polish.lookup("zupełnie") == ()
    assert Dictionary("pl", {"dziecko": ("child",)}).lookup("dzieci") == ()  # no forms: stems only


def test_the_sentence_for_the_embedder_keeps_the_senses_the_articles_use(dictionaries: Path) -> None:
    translation = QueryTranslator(dictionaries).translate("Printeren giver en tom kvittering til Zendesk")
    assert translation is not None
    by_word = dict(zip(["printeren", "giver", "tom", "kvittering", "zendesk"], translation.senses, strict=True))
    assert by_word["tom"] == ("empty", "blank") and by_word["zendesk"] == ("zendesk",)
    assert translation.sentence(set()) == "printer giver empty receipt zendesk"  # nothing known: first senses
    known = {"printer", "blank", "acknowledgement", "receipt"}
    assert translation.sentence(known) == "printer giver blank receipt acknowledgement zendesk"


def test_lemmatizer_reads_built_tries_and_never_builds_one(tmp_path: Path) -> None:
    assert Lemmatizer(tmp_path / "none").lemma("da", "børn") is None
    assert not (tmp_path / "none").exists()  # a missing trie is not built behind a request's back
    assert build_tries(tmp_path / "tries", ["da", "xx"]) == ["da"]  # languages simplemma lacks are skipped
    lemmas = Lemmatizer(tmp_path / "tries")
    assert lemmas.languages == {"da"}
    assert lemmas.lemma("da", "børn") == "barn" and lemmas.lemma("da", "barn") is None
    assert lemmas.lemma("pl", "dzieci") is None  # no Polish trie built
    folder = tmp_path / "dictd"
    write_dictd(folder, "dan", {"barn": "barn <n>\nchild\n", "skole": "skole <n>\nschool\n"})
    translation = QueryTranslator(folder, lemmas).translate("børn skole", language="da")
    assert translation is not None and translation.text.split() == ["child", "school"]
    assert QueryTranslator(folder).translate("børn skole", language="da").text.split() == ["børn", "school"]


def test_lemmas_command_builds_the_installed_languages_tries(tmp_path: Path, monkeypatch, capsys) -> None:
    from kb.cli import main

    folder = tmp_path / "dictd"
    write_dictd(folder, "dan", DANISH)
    monkeypatch.setenv("KB_DICTIONARY_DIR", str(folder))
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("KB_INSTANCE_DIR", str(tmp_path / "instance"))
    assert main(["lemmas"]) == 0
    assert "ready for da" in capsys.readouterr().out
    settings = load_settings()
    assert settings.lemma_dir == tmp_path / "cache" / "lemmas"
    assert (trie_folder(settings.lemma_dir) / "da.dic").is_file()
    monkeypatch.setenv("KB_DICTIONARY_DIR", "off")
    assert main(["lemmas"]) == 0 and "nothing to build" in capsys.readouterr().out



def test_an_english_word_with_the_languages_ending_is_read_as_that_word(tmp_path: Path) -> None:
    folder = tmp_path / "dictd"
    write_dictd(folder, "dan", DANISH)
    write_dictd(folder, "pol", {**POLISH, "ruter": "ruter <n>\nrouter\n"})
    translator = QueryTranslator(folder)
    translator.preload_in_background().join()
    # "routeren" (the router) is in no Danish dictionary; "router" is English the dictionaries translate into.
    danish = translator.translate("Hvordan nulstiller jeg routeren?")
    assert danish is not None and danish.language == "da" and "router" in danish.text.split()
    polish = translator.translate("Jak zmienić hasło routera?")
    assert polish is not None and "router" in polish.text.split()
    # A word that is English already stays as typed: "routers" is no Danish plural of "router".
    assert translator.translate("Hvordan nulstiller jeg routers?", "da").text.split()[-1] == "routers"


def test_loanwords_are_read_by_the_languages_own_endings() -> None:
    english = {"printer", "router", "login", "restaurant", "mite"}
    assert loanword("printeren", "da", english) == "printer"
    assert loanword("routerna", "sv", english) == "router"
    assert loanword("loginu", "pl", english) == "login"
    assert loanword("restauranter", "da", english) == "restaurant"
    assert loanword("miten", "sv", english) is None  # "mite" is under five letters
    assert loanword("printeren", "fi", english) is None  # not a Finnish ending
    assert loanword("hund", "da", english) is None
