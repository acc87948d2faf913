"""Reading tickets: filtered, sorted lists paged by key, and one ticket in full.

Lists never load all tickets: each page is one indexed query that continues after (or
before) the last row seen — keyset pagination — so page 1,000 costs what page 1 costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased, defer
from sqlmodel import Session, col, select

from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.outbox import Delivery, ticket_outbox
from helpdesk_tui.desk.relations import linked_numbers
from helpdesk_tui.desk.statuses import OPEN_STATUSES, parse_status
from helpdesk_tui.desk.tags import ticket_tags
from helpdesk_tui.desk.tickets import load_ticket
from helpdesk_tui.desk.values import parse_priority, parse_tag, parse_type, text_value
from helpdesk_tui.storage.models import (
    PRIORITY_RANK,
    Agent,
    Contact,
    Event,
    Message,
    Tag,
    Team,
    Ticket,
    TicketTag,
)

SORT_COLUMNS: dict[str, Any] = {
    "number": Ticket.number,
    "subject": Ticket.subject,
    "status": Ticket.status,
    "priority": Ticket.priority_rank,
    "updated": Ticket.updated_at,
    "created": Ticket.created_at,
}


@dataclass(frozen=True)
class TicketFilter:
    """What a list shows. Empty fields do not filter; ``open_only`` keeps unfinished work."""

    statuses: Sequence[str] = ()
    priorities: Sequence[str] = ()
    types: Sequence[str] = ()
    assignee: str | None = None
    unassigned: bool = False
    team: str | None = None
    tag: str | None = None
    category: str | None = None
    requester_id: int | None = None
    open_only: bool = False


@dataclass(frozen=True)
class TicketRow:
    """One line of a queue: enough to show and sort, nothing more."""

    id: int
    number: int
    subject: str
    status: str
    priority: str
    type: str
    category: str | None
    tier: int
    requester_name: str
    requester_email: str | None
    assignee: str | None
    team: str | None
    created_at: datetime
    updated_at: datetime
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_at: datetime | None
    version: int

    @property
    def next_due(self) -> datetime | None:
        """The SLA deadline still running: the first reply's until it is made, then the fix's.

        None once the ticket is resolved or closed, so a met deadline never shows as late.
        """
        if self.status not in OPEN_STATUSES:
            return None
        if self.first_response_at is None and self.response_due_at is not None:
            return self.response_due_at
        return self.resolution_due_at

    def as_json(self) -> dict[str, Any]:
        data = self.__dict__.copy()
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        return data


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the sort value and the ticket id of its last (or first) row."""

    value: Any
    id: int


@dataclass(frozen=True)
class Page:
    rows: list[TicketRow]
    has_more: bool
    sort: str
    descending: bool

    def cursor_after(self) -> Cursor | None:
        return _cursor(self.rows[-1], self.sort) if self.rows else None

    def cursor_before(self) -> Cursor | None:
        return _cursor(self.rows[0], self.sort) if self.rows else None


def _cursor(row: TicketRow, sort: str) -> Cursor:
    attr = {"priority": "priority", "updated": "updated_at", "created": "created_at"}.get(
        sort, sort
    )
    value: Any = getattr(row, attr)
    if sort == "priority":
        value = PRIORITY_RANK[value]
    return Cursor(value=value, id=row.id)


def _row_query() -> Any:
    requester = aliased(Contact)
    assignee = aliased(Agent)
    team = aliased(Team)
    # In TicketRow's field order.
    columns: list[Any] = [
        Ticket.id,
        Ticket.number,
        Ticket.subject,
        Ticket.status,
        Ticket.priority,
        Ticket.type,
        Ticket.category,
        Ticket.tier,
        func.coalesce(requester.name, ""),
        requester.email,
        assignee.login,
        team.name,
        Ticket.created_at,
        Ticket.updated_at,
        Ticket.response_due_at,
        Ticket.resolution_due_at,
        Ticket.first_response_at,
        Ticket.version,
    ]
    return (
        sa_select(*columns)
        .select_from(Ticket)
        .outerjoin(requester, col(requester.id) == Ticket.requester_id)
        .outerjoin(assignee, col(assignee.id) == Ticket.assignee_id)
        .outerjoin(team, col(team.id) == Ticket.team_id)
    )


def _to_row(values: Sequence[Any]) -> TicketRow:
    return TicketRow(*values)


