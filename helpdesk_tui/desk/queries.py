"""Reading tickets: what a list row is, one ticket's row, one ticket in full.

Lists themselves (views, filters, sorts, paging, search) are ``desk/queue.py``'s alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from helpdesk_tui.desk.copies import copies_of
from helpdesk_tui.desk.ticket_reads import (
    AttachmentInfo,
    Delivery,
    Rating,
    describe,
    linked_numbers,
    list_attachments,
    ticket_keys,
    ticket_outbox,
    ticket_rating,
    ticket_tags,
)
from helpdesk_tui.desk.ticket_row_value import TicketRow as TicketRow
from helpdesk_tui.desk.ticket_rows import has_tickets as has_tickets
from helpdesk_tui.desk.ticket_rows import rows_by_id as rows_by_id
from helpdesk_tui.desk.ticket_rows import ticket_row as ticket_row
from helpdesk_tui.storage.core_tables import Agent, Contact, Event, Message, Ticket, event, message
from helpdesk_tui.storage.enums import MessageKind

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader


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
    """``bob: status open → in progress`` (:func:`~helpdesk_tui.desk.history.describe`);
    ``… — on #41`` for a change made on a ticket merged into this one."""
    on_ticket: int | None = None
    """The ticket the change was made on, where it is another one merged into this one (a
    merge moves its history here): its escalation, say, is not this ticket's."""


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
    copies: list[str] = field(default_factory=list)
    """Who the ticket's replies go to in Cc (``desk/copies``), in the order they came."""

    def files_of(self, message_id: int | None) -> list[AttachmentInfo]:
        return [a for a in self.attachments if a.message_id == message_id]

    def recipients(self, message: MessageView) -> tuple[str | None, str | None]:
        """To and Cc of a message: a customer's as it came, an agent's reply as its mail
        goes (the reply's thread entry keeps no addresses)."""
        sent = self.deliveries.get(message.id)
        return (
            message.to_addresses or (sent.to if sent else None),
            message.cc_addresses or (sent.cc if sent else None),
        )

    rating: Rating | None = None
    """The customer's latest satisfaction rating."""

    @cached_property
    def deliveries(self) -> dict[int, Delivery]:
        """The mail of each agent's reply, by thread message id (the newest row wins); made
        once per detail (:meth:`recipients` asks it for each message)."""
        return {d.message_id: d for d in self.outgoing if d.message_id is not None}

    def as_json(self) -> dict[str, Any]:
        return {
            **self.row.as_json(),
            "tags": self.tags,
            "copies": self.copies,
            "links": [{"kind": k, "number": n} for k, n in self.links],
            "merged_into": self.merged_into,
            "rating": None if self.rating is None else vars(self.rating),
            "messages": [
                {
                    "kind": m.kind,
                    "channel": m.channel,
                    "author": m.author,
                    "from": m.from_address,
                    "to": self.recipients(m)[0],
                    "cc": self.recipients(m)[1],
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
                    **({"on_ticket": e.on_ticket} if e.on_ticket is not None else {}),
                }
                for e in self.events
            ],
        }


def _author(session: Reader, message: Any, logins: dict[int, str], contacts: dict[int, str]) -> str:
    name = ""
    if message.kind == MessageKind.CUSTOMER and message.author_contact_id is not None:
        if message.author_contact_id not in contacts:
            contact = session.execute(
                select(Contact.name, Contact.email).where(Contact.id == message.author_contact_id)
            ).first()
            contacts[message.author_contact_id] = (
                (contact.name or contact.email or "") if contact else ""
            )
        name = contacts[message.author_contact_id]
    elif message.author_agent_id is not None:
        name = logins.get(message.author_agent_id, "")
    return name or message.from_address or "unknown"


def _message_view(
    session: Reader,
    message: Any,
    logins: dict[int, str],
    contacts: dict[int, str],
    *,
    bodies: bool,
) -> MessageView:
    assert message.id is not None
    return MessageView(
        id=message.id,
        kind=message.kind,
        channel=message.channel,
        author=_author(session, message, logins, contacts),
        from_address=message.from_address,
        to_addresses=message.to_addresses,
        cc_addresses=message.cc_addresses,
        subject=message.subject,
        body=message.body if bodies else "",
        created_at=message.created_at,
    )


def _event_view(event: Any, number: int) -> EventView:
    """``event`` of ticket ``number`` as a line of its history, said to be of the ticket it
    was made on where a merge moved it here."""
    assert event.id is not None
    text = describe(event)
    on_ticket = event.ticket_number if event.ticket_number not in (None, number) else None
    if on_ticket is not None:
        text = f"{text} — on #{on_ticket}"
    return EventView(
        id=event.id,
        actor=event.actor,
        kind=event.kind,
        field=event.field,
        old_value=event.old_value,
        new_value=event.new_value,
        created_at=event.created_at,
        text=text,
        on_ticket=on_ticket,
    )


_MESSAGE_FIELDS = (
    "id",
    "kind",
    "channel",
    "author_agent_id",
    "author_contact_id",
    "from_address",
    "to_addresses",
    "cc_addresses",
    "subject",
    "created_at",
)
"""What a thread entry shows, but its text (read only ``bodies``)."""


def ticket_detail(
    session: Reader, number: int, *, bodies: bool = True, latest: int | None = None
) -> TicketDetail:
    """The ticket in full, as values (no ORM rows: read on Core tables); without ``bodies``
    the messages' text is not read (a screen reads its first part with
    :func:`~helpdesk_tui.desk.ticket_view.load_view`). With ``latest``, only that many of
    the newest messages and of the newest events (a long ticket's screen opens with them)."""
    ticket = ticket_keys(session, number)
    row = ticket_row(session, number)
    assert row is not None
    fields = [message.c[name] for name in _MESSAGE_FIELDS]
    if bodies:
        fields.append(Message.body)
    statement = select(*fields).where(Message.ticket_id == ticket.id)
    if latest is None:
        statement = statement.order_by(Message.created_at, Message.id)
    else:
        newest = (
            statement.order_by(Message.created_at.desc(), Message.id.desc()).limit(latest)
        ).subquery()
        statement = select(newest).order_by(newest.c.created_at, newest.c.id)
    logins = {
        agent_id: login
        for agent_id, login in session.execute(select(Agent.id, Agent.login))
        if agent_id is not None
    }
    contacts: dict[int, str] = {}
    messages = [
        _message_view(session, values, logins, contacts, bodies=bodies)
        for values in session.execute(statement)
    ]
    events_read = select(event).where(Event.ticket_id == ticket.id)
    if latest is None:
        events = [
            _event_view(values, number)
            for values in session.execute(events_read.order_by(Event.id))
        ]
    else:
        # Walked back from the ticket's newest event on ix_event_ticket_id (ticket_id, id),
        # stopping after ``latest``; put oldest first here, not by a sort in the database.
        backwards = session.execute(events_read.order_by(Event.id.desc()).limit(latest)).all()
        events = [_event_view(values, number) for values in reversed(backwards)]
    merged_into = None
    if ticket.merged_into_id is not None:
        merged_into = session.execute(
            select(Ticket.number).where(Ticket.id == ticket.merged_into_id)
        ).scalar()
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
        copies=copies_of(session, ticket.id),
    )
