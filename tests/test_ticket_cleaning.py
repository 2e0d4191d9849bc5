"""Tests for kb.ticket_cleaning: each kind of ticket noise, identifiers, masking and edge cases."""
from __future__ import annotations

import time

import pytest

from kb.ticket_cleaning import (
    CleanedTicket,
    Identifier,
    clean_ticket,
    extract_identifiers,
    html_to_text,
    mask_personal_data,
)


def _ids(ticket: CleanedTicket) -> list[tuple[str, str]]:
    return [(i.kind, i.value) for i in ticket.identifiers]


# --- quoted replies and sign-offs in several languages ---------------------------------------------
MULTILINGUAL = [
    (  # English, Gmail style quote header
        "Hi Support,\n\nOur nightly import stops halfway. Can the batch size be lowered?\n\nCheers,\nOlivia Brown\n"
        "Data team\n\nOn Tue, 11 Mar 2025 at 14:05, Acme Help <help@acme.test> wrote:\n> We have "
        "received your request.\n",
        "Our nightly import stops halfway. Can the batch size be lowered?", ["Olivia", "received your request"],
    ),
    (  # Danish
        "Hej,\n\nVi kan ikke længere sende fakturaer til EAN-numre. Hvordan slår vi det til "
        "igen?\n\nMed venlig hilsen\n"
        "Lars Mikkelsen\nBogholderiet\n\nDen tir. 11. mar. 2025 kl. 14.05 skrev Kundeservice <ks@firma.test>:\n"
        "> Tak for din henvendelse.\n",
        "Vi kan ikke længere sende fakturaer til EAN-numre. Hvordan slår vi det til igen?", ["Lars", "Tak for din"],
    ),
    (  # Dutch, header wrapped onto two lines
        "Goedemorgen,\n\nIk krijg geen bevestigingsmail na het registreren. Wat moet ik doen?\n\nMet "
        "vriendelijke groet,\n\n"
        "Daan Jansen\n\nOp di 11 mrt 2025 om 14:05 schreef Klantenservice\n<service@winkel.test>:\n> "
        "Bedankt voor uw bericht.\n",
        "Ik krijg geen bevestigingsmail na het registreren. Wat moet ik doen?", ["Daan", "Bedankt"],
    ),
    (  # Polish
        "Dzień dobry,\n\nNie widzę opcji zwrotu przy moim zamówieniu. Czy zwrot jest jeszcze możliwy?\n\nPozdrawiam\n"
        "Agnieszka Wójcik\n\nW dniu 11.03.2025 o 14:05, Obsługa Klienta <bok@sklep.test> pisze:\n> "
        "Dziękujemy za kontakt.\n",
        "Nie widzę opcji zwrotu przy moim zamówieniu. Czy zwrot jest jeszcze możliwy?", ["Agnieszka", "Dziękujemy"],
    ),
    (  # Finnish
        "Hei,\n\nLaskun PDF ei aukea mobiilisovelluksessa. Onko tähän korjausta tulossa?\n\nYstävällisin terveisin\n"
        "Aino Korhonen\nTalousosasto\n\nti 11.3.2025 klo 14.05 Asiakaspalvelu (tuki@yritys.test) kirjoitti:\n"
        "> Kiitos viestistäsi.\n",
        "Laskun PDF ei aukea mobiilisovelluksessa. Onko tähän korjausta tulossa?", ["Aino", "Kiitos"],
    ),
    (  # German
        "Guten Tag,\n\nbeim Login erscheint seit heute eine leere Seite. Woran kann das "
        "liegen?\n\nMit freundlichen Grüßen\n"
        "Jonas Weber\n\nAm 11.03.2025 um 14:05 schrieb Support <support@firma.test>:\n> Vielen Dank "
        "für Ihre Anfrage.\n",
        "beim Login erscheint seit heute eine leere Seite. Woran kann das liegen?", ["Jonas", "Vielen Dank"],
    ),
]


@pytest.mark.parametrize(("raw", "question", "noise"), MULTILINGUAL)
def test_multilingual_signoffs_and_quote_headers(raw: str, question: str, noise: list[str]) -> None:
    result = clean_ticket(raw)
    assert result.text == question
    for fragment in noise:
        assert fragment not in result.text


