"""Regex vocabularies for ticket cleaning, in en, da, nl, pl, fi and de.

Each pattern names a *kind* of ticket part (quote header, header label, sign-off, signature line, disclaimer,
chat speaker, form field, identifier, personal data), never one template's wording.
"""
from __future__ import annotations

import re


def _rx(*parts: str) -> re.Pattern[str]:
    """Case-insensitive pattern from concatenated parts (keeps the long vocabularies readable)."""
    return re.compile("".join(parts), re.I)


# --- e-mail structure: quotes, header blocks, device footers ------------------------------------------------
WS = re.compile(r"\s+")
CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
QUOTED = re.compile(r"^\s*(?:>\s?)+")
SEP = _rx(r"^\s*(?:_{8,}|-{2,}\s*[^-\n]{3,40}?\s*-{2,}|(?:begin )?forwarded message:?)\s*$")
FWD = _rx(r"forward|videresend|doorgestuurd|weitergeleitet|przekazan|välitetty|vidarebefordrat|",
          r"^\s*(?:fwd?|wg|vs|vb|doorst|pd|tr)\s*:")
WROTE = _rx(r"(?:\bwrote|\bwrites|\bskrev|\bschreef|\bschrieb|\bkirjoitti|napisał\(a\)|napisała|napisał|\bpisze|",
            r"a écrit)(?!\w)[^\n]{0,80}:\s*$")
QUOTE_INTRO = _rx(r"^\W*(?:(?:on|den|op|am|w dniu|dnia|le|el)\b|\w{2,5}\.?,?\s+\d{1,2}\.?\s)")
_FROM_LABEL = r"from|fra|von|van|od|från|lähettäjä|afsender|absender|nadawca"
HDR = _rx(r"^\W{0,2}(?:", _FROM_LABEL, r"|sent|date|to|cc|bcc|subject|reply-to|sendt|dato|til|emne|gesendet|",
          r"datum|an|betreff|verzonden|aan|onderwerp|wysłano|wysłane|data|do|temat|dw|lähetetty|päivämäärä|",
          r"vastaanottaja|aihe|kopio|skickat|ämne|till)\W{0,2}:")
FROM = _rx(r"^\W{0,2}(?:", _FROM_LABEL, r")\W{0,2}:")
SUBJ_LABEL = _rx(r"^\W{0,2}(?:subject|emne|betreff|onderwerp|temat|aihe|ämne)\W{0,2}:\s*(.*)$")
SENT_FROM = _rx(r"^\s*(?:sent from (?:my|outlook|mail|yahoo)|get outlook for|sent via|sendt fra|verzonden (?:vanaf|",
                r"met|van)|verstuurd (?:vanaf|met)|wysłane z|wysłano z|lähetetty|von meinem .{0,40}gesendet|",
                r"gesendet von|skickat från)\b.{0,60}$")
# Bracketed notes ("[Phone call notes - agent 7]", "[image: logo]") and bare channel headers ("Chat transcript").
META = _rx(r"^\s*\[[^\]]{0,80}\]\s*$|^\W*(?:live\s+|pre-?|(?:in|out)bound\s+|incoming\s+|outgoing\s+)?(?:chat|",
           r"conversation|phone\s+call|call|ticket|case|request|submission|web\s?form|contact\s+form)(?:\s*(?:",
           r"transcript|log|history|notes?|summary|started|ended|form|survey|submission)){0,2}\s*[-–]?\s*",
           r"(?:#?\s*[\w:.-]*\d[\w:.-]*)?\s*(?:\([^)]{0,30}\))?\W*$|",
           r"^.{0,60}\b(?:joined|left) the (?:chat|conversation)\b")

# --- salutations, sign-offs, signatures, disclaimers, filler -----------------------------------------------
_GREET = (r"(?:hi|hello|hey|hiya|dear|(?:good\s+)?(?:morning|afternoon|evening)|good\s+day|greetings|"
          r"to whom it may concern|hej|hejsa|kære|goddag|godmorgen|hallo|hoi|beste|geachte|goedemorgen|goedemiddag|"
          r"goedenavond|goedendag|dzień dobry|witam|cześć|szanown\w+(?: \w+)?|hei|moi|terve|hyvää (?:päivää|huomenta)|"
          r"guten (?:morgen|tag|abend)|sehr geehrte\w*|liebe\w?|moin)")
