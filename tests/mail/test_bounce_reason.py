"""A bounce's reason is what its delivery-status part says, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from helpdesk_tui.desk.outbox import OutboxStatus
from helpdesk_tui.mail.ingest import ingest
from helpdesk_tui.mail.outbox_sender import OutboxSender
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import Outcome
from helpdesk_tui.storage.models import utcnow

from .mailbuild import DESK, config_for, email, mail_settings, outbox

pytestmark = pytest.mark.usefixtures("admin")


def test_bounce_reason_names_status_recipient_and_diagnostic(db: Database) -> None:
    settings = mail_settings(smtp={"host": "127.0.0.1", "port": 1, "security": "none"})
    config = config_for(settings)
    with db.write() as session:
        number = ingest(session, email(sender="gone@example.org"), config).ticket_number
    OutboxSender(db, settings, config.signer).claim(utcnow())
    [ack] = outbox(db, "ack")
    report = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.desk.test>\r\n"
        f"To: {DESK}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-2@mx.desk.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\n"
        "This is the mail system at host mx.desk.test.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.desk.test\r\n\r\n"
        "Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>:\r\n"
        "    Recipient address rejected: User unknown\r\n\r\n"
        "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {DESK}\r\nMessage-ID: {ack.email_message_id}\r\n"
        "--r--\r\n"
    ).encode()

    with db.write() as session:
        result = ingest(session, report, config)

    assert (result.outcome, result.ticket_number) == (Outcome.BOUNCE, number)
    [ack] = outbox(db, "ack")
    assert (ack.status, ack.dsn_status) == (OutboxStatus.BOUNCED, "5.1.1")
    assert ack.dsn_diagnostic == (
        "smtp; 550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown"
    )
