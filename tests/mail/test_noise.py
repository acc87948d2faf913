"""classify: a person, a machine (and which kind), our own mail, or spam."""

from __future__ import annotations

import pytest

from helpdesk_tui.desk.inbound import MailClass as Noise
from helpdesk_tui.mail.noise import Verdict, classify, list_id, list_subject
from helpdesk_tui.mail.parse import ParsedMessage, parse_message

OWN = {"support@example.com", "Billing@Example.com"}


def mail(
    *headers: str, body: str = "Hello, my printer is on fire.", subject: str = "help"
) -> ParsedMessage:
    has_from = any(header.lower().startswith("from:") for header in headers)
    head = list(headers) if has_from else ["From: Customer <customer@example.org>", *headers]
    raw = "\r\n".join([*head, f"Subject: {subject}", "", body, ""]).encode()
    return parse_message(raw, max_attachment_bytes=1_000_000)


def verdict(parsed: ParsedMessage, blocked: list[str] | None = None) -> Verdict:
    return classify(parsed, own_addresses=OWN, blocked=blocked or [])


def kind(parsed: ParsedMessage, blocked: list[str] | None = None) -> Noise:
    return verdict(parsed, blocked).mail_class


def test_a_person_writing_is_normal_and_acknowledged() -> None:
    found = verdict(mail())

    assert found.mail_class is Noise.NORMAL and found.no_ack is None


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated; owner-email=x@example.org",
        "Precedence: bulk",
        "Precedence: JUNK",
        "Precedence: auto_reply",
        "X-Autoreply: yes",
        "X-Autorespond: Out of office",
    ],
)
def test_auto_replies(header: str) -> None:
    assert kind(mail(header)) is Noise.AUTO_REPLY


@pytest.mark.parametrize(
    "header",
    [
        "Precedence: list",
        "List-Id: Printer users <printers.lists.example.org>",
        "X-Auto-Response-Suppress: All",
        "Return-Path: <>",
        "Return-Path: < >",
    ],
)
def test_people_on_lists_and_null_senders_are_people_but_get_no_answer(header: str) -> None:
    found = verdict(mail(header))

    assert found.mail_class is Noise.NORMAL and found.no_ack


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Printer on fire",
        "Automatic reply: Printer on fire [#12]",
        "Re: Autoreply: your message",
        "Abwesenheitsnotiz: Drucker",
        "AW: Automatische Antwort: Drucker",
        "Réponse automatique : imprimante",
        "Respuesta automática: impresora",
        "Risposta automatica: stampante",
        "Automatisch antwoord: printer",
        "Resposta automática: impressora",
        "Autosvar: skrivare",
        "Frånvaromeddelande",
        "Odpowiedź automatyczna: drukarka",
    ],
)
def test_out_of_office_subjects_in_common_languages(subject: str) -> None:
    assert kind(mail(subject=subject)) is Noise.AUTO_REPLY


@pytest.mark.parametrize(
    "subject",
    [
        "Out of office not working in Outlook",
        "Automatic reply not sent to outside senders",
        "Auto-reply rule broken since the update",
        "On vacation next week - who covers my tickets?",
        "Abwesenheitsnotiz lässt sich nicht einrichten",
        "Réponse automatique ne fonctionne pas",
    ],
)
def test_a_new_question_about_out_of_office_is_a_person(subject: str) -> None:
    """An IT desk's everyday question ("Out of office not working in Outlook"), new, from a
    person: its subject alone made it an auto-reply, held apart as machine mail, with no
    ticket and no acknowledgement. An out-of-office subject names the mail it answers
    (``Out of Office: <subject>``), is the whole subject, or comes in answer to a mail."""
    assert kind(mail(subject=subject)) is Noise.NORMAL
    answering = mail("In-Reply-To: <ours.1@desk.test>", subject=subject)
    assert kind(answering) is Noise.AUTO_REPLY


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office AutoReply",
        "Out of Office Auto Reply",
        "Out of office reply",
        "Out-of-office",
        "Out of office.",
        "Out of office reply: Printer on fire",
        "Abwesenheitsnotiz Antwort",
    ],
)
def test_the_whole_out_of_office_form_is_an_auto_reply(subject: str) -> None:
    """The phrase with the words its form adds ("AutoReply", "reply"), a hyphen or a full
    stop is the whole subject as much as "Out of office" is: an auto-reply, as that is."""
    assert kind(mail(subject=subject)) is Noise.AUTO_REPLY


