"""Opening a desk's database for a session of work, and bringing its schema up to date.

Only ``helpdesk init`` creates a desk (and the bare ``helpdesk`` its user's private default
desk in the data directory, which no one can mistype): every other command refuses a URL
that points at nothing, and creates neither a file nor a directory.

An older schema is upgraded on start only on a private SQLite desk (a file only its owner
can write: one person's desk). A shared desk — a group-writable SQLite file, or PostgreSQL —
is refused with the exact command, so its admin decides when to migrate
(``helpdesk db upgrade``). A schema newer than this code is always refused.

Every failure here is a :class:`DeskUnavailable` with one line for a person, naming the
URL without its password; the driver's exceptions never reach the callers.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)

from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.storage import migrate, sqlite_files
from helpdesk_tui.storage.database import (
    COMMIT_UNKNOWN,
    Database,
    DeskUnusable,
    NoDesk,
    commits_made,
    load_driver,
)
from helpdesk_tui.storage.migrate import SchemaState
from helpdesk_tui.storage.sqlite_files import access_problem, is_shared
from helpdesk_tui.urls import mask_url, scrub

__all__ = [
    "Database",
    "DatabaseRefused",
    "DatabaseUnreachable",
    "DeskUnavailable",
    "Plan",
    "SchemaState",
    "commits_made",
    "connect",
    "database_error",
    "desk_errors",
    "load_driver",
    "no_desk",
    "open_database",
    "plan",
    "revisions",
    "share_sqlite_desk",
]


class DeskUnavailable(DeskError):
    """The desk's database cannot be used: missing, unreachable, unreadable, or the wrong schema."""


class DatabaseUnreachable(DeskUnavailable):
    """The database did not answer: a server stopped or restarting, a connection it dropped,
    a lock held too long. Transient: the same request may work a moment later."""

    transient = True


class DatabaseRefused(DeskError):
    """A value the desk's checks let through and the database refused."""


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


def no_desk(where: str) -> str:
    return f"no desk at {where}; create one with `helpdesk init`"


def database_problem(error: BaseException) -> str:
    """The first line of what the driver said, without SQLAlchemy's boilerplate (nor
    psycopg's "connection failed: " before libpq's own words)."""
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()
    return text[0].removeprefix("connection failed: ") if text else type(original).__name__


CHECK_SERVER = "check that the database server is running there and accepts connections"
"""What to look at when a database server did not answer or dropped the connection."""
LOCKED_BY_ANOTHER = "another process holds the desk's lock; try again once it lets go"
"""What to look at when a SQLite desk stayed locked past the busy timeout."""
_NOT_ANSWERING = (
    "connection refused",
    "timeout expired",
    "timed out",
    "could not translate host name",
    "no route to host",
    "network is unreachable",
    "the database system is",  # starting up, shutting down, in recovery mode
    "no such file or directory",  # (a Unix socket: no server there)
    "server closed the connection",
    "terminating connection",
    "connection socket closed",
)


def _server_not_answering(error: BaseException) -> bool:
    """A server that is down, restarting or unreachable, or that dropped the connection
    (not one that answered with a refusal: a password, a missing database)."""
    if getattr(error, "connection_invalidated", False):
        return True
    problem = database_problem(error).lower()
    return any(sign in problem for sign in _NOT_ANSWERING)


def what_to_check(error: BaseException) -> str | None:
    """What a person can look at for a database that did not answer: a server down,
    restarting or unreachable (or that dropped the connection), a SQLite desk another
    process kept locked past the busy timeout; None for any other failure."""
    if _server_not_answering(error):
        return CHECK_SERVER
    if "database is locked" in database_problem(error):
        return LOCKED_BY_ANOTHER
    return None


def and_what_to_check(problem: str, error: BaseException) -> str:
    """``problem``, and what to look at for it when there is something (``what_to_check``)."""
    check = what_to_check(error)
    return problem if check is None else f"{problem}; {check}"


def _lost_while_saving(error: BaseException) -> bool:
    return bool(getattr(error, COMMIT_UNKNOWN, False))


