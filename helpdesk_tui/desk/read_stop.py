"""Stopping a long read from another thread: the statement in flight interrupted.

A screen that starts a read of the whole desk in a worker (the customer card's ``c``: 25 s
on a desk of a million tickets) ends it when the agent leaves: Textual cancels the worker,
but a thread cannot be stopped from outside, and a statement in the database runs to its
end whether anyone waits for it or not. :meth:`ReadStop.stop` interrupts it on its own
connection — SQLite's ``interrupt()`` (thread-safe; the statement fails at its next step),
with a progress handler that fails any statement of the read once stopped (an interrupt
that came between two statements is lost: SQLite clears it when none runs), PostgreSQL's
cancel request (psycopg's ``cancel_safe``, else ``cancel``; one that came between two
statements is lost too, and the next runs to its end) — and the read leaves with
:class:`ReadStopped`. The connection goes back to the pool as after any failed
statement (rolled back), so the next read does not wait for it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlmodel import Session

from helpdesk_tui.desk.errors import DeskError

PROGRESS_STEPS = 100_000
"""SQLite virtual-machine steps between two looks at the stop (about a millisecond)."""


class ReadStopped(DeskError):
    """The read was stopped (:meth:`ReadStop.stop`) before it ended."""


class ReadStop:
    """One screen's handle on its reads: ``stop()`` (any thread) ends the one in flight
    and refuses those that start after it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._raw: Any = None
        """The driver connection of the read in flight; None between reads."""
        self._stopped = False

    @property
    def stopped(self) -> bool:
        return self._stopped

    @contextmanager
    def watching(self, session: Session) -> Iterator[None]:
        """Run a read on ``session`` that :meth:`stop` may interrupt."""
        raw: Any = session.connection().connection.dbapi_connection
        with self._lock:
            if self._stopped:
                raise ReadStopped("the read was stopped")
            self._raw = raw
        sqlite = isinstance(raw, sqlite3.Connection)
        if sqlite:
            raw.set_progress_handler(self._abort, PROGRESS_STEPS)
        try:
            yield
        except Exception as error:
            if self._stopped:
                raise ReadStopped("the read was stopped") from error
            raise
        finally:
            # (before the connection goes back to the pool: a stop after this interrupts
            # nothing, never another read on the same connection)
            with self._lock:
                self._raw = None
            if sqlite:
                raw.set_progress_handler(None, PROGRESS_STEPS)
        if self._stopped:  # (stopped after its last statement: the answer is dropped)
            raise ReadStopped("the read was stopped")

    def _abort(self) -> int:
        """SQLite's progress handler: non-zero fails the statement."""
        return int(self._stopped)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._raw is not None:
                _interrupt(self._raw)


def _interrupt(raw: Any) -> None:
    if isinstance(raw, sqlite3.Connection):
        raw.interrupt()
        return
    cancel = getattr(raw, "cancel_safe", None) or getattr(raw, "cancel", None)
    if cancel is not None:
        cancel()
