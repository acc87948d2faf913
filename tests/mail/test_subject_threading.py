"""Subjects in and out of ingest: every token is tried, what goes out has one Re: and one token.

On SQLite and PostgreSQL, through the ingest entry point, the agent's reply and the sender.
"""

from __future__ import annotations

import pytest

from helpdesk_tui.desk import thread
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.subjects import ticket_tokens
from helpdesk_tui.mail.ingest import IngestConfig, IngestResult, ingest
from helpdesk_tui.mail.outbox_sender import OutboxSender
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import Outcome
from helpdesk_tui.storage.models import Ticket

from .mailbuild import config_for, email, mail_settings, messages, on_sqlite_only, outbox

WORDED = on_sqlite_only(
    "tests/mail/test_subject_threading.py::"
    "test_acknowledgement_and_replies_carry_one_re_and_one_token"
)
"""How an acknowledgement's subject is worded from its template: queued as every one is."""

pytestmark = pytest.mark.usefixtures("admin")


@pytest.fixture
def config() -> IngestConfig:
    return config_for(mail_settings())


def receive(db: Database, config: IngestConfig, raw: bytes) -> IngestResult:
    with db.write() as session:
        return ingest(session, raw, config)


def test_a_token_the_sender_may_not_use_does_not_hide_one_they_may(
    db: Database, config: IngestConfig
) -> None:
    anns = receive(db, config, email(subject="Printer")).ticket_number
    bobs = receive(
        db, config, email(sender="Bob <bob@example.net>", subject="Scanner")
    ).ticket_number
    assert anns is not None and bobs is not None and bobs > anns

    # Ann names Bob's (newer) ticket too; hers is the one she may write into.
    result = receive(db, config, email(subject=f"Re: Printer [#{anns}], like [#{bobs}]"))

    assert (result.outcome, result.ticket_number) == (Outcome.FOLLOW_UP, anns)
    assert len(messages(db, bobs)) == 1


def test_the_newest_ticket_wins_when_the_sender_may_use_several(
    db: Database, config: IngestConfig
) -> None:
    first = receive(db, config, email(subject="Printer")).ticket_number
    second = receive(db, config, email(subject="Scanner")).ticket_number
    assert first is not None and second is not None and second > first

    # A reply to an acknowledgement of the old style: the new ticket's token comes first,
    # the old one the customer quoted last.
    result = receive(db, config, email(subject=f"Re: [#{second}] Received: Re: Printer [#{first}]"))

    assert (result.outcome, result.ticket_number) == (Outcome.FOLLOW_UP, second)


def test_acknowledgement_and_replies_carry_one_re_and_one_token(
    db: Database, config: IngestConfig, admin: Actor
) -> None:
    # A stranger's token does not thread; it must not travel on either.
    strangers = receive(db, config, email(sender="x@example.net", subject="Other")).ticket_number
    result = receive(db, config, email(subject=f"Re: AW: Re: Printer on fire [#{strangers}]"))
    number = result.ticket_number
    assert result.outcome is Outcome.TICKET and number is not None

    ack = outbox(db, "ack")[-1]
    assert ack.subject == f"Re: Printer on fire [#{number}]"
    with db.write() as session:
        thread.reply(session, admin, number, body="Unplug it.")
    reply = outbox(db, "reply")[-1]
    assert reply.subject == f"Re: Printer on fire [#{number}]"

    # The sender keeps it that way, whatever a row says.
    settings = mail_settings(smtp={"host": "127.0.0.1", "port": 1, "security": "none"})
    sender = OutboxSender(db, settings, config_for(settings).signer)
    with db.read() as session:
        ticket = session.get(Ticket, reply.ticket_id)
        reply.subject = f"Re: Re: [#{strangers}] Printer on fire [#{number}]"
        built = sender.build(reply, ticket)
    assert built["Subject"] == f"Re: Printer on fire [#{number}]"
    assert ticket_tokens(built["Subject"]) == [number]
    reply.subject = "Hi\r\nBcc: victim@example.org"
    assert sender.build(reply, ticket)["Subject"] == f"Re: Hi Bcc: victim@example.org [#{number}]"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Received: {subject} (ticket {number})", "Re: Received: Printer (ticket {n}) [#{n}]"),
        ("[#{number}] {desk}: {subject}", "Re: Desk Support: Printer [#{n}]"),
        # The template of earlier versions, kept in a config file.
        ("[#{number}] Received: {subject}", "Re: Printer [#{n}]"),
    ],
)
@WORDED
def test_a_custom_acknowledgement_template_still_goes_out_with_one_re_and_one_token(
    db: Database, template: str, expected: str
) -> None:
    config = config_for(mail_settings(ack_subject=template))
    number = receive(db, config, email(subject="Re: Re: Printer")).ticket_number

    assert outbox(db, "ack")[-1].subject == expected.format(n=number)


def test_the_acknowledgement_names_the_desk_as_its_admin_named_it(
    db: Database, admin: Actor
) -> None:
    """The mail runner's config names only a desk never named: once an admin names it,
    every terminal and the acknowledgements say the same name."""
    from helpdesk_tui.desk.facade import Desk

    config = config_for(mail_settings(ack_subject="{desk}: {subject}"))
    Desk(db, admin).desk_set_name("Walk4 Desk")
    number = receive(db, config, email(subject="Printer")).ticket_number

    assert outbox(db, "ack")[-1].subject == f"Re: Walk4 Desk: Printer [#{number}]"
