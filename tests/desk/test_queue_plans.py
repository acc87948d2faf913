"""Every view, sort and filter the UI offers is an index walk, on SQLite and PostgreSQL.

The lister (``desk/queue.py``) reads a list as arms, one index range per status; their
pages are merged by one sort of at most ``arms * (limit + 1)`` rows. So what must hold is
that every arm walks an index in the list's order and stops after a page: no full scan,
no sort of the table. This checks the plan of every arm of every combination the queue
offers — each built-in view, every sort in both directions (first page and End), and
each filter — on a demo desk.

Method, per engine:

- SQLite: the planner's own choice, as the desk meets it — once with no statistics at all
  (a desk before its first ``ANALYZE``) and once after the statistics the desk keeps
  itself (``refresh_statistics`` after the demo load). A plan line ``USE TEMP B-TREE`` or
  a ``SCAN ticket`` that is not an index walk fails.
- PostgreSQL: on a small table its cost-based planner rightly prefers reading everything
  and sorting, so the choice says nothing about 1M tickets. The test turns sequential
  scans, bitmap scans and sorts off (``enable_* = off``: they stay possible but are costed
  prohibitively) and requires the plan to be an index scan with no ``Sort`` and no
  ``Seq Scan``; that can only happen when an index delivers the order, which is what
  makes the walk cheap at any size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlmodel import Session

from helpdesk_tui.desk import queue
from helpdesk_tui.desk.demo import generate_demo
from helpdesk_tui.desk.queries import TicketFilter
from helpdesk_tui.desk.views import builtin_views
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database
from tests.conftest import sqlite_url

LIMIT = 101


def _plan(session: Session, statement: Any) -> str:
    """The engine's plan for ``statement`` as it is really sent (with its parameters)."""
    conn = session.connection()
    sent: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, _many: bool) -> None:
        sent.append((sql, params))

    event.listen(conn, "before_cursor_execute", grab)
    try:
        session.execute(statement).all()
    finally:
        event.remove(conn, "before_cursor_execute", grab)
    sql, params = sent[-1]
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    sqlite = conn.dialect.name == "sqlite"
    cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + sql, params)
    rows = cursor.fetchall()
    cursor.close()
    return " | ".join(str(row[-1]) if sqlite else str(row[0]) for row in rows)


def _combinations(session: Session) -> Iterator[tuple[str, queue.QueueQuery]]:
    login = (
        session.execute(
            text("SELECT login FROM agent WHERE id IN (SELECT assignee_id FROM ticket) ORDER BY id")
        )
        .scalars()
        .first()
    )
    assert login is not None
    team = session.execute(text("SELECT name FROM team ORDER BY id")).scalars().first()
    tag = session.execute(text("SELECT name FROM tag ORDER BY id")).scalars().first()
    category = (
        session.execute(text("SELECT category FROM ticket WHERE category IS NOT NULL"))
        .scalars()
        .first()
    )
    views = builtin_views(login)
    for view in views:
        for sort in queue.SORT_ORDER:
            for descending in (True, False):
                yield f"{view.name}/{sort}/{descending}", view.query.with_sort(sort, descending)
    filters = {
        "team": TicketFilter(open_only=True, team=team),
        "tag": TicketFilter(open_only=True, tag=tag),
        "category": TicketFilter(open_only=True, category=category),
        "priority": TicketFilter(open_only=True, priorities=("urgent", "high")),
        "type": TicketFilter(open_only=True, types=("complaint",)),
        "assignee": TicketFilter(open_only=True, assignee=login),
        "unassigned": TicketFilter(open_only=True, unassigned=True),
        "status": TicketFilter(statuses=("waiting", "resolved")),
        "everything": TicketFilter(),
    }
    for name, spec in filters.items():
        for sort in queue.SORT_ORDER:
            yield f"filter {name}/{sort}", replace(views[0].query, filter=spec, sort=sort)


