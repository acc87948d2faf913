"""Rows handed to the database driver as they are, without SQLAlchemy's per-row work.

SQLAlchemy's ``executemany`` looks the statement up, makes each row's parameters and runs
every value through its type's bind processor, row by row: at bulk rates (the demo loader,
the mail poller) that costs a good part of what the driver's own insert does. Here a
statement is built once per table, columns and dialect, and each column's conversion is
decided once: none where SQLAlchemy would pass the value unchanged, the type's own bind
processor where it has one, and for :class:`~.types.UTCDateTime` :func:`stamper`'s fast
function, which checks itself against the real type when it is made. The values that reach
the driver are the ones SQLAlchemy would have sent, and what the driver raises leaves as
SQLAlchemy would have raised it (:func:`as_sqlalchemy_would`): every writer's failures read
alike (:mod:`~.db_errors`), and a lost connection is known lost.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Connection, MetaData, Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from helpdesk_tui.storage.types import UTCDateTime

_SQLITE = sqlite.dialect()
_SAMPLES = (datetime(2024, 2, 29, 23, 59, 59, 999_999), datetime(2025, 1, 1))


def _sqlite_stamp(moment: datetime) -> str:
    return moment.isoformat(" ", "microseconds")


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def stamper(dialect: Dialect) -> Callable[[datetime], Any]:
    """A fast function from a naive UTC datetime to its database value for ``dialect``:
    exactly what :class:`~.types.UTCDateTime` binds for the aware datetime (checked here on
    samples; where they ever differ, the type's own processing is used)."""
    reference = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert reference is not None
    fast = _sqlite_stamp if dialect.name == "sqlite" else _aware
    if all(fast(sample) == reference(_aware(sample)) for sample in _SAMPLES):
        return fast

    def checked(moment: datetime) -> Any:
        return reference(_aware(moment))

    return checked


def _utc_stamper(dialect: Dialect) -> Callable[[Any], Any]:
    """:func:`stamper` for aware datetimes (the app's), any other zone through the type."""
    fast = stamper(dialect)
    reference = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert reference is not None

    def stamp(value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is UTC:
            return fast(value.replace(tzinfo=None))
        return reference(value)

    return stamp


class DriverInsert:
    """``INSERT INTO table (columns) VALUES (...)`` for rows given as dicts with exactly
    ``columns`` as keys; see the module's docstring."""

    def __init__(self, table: Table, columns: tuple[str, ...], dialect: Dialect) -> None:
        unfilled = [
            c.name for c in table.columns if c.name not in columns and c.default is not None
        ]
        if unfilled:
            raise ValueError(f"{table.name}: no value for {unfilled}, which SQLAlchemy fills")
        quote = dialect.identifier_preparer
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        names = ", ".join(quote.format_column(table.c[name]) for name in columns)
        self.sql = (
            f"INSERT INTO {quote.format_table(table)} ({names}) "
            f"VALUES ({', '.join([mark] * len(columns))})"
        )
        self._get = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
        self._converters: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(columns):
            column_type = table.c[name].type
            if isinstance(column_type, UTCDateTime):
                self._converters.append((index, _utc_stamper(dialect)))
                continue
            processor = column_type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._converters.append((index, processor))

    def values(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """The rows as the driver takes them."""
        get, converters = self._get, self._converters
        if not converters:
            return [get(row) for row in rows]
        made = []
        for row in rows:
            values = list(get(row))
            for index, convert in converters:
                value = values[index]
                if value is not None:
                    values[index] = convert(value)
            made.append(tuple(values))
        return made

    def run(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        """Insert ``rows`` in ``conn``'s transaction with the driver's own ``executemany``
        (pipelined on psycopg)."""
        if not rows:
            return
        driver = conn.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        try:
            with as_sqlalchemy_would(conn, self.sql):
                cursor.executemany(self.sql, self.values(rows))
        finally:
            cursor.close()


@contextmanager
def as_sqlalchemy_would(conn: Connection, statement: str) -> Iterator[None]:
    """The driver's exception raised as SQLAlchemy raises it for its own statements: wrapped
    in the matching :class:`~sqlalchemy.exc.DBAPIError` (``IntegrityError``,
    ``OperationalError``…, the driver's as ``.orig``; never the rows), and the connection
    invalidated when the driver says it is lost, so its pool makes a new one. For every use
    of the driver's connection beside SQLAlchemy (these bulk writers, SQLite blob writes):
    the front doors' ``desk_errors`` then shows its failure as one line, as any other."""
    dialect = conn.dialect
    try:
        yield
    except dialect.loaded_dbapi.Error as error:
        lost = dialect.is_disconnect(error, conn.connection.dbapi_connection, None)
        if lost and not conn.invalidated:
            conn.invalidate(error)
        raise DBAPIError.instance(
            statement,
            None,
            error,
            dialect.loaded_dbapi.Error,
            hide_parameters=True,
            connection_invalidated=lost,
            dialect=dialect,
        ) from error


@lru_cache(maxsize=256)
def driver_insert(table: Table, columns: tuple[str, ...], dialect: Dialect) -> DriverInsert:
    """The :class:`DriverInsert` for these, made once."""
    return DriverInsert(table, columns, dialect)


def insert_rows(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, staged: bool = False
) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` through the driver: on
    PostgreSQL in one binary ``COPY`` (:func:`copy_rows`), on SQLite by ``executemany``.

    ``staged``, for a table with a full-text trigger: on SQLite the rows go into a
    staging table of this connection's (``temp``, without triggers or indexes) and from
    there into ``table`` in one ``INSERT ... SELECT``, in their order. SQLite's full-text
    index writes what a statement added to it at the statement's end, and journals every
    page it touches for that statement: one statement for the batch, not one per row.
    """
    if not rows:
        return
    columns = tuple(rows[0])
    if conn.dialect.name != "sqlite":
        copy_rows(
            conn, table.name, columns, driver_insert(table, columns, conn.dialect).values(rows)
        )
        return
    if not staged:
        driver_insert(table, columns, conn.dialect).run(conn, rows)
        return
    stage = _stage(table, columns)
    conn.exec_driver_sql(stage.create)
    driver_insert(stage.table, columns, conn.dialect).run(conn, rows)
    conn.exec_driver_sql(stage.move)
    conn.exec_driver_sql(stage.clear)


@dataclass(frozen=True)
class _Stage:
    table: Table
    create: str
    move: str
    clear: str


@lru_cache(maxsize=64)
def _stage(table: Table, columns: tuple[str, ...]) -> _Stage:
    """The staging table for these columns of ``table`` (SQLite), and its statements."""
    name = f"bulk_stage_{table.name}_{zlib.crc32(' '.join(columns).encode()):08x}"
    stage = Table(name, MetaData(), *(Column(c, table.c[c].type) for c in columns), schema="temp")
    quote = _SQLITE.identifier_preparer
    names = ", ".join(quote.format_column(table.c[column]) for column in columns)
    return _Stage(
        stage,
        f"CREATE TEMP TABLE IF NOT EXISTS {name} AS SELECT {names} FROM main.{table.name} WHERE 0",
        f"INSERT INTO main.{table.name} ({names}) SELECT {names} FROM temp.{name} ORDER BY rowid",
        f"DELETE FROM temp.{name}",
    )


_COPY_TYPES = "helpdesk_copy_types"


def copy_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """``rows`` into ``table`` by ``COPY ... FROM STDIN`` (PostgreSQL), in the connection's
    transaction.

    Several times cheaper than an ``INSERT`` per row, even pipelined: no statement to parse,
    bind or plan per row on either side, and psycopg formats the rows in C. Binary, with
    the columns' types from the catalog (looked up once per connection and table): neither
    side formats or parses a time or a number as text.
    """
    driver = conn.connection.driver_connection
    assert driver is not None
    types = _column_types(conn, table, tuple(columns))
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    statement = f"COPY {quote(table)} ({names}) FROM STDIN (FORMAT BINARY)"
    with (
        as_sqlalchemy_would(conn, statement),
        driver.cursor() as cursor,
        cursor.copy(statement) as copy,
    ):
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _column_types(conn: Connection, table: str, columns: tuple[str, ...]) -> list[str]:
    """The PostgreSQL type names of ``table``'s ``columns`` (a binary COPY needs them)."""
    known: dict[str, dict[str, str]] = conn.connection.info.setdefault(_COPY_TYPES, {})
    found = known.get(table)
    if found is None or not found.keys() >= set(columns):
        found = dict(
            conn.exec_driver_sql(
                "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                (table,),
            ).all()
        )
        known[table] = found
    return [found[name] for name in columns]
