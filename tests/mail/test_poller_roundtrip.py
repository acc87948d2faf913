"""The whole loop through real servers: customer mail → ticket → ack out → customer replies."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from helpdesk_tui.config import IntakeOptions
from helpdesk_tui.desk import thread
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.mail.service import MailService
from helpdesk_tui.storage.database import Database

from .mailbuild import (
    email,
    messages,
    new_id,
    on_sqlite_only,
    server_settings,
    sqlite_database,
    tickets,
)
from .servers import ImapAccount, SmtpServer
from .test_poller import wait_until


@pytest.fixture
def sqlite_db(tmp_path: Path, _migrated_sqlite: Path) -> Iterator[Database]:
    yield from sqlite_database(tmp_path, _migrated_sqlite)


def test_customer_replies_to_the_acknowledgement_and_the_agent_answers_in_thread(
    db: Database, admin: Actor, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    settings = server_settings(dovecot, smtp_server)
    service = MailService(db, IntakeOptions(settings))
    service.start()
    try:
        first_id = new_id()
        dovecot.append("INBOX", email(message_id=first_id, subject="VPN broken"))
        [ack] = smtp_server.wait_for(1)
        ack_mail = message_from_bytes(ack.raw, policy=policy.default)
        [ticket] = tickets(db)
        assert f"[#{ticket.number}]" in ack_mail["Subject"]
        assert ack.rcpt_tos == ("ann@example.org",)

        # The customer's client answers the acknowledgement: only its headers link them.
        dovecot.append(
            "INBOX",
            email(
                subject="Re: your ticket",
                in_reply_to=ack_mail["Message-ID"],
                references=[first_id, ack_mail["Message-ID"]],
                body="Still broken this morning.",
            ),
        )
        wait_until(lambda: len(messages(db, ticket.number)) == 2, what="follow-up")
        assert len(tickets(db)) == 1
        last_customer_id = messages(db, ticket.number)[-1].email_message_id

        with db.write() as session:
            thread.reply(session, admin, ticket.number, body="Restart the client, please.")
        reply = smtp_server.wait_for(2)[-1]
        reply_mail = message_from_bytes(reply.raw, policy=policy.default)
        assert reply_mail["In-Reply-To"] == last_customer_id
        assert first_id in reply_mail["References"]
        assert f"[#{ticket.number}]" in reply_mail["Subject"]
        wait_until(lambda: dovecot.list_uids("INBOX") == [], what="inbox emptied")
    finally:
        service.stop()
    assert len(smtp_server.messages) == 2, "one acknowledgement (not for the follow-up), one reply"


@on_sqlite_only(
    "tests/mail/test_poller_roundtrip.py::"
    "test_customer_replies_to_the_acknowledgement_and_the_agent_answers_in_thread"
)  # (the decoding and stripping of a subject and a name: the mail code's)
def test_escape_sequences_in_subject_and_name_reach_neither_ticket_nor_acknowledgement(
    db: Database, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    """Stripping only the ESC of ``ESC[2J`` or an OSC title left ``[2J`` and ``]0;pwned``
    in the queue, on the ticket and in the acknowledgement the customer got back."""

    def word(text: str) -> str:
        return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="

    name, subject = word("Eve \x1b]0;pwned\x07Evil"), word("VPN \x1b[2J\x1b[Hbroken \x1b[31mnow")
    dovecot.append("INBOX", email(sender=f"{name} <eve@example.org>", subject=subject))
    settings = server_settings(dovecot, smtp_server)
    service = MailService(db, IntakeOptions(settings))
    service.start()
    try:
        [ack] = smtp_server.wait_for(1)
    finally:
        service.stop()

    [ticket] = tickets(db)
    assert ticket.subject == "VPN broken now"
    ack_mail = message_from_bytes(ack.raw, policy=policy.default)
    assert ack_mail["Subject"] == f"Re: VPN broken now [#{ticket.number}]"
    text = ack_mail.get_content()
    assert text.startswith("Hello Eve Evil,") and "[2J" not in text and "pwned" not in text


def test_an_answer_threads_under_the_customers_mail_not_their_auto_reply(
    db: Database, admin: Actor, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    """An out-of-office noted on the ticket was the last message with a Message-ID, so the
    agent's answer went out "In-Reply-To" the customer's auto-reply."""
    settings = server_settings(dovecot, smtp_server)
    service = MailService(db, IntakeOptions(settings))
    service.start()
    try:
        first_id = new_id()
        dovecot.append("INBOX", email(message_id=first_id, subject="VPN broken"))
        [ack] = smtp_server.wait_for(1)
        ack_id = message_from_bytes(ack.raw, policy=policy.default)["Message-ID"]
        [ticket] = tickets(db)
        away_id = new_id()
        dovecot.append(
            "INBOX",
            email(
                message_id=away_id,
                subject="Automatic reply: VPN broken",
                in_reply_to=ack_id,
                headers=["Auto-Submitted: auto-replied"],
                body="I am away until Monday.",
            ),
        )
        wait_until(lambda: len(messages(db, ticket.number)) == 2, what="auto-reply noted")
        assert messages(db, ticket.number)[-1].kind == "system"
        with db.write() as session:
            thread.reply(session, admin, ticket.number, body="Restart the client, please.")
        reply = message_from_bytes(smtp_server.wait_for(2)[-1].raw, policy=policy.default)
    finally:
        service.stop()
    assert reply["In-Reply-To"] == first_id
    assert away_id not in str(reply["References"]) and first_id in str(reply["References"])
