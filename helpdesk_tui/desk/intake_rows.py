"""The rows of mail intake, written as SQL statements, and the lookups a batch shares.

:class:`Intake` writes the rows the ORM functions of :mod:`helpdesk_tui.desk.tickets` and
:mod:`helpdesk_tui.desk.thread` would (ticket, thread message, attachments, events, the
version bump and reopen, outgoing mail), with the same defaults, taken from the models. It
exists because the poller writes a few thousand messages a minute and the ORM's unit of
work costs several times what the statements do. It is only ever driven by
:class:`helpdesk_tui.desk.intake.Writer`, which holds the rules; this module holds none.

An existing ticket is locked and bumped at once (its current state decides what happens).
Everything new — tickets (numbers taken as a block), thread messages, attachments, events,
outbox rows — waits in the :class:`Intake` and goes in with one statement per table at
:meth:`Intake.flush`. A ticket changed here is expired in the session, so an ORM object
loaded before never writes back a stale version.

:class:`Lookups` looks up what a batch of messages needs (processed keys, raw hashes,
threaded Message-IDs, tickets named by number, contacts, acknowledgement counts) with one
query per kind, and keeps an undo journal so a rolled-back savepoint takes back what its
messages added.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from pydantic_core import PydanticUndefined
from sqlalchemy import LargeBinary, Table, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, SQLModel

from helpdesk_tui.desk import copies, history, sla_clock, sla_marks
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.blobs import Chunked, Content, as_bytes, chunks_of, size_of
from helpdesk_tui.desk.contacts import normalize_email
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.inbound import ACK_KIND
from helpdesk_tui.desk.mailstate import key_hash, same_when_normalized
from helpdesk_tui.desk.outbox import OutboxStatus, dead_addresses
from helpdesk_tui.desk.statuses import REOPENED_BY_CUSTOMER
from helpdesk_tui.desk.tickets import (
    EmailMeta,
    NewAttachment,
    message_values,
    return_numbers,
    take_numbers,
)
from helpdesk_tui.desk.values import parse_priority, parse_type
from helpdesk_tui.storage.driver_rows import as_sqlalchemy_would, insert_rows
from helpdesk_tui.storage.mail_models import AckSent, ProcessedMail
from helpdesk_tui.storage.models import (
    PRIORITY_RANK,
    Agent,
    Attachment,
    Channel,
    Contact,
    Event,
    Message,
    MessageKind,
    Organization,
    Outbox,
    RawMessage,
    Status,
    Ticket,
    TicketCopy,
    utcnow,
)


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def _defaults(model: type[SQLModel]) -> dict[str, Any]:
    """The model's own field defaults, so a Core row matches what the ORM would insert."""
    return {
        name: info.default
        for name, info in model.model_fields.items()
        if info.default is not PydanticUndefined and info.default_factory is None
    }


_TICKET, _MESSAGE, _EVENT, _OUTBOX = (_table(m) for m in (Ticket, Message, Event, Outbox))
_COPY = _table(TicketCopy)
_CONTACT, _ORGANIZATION, _ATTACHMENT = (_table(m) for m in (Contact, Organization, Attachment))
_AGENT = _table(Agent)
_TICKET_DEFAULTS = _defaults(Ticket)
_MESSAGE_DEFAULTS = _defaults(Message)
_OUTBOX_DEFAULTS = _defaults(Outbox)
_NEW_PRIORITY = parse_priority("normal")
_NEW_TYPE = parse_type("question")

# Built once and executed with parameters: compiled once, no per-row statement building.
_INSERT_ATTACHMENT_IDS = insert(_ATTACHMENT).returning(
    _ATTACHMENT.c.id, sort_by_parameter_order=True
)
_RENAME_CONTACT = update(_CONTACT).where(_CONTACT.c.id == bindparam("contact_id"))
_BUMP_TICKET = update(_TICKET).where(_TICKET.c.id == bindparam("ticket_id"))
_TICKET_STATE = select(
    _TICKET.c.id,
    _TICKET.c.number,
    _TICKET.c.subject,
    _TICKET.c.version,
    _TICKET.c.requester_id,
    _TICKET.c.status,
    _TICKET.c.merged_into_id,
).where(_TICKET.c.id == bindparam("ticket_id"))
_LOCK_TICKET = _TICKET_STATE.with_for_update()
_LOCK_TICKETS = (
    select(*_TICKET_STATE.selected_columns)
    .where(_TICKET.c.id.in_(bindparam("ticket_ids", expanding=True)))
    .order_by(_TICKET.c.id)  # one order for every locker: no deadlock between two
    .with_for_update()
)


@dataclass(frozen=True)
class TicketRef:
    """What intake needs of a ticket: enough to thread, acknowledge and record events."""

    id: int
    number: int
    subject: str
    version: int
    requester_id: int | None
    status: str


@dataclass(eq=False)
class NewTicket:
    """A ticket made by :meth:`Intake.open_ticket`: inserted at the flush, ``id`` known then.

    Until then a follow-up in the same group changes its row in memory (nobody else can see
    a ticket that is not inserted yet), and rows that point at it hold this object.
    """

    row: dict[str, Any]
    id: int | None = None

    @property
    def number(self) -> int:
        return int(self.row["number"])

    @property
    def subject(self) -> str:
        return str(self.row["subject"])

    @property
    def version(self) -> int:
        return int(self.row["version"])

    @property
    def requester_id(self) -> ContactId | None:
        value = self.row["requester_id"]
        return None if value is None else cast(ContactId, value)

    @property
    def status(self) -> str:
        return str(self.row["status"])


AnyTicket = TicketRef | NewTicket


def ticket_key(ticket: AnyTicket) -> int | NewTicket:
    """What a row stores as its ``ticket_id`` until the flush: the id, or the new ticket."""
    if isinstance(ticket, NewTicket) and ticket.id is None:
        return ticket
    assert ticket.id is not None
    return ticket.id