@pytest.mark.parametrize(
    "subject",
    [
        "Out of office until Monday",
        "Out of office (until Monday)",
        "Out of office - back Monday 14 December",
        "Out of office, back on Monday",
        "Out of office 7-11 December",
        "Out of Office AutoReply until Monday",
        "AUTO: Jane Doe is out of the office (returning 12/08/2026)",
        "Jane Doe is out of the office.",
        "I am out of the office",
        "I'm on vacation until 14 December",
        "[Auto-Reply] Printer on fire",
        "OOO",
        "OOO until Monday",
        "Abwesend bis 14.12.",
        "Abwesenheitsnotiz bis 14.12.",
        "Ich bin nicht im Büro",
        "Réponse automatique jusqu'au 14/12",
        "Fuera de la oficina hasta el lunes",
    ],
)
def test_a_subject_in_an_auto_reply_s_form_gets_no_acknowledgement(subject: str) -> None:
    """An autoresponder without a reply's headers, not answering a mail ("Out of office
    until Monday", "AUTO: … is out of the office"), opened a ticket and got an
    acknowledgement: a machine answering a machine. It may be a person, so it stays a
    person's mail, but gets no acknowledgement and is marked (its ticket is tagged); in
    answer to a mail, or naming a ticket, it is an auto-reply."""
    found = verdict(mail(subject=subject))
    assert found.mail_class is Noise.NORMAL
    assert found.automatic and found.no_ack == "the subject of an automatic reply"
    assert kind(mail("In-Reply-To: <ours.1@desk.test>", subject=subject)) is Noise.AUTO_REPLY
    assert kind(mail(subject=f"{subject} [#12]")) is Noise.AUTO_REPLY


@pytest.mark.parametrize(
    "subject",
    [
        "Out of office not working in Outlook",
        "Out of office notifications not working",
        "Out of office reply not sent to outside senders",
        "Out of office message not showing",
        "Out of office?",
        "How do I set my out of office?",
        "On vacation next week - who covers my tickets?",
        "Jane is on leave, who approves her invoices?",
        "Automatic Reply - Printer on fire",
        "Autodesk licence expired",
        "The printer is out of toner",
        "Wer ist abwesend?",
    ],
)
def test_a_person_asking_about_absence_is_acknowledged(subject: str) -> None:
    found = verdict(mail(subject=subject))
    assert (found.mail_class, found.automatic, found.no_ack) == (Noise.NORMAL, False, None)


@pytest.mark.parametrize(
    "subject",
    [
        "Read: Printer on fire [#12]",
        "Not read: Re: Printer on fire [#12]",
        "Gelesen: AW: Drucker [#12]",
        "Lu : imprimante",
        "Leído: impresora",
        "Letto: stampante",
        "Gelezen: printer",
        "Läst: skrivare",
    ],
)
def test_read_receipts_sent_as_ordinary_messages(subject: str) -> None:
    """Outlook and others send "Read: <subject>" as a plain message when they send no MDN."""
    assert kind(mail(subject=subject)) is Noise.RECEIPT


@pytest.mark.parametrize(
    "subject",
    [
        "Re: Read: Printer on fire",
        "Read-only share is broken",
        "Read only: the share",
        "Reading list: laptops",
        "Please read: printer manual",
    ],
)
def test_subjects_that_only_mention_reading_are_people(subject: str) -> None:
    assert kind(mail(subject=subject)) is Noise.NORMAL


