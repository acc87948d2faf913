"""One ticket as an agent's screen shows it: the thread with authors, the requester, context.

A read-only composition of the other desk reads, done in one session so the screen gets a
consistent picture (and a ``Watermark`` of exactly what it showed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from helpdesk_tui.desk.activity import Watermark
from helpdesk_tui.desk.agents import list_agents
from helpdesk_tui.desk.attachments import AttachmentInfo, list_attachments
from helpdesk_tui.desk.history import describe
from helpdesk_tui.desk.mailstate import Delivery, deliveries
from helpdesk_tui.desk.queries import (
    TicketDetail,
    TicketFilter,
    TicketRow,
    ticket_detail,
    ticket_row,
)
from helpdesk_tui.desk.queue import QueueQuery, first_page
from helpdesk_tui.desk.tickets import load_ticket
from helpdesk_tui.storage.models import Contact, Message, MessageKind, Organization

OTHER_TICKETS_SHOWN = 5
QUIET_EVENTS = frozenset({"created", "customer_message", "reply", "note", "phone_call"})
"""Events the thread does not repeat as system lines: their messages show them."""


@dataclass(frozen=True)
class Entry:
    """One item of the thread: a message (``kind`` a MessageKind) or a system line."""

    kind: str
    author: str
    at: datetime
    body: str
    channel: str = ""
    attachments: list[AttachmentInfo] = field(default_factory=list)
    delivery: Delivery | None = None
    """How the email of an agent's reply went (queued, sent, failed with the reason)."""


@dataclass(frozen=True)
class TicketView:
    detail: TicketDetail
    entries: list[Entry]
    requester_org: str | None
    other_tickets: list[TicketRow]
    attachments: list[AttachmentInfo]
    watermark: Watermark

    @property
    def row(self) -> TicketRow:
        return self.detail.row


def load_view(session: Session, number: int) -> TicketView:
    detail = ticket_detail(session, number)
    ticket = load_ticket(session, number)
    logins = {agent.id: agent.login for agent, _teams in list_agents(session)}
    attachments = list_attachments(session, number)
    sent = deliveries(session, ticket.id or 0)
    by_message: dict[int, list[AttachmentInfo]] = {}
    for item in attachments:
        by_message.setdefault(item.message_id, []).append(item)
    entries = [
        Entry(
            kind=message.kind,
            author=_author(session, message, logins),
            at=message.created_at,
            body=message.body,
            channel=message.channel,
            attachments=by_message.get(message.id or 0, []),
            delivery=sent.get(message.id or 0),
        )
        for message in detail.messages
    ]
    entries += [
        Entry(
            kind=MessageKind.SYSTEM, author=event.actor, at=event.created_at, body=describe(event)
        )
        for event in detail.events
        if event.kind not in QUIET_EVENTS
    ]
    entries.sort(key=lambda e: e.at)
    organization = None
    others: list[TicketRow] = []
    if ticket.requester_id is not None:
        contact = session.get(Contact, ticket.requester_id)
        if contact is not None and contact.organization_id is not None:
            org = session.get(Organization, contact.organization_id)
            organization = org.name if org else None
        query = QueueQuery(TicketFilter(requester_id=ticket.requester_id))
        page = first_page(session, query, OTHER_TICKETS_SHOWN + 1)
        others = [row for row in page.rows if row.number != number][:OTHER_TICKETS_SHOWN]
    last_message = max((m.id or 0 for m in detail.messages), default=0)
    return TicketView(
        detail=detail,
        entries=entries,
        requester_org=organization,
        other_tickets=others,
        attachments=attachments,
        watermark=Watermark(number, detail.row.version, last_message),
    )


def find_tickets(session: Session, query: str, *, limit: int = 20) -> list[TicketRow]:
    """Tickets for a picker: ``#1042`` / ``1042`` first, then a search of subjects and
    messages; with no query, the most recently updated open tickets."""
    query = query.strip()
    if query.lstrip("#").isdigit():
        row = ticket_row(session, int(query.lstrip("#")))
        return [row] if row is not None else []
    spec = QueueQuery(text=query) if query else QueueQuery(TicketFilter(open_only=True))
    return first_page(session, spec, limit).rows


def _author(session: Session, message: Message, logins: dict[int | None, str]) -> str:
    name = ""
    if message.kind == MessageKind.CUSTOMER and message.author_contact_id is not None:
        contact = session.get(Contact, message.author_contact_id)
        name = (contact.name or contact.email or "") if contact else ""
    elif message.author_agent_id is not None:
        name = logins.get(message.author_agent_id, "")
    return name or message.from_address or "unknown"