def resolve_ticket_id(value: object) -> object:
    """A stored ``ticket_id`` after the flush: new tickets replaced by their ids."""
    return value.id if isinstance(value, NewTicket) else value


@dataclass(eq=False)
class NewContact:
    """A contact made by :meth:`Intake.contact`: inserted at the flush, ``id`` known then."""

    row: dict[str, Any]
    id: int | None = None


ContactId = int | NewContact
"""A contact as rows hold it until the flush: its id, or a contact of the group at hand."""


@dataclass(frozen=True)
class Opened:
    """What a sender's own copy of a list post needs to know of the ticket the list's copy
    opened (:meth:`Lookups.opened_by`)."""

    requester: str | None
    """The requester's address, lower case."""
    replied: bool
    """An agent has replied on it."""
    acknowledged: bool
    """An acknowledgement was queued for it."""


@dataclass(frozen=True)
class ContactRef:
    id: ContactId
    email: str
    name: str


def contact_id(contact: ContactRef) -> int:
    """The contact's id, once written (a new contact has one after the flush)."""
    value = contact.id
    if isinstance(value, NewContact):
        assert value.id is not None, "the new contact is not written yet"
        return value.id
    return value


def same_contact(one: ContactId | None, other: ContactId | None) -> bool:
    """Whether two contact references are one contact (written or not yet)."""
    if isinstance(one, NewContact) and one.id is not None:
        one = one.id
    if isinstance(other, NewContact) and other.id is not None:
        other = other.id
    if one is None or other is None:
        return False
    if isinstance(one, NewContact) or isinstance(other, NewContact):
        return one is other
    return one == other


def _resolve_contact(value: object) -> object:
    return value.id if isinstance(value, NewContact) else value


def _connection(session: Session) -> Connection:
    return session.connection()


def _forget(session: Session, model: type[SQLModel], row_id: int) -> None:
    """Expire an ORM copy of a row just changed by a statement (it reloads when next read)."""
    loaded = session.identity_map.get(session.identity_key(model, row_id))
    if loaded is not None:
        session.expire(loaded)


# --- contacts ------------------------------------------------------------------------------


def contacts_by_email(session: Session, emails: Iterable[str]) -> dict[str, ContactRef]:
    """Known contacts for these (normalized) addresses, in one query."""
    wanted = sorted(set(emails))
    if not wanted:
        return {}
    rows = _connection(session).execute(
        select(_CONTACT.c.id, _CONTACT.c.email, _CONTACT.c.name).where(_CONTACT.c.email.in_(wanted))
    )
    return {email: ContactRef(cid, email, name) for cid, email, name in rows}


def organizations_by_domain(session: Session, domains: Iterable[str]) -> dict[str, int]:
    """Organization ids by mail domain (the first, as ``find_or_create_contact`` takes it)."""
    wanted = sorted(set(domains))
    if not wanted:
        return {}
    rows = _connection(session).execute(
        select(_ORGANIZATION.c.domain, _ORGANIZATION.c.id)
        .where(_ORGANIZATION.c.domain.in_(wanted))
        .order_by(_ORGANIZATION.c.id.desc())
    )
    return {domain: oid for domain, oid in rows}


# --- tickets and messages ------------------------------------------------------------------


@dataclass(frozen=True)
class MessageHandle:
    """A thread message made by :meth:`Intake.append_message`; its id exists after the flush."""

    position: int


