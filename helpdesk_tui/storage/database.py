"""Engine and sessions for SQLite (the embedded default) and PostgreSQL.

``Database.write()`` opens a transaction that may change data; ``Database.write_rows()``
the same on a Core connection (no ORM session); ``Database.read()`` one that only reads;
``Database.own_connection()`` gives a long job of many write transactions (the demo's bulk
load) a connection that is closed after it. On SQLite a write transaction
starts with ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of failing
when a read lock cannot be upgraded. ``write(brief=True)`` waits for another writer's lock
for ``BRIEF_LOCK_WAIT_MS`` only, for writes a timer repeats anyway (heartbeats): a thread
stuck 30 s on a lock would hold up the terminal's exit, which waits for its threads.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, Engine, create_engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError

from helpdesk_tui.storage import sqlite_files
from helpdesk_tui.urls import mask_url

if TYPE_CHECKING:
    import sqlite3
    from typing import TypeAlias

    from sqlmodel import Session

    Reader: TypeAlias = Session | Connection
    """What a query runs on: an ORM session, or a Core connection (``Database.read_rows``)."""

SQLITE_BUSY_TIMEOUT_MS = 30_000
BRIEF_LOCK_WAIT_MS = 1_000
"""How long a ``write(brief=True)`` waits for a lock (SQLite's busy timeout, PostgreSQL's
``lock_timeout``) before it fails with the database's "locked" error."""
SQLITE_ANALYSIS_LIMIT = 1000
"""Rows of each index ``ANALYZE`` looks at: estimates good enough for the planner, quickly
(a full ``ANALYZE`` of a 1M-ticket desk takes minutes)."""
_IMMEDIATE = "helpdesk_immediate"
_BUSY_TIMEOUT = "helpdesk_busy_timeout_ms"
_TEMP_STORE = "helpdesk_temp_store"
_RESTED = "helpdesk_rested_at"
PING_AFTER_IDLE_S = 1.0
"""A server connection back in the pool longer than this is pinged before it is used again
(one round trip; a connection the server dropped meanwhile is replaced). One used within it
is not: a command's reads and writes, one after the other, pinged their server each time."""
_open_connections: set[int] = set()
"""The ids of the DBAPI connections of every engine made here that are open now."""


