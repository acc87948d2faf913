"""One raw message in, one desk change out — and never an exception for what a message holds.

:func:`ingest` runs inside the caller's transaction (the poller commits a batch, then
moves the messages on the server). Each message gets a savepoint: whatever goes wrong in
it is rolled back and the message goes to quarantine with the reason, so a bad message
never blocks the ones after it. Only database trouble (connection lost, disk full)
propagates, because then nothing of the batch should count.

Every message ends in exactly one processed row keyed by Message-ID (raw hash without
one): reading it again, for any reason, changes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert
from sqlalchemy.exc import DBAPIError, InterfaceError, InternalError, OperationalError
from sqlmodel import Session, select

from helpdesk_tui.desk import history, quarantine, spam
from helpdesk_tui.desk.actors import MAIL, Actor
from helpdesk_tui.desk.contacts import find_or_create_contact
from helpdesk_tui.desk.mailstate import find_processed, mark_processed
from helpdesk_tui.desk.outbox import queue_mail
from helpdesk_tui.desk.thread import add_customer_message, final_ticket
from helpdesk_tui.desk.tickets import (
    EmailMeta,
    NewAttachment,
    add_message,
    create_ticket,
    load_ticket,
)
from helpdesk_tui.mail.message_ids import MessageIdSigner, Origin
from helpdesk_tui.mail.noise import Noise, classify, should_acknowledge
from helpdesk_tui.mail.parse import ParsedMessage, ParseError, parse_message
from helpdesk_tui.mail.settings import MailSettings
from helpdesk_tui.mail.thread_match import match_thread
from helpdesk_tui.storage.mail_models import AckSent, Outcome
from helpdesk_tui.storage.models import (
    Channel,
    Contact,
    Message,
    MessageKind,
    Outbox,
    OutboxStatus,
    RawMessage,
    Ticket,
    utcnow,
)

log = logging.getLogger(__name__)

# Core statements for the rows written once per message: no ORM objects to build.
_RAW = RawMessage.__table__  # type: ignore[attr-defined]
_ACK = AckSent.__table__  # type: ignore[attr-defined]

ACK_KIND = "ack"
"""Outbox kind of an acknowledgement (sent as ``Auto-Submitted: auto-replied``)."""


@dataclass(frozen=True)
class IngestConfig:
    """What ingest needs from the settings, resolved once."""

    own_addresses: frozenset[str]
    blocked: tuple[str, ...]
    max_attachment_bytes: int
    signer: MessageIdSigner
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


def ingest(
    session: Session,
    raw: bytes,
    config: IngestConfig,
    *,
    source: Source | None = None,
    redo: Outcome | None = None,
    not_spam: bool = False,
    now: datetime | None = None,
) -> IngestResult:
    """Store one message as a ticket, follow-up, bounce, own mail, spam, or in quarantine.

    ``redo`` processes a message again whose earlier outcome was that one (a quarantine
    retry, a spam release); ``not_spam`` overrules the spam verdict.
    """
    now = now or utcnow()
    sha = hashlib.sha256(raw).hexdigest()
    try:
        parsed: ParsedMessage | None = parse_message(
            raw, max_attachment_bytes=config.max_attachment_bytes
        )
        failure = None
    except ParseError as error:
        parsed, failure = None, f"cannot be parsed: {error.reason}"
    key = parsed.dedupe_key if parsed else f"sha256:{sha}"
    earlier = find_processed(session, key)
    if earlier is not None and (redo is None or earlier.outcome != redo):
        return _duplicate(session, earlier.outcome, earlier.ticket_id)
    record = _Record(key, earlier is not None, _store_raw(session, raw, sha, now), source)
    if parsed is None:
        assert failure is not None
        return _quarantine(session, record, failure, None)
    try:
        with session.begin_nested():
            return _apply(session, parsed, record, config, not_spam, now)
    except (OperationalError, InterfaceError, InternalError):
        raise  # the database itself is in trouble: nothing of this batch may count
    except DBAPIError as error:
        holder = _holder_of(session, parsed.message_id)
        if holder is not None:
            # Stored under this Message-ID by another way in (it is our own sent mail).
            return _duplicate(session, Outcome.FOLLOW_UP, holder)
        reason = f"cannot be stored: {_first_line(error.orig or error)}"
    except Exception as error:
        log.exception("message %s could not be processed", key)
        reason = f"could not be processed: {type(error).__name__}: {_first_line(error)}"
    return _quarantine(session, record, reason, parsed)


def retry_quarantined(session: Session, entry_id: int, config: IngestConfig) -> IngestResult:
    """Run a quarantined message through ingest again; resolved when it gets through."""
    entry, raw = quarantine.open_entry(session, entry_id)
    result = ingest(session, raw, config, redo=Outcome.QUARANTINE)
    if result.outcome is not Outcome.QUARANTINE:
        ticket_id = _ticket_id(session, result.ticket_number)
        quarantine.resolve(session, entry, ticket_id)
    return result


def release_spam(
    session: Session, actor: Actor, entry_id: int, config: IngestConfig
) -> IngestResult:
    """Let a held message through as the normal ticket or follow-up it would have been."""
    entry, raw = spam.open_entry(session, entry_id)
    result = ingest(session, raw, config, redo=Outcome.SPAM, not_spam=True)
    spam.mark_released(session, entry, actor, _ticket_id(session, result.ticket_number))
    return result


# --- the steps ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    """How to write the processed row of the message at hand."""

    key: str
    seen_before: bool
    raw_message_id: int
    source: Source | None

    def write(
        self,
        session: Session,
        outcome: Outcome,
        ticket: Ticket | None = None,
        message: Message | None = None,
    ) -> None:
        source = self.source
        mark_processed(
            session,
            self.key,
            outcome,
            seen_before=self.seen_before,
            ticket_id=ticket.id if ticket else None,
            message_id=message.id if message else None,
            raw_message_id=self.raw_message_id,
            mailbox=source.mailbox if source else None,
            uidvalidity=source.uidvalidity if source else None,
            uid=source.uid if source else None,
        )


def _apply(
    session: Session,
    parsed: ParsedMessage,
    record: _Record,
    config: IngestConfig,
    not_spam: bool,
    now: datetime,
) -> IngestResult:
    noise = _classify(parsed, config, not_spam=not_spam)
    source = record.source

    def done(outcome: Outcome, ticket: Ticket | None, message: Message | None) -> None:
        record.write(session, outcome, ticket, message)

    if noise is Noise.OWN:
        done(Outcome.OWN, None, None)
        return IngestResult(Outcome.OWN)
    if noise is Noise.SPAM:
        reason = _spam_reason(parsed)
        spam.hold(
            session,
            record.raw_message_id,
            reason,
            mailbox=source.mailbox if source else None,
            from_address=parsed.from_address,
            subject=parsed.subject,
        )
        done(Outcome.SPAM, None, None)
        return IngestResult(Outcome.SPAM, reason=reason)
    meta = _email_meta(parsed, record.raw_message_id)
    if noise is Noise.BOUNCE:
        bounced = _attach_bounce(session, parsed, meta, config)
        if bounced is not None:
            ticket, message = bounced
            done(Outcome.BOUNCE, ticket, message)
            return IngestResult(Outcome.BOUNCE, ticket.number)
    author = _author(session, parsed)
    match = match_thread(session, parsed, config.signer)
    if match.number is not None:
        ticket, message = add_customer_message(
            session,
            MAIL,
            match.number,
            body=parsed.body_text,
            channel=Channel.EMAIL,
            author=author,
            email=meta,
        )
        is_new = ticket.number != match.number
        outcome = Outcome.FOLLOW_UP
    else:
        ticket = create_ticket(
            session,
            MAIL,
            subject=parsed.subject or "(no subject)",
            body="",
            channel=Channel.EMAIL,
            requester=author,
        )
        message = add_message(
            session,
            MAIL,
            ticket,
            kind=MessageKind.CUSTOMER,
            body=parsed.body_text,
            channel=Channel.EMAIL,
            author_contact_id=author.id if author else None,
            email=meta,
        )
        is_new, outcome = True, Outcome.TICKET
        if match.mentioned is not None:
            _system_note(
                session,
                ticket,
                f"The subject names #{match.mentioned}, but {parsed.from_address or 'the sender'}"
                f" is not on that ticket, so this message was not added to it.",
            )
    _note_skipped_attachments(session, ticket, parsed, config)
    acknowledged = False
    if is_new and should_acknowledge(noise) and author is not None and author.email:
        acknowledged = _acknowledge(session, ticket, author, parsed, config, now)
    done(outcome, ticket, message)
    return IngestResult(outcome, ticket.number, acknowledged=acknowledged)


def _classify(parsed: ParsedMessage, config: IngestConfig, *, not_spam: bool) -> Noise:
    if not_spam:
        headers = {k: v for k, v in parsed.headers.items() if k != "x-spam-flag"}
        parsed = dataclasses.replace(parsed, headers=headers)
    return classify(
        parsed,
        own_addresses=config.own_addresses,
        blocked=() if not_spam else config.blocked,
    )


def _spam_reason(parsed: ParsedMessage) -> str:
    if parsed.headers.get("x-spam-flag", "").strip().lower() == "yes":
        return "X-Spam-Flag: YES"
    return f"sender {parsed.from_address} is on the block list"


def _email_meta(parsed: ParsedMessage, raw_message_id: int) -> EmailMeta:
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


def _author(session: Session, parsed: ParsedMessage) -> Contact | None:
    if parsed.from_address is None:
        return None
    return find_or_create_contact(session, parsed.from_address, parsed.from_name)


def _system_note(session: Session, ticket: Ticket, text: str) -> Message:
    return add_message(
        session, MAIL, ticket, kind=MessageKind.SYSTEM, body=text, channel=Channel.EMAIL
    )


def _note_skipped_attachments(
    session: Session, ticket: Ticket, parsed: ParsedMessage, config: IngestConfig
) -> None:
    if not parsed.skipped_attachments:
        return
    limit = _size(config.max_attachment_bytes)
    lines = [
        f"{a.filename} ({_size(a.size)}, {a.content_type})" for a in parsed.skipped_attachments
    ]
    _system_note(
        session,
        ticket,
        f"Attachments over the {limit} limit were not kept (the raw message still has "
        "them): " + "; ".join(lines),
    )


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    if count >= 1024:
        return f"{count / 1024:.0f} kB"
    return f"{count} bytes"


def _attach_bounce(
    session: Session, parsed: ParsedMessage, meta: EmailMeta, config: IngestConfig
) -> tuple[Ticket, Message] | None:
    """A delivery report goes on the ticket whose mail bounced (when we can tell which)."""
    bounced = parsed.bounced_message_id
    if not bounced:
        return None
    outbox = session.exec(select(Outbox).where(Outbox.email_message_id == bounced)).first()
    ticket_id = outbox.ticket_id if outbox else None
    if ticket_id is None:
        ticket_id = session.exec(
            select(Message.ticket_id).where(Message.email_message_id == bounced)
        ).first()
    number: int | None = None
    if ticket_id is not None:
        found = session.get(Ticket, ticket_id)
        number = found.number if found else None
    if number is None:
        checked = config.signer.check(bounced)
        number = checked.ticket_number if checked.origin is Origin.OURS else None
    if number is None:
        return None
    ticket = final_ticket(session, load_ticket(session, number, for_update=True))
    reason = _first_line(parsed.body_text) or "delivery report"
    if outbox is not None:
        outbox.status = OutboxStatus.FAILED
        outbox.last_error = f"bounced: {reason}"[:2000]
        session.add(outbox)
    history.bump(ticket)
    message = add_message(
        session,
        MAIL,
        ticket,
        kind=MessageKind.SYSTEM,
        body=parsed.body_text,
        channel=Channel.EMAIL,
        email=meta,
    )
    history.record(session, MAIL, ticket, "bounce", new=reason[:200])
    return ticket, message


def _acknowledge(
    session: Session,
    ticket: Ticket,
    requester: Contact,
    parsed: ParsedMessage,
    config: IngestConfig,
    now: datetime,
) -> bool:
    """Queue the templated acknowledgement, unless this sender had enough of them this hour."""
    if not config.ack_enabled or config.ack_limit_per_hour == 0 or not requester.email:
        return False
    address = requester.email
    recent = session.exec(
        select(func.count())
        .select_from(AckSent)
        .where(AckSent.address == address, AckSent.created_at > now - timedelta(hours=1))
    ).one()
    if recent >= config.ack_limit_per_hour:
        log.info("no acknowledgement for #%s: %s had %s this hour", ticket.number, address, recent)
        return False
    values = {
        "number": ticket.number,
        "subject": ticket.subject,
        "name": requester.name or address,
        "desk": config.desk_name,
    }
    references: list[str] = list(parsed.references)
    if parsed.message_id:
        references.append(parsed.message_id)
    queue_mail(
        session,
        ticket,
        kind=ACK_KIND,
        to=[address],
        subject=config.ack_subject.format_map(values),
        body=config.ack_template.format_map(values),
        in_reply_to=parsed.message_id,
        references=references[-20:],
    )
    session.execute(insert(_ACK).values(address=address, created_at=now))
    return True


def _quarantine(
    session: Session, record: _Record, reason: str, parsed: ParsedMessage | None
) -> IngestResult:
    quarantine.hold(
        session,
        record.raw_message_id,
        reason,
        mailbox=record.source.mailbox if record.source else None,
        from_hint=parsed.from_address if parsed else None,
        subject_hint=parsed.subject if parsed else None,
    )
    record.write(session, Outcome.QUARANTINE)
    return IngestResult(Outcome.QUARANTINE, reason=reason)


def _duplicate(session: Session, outcome: str, ticket_id: int | None) -> IngestResult:
    ticket = session.get(Ticket, ticket_id) if ticket_id is not None else None
    return IngestResult(Outcome(outcome), ticket.number if ticket else None, duplicate=True)


def _store_raw(session: Session, raw: bytes, sha: str, now: datetime) -> int:
    """The id of the stored raw bytes (stored once, however often the message comes)."""
    found = session.execute(select(_RAW.c.id).where(_RAW.c.sha256 == sha)).scalar()
    if found is not None:
        return int(found)
    return int(
        session.execute(
            insert(_RAW).values(sha256=sha, content=raw, received_at=now).returning(_RAW.c.id)
        ).scalar_one()
    )


def _holder_of(session: Session, message_id: str | None) -> int | None:
    """The ticket already holding a message with this Message-ID, if any."""
    if not message_id:
        return None
    return session.exec(
        select(Message.ticket_id).where(Message.email_message_id == message_id)
    ).first()


def _ticket_id(session: Session, number: int | None) -> int | None:
    if number is None:
        return None
    return session.exec(select(Ticket.id).where(Ticket.number == number)).first()


def _first_line(value: object) -> str:
    for line in str(value).splitlines():
        if line.strip():
            return line.strip()[:500]
    return ""
