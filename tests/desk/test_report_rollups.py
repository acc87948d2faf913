"""The rollups give the report_ticket figures exactly; business hours with known answers.

On a randomized history of a few hundred tickets (seeded), a report read from the rollups
equals the same report read from ``report_ticket``, for ranges that cut months, a single
day and the whole history — first after one catch-up, then after changes that the
rollups follow as "minus the old row, plus the new" — on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlmodel import col, select

from helpdesk_tui.desk import report_rollups
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.report_figures import HistoryEvent, TicketNow, ticket_figures
from helpdesk_tui.desk.reports import (
    BANDS,
    BUCKET_EDGES,
    ReportQuery,
    bucket_of,
    bucket_quantile,
    bucket_range,
    quantile,
)
from helpdesk_tui.desk.sla import DEFAULT_CALENDAR
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Status, Ticket
from tests.conftest import sqlite_url
from tests.desk.test_reports import NOW, Story, run
from tests.desk.test_reports import desk as desk  # the hand-built desk (a fixture)
from tests.pg_cluster import PgCluster

START = datetime(2026, 8, 20, tzinfo=UTC)
CHANNELS = ("email", "phone", "web")
CATEGORIES = (None, "billing", "network")
TYPES = ("incident", "question")


def _minutes(rng: random.Random) -> int:
    return int(10 ** rng.uniform(0, 4.3))


def _story(db: Database, agents: dict[str, int], rng: random.Random, count: int) -> None:
    logins = list(agents)
    with db.write() as session:
        story = Story(session, agents)
        for number in range(1, count + 1):
            created = START + timedelta(minutes=rng.randrange(100 * 24 * 60))
            if rng.random() < 0.05:  # deleted by an admin: only events remain
                story.event(None, None, "created", created, number=number, new="via email")
                story.event(None, "ada", "deleted", created, number=number)
                continue
            status = rng.choice(("new", "open", "resolved", "resolved", "closed"))
            due = created + timedelta(minutes=_minutes(rng))
            ticket = story.ticket(
                number,
                created,
                channel=rng.choice(CHANNELS),
                category=rng.choice(CATEGORIES),
                type=rng.choice(TYPES),
                status=status,
                response_due_at=due if rng.random() < 0.7 else None,
                resolution_due_at=due + timedelta(hours=8) if rng.random() < 0.7 else None,
            )
            at = created
            if rng.random() < 0.8:
                at += timedelta(minutes=_minutes(rng))
                story.event(ticket, rng.choice(logins), "reply", at)
            if rng.random() < 0.7:
                story.assign(ticket, "ada", rng.choice(logins), at)
            if status in ("resolved", "closed"):
                if rng.random() < 0.3:  # resolved, reopened, resolved again
                    at += timedelta(minutes=_minutes(rng))
                    story.status(ticket, "ada", "open", "resolved", at)
                    story.status(ticket, "ada", "resolved", "open", at + timedelta(minutes=5))
                at += timedelta(minutes=_minutes(rng))
                story.status(ticket, rng.choice(logins), "open", status, at)
                if rng.random() < 0.4:
                    rating = str(rng.randint(1, 5))
                    story.event(ticket, None, "rated", at + timedelta(hours=2), new=rating)


def _more(db: Database, agents: dict[str, int], rng: random.Random, count: int) -> None:
    """Reopen, answer, resolve and rate again some tickets, each a day or two later."""
    with db.write() as session:
        story = Story(session, agents)
        tickets = list(session.exec(select(Ticket).order_by(col(Ticket.number))))
        for ticket in rng.sample(tickets, count):
            at = ticket.created_at + timedelta(days=rng.randint(1, 40))
            if ticket.status in ("resolved", "closed"):
                story.status(ticket, "ada", ticket.status, "open", at)
                ticket.status = Status.OPEN
            else:
                story.event(ticket, rng.choice(list(agents)), "reply", at)
                story.status(ticket, "bob", ticket.status, "resolved", at + timedelta(hours=3))
                story.event(ticket, None, "rated", at + timedelta(hours=5), new="4")
                ticket.status = Status.RESOLVED
            session.add(ticket)


STORY_SEED, STORY_TICKETS = 14, 300


def _write_story(db: Database) -> object:
    """The history the tests below read: ada (an admin) and bob, and ``_story`` of
    ``STORY_TICKETS`` tickets from ``STORY_SEED``; the random's state after it (for what a
    test draws next)."""
    with db.write() as session:
        ada = add_agent(session, None, "ada", name="Ada Admin", role="admin", teams=["Support"])
        admin = Actor(name=ada.login, agent_id=ada.id, role=ada.role)
        bob = add_agent(session, admin, "bob", name="Bob Agent", teams=["Support"])
        agents = {"ada": ada.id or 0, "bob": bob.id or 0}
    rng = random.Random(STORY_SEED)
    _story(db, agents, rng, STORY_TICKETS)
    db.dispose()  # (a PostgreSQL template may have no connections when it is copied)
    return rng.getstate()


@pytest.fixture(scope="session")
def _story_sqlite(
    _migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, object]:
    """The story written once per session (per xdist worker) on SQLite: each test reads
    a copy (three tests wrote the same one each before)."""
    path = tmp_path_factory.mktemp("rollup-story") / "helpdesk.db"
    shutil.copy(_migrated_sqlite, path)
    state = _write_story(Database(f"sqlite:///{path}"))
    assert not path.with_name(path.name + "-wal").exists(), "the copy would miss the WAL"
    return path, state


@pytest.fixture(scope="session")
def _story_postgres(pg_cluster: PgCluster, _migrated_postgres: str) -> tuple[str, object]:
    """The same on PostgreSQL, as a template database."""
    name = f"rollup_story_{os.getpid()}"
    state = _write_story(Database(pg_cluster.create_database(name, template=_migrated_postgres)))
    return name, state


@dataclass(frozen=True)
class StoryDesk:
    """A copy of the story's desk: its database, its two agents, the random's state."""

    db: Database
    admin: Actor
    agents: dict[str, int]
    rng: random.Random


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def story(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoryDesk]:
    """A copy of the story's desk on each engine in turn (made as ``db_url`` makes its
    copies: a file copy, or a PostgreSQL copy made ahead and dropped after)."""
    cluster: PgCluster | None = None
    if request.param == "sqlite":
        path, state = request.getfixturevalue("_story_sqlite")
        shutil.copy(path, tmp_path / "helpdesk.db")
        url = sqlite_url(tmp_path)
    else:
        cluster = request.getfixturevalue("pg_cluster")
        template, state = request.getfixturevalue("_story_postgres")
        name = cluster.copy_of(template)
        url = cluster.url(name)
    db = Database(url)
    with db.read() as session:
        agents = {
            login: agent_id
            for login, agent_id in session.execute(
                text("SELECT login, id FROM agent WHERE login IN ('ada', 'bob')")
            ).all()
        }
    rng = random.Random()
    rng.setstate(state)
    yield StoryDesk(db, Actor(name="ada", agent_id=agents["ada"], role="admin"), agents, rng)
    db.dispose()
    if cluster is not None:
        cluster.drop_database_later(name)


def _ranges() -> list[tuple[date, date]]:
    first = START.date()
    return [
        (first, first + timedelta(days=140)),  # everything
        (first + timedelta(days=17), first + timedelta(days=75)),  # cuts two months
        (date(2026, 9, 2), date(2026, 10, 30)),  # a month's rollups less the day outside
        (first + timedelta(days=30), first + timedelta(days=30)),  # one day
        (date(2026, 9, 1), date(2026, 10, 31)),  # whole months
        (date(2020, 1, 1), date(2021, 1, 1)),  # nothing
    ]


def _agree(desk: Desk) -> None:
    for start, end in _ranges():
        query = ReportQuery(start=start, end=end)
        from_rollups = desk.report_run(query)
        from_tickets = desk.report_run(query, rollups=False)
        assert from_rollups == from_tickets, (start, end)


def test_rollups_agree_with_report_ticket(story: StoryDesk) -> None:
    db, admin, agents, rng = story.db, story.admin, story.agents, story.rng
    desk = Desk(db, admin, clock=lambda: datetime(2026, 12, 1, tzinfo=UTC))
    whole = desk.report_run(ReportQuery(start=START.date(), end=START.date() + timedelta(140)))
    assert whole.created > 250 and whole.resolved > 100 and whole.first_response.count > 200
    assert whole.ratings > 20 and len(whole.agents) == 2
    _agree(desk)
    _more(db, agents, rng, 60)
    assert desk.report_catch_up() >= 60  # (and those a few events behind the watermark)
    _agree(desk)


def test_the_quantiles_buckets_are_read_in_one_statement(
    story: StoryDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every median and p90 of a report from the rollups (everyone's, each agent's) reads
    its bucket's exact minutes in the same single statement: one round trip, not one per
    quantile."""
    db = story.db
    desk = Desk(db, story.admin, clock=lambda: datetime(2026, 12, 1, tzinfo=UTC))
    query = ReportQuery(start=date(2026, 9, 1), end=date(2026, 10, 31))  # whole months
    desk.report_catch_up()
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        result = desk.report_run(query)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert result == desk.report_run(query, rollups=False)
    exact = [s for s in statements if "_mins >=" in s]
    assert len(exact) == 1
    medians = [result.first_response.median, result.resolution_business.p90]
    medians += [row.response_median for row in result.agents]
    assert None not in medians and exact[0].count("UNION ALL") >= 3  # (a part per bucket)
    if db.is_sqlite:  # each bucket a seek per day into a day-first index (migration 0025)
        with db.engine.connect() as conn:
            plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {exact[0]}")]
        seeks = [step for step in plan if step.startswith("SEARCH report_ticket")]
        assert len(seeks) == exact[0].count("UNION ALL") + 1, plan
        assert all("COVERING INDEX" in step and "_day=? AND" in step for step in seeks), plan
    monkeypatch.setattr(report_rollups, "UNION_PARTS", 2)  # (a desk of hundreds of agents)
    assert desk.report_run(query) == result


