"""One ticket as an agent's screen shows it: the thread with authors, the requester, context.

A read-only composition of the other desk reads, done in one session so the screen gets a
consistent picture (and a ``Watermark`` of exactly what it showed).

Message text is read in parts: the first :data:`FIRST_PART` characters of each message
with the view (the database cuts them, so a 100 MB message costs no more to open than a
short one), the rest :data:`NEXT_PART` characters at a time with :func:`more_text` when
the agent asks for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from helpdesk_tui.desk import sla_clock
from helpdesk_tui.desk.activity import Watermark
from helpdesk_tui.desk.attachments import AttachmentInfo
from helpdesk_tui.desk.outbox import Delivery
from helpdesk_tui.desk.queries import (
    TicketDetail,
    TicketRow,
    ticket_detail,
    ticket_row,
)
from helpdesk_tui.desk.queue import QueueQuery, first_page
from helpdesk_tui.desk.queue_values import TicketFilter
from helpdesk_tui.desk.satisfaction import Rating
from helpdesk_tui.desk.statuses import OPEN_STATUSES
from helpdesk_tui.desk.tickets import load_ticket
from helpdesk_tui.desk.values import number_in
from helpdesk_tui.storage.models import (
    Contact,
    Event,
    Message,
    MessageKind,
    Organization,
    Status,
    Ticket,
)

FIRST_PART = 20_000
"""Characters of each message read with the view: several screenfuls, quick to draw."""
NEXT_PART = 100_000
"""Characters read each time the agent asks for more of a long message."""
OTHER_TICKETS_SHOWN = 5
READ_FIRST = 200
"""Newest messages and newest events a ticket's screen opens with: a ticket with 20,000
changes opens as quickly as a new one; the rest is read when the agent scrolls to it."""
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
    message_id: int | None = None
    to: str = ""
    cc: str = ""
    """Who an email went to: a customer's message as it came, an agent's reply as it is sent."""
    length: int = 0
    """Characters in a message's whole text: more than ``len(body)`` while only a part is
    read (0 for system lines, which are always whole)."""

    @property
    def more(self) -> int:
        """Characters of the text not read yet."""
        return max(self.length - len(self.body), 0)


@dataclass(frozen=True)
class HistoryLine:
    """One change in a ticket's history, worded for people (``bob: status open → waiting``)."""

    at: datetime
    text: str


@dataclass(frozen=True)
class TicketView:
    """Everything a ticket screen shows, read in one transaction; no ORM rows inside."""

    row: TicketRow
    entries: list[Entry]
    history: list[HistoryLine]
    """Every event, oldest first."""
    tags: list[str]
    links: list[tuple[str, int]]
    merged_into: int | None
    outgoing: list[Delivery]
    """Every mail the ticket sent or will send, with its delivery state."""
    requester_org: str | None
    other_tickets: list[TicketRow]
    attachments: list[AttachmentInfo]
    watermark: Watermark
    rating: Rating | None = None
    """The customer's latest satisfaction rating."""
    earlier: int = 0
    """Thread entries older than ``entries`` not read (a view of the newest part only)."""
    older_history: int = 0
    """Events older than ``history`` not read."""
    reply_warn_at: datetime | None = None
    """When the pending reply (``row.reply_due_at``) turns nearly due: its clock's warning
    time by the ticket's policy (``sla_clock.warn_times``); None when it is not running."""
    resolution_warn_at: datetime | None = None
    """When the resolution (``row.resolution_due_at``) turns nearly due, likewise."""
    copies: tuple[str, ...] = ()
    """Who the ticket's replies go to in Cc, in the order they came (``desk/copies``)."""
    desk_id: str | None = None
    """The desk's identity (``settings.DESK_ID``): where drafts on it are kept."""

    @property
    def draft_key(self) -> str:
        """Which ticket this is, for its drafts (``drafts.ticket_key``)."""
        from helpdesk_tui.drafts import ticket_key

        return ticket_key(self.row.id, self.row.created_at)

    @property
    def whole(self) -> bool:
        return not (self.earlier or self.older_history)


