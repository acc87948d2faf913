"""`ReportService`: the reports area of the desk facade.

A report reads ``report_ticket`` / ``report_reply`` (one row of figures per ticket, one per
agent reply) with a handful of GROUP BY queries, then :func:`reports.build_result` makes the
figures. Those tables are a cache of the event history, caught up before each report from a
watermark (the last event id read): every ticket number with a newer event is replayed by
:func:`reports.ticket_figures`, whichever writer recorded the event (an agent, intake's
batch writer, the demo loader), and a deleted ticket's row goes. Catching up costs what
changed since the last report, not the size of the desk.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, func, insert, select
from sqlmodel import Session, col

from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.reports import (
    EPOCH,
    Counts,
    HistoryEvent,
    ReportQuery,
    ReportResult,
    TicketNow,
    build_result,
    day_number,
    sla_overdue,
    ticket_figures,
)
from helpdesk_tui.desk.satisfaction_service import SatisfactionService
from helpdesk_tui.storage.models import (
    Agent,
    Event,
    Team,
    Ticket,
)
from helpdesk_tui.storage.report_models import ReportReply, ReportState, ReportTicket

WATERMARK = "events_read"
LOOKBACK = 256
"""Event ids re-read behind the watermark: on PostgreSQL a transaction that took a lower id
may commit after one that took a higher id; any such event this close is caught again."""
CHUNK = 500


def _in_chunks(values: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(frozen=True)
class Pending:
    """What a catch-up has to do: ticket numbers to replay, and the event id it reaches."""

    numbers: tuple[int, ...]
    top: int


def pending(session: Session) -> Pending:
    """The ticket numbers with events past the watermark (a read: an unchanged desk's
    report never waits for the write lock)."""
    mark = session.execute(
        select(col(ReportState.value)).where(col(ReportState.name) == WATERMARK)
    ).scalar()
    mark = mark or 0
    top = session.execute(select(func.max(Event.id))).scalar() or 0
    if top <= mark:
        return Pending((), top)
    numbers = session.execute(
        select(col(Event.ticket_number))
        .where(col(Event.id) > max(0, mark - LOOKBACK), col(Event.id) <= top)
        .distinct()
    ).scalars()
    return Pending(tuple(sorted(n for n in numbers if n is not None)), top)


def _lock_state(session: Session) -> ReportState:
    """The watermark row under its lock: one catch-up at a time writes the report tables."""
    state = session.execute(
        select(ReportState).where(col(ReportState.name) == WATERMARK).with_for_update()
    ).scalar()
    if state is None:  # made by migration 0012; a desk that lost it gets it back
        state = ReportState(name=WATERMARK, value=0)
        session.add(state)
        session.flush()
    return state


def _agent_ids(session: Session) -> dict[str, int]:
    rows = session.execute(select(col(Agent.id), col(Agent.login)))
    return {login: id_ for id_, login in rows if id_ is not None}


def catch_up(session: Session) -> int:
    """Bring the report tables up to the newest event in one transaction (benchmarks,
    tests); returns how many tickets were replayed."""
    work = pending(session)
    state = _lock_state(session)
    agent_ids = _agent_ids(session)
    for chunk in _in_chunks(work.numbers):
        replay(session, chunk, agent_ids)
    state.value = max(state.value, work.top)
    return len(work.numbers)


def replay(session: Session, numbers: Sequence[int], agent_ids: dict[str, int]) -> None:
    """Recompute the report rows of these ticket numbers from their events."""
    found = session.execute(select(Ticket).where(col(Ticket.number).in_(numbers))).scalars()
    tickets = {ticket.number: ticket for ticket in found}
    holders = _holders(session, list(tickets.values()))
    history: dict[int, list[HistoryEvent]] = {}
    replies: list[dict[str, Any]] = []
    rows = session.execute(
        select(
            col(Event.id),
            col(Event.ticket_number),
            col(Event.kind),
            col(Event.field),
            col(Event.old_value),
            col(Event.new_value),
            col(Event.actor_agent_id),
            col(Event.created_at),
        )
        .where(col(Event.ticket_id).in_(holders))
        .order_by(col(Event.id))
    )
    for event_id, number, kind, field, old, new, agent_id, at in rows:
        if number not in tickets:
            continue
        history.setdefault(number, []).append(HistoryEvent(kind, field, old, new, agent_id, at))
        if kind == "reply" and agent_id is not None:
            replies.append(
                {
                    "event_id": event_id,
                    "number": number,
                    "agent_id": agent_id,
                    "day": day_number(at),
                }
            )
    session.execute(delete(ReportTicket).where(col(ReportTicket.number).in_(numbers)))
    session.execute(delete(ReportReply).where(col(ReportReply.number).in_(numbers)))
    figures = [
        vars(ticket_figures(_now(ticket), history.get(number, ()), agent_ids))
        for number, ticket in tickets.items()
    ]
    if figures:
        session.execute(insert(ReportTicket), figures)
    if replies:
        session.execute(insert(ReportReply), replies)


def _holders(session: Session, tickets: Sequence[Ticket]) -> set[int]:
    """The ids of the tickets whose events these tickets' histories are under: their own,
    and, for a merged ticket, the ticket its events moved to (merges followed to the end).
    Events are read by ``ticket_id`` (indexed) and told apart by ``ticket_number``."""
    holders = {t.id for t in tickets if t.id is not None}
    targets = {t.merged_into_id for t in tickets if t.merged_into_id is not None}
    while targets - holders:
        new = targets - holders
        holders |= new
        rows = session.execute(
            select(col(Ticket.merged_into_id)).where(
                col(Ticket.id).in_(new), col(Ticket.merged_into_id).is_not(None)
            )
        )
        targets = {target for target in rows.scalars() if target is not None}
    return holders


def _now(ticket: Ticket) -> TicketNow:
    return TicketNow(
        number=ticket.number,
        ticket_id=ticket.id,
        created_at=ticket.created_at,
        team_id=ticket.team_id,
        assignee_id=ticket.assignee_id,
        channel=ticket.channel,
        category=ticket.category,
        type=ticket.type,
        priority=ticket.priority,
        status=ticket.status,
        merged=ticket.merged_into_id is not None,
        response_due_at=ticket.response_due_at,
        resolution_due_at=ticket.resolution_due_at,
        sla_due_at=ticket.sla_due_at,
    )


class ReportService(SatisfactionService):
    """Reports: every figure a support lead runs the team on (and the ratings they count)."""

    def report_run(self, query: ReportQuery) -> ReportResult:
        """Catch the report tables up, then compute every figure for ``query``."""
        if query.end < query.start:
            raise InvalidValue(f"the report ends ({query.end}) before it starts ({query.start})")
        with self._read() as session:
            work = pending(session)
            agent_ids = _agent_ids(session)
        # A chunk per transaction: the first report on a big desk replays every history,
        # and agents' changes must not wait for all of it. Replaying is idempotent, so the
        # watermark moves only once every chunk is in.
        for chunk in _in_chunks(work.numbers):
            with self._write() as session:
                _lock_state(session)
                replay(session, chunk, agent_ids)
        if work.numbers:
            with self._write() as session:
                state = _lock_state(session)
                state.value = max(state.value, work.top)
        with self._read() as session:
            return self._compute(session, query)

    def _compute(self, session: Session, query: ReportQuery) -> ReportResult:
        rt = ReportTicket
        where = self._filters(session, query)
        first = (query.start - EPOCH).days
        last = (query.end - EPOCH).days
        counts = Counts()

        def grouped(day: Any, *columns: Any) -> list[Any]:
            return list(
                session.execute(
                    select(*columns, func.count())
                    .where(day >= first, day <= last, *where)
                    .group_by(*columns)
                ).all()
            )

        created, resolved = col(rt.created_day), col(rt.resolved_day)
        values = (col(rt.category), col(rt.channel), col(rt.type))
        for day, n in grouped(created, created):
            counts.created_days[day] = n
        for category, channel, type_, n in grouped(created, *values):
            counts.created_values[(category or "—", channel, type_)] = n
        reopened = case((col(rt.reopens) > 0, 1), else_=0)
        for day, was_reopened, met, n in grouped(
            resolved, resolved, reopened, col(rt.resolution_met)
        ):
            counts.resolved_days[(day, was_reopened, met)] = n
        for category, channel, type_, n in grouped(resolved, *values):
            counts.resolved_values[(category or "—", channel, type_)] = n
        for agent, minutes, n in grouped(resolved, col(rt.agent_id), col(rt.resolution_mins)):
            counts.resolutions[(agent, minutes)] = n
        for responder, minutes, met, n in grouped(
            col(rt.response_day),
            col(rt.responder_id),
            col(rt.response_mins),
            col(rt.response_met),
        ):
            counts.responses[(responder, minutes, met)] = n
        rated = col(rt.rated_day)
        for day, rating, n in grouped(rated, rated, col(rt.rating)):
            counts.rating_days[(day, rating)] = n
        for agent, rating, n in grouped(rated, col(rt.agent_id), col(rt.rating)):
            counts.rating_agents[(agent, rating)] = n
        replies = select(col(ReportReply.agent_id), func.count()).where(
            col(ReportReply.day) >= first, col(ReportReply.day) <= last
        )
        if where:
            replies = replies.where(
                col(ReportReply.number).in_(select(col(rt.number)).where(*where))
            )
        for agent, n in session.execute(replies.group_by(col(ReportReply.agent_id))):
            counts.replies[agent] = n
        now = self.clock()
        overdue = sla_overdue(col(rt.sla_due_at), now)
        for status, priority, is_overdue, n in session.execute(
            select(col(rt.status), col(rt.priority), overdue, func.count())
            .where(col(rt.open) == 1, *where)
            .group_by(rt.status, rt.priority, overdue)
        ):
            counts.backlog[(status, priority, is_overdue)] = n
        logins: dict[int, str] = dict(
            session.execute(select(col(Agent.id), col(Agent.login))).all()
        )
        return build_result(query, counts, logins)

    def _filters(self, session: Session, query: ReportQuery) -> list[Any]:
        rt = ReportTicket
        where: list[Any] = []
        if query.team is not None:
            team = session.execute(
                select(col(Team.id)).where(col(Team.name) == query.team)
            ).scalar()
            if team is None:
                raise InvalidValue(f"no team is called {query.team!r}")
            where.append(col(rt.team_id) == team)
        if query.agent is not None:
            agent = session.execute(
                select(col(Agent.id)).where(col(Agent.login) == query.agent)
            ).scalar()
            if agent is None:
                raise InvalidValue(f"no agent has the login {query.agent!r}")
            where.append(col(rt.agent_id) == agent)
        for name in ("channel", "category", "type", "priority"):
            value = getattr(query, name)
            if value is not None:
                where.append(getattr(rt, name) == value)
        return where
