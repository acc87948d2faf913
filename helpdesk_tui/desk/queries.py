"""Reading tickets: what a list row and a filter are, one ticket's row, one ticket in full.

Lists themselves (views, filters, sorts, paging, search) are ``desk/queue.py``'s alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from helpdesk_tui.desk.attachments import AttachmentInfo, list_attachments
from helpdesk_tui.desk.history import describe
from helpdesk_tui.desk.outbox import Delivery, ticket_outbox
from helpdesk_tui.desk.queue_values import TicketFilter as TicketFilter
from helpdesk_tui.desk.queue_values import TicketRow as TicketRow
from helpdesk_tui.desk.relations import linked_numbers
from helpdesk_tui.desk.satisfaction import Rating, ticket_rating
from helpdesk_tui.desk.tags import ticket_tags
from helpdesk_tui.desk.ticket_rows import has_tickets as has_tickets
from helpdesk_tui.desk.ticket_rows import rows_by_id as rows_by_id
from helpdesk_tui.desk.ticket_rows import ticket_row as ticket_row
from helpdesk_tui.desk.tickets import load_ticket
from helpdesk_tui.storage.models import (
    Agent,
    Contact,
    Event,
    Message,
    MessageKind,
    Ticket,
)


@dataclass(frozen=True)
class MessageView:
    """One message of a thread, as read: the stored fields people and scripts see."""

    id: int
    kind: str
    channel: str
    author: str
    """Who wrote it, for people: the requester's name or email, an agent's login, else the
    sender's address (``unknown`` when there is none)."""
    from_address: str | None
    to_addresses: str | None
    cc_addresses: str | None
    subject: str | None
    body: str
    """The whole text; empty when read without bodies (a screen reads it in parts)."""
    created_at: datetime


@dataclass(frozen=True)
class EventView:
    """One line of a ticket's history: the change as stored and worded for people."""

    id: int
    actor: str
    kind: str
    field: str | None
    old_value: str | None
    new_value: str | None
    created_at: datetime
    text: str
    """``bob: status open → in progress`` (:func:`~helpdesk_tui.desk.history.describe`)."""


@dataclass(frozen=True)
class TicketDetail:
    """One ticket in full: its row, thread, tags, history and links; values all the way down."""

    row: TicketRow
    messages: list[MessageView]
    events: list[EventView]
    tags: list[str]
    links: list[tuple[str, int]] = field(default_factory=list)
    merged_into: int | None = None
    outgoing: list[Delivery] = field(default_factory=list)
    """Every mail the ticket sent or will send, with its delivery state."""
    attachments: list[AttachmentInfo] = field(default_factory=list)
    """Every file in the thread, received or attached by an agent, without contents."""

    def files_of(self, message_id: int | None) -> list[AttachmentInfo]:
        return [a for a in self.attachments if a.message_id == message_id]

    rating: Rating | None = None
    """The customer's latest satisfaction rating."""

    @property
    def deliveries(self) -> dict[int, Delivery]:
        """The mail of each agent's reply, by thread message id (the newest row wins)."""
        return {d.message_id: d for d in self.outgoing if d.message_id is not None}

    def as_json(self) -> dict[str, Any]:
        return {
            **self.row.as_json(),
            "tags": self.tags,
            "links": [{"kind": k, "number": n} for k, n in self.links],
            "merged_into": self.merged_into,
            "rating": None if self.rating is None else vars(self.rating),
            "messages": [
                {
                    "kind": m.kind,
                    "channel": m.channel,
                    "from": m.from_address,
                    "created_at": m.created_at.isoformat(),
                    "body": m.body,
                    "mail": self.deliveries[m.id].id if m.id in self.deliveries else None,
                    "attachments": [
                        {
                            "id": a.id,
                            "filename": a.filename,
                            "content_type": a.content_type,
                            "size": a.size,
                        }
                        for a in self.files_of(m.id)
                    ],
                }
                for m in self.messages
            ],
            "outgoing": [
                {**vars(d), "state": d.describe(), "resendable": d.resendable}
                for d in self.outgoing
            ],
            "history": [
                {
                    "actor": e.actor,
                    "kind": e.kind,
                    "field": e.field,
                    "old": e.old_value,
                    "new": e.new_value,
                    "at": e.created_at.isoformat(),
                }
                for e in self.events
            ],
        }


def _author(session: Session, message: Message, logins: dict[int, str]) -> str:
    name = ""
    if message.kind == MessageKind.CUSTOMER and message.author_contact_id is not None:
        contact = session.get(Contact, message.author_contact_id)
        name = (contact.name or contact.email or "") if contact else ""
    elif message.author_agent_id is not None:
        name = logins.get(message.author_agent_id, "")
    return name or message.from_address or "unknown"


def _message_view(
    session: Session, message: Message, logins: dict[int, str], *, bodies: bool
) -> MessageView:
    assert message.id is not None
    return MessageView(
        id=message.id,
        kind=message.kind,
        channel=message.channel,
        author=_author(session, message, logins),
        from_address=message.from_address,
        to_addresses=message.to_addresses,
        cc_addresses=message.cc_addresses,
        subject=message.subject,
        body=message.body if bodies else "",
        created_at=message.created_at,
    )


def _event_view(event: Event) -> EventView:
    assert event.id is not None
    return EventView(
        id=event.id,
        actor=event.actor,
        kind=event.kind,
        field=event.field,
        old_value=event.old_value,
        new_value=event.new_value,
        created_at=event.created_at,
        text=describe(event),
    )


def ticket_detail(session: Session, number: int, *, bodies: bool = True) -> TicketDetail:
    """The ticket in full, as values (no ORM rows); without ``bodies`` the messages' text is
    not read (a screen reads its first part with
    :func:`~helpdesk_tui.desk.ticket_view.load_view`)."""
    ticket = load_ticket(session, number)
    assert ticket.id is not None
    row = ticket_row(session, number)
    assert row is not None
    statement = (
        select(Message)
        .where(Message.ticket_id == ticket.id)
        .order_by(col(Message.created_at), col(Message.id))
    )
    if not bodies:
        statement = statement.options(defer(Message.body), defer(Message.body_html))  # type: ignore[arg-type]
    logins = {
        agent_id: login
        for agent_id, login in session.exec(select(Agent.id, Agent.login))
        if agent_id is not None
    }
    messages = [
        _message_view(session, message, logins, bodies=bodies)
        for message in session.exec(statement)
    ]
    events = [
        _event_view(event)
        for event in session.exec(
            select(Event).where(Event.ticket_id == ticket.id).order_by(col(Event.id))
        )
    ]
    merged_into = None
    if ticket.merged_into_id is not None:
        target = session.get(Ticket, ticket.merged_into_id)
        merged_into = target.number if target else None
    return TicketDetail(
        row=row,
        messages=messages,
        events=events,
        tags=ticket_tags(session, ticket.id),
        links=linked_numbers(session, ticket.id),
        merged_into=merged_into,
        outgoing=ticket_outbox(session, ticket.id),
        attachments=list_attachments(session, number),
        rating=ticket_rating(session, ticket),
    )