@pytest.mark.parametrize(("raw", "question"), [
    ("Hej! Kassen åbner ikke efter opdateringen. Hvad gør vi? Mvh Peter",
     "Kassen åbner ikke efter opdateringen. Hvad gør vi?"),
    ("The drawer does not open since the update. Any idea? Kind regards, Anna Berg",
     "The drawer does not open since the update. Any idea?"),
    ("Drukarka nie drukuje paragonów. Co robić? Pozdrawiam", "Drukarka nie drukuje paragonów. Co robić?"),
])
def test_a_closing_typed_on_the_questions_own_line_is_left_out(raw: str, question: str) -> None:
    assert clean_ticket(raw).text == question


@pytest.mark.parametrize("raw", ["Which report shows the best sellers? Best Buy stores too.",
                                 "Receipts print blank. Thanks to the update, I guess.",
                                 "Can I thank a colleague in the app? Thanks button missing"])
def test_a_last_sentence_that_only_opens_like_a_closing_is_kept(raw: str) -> None:
    assert clean_ticket(raw).text == raw


def test_outlook_header_block_and_underscore_separator_drop_history() -> None:
    raw = (
        "Hello,\nThe mobile app logs me out every five minutes. Is that a setting?\nthx\n\n"
        "________________________________\nFrom: Helpdesk <helpdesk@vendor.test>\nSent: Friday, 7 February 2025 10:14\n"
        "To: Ravi Patel <ravi@client.test>\nSubject: RE: Logout issue [REQ-88231]\n\nDear Ravi, "
        "please update the app first."
    )
    result = clean_ticket(raw)
    assert result.text == "The mobile app logs me out every five minutes. Is that a setting?"
    assert ("ticket_ref", "REQ-88231") in _ids(result)


def test_outlook_block_without_separator_and_original_message_marker() -> None:
    raw = (
        "Still no luck after clearing the cache. What else can I try?\n\n"
        "-----Original Message-----\nFrom: Support\nSent: Monday, March 3, 2025 8:00 AM\nTo: Kim\n"
        "Subject: Your ticket\n\nPlease clear your browser cache."
    )
    assert clean_ticket(raw).text == "Still no luck after clearing the cache. What else can I try?"
    bold = "Where do I change my billing address?\n\n*From:* Support <s@x.test>\n*Sent:* Monday\n*To:* me\n\nOld text"
    assert clean_ticket(bold).text == "Where do I change my billing address?"


@pytest.mark.parametrize(("follow_up", "problem"), [
    ("Still not working, see my original message below. Please call me back!\n\nSøren\n\n"
     "On Tue, 11 Mar 2025 at 08:15, Søren Madsen <soren@example.dk> wrote:\n"
     "> The cash drawer stopped opening after the weekend.\n> Søren", "The cash drawer stopped opening"),
    ("Same problem as last week, it's happening again on the other till.\n\nFrom: Anna <anna@shop.dk>\n"
     "Sent: Monday, 3 March 2025 10:02\nTo: support@norbly.com\nSubject: receipts\n\n"
     "Receipts come out blank since the update.", "Receipts come out blank"),
    ("Still not working.\n\n> The drawer does not open after a sale.\n> Tom", "The drawer does not open"),
    ("Virker stadig ikke.\n\nDen 3. marts 2025 kl. 10.02 skrev Anna <anna@shop.dk>:\n> Skuffen åbner ikke.",
     "Skuffen åbner ikke."),
])
def test_a_follow_up_that_points_back_keeps_the_quoted_problem(follow_up: str, problem: str) -> None:
    text = clean_ticket(follow_up).text
    assert problem in text and text.index(problem) > 0  # after the newest message, which stays first


def test_quoted_gt_lines_are_removed_but_reply_kept() -> None:
    raw = (
        "> Have you tried restarting the router?\nYes, twice. The connection still drops every evening.\n"
        ">> Original complaint text\nShould I ask for a replacement?"
    )
    result = clean_ticket(raw)
    assert "restarting the router" not in result.text and "Original complaint" not in result.text
    assert "The connection still drops every evening." in result.text
    assert "Should I ask for a replacement?" in result.text


