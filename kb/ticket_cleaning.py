"""Extract the customer's actual question from a noisy support ticket (e-mail, HTML, chat, call note, web form).

Tickets are cleaned by what their parts *are* (quote headers, header blocks, speaker and field labels, sign-off
and signature blocks, disclaimers), with generic patterns for en, da, nl, pl, fi and de, never by one template's
wording. Long results are shortened on purpose, not truncated blindly: above MAX_CHARS we keep the opening text
(where the ask usually is) plus later sentences carrying a question mark or an identifier (the searchable detail).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

MAX_CHARS = 4000
HEAD_CHARS = 2000


@dataclass(frozen=True)
class Identifier:
    """A code worth exact matching (error_code, hex_code, version) or a reference number (ticket_ref)."""

    kind: str
    value: str


@dataclass(frozen=True)
class CleanedTicket:
    """The customer's question extracted from a ticket, with its cleaned subject and identifiers."""

    text: str
    subject: str
    identifiers: tuple[Identifier, ...]
    search_terms: tuple[str, ...]


def _rx(*parts: str) -> re.Pattern[str]:
    """Case-insensitive pattern from concatenated parts (keeps the long vocabularies readable)."""
    return re.compile("".join(parts), re.I)


# --- e-mail structure: quotes, header blocks, device footers ------------------------------------------------
_WS = re.compile(r"\s+")
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_QUOTED = re.compile(r"^\s*(?:>\s?)+")
_SEP = _rx(r"^\s*(?:_{8,}|-{2,}\s*[^-\n]{3,40}?\s*-{2,}|(?:begin )?forwarded message:?)\s*$")
_FWD = _rx(r"forward|videresend|doorgestuurd|weitergeleitet|przekazan|välitetty|vidarebefordrat|",
           r"^\s*(?:fwd?|wg|vs|vb|doorst|pd|tr)\s*:")
_WROTE = _rx(r"(?:\bwrote|\bwrites|\bskrev|\bschreef|\bschrieb|\bkirjoitti|napisał\(a\)|napisała|napisał|\bpisze|",
             r"a écrit)(?!\w)[^\n]{0,80}:\s*$")
_QUOTE_INTRO = _rx(r"^\W*(?:(?:on|den|op|am|w dniu|dnia|le|el)\b|\w{2,5}\.?,?\s+\d{1,2}\.?\s)")
_FROM_LABEL = r"from|fra|von|van|od|från|lähettäjä|afsender|absender|nadawca"
_HDR = _rx(r"^\W{0,2}(?:", _FROM_LABEL, r"|sent|date|to|cc|bcc|subject|reply-to|sendt|dato|til|emne|gesendet|",
           r"datum|an|betreff|verzonden|aan|onderwerp|wysłano|wysłane|data|do|temat|dw|lähetetty|päivämäärä|",
           r"vastaanottaja|aihe|kopio|skickat|ämne|till)\W{0,2}:")
_FROM = _rx(r"^\W{0,2}(?:", _FROM_LABEL, r")\W{0,2}:")
_SUBJ_LABEL = _rx(r"^\W{0,2}(?:subject|emne|betreff|onderwerp|temat|aihe|ämne)\W{0,2}:\s*(.*)$")
_SENT_FROM = _rx(r"^\s*(?:sent from (?:my|outlook|mail|yahoo)|get outlook for|sent via|sendt fra|verzonden (?:vanaf|",
                 r"met|van)|verstuurd (?:vanaf|met)|wysłane z|wysłano z|lähetetty|von meinem .{0,40}gesendet|",
                 r"gesendet von|skickat från)\b.{0,60}$")
# Bracketed notes ("[Phone call notes - agent 7]", "[image: logo]") and bare channel headers ("Chat transcript").
_META = _rx(r"^\s*\[[^\]]{0,80}\]\s*$|^\W*(?:live\s+|pre-?|(?:in|out)bound\s+|incoming\s+|outgoing\s+)?(?:chat|",
            r"conversation|phone\s+call|call|ticket|case|request|submission|web\s?form|contact\s+form)(?:\s*(?:",
            r"transcript|log|history|notes?|summary|started|ended|form|survey|submission)){0,2}\s*[-–]?\s*",
            r"(?:#?\s*[\w:.-]*\d[\w:.-]*)?\s*(?:\([^)]{0,30}\))?\W*$|",
            r"^.{0,60}\b(?:joined|left) the (?:chat|conversation)\b")

# --- salutations, sign-offs, signatures, disclaimers, filler -----------------------------------------------
_GREET = (r"(?:hi|hello|hey|hiya|dear|(?:good\s+)?(?:morning|afternoon|evening)|good\s+day|greetings|"
          r"to whom it may concern|hej|hejsa|kære|goddag|godmorgen|hallo|hoi|beste|geachte|goedemorgen|goedemiddag|"
          r"goedenavond|goedendag|dzień dobry|witam|cześć|szanown\w+(?: \w+)?|hei|moi|terve|hyvää (?:päivää|huomenta)|"
          r"guten (?:morgen|tag|abend)|sehr geehrte\w*|liebe\w?|moin)")
