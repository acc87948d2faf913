"""Stopping a long read (or a forget) from another thread: the statement in flight
interrupted, and none after it run.

A screen that starts a read of the whole desk in a worker (the customer card's ``c``: 25 s
on a desk of a million tickets) ends it when the agent leaves: Textual cancels the worker,
but a thread cannot be stopped from outside, and a statement in the database runs to its
end whether anyone waits for it or not. :meth:`ReadStop.stop` interrupts it on its own
connection — SQLite's ``interrupt()`` (thread-safe; the statement fails at its next step)
with a progress handler that fails a long statement of the read once stopped,
PostgreSQL's cancel request (psycopg's ``cancel_safe``, else ``cancel``) — and the read
leaves with :class:`ReadStopped`. A stop that comes between two statements interrupts
nothing (SQLite clears an interrupt when none runs, PostgreSQL ignores the cancel of an
idle connection, and the progress handler looks only every ``PROGRESS_STEPS``, which a
short statement never takes): the connection's statement hooks refuse the next statement,
and fail the one that ends after the stop, so the work ends at once wherever the stop
comes (a forget of many statements ran to its end before). The connection goes back to the
pool as after any failed statement (rolled back: nothing of a stopped write stays), so the
next read does not wait for it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from helpdesk_tui.desk.errors import DeskError

PROGRESS_STEPS = 100_000
"""SQLite virtual-machine steps between two looks at the stop (about a millisecond)."""
_HOOKS = ("before_cursor_execute", "after_cursor_execute")
"""Where the connection looks at the stop between two statements (:meth:`ReadStop._refuse`)."""


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
        connection = session.connection()
        raw: Any = connection.connection.dbapi_connection
        with self._lock:
            if self._stopped:
                raise ReadStopped("the read was stopped")
            self._raw = raw
        sqlite = isinstance(raw, sqlite3.Connection)
        if sqlite:
            raw.set_progress_handler(self._abort, PROGRESS_STEPS)
        for hook in _HOOKS:
            event.listen(connection, hook, self._refuse)
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
            for hook in _HOOKS:
                event.remove(connection, hook, self._refuse)
            if sqlite:
                raw.set_progress_handler(None, PROGRESS_STEPS)
        if self._stopped:  # (stopped after its last statement: the answer is dropped)
            raise ReadStopped("the read was stopped")

    def _refuse(self, *_args: Any) -> None:
        """A statement hook: no statement starts, nor ends well, once stopped."""
        if self._stopped:
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
