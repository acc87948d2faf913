"""Engine and sessions for SQLite (the embedded default) and PostgreSQL.

``Database.write()`` opens a transaction that may change data; ``Database.read()`` one that
only reads; ``Database.own_connection()`` gives a long job of many write transactions (the
demo's bulk load) a connection that is closed after it. On SQLite a write transaction
starts with ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of failing
when a read lock cannot be upgraded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_ANALYSIS_LIMIT = 1000
"""Rows of each index ``ANALYZE`` looks at: estimates good enough for the planner, quickly
(a full ``ANALYZE`` of a 1M-ticket desk takes minutes)."""
_IMMEDIATE = "helpdesk_immediate"


class Database:
    """One database, by URL; owns its engine. Never created at import time."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def shown_url(self) -> str:
        """Where the data is, for people: the SQLite file, or the URL without its password."""
        url = self.engine.url
        if self.is_sqlite and url.database:
            return url.database
        return url.render_as_string(hide_password=True)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        with Session(self.engine, expire_on_commit=False) as session:
            session.connection(execution_options={_IMMEDIATE: True})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def own_connection(self) -> Iterator[Connection]:
        """A connection for one long job of many write transactions (``with conn.begin():``).

        It is the job's alone: what the job sets on it (SQLite PRAGMAs) ends with the job,
        as the connection is closed afterwards instead of going back to the pool.
        """
        with self.engine.connect() as conn:
            try:
                yield conn.execution_options(**{_IMMEDIATE: True})
            finally:
                conn.invalidate()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; closing it ends the transaction, objects stay readable."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def refresh_statistics(self) -> None:
        """Give the query planner fresh statistics (after a bulk load: the demo, an import).

        On SQLite a sampled ``ANALYZE`` (``analysis_limit``); on PostgreSQL ``ANALYZE``.
        Without them SQLite guesses, and guesses wrong on a big desk.
        """
        with self.engine.connect() as conn:
            if self.is_sqlite:
                conn.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
            conn.exec_driver_sql("ANALYZE")
            conn.commit()

    def dispose(self) -> None:
        self.engine.dispose()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, echo=echo)
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _sqlite_engine(url: str, path: str | None, *, echo: bool) -> Engine:
    if path and path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Hand transaction control to the "begin" hook below (pysqlite's own is not usable).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        _optimize(cursor, on_open=True)
        cursor.close()

    @event.listens_for(engine, "close")
    def _on_close(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        _optimize(cursor, on_open=False)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _optimize(cursor: sqlite3.Cursor, *, on_open: bool) -> None:
    """``PRAGMA optimize`` as SQLite recommends: when a connection opens and before it closes.

    It re-analyses (sampled, see ``analysis_limit``) only tables whose statistics are
    missing or stale, usually nothing. It must never hold anyone up: it gives up at once
    if another connection is writing, and a failure is not an error for the caller.
    """
    with suppress(sqlite3.Error):
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.execute("PRAGMA optimize=0x10002" if on_open else "PRAGMA optimize")
    with suppress(sqlite3.Error):
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