def _first_parts(
    session: Session, ticket_id: int, ids: list[int] | None = None
) -> dict[int, tuple[str, int]]:
    """Each message's first part and whole length, cut by the database.

    The length is asked for apart, and only of messages longer than their first part:
    SQLite reads a whole TEXT value into memory for each function over it, so one query
    with both would hold a huge message twice at once.
    """
    statement = sa_select(col(Message.id), func.substr(Message.body, 1, FIRST_PART + 1)).where(
        col(Message.ticket_id) == ticket_id
    )
    if ids is not None:
        statement = statement.where(col(Message.id).in_(ids))
    rows = session.execute(statement)
    parts = {int(mid): part or "" for mid, part in rows}
    lengths = {mid: len(part) for mid, part in parts.items()}
    for mid, part in parts.items():
        if len(part) > FIRST_PART:
            lengths[mid] = int(
                session.execute(
                    sa_select(func.length(Message.body)).where(col(Message.id) == mid)
                ).scalar_one()
            )
    return {mid: (part[:FIRST_PART], lengths[mid]) for mid, part in parts.items()}


def more_text(session: Session, entry: Entry) -> Entry:
    """``entry`` with the next part of its text read (the whole text when little is left)."""
    if entry.message_id is None or not entry.more:
        return entry
    part = session.execute(
        sa_select(func.substr(Message.body, len(entry.body) + 1, NEXT_PART)).where(
            col(Message.id) == entry.message_id
        )
    ).scalar_one_or_none()
    return replace(entry, body=entry.body + (part or ""))


def load_view(session: Session, number: int, *, latest: int | None = READ_FIRST) -> TicketView:
    """Ticket ``number`` as its screen shows it: with ``latest``, its newest messages and
    events only (``earlier`` and ``older_history`` count the rest); None reads them all."""
    detail = ticket_detail(session, number, bodies=False, latest=latest)
    ticket = load_ticket(session, number)
    assert ticket.id is not None
    cut = latest is not None
    parts = _first_parts(session, ticket.id, [m.id for m in detail.messages] if cut else None)
    attachments = detail.attachments
    sent = detail.deliveries
    by_message: dict[int, list[AttachmentInfo]] = {}
    for item in attachments:
        by_message.setdefault(item.message_id, []).append(item)
    entries = []
    for message in detail.messages:
        to, cc = detail.recipients(message)
        entries.append(
            Entry(
                kind=message.kind,
                author=message.author,
                at=message.created_at,
                body=parts.get(message.id, ("", 0))[0],
                channel=message.channel,
                attachments=by_message.get(message.id, []),
                delivery=sent.get(message.id),
                message_id=message.id,
                to=to or "",
                cc=cc or "",
                length=parts.get(message.id, ("", 0))[1],
            )
        )
    entries += [
        Entry(kind=MessageKind.SYSTEM, author=event.actor, at=event.created_at, body=event.text)
        for event in detail.events
        if event.kind not in QUIET_EVENTS
    ]
    entries.sort(key=lambda e: e.at)
    earlier = older_history = 0
    if cut:
        earlier, older_history, entries = _newest_part(session, ticket.id, detail, entries)
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
    last_message = max((m.id for m in detail.messages), default=0)
    row = detail.row
    warns: tuple[datetime | None, datetime | None] = (None, None)
    if row.status in OPEN_STATUSES and (row.reply_due_at or row.resolution_due_at):
        warns = sla_clock.warn_times(session, ticket.id)  # (the side panel's deadlines)
    return TicketView(
        row=detail.row,
        entries=entries,
        history=[HistoryLine(event.created_at, event.text) for event in detail.events],
        tags=detail.tags,
        links=detail.links,
        merged_into=detail.merged_into,
        outgoing=detail.outgoing,
        requester_org=organization,
        other_tickets=others,
        attachments=attachments,
        watermark=Watermark(number, detail.row.version, last_message),
        rating=detail.rating,
        earlier=earlier,
        older_history=older_history,
        reply_warn_at=warns[0],
        resolution_warn_at=warns[1],
        copies=tuple(detail.copies),
    )