class NoDesk(Exception):
    """The SQLite file a URL names does not exist or is empty (and ``create`` was not asked)."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"no desk at {path}")
        self.path = path


class DeskUnusable(Exception):
    """The SQLite desk's files cannot be read and written by this login; says which and the fix.

    Checked before SQLite opens anything: a connection that can only read would leave
    ``-wal``/``-shm`` files behind that no one else can use.
    """


class Database:
    """One database, by URL; owns its engine. Never created at import time.

    ``create`` False opens an existing SQLite file only: nothing is created, neither the file
    nor a directory (a mistyped path is refused with :class:`NoDesk`). A file it does create
    is private (0600) whatever the umask.
    """

    def __init__(self, url: str, *, echo: bool = False, create: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo, create=create)

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None on PostgreSQL."""
        database = self.engine.url.database
        return Path(database) if self.is_sqlite and database else None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def trouble(self) -> str | None:
        """Why this login cannot read and write the SQLite desk's files: one sentence with the
        fix (None when they can, and on PostgreSQL). Shown instead of a raw SQL error."""
        path = self.sqlite_path
        return sqlite_files.access_problem(path) if path is not None else None

    @property
    def shown_url(self) -> str:
        """Where the data is, for people: the SQLite file, or the URL without its password."""
        if self.sqlite_path is not None:
            return str(self.sqlite_path)
        return mask_url(self.url)

    @contextmanager
    def write(self, *, brief: bool = False, bulk: bool = False) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error.

        ``brief``: wait at most ``BRIEF_LOCK_WAIT_MS`` for another writer's lock, not the
        busy timeout's 30 s; for a write that is repeated soon if it fails (a heartbeat).
        ``bulk``: SQLite keeps this transaction's statement journals in memory, not in
        temporary files (``PRAGMA temp_store=MEMORY``): each INSERT into a table with a
        trigger journals every page it touches, a few hundred MB of files for a few
        thousand mail messages; the journal of one statement is a few hundred KB. Only for
        writes of many small rows that sort nothing big (the mail poller's batches).
        """
        from sqlmodel import Session

        with Session(self.engine, expire_on_commit=False) as session:
            options: dict[str, Any] = {_IMMEDIATE: True}
            if brief:
                options[_BUSY_TIMEOUT] = BRIEF_LOCK_WAIT_MS
            if bulk:
                options[_TEMP_STORE] = "MEMORY"
            session.connection(execution_options=options)
            if brief and not self.is_sqlite:
                session.execute(text(f"SET LOCAL lock_timeout = {BRIEF_LOCK_WAIT_MS}"))
            try:
                yield session
                session.flush()
                _committing(session.commit)
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def write_rows(self, *, brief: bool = False) -> Iterator[Connection]:
        """:meth:`write` on Core tables (``storage/core_tables``): a connection whose
        transaction commits on success and rolls back on any error, with the same lock
        (``BEGIN IMMEDIATE`` on SQLite) and ``brief`` wait; no ORM session, so a quick CLI
        verb that changes a ticket never imports the ORM."""
        options: dict[str, Any] = {_IMMEDIATE: True}
        if brief:
            options[_BUSY_TIMEOUT] = BRIEF_LOCK_WAIT_MS
        with self.engine.connect() as conn:
            conn = conn.execution_options(**options)
            transaction = conn.begin()
            try:
                if brief and not self.is_sqlite:
                    conn.execute(text(f"SET LOCAL lock_timeout = {BRIEF_LOCK_WAIT_MS}"))
                yield conn
            except BaseException:
                transaction.rollback()
                raise
            _committing(transaction.commit)

    @contextmanager
    def own_connection(self) -> Iterator[Connection]:
        """A connection for one long job of many write transactions (``with conn.begin():``).

        It is the job's alone: what the job sets on it (SQLite PRAGMAs) ends with the job,
        as the connection is closed afterwards instead of going back to the pool.
        """
        with self.engine.connect() as conn:
            try:
                yield conn.execution_options(**{_IMMEDIATE: True})
            finally:
                conn.invalidate()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; closing it ends the transaction, objects stay readable."""
        from sqlmodel import Session

        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def read_rows(self, *, autocommit: bool = False) -> Iterator[Connection]:
        """A connection for Core queries (``storage/core_tables``), its transaction ended
        on leaving: a read that never imports the ORM (a quick CLI verb).

        ``autocommit``: for statements that need no transaction in common (a read of one
        statement): on PostgreSQL each runs on its own, without the ``BEGIN`` and the
        ``ROLLBACK`` around them (two round trips; the checks every command starts with)."""
        with self.engine.connect() as conn:
            if autocommit and not self.is_sqlite:
                conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    def refresh_statistics(
        self, only: Collection[str] | None = None, *, but: Collection[str] = ()
    ) -> None:
        """Give the query planner fresh statistics (after a bulk load: the demo, an import).

        On SQLite a sampled ``ANALYZE`` (``analysis_limit``); on PostgreSQL ``ANALYZE``.
        Without them SQLite guesses, and guesses wrong on a big desk. ``only`` these tables,
        or every table of the desk ``but`` these (none given: the whole desk); a loader can
        then analyze the tables it has finished with while it still writes the others.
        """
        with self.engine.connect() as conn:
            if self.is_sqlite:
                conn.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
            if only is None and not but:
                conn.exec_driver_sql("ANALYZE")
            else:
                names = sorted(only) if only is not None else _tables(conn, but)
                quoted = [conn.dialect.identifier_preparer.quote(name) for name in names]
                if self.is_sqlite:
                    for name in quoted:
                        conn.exec_driver_sql(f"ANALYZE main.{name}")
                elif quoted:
                    conn.exec_driver_sql(f"ANALYZE {', '.join(quoted)}")
            conn.commit()

    def dispose(self) -> None:
        self.engine.dispose()


COMMIT_UNKNOWN = "helpdesk_commit_unknown"
"""Set (True) on a database error raised by a write's COMMIT that lost its connection: the
server may have committed before it went, so the writer cannot know whether its change was
saved (a command says so rather than invite the user to do it twice)."""


def _committing(commit: Callable[[], None]) -> None:
    """``commit()``; a lost connection's error leaves marked :data:`COMMIT_UNKNOWN`."""
    try:
        commit()
    except DBAPIError as error:
        if error.connection_invalidated:
            setattr(error, COMMIT_UNKNOWN, True)
        raise


def _tables(conn: Connection, but: Collection[str]) -> list[str]:
    """The desk's own tables (the schema's on PostgreSQL), but these."""
    if conn.dialect.name == "sqlite":
        found = conn.exec_driver_sql(
            "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    else:
        found = conn.exec_driver_sql(
            "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') "
            "AND relnamespace = current_schema()::regnamespace"
        )
    return sorted(name for (name,) in found if name not in but)


def load_driver(url: str, *, connect: bool = False) -> None:
    """Import the SQLAlchemy dialect and the driver ``url`` names, as the engine would.

    For a caller that imports under ``cli.lazy.loading`` (the collector paused): on
    PostgreSQL psycopg and SQLAlchemy's postgresql dialect are a quarter of a read verb's
    start. A URL that cannot be used is left to ``Database`` to refuse, with its words.

    ``connect`` (a caller that opens the database next): on psycopg the connection is
    opened on a thread while the dialect imports (:class:`_EarlyConnection`), and the next
    engine made for ``url`` starts with it.
    """
    with suppress(ArgumentError, ImportError, ValueError):
        parsed = make_url(url)
        if connect and parsed.get_driver_name() == "psycopg":
            # psycopg first, here: the connection then waits on the server while the
            # dialect imports (imported on the thread, it would take turns with the dialect)
            import psycopg  # noqa: F401

            _early_connections[url] = _EarlyConnection(_psycopg_arguments(parsed))
        parsed.get_dialect().import_dbapi()


def _psycopg_arguments(url: URL) -> dict[str, Any] | None:
    """The keywords SQLAlchemy's psycopg dialect passes to ``psycopg.connect`` for ``url``
    (``create_connect_args``), for a URL of one host whose options are plain strings;
    None for any other (it is left to the dialect)."""
    arguments: dict[str, Any] = url.translate_connect_args(username="user", database="dbname")
    if not arguments and not url.query:
        return None
    if any(not isinstance(value, str) for value in url.query.values()):
        return None  # (a repeated option: several hosts)
    if "port" in arguments:
        arguments["port"] = int(arguments["port"])
    arguments.update(url.query)
    return arguments


EARLY_CONNECTION_KEPT_S = 30.0
"""An early connection not taken by an engine within this is closed and not used."""
_early_connections: dict[str, _EarlyConnection] = {}
"""``load_driver``'s connections by URL, each for the next engine made for that URL."""
_NO_ATTRIBUTE = object()


class _EarlyConnection:
    """A psycopg connection opened on a thread of its own, for the next engine of a URL.

    Connecting is a few round trips to the server (its new backend, authentication,
    settings): ≈ 3 ms of waiting in every command. libpq waits without the GIL, so the
    imports that follow (SQLAlchemy's postgresql dialect, ≈ 30-50 ms) go on meanwhile. The
    engine takes it in its ``do_connect`` hook only for the very keywords its dialect
    would connect with; a connection that failed fails there with the driver's own error
    (the one connecting would have raised); one never taken is closed at exit.
    """

    def __init__(self, arguments: dict[str, Any] | None) -> None:
        self.arguments = arguments
        self.started = time.monotonic()
        self.connection: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._open, name="helpdesk-connect", daemon=True)
        if arguments is not None:
            self._thread.start()
            atexit.register(self.close)

    def _open(self) -> None:
        import psycopg

        try:
            self.connection = psycopg.connect(**(self.arguments or {}))
        except BaseException as error:  # raised where the engine connects (``take``)
            self.error = error

    def take(self, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        """The connection, if it was opened with ``cparams`` (and no positional
        arguments) not longer ago than ``EARLY_CONNECTION_KEPT_S``; None otherwise (and
        it is closed). Raises the driver's error if opening it failed.

        The dialect's ``context`` (its adapters: how psycopg reads ``inet``, JSON…) is
        given to the connection as ``psycopg.Connection.connect(context=…)`` does, after
        connecting: a copy of it as the connection's own adapters, before any use."""
        if self.arguments is None:
            return None
        self._thread.join()
        atexit.unregister(self.close)
        arguments = dict(cparams)
        context = arguments.pop("context", None)
        fits = (
            not cargs
            and arguments == self.arguments
            and time.monotonic() - self.started < EARLY_CONNECTION_KEPT_S
        )
        if not fits:
            self.close()
            return None
        if self.error is not None:
            raise self.error
        if spoke_while_idle(self.connection):
            # The server ended it since it was opened (restarted, stopped, an admin's
            # pg_terminate_backend): the engine connects as usual, and says why if it can't.
            self.close()
            return None
        if context is not None:
            if getattr(self.connection, "_adapters", _NO_ATTRIBUTE) is not None:
                self.close()  # (not the psycopg this was written for: connect as usual)
                return None
            from psycopg.adapt import AdaptersMap

            self.connection._adapters = AdaptersMap(context.adapters)
        return self.connection

    def close(self) -> None:
        if self.arguments is not None:
            self._thread.join()
        if self.connection is not None:
            self.connection.close()


def connections_open() -> int:
    """How many database connections this process has open (``cli/quick_exit``: the
    process may end without Python's finalization only when none is)."""
    return len(_open_connections)


def make_engine(url: str, *, echo: bool = False, create: bool = True) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url, parsed.database, echo=echo, create=create)
    else:
        extra: dict[str, Any] = {}
        if parsed.get_driver_name() in ("psycopg", "psycopg2"):
            # No table has an HSTORE column: without this the first connection looks the
            # type up (three more round trips and a type registration in every command).
            extra["use_native_hstore"] = False
        engine = create_engine(url, echo=echo, **extra)
        early = _early_connections.pop(url, None)
        if early is not None:
            _start_with(engine, early)
        _ping_when_rested(engine)
        if parsed.get_driver_name() == "psycopg":
            event.listen(engine, "handle_error", _psycopg_disconnect)
        if parsed.get_backend_name() == "postgresql":
            # First of the new connection's hooks: SQLAlchemy's own first look at the
            # server (four statements) and ours run in autocommit, without a BEGIN and a
            # ROLLBACK around them; ``_session_settings``, the last hook, ends it.
            event.listen(engine, "connect", _autocommit_while_opening, insert=True)
            if parsed.get_driver_name() == "psycopg":
                event.listen(engine, "connect", _dump_id_lists)
                _first_look_in_one_statement(engine.dialect)
            event.listen(engine, "connect", _session_settings)
    _count_connections(engine)
    event.listen(engine, "commit", _committed)
    _quiet_pool_log()
    return engine


_commits = 0
"""Transactions this process has committed on its desks (reads end by rolling back)."""


def _committed(_connection: Connection) -> None:
    global _commits
    _commits += 1


def commits_made() -> int:
    """How many transactions this process has committed: a command's writes, a migration,
    a bulk load (a Ctrl-C's line says whether what a command changed is saved:
    ``cli/interrupts``). Counted as they are sent; a COMMIT that failed counts too, which
    errs on the side of "saved"."""
    return _commits


def _quiet_pool_log() -> None:
    """SQLAlchemy's pool logs a connection it could not reset as it came back (the server
    dropped it: "Exception during reset or similar") with its traceback; with no logging
    set up, Python's last-resort handler printed that to stderr, around a command's own
    output or its one-line error. The pool throws that connection away and the next use
    gets a new one: nothing for a person to act on. A ``NullHandler`` (what a library adds
    to its loggers) keeps it off stderr; logging that an application sets up still gets it.
    """
    import logging

    pool_log = logging.getLogger("sqlalchemy.pool")
    if not any(isinstance(handler, logging.NullHandler) for handler in pool_log.handlers):
        pool_log.addHandler(logging.NullHandler())


_SERVER_GONE = frozenset(("57P01", "57P02", "57P03"))
"""SQLSTATEs of a server that ended the session: admin shutdown (``pg_terminate_backend``,
a fast stop or restart), crash shutdown, cannot connect now."""


def _psycopg_disconnect(context: Any) -> None:
    """A psycopg error that means the connection is gone is a disconnect for SQLAlchemy,
    which then throws the connection away (and its pool's older ones) instead of rolling
    it back and putting it back in the pool.

    SQLAlchemy's psycopg dialect asks the connection (``closed``/``broken``), which is not
    always set yet when the error comes: after a server restart or a
    ``pg_terminate_backend`` a statement failed with "connection socket closed", the
    connection was kept, its rollback failed with "another command is already in
    progress" (the error the command then showed), and the pool printed a traceback.
    Errors the driver raises itself (no SQLSTATE: the socket, the protocol) and the
    server's connection-class and shutdown ones are disconnects; any other error the
    server reports (a lock timeout, a cancelled statement) is not."""
    if context.is_disconnect:
        return
    import psycopg  # (loaded: this engine's driver raised the error)

    error = context.original_exception
    if not isinstance(error, psycopg.OperationalError):
        return
    state = error.sqlstate
    if state is None or state.startswith("08") or state in _SERVER_GONE:
        context.is_disconnect = True


def _start_with(engine: Engine, early: _EarlyConnection) -> None:
    """The engine's first connection is ``early``'s, if it fits (``_EarlyConnection.take``)."""

    @event.listens_for(engine, "do_connect", once=True)
    def _first(_dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        return early.take(cargs, cparams)


def _first_look_in_one_statement(dialect: Any) -> None:
    """SQLAlchemy's first look at a psycopg connection's server (``dialect.initialize``)
    in one statement instead of four, each a round trip before the command's first.

    The server reports its version and ``standard_conforming_strings`` when a connection
    starts, and psycopg keeps them (``connection.info``); the default schema and isolation
    level are read together. Given through the dialect's own hooks, on this dialect only
    (a hook SQLAlchemy no longer calls leaves its own statement in place): the same
    values as SQLAlchemy's statements (a test compares them)."""
    isolation: list[str] = []
    own_isolation = dialect.get_default_isolation_level

    def server_version(connection: Connection) -> tuple[int, ...]:
        number = int(_driver_info(connection).server_version)
        if number >= 100000:  # PostgreSQL 10 on: major * 10000 + minor
            return (number // 10000, number % 10000)
        return (number // 10000, number // 100 % 100, number % 100)

    def default_schema(connection: Connection) -> str | None:
        schema, level = connection.exec_driver_sql(
            "SELECT current_schema(), current_setting('transaction_isolation')"
        ).one()
        isolation.append(str(level).upper())
        return None if schema is None else str(schema)

    def default_isolation(dbapi_connection: Any) -> Any:
        return isolation.pop() if isolation else own_isolation(dbapi_connection)

    def backslash_escapes(connection: Connection) -> None:
        scs = _driver_info(connection).parameter_status("standard_conforming_strings")
        dialect._backslash_escapes = scs == "off"

    dialect._get_server_version_info = server_version
    dialect._get_default_schema_name = default_schema
    dialect.get_default_isolation_level = default_isolation
    dialect._set_backslash_escapes = backslash_escapes


def _driver_info(connection: Connection) -> Any:
    """What psycopg knows of the connection's server (``psycopg.Connection.info``)."""
    driver: Any = connection.connection.dbapi_connection
    return driver.info


def _ping_when_rested(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, but only for a connection back in the pool longer
    than ``PING_AFTER_IDLE_S``, or one the server sent something while it rested
    (:func:`spoke_while_idle`: what a server that ends a session sends, then it closes the
    socket): one the server dropped is replaced before it is used. A command whose server
    restarted between two of its statements went on with the dead connection and failed."""

    @event.listens_for(engine, "checkin")
    def _rested(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_RESTED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        rested = record.info.get(_RESTED)
        if rested is None:
            return
        if time.monotonic() - rested < PING_AFTER_IDLE_S and not spoke_while_idle(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError(str(error)) from error  # the pool connects again


def spoke_while_idle(dbapi_connection: Any) -> bool:
    """Whether the server sent anything on an idle connection (no round trip: a look at
    its socket). A server ending the session (``pg_terminate_backend``, a stop or a restart)
    sends its reason and closes it; nothing else comes on an idle connection of the desk's
    (it listens for no notifications). True too for a connection the driver knows closed."""
    import select

    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return True
    try:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return False
    except Exception:  # (the driver's own "connection is closed")
        return True


def _count_connections(engine: Engine) -> None:
    """Keep ``connections_open`` up to date with the engine's pool. A connection closed
    some way the pool does not announce stays counted: the process then ends as usual."""

    @event.listens_for(engine, "connect")
    def _opened(dbapi_connection: Any, _record: Any) -> None:
        _open_connections.add(id(dbapi_connection))

    @event.listens_for(engine, "close")
    def _closed(dbapi_connection: Any, _record: Any) -> None:
        _open_connections.discard(id(dbapi_connection))

    @event.listens_for(engine, "close_detached")
    def _closed_detached(dbapi_connection: Any) -> None:
        _open_connections.discard(id(dbapi_connection))


PG_IO_CONCURRENCY = 16
"""Pages a bitmap heap scan asks the OS for ahead of reading them (PostgreSQL 18's
default for ``effective_io_concurrency``; older servers' is 1, one page at a time)."""
PG_PLAN_CACHE_MODE = "force_custom_plan"
"""Every statement planned for its own values, prepared or not (``_session_settings``)."""
PG_PARALLEL_SETUP_COST = 3000
"""The planner's price for starting parallel workers (``parallel_setup_cost``; PostgreSQL's
default is 1000). Each command is a new connection, whose workers start cold: the report's
percentile statement (eight small index scans, which the default price let through as a
Parallel Append under a Gather) took a median 10.4 ms with two workers against 4.6 alone
at 100k tickets, 19.6 against 9.5 at 500k. Three times the price keeps a parallel plan for a
statement whose work saves that much more."""


def _dump_id_lists(dbapi_connection: Any, _record: Any) -> None:
    """A new psycopg connection sends an :class:`~helpdesk_tui.storage.types.IdList` as
    the ``integer[]`` text it holds, made once (the ``IdArray`` parameters)."""
    from psycopg.adapt import Dumper

    from helpdesk_tui.storage.types import IdList

    class IdListDumper(Dumper):
        oid = dbapi_connection.adapters.types["int4"].array_oid

        def dump(self, obj: IdList) -> bytes:
            return obj.text

    dbapi_connection.adapters.register_dumper(IdList, IdListDumper)


def _autocommit_while_opening(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.autocommit = True


def _session_settings(dbapi_connection: Any, _record: Any) -> None:
    """A new PostgreSQL connection's settings, each unless the server was configured
    otherwise (left at its default; an admin's value is kept), in one statement:

    - it reads ahead ``PG_IO_CONCURRENCY`` pages in a bitmap heap scan (or none, where the
      server cannot prefetch: 0). A search gathers its matches through a GIN index, one
      heap page each, in no order the OS can guess: on a freshly started server with a
      cold OS cache, "monitor" in all open tickets at 100k read its 1,070 message pages one
      by one in 100-150 ms, and in 25 ms asking for them ahead;
    - its planner prices parallel workers at ``PG_PARALLEL_SETUP_COST``;
    - it plans every statement for the values it is given (``plan_cache_mode``
      ``force_custom_plan``). psycopg prepares a statement the fifth time a connection runs
      it, and after five more runs PostgreSQL may switch that prepared statement to one
      generic plan for any values: a search's plan made without its words (``@@
      to_tsquery($1)``) took 4.3 ms where the words' own plan took 0.5, the search's
      ranked first page 12 ms against 0.66 — in the terminal UI and the warm server, whose
      connections live long, from the sixth search on. A CLI verb's new connection never
      got there; planning anew costs it nothing it did not pay before.

    In autocommit (``_autocommit_while_opening``): the settings last for the session all
    the same, without a ``BEGIN`` and a ``COMMIT`` (two round trips in every command). The
    connection's transactions start as SQLAlchemy expects after it."""
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute(
            "SELECT set_config(name, CASE name WHEN 'parallel_setup_cost' THEN %s"
            " WHEN 'plan_cache_mode' THEN %s ELSE %s END,"
            " false) FROM pg_settings WHERE source = 'default'"
            " AND (name = 'effective_io_concurrency' AND setting = '1'"
            " OR name IN ('parallel_setup_cost', 'plan_cache_mode'))",
            (str(PG_PARALLEL_SETUP_COST), PG_PLAN_CACHE_MODE, str(PG_IO_CONCURRENCY)),
        )
        cursor.close()
    finally:
        dbapi_connection.autocommit = False


def _sqlite_engine(url: str, path: str | None, *, echo: bool, create: bool) -> Engine:
    import sqlite3  # (SQLite's alone: a PostgreSQL desk's verbs do without it)

    timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
    file = Path(path) if path and path != ":memory:" else None
    extra: dict[str, Any] = {}
    if file is not None:
        if create:
            file.parent.mkdir(parents=True, exist_ok=True)
            if not file.exists():
                sqlite_files.create_database_file(file)
        elif not file.exists() or file.stat().st_size == 0:
            raise NoDesk(file)
        elif problem := sqlite_files.access_problem(file):
            raise DeskUnusable(problem)
        else:
            # Open, never create: a file deleted after the check above stays missing.
            uri = f"file:{quote(str(file))}?mode=rw"
            extra["creator"] = lambda: sqlite3.connect(
                uri, uri=True, timeout=timeout, check_same_thread=False
            )
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": timeout, "check_same_thread": False},
        **extra,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        if file is not None:
            sqlite_files.repair_companions(file)
        # Hand transaction control to the "begin" hook below (pysqlite's own is not usable).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        _optimize(cursor, on_open=True)
        cursor.close()

    @event.listens_for(engine, "close")
    def _on_close(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        _optimize(cursor, on_open=False)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        # Each transaction sets the busy timeout it needs (a pooled connection may come
        # from a brief write); the PRAGMA is only run when the value changes.
        busy_timeout = options.get(_BUSY_TIMEOUT, SQLITE_BUSY_TIMEOUT_MS)
        info = conn.connection.info
        if info.get(_BUSY_TIMEOUT, SQLITE_BUSY_TIMEOUT_MS) != busy_timeout:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(busy_timeout)}")
            info[_BUSY_TIMEOUT] = busy_timeout
        # Likewise where temporary files go (``Database.write(bulk=True)``); it is read
        # when the transaction begins, and can only change outside one.
        temp_store = options.get(_TEMP_STORE, "DEFAULT")
        if info.get(_TEMP_STORE, "DEFAULT") != temp_store:
            conn.exec_driver_sql(f"PRAGMA temp_store={temp_store}")
            info[_TEMP_STORE] = temp_store
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(_IMMEDIATE, False) else "BEGIN")

    return engine


def _optimize(cursor: sqlite3.Cursor, *, on_open: bool) -> None:
    """``PRAGMA optimize`` as SQLite recommends: when a connection opens and before it closes.

    It re-analyses (sampled, see ``analysis_limit``) only tables whose statistics are
    missing or stale, usually nothing. It must never hold anyone up: it gives up at once
    if another connection is writing, and a failure is not an error for the caller.
    """
    import sqlite3

    with suppress(sqlite3.Error):
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.execute("PRAGMA optimize=0x10002" if on_open else "PRAGMA optimize")
    with suppress(sqlite3.Error):
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def dialect_name(reader: Reader) -> str:
    """``sqlite`` or ``postgresql``, from a session or a connection."""
    if isinstance(reader, Connection):
        return reader.dialect.name
    return reader.get_bind().dialect.name


def connection_of(reader: Reader) -> Connection:
    """The Core connection of a session's transaction (or the connection itself)."""
    return reader if isinstance(reader, Connection) else reader.connection()


def upsert_insert(dialect: str) -> Any:
    """The dialect's ``insert`` (the one with ``on_conflict_do_…``), imported on use: a
    SQLite desk never loads the PostgreSQL dialect (a tenth of a CLI verb's start)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert
