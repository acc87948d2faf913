"""Fixed mail scenes for the mail screen, held-mail and failed-reply tests and snapshots.

Mail is configured (so the indicator and the state show) but ``run_in_tui`` is off: no
service runs, and everything on screen comes from rows written here at set times.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import time_machine
from sqlmodel import col, select

from helpdesk_tui.config import IntakeOptions, Settings
from helpdesk_tui.desk import outbox, quarantine, thread
from helpdesk_tui.desk.mailstate import record_poll
from helpdesk_tui.mail.ingest import IngestConfig, ingest
from helpdesk_tui.mail_settings import MailboxSettings, MailSettings
from helpdesk_tui.storage.models import Outbox, RawMessage
from tests.mail.mailbuild import email, mail_settings
from tests.mail.test_ingest_quarantine import nested_too_deep
from tests.mail.test_intake_scenarios import delivery_report
from tests.screens.conftest import FROZEN_NOW, DeskData
from tests.screens.snapshot_setup import busy_thread

HOSTILE_SENDER = "Mallory \x1b[31mRed <mallory@example.com>"
HOSTILE_SUBJECT = "[bold red]Pay now[/] \x1b]52;c;aGVsbG8=\x07invoice"
BAD_DAY = "could not be processed: RuntimeError: the ticket store is having a bad day"
IMAP_ERROR = "cannot connect to imap.example.com:993: Connection refused"
REJECTED = "550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown"
BOUNCE_ID = "<bounced.1@desk.test>"
BOUNCE_DIAGNOSTIC = "smtp; 550 5.1.1 <ben@example.com>: User unknown"


def desk_mail(**overrides: object) -> MailSettings:
    """One mailbox, no service in the app (unless overridden)."""
    box = MailboxSettings(host="imap.example.com", user="support@desk.test")
    values: dict[str, object] = {"mailboxes": {"support": box}, "run_in_tui": False}
    values.update(overrides)
    return mail_settings(**values)


def mail_app_settings(desk: DeskData, **overrides: object) -> Settings:
    return Settings(database_url=desk.db.url, mail=desk_mail(**overrides))


def _at(minutes: int) -> time_machine.travel:
    return time_machine.travel(FROZEN_NOW - timedelta(minutes=minutes), tick=False)


def held_mail(desk: DeskData) -> dict[str, int]:
    """Two quarantined messages (one retry would cure), one spam, a failed poll; their ids."""
    config = IngestConfig.from_options(IntakeOptions(desk_mail(), "Desk Support"))
    with _at(50), desk.db.write() as session:
        ingest(session, nested_too_deep(), config)
    with _at(30), desk.db.write() as session:
        lottery = email(
            sender="win@lottery.example",
            subject="You won!",
            message_id="<lottery@lottery.example>",
            headers=["X-Spam-Flag: YES"],
        )
        ingest(session, lottery, config)
    raw = email(
        sender=HOSTILE_SENDER,
        subject=HOSTILE_SUBJECT,
        message_id="<pay-now@example.com>",
        body="Pay \x1b[2J now.",
    )
    with _at(20), desk.db.write() as session:
        stored = RawMessage(sha256=hashlib.sha256(raw).hexdigest(), content=raw)
        session.add(stored)
        session.flush()
        cured = quarantine.hold(
            session,
            stored.id or 0,
            BAD_DAY,
            mailbox="support",
            from_hint=HOSTILE_SENDER,
            subject_hint=HOSTILE_SUBJECT,
        )
    with desk.db.write() as session:
        record_poll(session, "support", "INBOX", backlog=2, now=FROZEN_NOW - timedelta(minutes=3))
        record_poll(session, "support", "INBOX", error=IMAP_ERROR, now=FROZEN_NOW)
    with desk.db.read() as session:
        dolls = quarantine.list_held(session)[-1]
    return {"cured": cured.id or 0, "dolls": dolls.id or 0}


def held_machine_mail(desk: DeskData) -> None:
    """``held_mail`` and two messages held as machine mail: a web form that sends as the desk,
    and a bounce of mail the desk never sent."""
    held_mail(desk)
    config = IngestConfig.from_options(IntakeOptions(desk_mail(), "Desk Support"))
    form = email(
        sender="Website <support@desk.test>",
        subject="Contact form: cannot log in",
        message_id="<form.1@desk.test>",
        headers=["Reply-To: Wanda <wanda@example.net>"],
    )
    with _at(12), desk.db.write() as session:
        ingest(session, delivery_report("<backscatter@elsewhere.example>"), config)
    with _at(8), desk.db.write() as session:
        ingest(session, form, config)


def failed_reply(desk: DeskData) -> int:
    """The busy printer ticket with a reply that was sent and a later one SMTP refused."""
    number = busy_thread(desk)
    with _at(45), desk.db.write() as session:
        sent = thread.reply(session, desk.ada, number, body="The technician is booked.")
    with _at(10), desk.db.write() as session:
        failed = thread.reply(session, desk.ada, number, body="Did the technician come?")
    with desk.db.write() as session:
        rows = session.exec(select(Outbox).where(col(Outbox.message_id).in_([sent, failed]))).all()
        for row in rows:
            if row.message_id == sent:
                row.status, row.attempts = "sent", 1
                row.sent_at = FROZEN_NOW - timedelta(minutes=44)
            else:
                row.status, row.attempts, row.last_error = "failed", 8, REJECTED
            session.add(row)
    return number


def bounced_reply(desk: DeskData) -> int:
    """The VPN ticket with one reply the server accepted and a delivery report returned."""
    number = desk.numbers["vpn"]
    with _at(30), desk.db.write() as session:
        reply = thread.reply(session, desk.ada, number, body="Please try the other gateway.")
    with desk.db.write() as session:
        row = session.exec(select(Outbox).where(col(Outbox.message_id) == reply)).one()
        row.status, row.attempts, row.email_message_id = "sent", 1, BOUNCE_ID
        row.sent_at = FROZEN_NOW - timedelta(minutes=29)
        session.add(row)
        session.flush()
        outbox.record_bounce(
            session,
            BOUNCE_ID,
            dsn_status="5.1.1",
            diagnostic=BOUNCE_DIAGNOSTIC,
            now=FROZEN_NOW - timedelta(minutes=25),
        )
    return number
