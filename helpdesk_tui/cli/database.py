"""Opening the configured database for a command, and bringing its schema up to date.

Only ``helpdesk init`` creates a desk (and the bare ``helpdesk`` its user's private default
desk in the data directory, which no one can mistype): every other command refuses a URL
that points at nothing, and creates neither a file nor a directory.

An older schema is upgraded on start only on a private SQLite desk (a file only its owner
can write: one person's desk). A shared desk — a group-writable SQLite file, or PostgreSQL —
is refused with the exact command, so its admin decides when to migrate
(``helpdesk db upgrade``). A schema newer than this code is always refused.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Iterable

from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from helpdesk_tui.cli.errors import CliError, database_problem, no_desk, safe_url, sqlite_trouble
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database, DeskUnusable, NoDesk
from helpdesk_tui.storage.migrate import SchemaState
from helpdesk_tui.storage.sqlite_files import is_shared
from helpdesk_tui.urls import scrub


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


def revisions(values: Iterable[str]) -> str:
    return ", ".join(sorted(values)) or "(none)"


def connect(url: str, *, create: bool = False) -> tuple[Database, SchemaState]:
    """The database and its schema state, or one line naming the URL (never its password).

    Without ``create`` a SQLite file that does not exist is refused and nothing is made.
    """
    try:
        db = Database(url, create=create)
    except NoDesk as error:
        raise CliError(no_desk(str(error.path))) from None
    except DeskUnusable as error:
        raise CliError(str(error)) from None
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        problem = scrub(str(error), url)
        raise CliError(f"cannot use database URL {safe_url(url)}: {problem}") from None
    except OSError as error:
        raise CliError(
            sqlite_trouble(url) or f"cannot open database {safe_url(url)}: {error.strerror}"
        ) from None
    try:
        return db, migrate.schema_state(db)
    except DBAPIError as error:
        db.dispose()
        problem = sqlite_trouble(url) or (
            f"cannot open database {safe_url(url)}: {scrub(database_problem(error), url)}"
        )
        raise CliError(problem) from None


def is_private(db: Database) -> bool:
    """One person's SQLite desk: a file this login owns that its group cannot write."""
    path = db.sqlite_path
    if path is None:
        return False
    try:
        return path.stat().st_uid == os.getuid() and not is_shared(path)
    except OSError:
        return False


def open_database(
    url: str, *, create: bool, say: Callable[[str], None], upgrade: bool = False
) -> Database:
    """The database with the schema this code needs; ``say`` reports what was done to it.

    ``create`` sets up an empty database (``helpdesk init``); ``upgrade`` migrates an older
    shared schema too (``helpdesk init``, ``helpdesk db upgrade``).
    """
    db, state = connect(url, create=create)
    action = plan(state, upgrade_older=upgrade or is_private(db), create=create)
    where = safe_url(url)
    if action is Plan.READY:
        return db
    if action in (Plan.REFUSE_EMPTY, Plan.REFUSE_NEWER, Plan.REFUSE_OLDER):
        db.dispose()
    if action is Plan.REFUSE_EMPTY:
        raise CliError(no_desk(where))
    if action is Plan.REFUSE_NEWER:
        raise CliError(
            f"database schema is at {revisions(state.current)}, newer than this helpdesk "
            f"({revisions(state.heads)}); upgrade helpdesk-tui"
        )
    if action is Plan.REFUSE_OLDER:
        raise CliError(
            f"database schema is at {revisions(state.current)}, this helpdesk needs "
            f"{revisions(state.heads)}; an admin must run: helpdesk db upgrade"
        )
    migrate.upgrade(db)
    if action is Plan.CREATE:
        say(f"created the helpdesk schema in {where}")
    else:
        say(
            f"upgraded the database schema in {where} from {revisions(state.current)} "
            f"to {revisions(state.heads)}"
        )
    return db
