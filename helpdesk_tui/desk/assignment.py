"""Automatic assignment inside a team: round-robin, least open tickets, or skill match.

Only agents who are on shift get tickets: a running terminal heartbeats the agent's
``agent_shift`` row forward (:func:`on_shift`), and an agent can say they are away
(:func:`set_away`). An agent with a capacity gets no more open tickets than it.

Safe under concurrency, on both engines. An assigner locks, in this order, the team's
``team_routing`` row, the ticket, and then the chosen agent's ``agent_shift`` row, and counts
the agent's open tickets only under that last lock:

- the team lock makes assigners of one team take turns, so round-robin's pointer moves
  one step per ticket;
- the ticket lock (re-read, ``populate_existing``) means a ticket another process assigned
  meanwhile is seen assigned and left alone: never two agents;
- the agent lock makes every assigner that could give this agent a ticket (from any team)
  count after the previous one committed: no capacity is ever exceeded. Agent rows are
  locked with ``SKIP LOCKED`` (an agent another assigner is serving is passed over for this
  ticket), so nobody ever waits on one, and mail intake does not wait on team rows either
  (see :func:`auto_assign`): no two transactions can wait on each other in a cycle.

On SQLite ``Database.write()`` starts with ``BEGIN IMMEDIATE``, so writers run one at a time
and the same reads see every earlier commit (SQLite ignores ``FOR UPDATE``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from helpdesk_tui.desk import fields, history
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.presence import someone_else_on
from helpdesk_tui.desk.routing import Strategy
from helpdesk_tui.desk.statuses import OPEN_STATUSES
from helpdesk_tui.desk.tags import ticket_tags
from helpdesk_tui.storage.database import upsert_insert
from helpdesk_tui.storage.models import Agent, Role, Status, Team, TeamMember, Ticket
from helpdesk_tui.storage.routing_models import AgentShift, TeamRouting

SHIFT_HEARTBEAT = timedelta(seconds=60)
SHIFT_TTL = 3 * SHIFT_HEARTBEAT
"""A terminal that stopped heartbeating this long ago no longer keeps its agent on shift."""

_NOBODY = Actor(name="nobody", agent_id=-1)
"""Presence of *any* agent counts when the system assigns (no agent's own terminal)."""


@dataclass(frozen=True)
class Candidate:
    """An agent who may get a ticket now: on shift, not away, under capacity."""

    agent_id: int
    login: str
    open_tickets: int
    skills: frozenset[str]


@dataclass(frozen=True)
class Assigned:
    number: int
    login: str
    strategy: Strategy
    team: str


@dataclass(frozen=True)
class NotAssigned:
    number: int
    reason: str


def parse_skills(text: str) -> frozenset[str]:
    return frozenset(s.strip().lower() for s in text.replace(";", ",").split(",") if s.strip())


def _make_if_missing(session: Session, model: type[SQLModel], **values: object) -> None:
    """Insert a row unless its key exists (two makers at once: one wins, none fails)."""
    table = model.__table__  # type: ignore[attr-defined]
    maker = upsert_insert(session.get_bind().dialect.name)
    session.connection().execute(maker(table).values(**values).on_conflict_do_nothing())


def _locked(session: Session, model: type[SQLModel], key: object, skip_locked: bool) -> Any | None:
    """The row of ``model`` with primary key ``key`` under its write lock, made if missing.

    With ``skip_locked`` a row another transaction holds is None instead of waited for.
    """
    column = next(iter(model.__table__.primary_key.columns))  # type: ignore[attr-defined]
    statement = (
        select(model)
        .where(column == key)
        .with_for_update(skip_locked=skip_locked)
        .execution_options(populate_existing=True)
    )
    return session.exec(statement).first()


def _shift(session: Session, agent_id: int, *, skip_locked: bool = False) -> AgentShift | None:
    """The agent's shift row under its write lock, made if missing."""
    _make_if_missing(session, AgentShift, agent_id=agent_id, away=False)
    row: AgentShift | None = _locked(session, AgentShift, agent_id, skip_locked)
    return row


def _own_shift(session: Session, agent_id: int) -> AgentShift:
    row = _shift(session, agent_id)
    assert row is not None
    return row


def on_shift(session: Session, agent_id: int, now: datetime) -> None:
    """A terminal of this agent is running (heartbeat every :data:`SHIFT_HEARTBEAT`)."""
    _own_shift(session, agent_id).on_shift_until = now + SHIFT_TTL


def off_shift(session: Session, agent_id: int) -> None:
    """The agent's terminal closed: off shift now (another running terminal heartbeats back)."""
    _own_shift(session, agent_id).on_shift_until = None


def set_away(session: Session, agent_id: int, away: bool, now: datetime) -> AgentShift:
    shift = _own_shift(session, agent_id)
    if shift.away != away:
        shift.away = away
        shift.away_since = now if away else None
    return shift


def set_capacity(session: Session, actor: Actor, login: str, capacity: int | None) -> Agent:
    """At most ``capacity`` open tickets by automatic assignment (None: no limit)."""
    actor.require(Role.SUPERVISOR, "set capacities")
    if capacity is not None and capacity < 0:
        raise InvalidValue("a capacity is 0 or more")
    agent = session.get(Agent, fields.find_agent(session, login).id)
    assert agent is not None and agent.id is not None
    _own_shift(session, agent.id).capacity = capacity
    return agent


def set_skills(session: Session, actor: Actor, login: str, skills: Iterable[str]) -> Agent:
    actor.require(Role.SUPERVISOR, "set skills")
    agent = session.get(Agent, fields.find_agent(session, login).id)
    assert agent is not None
    agent.skills = ",".join(sorted(parse_skills(",".join(skills))))[:500]
    return agent


def open_counts(session: Session, agent_ids: Sequence[int]) -> dict[int, int]:
    """Open tickets (new to on hold) assigned to each agent, in one grouped query."""
    if not agent_ids:
        return {}
    rows = session.exec(
        select(Ticket.assignee_id, func.count())
        .where(col(Ticket.assignee_id).in_(agent_ids), col(Ticket.status).in_(OPEN_STATUSES))
        .group_by(col(Ticket.assignee_id))
    ).all()
    counts = {agent_id: 0 for agent_id in agent_ids}
    counts.update({int(a): int(n) for a, n in rows if a is not None})
    return counts


def candidates(session: Session, team_id: int, now: datetime) -> list[Candidate]:
    """The team's agents who may get a ticket now, by id."""
    rows = session.exec(
        select(Agent.id, Agent.login, Agent.skills, AgentShift.capacity)
        .join(TeamMember, col(TeamMember.agent_id) == Agent.id)
        .join(AgentShift, col(AgentShift.agent_id) == Agent.id)
        .where(
            TeamMember.team_id == team_id,
            col(Agent.active).is_(True),
            col(AgentShift.away).is_(False),
            col(AgentShift.on_shift_until) >= now,
        )
        .order_by(col(Agent.id))
    ).all()
    counts = open_counts(session, [r[0] for r in rows if r[0] is not None])
    found = []
    for agent_id, login, skills, capacity in rows:
        assert agent_id is not None
        if capacity is None or counts[agent_id] < capacity:
            found.append(Candidate(agent_id, login, counts[agent_id], parse_skills(skills)))
    return found


def choose(
    strategy: Strategy,
    pool: Sequence[Candidate],
    last_agent_id: int | None,
    wanted: frozenset[str] = frozenset(),
) -> Candidate | None:
    """Whom ``strategy`` picks from ``pool`` (by agent id); ties go round the turn order.

    The turn order starts after ``last_agent_id``, so equal candidates take turns.
    Skill match keeps the agents sharing most skills with ``wanted`` (the ticket's tags
    and category), then the fewest open tickets; when nobody shares any, everyone is kept.
    """
    if not pool:
        return None
    ordered = sorted(pool, key=lambda c: c.agent_id)
    after = [c for c in ordered if last_agent_id is not None and c.agent_id > last_agent_id]
    turn = after + [c for c in ordered if c not in after]
    if strategy is Strategy.ROUND_ROBIN:
        return turn[0]
    if strategy is Strategy.SKILL_MATCH:
        best = max(len(c.skills & wanted) for c in turn)
        turn = [c for c in turn if len(c.skills & wanted) == best]
    fewest = min(c.open_tickets for c in turn)
    return next(c for c in turn if c.open_tickets == fewest)


def _team_row(session: Session, team_id: int, *, skip_locked: bool) -> TeamRouting | None:
    """The team's assignment row under its write lock, made if missing."""
    _make_if_missing(session, TeamRouting, team_id=team_id)
    row: TeamRouting | None = _locked(session, TeamRouting, team_id, skip_locked)
    return row


def auto_assign(
    session: Session,
    actor: Actor,
    number: int,
    strategy: Strategy,
    now: datetime,
    *,
    wait: bool = True,
) -> Assigned | NotAssigned:
    """Give ticket ``number`` to an agent of its team by ``strategy``, if one may take it.

    Left alone: a ticket already assigned, closed, merged or without a team; a ticket an
    agent is viewing or replying to (as take-next leaves it: they may be taking it).

    Locks: the team's row, then the ticket, then agents' rows, which are never waited for
    (one another assigner holds is skipped for this ticket). ``wait`` False skips a team
    another transaction holds too: mail intake, whose transaction holds many tickets,
    never waits on a team row, so no cycle of waits can form (an assigner holding the team
    row may wait for a ticket intake holds, never the other way round).
    """
    team_id = session.exec(select(Ticket.team_id).where(Ticket.number == number)).first()
    if team_id is None:
        return NotAssigned(number, "no team")
    turn = _team_row(session, team_id, skip_locked=not wait)
    if turn is None:
        return NotAssigned(number, "another assigner is handing out this team's tickets")
    ticket = session.exec(
        select(Ticket)
        .where(Ticket.number == number)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if ticket is None:
        return NotAssigned(number, "no such ticket")
    if ticket.team_id != team_id:
        return NotAssigned(number, "moved to another team meanwhile")
    if ticket.assignee_id is not None:
        return NotAssigned(number, "already assigned")
    if ticket.status in (Status.CLOSED, Status.RESOLVED) or ticket.merged_into_id is not None:
        return NotAssigned(number, f"#{number} is {ticket.status}")
    busy = session.exec(select(someone_else_on(ticket.id, _NOBODY, now))).one()
    if busy:
        return NotAssigned(number, "an agent is on it now")
    team = session.get(Team, team_id)
    assert team is not None and ticket.id is not None
    wanted = frozenset(ticket_tags(session, ticket.id)) | (
        {ticket.category.lower()} if ticket.category else set()
    )
    pool = candidates(session, team_id, now)
    while (pick := choose(strategy, pool, turn.last_agent_id, frozenset(wanted))) is not None:
        shift = _shift(session, pick.agent_id, skip_locked=True)
        if shift is not None:  # counted again under the agent's lock
            load = open_counts(session, [pick.agent_id])[pick.agent_id]
            if shift.capacity is None or load < shift.capacity:
                break
        pool = [c for c in pool if c.agent_id != pick.agent_id]
    if pick is None:
        return NotAssigned(number, f"nobody in {team.name} is on shift with room")
    assigned = fields.assign(session, actor, number, agent=pick.login)
    session.expire(ticket)  # (the assignment wrote its row on Core tables)
    turn.last_agent_id = pick.agent_id
    history.record(
        session,
        actor,
        assigned,
        "auto_assigned",
        new=f"{pick.login} by {strategy.value.replace('_', '-')} in {team.name}",
    )
    return Assigned(number, pick.login, strategy, team.name)


def unassigned_in_team(session: Session, team_id: int, limit: int = 100) -> list[int]:
    """Open unassigned tickets of a team, oldest first (the backlog to hand out)."""
    rows = session.exec(
        select(Ticket.number)
        .where(
            Ticket.team_id == team_id,
            col(Ticket.assignee_id).is_(None),
            col(Ticket.merged_into_id).is_(None),
            col(Ticket.status).in_((Status.NEW, Status.OPEN, Status.IN_PROGRESS)),
        )
        .order_by(col(Ticket.created_at), col(Ticket.id))
        .limit(limit)
    ).all()
    return list(rows)