def test_forwarded_message_keeps_the_forwarded_question() -> None:
    raw = (
        "FYI\n\n---------- Forwarded message ---------\nFrom: Maria Lopez <maria@shop.test>\n"
        "Date: Wed, 5 Mar 2025 at 09:41\nSubject: Fwd: Damaged parcel\nTo: orders@shop.test\n\n"
        "Hello,\nMy parcel arrived with a broken seal. Can I still return it?\nBest,\nMaria"
    )
    assert clean_ticket(raw).text == "My parcel arrived with a broken seal. Can I still return it?"


def test_sent_from_my_device_lines() -> None:
    for footer in ("Sent from my iPhone", "Sent from my Galaxy", "Get Outlook for iOS", "Sendt fra min iPad",
                   "Verzonden vanaf mijn iPhone", "Wysłane z iPhone'a", "Von meinem iPhone gesendet"):
        result = clean_ticket(f"The QR code on my ticket will not scan at the gate.\n\n{footer}")
        assert result.text == "The QR code on my ticket will not scan at the gate.", footer


# --- HTML -------------------------------------------------------------------------------------------
HTML_MAIL = """<!DOCTYPE html><html><head><title>Mail</title><style>p {margin:0} .x{color:red}</style>
<script>var tracking = 1;</script></head><body>
<div>Hi there,</div>
<p>After the upgrade the reports module misbehaves:</p>
<ul><li>charts stay empty</li><li>exports fail with <b>HTTP&nbsp;502</b>
  <ol><li>only for PDF</li><li>only &gt; 10 pages</li></ol></li></ul>
<p>Is this a known issue?</p>
<p>Best regards,<br>Erik Lund<br>IT Manager</p>
<p style="font-size:8pt">Please consider the environment before printing this e-mail.</p>
<div class="gmail_quote">On Mon, 3 Mar 2025 Support wrote:<blockquote>Old reply text</blockquote></div>
</body></html>"""


def test_html_to_text_keeps_paragraphs_and_nested_list_items() -> None:
    text = html_to_text(HTML_MAIL)
    assert "color:red" not in text and "tracking" not in text and "Mail" not in text.split("\n")[0]
    assert "- charts stay empty" in text and "- only for PDF" in text and "- only > 10 pages" in text
    assert "> Old reply text" in text  # quoted HTML blocks are marked as quotes


def test_html_mail_is_cleaned_to_the_question() -> None:
    result = clean_ticket(HTML_MAIL)
    lines = result.text.split("\n")
    assert lines[0] == "After the upgrade the reports module misbehaves:"
    assert "- exports fail with HTTP 502" in lines and lines[-1] == "Is this a known issue?"
    for noise in ("Erik", "environment", "Old reply", "Hi there"):
        assert noise not in result.text
    assert "HTTP 502" in result.search_terms


def test_only_html_tags_gives_empty_text() -> None:
    assert clean_ticket("<html><body><div><br></div><p></p></body></html>").text == ""


# --- chat, phone, web form ------------------------------------------------------------------------
def test_chat_transcript_keeps_visitor_lines_only() -> None:
    raw = (
        "Live chat transcript\n[14:20] Bot: Hi! I'm the virtual assistant. What brings you "
        "here?\n[14:20] Visitor: hello?\n"
        "[14:21] Visitor: the discount code SPRING25 is rejected at checkout\n[14:21] Agent: Thanks for waiting, "
        "let me check.\n[14:23] Visitor: does it work together with free shipping?\n[14:24] Agent: One moment please."
    )
    result = clean_ticket(raw)
    assert result.text == (
        "the discount code SPRING25 is rejected at checkout\ndoes it work together "
        "with free shipping?"
    )


def test_chat_with_named_agent_detected_by_how_they_talk() -> None:
    raw = (
        "(09:01) Priya: Good morning, my name is Priya. How can I help you today?\n"
        "(09:02) Tom: my smart plug shows offline after the router change\n"
        "(09:03) Priya: Let me check your account.\n(09:03) Tom: do I have to pair it again?"
    )
    assert clean_ticket(raw, channel="chat").text == (
        "my smart plug shows offline after the router change\ndo I have to pair it again?")


