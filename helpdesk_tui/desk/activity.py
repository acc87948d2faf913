"""What arrived on a ticket after an agent last looked: for the check before sending.

An agent's view of a ticket is a ``Watermark``: the version they loaded and the last
message they saw. ``since`` lists what others did after it — new messages (with their
text) and field changes — so a composer can show them before a reply goes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.history import describe, since_version
from helpdesk_tui.desk.tickets import load_ticket
from helpdesk_tui.storage.models import Agent, Contact, Event, Message, MessageKind

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


def watermark(session: Session, number: int) -> Watermark:
    """The ticket as it is now, read in one transaction."""
    ticket = load_ticket(session, number)
    last = session.exec(select(func.max(Message.id)).where(Message.ticket_id == ticket.id)).one()
    return Watermark(number=number, version=ticket.version, last_message_id=int(last or 0))


def since(session: Session, mark: Watermark, *, excluding: Actor | None = None) -> Since:
    """Messages after ``mark.last_message_id`` and events after ``mark.version``.

    ``excluding`` leaves out the agent's own doings (they know what they did).
    """
    ticket = load_ticket(session, mark.number)
    current = watermark(session, mark.number)
    messages = select(Message).where(
        Message.ticket_id == ticket.id, col(Message.id) > mark.last_message_id
    )
    events = select(Event).where(
        *since_version(ticket, mark.version),
        col(Event.kind).not_in(MESSAGE_EVENTS),
    )
    return Since(_arrivals(session, messages, events, excluding), current)


def since_time(
    session: Session, number: int, when: datetime, *, excluding: Actor | None = None
) -> Since:
    """Messages and events on the ticket after ``when``."""
    ticket = load_ticket(session, number)
    current = watermark(session, number)
    messages = select(Message).where(Message.ticket_id == ticket.id, col(Message.created_at) > when)
    events = select(Event).where(
        Event.ticket_id == ticket.id,
        col(Event.created_at) > when,
        col(Event.kind).not_in(MESSAGE_EVENTS),
    )
    return Since(_arrivals(session, messages, events, excluding), current)


def _arrivals(
    session: Session,
    messages: SelectOfScalar[Message],
    events: SelectOfScalar[Event],
    excluding: Actor | None,
) -> list[Arrival]:
    me = excluding.agent_id if excluding is not None else None
    result: list[Arrival] = []
    for message in session.exec(messages.options(defer(Message.body))).all():  # type: ignore[arg-type]
        if me is not None and message.author_agent_id == me:
            continue
        who, what = _author(session, message), _label(message)
        result.append(Arrival(message.created_at, who, what, _start(session, message)))
    for event in session.exec(events).all():
        if me is not None and event.actor_agent_id == me:
            continue
        what = describe(event).removeprefix(f"{event.actor}: ")
        result.append(Arrival(event.created_at, event.actor, what))
    result.sort(key=lambda a: a.at)
    return result


def _start(session: Session, message: Message) -> str:
    """The first :data:`BODY_START` characters of a message (a preview; it may be huge)."""
    start = session.execute(
        sa_select(func.substr(Message.body, 1, BODY_START)).where(col(Message.id) == message.id)
    ).scalar_one()
    return str(start or "")


def _author(session: Session, message: Message) -> str:
    if message.kind == MessageKind.CUSTOMER and message.author_contact_id is not None:
        contact = session.get(Contact, message.author_contact_id)
        if contact is not None:
            return contact.name or contact.email or "customer"
    if message.author_agent_id is not None:
        agent = session.get(Agent, message.author_agent_id)
        if agent is not None:
            return agent.login
    return message.from_address or "customer"


def _label(message: Message) -> str:
    if message.kind == MessageKind.CUSTOMER:
        return "phone call" if message.channel == "phone" else "customer message"
    return {"reply": "reply", "note": "internal note"}.get(message.kind, message.kind)