_GREET_LINE = _rx(r"^\W*", _GREET, r"(?:(?:\s+[^\s,!.:?]+){0,3}\s*[,!.:?]+|(?:\s+[^\s,!.:?]+){0,2})\s*$")
_GREET_INLINE = _rx(r"^\W*", _GREET, r"(?:\s+[^\s,!.:?]+){0,3}\s*[,!]\s+(?=\S)")
_MENTIONS = re.compile(r"^\s*(?:@\w+[,:]?\s+)+(?=\S)")
_SIGNOFF = _rx(
    r"^\W*(?:(?:with\s+)?(?:kind|best|warm|warmest|kindest|many)?\s*(?:regards|wishes)|best|cheers|thanks(?: again|",
    r" in advance)?|thank you(?: in advance)?|many thanks|thx|ty|tia|sincerely|yours(?: sincerely| faithfully|",
    r" truly)?|respectfully|br|rgds|t\.|mvh|vh|(?:med )?venlig hilsen|(?:de )?bedste hilsner|hilsen|",
    r"på forhånd tak|med vennlig hilsen|(?:met )?vriendelijke groet(?:en)?|mvg|groeten|groetjes|alvast bedankt|",
    r"pozdrawiam(?: serdecznie)?|z poważaniem|z wyrazami szacunku|z góry dziękuję|ystävällisin terveisin|",
    r"parhain terveisin|terveisin|kiitos(?: etukäteen)?|mit freundlichen grüßen|(?:freundliche|viele|beste|liebe) ",
    r"grüße|mfg|lg|gruß|(?:vielen )?danke?(?: im voraus)?)(?=\W|$)")
_SIG_DELIM = re.compile(r"^\s*(?:--|—)\s*$")
# Dots are not allowed inside the bare phone shape so that dates and versions are never taken for phones.
_CONTACT = _rx(r"\b(?:tel|phone|mob|mobile|cell|fax|tlf|puh|e-?mail|www|web)\b\.?\s*[:.]|https?://|\||",
               r"\+\d[\d\s().-]{6,}\d|\(?\d{2,4}\)?[\s-]\d{2,4}[\s-]\d{2,4}")
_DISCLAIMER = _rx(
    r"intended (?:solely |only )?for the (?:use of the )?(?:addressee|recipient|individual|person|named)|",
    r"received this (?:e-?mail|message|communication) (?:in|by) (?:error|mistake)|confidentiality notice|",
    r"disclaimer\s*:|(?:scanned|checked) (?:for|by) .{0,30}virus|virus[- ]free|free (?:of|from) viruses|",
    r"before printing|think before you print|(?:consider|think|denk|tænk|pomyśl|ajattele|denken sie)\b.{0,30}",
    r"(?:environment|milieu|miljø|środowisk|ympäristö|umwelt)|originated from outside|external (?:e-?mail|sender)|",
    r"do not click (?:on )?links|unsubscribe")
_CONFIDENTIAL = _rx(r"confidential|fortrolig|vertrouwelijk|poufn|luottamuksellinen|vertraulich")
_ADDRESSEE = _rx(r"intended|recipient|addressee|modtager|geadresseerde|adresat|vastaanottaja|empfänger|privilege")
# Sentences about the support interaction itself (chasing, thanking, asking for a call-back), not the problem.
_FILLER = _rx(
    r"^(?:i(?: have|'ve| am|'m)? (?:been |still )?waiting\b.{0,40}\b(?:answer|reply|response|feedback|you|hear|",
    r"call ?back)\b|(?:please|pls|kindly)\s+(?:call|ring|phone|contact|get back to|reply to|respond to)\s+",
    r"(?:me|us)\b.{0,60}$|(?:any|your) (?:help|advice|assistance|feedback|info\w*)\b.{0,40}\b(?:appreciated|",
    r"welcome)|(?:thanks?|thank you|many thanks)(?: (?:in advance|for (?:your|the) (?:help|time|support|",
    r"assistance)))?\W*$|(?:i )?(?:look(?:ing)? forward to|hope to hear)\b.{0,60}$|(?:i )?hope (?:you are|",
    r"you're|this .{0,20} finds you)\b.{0,40}$|(?:can i |i want to |let me )?(?:talk|speak|chat) (?:to|with) ",
    r"(?:a |an )?(?:human|agent|person|someone|representative)\W*$|please advise\W*$|(?:this is )?(?:very )?",
    r"urgent\W*$|fyi\b.{0,30}$|(?:please )?see (?:below|attached|the .{0,20} below)\W*$|(?:please )?find attached\b",
    r".{0,40}$|i(?:'ve| have)? attached\b.{0,40}$|(?:(?:hi|hello|hey)\W+)?(?:i )?need (?:some |your )?help\W*$|",
    r"(?:can|could) (?:you|u|someone|anyone) (?:please )?help(?: me)?\W*$)")
_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+")
_BULLET = re.compile(r"^(?:[-*•·]|\d{1,2}[.)])\s")