def test_phone_notes_keep_reported_problem() -> None:
    raw = (
        "[Call log - agent 207 - 12 Feb]\nCaller verified with date of birth.\n"
        "Caller reports: meter readings submitted online are not showing on the bill. Why is that?\n"
        "Customer sounded annoyed. Advised to wait 48h. Ref 55810."
    )
    result = clean_ticket(raw)
    assert result.text == "meter readings submitted online are not showing on the bill. Why is that?"
    assert ("ticket_ref", "55810") in _ids(result)


def test_phone_notes_without_prefix_drop_agent_actions() -> None:
    raw = (
        "Inbound call 10:14\nCustomer cannot print shipping labels since driver 3.2.1.\nAdvised "
        "reinstalling the driver."
    )
    result = clean_ticket(raw, channel="phone")
    assert result.text == "Customer cannot print shipping labels since driver 3.2.1."
    assert result.search_terms == ("3.2.1",)


def test_web_form_keeps_message_and_useful_fields() -> None:
    raw = (
        "Contact form submission #20931\nFirst name: Lena\nLast name: Kowalczyk\nE-mail: lena.k@mail.test\n"
        "Phone: +48 601 234 567\nCategory: Technical problem\nOrder number: 123-4567\nProduct: Aurora Router AX3\n"
        "Firmware version: 1.0.9\nDescription:\nThe 5 GHz network disappears at night.\nHow do I keep it on?\n\n"
        "How did you hear about us? Instagram"
    )
    result = clean_ticket(raw, channel="web")
    assert result.text.split("\n") == [
        "Product: Aurora Router AX3", "Firmware version: 1.0.9",
        "The 5 GHz network disappears at night. How do I keep it on?"]
    assert result.search_terms == ("1.0.9",)
    assert ("ticket_ref", "123-4567") in _ids(result)
    for noise in ("Lena", "601", "Technical problem", "Instagram"):
        assert noise not in result.text


# --- subjects, signatures, disclaimers, greetings -------------------------------------------------------
@pytest.mark.parametrize(("subject", "expected"), [
    ("RE: FW: Urgent - case #123", ""),
    ("Re: Fwd: Printer offline after update [Ticket #48213]", "Printer offline after update"),
    ("AW: WG: Fehlercode E1234 beim Start", "Fehlercode E1234 beim Start"),
    ("SV: Faktura mangler", "Faktura mangler"),
    ("Odp: Błąd logowania", "Błąd logowania"),
])
def test_subject_prefixes_and_case_numbers_are_stripped(subject: str, expected: str) -> None:
    assert clean_ticket("Why is my invoice missing?", subject=subject).subject == expected


def test_subject_header_line_in_text_is_used() -> None:
    result = clean_ticket("Subject: RE: Password reset link expired\n\nHi,\nhow long is the reset link valid?")
    assert result.subject == "Password reset link expired"
    assert result.text == "how long is the reset link valid?"


def test_signature_with_phone_and_address_is_removed() -> None:
    raw = (
        "The warehouse scanner shows error 0x80070005 when syncing. How do we grant access?\n\n"
        "Thanks in advance,\nHenrik Olsen\nLogistics Lead | Fjord Freight ApS\nHavnegade 12, 8000 Aarhus C\n"
        "Tel: +45 86 12 34 56\nwww.fjordfreight.test"
    )
    result = clean_ticket(raw)
    assert result.text == "The warehouse scanner shows error 0x80070005 when syncing. How do we grant access?"
    assert result.search_terms == ("0x80070005",)


def test_signature_after_dash_dash_and_without_signoff() -> None:
    raw = "Our SSO login fails with SAML-1003 since Monday.\n-- \nNina Berg\nHead of IT\n+31 20 123 4567"
    assert clean_ticket(raw).text == "Our SSO login fails with SAML-1003 since Monday."
    trailing = "Can I move my subscription to another account?\nJohn Carter\nCarter Consulting Ltd\njohn@carter.test"
    assert clean_ticket(trailing).text == "Can I move my subscription to another account?"


