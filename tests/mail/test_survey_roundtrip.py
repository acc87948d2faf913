"""Satisfaction surveys through real Dovecot and SMTP: resolve → survey out → the customer's
answer is a rating (the ticket stays resolved); an answer without one is a follow-up."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import update
from sqlmodel import col

from helpdesk_tui.config import IntakeOptions
from helpdesk_tui.desk import fields, thread
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.mail.outbox_sender import OutboxSender
from helpdesk_tui.mail.service import MailService
from helpdesk_tui.mail_settings import MailSettings
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Outbox, Status

from .mailbuild import (
    DESK,
    email,
    messages,
    new_id,
    on_sqlite_only,
    outbox,
    server_settings,
    tickets,
)
from .servers import ImapAccount, SmtpServer
from .test_outbox import sender
from .test_poller import poller, wait_until

READ_AS_A_RATING = on_sqlite_only(
    "tests/mail/test_survey_roundtrip.py::"
    "test_a_rating_by_mail_is_recorded_and_the_ticket_stays_resolved"
)
"""Where an answer's rating and comment are read out of its words: the rating is then
recorded by the same desk call as any (that test records one on PostgreSQL)."""


def _survey_for_new_ticket(
    db: Database,
    admin: Actor,
    dovecot: ImapAccount,
    smtp_server: SmtpServer,
    customer: str = "ann@example.org",
) -> tuple[int, str, str]:
    """A customer writes, the desk resolves the ticket: (number, survey subject, its id)."""
    before = len(smtp_server.messages)
    sender = f"Ann Customer <{customer}>"
    dovecot.append("INBOX", email(sender=sender, message_id=new_id(), subject="VPN broken"))
    smtp_server.wait_for(before + 1)  # the acknowledgement
    ticket = tickets(db)[-1]  # (the newest)
    with db.write() as session:
        fields.set_status(session, admin, ticket.number, "resolved")
    survey = smtp_server.wait_for(before + 2)[-1]
    mail = message_from_bytes(survey.raw, policy=policy.default)
    assert survey.rcpt_tos == (customer,)
    assert mail["Auto-Submitted"] == "auto-generated"
    return ticket.number, str(mail["Subject"]), str(mail["Message-ID"])


def test_a_rating_by_mail_is_recorded_and_the_ticket_stays_resolved(
    db: Database, admin: Actor, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    service = MailService(db, IntakeOptions(server_settings(dovecot, smtp_server)))
    service.start()
    try:
        number, subject, survey_id = _survey_for_new_ticket(db, admin, dovecot, smtp_server)
        assert f"[#{number}]" in subject and "survey" in subject
        assert subject.startswith("How did we do with: VPN broken (survey "), (
            "no Re: on a mail that answers nothing; the request named"
        )
        dovecot.append(
            "INBOX",
            email(
                subject=f"Re: {subject}",
                in_reply_to=survey_id,
                body="4 — quick and kind\n\n> How did we do?",
            ),
        )
        desk = Desk(db, admin)
        wait_until(lambda: desk.satisfaction_of(number) is not None, what="rating")
        rating = desk.satisfaction_of(number)
        assert rating is not None and (rating.score, rating.comment) == (4, "quick and kind")
        [ticket] = tickets(db)
        assert ticket.status == Status.RESOLVED
        with db.write() as session:  # resolving again never sends a second survey
            fields.set_status(session, admin, number, "open")
            fields.set_status(session, admin, number, "resolved")
        wait_until(lambda: dovecot.list_uids("INBOX") == [], what="inbox emptied")
    finally:
        service.stop()
    assert len(smtp_server.messages) == 2, "the acknowledgement and one survey"


@on_sqlite_only("tests/mail/test_ingest.py::test_reply_to_a_waiting_or_resolved_ticket_reopens_it")
def test_an_answer_without_a_rating_or_with_a_forged_token_is_a_follow_up(
    db: Database, admin: Actor, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    service = MailService(db, IntakeOptions(server_settings(dovecot, smtp_server)))
    service.start()
    try:
        number, subject, survey_id = _survey_for_new_ticket(db, admin, dovecot, smtp_server)
        forged = re.sub(r"survey (\d+)-[0-9a-f]{16}", r"survey \1-0123456789abcdef", subject)
        assert forged != subject
        dovecot.append("INBOX", email(subject=f"Re: {forged}", body="5 great"))
        wait_until(lambda: len(messages(db, number)) == 2, what="forged answer")
        assert tickets(db)[0].status == Status.OPEN
        assert Desk(db, admin).satisfaction_of(number) is None
        with db.write() as session:
            fields.set_status(session, admin, number, "resolved")
        dovecot.append(
            "INBOX",
            email(subject=f"Re: {subject}", in_reply_to=survey_id, body="It broke again."),
        )
        wait_until(lambda: len(messages(db, number)) == 3, what="follow-up")
        assert tickets(db)[0].status == Status.OPEN
        assert Desk(db, admin).satisfaction_of(number) is None
        # A number that starts a sentence about things is no rating: it was a 5, and the
        # printers were lost in a rating's comment on a ticket that stayed resolved.
        with db.write() as session:
            fields.set_status(session, admin, number, "resolved")
        problem = "5 printers down since Monday\n\nThe whole second floor cannot print."
        dovecot.append(
            "INBOX", email(subject=f"Re: {subject}", in_reply_to=survey_id, body=problem)
        )
        wait_until(lambda: len(messages(db, number)) == 4, what="the printers")
        assert tickets(db)[0].status == Status.OPEN
        assert Desk(db, admin).satisfaction_of(number) is None
        assert messages(db, number)[-1].body.startswith("5 printers down since Monday")
    finally:
        service.stop()


def test_a_reply_that_resolves_reaches_the_customer_before_its_survey(
    db: Database, admin: Actor, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    """The survey ("your request has been resolved, how did we do?") was queued before the
    reply that resolved the ticket, so it arrived before the answer it asks about."""
    service = MailService(db, IntakeOptions(server_settings(dovecot, smtp_server)))
    service.start()
    try:
        asked = new_id()
        dovecot.append("INBOX", email(message_id=asked, subject="VPN broken"))
        smtp_server.wait_for(1)  # the acknowledgement
        [ticket] = tickets(db)
        with db.write() as session:
            thread.reply(
                session,
                admin,
                ticket.number,
                body="Fixed: restart the client.",
                status_after=Status.RESOLVED,
            )
        sent = smtp_server.wait_for(3)
    finally:
        service.stop()

    mails = [message_from_bytes(m.raw, policy=policy.default) for m in sent[1:]]
    kinds = [
        "survey" if "survey" in str(mail["Subject"]) else mail.get_content().strip()
        for mail in mails
    ]
    assert kinds == ["Fixed: restart the client.", "survey"]
    # the survey sits in the customer's thread, under the reply it asks about
    answer, survey = (str(mail["Message-ID"]) for mail in mails)
    assert str(mails[1]["In-Reply-To"]) == answer
    assert str(mails[1]["References"]).split() == [asked, answer]
    assert survey not in (asked, answer)


def _after_the_rating(subject: str) -> str:
    """A comment on the lines after the rating, then the quoted survey (Outlook's header)."""
    return (
        "4\n\nQuick and kind,\nbut the laptop is slow now.\n\n"
        "-----Original Message-----\nFrom: Desk Support <support@desk.test>\n"
        "Sent: Monday, November 23, 2026 10:00 AM\nTo: ann@example.org\n"
        f"Subject: {subject}\n\nYour request has been resolved. How did we do?"
    )


_ANSWERS: dict[str, tuple[str, Callable[[str], str], tuple[int, str]]] = {
    # The survey asks for "a rating on the first line, and any comment after it"; a comment
    # written on the next lines (as most people do) was dropped from the rating.
    "the comment on the lines after the rating": (
        "RE",
        _after_the_rating,
        (4, "Quick and kind, but the laptop is slow now."),
    ),
    # "5\n\nGreat help\n\nAm … schrieb Help Desk:\n> …" with a signature (or a company
    # disclaimer) under the quote: the attribution line was kept in the comment.
    "the quote's attribution": (
        "AW",
        lambda _subject: (
            "5\n\nGreat help\n\nAm Montag, 4. Dez. 2026 um 10:00 schrieb Help Desk:\n"
            "> Your request has been resolved. How did we do?\n\n-- \nAnn Customer"
        ),
        (5, "Great help"),
    ),
    # "Hi,\n\n5\n\nThanks" was no rating (its first line only greets) and reopened the
    # resolved ticket as a follow-up.
    "a rating under a greeting": (
        "Re",
        lambda _subject: "Hi,\n\n5\n\nThanks\n\n> How did we do?",
        (5, "Thanks"),
    ),
    # A bottom-posting customer ("On … wrote:", the quoted survey, then "5, quick and kind")
    # had no words above the quote: no rating, and the resolved ticket reopened.
    "a rating below the quoted survey": (
        "Re",
        lambda _subject: (
            "On Mon, 4 Dec 2026 at 10:00, Help Desk <help@desk.test> wrote:\n"
            "> Your request has been resolved. How did we do?\n\n"
            "5, quick and kind\n\n-- \nAnn Customer"
        ),
        (5, "quick and kind"),
    ),
}
"""How an answer to the survey is read as a rating and its comment: (its subject's
prefix, its body for the survey's subject, the rating and comment recorded)."""


@READ_AS_A_RATING
def test_a_rating_and_its_comment_are_read_out_of_the_answers_words(
    db: Database, admin: Actor, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    """Each answer of ``_ANSWERS`` to its own ticket's survey, read by one mail service
    (four tests each started one for one answer): the rating and comment recorded as the
    case says, and the ticket still resolved."""
    service = MailService(db, IntakeOptions(server_settings(dovecot, smtp_server)))
    service.start()
    try:
        asked: dict[str, int] = {}
        for rank, (case, (prefix, body, _recorded)) in enumerate(_ANSWERS.items()):
            # (a customer each: the desk acknowledges a few new tickets an address at most)
            customer = f"ann{rank}@example.org"
            number, subject, survey_id = _survey_for_new_ticket(
                db, admin, dovecot, smtp_server, customer
            )
            asked[case] = number
            answer = email(
                sender=f"Ann Customer <{customer}>",
                subject=f"{prefix}: {subject}",
                in_reply_to=survey_id,
                body=body(subject),
            )
            dovecot.append("INBOX", answer)
        desk = Desk(db, admin)
        wait_until(lambda: dovecot.list_uids("INBOX") == [], what="answers read")
    finally:
        service.stop()
    status = {ticket.number: ticket.status for ticket in tickets(db)}
    for case, (_prefix, _body, recorded) in _ANSWERS.items():
        rating = desk.satisfaction_of(asked[case])
        assert rating is not None and (rating.score, rating.comment) == recorded, case
        assert status[asked[case]] == Status.RESOLVED, case


def test_no_survey_to_an_address_whose_mail_bounced(
    db: Database, admin: Actor, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    """The acknowledgement to a mistyped address bounced (the report comes back through the
    mailbox); resolving the ticket with a reply asked that address "how did we do?" all the
    same. Now the survey is given up, and the ticket's history says why."""
    service = MailService(db, IntakeOptions(server_settings(dovecot, smtp_server)))
    service.start()
    try:
        dovecot.append("INBOX", email(message_id=new_id(), subject="VPN broken"))
        [ack] = smtp_server.wait_for(1)
        ack_id = str(message_from_bytes(ack.raw, policy=policy.default)["Message-ID"])
        dovecot.append("INBOX", _bounce_of(ack_id))
        wait_until(lambda: outbox(db, "ack")[0].status == "bounced", what="bounce read")
        [ticket] = tickets(db)
        with db.write() as session:
            thread.reply(session, admin, ticket.number, body="Fixed.", status_after=Status.RESOLVED)
        smtp_server.wait_for(2)  # the reply (the address may work again: an agent's call)
        wait_until(lambda: outbox(db, "survey")[0].status == "withdrawn", what="survey withdrawn")
    finally:
        service.stop()
    assert len(smtp_server.messages) == 2, "the acknowledgement and the reply, no survey"
    [survey] = outbox(db, "survey")
    assert survey.last_error == "mail to ann@example.org bounced (5.1.1)"


def _bounce_of(message_id: str) -> bytes:
    """The receiving server's report: mail ``message_id`` to ann@example.org failed (5.1.1)."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.desk.test>\r\n"
        "To: support@desk.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {new_id('mx.desk.test')}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n'
        "\r\n--r\r\nContent-Type: text/plain\r\n\r\nNo such user.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.desk.test\r\n\r\n"
        "Final-Recipient: rfc822; ann@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "\r\n--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: support@desk.test\r\nMessage-ID: {message_id}\r\n--r--\r\n"
    ).encode()


def test_a_bounce_after_the_survey_was_queued_withdraws_it(
    db: Database, admin: Actor, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    """The bounce of the acknowledgement came back while the survey waited for its next
    try (the server said "try later"): the survey stayed queued to the bounced address, and
    was stopped only if the sender happened to claim it again."""
    settings = server_settings(dovecot, smtp_server, retry_base=3600.0, retry_max=3600.0)
    service = MailService(db, IntakeOptions(settings))
    service.start()
    try:
        dovecot.append("INBOX", email(message_id=new_id(), subject="VPN broken"))
        [ack] = smtp_server.wait_for(1)
        ack_id = str(message_from_bytes(ack.raw, policy=policy.default)["Message-ID"])
        smtp_server.respond_with = "451 4.3.0 Try again later"
        [ticket] = tickets(db)
        with db.write() as session:
            fields.set_status(session, admin, ticket.number, "resolved")
        wait_until(lambda: outbox(db, "survey")[0].status == "retrying", what="survey waits")
        dovecot.append("INBOX", _bounce_of(ack_id))
        wait_until(lambda: outbox(db, "survey")[0].status == "withdrawn", what="withdrawn")
    finally:
        service.stop()
    [survey] = outbox(db, "survey")
    assert survey.last_error == "mail to ann@example.org bounced (5.1.1)"
    with db.read() as session:
        events = ticket_detail(session, ticket.number).events
    assert [e.new_value for e in events if e.kind == "survey"] == [
        "not sent: mail to ann@example.org bounced (5.1.1)"
    ]


def test_a_survey_queued_after_a_bounce_that_named_only_the_address_is_withdrawn(
    db: Database, admin: Actor, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    """A colleague answered ann from the shared address outside the desk, and that answer
    bounced for good: the report names no mail the desk sent, only ann's address. It
    withdrew the surveys waiting then (none); the survey queued when the ticket was
    resolved later went to the dead address all the same."""
    settings = server_settings(dovecot, smtp_server)
    send = sender(db, settings)
    first = new_id()
    dovecot.append("INBOX", email(message_id=first, subject="VPN broken"))
    assert poller(db, settings).run_once() == 1
    asyncio.run(send.send_due())
    assert len(smtp_server.messages) == 1, "the acknowledgement"
    [ticket] = tickets(db)
    answer_id = new_id("client.example.org")
    dovecot.append(
        "INBOX",
        email(
            sender=f"ACME Support <{DESK}>",
            to="ann@example.org",
            subject=f"Re: VPN broken [#{ticket.number}]",
            message_id=answer_id,
            in_reply_to=first,
            body="Reinstall the client, please.",
        ),
    )
    dovecot.append("INBOX", _bounce_of(answer_id))  # read in the same batch
    assert poller(db, settings).run_once() == 2
    assert [m.kind for m in messages(db, ticket.number)][-2:] == ["reply", "system"]

    resolve_and_expect_no_survey(db, admin, send, smtp_server, ticket.number)


def resolve_and_expect_no_survey(
    db: Database, admin: Actor, send: OutboxSender, smtp_server: SmtpServer, number: int
) -> None:
    """The ticket resolved by a reply after ann@example.org's mail bounced for good (5.1.1):
    the reply goes (an agent's call), its survey is withdrawn, saying why in the history."""
    with db.write() as session:
        thread.reply(session, admin, number, body="Fixed.", status_after=Status.RESOLVED)
    asyncio.run(send.send_due())  # the reply (an agent's call: the address may work again)
    asyncio.run(send.send_due())  # the survey's turn
    assert len(smtp_server.messages) == 2, "the acknowledgement and the reply, no survey"
    [survey] = outbox(db, "survey")
    why = "mail to ann@example.org bounced (5.1.1)"
    assert (survey.status, survey.last_error) == ("withdrawn", why)
    with db.read() as session:
        events = ticket_detail(session, number).events
    assert [e.new_value for e in events if e.kind == "survey"] == [f"not sent: {why}"]


def _resolved_and_replied(
    db: Database, admin: Actor, dovecot: ImapAccount, smtp_server: SmtpServer
) -> tuple[OutboxSender, MailSettings, int, str]:
    """ann's ticket acknowledged, then resolved by a reply that went out; its survey is due.
    (the sender, the settings, the ticket's number, the acknowledgement's Message-ID)."""
    settings = server_settings(dovecot, smtp_server)
    send = sender(db, settings)
    dovecot.append("INBOX", email(message_id=new_id(), subject="VPN broken"))
    assert poller(db, settings).run_once() == 1
    asyncio.run(send.send_due())
    [ack] = smtp_server.messages
    ack_id = str(message_from_bytes(ack.raw, policy=policy.default)["Message-ID"])
    [ticket] = tickets(db)
    with db.write() as session:
        thread.reply(session, admin, ticket.number, body="Fixed.", status_after=Status.RESOLVED)
    asyncio.run(send.send_due())
    assert len(smtp_server.messages) == 2, "the reply; the survey waited for it"
    return send, settings, ticket.number, ack_id


def _survey_history(db: Database, number: int) -> list[str | None]:
    with db.read() as session:
        return [e.new_value for e in ticket_detail(session, number).events if e.kind == "survey"]


def test_a_bounce_while_the_sender_holds_the_survey_stops_it(
    db: Database, admin: Actor, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    """The survey was claimed (``sending``) with bob's acknowledgement before it when the
    bounce of ann's acknowledgement came in: the bounce withdrew only surveys queued or
    waiting for a retry, so this one went out after the bounce had been recorded."""
    send, settings, number, ack_id = _resolved_and_replied(db, admin, dovecot, smtp_server)
    dovecot.append("INBOX", email(sender="Bob <bob@example.org>", subject="Scanner"))
    assert poller(db, settings).run_once() == 1
    [survey] = outbox(db, "survey")
    with db.write() as session:  # bob's acknowledgement waited for a retry: it goes first
        session.execute(
            update(Outbox)
            .where(col(Outbox.to_addresses) == "bob@example.org")
            .values(next_attempt_at=survey.next_attempt_at - timedelta(seconds=1))
        )

    def bounce_comes_in(recipients: list[str]) -> None:  # claimed: bob's mail on the wire
        assert recipients == ["bob@example.org"]
        smtp_server.on_data = None
        dovecot.append("INBOX", _bounce_of(ack_id))
        assert poller(db, settings).run_once() == 1

    smtp_server.on_data = bounce_comes_in
    assert asyncio.run(send.send_due()).sent == 1

    assert [m.rcpt_tos for m in smtp_server.messages][2:] == [("bob@example.org",)]
    [survey] = outbox(db, "survey")
    assert (survey.status, survey.sent_at) == ("withdrawn", None)
    assert _survey_history(db, number) == ["not sent: mail to ann@example.org bounced (5.1.1)"]
    asyncio.run(send.send_due())
    assert len(smtp_server.messages) == 3 and outbox(db, "survey")[0].status == "withdrawn"


@pytest.mark.parametrize("server", ["accepts", "says try later"])
def test_a_bounce_while_the_survey_is_on_the_wire_leaves_an_honest_record(
    db: Database, admin: Actor, dovecot: ImapAccount, smtp_server: SmtpServer, server: str
) -> None:
    """The bounce comes in while the survey's bytes are on their way: it cannot be called
    back. Taken by the server, it is recorded as sent, after the withdrawal in the history
    (and its own bounce then marks it bounced); refused for now, it is not tried again."""
    send, settings, number, ack_id = _resolved_and_replied(db, admin, dovecot, smtp_server)

    def bounce_comes_in(recipients: list[str]) -> None:
        smtp_server.on_data = None
        dovecot.append("INBOX", _bounce_of(ack_id))
        assert poller(db, settings).run_once() == 1

    smtp_server.on_data = bounce_comes_in
    if server != "accepts":
        smtp_server.respond_with = "451 4.3.0 Try again later"
    asyncio.run(send.send_due())
    smtp_server.respond_with = None

    [survey] = outbox(db, "survey")
    withdrawn = "not sent: mail to ann@example.org bounced (5.1.1)"
    if server != "accepts":
        assert (survey.status, len(smtp_server.messages)) == ("withdrawn", 2)
        assert _survey_history(db, number) == [withdrawn]
        asyncio.run(send.send_due())
        assert len(smtp_server.messages) == 2, "not tried again"
        return
    assert (survey.status, len(smtp_server.messages)) == ("sent", 3)
    assert survey.sent_at is not None
    assert _survey_history(db, number) == [
        withdrawn,
        "sent all the same: on its way when it was withdrawn "
        "(mail to ann@example.org bounced (5.1.1))",
    ]
    dovecot.append("INBOX", _bounce_of(survey.email_message_id or ""))
    assert poller(db, settings).run_once() == 1
    assert outbox(db, "survey")[0].status == "bounced"


@on_sqlite_only(
    "tests/mail/test_rating_concern_mail.py::"
    "test_a_rating_concern_is_mailed_to_the_assignee_or_the_team_s_supervisors"
)
def test_a_rating_that_reports_a_problem_by_mail_reaches_the_assignee(
    db: Database, admin: Actor, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    """ "4 stars but the VPN is still down": the rating is recorded and the ticket stays
    resolved (it was, and no one was told); now it is tagged follow-up and its assignee's
    alert line says so."""
    service = MailService(db, IntakeOptions(server_settings(dovecot, smtp_server)))
    service.start()
    try:
        number, subject, survey_id = _survey_for_new_ticket(db, admin, dovecot, smtp_server)
        with db.write() as session:
            fields.assign(session, admin, number, agent="ada")
        dovecot.append(
            "INBOX",
            email(
                subject=f"Re: {subject}",
                in_reply_to=survey_id,
                body="4 stars but the VPN is still down\n\n> How did we do?",
            ),
        )
        desk = Desk(db, admin)
        wait_until(lambda: dovecot.list_uids("INBOX") == [], what="answer read")
    finally:
        service.stop()
    rating = desk.satisfaction_of(number)
    assert rating is not None and (rating.score, rating.comment) == (4, "but the VPN is still down")
    [ticket] = tickets(db)
    assert ticket.status == Status.RESOLVED
    with db.read() as session:
        assert ticket_detail(session, number).tags == ["follow-up"]
    [alert] = [a for a in desk.sla_alerts_since(0, limit=10) if a.number == number]
    assert alert.text == (
        f"#{number}: rated 4/5, the comment reports a problem — follow up: "
        "but the VPN is still down"
    )