# --- chat transcripts, call notes, web forms ---------------------------------------------------------------
_TS = r"[\[(]?\s*(?:\d{4}-\d{2}-\d{2}[ T])?\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\s*(?:[AaPp]\.?[Mm]\.?)?\s*[\])]?"
_SPEAKER = re.compile(rf"^\s*(?:({_TS})\s*[-–|]?\s*)?([^\W\d][^:\n]{{0,40}}?)\s*:(?:\s+(.*)|\s*)$")
_AGENT_ROLE = _rx(r"\b(?:agent|support|bot|chatbot|assistant|operator|representative|rep|advis[eo]r|consultant|",
                  r"helpdesk|service ?desk|service|care|staff|system|moderator|medarbejder|medewerker|konsulent|",
                  r"asiakaspalvelu|mitarbeiter|kundeservice|klantenservice|obsługa|doradca|tuki|berater)\b")
_CUST_ROLE = _rx(r"\b(?:visitor|customer|client|user|guest|caller|me|kunde|klant|klient|bezoeker|gość|asiakas|",
                 r"vieras|besucher|kundin|member|requester)\b")
_AGENT_PHRASE = _rx(r"how (?:can|may) i (?:help|assist)|let me (?:check|look|see)|is there anything else|",
                    r"thanks? (?:you )?for (?:contacting|reaching out|waiting|your patience)|",
                    r"i(?:'ll| will) (?:transfer|escalate)")
_PHONE_HINT = _rx(r"^\W*(?:(?:tele)?(?:phone|call)\s*(?:call\s*)?(?:notes?|log|summary)\b|",
                  r"(?:inbound|outbound|incoming|outgoing)\s+call\b|caller\s+(?:verified|identified|authenticated))")
_REPORTED = _rx(r"\b(?:(?:customer|caller|client|cust|user|member|kunde|klant|klient|asiakas|anrufer|soittaja)\s+",
                r"(?:says|said|reports|reported|states|stated|asks|asked|explains|explained|mentions|mentioned|claims|",
                r"complains|wants to know|is asking|siger|spørger|zegt|vraagt|meldt|mówi|pyta|zgłasza|sanoo|kysyy|",
                r"sagt|fragt|meldet)|reason for (?:the )?call|reported (?:issue|problem))\s*:\s*")
_QUOTED_SPEECH = re.compile(r"""^["'“‘„]([^"'”’“]{3,}?)["'”’“](?:\s|$)""")
_AGENT_NOTE = _rx(r"^\W*(?:(?:caller|customer|cust|client)\s+(?:verified|identified|authenticated|sounded|seemed|",
                  r"hung up|was (?:frustrated|angry|upset))|advised|informed|told|transferred|escalated|offered|",
                  r"logged|called back|will call|ref\.?\s*#?\d)\b")
_FIELD = re.compile(r"^\s*([^\W\d][\w .'/()&#?-]{0,40}?)\s*[:：](?:\s+(.*)|\s*)$")
_SURVEY = _rx(r"^\s*(?:how did you (?:hear|find out|learn) about us|where did you hear about us|",
              r"hvordan hørte du om os|hoe heeft u ons gevonden|skąd się o nas dowiedział\w*|mistä kuulit meistä|",
              r"wie haben sie von uns erfahren)\b")
_FIELD_KINDS = (
    ("message", _rx(r"(?:your |the )?(?:message|description|question|details?|comments?|enquiry|inquiry|problem|",
                    r"issue|request|body|how can we help(?: you)?|problem description|issue description|besked|",
                    r"beskrivelse|spørgsmål|henvendelse|bericht|omschrijving|beschrijving|vraag|wiadomość|opis|pytanie|",
                    r"treść|viesti|kuvaus|kysymys|nachricht|beschreibung|frage|anliegen)")),
    ("useful", _rx(r"(?:product|produkt|software|app|application|module|feature|plan|(?:app |software |firmware )?",
                   r"version|versie|wersja|versio|error(?: code| message)?|fejl(?:kode)?|fout(?:melding|code)?|błąd|",
                   r"kod błędu|virhe(?:koodi)?|fehler(?:code|meldung)?|browser|os|operating system|platform|device|",
                   r"model|environment)")),
    ("drop", _rx(r"(?:(?:first |last |full |your )?name|e-?mail(?: address)?|phone(?: number)?|telephone|mobile|tel|",
                 r"fax|address|street|city|zip(?: code)?|post ?code|postal code|country|company|organi[sz]ation|",
                 r"department|category|type|topic|priority|urgency|status|order(?: number| no\.?| id| #)?|invoice",
                 r"(?: number| no\.?)?|customer (?:number|id|no\.?)|account(?: number| id)?|ticket(?: number| id)?|",
                 r"case(?: number| id)?|ref(?:erence)?(?: number)?|date|time|submitted(?: at| on)?|source|channel|",
                 r"subject|attachments?|consent|newsletter|language|navn|telefon|firma|kategori|emne|ordrenummer|",
                 r"adresse|naam|telefoonnummer|bedrijf|categorie|onderwerp|bestelnummer|imię(?: i nazwisko)?|nazwisko|",
                 r"kategoria|temat|numer zamówienia|adres|nimi|sähköposti|puhelin|yritys|aihe|tilausnumero|osoite|",
                 r"vorname|nachname|betreff|bestellnummer|anrede|kundennummer|e-post)")),
)
_SUBJ_PREFIX = _rx(r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|vl|antw|odp|pd|doorst|tr|rv|vb)\s*(?:\[\d+\])?\s*:\s*)+")
_SUBJ_REF = _rx(r"[\[(]?\s*\b(?:ticket|case|request|ref(?:erence)?|incident|sag|zaak|zgłoszenie|tapaus|fall)\s*",
                r"(?:no\.?|nr\.?|number|id)?\s*[:#]?\s*#?[A-Z]{0,4}-?\d{3,}\b\s*[\])]?|",
                r"\[\s*#?[A-Z]{0,4}-?\d{3,}\s*\]|(?<!\w)#\d{3,}\b")
