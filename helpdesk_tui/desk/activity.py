"""What arrived on a ticket after an agent last looked: for the check before sending.

An agent's view of a ticket is a ``Watermark``: the version they loaded and the last
message they saw. ``since`` lists what others did after it — new messages (with their
text) and field changes — so a composer can show them before a reply goes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.history import describe, since_version
from helpdesk_tui.desk.ticket_record import load
from helpdesk_tui.storage.core_tables import Agent, Contact, Event, Message, event
from helpdesk_tui.storage.database import connection_of
from helpdesk_tui.storage.enums import MessageKind

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from helpdesk_tui.storage.database import Reader

MESSAGE_EVENTS = frozenset({"customer_message", "reply", "note", "phone_call"})
"""Events that only say a message was added; the message itself is listed instead."""
BODY_START = 4_000
"""Characters of an arrived message read for its preview (the composer shows six lines)."""


@dataclass(frozen=True)
class Watermark:
    """How far an agent has seen a ticket."""

    number: int
    version: int
    last_message_id: int


@dataclass(frozen=True)
class Arrival:
    """One thing that happened: ``who`` did ``what``; ``body`` is a message's text."""

    at: datetime
    who: str
    what: str
    body: str | None = None
    """At most :data:`BODY_START` characters: what was said, not all of it."""


@dataclass(frozen=True)
class Since:
    """What arrived, and how far that brings the agent who reads it (to send against)."""

    arrivals: list[Arrival]
    current: Watermark


def watermark(reader: Reader, number: int) -> Watermark:
    """The ticket as it is now, read in one transaction."""
    conn = connection_of(reader)
    ticket = load(conn, number)
    last = conn.execute(select(func.max(Message.id)).where(Message.ticket_id == ticket.id)).scalar()
    return Watermark(number=number, version=ticket.version, last_message_id=int(last or 0))


_MESSAGE_COLUMNS = (
    Message.id,
    Message.kind,
    Message.channel,
    Message.author_agent_id,
    Message.author_contact_id,
    Message.from_address,
    Message.created_at,
    func.substr(Message.body, 1, BODY_START).label("start"),
)
"""A message as an arrival shows it: who, what, and the first part of its text."""


def since(reader: Reader, mark: Watermark, *, excluding: Actor | None = None) -> Since:
    """Messages after ``mark.last_message_id`` and events after ``mark.version``.

    ``excluding`` leaves out the agent's own doings (they know what they did).
    """
    conn = connection_of(reader)
    ticket = load(conn, mark.number)
    current = watermark(conn, mark.number)
    messages = select(*_MESSAGE_COLUMNS).where(
        Message.ticket_id == ticket.id, Message.id > mark.last_message_id
    )
    events = select(event).where(
        *since_version(ticket, mark.version), Event.kind.not_in(MESSAGE_EVENTS)
    )
    return Since(_arrivals(conn, messages, events, excluding), current)


def since_time(
    reader: Reader, number: int, when: datetime, *, excluding: Actor | None = None
) -> Since:
    """Messages and events on the ticket after ``when``."""
    conn = connection_of(reader)
    ticket = load(conn, number)
    current = watermark(conn, number)
    messages = select(*_MESSAGE_COLUMNS).where(
        Message.ticket_id == ticket.id, Message.created_at > when
    )
    events = select(event).where(
        Event.ticket_id == ticket.id, Event.created_at > when, Event.kind.not_in(MESSAGE_EVENTS)
    )
    return Since(_arrivals(conn, messages, events, excluding), current)


def _arrivals(
    conn: Connection, messages: Select[Any], events: Select[Any], excluding: Actor | None
) -> list[Arrival]:
    me = excluding.agent_id if excluding is not None else None
    result: list[Arrival] = []
    for row in conn.execute(messages.order_by(Message.id)).all():
        if me is not None and row.author_agent_id == me:
            continue
        result.append(
            Arrival(row.created_at, _author(conn, row), _label(row), str(row.start or ""))
        )
    for row in conn.execute(events.order_by(Event.id)).all():
        if me is not None and row.actor_agent_id == me:
            continue
        what = describe(row).removeprefix(f"{row.actor}: ")
        result.append(Arrival(row.created_at, row.actor, what))
    result.sort(key=lambda a: a.at)
    return result


def _author(conn: Connection, row: Any) -> str:
    if row.kind == MessageKind.CUSTOMER and row.author_contact_id is not None:
        contact = conn.execute(
            select(Contact.name, Contact.email).where(Contact.id == row.author_contact_id)
        ).first()
        if contact is not None:
            return contact.name or contact.email or "customer"
    if row.author_agent_id is not None:
        login = conn.execute(select(Agent.login).where(Agent.id == row.author_agent_id)).scalar()
        if login is not None:
            return str(login)
    return row.from_address or "customer"


def _label(row: Any) -> str:
    if row.kind == MessageKind.CUSTOMER:
        return "phone call" if row.channel == "phone" else "customer message"
    return {"reply": "reply", "note": "internal note"}.get(row.kind, str(row.kind))
