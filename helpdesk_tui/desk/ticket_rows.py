"""The row reader: a ticket's list row (``TicketRow``) by id or number, on Core tables.

The lister (``desk/queue.py``) and the quick CLI verbs read rows through it without the
ORM (``storage/core_tables``); it runs on an ORM session's transaction as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import TextualSelect, func, select, text

from helpdesk_tui.desk.ticket_row_value import TicketRow
from helpdesk_tui.storage.core_tables import Ticket, agent, contact, team, ticket
from helpdesk_tui.storage.core_text import column_names

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader


_FIELDS_BEFORE = (
    Ticket.id,
    Ticket.number,
    Ticket.subject,
    Ticket.status,
    Ticket.priority,
    Ticket.type,
    Ticket.category,
    Ticket.tier,
)
"""A row's ticket columns before the requester, assignee and team, in TicketRow's order."""
_FIELDS_AFTER = (
    Ticket.created_at,
    Ticket.updated_at,
    Ticket.response_due_at,
    Ticket.resolution_due_at,
    Ticket.first_response_at,
    Ticket.version,
    Ticket.reply_due_at,
    Ticket.reply_started_at,
    Ticket.sla_due_at,
    Ticket.sla_alert_at,
)
"""And after them."""


@cache
def _row_query() -> Any:
    """The row query, built once (building it costs more than running it for a page)."""
    requester = contact.alias()
    assignee = agent.alias()
    owner = team.alias()
    columns: list[Any] = [
        *_FIELDS_BEFORE,
        func.coalesce(requester.c.name, ""),
        requester.c.email,
        assignee.c.login,
        owner.c.name,
        *_FIELDS_AFTER,
    ]
    return (
        select(*columns)
        .select_from(ticket)
        .outerjoin(requester, requester.c.id == Ticket.requester_id)
        .outerjoin(assignee, assignee.c.id == Ticket.assignee_id)
        .outerjoin(owner, owner.c.id == Ticket.team_id)
    )


@cache
def _row_by_number() -> TextualSelect:
    """:func:`_row_query` for one ticket number, as SQL text made once: every ticket write
    hands back its row, and SQLAlchemy compiled the Core statement anew in every command
    (≈ 1.2 ms; the text ≈ 0.3). The same columns (typed by the tables': datetimes on
    SQLite) and joins; a test holds the two to the same rows."""
    return text(
        f"SELECT {column_names(_FIELDS_BEFORE)}, coalesce(r.name, ''), r.email, a.login,"
        f" o.name, {column_names(_FIELDS_AFTER)} FROM ticket"
        " LEFT OUTER JOIN contact AS r ON r.id = ticket.requester_id"
        " LEFT OUTER JOIN agent AS a ON a.id = ticket.assignee_id"
        " LEFT OUTER JOIN team AS o ON o.id = ticket.team_id"
        " WHERE ticket.number = :number"
    ).columns(
        *_FIELDS_BEFORE, contact.c.name, contact.c.email, agent.c.login, team.c.name, *_FIELDS_AFTER
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
    values = session.execute(_row_by_number(), {"number": number}).first()
    return _to_row(values) if values else None