GREET_LINE = _rx(r"^\W*", _GREET, r"(?:(?:\s+[^\s,!.:?]+){0,3}\s*[,!.:?]+|(?:\s+[^\s,!.:?]+){0,2})\s*$")
GREET_INLINE = _rx(r"^\W*", _GREET, r"(?:\s+[^\s,!.:?]+){0,3}\s*[,!]\s+(?=\S)")
MENTIONS = re.compile(r"^\s*(?:@\w+[,:]?\s+)+(?=\S)")
SIGNOFF = _rx(
    r"^\W*(?:(?:with\s+)?(?:kind|best|warm|warmest|kindest|many)?\s*(?:regards|wishes)|best|cheers|thanks(?: again|",
    r" in advance)?|thank you(?: in advance)?|many thanks|thx|ty|tia|sincerely|yours(?: sincerely| faithfully|",
    r" truly)?|respectfully|br|rgds|t\.|mvh|vh|(?:med )?venlig hilsen|(?:de )?bedste hilsner|hilsen|",
    r"på forhånd tak|med vennlig hilsen|(?:met )?vriendelijke groet(?:en)?|mvg|groeten|groetjes|alvast bedankt|",
    r"pozdrawiam(?: serdecznie)?|z poważaniem|z wyrazami szacunku|z góry dziękuję|ystävällisin terveisin|",
    r"parhain terveisin|terveisin|kiitos(?: etukäteen)?|mit freundlichen grüßen|(?:freundliche|viele|beste|liebe) ",
    r"grüße|mfg|lg|gruß|(?:vielen )?danke?(?: im voraus)?)(?=\W|$)")
SIG_DELIM = re.compile(r"^\s*(?:--|—)\s*$")
# A postscript written under the signature ("P.S. the receipt printer shows ERR-4012 too"): the customer's words.
# Bare "PS"/"PPS" only in capitals, so that a signature's "ps" (a unit, an initial) is not read as one.
_PS = r"^\s*(?:(?i:p\.\s?(?:p\.\s?)?s)\.?|P?PS)\s*[:.\-–—]?"
POSTSCRIPT = re.compile(_PS + r"\s+(?=\w)")
POSTSCRIPT_ALONE = re.compile(_PS + r"\s*$")  # "P.S." on its own line, the words on the next
# Dots are not allowed inside the bare phone shape so that dates and versions are never taken for phones.
CONTACT = _rx(r"\b(?:tel|phone|mob|mobile|cell|fax|tlf|puh|e-?mail|www|web)\b\.?\s*[:.]|https?://|\||",
              r"\+\d[\d\s().-]{6,}\d|\(?\d{2,4}\)?[\s-]\d{2,4}[\s-]\d{2,4}")
DISCLAIMER = _rx(
    r"intended (?:solely |only )?for the (?:use of the )?(?:addressee|recipient|individual|person|named)|",
    r"received this (?:e-?mail|message|communication) (?:in|by) (?:error|mistake)|confidentiality notice|",
    r"disclaimer\s*:|(?:scanned|checked) (?:for|by) .{0,30}virus|virus[- ]free|free (?:of|from) viruses|",
    r"before printing|think before you print|(?:consider|think|denk|tænk|pomyśl|ajattele|denken sie)\b.{0,30}",
    r"(?:environment|milieu|miljø|środowisk|ympäristö|umwelt)|originated from outside|external (?:e-?mail|sender)|",
    r"do not click (?:on )?links|unsubscribe")
