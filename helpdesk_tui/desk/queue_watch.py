"""Has the desk changed since the last look? The queue's once-a-second question, cheaply.

The queue screen asks it every second for as long as it is open, mostly of a desk where
nothing changes; its real check (``Desk.list_changes``: the change mark, one indexed
statement) costs a pooled connection, a transaction and SQLAlchemy's execute, ≈ 1 ms of CPU
in the app, and a Textual thread worker and timer around it as much again. The probe
answers from a connection kept for it, in the watcher's own thread, and the screen runs
the real check only when the probe says something may have moved:

- SQLite: ``PRAGMA data_version``, which changes when any other connection (this process's
  or another's) has committed to the file: a few microseconds, no statement through the pool.
- PostgreSQL: the change mark's own statement on a kept connection, compared with the last
  one (a server has no cheaper counter without a trigger on every write): no pool checkout
  and its ping, no worker, no timer on the app's loop.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from helpdesk_tui.desk.service import DeskService

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from sqlalchemy.engine import Connection

    from helpdesk_tui.storage.database import Database


class ChangeProbe:
    """``moved()``: whether the desk may have changed since the last call. Used from one
    thread only (the queue's watcher); ``close()`` gives its connection back.

    It errs on the side of "moved": on its first call, for a SQLite database without a file,
    and after any failure (whose connection is dropped and opened again next time), so the
    real check runs and reports what is wrong as it always did.
    """

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock
        self._conn: Connection | None = None
        self._raw: object = None
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
            self._conn = self._db.engine.connect()
            self._raw = self._conn.connection.driver_connection
        raw = self._conn.connection.driver_connection
        if isinstance(raw, sqlite3.Connection):
            # On the driver's connection, outside any transaction (the engine's "begin"
            # hook would open one, and a transaction sees no one else's commits). Its count
            # is this connection's own: a connection SQLAlchemy made again starts anew.
            if raw is not self._raw:
                raise ConnectionError("the probe's connection was replaced")
            row = raw.execute("PRAGMA data_version").fetchone()
            return row[0] if row is not None else None
        from helpdesk_tui.desk import queue

        try:
            return queue.change_mark(self._conn, self._clock())
        finally:
            self._conn.rollback()  # (no transaction left open between looks)

    def close(self) -> None:
        self._last = self._raw = None  # (a new connection's data_version starts its own count)
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()


class QueueWatchService(DeskService):
    def change_probe(self) -> ChangeProbe:
        """A probe for the queue's watcher thread (see ``ChangeProbe``)."""
        return ChangeProbe(self.db, self.clock)
