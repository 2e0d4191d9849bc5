"""Text side of the keyword engine: languages, stop words, stemmers, words and identifiers."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from whoosh.lang import NoStemmer, stemmer_for_language, two_letter_code
from whoosh.lang.stopwords import stoplists

from kb.validation import base_language

PL_PREFIX = 6

_WORD = re.compile(r"[^\W_]+")


def _greek_without_accents() -> dict[int, str]:
    """Precomposed Greek letters -> their base letter: Greek is typed with and without tonos, in capitals."""
    table = {}
    for code in (*range(0x0370, 0x0400), *range(0x1F00, 0x2000)):
        parts = unicodedata.normalize("NFD", chr(code))
        if len(parts) > 1 and all(unicodedata.combining(c) for c in parts[1:]):
            table[code] = parts[0].casefold()
    return table


_GREEK_PLAIN = _greek_without_accents()


# Hyphens Word and Outlook type inside words and codes (U+2010 hyphen, U+2011 non-breaking, U+2012 figure
# dash, U+2212 minus) and fullwidth ASCII ("ＥＲＲ-4012") as the plain characters articles use: one character
# for one, so offsets into the text stay right. En and em dashes stay: they separate words in prose.
# Fullwidth < > & " ' stay: a ticket's HTML is read after this, and "＜ERR-4012＞" is no tag.
_PLAIN = {**{c: "-" for c in (0x2010, 0x2011, 0x2012, 0x2212)},
          **{c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F) if chr(c - 0xFEE0) not in "<>&\"'"}}


def plain_text(text: str) -> str:
    """Text as both engines should read it: composed (NFC), with typographic hyphens and fullwidth letters plain."""
    return unicodedata.normalize("NFC", text).translate(_PLAIN)


def fold(text: str) -> str:
    """Case-folded as the index compares words: "ΕΚΤΥΠΩΤΗΣ" and "εκτυπωτής" fold alike (final sigma too)."""
    return text.casefold().translate(_GREEK_PLAIN)
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
    primary = base_language(code)
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


# Verbs with a particle that support articles are full of, read as one word: "log in", "logged in", "log-in",
# "log on" and "login" are one thing, and "can't log in" is no question about log files. Articles keep both
# readings ("the audit log on Business" is still a log); a query reads them as the verb. Up to one line break
# may sit between the two (hard-wrapped Markdown).
_GAP = r"(?:-|[^\S\n]+|[^\S\n]*\n[^\S\n]*)"


def _particle_pattern(log: str, sign: str) -> re.Pattern[str]:
    return re.compile(rf"\b({log}){_GAP}(in|on|out|off)\b|\b({sign}){_GAP}(in|on|up|out|off)\b", re.IGNORECASE)


PARTICLE_VERB = _particle_pattern("log|logs|logged|logging", "sign|signs|signed|signing")
_QUERY_PARTICLE_VERB = _particle_pattern("log|logged|logging", "sign|signed|signing")  # "logs on the server"
_SAME = {"on": "in", "off": "out"}  # log on = log in, log off = log out


def _joined(match: re.Match[str]) -> str:
    particle = (match[2] or match[4]).lower()
    return ("log" if match[1] else "sign") + _SAME.get(particle, particle)


def _split(folded: str) -> list[str]:
    return [w for w in _WORD.findall(folded) if (len(w) > 1 or w.isdigit()) and len(w) <= 40]


def _words(text: str) -> list[str]:
    """A query's lowercased words ("log in" as "login"), identifiers split; single letters and 40+ letter blobs out."""
    return _split(_QUERY_PARTICLE_VERB.sub(_joined, fold(text)))


JOINED = frozenset({"login", "logout", "signin", "signup", "signout"})


def has_particle_verb(text: str) -> bool:
    """A cheap test before the pattern: scanning every section with it cost 50 µs of a 540 µs match."""
    folded = text.lower()
    return "log" in folded or "sign" in folded


def indexed_words(text: str) -> list[str]:
    """An article's words as indexed: as written, and "login" for each "log in" too, so both readings find it."""
    folded = fold(text)
    joined = [_joined(m) for m in PARTICLE_VERB.finditer(folded)] if has_particle_verb(folded) else []
    return _split(folded) + joined


def _is_identifier(token: str) -> bool:
    """Codes such as ERR-4012, 0x80070005, v2.3.1, 4.18.2 or max_retries; not 2024, 1st, 10:02."""
    digits = any(c.isdigit() for c in token) and not token.isdigit() and not _NOT_CODE.fullmatch(token)
    return digits or "_" in token


def _query_tokens(text: str) -> list[tuple[str, bool]]:
    """Lowercased pieces of text in order, each flagged when it is an identifier to match whole."""
    text, tokens, pos = fold(text), [], 0
    for m in _IDENT.finditer(text):
        if _is_identifier(m.group()):
            tokens += [(text[pos : m.start()], False), (m.group(), True)]
            pos = m.end()
    return [t for t in [*tokens, (text[pos:], False)] if t[0]]


def _query_languages(words: list[str], language: str | None) -> set[str]:
    """Languages whose stop words to drop: the given one, else English plus the best stop-word guess."""
    if language:
        return {_lang(language)}
    distinct = set(words)
    counts = {lang: len(distinct & _stopwords(lang)) for lang in [*stoplists, "pl"]}
    best = max(counts.values())
    return {"en"} | {lang for lang, n in counts.items() if best and n == best}
