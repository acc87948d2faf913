"""What both ways of ingesting a message share: the settings, the results, and the parts
of a message both write alike.

Ingest takes a message one of two ways: the batch statements of
:mod:`helpdesk_tui.mail.ingest_batch` for the common cases, or the ORM path of
:mod:`helpdesk_tui.mail.ingest` for the rest. Both classify a message, build its email
metadata and its acknowledgement the same way, from here, so neither module imports the
other's insides.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from helpdesk_tui.desk.limits import DEFAULT_MAX_BODY_BYTES
from helpdesk_tui.desk.tickets import EmailMeta, NewAttachment
from helpdesk_tui.mail.message_ids import MessageIdSigner
from helpdesk_tui.mail.noise import Noise, classify
from helpdesk_tui.mail.parse import ParsedMessage
from helpdesk_tui.mail.settings import MailSettings
from helpdesk_tui.storage.mail_models import Outcome

log = logging.getLogger(__name__)

ACK_KIND = "ack"
"""Outbox kind of an acknowledgement (sent as ``Auto-Submitted: auto-replied``)."""


@dataclass(frozen=True)
class IngestConfig:
    """What ingest needs from the settings, resolved once."""

    own_addresses: frozenset[str]
    blocked: tuple[str, ...]
    max_attachment_bytes: int
    signer: MessageIdSigner
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    desk_name: str = "Helpdesk"
    ack_enabled: bool = True
    ack_subject: str = "[#{number}] Received: {subject}"
    ack_template: str = "Your request is ticket #{number}."
    ack_limit_per_hour: int = 3

    @classmethod
    def from_settings(cls, mail: MailSettings, desk_name: str) -> IngestConfig:
        domain = (mail.from_address or "helpdesk.invalid").rpartition("@")[2]
        return cls(
            own_addresses=frozenset(mail.addresses),
            blocked=tuple(mail.blocked),
            max_attachment_bytes=mail.max_attachment_bytes,
            max_body_bytes=mail.max_body_bytes,
            signer=MessageIdSigner(mail.message_id_secret.get_secret_value(), domain),
            desk_name=desk_name,
            ack_enabled=mail.ack_enabled,
            ack_subject=mail.ack_subject,
            ack_template=mail.ack_template,
            ack_limit_per_hour=mail.ack_limit_per_hour,
        )


@dataclass(frozen=True)
class Source:
    """Where a message was read: lets the poller find what became of a UID later."""

    mailbox: str
    uidvalidity: int
    uid: int


@dataclass(frozen=True)
class IngestResult:
    outcome: Outcome
    ticket_number: int | None = None
    duplicate: bool = False
    """Seen before: nothing was changed this time (``outcome`` is the first time's)."""
    acknowledged: bool = False
    reason: str | None = None
    """Why a message was quarantined or held as spam."""


@dataclass(frozen=True)
class Context:
    session: Session
    config: IngestConfig
    redo: Outcome | None
    not_spam: bool
    now: datetime


def classify_noise(parsed: ParsedMessage, config: IngestConfig, *, not_spam: bool) -> Noise:
    if not_spam:
        headers = {k: v for k, v in parsed.headers.items() if k != "x-spam-flag"}
        parsed = dataclasses.replace(parsed, headers=headers)
    return classify(
        parsed,
        own_addresses=config.own_addresses,
        blocked=() if not_spam else config.blocked,
    )


def email_meta(parsed: ParsedMessage, raw_message_id: int) -> EmailMeta:
    return EmailMeta(
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        from_address=parsed.from_address,
        to=parsed.to,
        cc=parsed.cc,
        subject=parsed.subject[:500],
        body_html=parsed.body_html,
        raw_message_id=raw_message_id,
        attachments=tuple(
            NewAttachment(
                filename=a.filename,
                content=a.content,
                content_type=a.content_type,
                content_id=a.content_id,
                inline=a.inline,
            )
            for a in parsed.attachments
        ),
    )


def over_ack_limit(number: int, address: str, recent: int, config: IngestConfig) -> bool:
    if recent < config.ack_limit_per_hour:
        return False
    log.info("no acknowledgement for #%s: %s had %s this hour", number, address, recent)
    return True


def ack_content(
    number: int,
    subject: str,
    name: str,
    address: str,
    parsed: ParsedMessage,
    config: IngestConfig,
) -> tuple[str, str, list[str]]:
    """The acknowledgement's subject, body and References, from the configured templates."""
    values = {
        "number": number,
        "subject": subject,
        "name": name or address,
        "desk": config.desk_name,
    }
    references: list[str] = list(parsed.references)
    if parsed.message_id:
        references.append(parsed.message_id)
    return (
        config.ack_subject.format_map(values),
        config.ack_template.format_map(values),
        references[-20:],
    )
