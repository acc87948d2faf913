"""Fast bulk inserts for the demo generator: multi-row ``VALUES`` straight to the driver.

SQLAlchemy's per-value type processing costs more than SQLite's own insert work at a
hundred thousand tickets, so the demo hands the driver ready-made values instead:
``stamper`` turns naive UTC datetimes into exactly what ``UTCDateTime`` would have bound (it
checks itself against the real type on start, and falls back to it if they ever differ),
and ``insert_rows`` sends many rows per statement. Many rows per statement also matters for
SQLite's full-text triggers, which flush their index at the end of every statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect

from helpdesk_tui.storage.models import Ticket
from helpdesk_tui.storage.types import UTCDateTime

# Below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement.
_MAX_PARAMETERS = 30_000
_MAX_ROWS = 1_000
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


def insert_rows(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (values in ``columns`` order); the ``returning`` columns of each row.

    The returned rows come in no particular order: match them on a unique column.
    """
    placeholder = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    row_sql = "(" + ", ".join([placeholder] * len(columns)) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    tail = f" RETURNING {', '.join(returning)}" if returning else ""
    per_statement = max(1, min(_MAX_ROWS, _MAX_PARAMETERS // len(columns)))
    result: list[tuple[Any, ...]] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        sql = head + ", ".join([row_sql] * len(chunk)) + tail
        cursor = conn.exec_driver_sql(sql, tuple([value for row in chunk for value in row]))
        if returning:
            result.extend(tuple(row) for row in cursor.all())
    return result