def _sent(db: Database, run: Callable[[], object], marker: str) -> list[tuple[str, Any]]:
    """The statements containing ``marker`` that ``run`` sends, with their parameters."""
    sent: list[tuple[str, Any]] = []

    def seen(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        if marker in statement:
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    return sent


def _plan(db: Database, statement: str, parameters: Any, settings: Sequence[str] = ()) -> str:
    """The engine's plan for a statement as sent through the driver (PostgreSQL: after
    ``settings``, in a transaction rolled back)."""
    with db.engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        if db.is_sqlite:
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return " | ".join(str(row[-1]) for row in cursor.fetchall())
        for setting in settings:
            cursor.execute(f"SET LOCAL {setting}")
        cursor.execute(f"EXPLAIN {statement}", parameters)
        plan = " | ".join(str(row[0]) for row in cursor.fetchall())
        conn.rollback()
        return plan


def test_the_backlog_is_read_from_the_open_tickets_index_alone(
    story: StoryDesk,
) -> None:
    """The backlog (open tickets by status, priority and overdue) reads the partial index of
    the open tickets (migration 0028) and nothing else, grouped in its order — with and
    without a priority filter, and on SQLite before and after the desk's statistics. On
    PostgreSQL, whose planner rightly reads a table this small whole, sequential and bitmap
    scans are priced out (as in ``test_queue_plans``): what is checked is that the index
    can serve the read alone."""
    db = story.db
    desk = Desk(db, story.admin, clock=lambda: datetime(2026, 10, 1, tzinfo=UTC))
    everything = ReportQuery(start=START.date(), end=START.date() + timedelta(140))
    desk.report_catch_up()
    result = desk.report_run(everything)
    assert result.backlog_total > 20 and 0 < result.overdue < result.backlog_total
    statements = _sent(db, lambda: desk.report_run(everything), "GROUP BY status, priority")
    statements += _sent(
        db,
        lambda: desk.report_run(replace(everything, priority="high")),
        "GROUP BY status, priority",
    )
    assert len(statements) == 2
    for statistics in (False, True) if db.is_sqlite else (False,):
        if statistics:
            db.refresh_statistics()
        for statement, parameters in statements:
            assert "WHERE open = 1" in statement
            plan = _plan(
                db, statement, parameters, ("enable_seqscan = off", "enable_bitmapscan = off")
            )
            if db.is_sqlite:
                assert "USING COVERING INDEX ix_report_ticket_backlog" in plan, plan
                assert "TEMP B-TREE" not in plan, plan
            else:
                assert "Index Only Scan using ix_report_ticket_backlog" in plan, plan


def test_business_hours_of_the_default_calendar(desk: Desk) -> None:
    """#2, Monday 09:00 to Tuesday 09:00, is 1,440 minutes but 120 of business (09:00-17:00)
    that were ours: resolved at 11:00, the night it stayed resolved is not counted (the SLA
    clock pauses), reopened 08:00 and resolved again at 09:00, before business hours."""
    result = run(desk)
    assert (result.resolution.median, result.resolution.p90) == (60, 1440)  # type: ignore[attr-defined]
    business = result.resolution_business  # type: ignore[attr-defined]
    assert (business.count, business.median, business.p90) == (2, 60, 120)
    response = result.first_response_business  # type: ignore[attr-defined]
    assert (response.count, response.median, response.p90) == (4, 10, 50)


def test_business_hours_follow_the_calendar_of_the_tickets_policy(desk: Desk) -> None:
    """#3 (high priority) is answered Tuesday 10:50, created 10:00: 50 minutes, but none
    of a calendar open 08:00-10:00 that the high-priority policy counts in."""
    desk.sla_set_calendar("mornings", hours="08:00-10:00")
    desk.sla_set_policy(
        "high",
        first_response="1h",
        next_response="1h",
        resolution="4h",
        priority="high",
        calendar="mornings",
    )
    desk.clock = lambda: NOW
    result = run(desk)
    assert (result.first_response.median, result.first_response.p90) == (10, 50)  # type: ignore[attr-defined]
    response = result.first_response_business  # type: ignore[attr-defined]
    assert (response.count, response.median, response.p90) == (4, 5, 30)  # 0, 5, 10, 30


def test_a_weekend_is_not_business_time() -> None:
    friday = datetime(2026, 11, 6, 16, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)
    now = TicketNow(
        1, 1, friday, None, None, "email", None, "question", "normal", "resolved", False,
        None, None, None,
    )  # fmt: skip
    events = [
        HistoryEvent("created", None, None, None, None, friday),
        HistoryEvent("reply", None, None, None, 7, monday),
        HistoryEvent("status", "status", "open", "resolved", 7, monday + timedelta(hours=1)),
    ]
    figures = ticket_figures(now, events, {}, DEFAULT_CALENDAR)
    assert (figures.response_mins, figures.response_bmins) == (3960, 120)
    assert (figures.resolution_mins, figures.resolution_bmins) == (4020, 180)
    assert ticket_figures(now, events, {}).response_bmins is None


def test_business_minutes_leave_out_what_the_sla_clock_pauses() -> None:
    """Resolution in business minutes is our time, as the SLA counts it: the hours waiting
    on the customer and resolved before a reopening are left out; wall minutes elapse."""
    monday = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
    now = TicketNow(
        1, 1, monday, None, None, "email", None, "question", "normal", "resolved", False,
        None, None, None,
    )  # fmt: skip

    def status(old: str, new: str, minutes: int) -> HistoryEvent:
        return HistoryEvent("status", "status", old, new, 7, monday + timedelta(minutes=minutes))

    events = [
        HistoryEvent("created", None, None, None, None, monday),
        HistoryEvent("reply", None, None, None, 7, monday + timedelta(minutes=30)),
        status("new", "waiting", 30),  # 30 ours, then 90 waiting
        status("waiting", "open", 120),
        status("open", "resolved", 150),  # 30 more, then 40 resolved
        status("resolved", "open", 190),
        status("open", "resolved", 250),  # 60 more: 120 of 250 elapsed
    ]
    figures = ticket_figures(now, events, {}, DEFAULT_CALENDAR)
    assert (figures.response_mins, figures.response_bmins) == (30, 30)
    assert (figures.resolution_mins, figures.resolution_bmins) == (250, 120)


def test_buckets_hold_the_bands_edges_and_the_quantile_is_exact() -> None:
    assert {upper for _, upper in BANDS[:-1]} <= set(BUCKET_EDGES)
    for minutes in (0, 10, 59, 60, 61, 1439, 1440, 43200, 10**8):
        lower, upper = bucket_range(bucket_of(minutes))
        assert lower <= minutes and (upper is None or minutes < upper)
    assert bucket_range(bucket_of(1000)) == (970, 1067)  # about 10% wide
    rng = random.Random(3)
    values = [_minutes(rng) for _ in range(500)]
    exact: dict[int, int] = {}
    buckets: dict[int, int] = {}
    for v in values:
        exact[v] = exact.get(v, 0) + 1
        buckets[bucket_of(v)] = buckets.get(bucket_of(v), 0) + 1

    def inside(bucket: int) -> dict[int, int]:
        return {v: n for v, n in exact.items() if bucket_of(v) == bucket}

    for q in (0.01, 0.5, 0.9, 1.0):
        assert bucket_quantile(buckets, q, inside) == quantile(exact, q)


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_the_servers_buckets_are_bucket_of(db: Database) -> None:
    """On PostgreSQL the rows of days outside a range are bucketed by the server
    (``width_bucket`` over the edges): the same bucket as :func:`bucket_of` at every edge,
    either side of it, and beyond the last."""
    minutes = sorted({m for edge in BUCKET_EDGES for m in (edge - 1, edge, edge + 1) if m >= 0})
    minutes.append(10 * BUCKET_EDGES[-1])
    listed = ", ".join(f"({m})" for m in minutes)
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT m, width_bucket(m, {report_rollups._EDGES}) - 1 FROM (VALUES {listed}) AS v(m)"
        ).all()
    assert {m: bucket for m, bucket in rows} == {m: bucket_of(m) for m in minutes}