class Intake:
    """One group of incoming messages' rows, for one savepoint of the caller's.

    ``expected_tickets`` is how many new tickets it may make at most: their numbers are
    taken in one block at the first, and the unused rest is given back at :meth:`flush`.
    """

    def __init__(self, session: Session, expected_tickets: int = 1) -> None:
        self.session = session
        self._expected = max(1, expected_tickets)
        self._numbers: list[int] = []
        self._unused = 0
        self._messages: list[dict[str, Any]] = []
        self._attachments: list[Sequence[NewAttachment]] = []
        self._events: list[dict[str, Any]] = []
        self._outbox: list[dict[str, Any]] = []
        self._copies: list[dict[str, Any]] = []
        self._copies_known: dict[int | NewTicket, tuple[list[str], set[str]]] = {}
        """Each ticket's copies and its requester's addresses, as this group leaves them."""
        self._tickets: list[NewTicket] = []
        self._bumps: dict[int, dict[str, Any]] = {}
        """Changes to existing tickets (locked), written at :meth:`flush` in one statement
        per set of columns."""
        self._bumped: dict[int, TicketRef] = {}
        """Those tickets as they are after the changes waiting in ``_bumps``."""
        self._contacts: list[NewContact] = []
        self._candidates: Sequence[int] = ()
        self._locked: dict[int, Any] | None = None
        """Rows of the tickets this group may change, locked together at the first
        :meth:`lock_ticket` (see :meth:`expect_tickets`)."""

    def expect_tickets(self, ticket_ids: Iterable[int]) -> None:
        """The existing tickets this group may change: the first :meth:`lock_ticket` locks
        them all in one statement. Only for a group that writes no ticket through the ORM
        before its flush (the rows read here would go stale)."""
        candidates = sorted(set(ticket_ids))
        self._candidates = candidates if len(candidates) <= _IN_CHUNK else ()

    def contact(
        self,
        known: Mapping[str, ContactRef],
        organizations: Mapping[str, int],
        email: str,
        name: str = "",
    ) -> ContactRef:
        """:func:`~helpdesk_tui.desk.contacts.find_or_create_contact`, looked up in ``known``;
        a new contact is inserted at :meth:`flush`, with the group's others.

        ``known`` and ``organizations`` must be current for this address (the caller
        prefetched them in this transaction); the result is the caller's to remember.
        """
        email = normalize_email(email)
        found = known.get(email)
        if found is not None:
            if name and not found.name:
                pending = found.id
                if isinstance(pending, NewContact) and pending.id is None:
                    pending.row["name"] = name
                else:
                    row_id = contact_id(found)
                    _connection(self.session).execute(
                        _RENAME_CONTACT, {"contact_id": row_id, "name": name}
                    )
                    _forget(self.session, Contact, row_id)
                return ContactRef(found.id, email, name)
            return found
        new = NewContact(
            {
                "email": email,
                "name": name,
                "organization_id": organizations.get(email.rsplit("@", 1)[1]),
                "created_at": utcnow(),
            }
        )
        self._contacts.append(new)
        return ContactRef(new, email, name)

    def _event(
        self,
        actor: Actor,
        ticket: AnyTicket,
        kind: str,
        *,
        field: str | None = None,
        old: object = None,
        new: object = None,
    ) -> None:
        """The same row as :func:`helpdesk_tui.desk.history.record`."""
        self._events.append(
            history.event_values(
                ticket_key(ticket), ticket, actor, kind, field=field, old=old, new=new
            )
        )

    def open_ticket(
        self,
        actor: Actor,
        *,
        subject: str,
        channel: str,
        requester_id: ContactId | None,
        reply_to: str | None = None,
    ) -> NewTicket:
        """A new ticket with no first message yet: ``create_ticket(..., body="")``."""
        subject = " ".join(subject.split())
        if not subject:
            raise InvalidValue("a ticket needs a subject")
        channel = Channel(channel)
        if not self._numbers:
            self._numbers = list(reversed(take_numbers(self.session, self._expected)))
            self._unused += self._expected
        number = self._numbers.pop()
        self._unused -= 1
        now = utcnow()
        values = {
            **_TICKET_DEFAULTS,
            "number": number,
            "subject": subject[:500],
            "requester_id": requester_id,
            "reply_to": reply_to,
            "priority": _NEW_PRIORITY,
            "priority_rank": PRIORITY_RANK[_NEW_PRIORITY],
            "type": _NEW_TYPE,
            "channel": channel,
            "created_at": now,
            "updated_at": now,
        }
        values.pop("id", None)
        ticket = NewTicket(values)
        self._tickets.append(ticket)
        self._event(actor, ticket, "created", new=f"via {channel.value}")
        return ticket

    def append_message(
        self,
        actor: Actor,
        ticket: AnyTicket,
        *,
        kind: MessageKind,
        body: str,
        channel: str,
        author_contact_id: ContactId | None = None,
        email: EmailMeta | None = None,
        created_at: datetime | None = None,
    ) -> MessageHandle:
        """The thread entry :func:`~helpdesk_tui.desk.tickets.add_message` writes (written
        now, unless ``created_at`` says when it was: a message recovered from a quote)."""
        email = email or EmailMeta()
        values = {
            **_MESSAGE_DEFAULTS,
            **message_values(
                ticket_key(ticket),
                actor,
                kind=kind,
                body=body,
                channel=channel,
                author_contact_id=author_contact_id,
                email=email,
            ),
        }
        values.pop("id", None)
        if created_at is not None:
            values["created_at"] = created_at
        self._messages.append(values)
        self._attachments.append(email.attachments)
        return MessageHandle(len(self._messages) - 1)

    def message_time(self, message: MessageHandle) -> datetime:
        """When a message appended by this group was written (its ``created_at``)."""
        return cast(datetime, self._messages[message.position]["created_at"])

    def lock_ticket(self, ticket_id: int) -> TicketRef | None:
        """The ticket under its write lock, merges followed to the one holding the thread."""
        conn = _connection(self.session)
        if self._locked is None and self._candidates:
            rows = conn.execute(_LOCK_TICKETS, {"ticket_ids": list(self._candidates)})
            self._locked = {row.id: row for row in rows}
        seen: set[int] = set()
        while True:
            if ticket_id in self._bumped:  # locked and changed by this group already
                return self._bumped[ticket_id]
            row = (self._locked or {}).get(ticket_id)
            if row is None:
                row = conn.execute(_LOCK_TICKET, {"ticket_id": ticket_id}).one_or_none()
            if row is None:
                return None
            seen.add(row.id)
            if row.merged_into_id is None or row.merged_into_id in seen:
                return TicketRef(
                    row.id, row.number, row.subject, row.version, row.requester_id, row.status
                )
            ticket_id = row.merged_into_id

    def bump(self, ticket: AnyTicket, changes: dict[str, object] | None = None) -> AnyTicket:
        """Move the version on (and apply ``changes``); the ticket as it now is.

        An existing ticket (locked by :meth:`lock_ticket`) is written at :meth:`flush`,
        with the other bumps of the group; until then this group sees it as changed.
        """
        values: dict[str, object] = {
            "version": ticket.version + 1,
            "updated_at": utcnow(),
            **(changes or {}),
        }
        if isinstance(ticket, NewTicket) and ticket.id is None:
            ticket.row.update(values)
            return ticket
        assert ticket.id is not None
        requester_id = ticket.requester_id
        assert not isinstance(requester_id, NewContact), "a written ticket's contact is written"
        self._bumps.setdefault(ticket.id, {}).update(values)
        bumped = TicketRef(
            ticket.id,
            ticket.number,
            ticket.subject,
            ticket.version + 1,
            requester_id,
            str(values.get("status", ticket.status)),
        )
        self._bumped[ticket.id] = bumped
        return bumped

    def system_note(
        self,
        actor: Actor,
        ticket: AnyTicket,
        body: str,
        *,
        email: EmailMeta | None = None,
        event: str | None = None,
        detail: str | None = None,
    ) -> MessageHandle:
        """A system entry on the thread (and an event when ``event`` names one)."""
        message = self.append_message(
            actor, ticket, kind=MessageKind.SYSTEM, body=body, channel=Channel.EMAIL, email=email
        )
        if event is not None:
            self._event(actor, ticket, event, new=detail)
        return message

    def event(
        self,
        actor: Actor,
        ticket: AnyTicket,
        kind: str,
        detail: str | None,
        *,
        field: str | None = None,
        old: object = None,
    ) -> None:
        """A history row of ``kind`` with ``detail`` as its new value (a change of ``field``
        from ``old``, when given)."""
        self._event(actor, ticket, kind, field=field, old=old, new=detail)

    def keep_copies(
        self,
        actor: Actor,
        ticket: AnyTicket,
        candidates: Sequence[str],
        people: Iterable[str | None] = (),
    ) -> None:
        """The ticket keeps ``candidates`` (``copies.kept_from_mail``'s) as copies, each
        with its event, but its requester's addresses (``people`` for a new ticket, read
        for one that exists) and those it has (``copies.fresh``)."""
        key = ticket_key(ticket)
        known = self._copies_known.get(key)
        if known is None:
            known = ([], set()) if isinstance(key, NewTicket) else self._read_copies(key)
            self._copies_known[key] = known
        kept, requester = known
        requester.update(a for a in people if a)
        added = copies.fresh(kept, [a for a in candidates if a not in requester])
        kept.extend(added)
        self._copies.extend(copies.rows(key, added, utcnow()))
        for address in added:
            self._event(actor, ticket, "copy_added", field=copies.FIELD, new=address)

    def _read_copies(self, ticket_id: int) -> tuple[list[str], set[str]]:
        conn = _connection(self.session)
        return copies.copies_of(conn, ticket_id), copies.requester_addresses(conn, ticket_id)

    def customer_follow_up(
        self,
        actor: Actor,
        ticket: AnyTicket,
        *,
        body: str,
        channel: str,
        author_contact_id: ContactId | None,
        email: EmailMeta | None = None,
        reply_to: str | None = None,
    ) -> tuple[AnyTicket, MessageHandle]:
        """A customer message on an open ticket from :meth:`lock_ticket` or this group.

        Bumps the version, appends the message and its event, and reopens a waiting or
        resolved ticket (with its status event). Returns the ticket as it now is.
        """
        old = Status(ticket.status)
        changes: dict[str, object] = {}
        reopen = old in REOPENED_BY_CUSTOMER
        if reopen:
            changes["status"] = Status.OPEN
            if old is Status.RESOLVED:
                changes["resolved_at"] = None
        if reply_to is not None:
            changes["reply_to"] = reply_to
        bumped = self.bump(ticket, changes)
        requester_id = author_contact_id if author_contact_id is not None else ticket.requester_id
        message = self.append_message(
            actor,
            bumped,
            kind=MessageKind.CUSTOMER,
            body=body,
            channel=channel,
            author_contact_id=requester_id,
            email=email,
        )
        self._event(actor, bumped, "customer_message", new=f"via {channel}")
        if reopen:
            self._event(actor, bumped, "status", field="status", old=old, new=Status.OPEN)
        return bumped, message

    def queue_mail(
        self,
        ticket: AnyTicket,
        *,
        now: datetime,
        kind: str,
        to: Iterable[str],
        body: str,
        subject: str,
        in_reply_to: str | None = None,
        references: Iterable[str] = (),
    ) -> None:
        """The outbox row :func:`~helpdesk_tui.desk.outbox.queue_mail` writes, due ``now``."""
        values = {
            **_OUTBOX_DEFAULTS,
            "ticket_id": ticket_key(ticket),
            "message_id": None,
            "kind": kind,
            "to_addresses": ", ".join(to),
            "cc_addresses": None,
            "subject": subject,
            "body": body,
            "in_reply_to": in_reply_to,
            "references": " ".join(references) or None,
            "status": OutboxStatus.QUEUED,
            "next_attempt_at": now,
            "created_at": now,
        }
        values.pop("id", None)
        self._outbox.append(values)

    def flush(self) -> list[int]:
        """Write the waiting rows; the thread message ids, by :class:`MessageHandle` position."""
        conn = _connection(self.session)
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for ticket_id, values in self._bumps.items():
            by_columns.setdefault(tuple(sorted(values)), []).append(
                {"ticket_id": ticket_id, **values}
            )
            _forget(self.session, Ticket, ticket_id)
        for rows in by_columns.values():
            conn.execute(_BUMP_TICKET, rows)
        self._bumps, self._bumped = {}, {}
        self._candidates, self._locked = (), None
        if self._contacts:
            contact_ids = insert_returning_ids(conn, _CONTACT, [c.row for c in self._contacts])
            for contact, new_id in zip(self._contacts, contact_ids, strict=True):
                contact.id = new_id
            self._contacts = []
        for ticket in self._tickets:
            ticket.row["requester_id"] = _resolve_contact(ticket.row["requester_id"])
        for row in self._messages:
            row["author_contact_id"] = _resolve_contact(row["author_contact_id"])
        if self._tickets:
            new_rows = [ticket.row for ticket in self._tickets]
            sla_clock.set_new_dues(self.session, new_rows)
            ticket_ids = insert_returning_ids(conn, _TICKET, new_rows)
            for ticket, new_id in zip(self._tickets, ticket_ids, strict=True):
                ticket.id = new_id
            sla_marks.born(self.session, ticket_ids)
        for rows in (self._messages, self._events, self._outbox, self._copies):
            for row in rows:
                row["ticket_id"] = resolve_ticket_id(row["ticket_id"])
        ids: list[int] = []
        if self._messages:
            ids = insert_returning_ids(conn, _MESSAGE, self._messages)
        attachments = [
            item.row(message_id)
            for message_id, items in zip(ids, self._attachments, strict=True)
            for item in items
        ]
        aside = _set_aside_big(conn, attachments)
        if any(content is not None for content in aside):
            stored = [int(i) for i in conn.execute(_INSERT_ATTACHMENT_IDS, attachments).scalars()]
            _write_big(conn, _ATTACHMENT, stored, aside)
            attachments = []
        for rows, table in (
            (attachments, _ATTACHMENT),
            (self._events, _EVENT),
            (self._outbox, _OUTBOX),
            (self._copies, _COPY),
        ):
            insert_rows(conn, table, rows)
        sla_marks.touch_rows(self.session, self._events)
        return_numbers(self.session, self._unused)
        self._numbers, self._unused, self._tickets = [], 0, []
        self._messages, self._attachments, self._events, self._outbox = [], [], [], []
        self._copies, self._copies_known = [], {}
        return ids


