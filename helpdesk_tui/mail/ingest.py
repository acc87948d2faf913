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
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, insert
from sqlalchemy.exc import DBAPIError, InterfaceError, InternalError, OperationalError
from sqlmodel import Session, select

from helpdesk_tui.desk import history, intake, quarantine, spam
from helpdesk_tui.desk.actors import MAIL, Actor
from helpdesk_tui.desk.contacts import find_or_create_contact, normalize_email
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.intake import AnyTicket, ContactRef, NewTicket, TicketRef
from helpdesk_tui.desk.mailstate import insert_processed, key_hash, mark_processed, processed_row
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
from helpdesk_tui.mail.thread_match import TOKEN, match_thread, wanted_ids
from helpdesk_tui.storage.mail_models import AckSent, Outcome, ProcessedMail
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
_PROCESSED = ProcessedMail.__table__  # type: ignore[attr-defined]
_TICKET = Ticket.__table__  # type: ignore[attr-defined]
_MESSAGE = Message.__table__  # type: ignore[attr-defined]
_OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
_INSERT_RAW = insert(_RAW).returning(_RAW.c.id)
_INSERT_RAWS = insert(_RAW).returning(_RAW.c.id, sort_by_parameter_order=True)
_INSERT_ACK = insert(_ACK)
_IN_CHUNK = 500
"""Values per IN list: far below SQLite's and PostgreSQL's parameter limits."""

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

    Runs of common messages share one savepoint (see :class:`_Group`); when anything in a
    run fails, the run is rolled back and done again one message per savepoint, so only the
    message at fault goes to quarantine.
    """
    context = _Context(session, config, redo, not_spam, now or utcnow())
    batch = _Batch(session, context.now)
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


@dataclass(frozen=True)
class _Context:
    session: Session
    config: IngestConfig
    redo: Outcome | None
    not_spam: bool
    now: datetime


def read_message(raw: bytes, source: Source | None, config: IngestConfig) -> ReadMessage:
    """Hash and parse one message; needs no database, so it may run in another thread."""
    sha = hashlib.sha256(raw).hexdigest()
    try:
        parsed = parse_message(raw, max_attachment_bytes=config.max_attachment_bytes)
    except ParseError as error:
        return ReadMessage(
            raw, sha, source, None, f"cannot be parsed: {error.reason}", f"sha256:{sha}"
        )
    return ReadMessage(raw, sha, source, parsed, None, parsed.dedupe_key)


def _ingest_run(
    context: _Context,
    batch: _Batch,
    items: Sequence[ReadMessage],
    position: int,
    results: list[IngestResult | None],
) -> int:
    """Ingest from ``position`` on, as far as one group goes; returns where to go on."""
    mark = batch.mark()
    end = position
    try:
        with context.session.begin_nested():
            group = _Group(context, batch, size=len(items) - position)
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


def _ingest_one(context: _Context, batch: _Batch, item: ReadMessage) -> IngestResult:
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
            group = _Group(context, batch)
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
    batch: _Batch

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
            _Seen(str(outcome), ticket.number if ticket else None),
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
    noise = _classify(parsed, config, not_spam=not_spam)
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
    if _over_ack_limit(ticket.number, address, recent, config):
        return False
    subject, body, references = _ack_content(
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


def _over_ack_limit(number: int, address: str, recent: int, config: IngestConfig) -> bool:
    if recent < config.ack_limit_per_hour:
        return False
    log.info("no acknowledgement for #%s: %s had %s this hour", number, address, recent)
    return True


def _ack_content(
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


# --- the batch: lookups once, statements for the common cases ----------------------------


@dataclass(frozen=True)
class ReadMessage:
    """One fetched message, hashed and parsed (:func:`read_message`), ready for ingest."""

    raw: bytes
    sha: str
    source: Source | None
    parsed: ParsedMessage | None
    failure: str | None
    key: str


@dataclass(frozen=True)
class _Seen:
    """A processed row: what became of a message the first time."""

    outcome: str
    number: int | None


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), _IN_CHUNK):
        yield ordered[start : start + _IN_CHUNK]


def _address(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize_email(value)
    except InvalidValue:
        return None


_MISSING = object()


class _Batch:
    """What the batch's messages need from the database, looked up together.

    The lookups hold for the messages not yet ingested: what each message adds (its
    contact, processed key, Message-ID, acknowledgement) is remembered at once, with an
    undo journal, so a rolled-back savepoint takes its additions back too (:meth:`mark`,
    :meth:`undo_to`). After a message that took the ORM path (``stale``) they are looked up
    again.
    """

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.stale = False
        self.processed: dict[str, _Seen] = {}
        self.raw_ids: dict[str, int] = {}
        self.threads: dict[str, int | NewTicket] = {}
        """Message-ID (stored or sent) → the ticket holding it."""
        self.contacts: dict[str, ContactRef] = {}
        self.organizations: dict[str, int] = {}
        self.acks: Counter[str] = Counter()
        self._undo: list[tuple[dict[Any, Any], object, object]] = []

    def load(self, items: Sequence[ReadMessage]) -> None:
        conn = self.session.connection()
        self.stale = False
        hashes = {key_hash(item.key): item.key for item in items}
        self.processed = {}
        for chunk in _chunks(hashes):
            rows = conn.execute(
                select(_PROCESSED.c.key_hash, _PROCESSED.c.outcome, _TICKET.c.number)
                .outerjoin(_TICKET, _TICKET.c.id == _PROCESSED.c.ticket_id)
                .where(_PROCESSED.c.key_hash.in_(chunk))
            )
            for digest, outcome, number in rows:
                self.processed[hashes[digest]] = _Seen(outcome, number)
        self.raw_ids = {}
        for chunk in _chunks(item.sha for item in items):
            rows = conn.execute(select(_RAW.c.sha256, _RAW.c.id).where(_RAW.c.sha256.in_(chunk)))
            self.raw_ids.update({sha: int(raw_id) for sha, raw_id in rows})
        parsed = [item.parsed for item in items if item.parsed is not None]
        self.threads = {}
        wanted = [mid for p in parsed for mid in wanted_ids(p)]
        for table in (_MESSAGE, _OUTBOX):  # an outbox row wins, as in match_thread
            for chunk in _chunks(wanted):
                rows = conn.execute(
                    select(table.c.email_message_id, table.c.ticket_id)
                    .join(_TICKET, _TICKET.c.id == table.c.ticket_id)
                    .where(table.c.email_message_id.in_(chunk))
                )
                self.threads.update({mid: int(ticket_id) for mid, ticket_id in rows})
        addresses = {a for p in parsed if (a := _address(p.from_address)) is not None}
        self.contacts = intake.contacts_by_email(self.session, addresses)
        self.organizations = intake.organizations_by_domain(
            self.session, (a.rsplit("@", 1)[1] for a in addresses)
        )
        self.acks = Counter()
        for chunk in _chunks(addresses):
            rows = conn.execute(
                select(_ACK.c.address, func.count())
                .where(_ACK.c.address.in_(chunk), _ACK.c.created_at > self.now - timedelta(hours=1))
                .group_by(_ACK.c.address)
            )
            self.acks.update({address: int(count) for address, count in rows})

    def store_raws(self, items: Sequence[ReadMessage]) -> None:
        """Store the raw bytes of every message that will need them, in one statement.

        That is the first message of each dedupe key not processed before; outside any
        savepoint, as :meth:`raw_id` is, so quarantine can always point at them.
        """
        keys: set[str] = set()
        rows: dict[str, dict[str, object]] = {}
        for item in items:
            if item.key in keys or item.key in self.processed:
                continue
            keys.add(item.key)
            if item.sha not in self.raw_ids:
                rows[item.sha] = {"sha256": item.sha, "content": item.raw, "received_at": self.now}
        if rows:
            ids = self.session.connection().execute(_INSERT_RAWS, list(rows.values())).scalars()
            self.raw_ids.update(zip(rows, (int(i) for i in ids), strict=True))

    # -- additions, and taking them back ------------------------------------------------

    def remember(self, mapping: dict[Any, Any], key: object, value: object) -> None:
        self._undo.append((mapping, key, mapping.get(key, _MISSING)))
        mapping[key] = value

    def mark(self) -> int:
        return len(self._undo)

    def undo_to(self, mark: int) -> None:
        while len(self._undo) > mark:
            mapping, key, old = self._undo.pop()
            if old is _MISSING:
                del mapping[key]
            else:
                mapping[key] = old

    def keep(self) -> None:
        """The additions so far are committed to (a released savepoint): no undo for them."""
        self._undo.clear()

    # -- lookups ------------------------------------------------------------------------

    def raw_id(self, raw: bytes, sha: str) -> int:
        """The id of the stored raw bytes (stored once, however often the message comes)."""
        found = self.raw_ids.get(sha)
        if found is None:
            found = int(
                self.session.connection()
                .execute(_INSERT_RAW, {"sha256": sha, "content": raw, "received_at": self.now})
                .scalar_one()
            )
            self.remember(self.raw_ids, sha, found)
        return found

    def thread_of(
        self, parsed: ParsedMessage, signer: MessageIdSigner
    ) -> int | NewTicket | Literal["new"] | None:
        """The ticket a message continues, ``"new"``, or None to leave it to match_thread.

        A ticket is its id, or the :class:`NewTicket` of the group at hand.

        The order and rules are :func:`~helpdesk_tui.mail.thread_match.match_thread`'s;
        what needs more than the lookups (our own signed IDs not stored, subject tokens)
        is left to it.
        """
        for message_id in wanted_ids(parsed):
            checked = signer.check(message_id)
            if checked.origin is Origin.FORGED:
                continue
            if message_id in self.threads:
                found = self.threads[message_id]
                return intake.ticket_key(found) if isinstance(found, NewTicket) else found
            if checked.origin is Origin.OURS and checked.ticket_number is not None:
                return None
        if TOKEN.search(parsed.subject):
            return None
        return "new"


class _Group:
    """Common messages written together through :class:`~helpdesk_tui.desk.intake.Intake`.

    :meth:`add` takes a new ticket, a follow-up on an open ticket, own mail or a duplicate,
    and says None — before writing anything — for what needs the ORM path of
    :func:`_apply`. Thread messages, events, outbox, acknowledgement and processed rows go
    in at :meth:`flush`, one statement per table.
    """

    def __init__(self, context: _Context, batch: _Batch, size: int = 1) -> None:
        self.context = context
        self.batch = batch
        self.intake = intake.Intake(context.session, expected_tickets=size)
        self._processed: list[tuple[dict[str, object], intake.MessageHandle | None]] = []
        self._acks: list[dict[str, object]] = []

    def add(self, item: ReadMessage) -> IngestResult | None:
        context, batch = self.context, self.batch
        earlier = batch.processed.get(item.key)
        if earlier is not None:
            if context.redo is not None and earlier.outcome == context.redo:
                return None
            return IngestResult(Outcome(earlier.outcome), earlier.number, duplicate=True)
        parsed = item.parsed
        if parsed is None:
            return None
        noise = _classify(parsed, context.config, not_spam=context.not_spam)
        if noise is Noise.OWN:
            self._done(item, Outcome.OWN, None, None)
            return IngestResult(Outcome.OWN)
        if noise in (Noise.SPAM, Noise.BOUNCE) or parsed.skipped_attachments:
            return None
        thread = batch.thread_of(parsed, context.config.signer)
        if thread is None:
            return None
        target: AnyTicket | None = None
        if isinstance(thread, NewTicket):
            target = thread
        elif thread != "new":
            target = self.intake.lock_open_ticket(thread)
            if target is None:
                return None
        return self._store(item, parsed, noise, target)

    def _store(
        self, item: ReadMessage, parsed: ParsedMessage, noise: Noise, target: AnyTicket | None
    ) -> IngestResult:
        batch, session = self.batch, self.context.session
        meta = _email_meta(parsed, batch.raw_id(item.raw, item.sha))
        author: ContactRef | None = None
        if parsed.from_address is not None:
            author = intake.contact_for(
                session, batch.contacts, batch.organizations, parsed.from_address, parsed.from_name
            )
            batch.remember(batch.contacts, author.email, author)
        author_id = author.id if author else None
        acknowledged = False
        ticket: AnyTicket
        if target is None:
            ticket = self.intake.open_ticket(
                MAIL,
                subject=parsed.subject or "(no subject)",
                channel=Channel.EMAIL,
                requester_id=author_id,
            )
            message = self.intake.append_message(
                MAIL,
                ticket,
                kind=MessageKind.CUSTOMER,
                body=parsed.body_text,
                channel=Channel.EMAIL,
                author_contact_id=author_id,
                email=meta,
            )
            outcome = Outcome.TICKET
            if should_acknowledge(noise) and author is not None and author.email:
                acknowledged = self._acknowledge(ticket, author, parsed)
        else:
            ticket, message = self.intake.customer_follow_up(
                MAIL,
                target,
                body=parsed.body_text,
                channel=Channel.EMAIL,
                author_contact_id=author_id,
                email=meta,
            )
            outcome = Outcome.FOLLOW_UP
        if parsed.message_id:
            batch.remember(batch.threads, parsed.message_id, intake.ticket_key(ticket))
        self._done(item, outcome, ticket, message)
        return IngestResult(outcome, ticket.number, acknowledged=acknowledged)

    def _acknowledge(self, ticket: AnyTicket, requester: ContactRef, parsed: ParsedMessage) -> bool:
        """:func:`_acknowledge`, counting this hour's acknowledgements from the lookups."""
        config, batch = self.context.config, self.batch
        if not config.ack_enabled or config.ack_limit_per_hour == 0:
            return False
        address = requester.email
        if _over_ack_limit(ticket.number, address, batch.acks[address], config):
            return False
        subject, body, references = _ack_content(
            ticket.number, ticket.subject, requester.name, address, parsed, config
        )
        self.intake.queue_mail(
            ticket,
            kind=ACK_KIND,
            to=[address],
            subject=subject,
            body=body,
            in_reply_to=parsed.message_id,
            references=references,
        )
        self._acks.append({"address": address, "created_at": self.context.now})
        batch.remember(batch.acks, address, batch.acks[address] + 1)
        return True

    def _done(
        self,
        item: ReadMessage,
        outcome: Outcome,
        ticket: AnyTicket | None,
        message: intake.MessageHandle | None,
    ) -> None:
        source = item.source
        row = processed_row(
            item.key,
            outcome,
            raw_message_id=self.batch.raw_id(item.raw, item.sha),
            mailbox=source.mailbox if source else None,
            uidvalidity=source.uidvalidity if source else None,
            uid=source.uid if source else None,
        )
        row["ticket_id"] = intake.ticket_key(ticket) if ticket else None
        self._processed.append((row, message))
        seen = _Seen(str(outcome), ticket.number if ticket else None)
        self.batch.remember(self.batch.processed, item.key, seen)

    def flush(self) -> None:
        session = self.context.session
        ids = self.intake.flush()
        insert_processed(
            session,
            [
                {
                    **row,
                    "ticket_id": intake.resolve_ticket_id(row["ticket_id"]),
                    "message_id": ids[message.position] if message else None,
                }
                for row, message in self._processed
            ],
        )
        if self._acks:
            session.connection().execute(_INSERT_ACK, self._acks)
