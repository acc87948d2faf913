"""The mail layer's one door: what the app, the screens and the CLI may ask of mail.

Start the poller and outbox service, read the mail state, check the servers, and run a held
message through ingest again (quarantine retry, spam and machine-mail release). Everything
else under ``helpdesk_tui.mail`` is the mail layer's own (import-linter holds this).

Cheap to import: the IMAP and SMTP machinery loads only when a function here needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.intake import IngestResult
from helpdesk_tui.desk.mail_holding_service import MailState
from helpdesk_tui.mail.parse import ParseError, parse_message
from helpdesk_tui.mail.quotes import split_reply
from helpdesk_tui.mail_settings import MailSettings

if TYPE_CHECKING:
    from helpdesk_tui.mail.check import CheckReport
    from helpdesk_tui.mail.ingest import IngestConfig
    from helpdesk_tui.mail.service import MailService

__all__ = [
    "IngestResult",
    "MailNotReady",
    "MailService",
    "MailState",
    "ParseError",
    "check_servers",
    "mail_service",
    "parse_message",
    "read_status",
    "release_machine",
    "release_spam",
    "require_ready",
    "result_text",
    "retry_quarantined",
    "split_reply",
]


class MailNotReady(DeskError):
    """Mail is not configured well enough for what was asked (run, retry, release)."""


def require_ready(mail: MailSettings) -> MailSettings:
    """The settings, or :class:`MailNotReady` naming each problem (one line)."""
    problems = mail.problems()
    if problems:
        raise MailNotReady("; ".join(problems))
    return mail


def check_servers(
    mail: MailSettings, on_report: Callable[[CheckReport], None] | None = None
) -> list[CheckReport]:
    """Connect to each mailbox and the SMTP server, step by step (``helpdesk mail check``)."""
    from helpdesk_tui.mail.check import check_all

    return check_all(mail, on_report=on_report)


def mail_service(
    desk: Desk,
    mail: MailSettings,
    *,
    desk_name: str,
    kb_public_url: str = "",
    rules_file: Path | None = None,
) -> MailService:
    """The poller and outbox service (not started: ``start()``/``stop()``, or ``run()``)."""
    from helpdesk_tui.mail.service import MailService

    return MailService(
        desk.db,
        require_ready(mail),
        desk_name=desk_name,
        kb_public_url=kb_public_url,
        rules_file=rules_file,
    )


def read_status(desk: Desk, mail: MailSettings) -> MailState:
    """The mail state as the database has it (no service of this process running)."""
    from helpdesk_tui.mail.service import read_status

    return read_status(desk, mail)


def _config(
    mail: MailSettings, desk_name: str, kb_public_url: str, rules_file: Path | None
) -> IngestConfig:
    from helpdesk_tui.mail.ingest import IngestConfig

    return IngestConfig.from_settings(
        require_ready(mail), desk_name, kb_public_url=kb_public_url, rules_file=rules_file
    )


def retry_quarantined(
    desk: Desk,
    entry_id: int,
    mail: MailSettings,
    *,
    desk_name: str,
    kb_public_url: str = "",
    rules_file: Path | None = None,
) -> IngestResult:
    """Run a quarantined message through ingest again; resolved when it gets through."""
    from helpdesk_tui.mail import ingest

    config = _config(mail, desk_name, kb_public_url, rules_file)
    with desk.db.write() as session:
        return ingest.retry_quarantined(session, entry_id, config)


def release_spam(
    desk: Desk,
    entry_id: int,
    mail: MailSettings,
    *,
    desk_name: str,
    kb_public_url: str = "",
    rules_file: Path | None = None,
) -> IngestResult:
    """Let held spam through as the ticket or follow-up it would have been."""
    from helpdesk_tui.mail import ingest

    config = _config(mail, desk_name, kb_public_url, rules_file)
    with desk.db.write() as session:
        return ingest.release_spam(session, desk.actor, entry_id, config)


def release_machine(
    desk: Desk,
    entry_id: int,
    mail: MailSettings,
    *,
    desk_name: str,
    kb_public_url: str = "",
    rules_file: Path | None = None,
) -> IngestResult:
    """Let a person's mail held as machine mail through: the ticket or follow-up it would be."""
    from helpdesk_tui.mail import ingest

    config = _config(mail, desk_name, kb_public_url, rules_file)
    with desk.db.write() as session:
        return ingest.release_machine(session, desk.actor, entry_id, config)


def result_text(result: IngestResult) -> str:
    """What a retry or release came to: ``ticket: now in #12`` (outside text not cleaned)."""
    if result.ticket_number is not None:
        verb = "already in" if result.duplicate else "now in"
        return f"{result.outcome}: {verb} #{result.ticket_number}"
    return f"{result.outcome}" + (f": {result.reason}" if result.reason else "")