def _apply_filter(session: Session, statement: Any, spec: TicketFilter) -> Any:
    for name in ("assignee", "team", "tag", "category"):
        if (value := getattr(spec, name)) is not None:
            text_value(value, name)  # refused here, not by the driver with a traceback
    if spec.statuses:
        statement = statement.where(
            col(Ticket.status).in_([parse_status(s).value for s in spec.statuses])
        )
    elif spec.open_only:
        statement = statement.where(col(Ticket.status).in_(OPEN_STATUSES))
    if spec.priorities:
        statement = statement.where(
            col(Ticket.priority).in_([parse_priority(p).value for p in spec.priorities])
        )
    if spec.types:
        statement = statement.where(col(Ticket.type).in_([parse_type(t).value for t in spec.types]))
    if spec.unassigned:
        statement = statement.where(col(Ticket.assignee_id).is_(None))
    elif spec.assignee:
        agent_id = session.exec(select(Agent.id).where(Agent.login == spec.assignee)).first()
        if agent_id is None:
            raise InvalidValue(f"no agent {spec.assignee!r}; see: helpdesk agent list")
        statement = statement.where(Ticket.assignee_id == agent_id)
    if spec.team:
        team_id = session.exec(select(Team.id).where(Team.name == spec.team)).first()
        if team_id is None:
            raise InvalidValue(f"no team {spec.team!r}; see: helpdesk team list")
        statement = statement.where(Ticket.team_id == team_id)
    if spec.tag:
        tag_id = session.exec(select(Tag.id).where(Tag.name == parse_tag(spec.tag))).first()
        statement = statement.where(
            col(Ticket.id).in_(
                select(TicketTag.ticket_id).where(TicketTag.tag_id == (tag_id or -1))
            )
        )
    if spec.category:
        statement = statement.where(Ticket.category == spec.category)
    if spec.requester_id is not None:
        statement = statement.where(Ticket.requester_id == spec.requester_id)
    return statement


def list_tickets(
    session: Session,
    spec: TicketFilter = TicketFilter(),
    *,
    sort: str = "updated",
    descending: bool = True,
    after: Cursor | None = None,
    before: Cursor | None = None,
    limit: int = 50,
) -> Page:
    """One page of tickets, continuing after ``after`` or ending before ``before``."""
    if sort not in SORT_COLUMNS:
        raise InvalidValue(f"unknown sort {sort!r}; allowed: {', '.join(SORT_COLUMNS)}")
    column = SORT_COLUMNS[sort]
    statement = _apply_filter(session, _row_query(), spec)
    # Walking backwards (``before``) flips the order, then the page is turned round again.
    backwards = before is not None
    forward_desc = descending != backwards
    cursor = before if backwards else after
    if cursor is not None:
        if forward_desc:
            beyond = or_(
                column < cursor.value, and_(column == cursor.value, col(Ticket.id) < cursor.id)
            )
        else:
            beyond = or_(
                column > cursor.value, and_(column == cursor.value, col(Ticket.id) > cursor.id)
            )
        statement = statement.where(beyond)
    order = (column.desc(), col(Ticket.id).desc()) if forward_desc else (column, col(Ticket.id))
    values = session.execute(statement.order_by(*order).limit(limit + 1)).all()
    rows = [_to_row(v) for v in values[:limit]]
    if backwards:
        rows.reverse()
    return Page(rows=rows, has_more=len(values) > limit, sort=sort, descending=descending)


def count_tickets(session: Session, spec: TicketFilter = TicketFilter()) -> int:
    statement = _apply_filter(session, select(func.count()).select_from(Ticket), spec)
    return int(session.exec(statement).one())


def has_tickets(session: Session) -> bool:
    """Whether the desk holds any ticket at all, in any status (one indexed row read)."""
    return session.exec(select(Ticket.id).limit(1)).first() is not None


def ticket_row(session: Session, number: int) -> TicketRow | None:
    values = session.execute(_row_query().where(Ticket.number == number)).first()
    return _to_row(values) if values else None


@dataclass(frozen=True)
class TicketDetail:
    """One ticket in full: its row, thread, tags, history and links."""

    row: TicketRow
    messages: list[Message]
    events: list[Event]
    tags: list[str]
    links: list[tuple[str, int]] = field(default_factory=list)
    merged_into: int | None = None
    outgoing: list[Delivery] = field(default_factory=list)
    """Every mail the ticket sent or will send, with its delivery state."""

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
            "messages": [
                {
                    "kind": m.kind,
                    "channel": m.channel,
                    "from": m.from_address,
                    "created_at": m.created_at.isoformat(),
                    "body": m.body,
                    "mail": self.deliveries[m.id].id if m.id in self.deliveries else None,
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


def ticket_detail(session: Session, number: int, *, bodies: bool = True) -> TicketDetail:
    """The ticket in full; without ``bodies`` the messages' text is not read (a screen reads
    its first part with :func:`~helpdesk_tui.desk.ticket_view.load_view`)."""
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
    messages = session.exec(statement).all()
    events = session.exec(
        select(Event).where(Event.ticket_id == ticket.id).order_by(col(Event.id))
    ).all()
    merged_into = None
    if ticket.merged_into_id is not None:
        target = session.get(Ticket, ticket.merged_into_id)
        merged_into = target.number if target else None
    return TicketDetail(
        row=row,
        messages=list(messages),
        events=list(events),
        tags=ticket_tags(session, ticket.id),
        links=linked_numbers(session, ticket.id),
        merged_into=merged_into,
        outgoing=ticket_outbox(session, ticket.id),
    )