CONFIDENTIAL = _rx(r"confidential|fortrolig|vertrouwelijk|poufn|luottamuksellinen|vertraulich")
ADDRESSEE = _rx(r"intended|recipient|addressee|modtager|geadresseerde|adresat|vastaanottaja|empfänger|privilege")
# Sentences about the support interaction itself (chasing, thanking, asking for a call-back), not the problem.
# A follow-up that sends the reader to the earlier message for the problem itself ("still not working, see my
# original message below", "same problem as last week"): the quoted message is what to search.
POINTS_BACK = _rx(
    r"\b(?:see|read|check) (?:my |the |our )?(?:(?:original|previous|earlier|first|last|initial) )?(?:message|",
    r"e-?mail|mail|ticket|request|note)s?\b|\b(?:message|e-?mail|mail|text|details?|thread) below\b|\bsee below\b|",
    r"\bsame (?:problem|issue|error|thing|trouble|question)\b|\bstill (?:not|no|doesn'?t|does not|isn'?t|won'?t|",
    r"can'?t|cannot|broken|failing|happening|the same|an issue|a problem)\b|\bfollow(?:ing)?[ -]?up\b|",
    r"\bany (?:update|news|progress)\b|\bsamme (?:problem|fejl)\b|\bvirker stadig ikke\b|\bnedenfor\b|",
    r"\bzelfde (?:probleem|fout)\b|",
    r"\bhieronder\b|\bwerkt (?:nog steeds|nog altijd|nog) niet\b|\bten sam (?:problem|błąd)\b|\bponiżej\b|",
    r"\b(?:nadal|wciąż|dalej) nie\b|\bsama (?:ongelma|vika)\b|\bei vieläkään\b|\bgleiche[ns]? (?:problem|fehler)\b|",
    r"\bsiehe unten\b|\b(?:immer )?noch nicht\b")
FILLER = _rx(
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
SENT_SPLIT = re.compile(r"(?<=[.!?])\s+")
BULLET = re.compile(r"^(?:[-*•·]|\d{1,2}[.)])\s")

# --- chat transcripts, call notes, web forms ---------------------------------------------------------------
_TS = r"[\[(]?\s*(?:\d{4}-\d{2}-\d{2}[ T])?\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\s*(?:[AaPp]\.?[Mm]\.?)?\s*[\])]?"
SPEAKER = re.compile(rf"^\s*(?:({_TS})\s*[-–|]?\s*)?([^\W\d][^:\n]{{0,40}}?)\s*:(?:\s+(.*)|\s*)$")
AGENT_ROLE = _rx(r"\b(?:agent|support|bot|chatbot|assistant|operator|representative|rep|advis[eo]r|consultant|",
                 r"helpdesk|service ?desk|service|care|staff|system|moderator|medarbejder|medewerker|konsulent|",
                 r"asiakaspalvelu|mitarbeiter|kundeservice|klantenservice|obsługa|doradca|tuki|berater)\b")
CUST_ROLE = _rx(r"\b(?:visitor|customer|client|user|guest|caller|me|kunde|klant|klient|bezoeker|gość|asiakas|",
                r"vieras|besucher|kundin|member|requester)\b")
AGENT_PHRASE = _rx(r"how (?:can|may) i (?:help|assist)|let me (?:check|look|see)|is there anything else|",
                   r"thanks? (?:you )?for (?:contacting|reaching out|waiting|your patience)|",
                   r"i(?:'ll| will) (?:transfer|escalate)")
PHONE_HINT = _rx(r"^\W*(?:(?:tele)?(?:phone|call)\s*(?:call\s*)?(?:notes?|log|summary)\b|",
                 r"(?:inbound|outbound|incoming|outgoing)\s+call\b|caller\s+(?:verified|identified|authenticated))")
REPORTED = _rx(r"\b(?:(?:customer|caller|client|cust|user|member|kunde|klant|klient|asiakas|anrufer|soittaja)\s+",
               r"(?:says|said|reports|reported|states|stated|asks|asked|explains|explained|mentions|mentioned|claims|",
               r"complains|wants to know|is asking|siger|spørger|zegt|vraagt|meldt|mówi|pyta|zgłasza|sanoo|kysyy|",
               r"sagt|fragt|meldet)|reason for (?:the )?call|reported (?:issue|problem))\s*:\s*")
QUOTED_SPEECH = re.compile(r"""^["'“‘„]([^"'”’“]{3,}?)["'”’“](?:\s|$)""")
AGENT_NOTE = _rx(r"^\W*(?:(?:caller|customer|cust|client)\s+(?:verified|identified|authenticated|sounded|seemed|",
                 r"hung up|was (?:frustrated|angry|upset))|advised|informed|told|transferred|escalated|offered|",
                 r"logged|called back|will call|ref\.?\s*#?\d)\b")
FIELD = re.compile(r"^\s*([^\W\d][\w .'/()&#?-]{0,40}?)\s*[:：](?:\s+(.*)|\s*)$")
SURVEY = _rx(r"^\s*(?:how did you (?:hear|find out|learn) about us|where did you hear about us|",
             r"hvordan hørte du om os|hoe heeft u ons gevonden|skąd się o nas dowiedział\w*|mistä kuulit meistä|",
             r"wie haben sie von uns erfahren)\b")
FIELD_KINDS = (
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
SUBJ_PREFIX = _rx(r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|vl|antw|odp|pd|doorst|tr|rv|vb)\s*(?:\[\d+\])?\s*:\s*)+")
SUBJ_REF = _rx(r"[\[(]?\s*\b(?:ticket|case|request|ref(?:erence)?|incident|sag|zaak|zgłoszenie|tapaus|fall)\s*",
               r"(?:no\.?|nr\.?|number|id)?\s*[:#]?\s*#?[A-Z]{0,4}-?\d{3,}\b\s*[\])]?|",
               r"\[\s*#?[A-Z]{0,4}-?\d{3,}\s*\]|(?<!\w)#\d{3,}\b")
SUBJ_URGENT = _rx(r"\b(?:very )?(?:urgent|important|asap|high priority|dringend|haster|spoed|pilne|",
                  r"kiireellinen)\b[\s!:-]*")

# --- identifiers -------------------------------------------------------------------------------------------
_TICKET_KW = (r"ticket|case|order|invoice|ref(?:erence)?|request|incident|sag|ordre|faktura|zaak|bestelling|"
              r"factuur|zgłoszenie|zamówienie|tilaus|lasku|tapaus|bestellung|rechnung|anfrage")
# Earlier patterns win overlaps, so reference numbers are claimed before the generic code shapes.
ID_PATTERNS = (
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
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w.-])")
ACCOUNT = _rx(r"\b(?:account|acct|a/c|konto\w*|rekening\w*|numer konta|nr konta|tilinumero|tili|iban|sort code)",
              r"\.?\s*(?:no\.?|nr\.?|number|#)?\s*[:.]?\s*([A-Z]{0,2}\d[\d -]{4,30}\d)")