_SUBJ_URGENT = _rx(r"\b(?:very )?(?:urgent|important|asap|high priority|dringend|haster|spoed|pilne|",
                   r"kiireellinen)\b[\s!:-]*")

# --- identifiers -------------------------------------------------------------------------------------------
_TICKET_KW = (r"ticket|case|order|invoice|ref(?:erence)?|request|incident|sag|ordre|faktura|zaak|bestelling|"
              r"factuur|zgłoszenie|zamówienie|tilaus|lasku|tapaus|bestellung|rechnung|anfrage")
# Earlier patterns win overlaps, so reference numbers are claimed before the generic code shapes.
_ID_PATTERNS = (
    ("hex_code", re.compile(r"\b0[xX][0-9A-Fa-f]{4,16}\b")),
    ("ticket_ref", _rx(r"\b(?:INV|ORD|PO|SO|REQ|INC|CASE|TKT|TICKET|CS|SR|RMA)-\d[\d-]*\d\b")),
    ("ticket_ref", _rx(r"\b(?:", _TICKET_KW, r")\s*(?:no\.?|nr\.?|number|num|id|nummer|numer|n°)?\s*(?:is\s+)?",
                       r"[:#]?\s*\[?#?([A-Z]{0,5}-?\d[\d-]{1,18}\d)\b")),
    ("ticket_ref", re.compile(r"(?<![\w&])#(\d{3,12})\b")),
    ("error_code", re.compile(r"\bHTTP\s?[1-5]\d\d\b")),
    ("error_code", re.compile(r"\b[A-Z][A-Z0-9]{0,9}(?:[-_]\d{2,6})+\b(?![.-]\d)")),
    ("error_code", re.compile(r"\bE\d{3,5}\b")),
    ("error_code", _rx(r"\b(?:error|err|exit|status|fejl|fout|błąd|virhe|fehler)\s*(?:code|kode|kod|koodi)?\s*",
                       r"[:#]?\s*(\d{3,6})\b(?![.:/-]\d)")),
    # Bounded digit runs: a version has short parts, and int() on the parts must stay cheap.
    ("version", _rx(r"\b(?:version|ver\.?|versie|wersja|versio|release|build)\s*:?\s*v?",
                    r"(\d{1,6}(?:\.\d{1,6}){0,3})\b(?!\.\d)")),
    ("version", re.compile(r"\b[vV](\d{1,6}(?:\.\d{1,6}){1,3})\b(?!\.\d)")),
    ("version", re.compile(r"(?<![\w.])(\d{1,6}\.\d{1,6}\.\d{1,6}(?:\.\d{1,6})?)(?!\w|\.\d)")),
)

# --- personal data (every pattern is anchored at a token start and bounded, so it stays linear) ------------
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_CARD = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w.-])")
_ACCOUNT = _rx(r"\b(?:account|acct|a/c|konto\w*|rekening\w*|numer konta|nr konta|tilinumero|tili|iban|sort code)",
               r"\.?\s*(?:no\.?|nr\.?|number|#)?\s*[:.]?\s*([A-Z]{0,2}\d[\d -]{4,30}\d)")
_PHONE_LABELLED = _rx(r"\b(?:tel|tlf|phone|telephone|mobile|mob|cell|fax|telefon\w*|telefoon|puh|puhelin|handy|",
                      r"gsm|komórka|kom)\.?\s*(?:no\.?|nr\.?|number)?\s*[:.]?\s*(\+?\d[\d\s()/.-]{5,18}\d)")
_PHONE_INTL = re.compile(r"(?<![\w+])\+\d[\d\s().-]{6,20}\d(?!\w)")
_PHONE_US = re.compile(r"(?<![\w.-])(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w.-])")


# --- HTML --------------------------------------------------------------------------------------------------
_BLOCK = frozenset({"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
                    "blockquote", "pre", "hr", "section", "article", "header", "footer", "dd", "dt"})
_LINE_BREAK = frozenset({"br", "li", "tr", "dd", "dt"})
_SKIP = frozenset({"style", "script", "head", "title", "noscript", "template", "svg"})
_LOOKS_HTML = _rx(r"</(?:p|div|span|td|li|html|body|font|a|b|blockquote|table)\s*>|<br\s*/?>|<html\b|<!doctype")


