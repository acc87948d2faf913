"""`ReportService`: the reports area of the desk facade.

A report reads ``report_ticket`` / ``report_reply`` (one row of figures per ticket, one per
agent reply) with a handful of GROUP BY queries — or, without filters, their rollups
(:mod:`report_rollups`) — then :func:`reports.build_result` makes the figures. Those tables
are a cache of the event history, caught up from a watermark (the last event id read):
every ticket number with a newer event is replayed by :func:`reports.ticket_figures`,
whichever writer recorded the event (an agent, intake's batch writer, the demo loader), and
a deleted ticket's row goes. Catching up costs what changed since the last catch-up, not the
size of the desk; the demo loader and the mail service's SLA worker catch up after they
write (:meth:`ReportService.report_catch_up`), so a report seldom finds much to do.

The demo loader writes its finished tickets' rows itself, in the transaction that adds
them, computed by the same rule (:meth:`Rules.figures`, :func:`counted_reply`,
``report_rollups.ticket_keys``) from the stories it has in memory; it hands the catch-up a
:class:`Written` per batch, and the catch-up skips those tickets until they change again.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, func, insert, select
from sqlmodel import Session, col

from helpdesk_tui.desk import report_rollups, sla, sla_clock
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.reports import (
    EPOCH,
    Counts,
    HistoryEvent,
    Kind,
    ReportQuery,
    ReportResult,
    TicketFigures,
    TicketNow,
    bucket_of,
    bucketed,
    build_result,
    day_number,
    exact_inside,
    sla_overdue,
    ticket_figures,
)
from helpdesk_tui.desk.satisfaction_service import SatisfactionService
from helpdesk_tui.storage.models import (
    Agent,
    Contact,
    Event,
    Organization,
    Team,
    Ticket,
)
from helpdesk_tui.storage.report_models import ReportReply, ReportState, ReportTicket

WATERMARK = "events_read"
LOOKBACK = 256
"""Event ids re-read behind the watermark: on PostgreSQL a transaction that took a lower id
may commit after one that took a higher id; any such event this close is caught again."""
CHUNK = 500
BULK_REPLAY = 20_000
"""A catch-up replaying this many tickets refreshes the planner's statistics after it."""


