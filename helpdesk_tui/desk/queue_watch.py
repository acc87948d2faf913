"""Has the desk changed since the last look? The queue's once-a-second question, cheaply.

The queue screen asks it every second for as long as it is open, mostly of a desk where
nothing changes; its real check (``Desk.list_changes``: the change mark, one indexed
statement) costs a pooled connection, a transaction and SQLAlchemy's execute, ≈ 1 ms of CPU
in the app, and a Textual thread worker and timer around it as much again. The probe
answers from a connection kept for it, in the watcher's own thread, and the screen runs
the real check only when the probe says something may have moved:

- SQLite: ``PRAGMA data_version``, which changes when any other connection (this process's
  or another's) has committed to the file: a few microseconds, no statement through the pool.
- PostgreSQL: the change mark's statement (less its count of live presence rows, which the
  screen covers by checking every look while anyone is on a ticket), compiled once and sent
  on a kept autocommit connection, compared with the last answer (a server has no cheaper
  counter without a trigger on every write).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from helpdesk_tui.desk.service import DeskService

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from helpdesk_tui.storage.database import Database


class ChangeProbe:
    """``moved()``: whether the desk may have changed since the last call. Used from one
    thread only (the queue's watcher); ``close()`` gives its connection back.

    It errs on the side of "moved": on its first call, for a SQLite database without a file,
    and after any failure (whose connection is dropped and opened again next time), so the
    real check runs and reports what is wrong as it always did.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn: Connection | None = None
        self._raw: Any = None
        self._sql = ""
        self._last: Any = None

    def moved(self) -> bool:
        try:
            now = self._read()
        except Exception:  # (the real check reports it)
            self.close()
            return True
        moved, self._last = now is None or now != self._last, now
        return moved

    def _read(self) -> Any:
        if self._db.is_sqlite and self._db.sqlite_path is None:
            return None  # (an in-memory database has no other connection to watch for)
        if self._conn is None:
            self._open()
        assert self._conn is not None
        raw = self._conn.connection.driver_connection
        if raw is not self._raw or raw is None:
            raise ConnectionError("the probe's connection was replaced")
        if isinstance(raw, sqlite3.Connection):
            # Outside any transaction (the engine's "begin" hook would open one, and a
            # transaction sees no one else's commits). Its count is this connection's own: a
            # connection SQLAlchemy made again starts anew.
            row = raw.execute("PRAGMA data_version").fetchone()
        else:
            # Compiled once and sent as it is: built anew each second, the statement cost
            # ≈ 1 ms of CPU warm and ≈ 10 ms in an app idle since the last look.
            row = raw.execute(self._sql).fetchone()
        return tuple(row) if row is not None else None

    def _open(self) -> None:
        conn = self._db.engine.connect()
        if not self._db.is_sqlite:  # (each look its own transaction; reset when returned)
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            from helpdesk_tui.desk import queue

            statement = queue.probe_statement()
            compiled = statement.compile(
                dialect=conn.dialect, compile_kwargs={"literal_binds": True}
            )
            self._sql = str(compiled)
        self._conn, self._raw = conn, conn.connection.driver_connection

    def close(self) -> None:
        self._last = self._raw = None  # (a new connection's data_version starts its own count)
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()


class QueueWatchService(DeskService):
    def change_probe(self) -> ChangeProbe:
        """A probe for the queue's watcher thread (see ``ChangeProbe``)."""
        return ChangeProbe(self.db)