def _newest_part(
    session: Session, ticket_id: int, detail: TicketDetail, entries: list[Entry]
) -> tuple[int, int, list[Entry]]:
    """How many entries and events a view of the newest ones leaves unread, and its entries
    from where both the messages and the events read are whole (one of them may reach
    further back than the other)."""
    messages = session.execute(
        sa_select(func.count()).where(col(Message.ticket_id) == ticket_id)
    ).scalar_one()
    events = session.execute(
        sa_select(func.count()).where(col(Event.ticket_id) == ticket_id)
    ).scalar_one()
    if messages == len(detail.messages) and events == len(detail.events):
        return 0, 0, entries
    loud = session.execute(
        sa_select(func.count()).where(
            col(Event.ticket_id) == ticket_id, col(Event.kind).not_in(QUIET_EVENTS)
        )
    ).scalar_one()
    starts = [
        first.created_at
        for first, whole in (
            (detail.messages[0] if detail.messages else None, messages == len(detail.messages)),
            (detail.events[0] if detail.events else None, events == len(detail.events)),
        )
        if first is not None and not whole
    ]
    if starts:
        since = max(starts)
        entries = [entry for entry in entries if entry.at > since] or entries[-1:]
    return messages + loud - len(entries), events - len(detail.events), entries


def find_tickets(session: Session, query: str, *, limit: int = 20) -> list[TicketRow]:
    """Tickets for a picker or the palette: the ticket ``#1042`` / ``1042`` names first, then
    a search of subjects, messages and requesters (none for a query that is only a number);
    with no query, the most recently updated open tickets."""
    query = query.strip()
    found: list[TicketRow] = []
    number = number_in(query)
    if number is not None:
        row = ticket_row(session, number)
        if row is not None:
            found.append(row)
    if query.lstrip("#").isdigit():
        return found
    spec = QueueQuery(text=query) if query else QueueQuery(TicketFilter(open_only=True))
    seen = {row.number for row in found}
    found += [row for row in first_page(session, spec, limit).rows if row.number not in seen]
    return found[:limit]


@dataclass(frozen=True)
class DraftTicket:
    """The ticket a kept draft belongs to, and whether a reply can still go there."""

    number: int
    row: TicketRow | None
    merged_into: int | None = None

    @property
    def note(self) -> str:
        """Empty when the draft can be sent as it is; otherwise what stands in the way."""
        if self.row is None:
            return "the ticket is gone"
        if self.merged_into is not None:
            return f"merged into #{self.merged_into}"
        if self.row.status == Status.CLOSED:
            return "closed: a supervisor or an admin can reopen it"
        return ""

    def note_for(self, ticket: str | None) -> str:
        """``note`` for a draft written on ``ticket`` (``drafts.ticket_key``; None: written
        before drafts knew their desk): a draft that was not written on the ticket that has
        its number now says so, and is never opened in that ticket's composer."""
        from helpdesk_tui.drafts import ticket_key

        if ticket is None:
            return (
                f"written before drafts knew their desk: not opened on any ticket; "
                f"helpdesk drafts adopt {self.number} makes it this desk's #{self.number}'s"
            )
        if self.row is None:
            return "the ticket is gone"
        if ticket != ticket_key(self.row.id, self.row.created_at):
            return f"written on another ticket that had #{self.number}: not opened on this one"
        return self.note


def draft_tickets(session: Session, numbers: Iterable[int]) -> dict[int, DraftTicket]:
    """For each ticket number that has drafts: its row, and where a merge took it."""
    found: dict[int, DraftTicket] = {}
    for number in set(numbers):
        row = ticket_row(session, number)
        merged_into = None
        if row is not None:
            ticket = load_ticket(session, number)
            if ticket.merged_into_id is not None:
                target = session.get(Ticket, ticket.merged_into_id)
                merged_into = target.number if target is not None else None
        found[number] = DraftTicket(number, row, merged_into)
    return found
