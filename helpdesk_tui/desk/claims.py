"""Taking the next ticket: the most urgent unassigned one, claimed so no two agents get it.

On PostgreSQL the candidate row is locked with ``FOR UPDATE SKIP LOCKED``: a second agent
taking at the same moment skips the row the first one holds and gets the next one, without
waiting. On SQLite ``Database.write()`` starts with ``BEGIN IMMEDIATE``, so claimers queue on
the database's write lock and each sees the previous claim (SQLite ignores ``FOR UPDATE``).
Call ``take_next`` inside ``db.write()``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import not_, or_
from sqlmodel import Session, col, select

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import team_ids_of
from helpdesk_tui.desk.errors import InvalidValue, NotFound
from helpdesk_tui.desk.fields import assign
from helpdesk_tui.desk.presence import someone_else_on
from helpdesk_tui.desk.ticket_record import TicketRecord
from helpdesk_tui.storage.models import Status, Ticket, utcnow

CLAIMABLE_STATUSES: tuple[str, ...] = (Status.NEW, Status.OPEN, Status.IN_PROGRESS)
"""Unassigned work that needs someone now; waiting and on-hold tickets are parked."""


def take_next(session: Session, actor: Actor, *, now: datetime | None = None) -> TicketRecord:
    """Assign the most urgent unassigned ticket of the actor's teams to the actor.

    Urgency: priority first, then the earliest SLA due time (the queue's), then the oldest. Tickets
    with no team belong to nobody yet, so every agent may take them. A ticket another agent
    is viewing or replying to at ``now`` is skipped: they may be about to take it, and two
    agents answering one customer is the collision taking next exists to avoid.
    """
    if actor.agent_id is None:
        raise InvalidValue("only an agent can take a ticket")
    now = now or utcnow()
    teams = team_ids_of(session, actor.agent_id)
    in_my_teams = or_(col(Ticket.team_id).is_(None), col(Ticket.team_id).in_(teams))
    claimable = (
        col(Ticket.assignee_id).is_(None),
        col(Ticket.merged_into_id).is_(None),
        col(Ticket.status).in_(CLAIMABLE_STATUSES),
        in_my_teams,
    )
    statement = (
        select(Ticket)
        .where(*claimable, not_(someone_else_on(Ticket.id, actor, now)))
        .order_by(
            col(Ticket.priority_rank).desc(),
            col(Ticket.sla_due_at).is_(None),
            col(Ticket.sla_due_at),
            col(Ticket.created_at),
            col(Ticket.id),
        )
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    ticket = session.exec(statement).first()
    if ticket is None:
        if session.exec(select(Ticket.id).where(*claimable).limit(1)).first() is not None:
            raise NotFound("no unassigned ticket is waiting in your teams that no one else is on")
        raise NotFound("no unassigned ticket is waiting in your teams")
    return assign(session, actor, ticket.number, agent=actor.name, expected_version=ticket.version)
