"""One raw message in, one desk change out — and never an exception for what a message holds.

:func:`ingest` runs inside the caller's transaction (the poller commits a batch, then
moves the messages on the server). Each message gets a savepoint: whatever goes wrong in
it is rolled back and the message goes to quarantine with the reason, so a bad message
never blocks the ones after it. Only database trouble (connection lost, disk full)
propagates, because then nothing of the batch should count.

Every message ends in exactly one processed row keyed by Message-ID (raw hash without
one): reading it again, for any reason, changes nothing.

:func:`ingest_batch` takes the poller's whole batch: it looks up what the batch needs
(processed keys, raw hashes, threaded Message-IDs, contacts, acknowledgement counts) in one
query each, and writes the common cases — a new ticket, a follow-up on an open ticket, own
mail, spam — with the statements of :mod:`helpdesk_tui.desk.intake`. Everything rarer
(bounces, closed or merged tickets, subject tokens, our own signed IDs, skipped
attachments) takes the ORM path through ``desk/``, after which the lookups are done again.
:func:`ingest` is a batch of one.

This module holds the rules: the entry points, the savepoints and the quarantine, and the
ORM path. The batch's lookups and statements are in :mod:`helpdesk_tui.mail.ingest_batch`;
what both share (settings, results, classification, email metadata, acknowledgement text)
is in :mod:`helpdesk_tui.mail.ingest_common`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert
from sqlalchemy.exc import DBAPIError, InterfaceError, InternalError, OperationalError
from sqlmodel import Session, select

from helpdesk_tui.desk import history, quarantine, spam
from helpdesk_tui.desk.actors import MAIL, Actor
from helpdesk_tui.desk.contacts import find_or_create_contact
from helpdesk_tui.desk.intake import TicketRef
from helpdesk_tui.desk.mailstate import mark_processed
from helpdesk_tui.desk.outbox import queue_mail
from helpdesk_tui.desk.thread import add_customer_message, final_ticket
from helpdesk_tui.desk.tickets import (
    EmailMeta,
    add_message,
    create_ticket,
    load_ticket,
)
from helpdesk_tui.mail.ingest_batch import Batch, Group, ReadMessage, Seen
from helpdesk_tui.mail.ingest_common import (
    ACK_KIND,
    Context,
    IngestConfig,
    IngestResult,
    Source,
    ack_content,
    classify_noise,
    email_meta,
    over_ack_limit,
)
from helpdesk_tui.mail.message_ids import Origin
from helpdesk_tui.mail.noise import Noise, should_acknowledge
from helpdesk_tui.mail.parse import ParsedMessage, ParseError, parse_message
from helpdesk_tui.mail.thread_match import match_thread
from helpdesk_tui.storage.mail_models import AckSent, Outcome
from helpdesk_tui.storage.models import (
    Channel,
    Contact,
    Message,
    MessageKind,
    Outbox,
    OutboxStatus,
    Ticket,
    utcnow,
)

__all__ = [
    "ACK_KIND",
    "IngestConfig",
    "IngestResult",
    "ReadMessage",
    "Source",
    "ingest",
    "ingest_batch",
    "read_message",
    "release_spam",
    "retry_quarantined",
]

log = logging.getLogger(__name__)

_ACK = AckSent.__table__  # type: ignore[attr-defined]


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
    item = read_message(raw, source, config)
    [result] = ingest_batch(session, [item], config, redo=redo, not_spam=not_spam, now=now)
    return result


def ingest_batch(
    session: Session,
    items: Sequence[ReadMessage],
    config: IngestConfig,
    *,
    redo: Outcome | None = None,
    not_spam: bool = False,
    now: datetime | None = None,
) -> list[IngestResult]:
    """:func:`ingest` for each message in order, sharing the lookups; one result each.

    Runs of common messages share one savepoint (see :class:`Group`); when anything in a
    run fails, the run is rolled back and done again one message per savepoint, so only the
    message at fault goes to quarantine.
    """
    context = Context(session, config, redo, not_spam, now or utcnow())
    batch = Batch(session, context.now)
    batch.load(items)
    batch.store_raws(items)
    results: list[IngestResult | None] = [None] * len(items)
    position = 0
    while position < len(items):
        if batch.stale:
            batch.load(items[position:])
        position = _ingest_run(context, batch, items, position, results)
    done = [result for result in results if result is not None]
    assert len(done) == len(items)
    return done


def read_message(raw: bytes, source: Source | None, config: IngestConfig) -> ReadMessage:
    """Hash and parse one message; needs no database, so it may run in another thread."""
    sha = hashlib.sha256(raw).hexdigest()
    try:
        parsed = parse_message(
            raw,
            max_attachment_bytes=config.max_attachment_bytes,
            max_body_bytes=config.max_body_bytes,
        )
    except ParseError as error:
        return ReadMessage(
            raw, sha, source, None, f"cannot be parsed: {error.reason}", f"sha256:{sha}"
        )
    return ReadMessage(raw, sha, source, parsed, None, parsed.dedupe_key)


def _ingest_run(
    context: Context,
    batch: Batch,
    items: Sequence[ReadMessage],
    position: int,
    results: list[IngestResult | None],
) -> int:
    """Ingest from ``position`` on, as far as one group goes; returns where to go on."""
    mark = batch.mark()
    end = position
    try:
        with context.session.begin_nested():
            group = Group(context, batch, size=len(items) - position)
            while end < len(items):
                result = group.add(items[end])
                if result is None:
                    break
                results[end] = result
                end += 1
            group.flush()
        batch.keep()
    except (OperationalError, InterfaceError, InternalError):
        raise  # the database itself is in trouble: nothing of this batch may count
    except Exception:
        batch.undo_to(mark)
        last = min(end, len(items) - 1)
        log.info("a message in %d could not be stored together; one at a time", last - position + 1)
        for index in range(position, last + 1):
            results[index] = _ingest_one(context, batch, items[index])
        return last + 1
    if end < len(items):
        results[end] = _ingest_one(context, batch, items[end])
        end += 1
    return end


def _ingest_one(context: Context, batch: Batch, item: ReadMessage) -> IngestResult:
    """One message in its own savepoint: the isolation that quarantines a failing message."""
    session, redo = context.session, context.redo
    earlier = batch.processed.get(item.key)
    if earlier is not None and (redo is None or earlier.outcome != redo):
        return IngestResult(Outcome(earlier.outcome), earlier.number, duplicate=True)
    raw_id = batch.raw_id(item.raw, item.sha)
    record = _Record(item.key, earlier is not None, raw_id, item.source, batch)
    parsed = item.parsed
    if parsed is None:
        assert item.failure is not None
        return _quarantine(session, record, item.failure, None)
    mark = batch.mark()
    try:
        with session.begin_nested():
            group = Group(context, batch)
            result = group.add(item) if earlier is None else None
            if result is None:
                batch.stale = True
                result = _apply(
                    session, parsed, record, context.config, context.not_spam, context.now
                )
            else:
                group.flush()
        batch.keep()
        return result
    except (OperationalError, InterfaceError, InternalError):
        raise  # the database itself is in trouble: nothing of this batch may count
    except DBAPIError as error:
        batch.undo_to(mark)
        holder = _holder_of(session, parsed.message_id)
        if holder is not None:
            # Stored under this Message-ID by another way in (it is our own sent mail).
            return _duplicate(session, Outcome.FOLLOW_UP, holder)
        reason = f"cannot be stored: {_first_line(error.orig or error)}"
    except Exception as error:
        batch.undo_to(mark)
        log.exception("message %s could not be processed", item.key)
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
    batch: Batch

    def write(
        self,
        session: Session,
        outcome: Outcome,
        ticket: Ticket | TicketRef | None = None,
        message_id: int | None = None,
    ) -> None:
        source = self.source
        ticket_id = ticket.id if ticket else None
        self.batch.remember(
            self.batch.processed,
            self.key,
            Seen(str(outcome), ticket.number if ticket else None),
        )
        mark_processed(
            session,
            self.key,
            outcome,
            seen_before=self.seen_before,
            ticket_id=ticket_id,
            message_id=message_id,
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
    noise = classify_noise(parsed, config, not_spam=not_spam)
    source = record.source

    def done(outcome: Outcome, ticket: Ticket | None, message: Message | None) -> None:
        record.write(session, outcome, ticket, message.id if message else None)

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
    meta = email_meta(parsed, record.raw_message_id)
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


def _spam_reason(parsed: ParsedMessage) -> str:
    if parsed.headers.get("x-spam-flag", "").strip().lower() == "yes":
        return "X-Spam-Flag: YES"
    return f"sender {parsed.from_address} is on the block list"


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
    if over_ack_limit(ticket.number, address, recent, config):
        return False
    subject, body, references = ack_content(
        ticket.number, ticket.subject, requester.name, address, parsed, config
    )
    queue_mail(
        session,
        ticket,
        kind=ACK_KIND,
        to=[address],
        subject=subject,
        body=body,
        in_reply_to=parsed.message_id,
        references=references,
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
    record.batch.keep()
    return IngestResult(Outcome.QUARANTINE, reason=reason)


def _duplicate(session: Session, outcome: str, ticket_id: int | None) -> IngestResult:
    ticket = session.get(Ticket, ticket_id) if ticket_id is not None else None
    return IngestResult(Outcome(outcome), ticket.number if ticket else None, duplicate=True)


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