class _TextExtractor(HTMLParser):
    """Collects visible text line by line; quoted blocks get a '> ' prefix so quote removal applies to them."""

    def __init__(self) -> None:
        """Start with no lines, nothing open."""
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._cur, self._cur_quoted, self._skip, self._bullet = "", False, 0, False
        # Open div/blockquote elements, with counters so deep or broken nesting stays linear.
        self._stack: list[tuple[str, bool]] = []
        self._open = {"div": 0, "blockquote": 0}
        self._quoted = 0

    def newline(self, blank: bool) -> None:
        """Finish the current line; a blank line separates blocks such as paragraphs."""
        if self._cur.strip():
            self.lines.append(("> " if self._cur_quoted else "") + self._cur.strip())
        if blank and self.lines and self.lines[-1]:
            self.lines.append("")
        self._cur = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Track skipped/quoted elements and break lines at block elements."""
        self._skip = self._skip + 1 if tag in _SKIP else 0 if tag == "body" else self._skip
        if tag in ("div", "blockquote"):
            # Gmail, Yahoo and Thunderbird wrap the quoted history in an element whose class mentions "quote".
            attr = " ".join(v or "" for k, v in attrs if k in ("class", "id")).lower()
            self._stack.append((tag, tag == "blockquote" or "quote" in attr))
            self._open[tag] += 1
            self._quoted += self._stack[-1][1]
        if tag in _BLOCK:
            self.newline(blank=tag not in _LINE_BREAK)
        self._bullet = tag == "li" or (self._bullet and tag not in _BLOCK)

    def handle_endtag(self, tag: str) -> None:
        """Close skipped/quoted elements (also ones left open inside) and break lines at block elements."""
        self._skip = max(0, self._skip - 1) if tag in _SKIP else self._skip
        while self._open.get(tag):
            closed, quoted = self._stack.pop()
            self._open[closed] -= 1
            self._quoted -= quoted
            if closed == tag:
                break
        if tag in _BLOCK:
            self.newline(blank=tag not in _LINE_BREAK)

    def handle_data(self, data: str) -> None:
        """Append visible text, whitespace-collapsed, marking list items and quoted lines."""
        if self._skip or (not data.strip() and not self._cur):
            return
        if not self._cur:
            self._cur_quoted = self._quoted > 0
            self._cur, self._bullet = ("- " if self._bullet else ""), False
        self._cur += _WS.sub(" ", data)


def html_to_text(html: str) -> str:
    """Convert HTML mail to plain text keeping paragraphs and list items, dropping style/script/head."""
    parser = _TextExtractor()
    try:
        parser.feed(html if isinstance(html, str) else "")
        parser.close()
    except Exception:  # malformed markup must never break ticket intake; keep what was parsed so far
        pass
    parser.newline(blank=False)
    return "\n".join(parser.lines).strip()


# --- identifiers and personal data -------------------------------------------------------------------------
def _is_date_or_ip(value: str) -> bool:
    """True for dotted dates (03.06.2024, 2024.06.03, 03.06.24) and IPv4 addresses, which look like versions."""
    parts = value.split(".")
    if len(parts) == 3 and (len(parts[2]) == 4 or len(parts[0]) == 4 or (
            len(parts[1]) == len(parts[2]) == 2 and int(parts[0]) <= 31 and int(parts[1]) <= 12)):
        return True
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts) and int(parts[0]) > 9


def extract_identifiers(text: str) -> tuple[Identifier, ...]:
    """Find error codes, hex codes, versions and ticket references, unique and in order of appearance."""
    text = text if isinstance(text, str) else ""
    used = bytearray(len(text))  # claimed characters: keeps overlap checks linear in the text length
    taken: list[tuple[int, Identifier]] = []
    for kind, pattern in _ID_PATTERNS:
        for m in pattern.finditer(text):
            value = m.group(m.lastindex or 0)
            if (kind == "version" and _is_date_or_ip(value)) or any(used[m.start():m.end()]):
                continue
            used[m.start():m.end()] = b"\x01" * (m.end() - m.start())
            taken.append((m.start(), Identifier(kind, value)))
    return tuple(dict.fromkeys(ident for _, ident in sorted(taken, key=lambda t: t[0])))


def _luhn(digits: str) -> bool:
    """Payment-card checksum, so order numbers of card length are not masked."""
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(map(int, digits[::-1])))
    return total % 10 == 0


def _iban_ok(candidate: str) -> bool:
    """ISO 13616 mod-97 check, so product codes shaped like an IBAN are not masked."""
    s = candidate.replace(" ", "")
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def _digits(s: str) -> int:
    """Number of digits in s."""
    return sum(c.isdigit() for c in s)


def mask_personal_data(text: str) -> str:
    """Replace e-mail addresses, phone numbers, card numbers and IBAN/account numbers with placeholders."""
    if not isinstance(text, str):
        return ""
    text = _EMAIL.sub("[email]", text)
    text = _IBAN.sub(lambda m: "[account]" if _iban_ok(m.group()) else m.group(), text)
    text = _CARD.sub(lambda m: "[card]" if _luhn(re.sub(r"\D", "", m.group())) else m.group(), text)
    for pattern, placeholder in ((_ACCOUNT, "[account]"), (_PHONE_LABELLED, "[phone]")):
        text = pattern.sub(lambda m, p=placeholder: m.group().replace(m.group(1), p) if _digits(m.group(1)) >= 6
                           else m.group(), text)
    text = _PHONE_INTL.sub(lambda m: "[phone]" if 8 <= _digits(m.group()) <= 15 else m.group(), text)
    return _PHONE_US.sub("[phone]", text)


# --- message boundaries ------------------------------------------------------------------------------------
def _clean_subject(subject: str) -> str:
    """Strip RE:/FW: prefixes, ticket numbers and urgency words from a subject line."""
    s = _SUBJ_URGENT.sub(" ", _SUBJ_REF.sub(" ", _SUBJ_PREFIX.sub("", _WS.sub(" ", subject))))
    s = _SUBJ_PREFIX.sub("", _WS.sub(" ", s).strip(" -–:|,.;"))
    return "" if s.lower() in ("(no subject)", "no subject") else s


def _boundary(lines: list[str], i: int) -> tuple[int, str]:
    """(lines consumed, 'reply'/'forward') if a quoted or forwarded message starts at line i, else (0, '')."""
    line, nxt = lines[i], (lines[i + 1] if i + 1 < len(lines) else "").strip()
    if _FROM.match(line):  # Outlook-style header block: From: plus Sent:/To:/Subject: lines
        n = next((n for n in range(1, len(lines) - i) if not _HDR.match(lines[i + n])), len(lines) - i)
        subject = next((m.group(1) for ln in lines[i:i + n] if (m := _SUBJ_LABEL.match(ln))), "")
        return (n, "forward" if _FWD.search(subject) else "reply") if n >= 2 else (0, "")
    if _SEP.match(line):
        return 1, "forward" if _FWD.search(line) else "reply"
    if not (line.rstrip().endswith(":") or nxt.endswith(":")):  # cheap pre-check: every quote header ends so
        return 0, ""
    if len(line) < 300 and _WROTE.search(line) and re.search(r"\d|@", line):
        return 1, "reply"
    wrapped = f"{line} {nxt}"  # "On Mon, 3 Jun 2024 at 09:12, X <x@y>" + "wrote:" on the next line
    if len(line) < 300 and len(nxt) < 60 and _QUOTE_INTRO.match(line) and _WROTE.search(wrapped) and re.search(
            r"\d|@", wrapped):
        return 2, "reply"
    return 0, ""


def _segments(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Split into messages: (kind of boundary before it: top/reply/forward, its lines)."""
    segs: list[tuple[str, list[str]]] = [("top", [])]
    i = 0
    while i < len(lines):
        n, kind = _boundary(lines, i)
        if not n:
            segs[-1][1].append(lines[i])
            i += 1
            continue
        # A header block right after a "Forwarded message" separator belongs to that forward.
        after_fwd = segs[-1][0] == "forward" and not any(ln.strip() for ln in segs[-1][1])
        segs.append(("forward" if after_fwd else kind, []))
        i += n
    return segs