def _bad_plans(session: Session) -> list[str]:
    sqlite = session.get_bind().dialect.name == "sqlite"
    bad = []
    checked = 0
    for label, query in _combinations(session):
        residual = queue.residual_filters(session, query.filter)
        for arm in queue.arms(session, query):
            statement = queue.arm_statement(
                arm,
                query,
                residual,
                start=None,
                descending=query.descending,
                inclusive=False,
                limit=LIMIT,
            )
            assert statement is not None
            plan = _plan(session, statement)
            checked += 1
            if sqlite:
                walks = "SEARCH ticket USING" in plan or "SCAN ticket USING" in plan
                if "TEMP B-TREE" in plan or not walks:
                    bad.append(f"{label}: {plan}")
            elif "Seq Scan" in plan or "Sort" in plan or "Index" not in plan:
                bad.append(f"{label}: {plan}")
    assert checked > 500
    return bad


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(sqlite_url(tmp_path))
    migrate.upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def demo_desk(db: Database) -> Database:
    generate_demo(db, tickets=300, seed=3)
    return db


def test_every_view_sort_and_filter_walks_an_index(demo_desk: Database) -> None:
    with demo_desk.read() as session:
        if not demo_desk.is_sqlite:
            for setting in (
                "enable_seqscan",
                "enable_bitmapscan",
                "enable_sort",
                "enable_incremental_sort",
            ):
                session.execute(text(f"SET {setting} = off"))
        assert _bad_plans(session) == []


def test_sqlite_walks_indexes_without_statistics(sqlite_db: Database) -> None:
    generate_demo(sqlite_db, tickets=300, seed=3)
    with sqlite_db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
        conn.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat4")
    sqlite_db.dispose()
    with sqlite_db.read() as session:
        assert _bad_plans(session) == []


def test_the_demo_leaves_statistics_behind(sqlite_db: Database) -> None:
    generate_demo(sqlite_db, tickets=50, seed=3)
    with sqlite_db.read() as session:
        analysed = session.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1")).scalars().all()
    assert "ticket" in analysed


def test_a_rare_filter_is_read_through_its_own_index(demo_desk: Database) -> None:
    """Below ``FEW`` matches the filter's index finds them (and they are sorted: at most
    ``FEW`` rows); no full scan either way."""
    with demo_desk.read() as session:
        if not demo_desk.is_sqlite:
            session.execute(text("SET enable_seqscan = off"))
        bad = []
        for label, query in _combinations(session):
            if not label.startswith("filter") or label.split()[1].split("/")[0] in (
                "assignee", "unassigned", "status", "everything",
            ):  # fmt: skip
                continue
            few = queue.selective_filter(session, query)
            assert few is not None, label  # a 300-ticket desk: every filter is rare
            arm = queue.Arm(few, column=queue.key_expression(query.sort))
            statement = queue.arm_statement(
                arm, query, [], start=None, descending=True, inclusive=False, limit=LIMIT
            )
            plan = _plan(session, statement)
            if "SCAN ticket" in plan.replace("SCAN ticket USING", "") or "Seq Scan" in plan:
                bad.append(f"{label}: {plan}")
        assert bad == []


def test_walk_and_rare_filter_paths_list_the_same_tickets(
    demo_desk: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with demo_desk.read() as session:
        for label, query in _combinations(session):
            if not label.startswith("filter"):
                continue
            monkeypatch.setattr(queue, "FEW", 0)  # always walk the sort's index
            walked = queue.first_page(session, query, 40)
            walked_end = queue.last_page(session, query, 40)
            monkeypatch.setattr(queue, "FEW", 10**9)  # always the filter's index
            indexed = queue.first_page(session, query, 40)
            indexed_end = queue.last_page(session, query, 40)
            assert [r.number for r in walked.rows] == [r.number for r in indexed.rows], label
            assert [r.number for r in walked_end.rows] == [r.number for r in indexed_end.rows]