_FULL_TEXT = frozenset(("ticket", "message", "contact"))
"""Tables with a full-text index kept by an insert trigger (SQLite)."""
_ID_TABLES = (_TICKET, _MESSAGE, _table(RawMessage), _CONTACT)
_LAST_IDS = {table.name: select(func.max(table.c.id)) for table in _ID_TABLES}
_NEXT_IDS = (
    "SELECT nextval(sequence) FROM (SELECT pg_get_serial_sequence(%s, 'id')) AS s(sequence), "
    "generate_series(1, %s) ORDER BY 1"
)


def insert_returning_ids(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` into ``table`` (``ticket``, ``message``, ``raw_message`` or
    ``contact``) with the driver's ``executemany``; their ids, in order.

    Neither engine returns ids from a plain ``executemany``, and an ``INSERT ... RETURNING``
    costs: SQLite inserts such rows one statement each, PostgreSQL takes them as one
    multi-row statement that psycopg parses again every time (tens of thousands of
    characters for a batch of mail). So on PostgreSQL the ids are taken from the table's
    sequence first, in one query, and written with the rows (each row gets its ``id``);
    on SQLite they are worked out: a rowid table gives each new row the largest rowid so
    far plus one, and a transaction holds SQLite's write lock from its first write to its
    end, so the rows just inserted hold the last ``len(rows)`` ids, in order.
    """
    if conn.dialect.name != "sqlite":
        ids = [int(i) for (i,) in conn.exec_driver_sql(_NEXT_IDS, (table.name, len(rows)))]
        for row, new_id in zip(rows, ids, strict=True):
            row["id"] = new_id
        insert_rows(conn, table, rows)
        return ids
    insert_rows(conn, table, rows, staged=table.name in _FULL_TEXT)
    last = int(conn.execute(_LAST_IDS[table.name]).scalar_one())
    return list(range(last - len(rows) + 1, last + 1))


_BIG_VALUE = 1 << 20
"""``content`` values over this many bytes are not bound to the INSERT but written after it,
a piece at a time: the sqlite3 module keeps the values bound to its cached statements until
they run again, so the last raw message and attachment (52 MiB for a 30 MB message) stayed
resident between polls, under the next message being parsed; and a streamed attachment
(:class:`~.blobs.Chunked`) is never made whole."""
_ZERO_CONTENT = {
    table.name: update(table)
    .where(table.c.id == bindparam("row_id"))
    .values(content=func.zeroblob(bindparam("blob_size")))
    for table in (_ATTACHMENT, _table(RawMessage))
}
_APPEND_CONTENT = {
    table.name: update(table)
    .where(table.c.id == bindparam("row_id"))
    .values(content=table.c.content.concat(bindparam("piece", type_=LargeBinary)))
    for table in (_ATTACHMENT, _table(RawMessage))
}
_APPEND_BYTES = 2 << 20
"""PostgreSQL writes a value again whole on each append (15 appends for 30 MB), but
psycopg holds a piece two or three times over while sending it."""


def _set_aside_big(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[Content | None]:
    """Each big ``content`` taken out of its row (left empty) for :func:`_write_big`; None
    for a row left as it is (with its bytes made whole)."""
    aside: list[Content | None] = []
    for row in rows:
        content = row["content"]
        big = size_of(content) > _BIG_VALUE
        aside.append(content if big else None)
        row["content"] = b"" if big else as_bytes(content)
    return aside


def _write_big(
    conn: Connection, table: Table, ids: Sequence[int], aside: Sequence[Content | None]
) -> None:
    """Write the contents set aside into the rows just inserted, in the same transaction,
    a piece at a time. On SQLite through a blob handle: ``content`` is the last column, so
    SQLite writes the ``zeroblob`` page by page instead of building the row in memory. On
    PostgreSQL appended in pieces of :data:`_APPEND_BYTES`."""
    sqlite = conn.dialect.name == "sqlite"
    for row_id, content in zip(ids, aside, strict=True):
        if content is None:
            continue
        if not sqlite:
            for piece in _pieces(content, _APPEND_BYTES):
                conn.execute(_APPEND_CONTENT[table.name], {"row_id": row_id, "piece": piece})
            continue
        size = size_of(content)
        conn.execute(_ZERO_CONTENT[table.name], {"row_id": row_id, "blob_size": size})
        dbapi = cast(sqlite3.Connection, conn.connection.dbapi_connection)
        # (the driver's own call: its failure, a full or read-only file, leaves as
        # SQLAlchemy's would, so the front doors show it as one line like any other)
        with (
            as_sqlalchemy_would(conn, f"blob write {table.name}.content"),
            dbapi.blobopen(table.name, "content", row_id) as blob,
        ):
            for chunk in chunks_of(content):
                blob.write(chunk)


def _pieces(content: Content, size: int) -> Iterator[bytes]:
    """The content in pieces of about ``size`` bytes."""
    if not isinstance(content, Chunked):
        view = memoryview(content)
        for start in range(0, len(view), size):
            yield bytes(view[start : start + size])
        return
    piece: list[bytes] = []
    held = 0
    for chunk in content.chunks():
        piece.append(chunk)
        held += len(chunk)
        if held >= size:
            yield b"".join(piece)
            piece, held = [], 0
    if piece:
        yield b"".join(piece)


# --- the batch's lookups -------------------------------------------------------------------

_READ_BYTES = 1 << 20
"""A stored raw message is read a piece of this many bytes at a time."""


def stored_pieces(conn: Connection, raw_id: int) -> Generator[bytes, None, None]:
    """The raw bytes stored as ``raw_message`` ``raw_id``, a piece at a time (nothing when
    it has none). On SQLite through a blob handle, on PostgreSQL a slice at a time."""
    size = _READ_BYTES
    if conn.dialect.name == "sqlite":
        dbapi = cast(sqlite3.Connection, conn.connection.dbapi_connection)
        try:
            blob = dbapi.blobopen(_RAW.name, "content", raw_id, readonly=True)
        except sqlite3.OperationalError:  # no such row, or its content is NULL
            return
        with blob:
            while piece := blob.read(size):
                yield piece
        return
    start = 1
    while True:
        found = conn.execute(
            select(func.substring(_RAW.c.content, start, size)).where(_RAW.c.id == raw_id)
        ).scalar_one_or_none()
        if not found:
            return
        yield bytes(found)
        if len(found) < size:
            return
        start += size


_RAW, _ACK, _PROCESSED = (_table(m) for m in (RawMessage, AckSent, ProcessedMail))
_MAX_TRANSPORT_COPIES = 5
"""Earlier messages under one Message-ID whose raw bytes a possible copy is compared with."""
_INSERT_RAW = insert(_RAW).returning(_RAW.c.id)
_IN_CHUNK = 500
"""Values per IN list: far below SQLite's and PostgreSQL's parameter limits."""
_MISSING = object()

TicketKey = int | NewTicket
"""A ticket as the lookups hold it: its id, or a ticket of the group at hand."""


@dataclass(frozen=True)
class Seen:
    """A processed row: what became of a message the first time."""

    outcome: str
    number: int | None


_SAME_TEXT_CHARS = 300
"""How much of the shorter text must be in the longer one for two texts under one
Message-ID to be one message, a list's copy of it (:func:`same_text`)."""


def same_text(first: str, second: str) -> bool:
    """Whether two messages' texts are one text but for what a mailing list adds: the
    first :data:`_SAME_TEXT_CHARS` characters of the shorter (spaces and line ends as one
    space) are in the longer. Another message under a reused Message-ID is not."""
    one, other = " ".join(first.split()), " ".join(second.split())
    shorter, longer = sorted((one, other), key=len)
    head = shorter[:_SAME_TEXT_CHARS]
    return bool(head) and head in longer


def chunks(values: Iterable[str]) -> Iterator[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), _IN_CHUNK):
        yield ordered[start : start + _IN_CHUNK]


def address_or_none(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize_email(value)
    except InvalidValue:
        return None


def _split_addresses(*values: str | None) -> set[str]:
    return {a.strip().lower() for v in values for a in (v or "").split(",") if a.strip()}


@dataclass(frozen=True)
class Wanted:
    """What a batch needs looked up, gathered from its messages before the first."""

    keys: Sequence[str] = ()
    message_keys: Sequence[str] = ()
    shas: Sequence[str] = ()
    normals: Sequence[str] = ()
    """Normalised hashes of the messages without a Message-ID."""
    message_ids: Sequence[str] = ()
    numbers: Sequence[int] = ()
    addresses: Sequence[str] = ()


class Lookups:
    """What a batch's messages need from the database, looked up together.

    The lookups hold for the messages not yet written: what each message adds (contact,
    processed key, Message-ID, acknowledgement, participants) is remembered at once, with
    an undo journal, so a rolled-back savepoint takes its additions back too (:meth:`mark`,
    :meth:`undo_to`). After a message written through the ORM (``stale``) they are looked
    up again.
    """

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.stale = False
        self.processed: dict[str, Seen] = {}
        self.contents: dict[str, list[tuple[str | None, Seen]]] = {}
        """Message-ID hash → (content hash, outcome) of each message processed under it."""
        self.texts: dict[str, list[tuple[str, Seen]]] = {}
        """Message-ID hash → the text of each message under it processed in this batch
        (for :meth:`list_copy`: a mailing list's copy of one of them)."""
        self.raw_ids: dict[str, int] = {}
        self.by_raw: dict[str, Seen] = {}
        """Raw bytes' sha256 → what became of a message stored with exactly those bytes."""
        self.by_normal: dict[str, Seen] = {}
        """Normalised hash → what became of a message without a Message-ID stored with
        those bytes but for how a server wrote them."""
        self.threads: dict[str, TicketKey] = {}
        """Message-ID (stored or sent) → the ticket holding it."""
        self.numbers: dict[int, TicketKey] = {}
        """Ticket number → ticket, for subject tokens and our own signed Message-IDs."""
        self.people: dict[TicketKey, set[str]] = {}
        """Ticket → addresses that may thread into it by subject token (filled on demand)."""
        self.contacts: dict[str, ContactRef] = {}
        self.organizations: dict[str, int] = {}
        self.acks: Counter[str] = Counter()
        self.dead: dict[str, str] = {}
        """Address → why no automatic mail goes to it (``outbox.dead_addresses``: it
        bounced for good lately), for the batch's senders and reply addresses."""
        self._agents: dict[str, str] | None = None
        self._every_agent: frozenset[str] | None = None
        self._undo: list[tuple[dict[Any, Any], object, object]] = []

    def _agent_logins(self) -> dict[str, str]:
        """Active agents' logins by their email (read once a batch)."""
        if self._agents is None:
            self._read_agents()
        assert self._agents is not None
        return self._agents

    def _read_agents(self) -> None:
        rows = _connection(self.session).execute(
            select(_AGENT.c.email, _AGENT.c.login, _AGENT.c.active).where(
                _AGENT.c.email.is_not(None)
            )
        )
        active: dict[str, str] = {}
        every: set[str] = set()
        for email, login, is_active in rows:
            address = str(email).strip().lower()
            every.add(address)
            if is_active:
                active[address] = str(login)
        self._agents, self._every_agent = active, frozenset(every)

    def agent_login(self, address: str) -> str | None:
        """The login of the active agent whose email is ``address``."""
        return self._agent_logins().get(address.strip().lower())

    def agent_addresses(self) -> frozenset[str]:
        """Every agent's address, lower-case, a deactivated one's too: still ours (a
        colleague who left, or is away, and may be active again), never a customer's."""
        if self._every_agent is None:
            self._read_agents()
        assert self._every_agent is not None
        return self._every_agent

    def load(self, wanted: Wanted) -> None:
        conn = _connection(self.session)
        self.stale = False
        hashes = {key_hash(key): key for key in wanted.keys}
        self.processed = {}
        for chunk in chunks(hashes):
            rows = conn.execute(
                select(_PROCESSED.c.key_hash, _PROCESSED.c.outcome, _TICKET.c.number)
                .outerjoin(_TICKET, _TICKET.c.id == _PROCESSED.c.ticket_id)
                .where(_PROCESSED.c.key_hash.in_(chunk))
            )
            for digest, outcome, number in rows:
                self.processed[hashes[digest]] = Seen(outcome, number)
        self.contents = {}
        self.texts = {}
        for chunk in chunks(wanted.message_keys):
            found = conn.execute(
                select(
                    _PROCESSED.c.message_key,
                    _PROCESSED.c.content_hash,
                    _PROCESSED.c.outcome,
                    _TICKET.c.number,
                )
                .outerjoin(_TICKET, _TICKET.c.id == _PROCESSED.c.ticket_id)
                .where(_PROCESSED.c.message_key.in_(chunk))
            )
            for message_key, content, outcome, number in found:
                entry = (content, Seen(outcome, number))
                self.contents.setdefault(message_key, []).append(entry)
        self.raw_ids = {}
        self.by_raw = {}
        for chunk in chunks(wanted.shas):
            raws = conn.execute(select(_RAW.c.sha256, _RAW.c.id).where(_RAW.c.sha256.in_(chunk)))
            stored = {int(raw_id): sha for sha, raw_id in raws}
            self.raw_ids.update({sha: raw_id for raw_id, sha in stored.items()})
            if not stored:
                continue  # (new bytes, the common case: none processed before)
            # The same bytes processed before (under a key from an older content hash): an
            # index walk on ix_mail_processed_raw_message per stored raw message.
            seen = conn.execute(
                select(_PROCESSED.c.raw_message_id, _PROCESSED.c.outcome, _TICKET.c.number)
                .outerjoin(_TICKET, _TICKET.c.id == _PROCESSED.c.ticket_id)
                .where(_PROCESSED.c.raw_message_id.in_(list(stored)))
                .order_by(_PROCESSED.c.id)
            )
            for raw_id, outcome, number in seen:
                self.by_raw.setdefault(stored[int(raw_id)], Seen(outcome, number))
        self.by_normal = {}
        for chunk in chunks(wanted.normals):
            seen = conn.execute(
                select(_PROCESSED.c.normal_hash, _PROCESSED.c.outcome, _TICKET.c.number)
                .outerjoin(_TICKET, _TICKET.c.id == _PROCESSED.c.ticket_id)
                .where(_PROCESSED.c.normal_hash.in_(chunk))
                .order_by(_PROCESSED.c.id)
            )
            for digest, outcome, number in seen:
                self.by_normal.setdefault(digest, Seen(outcome, number))
        self.threads = {}
        for table in (_MESSAGE, _OUTBOX):  # an outbox row wins
            for chunk in chunks(wanted.message_ids):
                holders = conn.execute(
                    select(table.c.email_message_id, table.c.ticket_id)
                    .join(_TICKET, _TICKET.c.id == table.c.ticket_id)
                    .where(table.c.email_message_id.in_(chunk))
                )
                self.threads.update({mid: int(ticket_id) for mid, ticket_id in holders})
        self.numbers = {}
        if wanted.numbers:
            by_number = conn.execute(
                select(_TICKET.c.number, _TICKET.c.id).where(
                    _TICKET.c.number.in_(sorted(set(wanted.numbers)))
                )
            )
            self.numbers = {int(number): int(tid) for number, tid in by_number}
        self.people = {}
        addresses = set(wanted.addresses)
        self.contacts = contacts_by_email(self.session, addresses)
        self.organizations = organizations_by_domain(
            self.session, (a.rsplit("@", 1)[1] for a in addresses)
        )
        self.acks = Counter()
        for chunk in chunks(addresses):
            counts = conn.execute(
                select(_ACK.c.address, func.count())
                .where(_ACK.c.address.in_(chunk), _ACK.c.created_at > self.now - timedelta(hours=1))
                .group_by(_ACK.c.address)
            )
            self.acks.update({address: int(count) for address, count in counts})
        self.dead = dead_addresses(self.session, addresses, self.now)

    def transport_copy(self, message_id: str, raw: bytes | bytearray) -> Seen | None:
        """An earlier message under this Message-ID whose stored bytes are ``raw`` but for
        how a server wrote them (:func:`~.mailstate.transport_normalized`): the same
        message, re-encoded, read again after an upgrade changed its content hash. Read
        only when a Message-ID came before with another content hash (rare): each such
        message's raw bytes, a few at most, a piece at a time and only as far as the first
        difference (:func:`~.mailstate.same_when_normalized`): a 27 MB message costs a
        piece of memory, and another message under its Message-ID is told apart at once."""
        conn = _connection(self.session)
        earlier = conn.execute(
            select(_PROCESSED.c.raw_message_id, _PROCESSED.c.outcome, _TICKET.c.number)
            .outerjoin(_TICKET, _TICKET.c.id == _PROCESSED.c.ticket_id)
            .where(
                _PROCESSED.c.message_key == key_hash(message_id),
                _PROCESSED.c.raw_message_id.is_not(None),
            )
            .order_by(_PROCESSED.c.id)
            .limit(_MAX_TRANSPORT_COPIES)
        ).all()
        for raw_id, outcome, number in earlier:
            with closing(stored_pieces(conn, int(raw_id))) as stored:
                if same_when_normalized(chunks_of(raw), stored):
                    return Seen(outcome, number)
        return None

    def list_copy(self, message_id: str, text: str) -> Seen | None:
        """An earlier message under this Message-ID of which ``text`` (a mailing list's
        copy) is the same text but for what a list adds (a footer, a header line): the
        start of the shorter of the two is in the other (:func:`same_text`). Read only
        for a list's mail whose Message-ID came before with another content hash (rare):
        this batch's, then the stored messages' texts, a few at most."""
        for earlier, seen in self.texts.get(key_hash(message_id), []):
            if same_text(earlier, text):
                return seen
        for body, _, outcome, number in self._stored_under(message_id):
            if same_text(str(body or ""), text):
                return Seen(outcome, number)
        return None

    def earlier_senders(self, message_id: str) -> set[str]:
        """The From addresses of the stored messages under this Message-ID (lower case):
        a list that rewrites From (DMARC) sent its copy from its own address. Read for a
        sender's own copy of a message a mailing list's copy opened a ticket with (rare)."""
        rows = self._stored_under(message_id)
        return {str(address).lower() for _, address, _, _ in rows if address}

    def _stored_under(self, message_id: str) -> Sequence[Any]:
        """The stored messages under this Message-ID, a few at most, first first: (text,
        From address, outcome, ticket number)."""
        return (
            _connection(self.session)
            .execute(
                select(
                    _MESSAGE.c.body, _MESSAGE.c.from_address, _PROCESSED.c.outcome, _TICKET.c.number
                )
                .select_from(_PROCESSED)
                .join(_MESSAGE, _MESSAGE.c.id == _PROCESSED.c.message_id)
                .outerjoin(_TICKET, _TICKET.c.id == _PROCESSED.c.ticket_id)
                .where(_PROCESSED.c.message_key == key_hash(message_id))
                .order_by(_PROCESSED.c.id)
                .limit(_MAX_TRANSPORT_COPIES)
            )
            .all()
        )

    def opened_by(self, number: int) -> Opened | None:
        """Ticket ``number``'s requester address, whether an agent has replied on it and
        whether it was acknowledged; None while the ticket is this batch's, not written
        yet. Read for a sender's own copy of a message a mailing list's copy opened the
        ticket with (rare)."""
        conn = _connection(self.session)
        found = conn.execute(
            select(_TICKET.c.id, _CONTACT.c.email)
            .select_from(_TICKET)
            .outerjoin(_CONTACT, _CONTACT.c.id == _TICKET.c.requester_id)
            .where(_TICKET.c.number == number)
        ).first()
        if found is None:
            return None
        replied = conn.execute(
            select(_MESSAGE.c.id)
            .where(_MESSAGE.c.ticket_id == found.id, _MESSAGE.c.kind == MessageKind.REPLY)
            .limit(1)
        ).first()
        acknowledged = conn.execute(
            select(_OUTBOX.c.id)
            .where(_OUTBOX.c.ticket_id == found.id, _OUTBOX.c.kind == ACK_KIND)
            .limit(1)
        ).first()
        requester = found.email.lower() if found.email else None
        return Opened(requester, replied is not None, acknowledged is not None)

    def store_raws(self, raws: Sequence[tuple[str, bytes | bytearray]]) -> None:
        """Store these raw messages (sha, bytes) not stored yet, in one statement.

        Outside any savepoint, as :meth:`raw_id` is, so quarantine can always point at them.
        """
        rows: dict[str, dict[str, object]] = {}
        for sha, raw in raws:
            if sha not in self.raw_ids:
                rows[sha] = {"sha256": sha, "content": raw, "received_at": self.now}
        if rows:
            conn = _connection(self.session)
            aside = _set_aside_big(conn, list(rows.values()))
            ids = insert_returning_ids(conn, _RAW, list(rows.values()))
            _write_big(conn, _RAW, ids, aside)
            self.raw_ids.update(zip(rows, ids, strict=True))

    def raw_id(self, raw: bytes | bytearray, sha: str) -> int:
        """The id of the stored raw bytes (stored once, however often the message comes)."""
        found = self.raw_ids.get(sha)
        if found is None:
            conn = _connection(self.session)
            row = {"sha256": sha, "content": raw, "received_at": self.now}
            aside = _set_aside_big(conn, [row])
            found = int(conn.execute(_INSERT_RAW, row).scalar_one())
            _write_big(conn, _RAW, [found], aside)
            self.remember(self.raw_ids, sha, found)
        return found

    def participants(self, ticket: TicketKey) -> set[str]:
        """Addresses that may thread by token: the requester, the people the ticket copies
        and everyone on the thread."""
        found = self.people.get(ticket)
        if found is not None:
            return found
        found = set()
        if isinstance(ticket, int):
            conn = _connection(self.session)
            requester = conn.execute(
                select(_CONTACT.c.email)
                .join(_TICKET, _TICKET.c.requester_id == _CONTACT.c.id)
                .where(_TICKET.c.id == ticket)
            ).scalar_one_or_none()
            found |= _split_addresses(requester)
            found |= set(copies.copies_of(conn, ticket))  # (one an agent added, too)
            for row in conn.execute(
                select(
                    _MESSAGE.c.from_address, _MESSAGE.c.to_addresses, _MESSAGE.c.cc_addresses
                ).where(_MESSAGE.c.ticket_id == ticket)
            ):
                found |= _split_addresses(*row)
            for sent in conn.execute(
                select(_OUTBOX.c.to_addresses, _OUTBOX.c.cc_addresses).where(
                    _OUTBOX.c.ticket_id == ticket
                )
            ):
                found |= _split_addresses(*sent)
        self.remember(self.people, ticket, found)
        return found

    def add_participants(self, ticket: TicketKey, addresses: Iterable[str]) -> None:
        if ticket in self.people or isinstance(ticket, NewTicket):
            known = self.people.get(ticket, set())
            self.remember(self.people, ticket, known | {a.lower() for a in addresses if a})

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