# --- channel-specific extraction ---------------------------------------------------------------------------
def _speaker(line: str) -> tuple[str, str, bool] | None:
    """(speaker label, utterance, timestamped) for a chat line with a timestamp or a recognised role label."""
    m = _SPEAKER.match(line)
    if not m or not (m.group(1) or _AGENT_ROLE.search(m.group(2)) or _CUST_ROLE.search(m.group(2))):
        return None
    return m.group(2).strip(), (m.group(3) or "").strip(), bool(m.group(1))


def _chat_lines(lines: list[str]) -> list[str]:
    """Keep what the customer/visitor typed (and a pre-chat form's question); agent and bot turns go."""
    turns: list[tuple[str, list[str]]] = []
    preamble: list[str] = []
    for line in lines:
        if sp := _speaker(line):
            turns.append((sp[0], [sp[1]]))
        elif turns and line.strip():
            turns[-1][1].append(line)
        elif not turns:
            preamble.append(line)
    said: dict[str, str] = {}
    for label, texts in turns:
        said[label] = f"{said.get(label, '')} {' '.join(texts)}"
    # A bare name ("Priya:") counts as an agent only if that speaker talks like one.
    agents = {lb for lb, text in said.items()
              if _AGENT_ROLE.search(lb) or (not _CUST_ROLE.search(lb) and _AGENT_PHRASE.search(text))}
    out = _form_lines(preamble) if _is_form(preamble) else []
    for label, texts in turns:
        out.extend([*texts, ""] if label not in agents else [])
    return out


def _phone_lines(lines: list[str]) -> list[str]:
    """Keep the reported problem ('Customer says: …'); without such lines drop only the agent's own actions."""
    out: list[str] = []
    grab = False
    for line in lines:
        if ":" in line and (m := _REPORTED.search(line)):
            rest = line[m.end():].strip()
            # Quoted speech ends at its closing quote; what follows is the agent's note again.
            out.append(q.group(1) if (q := _QUOTED_SPEECH.match(rest)) else rest)
            grab = not out[-1]  # "Customer says:" alone introduces the following lines
        elif grab and line.strip():
            out.append(line)
        else:
            grab = False
    return out if any(out) else [ln for ln in lines if not _AGENT_NOTE.match(ln)]


def _field(line: str) -> tuple[str, str, str] | None:
    """(kind, label, value) for a form-field line; kind is message/useful/drop/other."""
    if _SURVEY.match(line):
        return "drop", "", ""
    if not (m := _FIELD.match(line)):
        return None
    label, value = m.group(1).strip(" ?"), (m.group(2) or "").strip()
    kind = next((kind for kind, pattern in _FIELD_KINDS if pattern.fullmatch(label)), "other")
    return kind, label, value


