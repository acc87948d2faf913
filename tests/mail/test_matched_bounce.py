"""A delivery report about mail the desk sent names every recipient that failed for good;
each keeps its hard bounce (so no survey goes there), except our own addresses: the desk's,
its mailboxes' and its agents'. The same rule as for a report that matches no mail. In
process, on SQLite and PostgreSQL (the path is the poller's without the IMAP round trip)."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import add_agent, set_active
from helpdesk_tui.desk.outbox import BOUNCES_PER_REPORT, OutboxStatus
from helpdesk_tui.mail.ingest import IngestConfig, ingest
from helpdesk_tui.mail.outbox_sender import OutboxSender
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import BouncedAddress, Outcome
from helpdesk_tui.storage.models import utcnow

from .mailbuild import DESK, config_for, email, mail_settings, outbox
from .test_unmatched_bounce import _block, _report

AGENT = "bob.agent@corp.test"
FORMER = "cat.former@corp.test"
MAILBOX = "inbox@desk.test"


@pytest.fixture
def config(db: Database, admin: Actor) -> IngestConfig:
    with db.write() as session:
        add_agent(session, admin, "bob", name="Bob Agent", email="Bob.Agent@corp.test")
        add_agent(session, admin, "cat", name="Cat Former", email="Cat.Former@corp.test")
        set_active(session, admin, "cat", False)
    box = {"host": "127.0.0.1", "port": 1, "security": "none", "user": MAILBOX}
    settings = mail_settings(
        smtp={"host": "127.0.0.1", "port": 1, "security": "none"}, mailboxes={"support": box}
    )
    return config_for(settings)


def _acknowledged(db: Database, config: IngestConfig) -> tuple[int | None, str]:
    """A ticket from ann, and the Message-ID of its acknowledgement, claimed to be sent."""
    with db.write() as session:
        number = ingest(session, email(), config).ticket_number
    settings = mail_settings(smtp={"host": "127.0.0.1", "port": 1, "security": "none"})
    OutboxSender(db, settings, config.signer).claim(utcnow())
    [ack] = outbox(db, "ack")
    assert ack.email_message_id is not None
    return number, ack.email_message_id


def _bounced(db: Database) -> dict[str, str | None]:
    with db.read() as session:
        rows = session.exec(select(BouncedAddress).order_by(col(BouncedAddress.address)))
        return {row.address: row.dsn_status for row in rows}


def test_a_report_on_our_mail_keeps_every_hard_bounced_recipient(
    db: Database, config: IngestConfig
) -> None:
    """A report on the acknowledgement naming three recipients failed for good kept only
    the first: the others' surveys went to dead addresses. Delayed and 4.x.x ones, and a
    list of addresses, record nothing, as for a report that matches no mail."""
    number, message_id = _acknowledged(db, config)
    report = _report(
        _block("ann@example.org"),
        _block("dee@example.org", action="delayed", status="4.4.7"),
        _block("cy@example.org", status="5.2.2"),
        _block("eve@example.org, fay@example.org"),
        _block("gil@example.org", status="5.7.1"),
        returned=message_id,
    )
    with db.write() as session:
        result = ingest(session, report, config)

    assert (result.outcome, result.ticket_number) == (Outcome.BOUNCE, number)
    [ack] = outbox(db, "ack")
    assert (ack.status, ack.dsn_status) == (OutboxStatus.BOUNCED, "5.1.1")
    assert _bounced(db) == {
        "ann@example.org": "5.1.1",
        "cy@example.org": "5.2.2",
        "gil@example.org": "5.7.1",
    }


def test_a_report_on_our_mail_keeps_at_most_the_first_few(
    db: Database, config: IngestConfig
) -> None:
    _, message_id = _acknowledged(db, config)
    blocks = [_block(f"c{n:02d}@example.org") for n in range(30)]
    with db.write() as session:
        ingest(session, _report(*blocks, returned=message_id), config)
    assert sorted(_bounced(db)) == [f"c{n:02d}@example.org" for n in range(BOUNCES_PER_REPORT)]


@pytest.mark.parametrize("matched", [True, False], ids=["on our mail", "on no mail"])
def test_our_own_addresses_never_keep_a_hard_bounce(
    db: Database, config: IngestConfig, matched: bool
) -> None:
    """An agent's address (copied on a reply), a deactivated agent's (copied on an old
    thread: recorded as bounced, it would hold her surveys once she is active again), a
    mailbox's and the desk's From failed too: none of them is a customer whose survey must
    be held. Whether the report names mail the desk sent or none, one definition of our
    addresses."""
    _, message_id = _acknowledged(db, config)
    report = _report(
        _block(AGENT),
        _block(FORMER),
        _block(MAILBOX),
        _block(DESK),
        _block("ann@example.org"),
        returned=message_id if matched else "<elsewhere.1@example.net>",
    )
    with db.write() as session:
        result = ingest(session, report, config)
    assert result.outcome == (Outcome.BOUNCE if matched else Outcome.MACHINE)
    assert _bounced(db) == {"ann@example.org": "5.1.1"}


def test_a_report_found_by_the_ticket_number_alone_keeps_its_hard_bounces(
    db: Database, config: IngestConfig
) -> None:
    """A report that returned no headers, sent from the customer's own address with the
    ticket's number in its subject, is recorded on that ticket: its hard bounces are kept
    all the same (none was)."""
    number, _ = _acknowledged(db, config)
    report = (
        _report(_block("ann.old@example.org"), _block(AGENT))
        .replace(b"Mail Delivery System <MAILER-DAEMON@mx.desk.test>", b"ann@example.org")
        .replace(b"Returned to Sender", f"Returned to Sender [#{number}]".encode())
    )
    with db.write() as session:
        result = ingest(session, report, config)
    assert (result.outcome, result.ticket_number) == (Outcome.BOUNCE, number)
    assert _bounced(db) == {"ann.old@example.org": "5.1.1"}
