"""Reports as agents read them: the figures of a report from the report tables and their
rollups, and what a catch-up has to replay.

:class:`ReportReads` is the base of the facade's ``ReportService`` (the reports screen)
and alone is what ``helpdesk report`` holds: that verb imports neither the ORM nor
SQLModel, caught up or not. A report without filters on a caught-up desk reads by SQL text
only, so it does not import the Core tables either (``storage/core_tables``, ≈ 7 ms: every
table of the desk); a filtered report reads ``report_ticket`` through them. The catch-up's
writes (the one writer of the report tables, ``report_catchup.replay``) are imported only
when there is work.

Its records are named tuples: a frozen dataclass's methods are compiled from source when
its class is made (≈ 0.45 ms each at every import, ≈ 0.07 for a named tuple).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import bindparam, case, func, select, text

from helpdesk_tui.desk import report_rollups
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.reports import (
    EPOCH,
    UNDONE,
    Counts,
    Kind,
    ReportQuery,
    ReportResult,
    bucket_of,
    bucketed,
    build_result,
    exact_inside,
    sla_overdue,
)
from helpdesk_tui.desk.service import DeskService
from helpdesk_tui.storage.database import connection_of
from helpdesk_tui.storage.types import UTCDateTime

if TYPE_CHECKING:
    from helpdesk_tui.desk import sla
    from helpdesk_tui.desk.report_figures import HistoryEvent, TicketFigures, TicketNow
    from helpdesk_tui.storage.database import Reader

WATERMARK = "events_read"
LOOKBACK = 256
"""Event ids re-read behind the watermark: on PostgreSQL a transaction that took a lower id
may commit after one that took a higher id; any such event this close is caught again."""


class Pending(NamedTuple):
    """What a catch-up has to do: ticket numbers to replay, and the event id it reaches
    from the watermark ``mark`` (past it with nothing to replay once a bulk writer has
    written every new ticket's rows itself)."""

    numbers: tuple[int, ...]
    top: int
    mark: int


class Written(NamedTuple):
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


def pending(session: Reader, written: Sequence[Written] = ()) -> Pending:
    """The ticket numbers with events past the watermark, but for those ``written`` holds
    as current (a read: an unchanged desk's report never waits for the write lock)."""
    mark, top = (
        connection_of(session)
        .exec_driver_sql(
            f"SELECT (SELECT value FROM report_state WHERE name = '{WATERMARK}'), "
            "(SELECT max(id) FROM event)"
        )
        .one()
    )  # (one round trip and SQL text: every report starts with this check)
    mark, top = mark or 0, top or 0
    if top <= mark:
        return Pending((), top, mark)
    latest = session.execute(
        text(
            "SELECT ticket_number, max(id) FROM event WHERE id > :low AND id <= :top"
            " GROUP BY ticket_number"
        ),
        {"low": max(0, mark - LOOKBACK), "top": top},
    )
    ordered = sorted(written, key=lambda w: w.first)
    firsts = [w.first for w in ordered]

    def current(number: int, last: int) -> bool:
        at = bisect_right(firsts, number) - 1
        return at >= 0 and ordered[at].current(number, last)

    numbers = [n for n, last in latest if n is not None and not current(n, last)]
    return Pending(tuple(sorted(numbers)), top, mark)


def _agent_ids(session: Reader) -> dict[str, int]:
    rows = session.execute(text("SELECT id, login FROM agent"))
    return {login: id_ for id_, login in rows if id_ is not None}


class Rules(NamedTuple):
    """What replaying needs besides the events: agents by login, the SLA policies and
    calendars (business minutes count in the calendar of each ticket's policy). The SLA
    rules' modules are imported by a replay only: a report on a caught-up desk reads stored
    minutes."""

    agent_ids: dict[str, int]
    policies: list[sla.Policy]
    calendars: dict[str, sla.Calendar]

    @classmethod
    def load(cls, session: Reader) -> Rules:
        from helpdesk_tui.desk.sla_reads import load_rules

        return cls(_agent_ids(session), *load_rules(session))

    def calendar(self, ticket: TicketNow, organization: str | None) -> sla.Calendar:
        from helpdesk_tui.desk import sla

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
        from helpdesk_tui.desk.report_figures import ticket_figures

        return ticket_figures(now, history, self.agent_ids, self.calendar(now, organization))


class ReportReads(DeskService):
    """A report's figures (``report_run``) and the catch-up before it."""

    def report_run(self, query: ReportQuery, *, rollups: bool = True) -> ReportResult:
        """Catch the report tables up, then compute every figure for ``query``.

        A report without filters reads the rollups; ``rollups=False`` reads ``report_ticket``
        instead (the same figures — the tests compare the two). On a caught-up desk the
        check and the figures share one read transaction (on PostgreSQL a checkout's ping,
        a ``BEGIN`` and a ``ROLLBACK`` fewer: three round trips)."""
        if query.end < query.start:
            raise InvalidValue(f"the report ends ({query.end}) before it starts ({query.start})")
        with self._read_rows() as conn:
            work, rules = self._pending(conn)
            if rules is None:
                return self._compute(conn, query, rollups=rollups)
        self._replay(work, rules)
        with self._read_rows() as conn:
            return self._compute(conn, query, rollups=rollups)

    def report_catch_up(
        self, written: Sequence[Written] = (), written_by: Rules | None = None
    ) -> int:
        """Replay the tickets changed since the last catch-up into the report tables and
        their rollups; how many were replayed. A chunk per transaction: the first catch-up
        on a big desk replays every history, and agents' changes must not wait for all of
        it. Replaying is idempotent, so the watermark moves only once every chunk is in.

        ``written``: rows a bulk writer stored itself by the rules ``written_by``, skipped
        while current — unless the rules have changed since (an SLA policy or calendar, or
        the agents): then those rows may be stale without any event saying so.

        Only a catch-up with work to do imports the writer (``report_catchup``) and reads
        the rules: a report on an unchanged desk reads the watermark and the
        newest event id only."""
        with self._read_rows() as conn:
            work, rules = self._pending(conn, written, written_by)
        return 0 if rules is None else self._replay(work, rules)

    def _pending(
        self, conn: Reader, written: Sequence[Written] = (), written_by: Rules | None = None
    ) -> tuple[Pending, Rules | None]:
        """What a catch-up has to do, and the rules to replay by: none when nothing."""
        rules = Rules.load(conn) if written else None
        work = pending(conn, written if rules is not None and written_by == rules else ())
        if not work.numbers and work.top <= work.mark:
            return work, None
        return work, rules if rules is not None else Rules.load(conn)

    def _replay(self, work: Pending, rules: Rules) -> int:
        """Replay ``work`` by ``rules`` (see :meth:`report_catch_up`); how many tickets."""
        from helpdesk_tui.desk.report_catchup import (
            BULK_REPLAY,
            in_chunks,
            lock_state,
            replay,
            set_watermark,
        )

        # A chunk per transaction; the watermark moves with the last one, once every chunk
        # is in (a report after a few changes: one transaction, one commit).
        chunks = list(in_chunks(work.numbers)) or [()]
        for index, chunk in enumerate(chunks, 1):
            with self._write_rows() as conn:
                mark = lock_state(conn)
                if chunk:
                    replay(conn, chunk, rules)
                if index == len(chunks) and mark < work.top:
                    set_watermark(conn, work.top)
        if len(work.numbers) >= BULK_REPLAY:  # a bulk load of the report tables
            self.db.refresh_statistics()
        return len(work.numbers)

    def _compute(self, session: Reader, query: ReportQuery, *, rollups: bool) -> ReportResult:
        filters = self._filters(session, query)
        first = (query.start - EPOCH).days
        last = (query.end - EPOCH).days
        if rollups and not filters:
            counts = Counts()
            report_rollups.daily(session, counts, first, last)
            days = report_rollups.durations(session, counts, first, last)
            counts.inside = report_rollups.inside(session, days)
        else:
            counts = self._ticket_counts(session, first, last, filters)
        self._backlog(session, counts, filters)
        logins: dict[int, str] = dict(
            connection_of(session).exec_driver_sql("SELECT id, login FROM agent").all()
        )
        return build_result(query, counts, logins)

    def _ticket_counts(
        self, session: Reader, first: int, last: int, filters: dict[str, Any]
    ) -> Counts:
        """The counts read from ``report_ticket`` / ``report_reply`` (filtered reports)."""
        from helpdesk_tui.storage.core_tables import ReportReply, ReportTicket

        rt = ReportTicket
        where = [getattr(rt, name) == value for name, value in filters.items()]
        counts = Counts()

        def grouped(day: Any, *columns: Any) -> list[Any]:
            return list(
                session.execute(
                    select(*columns, func.count())
                    .where(day >= first, day <= last, *where)
                    .group_by(*columns)
                ).all()
            )

        created, resolved = rt.created_day, rt.resolved_day
        values = (rt.category, rt.channel, rt.type)
        for day, n in grouped(created, created):
            counts.created_days[day] = n
        for category, channel, type_, n in grouped(created, *values):
            counts.created_values[(category or "—", channel, type_)] = n
        # (no resolution minutes: resolved that day, reopened since and open again)
        undone = rt.resolution_mins.is_(None)
        reopened = case((undone, UNDONE), (rt.reopens > 0, 1), else_=0)
        for day, was_reopened, met, n in grouped(resolved, resolved, reopened, rt.resolution_met):
            counts.resolved_days[(day, was_reopened, met)] = n
        for category, channel, type_, is_undone, n in grouped(resolved, *values, undone):
            if not is_undone:
                counts.resolved_values[(category or "—", channel, type_)] = n
        exact: dict[Kind, dict[tuple[int | None, int], int]] = {kind: {} for kind in Kind}
        for agent, minutes, n in grouped(resolved, rt.agent_id, rt.resolution_mins):
            if minutes is not None:
                exact[Kind.RESOLUTION][(agent, minutes)] = n
        for responder, minutes, met, n in grouped(
            rt.response_day,
            rt.responder_id,
            rt.response_mins,
            rt.response_met,
        ):
            _add(exact[Kind.RESPONSE], (responder, minutes), n)
            _add(counts.response_met, met, n)
        for kind, day, minutes in (
            (Kind.RESOLUTION_BUSINESS, resolved, rt.resolution_bmins),
            (Kind.RESPONSE_BUSINESS, rt.response_day, rt.response_bmins),
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
        rated = rt.rated_day
        for day, rating, n in grouped(rated, rated, rt.rating):
            counts.rating_days[(day, rating)] = n
        for agent, rating, n in grouped(rated, rt.agent_id, rt.rating):
            counts.rating_agents[(agent, rating)] = n
        replies = select(ReportReply.agent_id, func.count()).where(
            ReportReply.day >= first, ReportReply.day <= last
        )
        if where:
            replies = replies.where(ReportReply.number.in_(select(rt.number).where(*where)))
        for agent, n in session.execute(replies.group_by(ReportReply.agent_id)):
            counts.replies[agent] = n
        return counts

    def _backlog(self, session: Reader, counts: Counts, filters: dict[str, Any]) -> None:
        """Open tickets now, by status, priority and whether overdue (any range).

        Read from the open tickets' partial index (migration 0028) alone, in its (status,
        priority) order: ``open = 1`` is written as a literal, the index's own condition,
        which SQLite's planner needs to see to use it, and the overdue ones are counted
        beside each status and priority rather than grouped by (a group per index key run,
        not a hash of every open ticket). SQL text, the filters' values bound: a SELECT
        built and compiled by SQLAlchemy costs a report ≈ 1.5-4 ms of CPU, the text 0.1."""
        where = "".join(f" AND {name} = :{name}" for name in filters)  # (_filters' names)
        statement = text(
            f"SELECT status, priority, count(*), sum({sla_overdue('sla_due_at', 'now')})"
            f" FROM report_ticket WHERE open = 1{where} GROUP BY status, priority"
        ).bindparams(bindparam("now", type_=UTCDateTime()))
        for status, priority, n, late in session.execute(
            statement, {"now": self.clock(), **filters}
        ):
            for is_overdue, count in ((0, n - late), (1, late)):
                if count:
                    counts.backlog[(status, priority, is_overdue)] = count

    def _filters(self, session: Reader, query: ReportQuery) -> dict[str, Any]:
        """The report's filters as ``report_ticket``'s column names and values."""
        filters: dict[str, Any] = {}
        if query.team is not None:
            team = session.execute(
                text("SELECT id FROM team WHERE name = :name"), {"name": query.team}
            ).scalar()
            if team is None:
                raise InvalidValue(f"no team is called {query.team!r}")
            filters["team_id"] = team
        if query.agent is not None:
            agent = session.execute(
                text("SELECT id FROM agent WHERE login = :login"), {"login": query.agent}
            ).scalar()
            if agent is None:
                raise InvalidValue(f"no agent has the login {query.agent!r}")
            filters["agent_id"] = agent
        for name in ("channel", "category", "type", "priority"):
            value = getattr(query, name)
            if value is not None:
                filters[name] = value
        return filters


def _add(target: dict[Any, int], key: Any, n: int) -> None:
    target[key] = target.get(key, 0) + n
