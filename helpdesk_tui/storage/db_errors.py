"""What a failed write was, whichever way it reached the database.

Most writes go through SQLAlchemy, which wraps the driver's exception in its own
(:class:`~sqlalchemy.exc.DBAPIError`, ``.orig`` the driver's); the bulk writers of
:mod:`~.driver_rows` hand rows to the driver itself (psycopg's ``COPY``, sqlite3's
``executemany``), whose exceptions arrive unwrapped. :func:`failure_of` reads both alike,
so a rule about a failure ("another writer stored this first", "the database is in
trouble") is written once and holds for every writer on either engine.
"""

from __future__ import annotations

import sqlite3
import sys
from enum import StrEnum

from sqlalchemy.exc import DBAPIError, InterfaceError, InternalError, OperationalError


class Failure(StrEnum):
    UNIQUE = "unique"
    """A row with this unique key is there already: another writer stored it first (or this
    transaction did, by another way in). Reading again shows what it is."""
    TROUBLE = "trouble"
    """The database itself: connection lost, disk full, locked, shut down, a deadlock or
    serialization failure. Nothing of the transaction may count."""
    OTHER = "other"
    """Anything else: a value refused, a bug: the statement's own fault."""


_SQLITE_UNIQUE = frozenset({1555, 2067})
"""SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE (extended result codes)."""
_SQLITE_BROKEN = frozenset({11, 26})
"""SQLITE_CORRUPT, SQLITE_NOTADB: a ``DatabaseError`` that is the file's trouble."""
_PG_UNIQUE = "23505"


def from_the_database(error: BaseException) -> bool:
    """Whether ``error`` is the database's (a driver's, wrapped by SQLAlchemy or not), not
    the code's or another server's."""
    if isinstance(error, DBAPIError | sqlite3.Error):
        return True
    psycopg = sys.modules.get("psycopg")  # (not imported: none of its errors can be here)
    return psycopg is not None and isinstance(error, psycopg.Error)


def failure_of(error: BaseException) -> Failure:
    """What ``error`` says about the write that raised it (see :class:`Failure`)."""
    if isinstance(error, OperationalError | InterfaceError | InternalError):
        return Failure.TROUBLE
    if isinstance(error, DBAPIError):
        if error.orig is None:
            return Failure.OTHER
        error = error.orig
    if isinstance(error, sqlite3.Error):
        return _sqlite_failure(error)
    psycopg = sys.modules.get("psycopg")  # (not imported: none of its errors can be here)
    if psycopg is not None and isinstance(error, psycopg.Error):
        trouble = (psycopg.OperationalError, psycopg.InterfaceError, psycopg.InternalError)
        if isinstance(error, trouble):
            return Failure.TROUBLE
        if getattr(error, "sqlstate", None) == _PG_UNIQUE:
            return Failure.UNIQUE
    return Failure.OTHER


def _sqlite_failure(error: sqlite3.Error) -> Failure:
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(error, sqlite3.OperationalError | sqlite3.InterfaceError | sqlite3.InternalError):
        return Failure.TROUBLE
    if isinstance(error, sqlite3.IntegrityError):
        return Failure.UNIQUE if code in _SQLITE_UNIQUE else Failure.OTHER
    if code is not None and code & 0xFF in _SQLITE_BROKEN:
        return Failure.TROUBLE
    return Failure.OTHER