def _is_form(lines: list[str]) -> bool:
    """Two or more known form fields, or any message/description field."""
    kinds = [f[0] for f in map(_field, lines) if f and f[0] != "other"]
    return len(kinds) >= 2 or "message" in kinds


def _form_lines(lines: list[str]) -> list[str]:
    """Keep message/description values and useful fields (product, version, error); drop contact/admin fields."""
    out: list[str] = []
    keep = True
    for line in lines:
        if not (f := _field(line) if line.strip() else None):
            # A blank line ends a dropped field's continuation; a long line or a question is the message itself.
            keep = keep or not line.strip() or "?" in line or len(line) >= 60
            out.append(line if keep else "")
            continue
        kind, label, value = f
        if kind == "message" or (kind == "other" and (len(value) >= 40 or "?" in value)):
            out.extend([value if kind == "message" else line, ""])
        elif kind == "useful" and value:
            out.extend([f"{label}: {value}", ""])
        keep = kind != "drop" and (kind != "other" or len(value) >= 40)
    return out


def _detect_mode(lines: list[str], channel: str) -> str:
    """Pick chat/phone/form/email from structure; the channel is a hint that wins when it names chat or phone."""
    if channel in ("chat", "phone"):
        return channel
    if any(_PHONE_HINT.match(ln) or (":" in ln and _REPORTED.search(ln)) for ln in lines):
        return "phone"
    speakers = [sp for sp in map(_speaker, lines) if sp]
    # Two labelled speakers alone ("User: admin", "Customer: Acme") are no chat without timestamps or an agent.
    if len({sp[0] for sp in speakers}) >= 2 and (
            sum(sp[2] for sp in speakers) >= 2 or any(_AGENT_ROLE.search(sp[0]) for sp in speakers)):
        return "chat"
    return "form" if _is_form(lines) else "email"


# --- salutations, signatures, disclaimers ------------------------------------------------------------------
def _name_like(s: str) -> bool:
    """Looks like a person's name or a short title-cased signature line ("J. Kowalski", "Acme Ltd")."""
    words = s.replace(",", " ").split()
    return 0 < len(words) <= 4 and not any(c.isdigit() for c in s) and all(
        w[0].isupper() or w.lower() in ("van", "de", "der", "den", "von", "da", "&", "|", "-") for w in words)


def _is_signoff(line: str) -> bool:
    """A closing such as 'Kind regards,' or 'Mvh Jens': the phrase plus at most a name."""
    m = _SIGNOFF.match(line)
    return bool(m) and (not (rest := line[m.end():].strip(" ,.!-–")) or _name_like(rest))


def _is_sig_line(line: str, strict: bool) -> bool:
    """A signature line: contact details, or (strict) a bare name, title or company."""
    words = len(line.split())
    if "?" in line or words > 8:
        return False
    return (strict and _name_like(line)) or bool(_SIG_DELIM.match(line)) or _is_signoff(line) or (
        line[-1] not in ".!" and bool(_CONTACT.search(line) or ("@" in line and words <= 3)))


def _cut_signature(lines: list[str], strict: bool, cut: bool) -> list[str]:
    """Drop the sign-off (and, when cut, everything after it or after '-- '), then trailing signature lines."""
    seen, end = False, len(lines)
    for i, line in enumerate(lines):
        closing = bool(_SIG_DELIM.match(line) or _is_signoff(line.strip()))
        # A leading "Thanks!" opens the message rather than closing it; "-- " always starts a signature.
        if closing and cut and (seen or _SIG_DELIM.match(line)):
            end = i
            break
        seen = seen or (bool(line.strip()) and not closing)
    # In a chat a "thanks" may be followed by another question, so only the closing line itself goes.
    lines = lines[:end] if cut else [ln for ln in lines if not _is_signoff(ln.strip())]
    end = len(lines)
    while end and (not lines[end - 1].strip() or _is_sig_line(lines[end - 1].strip(), strict)):
        end -= 1
    # Short lines after "…these devices:" are a list the customer wrote, not a signature.
    return lines if end and lines[end - 1].rstrip().endswith(":") else lines[:end]


def _strip_disclaimer(para: str) -> str:
    """Cut a legal/confidentiality notice, virus-scan or environment footer or external-sender banner.

    Notices trail, so the paragraph is cut from the start of the sentence where the notice begins.
    """
    m = _DISCLAIMER.search(para) or (_ADDRESSEE.search(para) and _CONFIDENTIAL.search(para))
    if not m:
        return para
    start = max((s.end() for s in _SENT_SPLIT.finditer(para, 0, m.start())), default=0)
    return para if "?" in para[start:] else para[:start].strip()


def _drop_filler(para: str) -> str:
    """Remove sentences that only chase, thank or ask for a call-back, never ones with a question or a code."""
    sentences = _SENT_SPLIT.split(para)
    return " ".join(s for s in sentences if "?" in s or not _FILLER.match(s) or extract_identifiers(s)).strip()


