"""The outbox sender: delivers queued mail by SMTP (aiosmtplib), retrying while SMTP is down.

The sender only talks SMTP; every state a row moves through (queued → sending → sent, or
retrying with the last error, or failed with the reason) is decided and written by
``desk/outbox.py``. The Message-ID is made and committed with the ``sending`` mark, before
the first byte goes out, and every try of that row reuses it.

Delivery is **at least once**. A sender that dies after the server accepted a message but
before ``sent`` was committed leaves the row ``sending``; whoever holds the outbox lease next
sends it again, with the same Message-ID, so the receiving side can recognise the copy. The
window is the few milliseconds between the server's 250 and our commit; the alternative
(give such rows up as failed) would lose replies silently-but-for-a-flag, which is worse
for a helpdesk than an occasional duplicate with an identical Message-ID. No other path
sends a row twice: rows are claimed in a committed transaction and only one process holds
the outbox lease.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import aiosmtplib

from helpdesk_tui.desk import outbox
from helpdesk_tui.desk.outbox import OutboxStatus
from helpdesk_tui.mail.message_ids import MessageIdSigner
from helpdesk_tui.mail.noise import LOOP_HEADER
from helpdesk_tui.mail_settings import MailSettings, Security, SmtpSettings
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.enums import clock_of
from helpdesk_tui.storage.models import Outbox, Ticket, utcnow

log = logging.getLogger(__name__)

HUMAN_KINDS = frozenset({outbox.REPLY_KIND})
"""Outbox kinds an agent wrote; every other kind is automatic mail."""


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _split(addresses: str | None) -> list[str]:
    return [a.strip() for a in (addresses or "").split(",") if a.strip()]


def _smtp_reason(error: BaseException) -> tuple[str, bool]:
    """(What the server said, whether it is final) for a failed delivery."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        parts = [f"{r.recipient}: {r.code} {r.message}" for r in error.recipients]
        final = all(r.code >= 500 for r in error.recipients)
        return "recipients refused: " + "; ".join(parts), final
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{error.code} {' '.join(error.message.split())}", error.code >= 500
    if isinstance(error, ValueError):  # the message itself cannot be written as mail
        return f"cannot build the message: {error}", True
    text = " ".join(str(error).split()) or type(error).__name__
    return text, False