@pytest.mark.parametrize("marker", ["P.S.", "P.S", "PS:", "PS.", "PS", "PPS -", "P.P.S."])
def test_a_postscript_under_the_signature_is_the_customers_words(marker: str) -> None:
    raw = ("Hi team,\n\nOur receipts print blank since the update.\n\nKind regards\nAnna Berg\n"
           f"Café Lund | +45 31 22 45 67\n\n{marker} the printer also shows ERR-4012 when it starts\nAnna\n\n"
           "On Mon, 3 Jun 2024 at 09:12, Support <support@example.com> wrote:\n> Your ticket is 84606.")
    result = clean_ticket(raw)
    assert result.text == "Our receipts print blank since the update.\nthe printer also shows ERR-4012 when it starts"
    assert result.search_terms == ("ERR-4012",)  # matched exactly, as a code in the message itself is


def test_a_postscript_marker_on_its_own_line_keeps_the_lines_under_it() -> None:
    raw = "Hi,\n\nLogin fails.\n\nRegards\nJan\n\nP.S.\nThe printer shows ERR-4012\n"
    assert clean_ticket(raw).text == "Login fails.\nThe printer shows ERR-4012"


def test_only_a_capital_ps_opens_a_postscript() -> None:
    raw = "Hello,\n\nSSO login fails.\n\nBest regards\nJan\n\nps 2 units left\n\nPPS and on iOS\nJan"
    assert clean_ticket(raw).text == "SSO login fails.\nand on iOS"


@pytest.mark.parametrize("disclaimer", [
    "This e-mail and any attachments are confidential and intended solely for the use of the addressee. If you "
    "have received this message in error, please notify the sender.",
    "CONFIDENTIALITY NOTICE: the information in this message is privileged.",
    "This email has been scanned for viruses and malware by SafeMail.",
    "Please consider the environment before printing this email.",
    "CAUTION: This email originated from outside of the organization. Do not click links unless you trust the sender.",
    "Denne e-mail er fortrolig og kun beregnet for modtageren.",
    "Deze e-mail is vertrouwelijk en uitsluitend bestemd voor de geadresseerde.",
])
def test_disclaimers_and_footers_are_removed(disclaimer: str) -> None:
    raw = f"Can I change the delivery date of order 555-1234?\n\n{disclaimer}"
    assert clean_ticket(raw).text == "Can I change the delivery date of order 555-1234?"


def test_greeting_is_stripped_and_one_liner_survives() -> None:
    assert clean_ticket("Hi, printer broken").text == "printer broken"
    assert clean_ticket("Hello").text == "Hello"  # nothing else: fall back instead of returning nothing
    assert clean_ticket("Dear Sir/Madam,\nPlease cancel my membership.").text == "Please cancel my membership."


def test_filler_sentences_go_but_questions_stay() -> None:
    raw = (
        "Hello support team,\n\nI have been waiting for a reply for a week. My refund for the returned boots has not "
        "arrived. Where is it? Please call me back as soon as possible. Any help would be appreciated."
    )
    assert clean_ticket(raw).text == "My refund for the returned boots has not arrived. Where is it?"


def test_leading_thanks_does_not_swallow_the_message() -> None:
    question = "Unfortunately the label printer still prints blank pages. Is there a firmware fix?"
    assert clean_ticket(f"Thanks!\n\n{question}\n\nBest,\nLiv").text == question


def test_a_greeting_alone_comes_back_but_is_marked_as_asking_nothing() -> None:
    greeting = clean_ticket("Hi,\n\nKind regards, Anna")
    assert (greeting.text, greeting.pleasantries_only) == ("Hi,", True)
    assert clean_ticket("Please call me back as soon as possible.").pleasantries_only
    assert not clean_ticket("Hi, printer broken").pleasantries_only
    for short in ("Printer Broken", "Refund", "Login Issue", "Kassen Virker Ikke"):  # title-cased, like a name
        assert not clean_ticket(short).pleasantries_only, short
    assert not clean_ticket("> only quoted\n> lines").pleasantries_only  # the quote is what is read


def test_only_a_signature_gives_empty_text() -> None:
    raw = (
        "Kind regards,\nPeter Holm\nSales Director\nTel: +45 31 22 45 67\nThis e-mail is "
        "confidential and intended only for the recipient."
    )
    assert clean_ticket(raw).text == ""
    assert clean_ticket("-- \nOffice manager\nNordlys ApS\nwww.nordlys.test").text == ""