def _limit(paras: list[str]) -> list[str]:
    """Keep the opening text up to HEAD_CHARS, then later sentences with a question or identifier, to MAX_CHARS."""
    if sum(len(p) + 1 for p in paras) <= MAX_CHARS:
        return paras
    out: list[str] = []
    size, head_open = 0, True
    for para in paras:
        kept = []
        for sent in _SENT_SPLIT.split(para):
            head_open = head_open and size + len(sent) <= HEAD_CHARS
            if head_open or (size + len(sent) <= MAX_CHARS and ("?" in sent or extract_identifiers(sent))):
                kept.append(sent)
                size += len(sent) + 1
        out.extend([" ".join(kept)] if kept else [])
    # One giant unpunctuated block: cut at a word boundary rather than return nothing.
    return out or [paras[0][:HEAD_CHARS].rsplit(" ", 1)[0]]


# --- pipeline ----------------------------------------------------------------------------------------------
def _clean_segment(lines: list[str], channel: str, strict: bool) -> list[str]:
    """Clean one message into paragraphs; strict also drops salutations, filler and bare name lines."""
    if any(ln.strip() and not _QUOTED.match(ln) for ln in lines):
        lines = [ln for ln in lines if not _QUOTED.match(ln)]
    else:  # nothing but quoted text: the quote is all we have
        lines = [_QUOTED.sub("", ln) for ln in lines]
    mode = _detect_mode(lines, channel)
    lines = [ln for ln in lines if not (_SENT_FROM.match(ln) or _META.search(ln))]
    extract = {"chat": _chat_lines, "phone": _phone_lines, "form": _form_lines}.get(mode)
    lines = _cut_signature(extract(lines) if extract else lines, strict, cut=mode in ("email", "form"))
    if strict:
        lines = [_GREET_INLINE.sub("", _MENTIONS.sub("", ln)) for ln in lines if not _GREET_LINE.match(ln)]
    paras = [_strip_disclaimer(p) for p in _paragraphs(lines)]
    return [q for q in (_drop_filler(p) if strict else p for p in paras) if q]


def _paragraphs(lines: list[str]) -> list[str]:
    """Join wrapped lines into whitespace-normalised paragraphs; each list item starts its own."""
    paras: list[str] = []
    cur: list[str] = []
    for line in [*lines, ""]:
        s = _WS.sub(" ", line).strip()
        if cur and (not s or _BULLET.match(s)):
            paras.append(" ".join(cur))
            cur = []
        cur.extend([s] if s else [])
    return paras


def _body(segs: list[tuple[str, list[str]]], channel: str, strict: bool) -> list[str]:
    """Paragraphs of the first non-empty message, plus the forwarded message when it was a forward."""
    out: list[str] = []
    for idx, (_, seg) in enumerate(segs):
        paras = _clean_segment(seg, channel, strict)
        out.extend(paras)
        if paras and (idx + 1 >= len(segs) or segs[idx + 1][0] != "forward"):
            break
    return out


def _prepare(text: object) -> tuple[str, str, list[tuple[str, list[str]]]]:
    """Normalise any input to text, then split off top e-mail headers: (text, header subject, segments)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    raw = _CTRL.sub("", str(text or "")).replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    raw = html_to_text(raw) if _LOOKS_HTML.search(raw) else raw
    lines = raw.split("\n")
    top = next((i for i, ln in enumerate(lines) if ln.strip() and not _HDR.match(ln)), len(lines))
    if top < len(lines) - 1 and _SUBJ_PREFIX.match(lines[top]) and not lines[top + 1].strip():
        lines[top] = "Subject: " + lines[top]  # a bare "Re: …" line over a blank line is the subject
        top += 1
    segs = _segments(lines[top:])
    # The subject comes from the top headers or a form field of the newest message, never the quoted history.
    subject = next((m.group(1) for ln in lines[:top] + segs[0][1][:20] if (m := _SUBJ_LABEL.match(ln))), "")
    return raw, subject, segs


def clean_ticket(text: str, subject: str | None = None, channel: str | None = None) -> CleanedTicket:
    """Extract the customer's problem from raw ticket text (plain or HTML)."""
    given = subject if isinstance(subject, str) else ""
    try:
        raw, found_subject, segs = _prepare(text)
        chan = channel.lower().strip() if isinstance(channel, str) else ""
        # The lenient pass keeps salutations and filler, so "Hello" alone still comes back; signatures,
        # disclaimers and quotes stay removed in both passes, so a signature-only ticket yields "".
        paras = _body(segs, chan, strict=True) or _body(segs, chan, strict=False)
        subj = _clean_subject(given if given.strip() else found_subject)
        idents = extract_identifiers(f"{given}\n{raw}")
    except Exception:  # ticket intake must never fail; degrade to whitespace-normalised text
        paras, subj, idents = [_WS.sub(" ", str(text or "")).strip()], "", ()
    out = "\n".join(_limit(paras)) if paras else ""
    terms = tuple(dict.fromkeys(i.value for i in idents if i.kind != "ticket_ref"))
    # Text without a single letter or digit ("<<<>>>", "--") carries no question.
    return CleanedTicket(out if any(c.isalnum() for c in out) else "", subj, idents, terms)