def _in_chunks(values: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(frozen=True)
class Pending:
    """What a catch-up has to do: ticket numbers to replay, and the event id it reaches."""

    numbers: tuple[int, ...]
    top: int


@dataclass(frozen=True)
class Written:
    """Report rows a bulk writer stored in the transaction that added their tickets
    (the demo loader): tickets numbered ``first`` to ``last`` but ``unwritten``, current up to
    event id ``top`` (the transaction's last; any later change of them has a higher id).

    A catch-up skips such a ticket unless it has an event past ``top``: replaying it would
    write the same rows again."""

    first: int
    last: int
    top: int
    unwritten: frozenset[int] = frozenset()

    def current(self, number: int, latest: int) -> bool:
        return (
            self.first <= number <= self.last
            and latest <= self.top
            and number not in self.unwritten
        )


def pending(session: Session, written: Sequence[Written] = ()) -> Pending:
    """The ticket numbers with events past the watermark, but for those ``written`` holds
    as current (a read: an unchanged desk's report never waits for the write lock)."""
    mark = session.execute(
        select(col(ReportState.value)).where(col(ReportState.name) == WATERMARK)
    ).scalar()
    mark = mark or 0
    top = session.execute(select(func.max(Event.id))).scalar() or 0
    if top <= mark:
        return Pending((), top)
    latest = session.execute(
        select(col(Event.ticket_number), func.max(col(Event.id)))
        .where(col(Event.id) > max(0, mark - LOOKBACK), col(Event.id) <= top)
        .group_by(col(Event.ticket_number))
    )
    ordered = sorted(written, key=lambda w: w.first)
    firsts = [w.first for w in ordered]

    def current(number: int, last: int) -> bool:
        at = bisect_right(firsts, number) - 1
        return at >= 0 and ordered[at].current(number, last)

    numbers = [n for n, last in latest if n is not None and not current(n, last)]
    return Pending(tuple(sorted(numbers)), top)


def replay_everything(session: Session) -> None:
    """Have the next catch-up replay every ticket: the SLA policies or calendars changed,
    and with them due times met and business minutes, which no event records."""
    _lock_state(session).value = 0


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


@dataclass(frozen=True)
class Rules:
    """What replaying needs besides the events: agents by login, the SLA policies and
    calendars (business minutes count in the calendar of each ticket's policy)."""

    agent_ids: dict[str, int]
    policies: list[sla.Policy]
    calendars: dict[str, sla.Calendar]

    @classmethod
    def load(cls, session: Session) -> Rules:
        return cls(_agent_ids(session), *sla_clock.load_rules(session))

    def calendar(self, ticket: TicketNow, organization: str | None) -> sla.Calendar:
        facts = sla.TicketFacts(
            created_at=ticket.created_at,
            status=ticket.status,
            priority=ticket.priority,
            type=ticket.type,
            category=ticket.category,
            organization=organization,
        )
        policy = sla.choose_policy(self.policies, facts)
        return self.calendars.get(policy.calendar or "", sla.DEFAULT_CALENDAR)

    def figures(
        self, now: TicketNow, history: Sequence[HistoryEvent], organization: str | None
    ) -> TicketFigures:
        """The ticket's ``report_ticket`` row: the one rule, for the catch-up's replay and
        for a bulk writer that has a new ticket's history in memory (the demo loader)."""
        return ticket_figures(now, history, self.agent_ids, self.calendar(now, organization))


def counted_reply(kind: str, agent_id: int | None) -> bool:
    """Whether an event is an agent's reply (a ``report_reply`` row)."""
    return kind == "reply" and agent_id is not None


REPORT_TICKET_COLUMNS = tuple(TicketFigures.__dataclass_fields__)
REPORT_REPLY_COLUMNS = ("event_id", "number", "agent_id", "day")


def replay(session: Session, numbers: Sequence[int], rules: Rules) -> None:
    """Recompute the report rows of these ticket numbers from their events, and move the
    rollups by the difference (minus each ticket's old rows, plus its new ones).

    Plain rows through the connection, not ORM objects: a bulk load replays every ticket
    it added, and building and tracking an object per ticket cost more than the replay."""
    conn = session.connection()
    found = conn.execute(
        select(*_NOW_COLUMNS, col(Ticket.merged_into_id), col(Organization.name))
        .join(Contact, col(Contact.id) == col(Ticket.requester_id), isouter=True)
        .join(Organization, col(Organization.id) == col(Contact.organization_id), isouter=True)
        .where(col(Ticket.number).in_(numbers))
    ).all()
    tickets: dict[int, TicketNow] = {}
    organizations: dict[int, str | None] = {}
    merged_into: dict[int, int] = {}
    for *values, merged_into_id, organization in found:
        now = TicketNow(
            **dict(zip(_NOW_FIELDS, values, strict=True)), merged=merged_into_id is not None
        )
        tickets[now.number] = now
        organizations[now.number] = organization
        if merged_into_id is not None:
            merged_into[now.number] = merged_into_id
    holders = _holders(
        session, {t.ticket_id for t in tickets.values() if t.ticket_id is not None}, merged_into
    )
    history: dict[int, list[HistoryEvent]] = {}
    replies: list[dict[str, Any]] = []
    rows = conn.execute(
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
        if counted_reply(kind, agent_id):
            replies.append(
                {
                    "event_id": event_id,
                    "number": number,
                    "agent_id": agent_id,
                    "day": day_number(at),
                }
            )
    rt, rr = ReportTicket.__table__, ReportReply.__table__  # type: ignore[attr-defined]
    old_tickets = [row._mapping for row in conn.execute(select(rt).where(rt.c.number.in_(numbers)))]
    old_replies = [row._mapping for row in conn.execute(select(rr).where(rr.c.number.in_(numbers)))]
    conn.execute(delete(rt).where(rt.c.number.in_(numbers)))
    conn.execute(delete(rr).where(rr.c.number.in_(numbers)))
    figures = [
        vars(rules.figures(now, history.get(number, ()), organizations[number]))
        for number, now in tickets.items()
    ]
    if figures:
        conn.execute(insert(rt), figures)
    if replies:
        conn.execute(insert(rr), replies)
    report_rollups.apply(conn, report_rollups.delta(old_tickets, figures, old_replies, replies))


_NOW_FIELDS = tuple(name for name in TicketNow.__dataclass_fields__ if name != "merged")
_NOW_COLUMNS = tuple(
    col(getattr(Ticket, "id" if name == "ticket_id" else name)) for name in _NOW_FIELDS
)
"""The ticket's columns :class:`TicketNow` is made of (``merged`` comes from another)."""


def _holders(session: Session, ids: set[int], merged_into: dict[int, int]) -> set[int]:
    """The ids of the tickets whose events these tickets' histories are under: their own
    (``ids``), and, for a merged ticket, the ticket its events moved to (merges followed to
    the end). Events are read by ``ticket_id`` (indexed) and told apart by ``ticket_number``."""
    holders = set(ids)
    targets = set(merged_into.values())
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


class ReportService(SatisfactionService):
    """Reports: every figure a support lead runs the team on (and the ratings they count)."""

    def report_run(self, query: ReportQuery, *, rollups: bool = True) -> ReportResult:
        """Catch the report tables up, then compute every figure for ``query``.

        A report without filters reads the rollups; ``rollups=False`` reads ``report_ticket``
        instead (the same figures — the tests compare the two)."""
        if query.end < query.start:
            raise InvalidValue(f"the report ends ({query.end}) before it starts ({query.start})")
        self.report_catch_up()
        with self._read() as session:
            return self._compute(session, query, rollups=rollups)

    def report_catch_up(
        self, written: Sequence[Written] = (), written_by: Rules | None = None
    ) -> int:
        """Replay the tickets changed since the last catch-up into the report tables and
        their rollups; how many were replayed. A chunk per transaction: the first catch-up
        on a big desk replays every history, and agents' changes must not wait for all of
        it. Replaying is idempotent, so the watermark moves only once every chunk is in.

        ``written``: rows a bulk writer stored itself by the rules ``written_by``, skipped
        while current — unless the rules have changed since (an SLA policy or calendar, or
        the agents): then those rows may be stale without any event saying so."""
        with self._read() as session:
            rules = Rules.load(session)
            work = pending(session, written if written_by == rules else ())
            if not work.numbers:
                return 0
        for chunk in _in_chunks(work.numbers):
            with self._write() as session:
                _lock_state(session)
                replay(session, chunk, rules)
        with self._write() as session:
            state = _lock_state(session)
            state.value = max(state.value, work.top)
        if len(work.numbers) >= BULK_REPLAY:  # a bulk load of the report tables
            self.db.refresh_statistics()
        return len(work.numbers)

    def report_replay(self, numbers: Sequence[int], rules: Rules) -> None:
        """Replay these tickets into the report tables now, by ``rules``, a chunk per
        transaction; the watermark stays (the next catch-up sees their events as pending).

        For a bulk writer's tickets whose rows it could not write with them (open ones:
        their due times are recomputed after their transaction), once they are recomputed,
        beside the rest of the load: a catch-up after it then skips them as written."""
        for chunk in _in_chunks(numbers):
            with self._write() as session:
                _lock_state(session)
                replay(session, chunk, rules)

    def _compute(self, session: Session, query: ReportQuery, *, rollups: bool) -> ReportResult:
        where = self._filters(session, query)
        first = (query.start - EPOCH).days
        last = (query.end - EPOCH).days
        if rollups and not where:
            counts = Counts(inside=report_rollups.inside(session, first, last))
            report_rollups.daily(session, counts, first, last)
            report_rollups.durations(session, counts, first, last)
        else:
            counts = self._ticket_counts(session, first, last, where)
        self._backlog(session, counts, where)
        logins: dict[int, str] = dict(
            session.execute(select(col(Agent.id), col(Agent.login))).all()
        )
        return build_result(query, counts, logins)

    def _ticket_counts(self, session: Session, first: int, last: int, where: list[Any]) -> Counts:
        """The counts read from ``report_ticket`` / ``report_reply`` (filtered reports)."""
        rt = ReportTicket
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
        exact: dict[Kind, dict[tuple[int | None, int], int]] = {kind: {} for kind in Kind}
        for agent, minutes, n in grouped(resolved, col(rt.agent_id), col(rt.resolution_mins)):
            exact[Kind.RESOLUTION][(agent, minutes)] = n
        for responder, minutes, met, n in grouped(
            col(rt.response_day),
            col(rt.responder_id),
            col(rt.response_mins),
            col(rt.response_met),
        ):
            _add(exact[Kind.RESPONSE], (responder, minutes), n)
            _add(counts.response_met, met, n)
        for kind, day, minutes in (
            (Kind.RESOLUTION_BUSINESS, resolved, col(rt.resolution_bmins)),
            (Kind.RESPONSE_BUSINESS, col(rt.response_day), col(rt.response_bmins)),
        ):
            for value, n in grouped(day, minutes):
                if value is not None:
                    exact[kind][(None, value)] = n
        counts.resolutions = bucketed(exact[Kind.RESOLUTION])
        counts.responses = bucketed(exact[Kind.RESPONSE])
        for kind, target in (
            (Kind.RESOLUTION_BUSINESS, counts.resolutions_business),
            (Kind.RESPONSE_BUSINESS, counts.responses_business),
        ):
            for (_, minutes), n in exact[kind].items():
                _add(target, bucket_of(minutes), n)
        counts.inside = exact_inside(exact)
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
        return counts

    def _backlog(self, session: Session, counts: Counts, where: list[Any]) -> None:
        """Open tickets now, by status, priority and whether overdue (any range)."""
        rt = ReportTicket
        now = self.clock()
        overdue = sla_overdue(col(rt.sla_due_at), now)
        for status, priority, is_overdue, n in session.execute(
            select(col(rt.status), col(rt.priority), overdue, func.count())
            .where(col(rt.open) == 1, *where)
            .group_by(rt.status, rt.priority, overdue)
        ):
            counts.backlog[(status, priority, is_overdue)] = n

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


def _add(target: dict[Any, int], key: Any, n: int) -> None:
    target[key] = target.get(key, 0) + n
