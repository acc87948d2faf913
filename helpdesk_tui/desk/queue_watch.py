"""Has the desk changed since the last look? The queue's once-a-second question, cheaply.

The queue screen asks it every second for as long as it is open, mostly of a desk where
nothing changes; its real check (``Desk.list_changes``: the change mark, one indexed
statement) costs a pooled connection, a transaction and SQLAlchemy's execute, ≈ 1 ms of CPU
in the app, and a Textual thread worker and timer around it as much again. The probe
answers from a connection kept for it, in the watcher's own thread, and the screen runs
the real check only when the probe says something may have moved:

- SQLite: ``PRAGMA data_version``, which changes when any other connection (this process's
  or another's) has committed to the file: a few microseconds, no statement through the pool.
  Only when it moved is the change mark's statement sent (as on PostgreSQL, on the same
  connection) and its answer compared: a colleague's terminal on a ticket commits a
  presence heartbeat every 1.5 s (``screens.ticket.BEAT_SECONDS``), which moved the version
  and woke the screen for a check through the pool that found nothing to show.
- PostgreSQL: the change mark's statement (less its count of live presence rows, which moves
  with the clock alone: the screen asks to be woken when the first live marker expires),
  compiled once and sent on a kept autocommit connection, compared with the last answer (a
  server has no cheaper counter without a trigger on every write).

A terminal's probe (``actor_may_change``) reads its agent's row in the same statement (two
primary-key reads): no event records a deactivation or a new role, and the queue's check,
woken by it, reads the agent again (``Desk.agent_seen``), so the app learns it at the next
look, not at the next minute's shift heartbeat.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from helpdesk_tui.desk.service import DeskService
from helpdesk_tui.storage.driver_rows import as_sqlalchemy_would

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

    def __init__(self, db: Database, agent_id: int | None = None) -> None:
        self._db = db
        self._agent_id = agent_id
        """Whose standing the statement reads too (``queue.probe_statement``)."""
        self._conn: Connection | None = None
        self._raw: Any = None
        self._sql = ""
        self._last: Any = None
        self._version: Any = None
        """SQLite's ``data_version`` when the statement was last sent."""

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
        # The driver's own calls: what it raises leaves as SQLAlchemy's would, and a
        # connection the server ended is invalidated, so ``close`` hands the pool no dead
        # connection to reset (which logged a traceback: "Exception during reset").
        with as_sqlalchemy_would(self._conn, "change probe"):
            if isinstance(raw, sqlite3.Connection):
                # Outside any transaction (the engine's "begin" hook would open one, and a
                # transaction sees no one else's commits). Its count is this connection's
                # own: a connection SQLAlchemy made again starts anew.
                version = raw.execute("PRAGMA data_version").fetchall()
                if version == self._version:
                    return self._last  # (no commit since: the last answer stands)
                self._version = version
            # Compiled once and sent as it is: built anew each second, the statement cost
            # ≈ 1 ms of CPU warm and ≈ 10 ms in an app idle since the last look. (All rows
            # fetched: on SQLite a statement not stepped to its end keeps its read open.)
            rows = raw.execute(self._sql).fetchall()
        return tuple(rows[0]) if rows else None

    def _open(self) -> None:
        conn = self._db.engine.connect()
        if not self._db.is_sqlite:  # (each look its own transaction; reset when returned)
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        from helpdesk_tui.desk import queue

        statement = queue.probe_statement(self._agent_id)
        compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        self._sql = str(compiled)
        self._conn, self._raw = conn, conn.connection.driver_connection

    def close(self) -> None:
        # (a new connection's data_version starts its own count)
        self._last = self._raw = self._version = None
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()


class QueueWatchService(DeskService):
    def change_probe(self) -> ChangeProbe:
        """A probe for the queue's watcher thread (see ``ChangeProbe``); a terminal's
        (``actor_may_change``) watches its agent's row too."""
        agent_id = self.actor.agent_id if self.actor_may_change else None
        return ChangeProbe(self.db, agent_id)
