"""The batch: what a batch of messages needs from the database, and the common cases
written together.

Looked up message by message, the processed key, raw hash, threaded Message-IDs, contact
and acknowledgement count would cost several queries per message. :class:`Batch` looks
each of them up once for the whole batch (one query per IN list of values) and keeps an
undo log of what each message adds, so a rolled-back savepoint takes its additions back
too. :class:`Group` writes a run of common messages — a new ticket, a follow-up on an open
ticket, own mail, a duplicate — with the statements of :mod:`helpdesk_tui.desk.intake`,
one per table, in one savepoint per run; when anything in a run fails,
:func:`helpdesk_tui.mail.ingest.ingest_batch` rolls the run back and does it again one
message per savepoint. The rules themselves, and the ORM path for everything rarer, are in
:mod:`helpdesk_tui.mail.ingest`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, insert
from sqlmodel import Session, select

from helpdesk_tui.desk import intake
from helpdesk_tui.desk.actors import MAIL
from helpdesk_tui.desk.contacts import normalize_email
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.intake import AnyTicket, ContactRef, NewTicket
from helpdesk_tui.desk.mailstate import insert_processed, key_hash, processed_row
from helpdesk_tui.desk.subjects import ticket_tokens
from helpdesk_tui.mail.ingest_common import (
    ACK_KIND,
    Context,
    IngestResult,
    Source,
    ack_content,
    classify_noise,
    email_meta,
    over_ack_limit,
)
from helpdesk_tui.mail.message_ids import MessageIdSigner, Origin
from helpdesk_tui.mail.noise import Noise, should_acknowledge
from helpdesk_tui.mail.parse import ParsedMessage
from helpdesk_tui.mail.thread_match import wanted_ids
from helpdesk_tui.storage.mail_models import AckSent, Outcome, ProcessedMail
from helpdesk_tui.storage.models import (
    Channel,
    Message,
    MessageKind,
    Outbox,
    RawMessage,
    Ticket,
)

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


@dataclass(frozen=True)
class ReadMessage:
    """One fetched message, hashed and parsed, ready for ingest.

    Made by :func:`~helpdesk_tui.mail.ingest.read_message`.
    """

    raw: bytes
    sha: str
    source: Source | None
    parsed: ParsedMessage | None
    failure: str | None
    key: str


@dataclass(frozen=True)
class Seen:
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


class Batch:
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
        self.processed: dict[str, Seen] = {}
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
                self.processed[hashes[digest]] = Seen(outcome, number)
        self.raw_ids = {}
        for chunk in _chunks(item.sha for item in items):
            raws = conn.execute(select(_RAW.c.sha256, _RAW.c.id).where(_RAW.c.sha256.in_(chunk)))
            self.raw_ids.update({sha: int(raw_id) for sha, raw_id in raws})
        parsed = [item.parsed for item in items if item.parsed is not None]
        self.threads = {}
        wanted = [mid for p in parsed for mid in wanted_ids(p)]
        for table in (_MESSAGE, _OUTBOX):  # an outbox row wins, as in match_thread
            for chunk in _chunks(wanted):
                holders = conn.execute(
                    select(table.c.email_message_id, table.c.ticket_id)
                    .join(_TICKET, _TICKET.c.id == table.c.ticket_id)
                    .where(table.c.email_message_id.in_(chunk))
                )
                self.threads.update({mid: int(ticket_id) for mid, ticket_id in holders})
        addresses = {a for p in parsed if (a := _address(p.from_address)) is not None}
        self.contacts = intake.contacts_by_email(self.session, addresses)
        self.organizations = intake.organizations_by_domain(
            self.session, (a.rsplit("@", 1)[1] for a in addresses)
        )
        self.acks = Counter()
        for chunk in _chunks(addresses):
            counts = conn.execute(
                select(_ACK.c.address, func.count())
                .where(_ACK.c.address.in_(chunk), _ACK.c.created_at > self.now - timedelta(hours=1))
                .group_by(_ACK.c.address)
            )
            self.acks.update({address: int(count) for address, count in counts})

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
        if ticket_tokens(parsed.subject):
            return None
        return "new"


class Group:
    """Common messages written together through :class:`~helpdesk_tui.desk.intake.Intake`.

    :meth:`add` takes a new ticket, a follow-up on an open ticket, own mail or a duplicate,
    and says None — before writing anything — for what needs the ORM path of
    :func:`helpdesk_tui.mail.ingest._apply`. Thread messages, events, outbox,
    acknowledgement and processed rows go in at :meth:`flush`, one statement per table.
    """

    def __init__(self, context: Context, batch: Batch, size: int = 1) -> None:
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
        noise = classify_noise(parsed, context.config, not_spam=context.not_spam)
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
        meta = email_meta(parsed, batch.raw_id(item.raw, item.sha))
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
        """:func:`helpdesk_tui.mail.ingest._acknowledge`, counting this hour's from the lookups."""
        config, batch = self.context.config, self.batch
        if not config.ack_enabled or config.ack_limit_per_hour == 0:
            return False
        address = requester.email
        if over_ack_limit(ticket.number, address, batch.acks[address], config):
            return False
        subject, body, references = ack_content(
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
        seen = Seen(str(outcome), ticket.number if ticket else None)
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
