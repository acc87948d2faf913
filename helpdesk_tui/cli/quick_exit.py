"""Ending the ``helpdesk`` process without the interpreter's finalization.

After a command, Python's own exit tears down every module and object the command
imported (SQLAlchemy, the driver, the desk): ≈ 6-10 ms of a verb's quarter second, for
nothing a process about to end needs. :func:`end` skips it with ``os._exit``, but only
when that loses nothing the normal exit would have done:

- the exit status is a number (a message for ``sys.exit`` is printed by Python);
- no other thread is alive (a poller's or a pool's work would be cut off);
- every database connection the process opened is closed (``storage.database``): a
  PostgreSQL backend then sees a clean goodbye, and the last SQLite connection has
  folded the WAL into the desk file, as a user copying ``helpdesk.db`` expects;
- stdout and stderr flush (a failed flush, e.g. a closed pipe, is left to Python, which
  reports it and ends with 120);
- the ``atexit`` handlers run first (``logging.shutdown``, ``weakref.finalize``'s).

Files a command writes are closed by their ``with`` blocks before this.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading


def end(code: object) -> None:
    """End the process now with ``code`` (``SystemExit.code``) if nothing is lost by it;
    return otherwise, for the caller to exit the normal way."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        return
    if threading.active_count() != 1 or _connections_open():
        return
    if not _flushed():
        return
    atexit._run_exitfuncs()
    if _flushed():  # (a handler's last words)
        os._exit(status & 0xFF)


def _connections_open() -> int:
    """Database connections still open; none when the data layer was never imported."""
    database = sys.modules.get("helpdesk_tui.storage.database")
    return 0 if database is None else database.connections_open()


def _flushed() -> bool:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return False
    return True