def shown(database_url: str) -> str:
    """Where the desk is, for people: a SQLite desk's file, else the URL without its
    password (``Database.shown_url``, for a URL)."""
    if database_url.startswith("sqlite:"):
        with suppress(ArgumentError):
            path = make_url(database_url).database
            if path:
                return path
    return mask_url(database_url)


def sqlite_trouble(database_url: str | None) -> str | None:
    """For a SQLite desk this process cannot read or write: which file, and the fix."""
    if not database_url or not database_url.startswith("sqlite:"):
        return None
    path = make_url(database_url).database
    return access_problem(Path(path)) if path else None


def database_error(error: BaseException, database_url: str | None) -> DeskError | None:
    """The desk error for a database failure (one line, never the statement's parameters);
    None when ``error`` is not one."""
    if isinstance(error, NoDesk):
        return DeskUnavailable(no_desk(str(error.path)))
    if isinstance(error, DataError):
        return DatabaseRefused(f"the database refused a value: {database_problem(error)}")
    if isinstance(error, OperationalError | InterfaceError):
        problem = sqlite_trouble(database_url)
        if problem is not None:
            return DeskUnavailable(problem)
        where = f" at {shown(database_url)}" if database_url else ""
        problem = scrub(database_problem(error), database_url)
        if _lost_while_saving(error):
            return DatabaseUnreachable(
                f"lost the connection to the database{where} while saving ({problem}): "
                "the change may have been saved; look before doing it again"
            )
        problem = and_what_to_check(problem, error)
        return DatabaseUnreachable(f"database error{where}: {problem}")
    return None


@contextmanager
def desk_errors(database_url: str | None) -> Iterator[None]:
    """The database's failures inside leave as desk errors (one line, no password)."""
    try:
        yield
    except SQLAlchemyError as error:
        found = database_error(error, database_url)
        if found is None:
            raise
        raise found from None


def connect(url: str, *, create: bool = False) -> tuple[Database, SchemaState]:
    """The database and its schema state, or one line naming the URL (never its password).

    Without ``create`` a SQLite file that does not exist is refused and nothing is made.
    """
    try:
        db = Database(url, create=create)
    except NoDesk as error:
        raise DeskUnavailable(no_desk(str(error.path))) from None
    except DeskUnusable as error:
        raise DeskUnavailable(str(error)) from None
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        problem = scrub(str(error), url)
        raise DeskUnavailable(f"cannot use database URL {mask_url(url)}: {problem}") from None
    except OSError as error:
        raise DeskUnavailable(
            sqlite_trouble(url) or f"cannot open database {mask_url(url)}: {error.strerror}"
        ) from None
    try:
        return db, migrate.schema_state(db)
    except DBAPIError as error:
        db.dispose()
        trouble = sqlite_trouble(url)
        if trouble is not None:
            raise DeskUnavailable(trouble) from None
        problem = f"cannot open database {shown(url)}: {scrub(database_problem(error), url)}"
        problem = and_what_to_check(problem, error)
        raise DeskUnavailable(problem) from None


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
    where = mask_url(url)
    if action is Plan.READY:
        return db
    if action in (Plan.REFUSE_EMPTY, Plan.REFUSE_NEWER, Plan.REFUSE_OLDER):
        db.dispose()
    if action is Plan.REFUSE_EMPTY:
        raise DeskUnavailable(no_desk(where))
    if action is Plan.REFUSE_NEWER:
        raise DeskUnavailable(
            f"database schema is at {revisions(state.current)}, newer than this helpdesk "
            f"({revisions(state.heads)}); upgrade helpdesk-tui"
        )
    if action is Plan.REFUSE_OLDER:
        raise DeskUnavailable(
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


def share_sqlite_desk(database: Path, gid: int) -> None:
    """A team desk's setgid directory and database file, the group's whatever the umask.

    Raises ``OSError`` (``PermissionError`` when this process may not hand them over).
    """
    directory = database.parent
    sqlite_files.share_directory(directory, gid)
    # Whatever this process creates from here on is the group's and no one else's.
    os.umask(0o007)
    if database.exists():
        for file in sqlite_files.desk_files(database):
            if file.exists():
                sqlite_files.share_file(file, gid)
    else:
        sqlite_files.create_database_file(database, group=gid)