def test_social_mentions_are_stripped() -> None:
    result = clean_ticket("@AcmeSupport @Acme my refund still hasn't arrived, any update?", channel="social")
    assert result.text == "my refund still hasn't arrived, any update?"


# --- identifiers ---------------------------------------------------------------------------------
def test_extract_identifiers_distinguishes_kinds() -> None:
    text = (
        "Ticket #84606: after installing v2.3.1 the client shows ERR-4012 and Windows reports 0x80070005. "
        "Node 4.18.2 and version 3.9 are installed. See invoice INV-2024-0012 and order 123-4567. HTTP 502 too, "
        "and the installer exits with error code 1603."
    )
    assert extract_identifiers(text) == (
        Identifier("ticket_ref", "84606"), Identifier("version", "2.3.1"), Identifier("error_code", "ERR-4012"),
        Identifier("hex_code", "0x80070005"), Identifier("version", "4.18.2"), Identifier("version", "3.9"),
        Identifier("ticket_ref", "INV-2024-0012"), Identifier("ticket_ref", "123-4567"),
        Identifier("error_code", "HTTP 502"), Identifier("error_code", "1603"),
    )
    assert extract_identifiers("Patch for CVE-2024-3094 and KB5034441; err 0x8007000E") == (
        Identifier("error_code", "CVE-2024-3094"), Identifier("hex_code", "0x8007000E"))


def test_dates_times_and_plain_numbers_are_not_identifiers() -> None:
    text = ("On 03.06.2024 at 09.12, on 2024-06-03, 03.06.24 and on 3 Jun 2024 I paid 450,000 for 12 items; "
            "IP 192.168.1.20.")
    assert extract_identifiers(text) == ()


def test_identifiers_are_unique_ordered_and_searchable_only_when_asked_and_not_refs() -> None:
    raw = "Subject: Case #43432 - E1234 again\n\nE1234 is back after the update to 5.0.1. Why?\n\n> Old: ERR-9001"
    result = clean_ticket(raw)
    assert _ids(result) == [("ticket_ref", "43432"), ("error_code", "E1234"), ("version", "5.0.1"),
                            ("error_code", "ERR-9001")]
    assert result.search_terms == ("E1234", "5.0.1")  # the quoted ERR-9001 is reported, not matched
    assert "ERR-9001" not in result.text


# --- personal data masking ------------------------------------------------------------------------
def test_mask_personal_data_replaces_contact_and_payment_data() -> None:
    text = (
        "Mail me at jan.de.vries+kb@example.nl or call +31 6 1234 5678 / (555) 123-4567, tel: 31 22 45 67. "
        "Card 4111 1111 1111 1111 was charged; refund to IBAN NL91 ABNA 0417 1643 00 or account no. 12345678."
    )
    masked = mask_personal_data(text)
    assert masked == (
        "Mail me at [email] or call [phone] / [phone], tel: [phone]. "
        "Card [card] was charged; refund to IBAN [account] or account no. [account]."
    )


def test_mask_keeps_codes_versions_dates_and_short_numbers() -> None:
    text = ("ERR-4012 after v2.3.1 (build 4.18.2) on 03.06.2024 and 2024-06-03 at 09:12; error 0x80070005, "
            "order 123-4567, 3 items, ticket #84606, 1234 5678 9012 3456 is not a valid card.")
    assert mask_personal_data(text) == text


# --- edge cases ----------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["", "   \n\t  ", "\x00\x01\x02", "<<<>>>", "> > >", "-- \n", "\ufeff\u200b"])
def test_empty_and_junk_inputs_give_empty_text(raw: str) -> None:
    result = clean_ticket(raw)
    assert result == CleanedTicket("", "", (), ())


def test_never_raises_on_odd_inputs() -> None:
    for raw in (None, b"\xff\xfe binary \x00 printer error E1234", 12345, "\ud800 lone surrogate"):
        assert isinstance(clean_ticket(raw), CleanedTicket)  # type: ignore[arg-type]
    assert "E1234" in clean_ticket(b"printer error E1234").search_terms  # type: ignore[arg-type]
    assert extract_identifiers("1" * 5_000 + ".2.3 and " + "9" * 5_000) == ()
    assert mask_personal_data(None) == ""  # type: ignore[arg-type]