@pytest.mark.parametrize(
    "subject", ["Office printer out of paper", "Question about the automatic reply feature"]
)
def test_subjects_that_only_mention_absence_are_people(subject: str) -> None:
    assert kind(mail(subject=subject)) is Noise.NORMAL


@pytest.mark.parametrize(
    "header", ["Auto-Submitted: no", "Auto-Submitted: No", "Precedence: first-class"]
)
def test_headers_that_say_a_person_wrote_it(header: str) -> None:
    assert kind(mail(header)) is Noise.NORMAL


@pytest.mark.parametrize(
    ("headers", "subject"),
    [
        (("From: MAILER-DAEMON@mx.example.net",), "Undelivered Mail Returned to Sender"),
        (("From: Mail Delivery System <MAILER-DAEMON>",), "failure notice"),
        (("From: postmaster@example.org",), "Delivery Status Notification (Failure)"),
        (("Return-Path: <>",), "Returned mail: see transcript for details"),
        (("X-Failed-Recipients: gone@example.org",), "help"),
    ],
)
def test_bounces(headers: tuple[str, ...], subject: str) -> None:
    assert kind(mail(*headers, subject=subject)) is Noise.BOUNCE


@pytest.mark.parametrize(
    "sender", ["From: MAILER-DAEMON@mx.example.net", "From: Postmaster <postmaster@example.org>"]
)
def test_a_mail_system_address_alone_is_not_a_bounce(sender: str) -> None:
    assert kind(mail(sender, subject="Question about your SPF record")) is Noise.NORMAL


def test_read_receipt_and_feedback_report_by_report_type() -> None:
    def report(report_type: str, part: str, fields: str) -> ParsedMessage:
        raw = (
            "From: Customer <customer@example.org>\r\nSubject: Read: help\r\n"
            f'Content-Type: multipart/report; report-type={report_type}; boundary="r"\r\n\r\n'
            "--r\r\nContent-Type: text/plain\r\n\r\nYour message was read.\r\n"
            f"--r\r\nContent-Type: {part}\r\n\r\n{fields}\r\n--r--\r\n"
        ).encode()
        return parse_message(raw, max_attachment_bytes=1000)

    receipt = report(
        "disposition-notification",
        "message/disposition-notification",
        "Disposition: manual-action/MDN-sent-manually; displayed",
    )
    feedback = report("feedback-report", "message/feedback-report", "Feedback-Type: abuse")

    assert kind(receipt) is Noise.RECEIPT
    assert receipt.disposition == "manual-action/MDN-sent-manually; displayed"
    assert kind(feedback) is Noise.REPORT
    assert feedback.feedback_type == "abuse"


def test_delivery_status_fields_keep_the_diagnostic_type() -> None:
    raw = (
        b"From: MAILER-DAEMON@mx.example.net\r\nSubject: Undelivered\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        b"--r\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n"
        b"--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.net\r\n\r\n"
        b"Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>:\r\n"
        b" Recipient address rejected: User unknown\r\n--r--\r\n"
    )
    found = parse_message(raw, max_attachment_bytes=1000).delivery_status

    assert found is not None
    assert (found.status, found.final_recipient) == ("5.1.1", "gone@example.org")
    assert found.typed_diagnostic == (
        "smtp; 550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown"
    )


def test_delivery_report_is_a_bounce_even_from_a_person_like_sender() -> None:
    raw = (
        b"From: Exchange <exchange@example.org>\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        b"--r\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
        b"--r\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--r--\r\n"
    )
    parsed = parse_message(raw, max_attachment_bytes=1000)

    assert kind(parsed) is Noise.BOUNCE


def test_bounce_beats_auto_reply() -> None:
    parsed = mail(
        "From: MAILER-DAEMON@mx.example.net",
        "Auto-Submitted: auto-replied",
        subject="failure notice",
    )
    assert kind(parsed) is Noise.BOUNCE


