"""Opening the configured database for a command, and bringing its schema up to date.

An empty database is set up when the command may do so (the TUI start, ``init``, any
command that acts as an agent). An older schema is upgraded in place on SQLite — one
person's file — and refused with the exact command on PostgreSQL, where a shared server's
admin decides when to migrate. A schema newer than this code is always refused.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable

from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from helpdesk_tui.cli.errors import CliError, database_problem, safe_url
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.migrate import SchemaState


class Plan(enum.Enum):
    READY = "ready"
    CREATE = "create"
    UPGRADE = "upgrade"
    REFUSE_EMPTY = "refuse_empty"
    REFUSE_OLDER = "refuse_older"
    REFUSE_NEWER = "refuse_newer"


def plan(state: SchemaState, *, upgrade_older: bool, create: bool) -> Plan:
    """What to do with a database in ``state`` before a command may use it."""
    if state.is_empty:
        return Plan.CREATE if create else Plan.REFUSE_EMPTY
    if state.is_newer:
        return Plan.REFUSE_NEWER
    if state.is_latest:
        return Plan.READY
    return Plan.UPGRADE if upgrade_older else Plan.REFUSE_OLDER


def _revisions(revisions: Iterable[str]) -> str:
    return ", ".join(sorted(revisions)) or "(none)"


def connect(url: str) -> tuple[Database, SchemaState]:
    """The database and its schema state, or one line naming the URL (never its password)."""
    try:
        db = Database(url)
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        raise CliError(f"cannot use database URL {safe_url(url)}: {error}") from None
    except OSError as error:
        raise CliError(f"cannot open database {safe_url(url)}: {error}") from None
    try:
        return db, migrate.schema_state(db)
    except DBAPIError as error:
        db.dispose()
        raise CliError(f"cannot open database {safe_url(url)}: {database_problem(error)}") from None


def open_database(
    url: str, *, create: bool, say: Callable[[str], None], upgrade: bool = False
) -> Database:
    """The database with the schema this code needs; ``say`` reports what was done to it.

    ``upgrade`` migrates an older PostgreSQL schema too (``helpdesk init``).
    """
    db, state = connect(url)
    action = plan(state, upgrade_older=upgrade or db.is_sqlite, create=create)
    where = safe_url(url)
    if action is Plan.READY:
        return db
    if action in (Plan.REFUSE_EMPTY, Plan.REFUSE_NEWER, Plan.REFUSE_OLDER):
        db.dispose()
    if action is Plan.REFUSE_EMPTY:
        raise CliError(f"the database at {where} is not set up yet; run: helpdesk init")
    if action is Plan.REFUSE_NEWER:
        raise CliError(
            f"database schema is at {_revisions(state.current)}, newer than this helpdesk "
            f"({_revisions(state.heads)}); upgrade helpdesk-tui"
        )
    if action is Plan.REFUSE_OLDER:
        raise CliError(
            f"database schema is at {_revisions(state.current)}, this helpdesk needs "
            f"{_revisions(state.heads)}; run: helpdesk db upgrade"
        )
    migrate.upgrade(db)
    if action is Plan.CREATE:
        say(f"created the helpdesk schema in {where}")
    else:
        say(
            f"upgraded the database schema in {where} from {_revisions(state.current)} "
            f"to {_revisions(state.heads)}"
        )
    return db
