"""Building test mail and the mail settings that point at the test servers."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlmodel import col, select

from helpdesk_tui.config import IntakeOptions
from helpdesk_tui.mail.ingest import IngestConfig
from helpdesk_tui.mail_settings import MailboxSettings, MailSettings, SmtpSettings
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Message, Outbox, Ticket
from tests.mail.servers import ImapAccount, SmtpServer

DESK = "support@desk.test"
SECRET = "test-secret-0123456789abcdef"
_ids = itertools.count(1)


def on_sqlite_only(covered_on_postgres_by: str) -> pytest.MarkDecorator:
    """For a test of what the mail code does with mail (parsing, classifying, IMAP batches,
    wording): its desk calls write and read as every intake does, and
    ``covered_on_postgres_by`` names the test that runs those calls on PostgreSQL. A second
    engine would only run the same mail code again (the suite's rule: a test runs on both
    engines when what it checks passes through SQL whose meaning can differ)."""
    assert "::" in covered_on_postgres_by, "name the file and the test"
    return pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def new_id(domain: str = "example.org") -> str:
    return f"<m{next(_ids)}.{id(_ids)}@{domain}>"


def email(
    *,
    sender: str = "Ann Customer <ann@example.org>",
    to: str = DESK,
    subject: str = "Printer on fire",
    message_id: str | None = "auto",
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    body: str = "It is still burning.",
    headers: Sequence[str] = (),
) -> bytes:
    """A simple text/plain message as raw CRLF bytes."""
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}"]
    if message_id == "auto":
        message_id = new_id()
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    if in_reply_to:
        lines.append(f"In-Reply-To: {in_reply_to}")
    if references:
        lines.append(f"References: {' '.join(references)}")
    lines += [*headers, "Date: Mon, 23 Nov 2026 10:00:00 +0000", "", *body.splitlines()]
    return "".join(f"{line}\r\n" for line in lines).encode()


def mail_settings(**overrides: object) -> MailSettings:
    """Settings with no servers (ingest-only tests); add mailboxes/smtp with overrides."""
    values: dict[str, object] = {
        "addresses": [DESK, "help@desk.test"],
        "display_name": "Desk Support",
        "message_id_secret": SECRET,
        "ack_limit_per_hour": 3,
        "max_attachment_bytes": 10_000,
        "poll_interval": 0.5,
        "reconnect_max": 1.0,
        "lease_seconds": 3.0,
        "outbox_interval": 0.1,
        "retry_base": 0.2,
        "retry_max": 0.5,
        "send_attempts": 50,
    }
    values.update(overrides)
    return MailSettings.model_validate(values)


def server_settings(
    dovecot: ImapAccount,
    smtp: SmtpServer | None = None,
    *,
    mailbox: dict[str, object] | None = None,
    **overrides: object,
) -> MailSettings:
    """Settings reading the test Dovecot account and sending through the test SMTP server."""
    box = MailboxSettings.model_validate(
        {
            "host": dovecot.host,
            "port": dovecot.port,
            "security": "none",
            "user": dovecot.user,
            "password": dovecot.password,
            "timeout": 5,
            **(mailbox or {}),
        }
    )
    values: dict[str, object] = {"mailboxes": {"support": box}}
    if smtp is not None:
        values["smtp"] = SmtpSettings.model_validate(
            {"host": smtp.host, "port": smtp.port, "security": "none", "timeout": 5}
        )
    values.update(overrides)
    return mail_settings(**values)


def config_for(settings: MailSettings) -> IngestConfig:
    return IngestConfig.from_options(IntakeOptions(settings, "Desk Support"))


def tickets(db: Database) -> list[Ticket]:
    with db.read() as session:
        return list(session.exec(select(Ticket).order_by(col(Ticket.number))))


def messages(db: Database, number: int) -> list[Message]:
    with db.read() as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
        return list(
            session.exec(
                select(Message).where(Message.ticket_id == ticket.id).order_by(col(Message.id))
            )
        )


def outbox(db: Database, kind: str | None = None) -> list[Outbox]:
    with db.read() as session:
        statement = select(Outbox).order_by(col(Outbox.id))
        if kind is not None:
            statement = statement.where(Outbox.kind == kind)
        return list(session.exec(statement))


def sqlite_database(tmp_path: Path, migrated: Path) -> Iterator[Database]:
    """A migrated SQLite database (for a fixture): enough for the big and slow mail tests.
    A copy of ``migrated`` (the worker's migrated desk, ``_migrated_sqlite``), as ``db``'s
    are: migrating each anew was most of these fixtures' time."""
    path = tmp_path / "mail.db"
    shutil.copy(migrated, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()
