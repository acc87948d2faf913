"""The audit trail: every change writes an event; a stale write is refused with who did what."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from helpdesk_tui.desk import sla_clock
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import Conflict
from helpdesk_tui.desk.ticket_reads import describe as describe
from helpdesk_tui.storage.models import Event, Ticket, utcnow


def record(
    session: Session,
    actor: Actor,
    ticket: Ticket,
    kind: str,
    *,
    field: str | None = None,
    old: object = None,
    new: object = None,
) -> Event:
    event = Event(
        ticket_id=ticket.id,
        ticket_number=ticket.number,
        ticket_version=ticket.version,
        actor_agent_id=actor.agent_id,
        actor=actor.name,
        kind=kind,
        field=field,
        old_value=None if old is None else str(old),
        new_value=None if new is None else str(new),
        created_at=utcnow(),
    )
    session.add(event)
    sla_clock.touch(session, ticket.id, kind)
    return event


def bump(ticket: Ticket) -> None:
    """Every change moves the version on and touches ``updated_at``."""
    ticket.version += 1
    ticket.updated_at = utcnow()


def since_version(ticket: Ticket, version: int) -> tuple[ColumnElement[bool], ...]:
    """Conditions for this ticket's own events after ``version``.

    Events a merge moved in keep the versions (and number) of the ticket they were made on,
    so they are told apart by ``ticket_number``: they are history, not news.
    """
    return (
        col(Event.ticket_id) == ticket.id,
        col(Event.ticket_number) == ticket.number,
        col(Event.ticket_version) > version,
    )


def check_version(session: Session, ticket: Ticket, expected_version: int | None) -> None:
    """Refuse a change made against an older version, naming what happened since."""
    if expected_version is None or expected_version == ticket.version:
        return
    events = session.exec(
        select(Event).where(*since_version(ticket, expected_version)).order_by(col(Event.id))
    ).all()
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
