"""A delivery report that matches none of the desk's mail (a colleague wrote from the shared
address, the returned headers were cut off, a mail from before the desk) is held apart as
machine mail; the recipients it names as failed for good keep their hard bounce all the same,
so no survey goes to them. Through real Dovecot and SMTP."""

from __future__ import annotations

import asyncio

from sqlmodel import col, select

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.inbound import ReportedRecipient
from helpdesk_tui.desk.outbox import BOUNCES_PER_REPORT, failed_for_good, hard_bounces
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import BouncedAddress, MachineMail

from .mailbuild import DESK, email, new_id, server_settings, tickets
from .servers import ImapAccount, SmtpServer
from .test_outbox import sender
from .test_poller import poller
from .test_survey_roundtrip import resolve_and_expect_no_survey


def _report(*blocks: str, returned: str | None = None) -> bytes:
    """A DSN from the receiving server with these per-recipient blocks; the returned
    headers (``returned``) name a Message-ID the desk never sent, or are left out."""
    body = "".join(f"{block.strip()}\r\n\r\n" for block in blocks)
    tail = (
        f"--r\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: {DESK}\r\n"
        f"Message-ID: {returned}\r\n"
        if returned
        else ""
    )
    return (
        (
            "From: Mail Delivery System <MAILER-DAEMON@mx.desk.test>\r\n"
            f"To: {DESK}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            f"Message-ID: {new_id('mx.desk.test')}\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n'
            "\r\n--r\r\nContent-Type: text/plain\r\n\r\nYour mail could not be delivered.\r\n"
            "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.desk.test\r\n\r\n"
            f"{body}{tail}--r--\r\n"
        )
        .replace("\r\n", "\n")
        .replace("\n", "\r\n")
        .encode()
    )


def _block(address: str, action: str = "failed", status: str = "5.1.1") -> str:
    return f"Final-Recipient: rfc822; {address}\nAction: {action}\nStatus: {status}"


def _bounced(db: Database) -> dict[str, str | None]:
    with db.read() as session:
        rows = session.exec(select(BouncedAddress).order_by(col(BouncedAddress.address)))
        return {row.address: row.dsn_status for row in rows}


def _held(db: Database) -> list[MachineMail]:
    with db.read() as session:
        return list(session.exec(select(MachineMail).order_by(col(MachineMail.id))))


def test_a_bounce_that_matches_no_mail_keeps_its_hard_bounces_and_holds_the_survey(
    db: Database, admin: Actor, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    """A colleague wrote to ann from their own mail program through the shared address, and
    it bounced: the report names no mail the desk knows. It was held apart, and ann's survey
    went to the dead address when her ticket was resolved. Now her hard bounce is kept (and
    the report still held apart), and frank's and hugo's, failed with a status nobody can
    read or none; a delayed or 4.x.x recipient, our own address, a list of addresses and a
    block without an Action record nothing."""
    settings = server_settings(dovecot, smtp_server)
    send = sender(db, settings)
    dovecot.append("INBOX", email(message_id=new_id(), subject="VPN broken"))
    assert poller(db, settings).run_once() == 1
    asyncio.run(send.send_due())
    assert len(smtp_server.messages) == 1, "the acknowledgement"
    [ticket] = tickets(db)
    dovecot.append(
        "INBOX",
        _report(
            _block("ann@example.org"),
            _block("bob@example.org", action="delayed", status="4.4.7"),
            _block("carol@example.org", status="4.2.2"),
            _block(DESK),
            _block("dave@example.org, eve@example.org"),
            _block("frank@example.org", status="five"),
            "Final-Recipient: rfc822; gina@example.org\nStatus: 5.1.1",
            "Final-Recipient: rfc822; hugo@example.org\nAction: failed",
            returned=new_id("elsewhere.example.org"),
        ),
    )
    assert poller(db, settings).run_once() == 1
    [held] = _held(db)
    assert held.kind == "bounce"
    assert _bounced(db) == {
        "ann@example.org": "5.1.1",
        "frank@example.org": None,
        "hugo@example.org": None,
    }

    resolve_and_expect_no_survey(db, admin, send, smtp_server, ticket.number)


def test_a_report_naming_many_recipients_keeps_only_the_first_few(
    db: Database, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    """A forged report listing 80 customers as failed would hold all their surveys: only
    the first :data:`BOUNCES_PER_REPORT` count, and the report is held apart as before."""
    settings = server_settings(dovecot, smtp_server)
    blocks = [_block(f"c{n:02d}@example.org") for n in range(80)]
    dovecot.append("INBOX", _report(*blocks))
    assert poller(db, settings).run_once() == 1
    assert len(_held(db)) == 1
    assert sorted(_bounced(db)) == [f"c{n:02d}@example.org" for n in range(BOUNCES_PER_REPORT)]


def test_which_recipients_bounced_for_good() -> None:
    """The rule itself, on what hostile reports write."""
    found = hard_bounces(
        [
            ReportedRecipient("<Ann@Example.org>", "Failed", "5.1.1"),
            ReportedRecipient("ann@example.org", "failed", "5.2.2"),  # once
            ReportedRecipient("bob@example.org", "delayed", "5.1.1"),
            ReportedRecipient("carol@example.org", "failed", "4.4.1"),
            ReportedRecipient("dan@example.org", "failed", None),
            ReportedRecipient("erin@example.org", "failed", "5.1.1 (user unknown)"),
            ReportedRecipient(None, "failed", "5.1.1"),
            ReportedRecipient("support@desk.test", "failed", "5.1.1"),
            ReportedRecipient("x@example.org\r\nBcc: y@example.org", "failed", "5.1.1"),
            ReportedRecipient("\x1b[31mred@example.org", "failed", "5.1.1"),
            ReportedRecipient("a" * 400 + "@example.org", "failed", "5.1.1"),
            ReportedRecipient("fay@example.org", "failed", "5.7.1"),
            ReportedRecipient("gus@example.org", "failed", "n/a"),
            ReportedRecipient("hal@example.org", "failed", "2.0.0"),
            ReportedRecipient("ivy@example.org", None, "5.1.1"),
        ],
        ours={"support@desk.test"},
    )
    assert found == [
        ("ann@example.org", "5.1.1"),
        ("dan@example.org", None),
        ("erin@example.org", "5.1.1"),
        ("fay@example.org", "5.7.1"),
        ("gus@example.org", None),
    ]


def test_a_failed_action_is_a_hard_bounce_unless_its_status_says_transient() -> None:
    """RFC 3464: ``Action: failed`` is the reporting MTA's word that it gave up on the
    recipient; the Status only says why. A report that leaves the Status out (or writes
    one nobody can read) kept nothing, and the next survey went to the dead address."""
    assert failed_for_good("failed", None) == (True, None)
    assert failed_for_good(" FAILED ", "") == (True, None)
    assert failed_for_good("failed", "five") == (True, None)
    assert failed_for_good("failed", "5.1.10") == (True, "5.1.10")
    assert failed_for_good("failed", "4.4.7") == (False, "4.4.7")
    assert failed_for_good("failed", "2.0.0") == (False, "2.0.0")
    assert failed_for_good("delayed", "5.1.1") == (False, None)
    assert failed_for_good(None, "5.1.1") == (False, None)
