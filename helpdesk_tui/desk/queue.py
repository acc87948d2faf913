"""The queue's pages: a filter, a full-text search and any column as sort key, paged by key.

Like ``queries.list_tickets`` (whose row query and filter this reuses), every page is one
query continuing after (or before) a row already seen, so page 1,000 costs what page 1
costs; on top it sorts by the joined columns a queue shows (requester, assignee, SLA due)
and narrows by a search. ``neighbour`` walks one ticket at a time for next/previous.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlmodel import Session, col

from helpdesk_tui.desk import search
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.queries import (
    TicketFilter,
    TicketRow,
    _apply_filter,
    _row_query,
    _to_row,
    ticket_row,
)
from helpdesk_tui.desk.statuses import OPEN_STATUSES
from helpdesk_tui.desk.values import text_value
from helpdesk_tui.storage.models import PRIORITY_RANK, Agent, Contact, Status, Ticket
from helpdesk_tui.storage.types import UTCDateTime

STATUS_RANK: dict[str, int] = {status.value: rank for rank, status in enumerate(Status)}
"""Statuses sort in workflow order, not alphabetically."""

_NO_DUE = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SortKey:
    """One sortable column: its SQL expression and the same value taken from a row."""

    expression: Any
    value: Any  # Callable[[TicketRow], Any]


SORT_KEYS: dict[str, SortKey] = {
    "number": SortKey(Ticket.number, lambda r: r.number),
    "subject": SortKey(Ticket.subject, lambda r: r.subject),
    "requester": SortKey(
        func.coalesce(
            select(col(Contact.name))
            .where(col(Contact.id) == Ticket.requester_id)
            .scalar_subquery(),
            "",
        ),
        lambda r: r.requester_name,
    ),
    "status": SortKey(
        case(STATUS_RANK, value=Ticket.status, else_=len(STATUS_RANK)),
        lambda r: STATUS_RANK.get(r.status, len(STATUS_RANK)),
    ),
    "priority": SortKey(Ticket.priority_rank, lambda r: PRIORITY_RANK[r.priority]),
    "assignee": SortKey(
        func.coalesce(
            select(col(Agent.login)).where(col(Agent.id) == Ticket.assignee_id).scalar_subquery(),
            "",
        ),
        lambda r: r.assignee or "",
    ),
    "updated": SortKey(Ticket.updated_at, lambda r: r.updated_at),
    "created": SortKey(Ticket.created_at, lambda r: r.created_at),
    "sla": SortKey(
        func.coalesce(
            case(
                (col(Ticket.status).not_in(OPEN_STATUSES), None),
                (col(Ticket.first_response_at).is_(None), Ticket.response_due_at),
            ),
            case((col(Ticket.status).in_(OPEN_STATUSES), Ticket.resolution_due_at)),
            literal(_NO_DUE, UTCDateTime()),
        ),
        lambda r: r.next_due or _NO_DUE,
    ),
}
SORT_ORDER: tuple[str, ...] = (
    "updated",
    "priority",
    "number",
    "subject",
    "requester",
    "status",
    "assignee",
    "sla",
    "created",
)
"""The order a "next sort" key cycles through."""


@dataclass(frozen=True)
class QueueQuery:
    """Everything that decides which tickets a queue shows, and in which order."""

    filter: TicketFilter = field(default_factory=TicketFilter)
    text: str = ""
    sort: str = "updated"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.sort not in SORT_KEYS:
            allowed = ", ".join(SORT_ORDER)
            raise InvalidValue(f"unknown sort {self.sort!r}; allowed: {allowed}")

    def with_sort(self, sort: str, descending: bool | None = None) -> QueueQuery:
        return replace(
            self, sort=sort, descending=self.descending if descending is None else descending
        )


@dataclass(frozen=True)
class Position:
    """A place in a queue's order: a row's sort value and ticket id."""

    value: Any
    id: int


@dataclass(frozen=True)
class QueuePage:
    """Rows in queue order, and whether more exist before the first and after the last."""

    rows: list[TicketRow]
    more_before: bool
    more_after: bool


def position(query: QueueQuery, row: TicketRow) -> Position:
    return Position(SORT_KEYS[query.sort].value(row), row.id)


def _statement(session: Session, query: QueueQuery) -> Any:
    statement = _apply_filter(session, _row_query(), query.filter)
    condition = (
        search.matching(session, text_value(query.text, "search text")) if query.text else None
    )
    if condition is not None:
        statement = statement.where(condition)
    return statement


def _fetch(
    session: Session,
    query: QueueQuery,
    *,
    start: Position | None,
    forward: bool,
    inclusive: bool,
    limit: int,
) -> tuple[list[TicketRow], bool]:
    """Up to ``limit`` rows from ``start`` walking forward (or backward) in queue order."""
    expression = SORT_KEYS[query.sort].expression
    descending = query.descending == forward
    statement = _statement(session, query)
    if start is not None:
        ticket_id = col(Ticket.id)
        if descending:
            tie = ticket_id <= start.id if inclusive else ticket_id < start.id
            beyond = or_(expression < start.value, and_(expression == start.value, tie))
        else:
            tie = ticket_id >= start.id if inclusive else ticket_id > start.id
            beyond = or_(expression > start.value, and_(expression == start.value, tie))
        statement = statement.where(beyond)
    order = (
        (expression.desc(), col(Ticket.id).desc()) if descending else (expression, col(Ticket.id))
    )
    values = session.exec(statement.order_by(*order).limit(limit + 1)).all()
    rows = [_to_row(v) for v in values[:limit]]
    if not forward:
        rows.reverse()
    return rows, len(values) > limit


def first_page(session: Session, query: QueueQuery, limit: int) -> QueuePage:
    rows, more = _fetch(session, query, start=None, forward=True, inclusive=False, limit=limit)
    return QueuePage(rows, more_before=False, more_after=more)


def last_page(session: Session, query: QueueQuery, limit: int) -> QueuePage:
    rows, more = _fetch(session, query, start=None, forward=False, inclusive=False, limit=limit)
    return QueuePage(rows, more_before=more, more_after=False)


def page_after(session: Session, query: QueueQuery, after: Position, limit: int) -> QueuePage:
    rows, more = _fetch(session, query, start=after, forward=True, inclusive=False, limit=limit)
    return QueuePage(rows, more_before=True, more_after=more)


def page_before(session: Session, query: QueueQuery, before: Position, limit: int) -> QueuePage:
    rows, more = _fetch(session, query, start=before, forward=False, inclusive=False, limit=limit)
    return QueuePage(rows, more_before=more, more_after=True)


def page_from(session: Session, query: QueueQuery, start: Position | None, limit: int) -> QueuePage:
    """``limit`` rows from ``start`` on, ``start`` itself included (re-reading a window)."""
    if start is None:
        return first_page(session, query, limit)
    rows, more = _fetch(session, query, start=start, forward=True, inclusive=True, limit=limit)
    return QueuePage(rows, more_before=True, more_after=more)


def neighbour(session: Session, query: QueueQuery, number: int, step: int) -> int | None:
    """The ticket ``step`` places after (or, negative, before) ``number`` in the queue's order.

    Walks from the ticket's current place even if it no longer matches the filter, so
    "next" after closing a ticket is the one that followed it.
    """
    row = ticket_row(session, number)
    if row is None or step == 0:
        return None
    rows, _ = _fetch(
        session,
        query,
        start=position(query, row),
        forward=step > 0,
        inclusive=False,
        limit=abs(step),
    )
    if len(rows) < abs(step):
        return None
    return rows[-1].number if step > 0 else rows[0].number
