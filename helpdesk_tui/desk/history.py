"""The audit trail: every change writes an event; a stale write is refused with who did what.

On Core tables (``storage/core_tables``): a writer on an ORM session passes it (its
transaction's connection is used) with its ORM ``Ticket``, a Core writer its connection and
a :class:`~helpdesk_tui.desk.ticket_record.TicketRecord`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sqlalchemy import ColumnElement, select

from helpdesk_tui.desk import sla_marks
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import Conflict
from helpdesk_tui.desk.ticket_reads import describe as describe
from helpdesk_tui.storage.core_tables import Event, event
from helpdesk_tui.storage.core_text import insert_returning_id
from helpdesk_tui.storage.database import connection_of
from helpdesk_tui.storage.enums import utcnow

if TYPE_CHECKING:
    from datetime import datetime

    from helpdesk_tui.storage.database import Reader


class Versioned(Protocol):
    """What the trail needs of a ticket: which one, and its version."""

    @property
    def id(self) -> int | None: ...
    @property
    def number(self) -> int: ...

    version: int
    updated_at: datetime


class Numbered(Protocol):
    """What an event names of its ticket besides the id."""

    @property
    def number(self) -> int: ...
    @property
    def version(self) -> int: ...


def event_values(
    ticket_id: object,
    ticket: Numbered,
    actor: Actor,
    kind: str,
    *,
    field: str | None = None,
    old: object = None,
    new: object = None,
) -> dict[str, object]:
    """An event row's values, at the ticket's current version: :func:`record` writes it,
    and the batch intake (``intake_rows``) keeps it for its one insert, with a key for a
    ticket not yet inserted in place of ``ticket_id``."""
    return {
        "ticket_id": ticket_id,
        "ticket_number": ticket.number,
        "ticket_version": ticket.version,
        "actor_agent_id": actor.agent_id,
        "actor": actor.name,
        "kind": kind,
        "field": field,
        "old_value": None if old is None else str(old),
        "new_value": None if new is None else str(new),
        "created_at": utcnow(),
    }


def record(
    reader: Reader,
    actor: Actor,
    ticket: Versioned,
    kind: str,
    *,
    field: str | None = None,
    old: object = None,
    new: object = None,
) -> int:
    """Write one event at the ticket's current version; its id."""
    conn = connection_of(reader)
    values = event_values(ticket.id, ticket, actor, kind, field=field, old=old, new=new)
    # (SQL text made once: ``storage/core_text``)
    event_id = conn.execute(
        insert_returning_id(conn.dialect, event, tuple(values)), values
    ).scalar_one()
    sla_marks.touch(conn, ticket.id, kind)
    return int(event_id)


def bump(ticket: Versioned) -> None:
    """Every change moves the version on and touches ``updated_at``."""
    ticket.version += 1
    ticket.updated_at = utcnow()


def since_version(ticket: Versioned, version: int) -> tuple[ColumnElement[bool], ...]:
    """Conditions for this ticket's own events after ``version``.

    Events a merge moved in keep the versions (and number) of the ticket they were made on,
    so they are told apart by ``ticket_number``: they are history, not news.
    """
    return (
        Event.ticket_id == ticket.id,
        Event.ticket_number == ticket.number,
        Event.ticket_version > version,
    )


def check_version(reader: Reader, ticket: Versioned, expected_version: int | None) -> None:
    """Refuse a change made against an older version, naming what happened since."""
    if expected_version is None or expected_version == ticket.version:
        return
    events = (
        connection_of(reader)
        .execute(select(event).where(*since_version(ticket, expected_version)).order_by(Event.id))
        .all()
    )
    changes = [describe(e) for e in events]
    who = sorted({e.actor for e in events})
    summary = "; ".join(changes[-3:]) if changes else "it changed"
    raise Conflict(
        f"#{ticket.number} was changed by {', '.join(who) or 'someone'} since you loaded it "
        f"({summary}); nothing was saved — reload and try again",
        number=ticket.number,
        current_version=ticket.version,
        changes=changes,
    )