def test_non_ascii_text_survives() -> None:
    raw = "Hei,\n\nVoiko ÄÄNI-1234-virheen korjata päivityksellä 2.0.1? Ääkköset näkyvät väärin.\n\nTerveisin\nJyrki"
    result = clean_ticket(raw)
    assert result.text == "Voiko ÄÄNI-1234-virheen korjata päivityksellä 2.0.1? Ääkköset näkyvät väärin."
    assert "2.0.1" in result.search_terms


@pytest.mark.parametrize("raw", [
    "a" * 100_000, "<" * 100_000, "<p>" * 33_000, "1" * 100_000, "_" * 100_000, "On 3 Jun " * 11_000,
    "Name: x\n" * 12_500, "[10:00] Visitor: hi\n[10:01] Agent: ok\n" * 3_000, "x@" * 50_000, "+1 " * 33_000,
    "1." * 50_000, "<div>x</span>" * 8_000, "<div><blockquote>x</div>y" * 4_000, "On 3 Jun X wrote:\n> a\n" * 5_000,
])
def test_pathological_100kb_inputs_finish_quickly(raw: str) -> None:
    start = time.perf_counter()
    result = clean_ticket(raw)
    mask_personal_data(raw)
    assert time.perf_counter() - start < 2.0
    assert len(result.text) <= 4000


def test_long_ticket_keeps_opening_and_late_question_with_code() -> None:
    filler = " ".join(f"Step {i} of our rollout went as planned without any surprises." for i in range(200))
    raw = f"Our rollout log follows.\n\n{filler}\n\nWhy does step 150 now fail with ERR-7788 on every node?"
    result = clean_ticket(raw)
    assert len(result.text) <= 4000
    assert result.text.startswith("Our rollout log follows.")
    assert "Why does step 150 now fail with ERR-7788 on every node?" in result.text
    assert "ERR-7788" in result.search_terms


def test_a_link_in_the_question_is_not_a_signature_but_a_web_line_is() -> None:
    one_line = clean_ticket("Receipts print blank since the update https://shop.example.com/till")
    assert one_line.text == "Receipts print blank since the update https://shop.example.com/till"
    signed = clean_ticket("Hi,\nthe drawer is stuck.\n\nAnna Jensen\nWeb: https://jensen.example\nTel: +45 20 30 40 50")
    assert signed.text == "the drawer is stuck."


@pytest.mark.parametrize(("text", "masked"), [
    ("Ring på 20 30 40 50", "Ring på [phone]"),
    ("mit nummer er 20304050", "mit nummer er [phone]"),
    ("Bel me op 06-12345678", "Bel me op [phone]"),
    ("call me at 0612345678", "call me at [phone]"),
    ("zadzwoń 600 700 800", "zadzwoń [phone]"),
    ("soita 040 1234567", "soita [phone]"),
    ("customer 20 30 40 50 cannot log in", "customer [phone] cannot log in"),
    ("appelez le 06 12 34 56 78", "appelez le [phone]"),
])
def test_national_phone_numbers_are_masked(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked


def test_numbers_that_are_not_phones_stay() -> None:
    text = ("Order number 12345678 from 2024-06-03, IP 192.168.1.10, port 8080, SYNC-409, 100 000 kr, "
            "invoice 2024-0042, build 4.18.2, call 112, ticket 4412345, released 03-06-2024, firmware 12 04 2023, "
            "HTTP 500 502 503 504 errors, ports 80 443 8080 8443, KB 123 456 78.")
    assert mask_personal_data(text) == text


def test_a_code_with_a_typographic_hyphen_is_a_code() -> None:
    assert clean_ticket("Hi, I get ERR\u20114012 when I log in.").search_terms == ("ERR-4012",)
    # Fullwidth brackets around a code in an HTML ticket are no tag: the code stays.
    cleaned = clean_ticket("プリンターに＜ERR-4012＞と表示されます。<br>どうすればいいですか？")
    assert "ERR-4012" in cleaned.text and cleaned.search_terms == ("ERR-4012",)