PHONE_LABELLED = _rx(r"\b(?:tel|tlf|phone|telephone|mobile|mob|cell|fax|telefon\w*|telefoon|puh|puhelin|handy|",
                     r"gsm|komórka|kom)\.?\s*(?:no\.?|nr\.?|number)?\s*[:.]?\s*(\+?\d[\d\s()/.-]{5,18}\d)")
PHONE_INTL = re.compile(r"(?<![\w+])\+\d[\d\s().-]{6,20}\d(?!\w)")
PHONE_US = re.compile(r"(?<![\w.-])(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w.-])")
# National numbers without "+": after a call cue in any of the base's languages (any grouping), in the
# pairs Danes and the French write ("20 30 40 50", "06 12 34 56 78"), or with a trunk 0 ("06-12345678",
# "040 1234567"). Triples ("600 700 800") only after a cue: "HTTP 500 502 503" and ports read alike,
# and dates (03-06-2024, 12 04 2023), versions and 7-digit order numbers fit none of these.
PHONE_CUED = _rx(r"\b(?:call|ring|phone|text|sms|whatsapp|reach|bel|zadzwoń|zadzwon|dzwoń|dzwon|soita|",
                 r"my number is|mit nummer er|mijn nummer is|mój numer to|moj numer to|numeroni on)",
                 r"(?:\s+(?:me|us|mig|os|mij|op|på|til|at|on))*\s*[:.]?\s*(\d[\d -]{6,16}\d)(?![\w.-])")
PHONE_GROUPED = re.compile(r"(?<![\w.+-])\d{2}(?:[ -]\d{2}){3,4}(?![\w.-])")
PHONE_TRUNK = re.compile(r"(?<![\w.+-])0\d{1,4}[ -]?\d{5,8}(?![\w.-])")


# --- HTML detection -----------------------------------------------------------------------------------
LOOKS_HTML = _rx(r"</(?:p|div|span|td|li|html|body|font|a|b|blockquote|table)\s*>|<br\s*/?>|<html\b|<!doctype")
