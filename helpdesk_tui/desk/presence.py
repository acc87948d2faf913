"""Who is on which ticket right now: "alice is viewing #1042", "bob is replying to #1042".

Each terminal heartbeats one row per ticket it shows; a row lives ``PRESENCE_TTL`` past its
last heartbeat, so a killed terminal's marker disappears on its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, exists
from sqlmodel import Session, col, select

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.presence_rows import on_tickets as on_tickets
from helpdesk_tui.desk.presence_rows import others_replying as others_replying
from helpdesk_tui.desk.presence_rows import replying_names as replying_names
from helpdesk_tui.desk.queue_values import OnTicket as OnTicket
from helpdesk_tui.storage.models import Activity, Presence, Ticket, utcnow

PRESENCE_TTL = timedelta(seconds=15)
HEARTBEAT_EVERY = timedelta(seconds=5)


def heartbeat(
    session: Session,
    actor: Actor,
    session_id: str,
    ticket_number: int | None,
    activity: Activity | None,
    *,
    now: datetime | None = None,
) -> None:
    """Say what this terminal is doing now; ``None`` clears it (left the ticket).

    One terminal is on at most one ticket at a time, so its other rows are removed.
    """
    now = now or utcnow()
    if actor.agent_id is None:
        return
    ticket_id = None
    if ticket_number is not None and activity is not None:
        ticket_id = session.exec(select(Ticket.id).where(Ticket.number == ticket_number)).first()
    stale = delete(Presence).where(col(Presence.session_id) == session_id)
    if ticket_id is not None:
        stale = stale.where(col(Presence.ticket_id) != ticket_id)
    session.execute(stale)
    session.execute(delete(Presence).where(col(Presence.expires_at) < now))
    if ticket_id is None or activity is None:
        return
    row = session.exec(
        select(Presence).where(Presence.session_id == session_id, Presence.ticket_id == ticket_id)
    ).first()
    if row is None:
        session.add(
            Presence(
                session_id=session_id,
                agent_id=actor.agent_id,
                ticket_id=ticket_id,
                activity=activity,
                started_at=now,
                expires_at=now + PRESENCE_TTL,
            )
        )
        return
    if row.activity != activity:
        row.activity = activity
        row.started_at = now
    row.expires_at = now + PRESENCE_TTL


def leave(session: Session, session_id: str) -> None:
    """This terminal is closing: its markers go at once."""
    session.execute(delete(Presence).where(col(Presence.session_id) == session_id))


def someone_else_on(ticket_id: Any, actor: Actor, now: datetime) -> ColumnElement[bool]:
    """A condition: another agent is viewing or replying to the ticket ``ticket_id`` now.

    The actor's own terminals do not count. One index probe per ticket
    (``ix_presence_ticket_expires``).
    """
    return exists().where(
        col(Presence.ticket_id) == ticket_id,
        col(Presence.expires_at) >= now,
        col(Presence.agent_id) != actor.agent_id,
    )
