"""The mail layer's one door: what the app, the screens and the CLI may ask of mail.

Start the poller and outbox service, read the mail state, check the servers, and run a held
message through ingest again (quarantine retry, spam and machine-mail release). Everything
else under ``helpdesk_tui.mail`` is the mail layer's own (import-linter holds this).

Cheap to import: the IMAP and SMTP machinery loads only when a function here needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.inbound import IngestResult
from helpdesk_tui.desk.mail_holding_service import HeldArea, MailState

if TYPE_CHECKING:
    from helpdesk_tui.config import IntakeOptions
    from helpdesk_tui.desk.facade import Desk
    from helpdesk_tui.desk.mail_reads import MailReads
    from helpdesk_tui.mail.check import CheckReport
    from helpdesk_tui.mail.noise import list_subject
    from helpdesk_tui.mail.parse import ParseError, parse_message
    from helpdesk_tui.mail.quotes import split_reply
    from helpdesk_tui.mail.service import MailService
    from helpdesk_tui.mail_settings import MailSettings

__all__ = [
    "IngestResult",
    "MailNotReady",
    "MailService",
    "MailState",
    "ParseError",
    "check_servers",
    "list_subject",
    "mail_service",
    "parse_message",
    "read_status",
    "require_ready",
    "result_text",
    "run_again",
    "split_reply",
]


_LAZY = {
    "ParseError": "parse",
    "parse_message": "parse",
    "split_reply": "quotes",
    "list_subject": "noise",
}


def __getattr__(name: str) -> Any:
    """The parser's names, imported on first use: reading the mail state (``helpdesk mail
    status``) needs no parser, and the parser's body limit loads the settings' pydantic."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"helpdesk_tui.mail.{_LAZY[name]}"), name)


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


def mail_service(desk: Desk, options: IntakeOptions) -> MailService:
    """The poller and outbox service (not started: ``start()``/``stop()``, or ``run()``)."""
    from helpdesk_tui.mail.service import MailService

    require_ready(options.mail)
    return MailService(desk.db, options, clock=desk.clock)


def desk_jobs(desk: Desk, options: IntakeOptions) -> MailService:
    """The SLA pass alone — warning and breach alerts, auto-escalation, the reports' catch-up
    — under its lease, for a terminal on a desk whose mail does not run (not configured, or
    it cannot start): those ran only beside the poller, so such a desk never alerted."""
    from helpdesk_tui.mail.service import MailService

    return MailService(desk.db, options, mail_jobs=False, clock=desk.clock)


def read_status(desk: MailReads, mailboxes: Iterable[str]) -> MailState:
    """The mail state as the database has it (no service of this process running), with
    the leases of the mailboxes named (``MailSettings.mailboxes``' keys)."""
    from helpdesk_tui.mail.status import read_status

    return read_status(desk, mailboxes)


def run_again(desk: Desk, area: HeldArea, entry_id: int, options: IntakeOptions) -> IngestResult:
    """Run a held message through ingest again, in one transaction.

    Quarantine: a retry, resolved when the message gets through. Spam and machine mail: a
    release by the desk's actor, making the ticket or follow-up the message would have been.
    """
    from helpdesk_tui.mail import ingest

    area = HeldArea(area)  # a plain "spam" too, never taken for another area
    require_ready(options.mail)
    config = ingest.IngestConfig.from_options(options)
    with desk.db.write() as session:
        if area is HeldArea.QUARANTINE:
            return ingest.retry_quarantined(session, entry_id, config)
        if area is HeldArea.SPAM:
            return ingest.release_spam(session, desk.actor, entry_id, config)
        return ingest.release_machine(session, desk.actor, entry_id, config)


def result_text(result: IngestResult) -> str:
    """What a retry or release came to: ``ticket: now in #12`` (outside text not cleaned)."""
    if result.ticket_number is not None:
        verb = "already in" if result.duplicate else "now in"
        return f"{result.outcome}: {verb} #{result.ticket_number}"
    return f"{result.outcome}" + (f": {result.reason}" if result.reason else "")