def test_null_sender_vacation_reply_is_an_auto_reply() -> None:
    """RFC 3834 responders send with a null Return-Path; that alone does not make a bounce."""
    assert kind(mail("Return-Path: <>", "Auto-Submitted: auto-replied")) is Noise.AUTO_REPLY


def test_own_mail() -> None:
    """Our mark on a message: we sent it (whatever its From says)."""
    assert kind(mail("X-Helpdesk-Loop: helpdesk.example.com")) is Noise.OWN
    assert kind(mail("From: billing@example.com", "X-Helpdesk-Loop: x")) is Noise.OWN


@pytest.mark.parametrize("sender", ["Support <SUPPORT@example.com>", "billing@example.com"])
def test_our_address_without_our_mark_is_own_address_mail(sender: str) -> None:
    """A colleague's mail client, a web form sending as the desk, or a forgery: not ours."""
    verdict = classify(mail(f"From: {sender}"), own_addresses=OWN, blocked=())

    assert verdict.mail_class is Noise.OWN_ADDRESS
    assert verdict.reason is not None and "not sent by this desk" in verdict.reason


def test_own_beats_everything() -> None:
    parsed = mail(
        "From: support@example.com", "X-Spam-Flag: YES", "Return-Path: <>", "Precedence: bulk"
    )

    assert kind(parsed, blocked=["example.com"]) is Noise.OWN_ADDRESS
    assert kind(mail("X-Helpdesk-Loop: x", "X-Spam-Flag: YES")) is Noise.OWN


@pytest.mark.parametrize(
    ("sender", "blocked"),
    [
        ("customer@example.org", ["CUSTOMER@example.org"]),
        ("customer@example.org", ["@Example.ORG"]),
        ("customer@example.org", ["example.org"]),
        ("customer@example.org", ["", "  example.org  "]),
    ],
)
def test_block_list(sender: str, blocked: list[str]) -> None:
    assert kind(mail(f"From: {sender}"), blocked=blocked) is Noise.SPAM


@pytest.mark.parametrize(
    "blocked",
    [
        ["other@example.org"],
        ["@mail.example.org"],
        ["ample.org"],
        ["customer@example.org.evil"],
        ["@"],
    ],
)
def test_block_list_does_not_overreach(blocked: list[str]) -> None:
    assert kind(mail("From: customer@example.org"), blocked=blocked) is Noise.NORMAL


def test_spam_flag() -> None:
    assert kind(mail("X-Spam-Flag: YES")) is Noise.SPAM
    assert kind(mail("X-Spam-Flag: NO")) is Noise.NORMAL


def test_spam_beats_bounce_and_auto_reply() -> None:
    assert kind(mail("X-Spam-Flag: yes", "Return-Path: <>", "Precedence: bulk")) is Noise.SPAM


def test_block_list_needs_a_sender_address() -> None:
    assert kind(mail("From: nobody"), blocked=["nobody"]) is Noise.NORMAL


def test_noise_values_are_stable_strings() -> None:
    """Stored in the database and shown in the UI."""
    assert [noise.value for noise in Noise] == [
        "normal",
        "auto_reply",
        "receipt",
        "report",
        "bounce",
        "own",
        "own_address",
        "spam",
    ]


_USERS = "List-Id: Wiki users <users.lists.example.org>"


