"""Fast bulk inserts for the demo generator: ready-made values straight to the driver.

SQLAlchemy's per-value type processing costs more than SQLite's own insert work at a
hundred thousand tickets, so the demo hands the driver ready-made values instead:
``stamper`` turns naive UTC datetimes into exactly what ``UTCDateTime`` would have bound (it
checks itself against the real type on start, and falls back to it if they ever differ),
and ``insert_batch`` writes a batch in few statements (SQLite) or one pipeline (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect

from helpdesk_tui.desk.demo_story import (
    EVENT_COLUMNS,
    MESSAGE_COLUMNS,
    TICKET_COLUMNS,
    TICKET_TAG_COLUMNS,
    Batch,
    Row,
)
from helpdesk_tui.storage.models import Ticket
from helpdesk_tui.storage.types import UTCDateTime

# Below SQLite's 32,766 bound parameters per statement.
_MAX_PARAMETERS = 30_000
_MAX_ROWS = 1_000
_STAGE = "temp.demo_stage_"
_NUMBER = "demo_ticket_number"
_SAMPLES = (datetime(2024, 2, 29, 23, 59, 59, 999_999), datetime(2025, 1, 1))


def _sqlite_stamp(moment: datetime) -> str:
    return moment.isoformat(" ", "microseconds")


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def stamper(dialect: Dialect) -> Callable[[datetime], Any]:
    """A fast function from a naive UTC datetime to its database value for ``dialect``."""
    column_type = _table(Ticket).c.created_at.type
    assert isinstance(column_type, UTCDateTime)
    reference = column_type.dialect_impl(dialect).bind_processor(dialect)
    assert reference is not None
    fast = _sqlite_stamp if dialect.name == "sqlite" else _aware
    if all(fast(sample) == reference(_aware(sample)) for sample in _SAMPLES):
        return fast

    def checked(moment: datetime) -> Any:
        return reference(_aware(moment))

    return checked


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def insert_batch(conn: Connection, batch: Batch) -> None:
    """Insert one batch of demo tickets with their messages, events and tags."""
    if conn.dialect.name == "sqlite":
        _insert_batch_sqlite(conn, batch)
        return
    # PostgreSQL: psycopg runs executemany as one pipeline; the ticket ids come back by
    # number, a block this run reserved for itself.
    _insert_many(conn, "ticket", TICKET_COLUMNS, batch.tickets)
    first, last = batch.tickets[0][0], batch.tickets[-1][0]
    ids: dict[int, int] = {
        number: ticket_id
        for number, ticket_id in conn.exec_driver_sql(
            "SELECT number, id FROM ticket WHERE number BETWEEN %s AND %s", (first, last)
        )
    }
    for table, columns, rows in _children(batch):
        for row in rows:
            row[0] = ids[row[0]]
        _insert_many(conn, table, columns, rows)


def _insert_many(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
    if rows:
        conn.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            f"({', '.join(['%s'] * len(columns))})",
            [tuple(row) for row in rows],
        )


def _children(batch: Batch) -> tuple[tuple[str, Sequence[str], list[Row]], ...]:
    return (
        ("message", MESSAGE_COLUMNS, batch.messages),
        ("event", EVENT_COLUMNS, batch.events),
        ("ticket_tag", TICKET_TAG_COLUMNS, batch.ticket_tags),
    )


def _insert_batch_sqlite(conn: Connection, batch: Batch) -> None:
    """Each table's rows go to a temporary table, then into the real one in one statement.

    SQLite's full-text triggers flush their index at the end of every statement, so one
    statement per table and batch is several times faster than many; the statement runs
    inside SQLite with the GIL released, while the next batch is being written; and the
    ticket numbers in the children's rows become ticket ids in the same statement, by a
    join on the unique ``ticket.number``.
    """
    _stage(conn, "ticket", TICKET_COLUMNS, batch.tickets)
    names = ", ".join(TICKET_COLUMNS)
    conn.exec_driver_sql(f"INSERT INTO main.ticket ({names}) SELECT {names} FROM {_STAGE}ticket")
    for table, columns, rows in _children(batch):
        _stage(conn, table, columns, rows)
        rest = columns[1:]
        moved = conn.exec_driver_sql(
            f"INSERT INTO main.{table} ({', '.join(columns)}) "
            f"SELECT t.id, {', '.join(f's.{c}' for c in rest)} FROM {_STAGE}{table} AS s "
            f"JOIN main.ticket AS t ON t.number = s.{_NUMBER} ORDER BY s.rowid"
        )
        assert moved.rowcount == len(rows), f"{table}: {moved.rowcount} of {len(rows)} rows"
    for table in ("ticket", "message", "event", "ticket_tag"):
        conn.exec_driver_sql(f"DELETE FROM {_STAGE}{table}")


def _stage(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
    """Rows into this connection's trigger-less copy of ``table`` (made on first use).

    For a child table the first column holds the ticket number, under the name ``_NUMBER``.
    """
    selected = [f"{c} AS {_NUMBER}" if c == "ticket_id" else c for c in columns]
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS demo_stage_{table} AS "
        f"SELECT {', '.join(selected)} FROM main.{table} WHERE 0"
    )
    staged = [_NUMBER if c == "ticket_id" else c for c in columns]
    _insert_values(conn, f"{_STAGE}{table}", staged, rows)


def _insert_values(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Row]
) -> None:
    """SQLite: many rows per ``INSERT ... VALUES`` statement (one bind per value, no parsing)."""
    row_sql = "(" + ", ".join("?" * len(columns)) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    per_statement = max(1, min(_MAX_ROWS, _MAX_PARAMETERS // len(columns)))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        sql = head + ", ".join([row_sql] * len(chunk))
        conn.exec_driver_sql(sql, tuple([value for row in chunk for value in row]))