class OutboxSender:
    """Sends due outbox rows; one instance per process, driven by the mail service."""

    def __init__(
        self,
        db: Database,
        mail: MailSettings,
        signer: MessageIdSigner,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``clock``: the desk's (``Desk.clock``): what is due, the Date header, when a
        mail was sent and when a failed one is tried again all read it, never the wall's."""
        if mail.smtp is None:
            raise ValueError("mail.smtp is not configured")
        self.db = db
        self.mail = mail
        self.smtp: SmtpSettings = mail.smtp
        self.signer = signer
        self.clock = clock

    # -- claiming ------------------------------------------------------------------------

    def claim(self, now: datetime, limit: int = 50) -> list[int]:
        """Mark due rows ``sending`` (with their Message-ID) in one committed transaction."""
        with clock_of(self.clock), self.db.write() as session:
            return outbox.claim_due(session, now, self.signer.new, limit=limit)

    # -- sending -------------------------------------------------------------------------

    async def send_due(self) -> SendReport:
        """One pass: claim what is due by the clock and try each once over a single SMTP
        connection."""
        ids = self.claim(self.clock())
        if not ids:
            return SendReport()
        try:
            client = await self._connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            reason, _ = _smtp_reason(error)
            reason = f"SMTP {self.smtp.host}:{self.smtp.effective_port}: {reason}"
            return self._record_all(ids, reason, final=False)
        sent = retrying = failed = 0
        try:
            for outbox_id in ids:
                outcome = await self._send_one(client, outbox_id)
                sent += outcome == OutboxStatus.SENT
                retrying += outcome == OutboxStatus.RETRYING
                failed += outcome == OutboxStatus.FAILED
        finally:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
        return SendReport(sent, retrying, failed)

    async def _connect(self) -> aiosmtplib.SMTP:
        smtp = self.smtp
        client = aiosmtplib.SMTP(
            hostname=smtp.host,
            port=smtp.effective_port,
            use_tls=smtp.security is Security.TLS,
            start_tls=smtp.security is Security.STARTTLS,
            timeout=smtp.timeout,
        )
        await client.connect()
        if smtp.user:
            await client.login(smtp.user, smtp.password.get_secret_value())
        return client

    async def _send_one(self, client: aiosmtplib.SMTP, outbox_id: int) -> OutboxStatus | None:
        with self.db.read() as session:
            claimed = outbox.sendable(session, outbox_id)
            if claimed is None:
                return None
            row, ticket = claimed
            files = outbox.outgoing_attachments(session, row)
        try:
            message = self.build(row, ticket, files)
            recipients = _split(row.to_addresses) + _split(row.cc_addresses)
            refused, _ = await client.send_message(
                message, sender=self.mail.from_address, recipients=recipients
            )
        except (aiosmtplib.SMTPException, OSError, ValueError) as error:
            reason, final = _smtp_reason(error)
            return self._record(outbox_id, reason, final=final)
        note = None
        if refused:
            note = "not delivered to: " + "; ".join(
                f"{address}: {response.code} {response.message}"
                for address, response in refused.items()
            )
        return self._record(outbox_id, note, sent=True)

    def build(
        self,
        row: Outbox,
        ticket: Ticket | None,
        attachments: Sequence[outbox.OutgoingAttachment] = (),
    ) -> EmailMessage:
        """The mail as it goes out: threading headers, the ticket token, loop protection,
        and the reply's files as attachment parts (``multipart/mixed``)."""
        address = self.mail.from_address
        if address is None:
            raise ValueError("mail.addresses is empty: there is no From address")
        message = EmailMessage()
        message["From"] = formataddr((self.mail.display_name, address))
        message["Reply-To"] = address
        message["To"] = ", ".join(_split(row.to_addresses))
        if row.cc_addresses:
            message["Cc"] = ", ".join(_split(row.cc_addresses))
        message["Subject"] = (
            outbox.mail_subject(row, ticket.number) if ticket is not None else row.subject
        )
        message["Date"] = mail_date(self.clock())
        message["Message-ID"] = row.email_message_id or self.signer.new(None)
        if row.in_reply_to:
            message["In-Reply-To"] = row.in_reply_to
        if row.references:
            message["References"] = row.references
        if row.kind not in HUMAN_KINDS:
            # (RFC 3834: auto-replied answers a message; the rest is auto-generated)
            answer = outbox.answers(row.kind)
            message["Auto-Submitted"] = "auto-replied" if answer else "auto-generated"
            message["X-Auto-Response-Suppress"] = "All"
        message[LOOP_HEADER] = address
        message.set_content(row.body)
        for item in attachments:
            maintype, _, subtype = item.content_type.partition("/")
            if not (maintype and subtype) or maintype in ("multipart", "message"):
                maintype, subtype = "application", "octet-stream"
            message.add_attachment(
                item.content,
                maintype=maintype,
                subtype=subtype,
                filename=item.filename,
                params=_text_charset(maintype, item.content),
            )
        return message

    # -- recording -----------------------------------------------------------------------

    def _record(
        self, outbox_id: int, reason: str | None, *, sent: bool = False, final: bool = False
    ) -> OutboxStatus | None:
        now = self.clock()
        with clock_of(self.clock), self.db.write() as session:  # (its history lines too)
            if sent:
                return outbox.record_sent(session, outbox_id, note=reason, now=now)
            status = outbox.record_failure(
                session,
                outbox_id,
                reason or "unknown error",
                final=final,
                max_attempts=self.mail.send_attempts,
                backoff=self.backoff,
                now=now,
            )
        if status is OutboxStatus.FAILED:
            log.warning("outbox %s failed: %s", outbox_id, reason)
        return status

    def _record_all(self, ids: Sequence[int], reason: str, *, final: bool) -> SendReport:
        outcomes = [self._record(outbox_id, reason, final=final) for outbox_id in ids]
        return SendReport(
            retrying=outcomes.count(OutboxStatus.RETRYING),
            failed=outcomes.count(OutboxStatus.FAILED),
        )

    def backoff(self, attempts: int) -> timedelta:
        seconds = min(self.mail.retry_max, self.mail.retry_base * 2 ** max(0, attempts - 1))
        return timedelta(seconds=seconds)


def mail_date(now: datetime) -> str:
    """The Date header of mail sent at ``now`` (RFC 5322): in this machine's local zone with
    its offset ("Mon, 07 Dec 2026 13:40:00 +0100"), as the RFC asks (a naive ``now`` is UTC)."""
    aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return format_datetime(aware.astimezone())


def _text_charset(maintype: str, content: bytes) -> dict[str, str]:
    """``charset=utf-8`` for a text file that is UTF-8 and not plain ASCII: without it a
    mail client reads the file as ASCII or Latin-1 and shows "RÃ©sumÃ©" for "Résumé"."""
    if maintype != "text" or content.isascii():
        return {}
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    return {"charset": "utf-8"}
