"""The row reader: a ticket's list row (``TicketRow``) by id or number, on Core tables.

The lister (``desk/queue.py``) and the quick CLI verbs read rows through it without the
ORM (``storage/core_tables``); it runs on an ORM session's transaction as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from helpdesk_tui.desk.ticket_row_value import TicketRow
from helpdesk_tui.storage.core_tables import Ticket, agent, contact, team, ticket

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader


@cache
def _row_query() -> Any:
    """The row query, built once (building it costs more than running it for a page)."""
    requester = contact.alias()
    assignee = agent.alias()
    owner = team.alias()
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
        func.coalesce(requester.c.name, ""),
        requester.c.email,
        assignee.c.login,
        owner.c.name,
        Ticket.created_at,
        Ticket.updated_at,
        Ticket.response_due_at,
        Ticket.resolution_due_at,
        Ticket.first_response_at,
        Ticket.version,
        Ticket.reply_due_at,
        Ticket.reply_started_at,
        Ticket.sla_due_at,
    ]
    return (
        select(*columns)
        .select_from(ticket)
        .outerjoin(requester, requester.c.id == Ticket.requester_id)
        .outerjoin(assignee, assignee.c.id == Ticket.assignee_id)
        .outerjoin(owner, owner.c.id == Ticket.team_id)
    )


def _to_row(values: Sequence[Any]) -> TicketRow:
    return TicketRow(*values)


def rows_by_id(session: Reader, ids: Sequence[int]) -> list[TicketRow]:
    """The rows of tickets ``ids``, in that order (missing ones left out)."""
    if not ids:
        return []
    found = {
        values[0]: _to_row(values)
        for values in session.execute(_row_query().where(Ticket.id.in_(ids)))
    }
    return [found[i] for i in ids if i in found]


def rows_in(session: Reader, page: Any, order: Sequence[Any]) -> list[TicketRow]:
    """The rows of the tickets whose ids ``page`` (a subquery with an ``id`` column) holds,
    in ``order`` (over ``page``'s columns): the page and its rows in one statement."""
    statement = _row_query().join(page, page.c.id == Ticket.id).order_by(*order)
    return [_to_row(values) for values in session.execute(statement)]


def has_tickets(session: Reader) -> bool:
    """Whether the desk holds any ticket at all, in any status (one indexed row read)."""
    return session.execute(select(Ticket.id).limit(1)).first() is not None


def ticket_row(session: Reader, number: int) -> TicketRow | None:
    values = session.execute(_row_query().where(Ticket.number == number)).first()
    return _to_row(values) if values else None
