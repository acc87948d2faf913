"""Planner statistics on PostgreSQL: none for bodies and blobs (migration 0024), which no
query filters, sorts, groups or joins on; every other column and the full-text indexes'
expressions keep theirs."""

from __future__ import annotations

import importlib
import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, text

from helpdesk_tui.desk import demo
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.demo import generate_demo
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.reports import ReportQuery
from helpdesk_tui.storage.database import Database
from tests.desk.test_queue_plans import _combinations

pytestmark = pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

NO_STATISTICS: dict[str, tuple[str, ...]] = importlib.import_module(
    "helpdesk_tui.storage.migrations.versions.0024_no_statistics_for_bodies"
).NO_STATISTICS

_CLAUSES = re.compile(r"\b(?:WHERE|ORDER BY|GROUP BY|ON|HAVING)\b(.*)", re.DOTALL)
_FTS_EXPRESSION = "to_tsvector('simple'::regconfig, left("
"""A full-text index's expression: the planner reads that index's statistics, not the body's."""
_RATING_NOTE = "LIKE"  # ticket_reads.ticket_rating: body LIKE 'Satisfaction rating n/5%'


def _demo(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A demo desk of 50 tickets: what is checked is which columns have statistics and
    which columns statements name, neither of which grows with the desk (150 tickets
    were a third of the test's CPU time and more of the server's, for the same facts)."""
    monkeypatch.setattr(demo, "LOADERS", 1)
    generate_demo(db, tickets=50, seed=3)


def _bodies_have_no_statistics_and_the_rest_has(db: Database) -> None:
    """What the demo's load left (it analyzes the tables it wrote): no statistics for the
    columns of ``NO_STATISTICS``, statistics for the rest and for the full-text indexes'
    expressions."""
    with db.read() as session:
        targets = {
            (table, column): target
            for table, column, target in session.execute(
                text(
                    "SELECT attrelid::regclass::text, attname, attstattarget FROM pg_attribute "
                    "WHERE attnum > 0 AND NOT attisdropped AND attrelid IN "
                    "(SELECT oid FROM pg_class WHERE relkind = 'r' "
                    "AND relnamespace = current_schema()::regnamespace)"
                )
            )
        }
        analyzed = set(session.execute(text("SELECT tablename, attname FROM pg_stats")).all())
    off = {(table, column) for table, columns in NO_STATISTICS.items() for column in columns}
    assert {key for key, target in targets.items() if target == 0} == off
    assert not off & analyzed
    assert {("message", "ticket_id"), ("message", "created_at"), ("ticket", "subject")} <= analyzed
    assert ("ix_message_body_fts", "to_tsvector") in analyzed  # what a search's estimate reads
    assert ("ix_ticket_subject_fts", "to_tsvector") in analyzed


def test_no_query_filters_or_sorts_on_a_column_without_statistics(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bodies have no statistics and the rest has (``_bodies_have_no_statistics…``, on the
    same load: each was a test loading the demo of its own). Every view, sort and filter,
    searches, a ticket opened and its rating, a report: none of their statements names a
    column without statistics outside its select list but in a full-text index's
    expression and the rating note's ``body LIKE`` (read through the ticket's index
    whatever its estimate)."""
    _demo(db, monkeypatch)
    _bodies_have_no_statistics_and_the_rest_has(db)
    desk = Desk(db, admin)
    with db.read() as session:
        queries = [query for _, query in _combinations(session)]
        rated = session.execute(
            text("SELECT number FROM ticket WHERE status = 'resolved' ORDER BY number LIMIT 1")
        ).scalar_one()
    desk.satisfaction_rate(rated, 4, comment="quick")
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        for query in queries:
            desk.list_page(query, 50)
        for words in ("printer", "pass", "vpn error", "example.com"):
            desk.search(words, 50)
        desk.ticket_open(rated)
        assert desk.satisfaction_of(rated) is not None  # (its note: the body LIKE)
        desk.report_run(ReportQuery(start=date(2020, 1, 1), end=date(2030, 1, 1)))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert len(statements) > 300
    assert any("message.body LIKE" in statement for statement in statements)
    named = [
        re.compile(rf'\b{table}(?:_\d+)?\."?{column}\b"?')
        for table, columns in NO_STATISTICS.items()
        for column in columns
    ]
    found = []
    for statement in statements:
        clauses = _CLAUSES.search(statement)
        where = clauses.group(1) if clauses else ""
        for pattern in named:
            for match in pattern.finditer(where):
                before, after = where[: match.start()], where[match.end() : match.end() + 12]
                if before.endswith(_FTS_EXPRESSION) or _RATING_NOTE in after:
                    continue
                found.append(f"{match.group(0)} in {statement}")
    assert not found