@pytest.mark.parametrize(
    ("headers", "subject", "expected"),
    [
        ((_USERS,), "[users] Wiki is down", "Wiki is down"),
        ((_USERS,), "Re: [users] Wiki is down", "Re: Wiki is down"),
        ((_USERS,), "[users] Re: Wiki is down [#12]", "Re: Wiki is down [#12]"),
        ((_USERS,), "[Wiki users] Wiki is down", "Wiki is down"),  # its List-Id name
        ((_USERS,), "[users 1234] Wiki is down", "Wiki is down"),  # Mailman's post number
        ((_USERS,), "[EXT] [users] Wiki is down", "[EXT] Wiki is down"),  # the list's only
        ((_USERS,), "[#12] [users] Wiki is down", "[#12] Wiki is down"),  # never a token
        (
            ("List-Post: <mailto:it-help@example.com>", "List-Id: <x.example.com>"),
            "[IT-Help] VPN",
            "VPN",
        ),
        # a tag that does not name the list stays (the desk knows it from the list's mail)
        (("List-Id: <helpdesk.lists.example.com>",), "[IT-Support] VPN", "[IT-Support] VPN"),
        (("Precedence: list",), "[staff] VPN", "[staff] VPN"),
        ((_USERS,), "[URGENT] printer down", "[URGENT] printer down"),  # the customer's own
        ((_USERS,), "[users] [URGENT] printer down", "[URGENT] printer down"),
        ((_USERS,), "[URGENT] [users] printer down", "[URGENT] printer down"),
        ((_USERS,), "Re: [URGENT] printer down", "Re: [URGENT] printer down"),
        # the corpus's lists (mail_test_6, mail_test_13): an id with a blank, a long label
        (("List-Id: <770 capital.ggg.com>",), "[URGENT] Invoice", "[URGENT] Invoice"),
        (("List-Id: <770 capital.ggg.com>",), "[770 capital] Invoice", "Invoice"),
        (
            (
                "List-ID: 3f21937f0f636c8cec1db30bfmc list"
                " <3f21937f0f636c8cec1db30bf.140953.list-id.mcsv.net>",
                "List-Unsubscribe: <mailto:unsubscribe-mc.us14_3f2@mailin.mcsv.net>",
            ),
            "[Webinar] New Webinar: So, You Have A Disaster",
            "[Webinar] New Webinar: So, You Have A Disaster",
        ),
        ((_USERS,), "Wiki is down [users]", "Wiki is down [users]"),  # only a leading tag
        ((_USERS,), "Wiki is down", "Wiki is down"),
        ((), "[users] Wiki is down", "[users] Wiki is down"),  # not through a list
        (("Precedence: bulk",), "[News] Offers", "[News] Offers"),
    ],
)
def test_a_list_copy_s_subject_loses_the_list_s_tag(
    headers: tuple[str, ...], subject: str, expected: str
) -> None:
    """A mailing list's copy opened its ticket with the list's ``[users]`` tag in the
    ticket's subject; only a list's copy loses it, and only the list's tag: a customer's
    own ``[URGENT]`` lost it when no header named the list (the first tag went)."""
    assert list_subject(mail(*headers, subject=subject)).subject == expected


@pytest.mark.parametrize(
    ("headers", "subject", "expected"),
    [
        (
            ("List-Id: <helpdesk.lists.example.com>",),
            "[IT-Support] VPN",
            ("IT-Support", "helpdesk.lists.example.com"),
        ),
        ((_USERS,), "[users] [URGENT] VPN", (None, "users.lists.example.org")),
        ((_USERS,), "Re: [URGENT] VPN", ("URGENT", "users.lists.example.org")),
        (
            ("List-Post: <mailto:IT@Example.com>", "Precedence: list"),
            "[x] VPN",
            ("x", "it@example.com"),
        ),
        (("Precedence: list",), "[staff] VPN", ("staff", None)),
        ((_USERS,), "VPN [#12]", (None, "users.lists.example.org")),
        ((), "[URGENT] VPN", (None, None)),
    ],
)
def test_a_list_copy_s_other_tag_and_the_list_it_came_through(
    headers: tuple[str, ...], subject: str, expected: tuple[str | None, str | None]
) -> None:
    """What the desk needs to know a list's tag by its earlier mail (``desk/list_tags``)."""
    parsed = mail(*headers, subject=subject)
    assert (list_subject(parsed).tag, list_id(parsed)) == expected
