from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    any_,
    bindparam,
    func,
    inspect,
    literal,
    select,
    text,
)
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, StatementError
from sqlmodel import Session, col

from helpdesk_tui.storage import database as database_module
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import (
    BRIEF_LOCK_WAIT_MS,
    PG_IO_CONCURRENCY,
    PG_PARALLEL_SETUP_COST,
    PG_PLAN_CACHE_MODE,
    SQLITE_BUSY_TIMEOUT_MS,
    Database,
    load_driver,
)
from helpdesk_tui.storage.models import Message, Organization, Tag, Team, Ticket
from helpdesk_tui.storage.types import IdArray, IdList, UTCDateTime
from tests.conftest import sqlite_url

QUEUE_INDEXES = {
    "ticket": [
        ["status", "updated_at", "id"],
        ["assignee_id", "status", "updated_at", "id"],
        ["team_id", "status", "updated_at", "id"],
        ["status", "priority_rank", "id"],
        ["updated_at", "id"],
        ["requester_id", "created_at"],
        ["number"],
    ],
    "ticket_tag": [
        ["tag_id", "status", "updated_at", "ticket_id"],
        ["tag_id", "assignee_id", "status", "updated_at", "ticket_id"],
    ],
    "message": [["ticket_id", "created_at", "id"]],
    "event": [["ticket_id", "ticket_version"], ["created_at", "id"]],
}


@pytest.fixture
def sqlite_db(tmp_path: Path, _migrated_sqlite: Path) -> Iterator[Database]:
    """A migrated SQLite desk: a copy of the session's, as ``db``'s are (each test ran every
    migration before; ``test_schema_state_of_an_empty_and_of_a_migrated_database`` runs
    them)."""
    url = sqlite_url(tmp_path)
    shutil.copy(_migrated_sqlite, url.removeprefix("sqlite:///"))
    database = Database(url)
    yield database
    database.dispose()


def test_sqlite_pragmas_hold_on_every_connection(sqlite_db: Database) -> None:
    db = sqlite_db
    # Two connections at once: the pragmas are set per connection, not once per file.
    with db.engine.connect() as first, db.engine.connect() as second:
        for conn in (first, second):
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS


def test_an_own_connection_writes_and_its_settings_end_with_it(sqlite_db: Database) -> None:
    db = sqlite_db
    with db.own_connection() as conn, conn.begin():
        conn.exec_driver_sql("PRAGMA cache_size = -65536")
        conn.exec_driver_sql("CREATE TABLE own_probe (n INTEGER)")
        conn.exec_driver_sql("INSERT INTO own_probe VALUES (1)")
    with db.read() as session:
        conn = session.connection()
        assert conn.exec_driver_sql("SELECT n FROM own_probe").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -2000


def _lock_wait(session: Session) -> str:
    """How long this transaction waits for another's lock, as the engine says it."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        return f"{conn.exec_driver_sql('PRAGMA busy_timeout').scalar()}ms"
    return str(conn.exec_driver_sql("SHOW lock_timeout").scalar())


def test_a_brief_write_waits_briefly_and_only_it(db: Database) -> None:
    """Heartbeats write with ``brief``: a short lock wait in that transaction, the full one
    again in the next transaction on the same pooled connection."""
    brief, full = f"{BRIEF_LOCK_WAIT_MS}ms", f"{SQLITE_BUSY_TIMEOUT_MS}ms"
    if not db.is_sqlite:
        brief, full = f"{BRIEF_LOCK_WAIT_MS // 1000}s", "0"  # PostgreSQL: no limit by default
    with db.write(brief=True) as session:
        assert _lock_wait(session) == brief
    with db.write() as session:
        assert _lock_wait(session) == full
    with db.read() as session:
        assert _lock_wait(session) == full


BRIEF_WAIT_FOR_TESTS_MS = 50
"""The brief lock wait while a test holds the lock: the test sat through the real one
(``BRIEF_LOCK_WAIT_MS``, 1 s per engine) to see the write fail; its value is checked by
``test_a_brief_write_waits_briefly_and_only_it``."""


def test_a_brief_write_on_a_locked_desk_fails_instead_of_waiting_out_the_busy_timeout(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database_module, "BRIEF_LOCK_WAIT_MS", BRIEF_WAIT_FOR_TESTS_MS)
    other = Database(db.url)
    try:
        with other.write() as holder:
            if not other.is_sqlite:  # on SQLite, BEGIN IMMEDIATE locks every other writer out
                holder.connection().exec_driver_sql("LOCK TABLE agent IN EXCLUSIVE MODE")
            with (
                pytest.raises(OperationalError, match=r"locked|lock timeout"),
                db.write(brief=True) as session,
            ):
                session.connection().exec_driver_sql("UPDATE agent SET name = name WHERE id = 0")
    finally:
        other.dispose()


def _analyzed(db: Database, tables: tuple[str, ...]) -> set[str]:
    """Which of ``tables`` have statistics."""
    with db.read() as session:
        if db.is_sqlite:
            found = session.execute(select(text("tbl")).select_from(text("sqlite_stat1")))
        else:
            found = session.execute(
                text(
                    "SELECT DISTINCT starelid::regclass::text FROM pg_statistic "
                    "WHERE starelid = ANY(CAST(:tables AS regclass[]))"
                ),
                {"tables": list(tables)},
            )
        return {name for (name,) in found} & set(tables)


def test_statistics_of_some_tables_or_of_all_but_some(db: Database) -> None:
    """A bulk loader analyzes the tables it has finished with while it writes the others."""
    with db.write() as session:
        session.add_all([Tag(name="vpn"), Team(name="Network"), Organization(name="Acme")])
    tables = ("organization", "tag", "team")
    db.refresh_statistics(("tag",))
    assert _analyzed(db, tables) == {"tag"}
    db.refresh_statistics(but=("organization",))
    assert _analyzed(db, tables) == {"tag", "team"}
    db.refresh_statistics()
    assert _analyzed(db, tables) == set(tables)


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError), db.write() as session:
        session.add(Message(ticket_id=987_654, kind="note", body="orphan"))
        session.flush()


def test_aware_datetimes_round_trip_as_the_same_instant_in_utc(db: Database) -> None:
    probe = Table("tz_probe", MetaData(), Column("id", Integer, primary_key=True))
    probe.append_column(Column("at", UTCDateTime()))
    probe.create(db.engine)
    plus_five = timezone(timedelta(hours=5, minutes=30))
    stored = [
        # 1 µs after the next one, though its wall-clock reading is hours earlier.
        datetime(2024, 10, 27, 1, 0, 0, 2, tzinfo=UTC),
        datetime(2024, 10, 27, 6, 30, 0, 1, tzinfo=plus_five),
        datetime(1999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-8))),
    ]
    with db.engine.begin() as conn:
        conn.execute(probe.insert(), [{"id": i, "at": at} for i, at in enumerate(stored)])
    with db.engine.connect() as conn:
        read = conn.execute(select(probe.c.at).order_by(probe.c.at)).scalars().all()
        later = conn.execute(select(probe.c.id).where(probe.c.at > stored[1])).scalars().all()
    assert read == sorted(stored)  # same instants, in time order across offsets
    assert all(at.tzinfo is not None and at.utcoffset() == timedelta(0) for at in read)
    assert later == [0]


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"), db.write() as session:
        session.execute(select(Ticket.id).where(col(Ticket.created_at) > datetime(2024, 1, 1)))


def test_the_indexes_that_serve_the_queue_exist(db: Database) -> None:
    inspector = inspect(db.engine)
    for table, wanted in QUEUE_INDEXES.items():
        indexed = [list(i["column_names"]) for i in inspector.get_indexes(table)]
        indexed += [list(u["column_names"]) for u in inspector.get_unique_constraints(table)]
        for columns in wanted:
            assert columns in indexed, f"{table}: no index on {columns}"


@pytest.mark.parametrize(
    ("where", "order", "index"),
    [
        ("status = 'open'", "updated_at DESC, id DESC", "ix_ticket_status_updated"),
        (
            "assignee_id = 1 AND status = 'open'",
            "updated_at DESC, id DESC",
            "ix_ticket_assignee_status_updated",
        ),
        (
            "team_id = 1 AND status = 'new'",
            "updated_at DESC, id DESC",
            "ix_ticket_team_status_updated",
        ),
        (
            "status = 'open'",
            "priority_rank DESC, id DESC",
            "ix_ticket_status_priority",
        ),
    ],
)
def test_sqlite_pages_the_queue_by_index_without_sorting(
    sqlite_db: Database, where: str, order: str, index: str
) -> None:
    """A page of the queue is an index walk: no full scan, no temporary sort of all tickets.

    SQLite only: PostgreSQL's planner rightly scans a near-empty table instead.
    """
    query = f"SELECT id FROM ticket WHERE {where} ORDER BY {order} LIMIT 50"
    with sqlite_db.engine.connect() as conn:
        plan = " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}"))
    assert index in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_shown_url_names_the_file_or_hides_the_password(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    database = Database(f"sqlite:///{path}")
    assert database.shown_url == str(path)
    database.dispose()
    database = Database("postgresql+psycopg://ada:s3cret@db.example.com/helpdesk")
    assert database.shown_url == "postgresql+psycopg://ada:***@db.example.com/helpdesk"
    database.dispose()


def test_schema_state_of_an_empty_and_of_a_migrated_database(db_url: str) -> None:
    """The version table is looked for (on PostgreSQL with ``to_regclass``, in the search
    path), and read when it is there."""
    database = Database(db_url)
    try:
        assert migrate.schema_state(database).is_empty
        migrate.upgrade(database)
        assert migrate.schema_state(database).is_latest
    finally:
        database.dispose()


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_postgresql_engine_does_not_look_up_hstore_on_connect(db_url: str) -> None:
    """No column is an HSTORE: the type lookup would be three more round trips per command."""
    database = Database(db_url)
    try:
        assert database.engine.dialect.use_native_hstore is False  # type: ignore[attr-defined]
    finally:
        database.dispose()


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_postgresql_connection_s_settings_unless_the_server_says_otherwise(
    db_url: str,
) -> None:
    """A new connection asks for ``PG_IO_CONCURRENCY`` pages ahead in a bitmap heap scan
    where the server left ``effective_io_concurrency`` at its old default (1), and prices
    parallel workers at ``PG_PARALLEL_SETUP_COST`` and plans each statement for its values
    (``PG_PLAN_CACHE_MODE``); a value the database was configured with is kept."""
    database = Database(db_url)
    show = (
        "SELECT current_setting('effective_io_concurrency'),"
        " current_setting('parallel_setup_cost'), current_setting('plan_cache_mode')"
    )
    try:
        with database.read_rows() as conn:
            shown = tuple(conn.exec_driver_sql(show).one())
            assert shown == (
                str(PG_IO_CONCURRENCY),
                str(PG_PARALLEL_SETUP_COST),
                PG_PLAN_CACHE_MODE,
            )
            name = conn.exec_driver_sql("SELECT current_database()").scalar()
        with database.own_connection() as conn, conn.begin():
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET effective_io_concurrency = 2')
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET parallel_setup_cost = 500')
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET plan_cache_mode = auto')
        database.dispose()
        with database.read_rows() as conn:
            assert tuple(conn.exec_driver_sql(show).one()) == ("2", "500", "auto")
    finally:
        database.dispose()


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_an_id_list_is_one_integer_array_written_out_once(db_url: str) -> None:
    """An ``IdList`` reaches PostgreSQL as the ``integer[]`` its text spells, made when
    the list is (not by psycopg, element by element, for each statement sending it)."""
    ids = IdList([3, 1, 2])
    assert ids.text == b"{3,1,2}"
    database = Database(db_url)
    try:
        with database.read_rows() as conn:
            param = bindparam("ids", ids, type_=IdArray())
            none = bindparam("none", IdList([]), type_=IdArray())
            found = conn.execute(
                select(func.cardinality(param), literal(2) == any_(param), func.cardinality(none))
            ).one()
            typed = conn.execute(select(func.pg_typeof(param))).scalar_one()
    finally:
        database.dispose()
    assert tuple(found) == (3, True, 0)
    assert typed == "integer[]"


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_postgresql_connection_is_opened_in_autocommit_and_then_works_in_transactions(
    db_url: str,
) -> None:
    """SQLAlchemy's first look at the server and our settings run without a BEGIN and a
    ROLLBACK around them; what the desk then runs on the connection is in a transaction."""
    database = Database(db_url)
    try:
        with database.engine.connect() as conn:
            assert conn.connection.dbapi_connection.autocommit is False  # type: ignore[union-attr]
            conn.exec_driver_sql("CREATE TABLE kept_or_not (id integer)")
            conn.rollback()
        with database.read_rows() as conn:
            found = conn.exec_driver_sql("SELECT to_regclass('kept_or_not') IS NULL").scalar()
            assert found is True
    finally:
        database.dispose()


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_an_autocommit_read_runs_without_a_transaction_and_the_next_read_has_one(
    db_url: str,
) -> None:
    database = Database(db_url)
    try:
        for autocommit, status in ((True, "IDLE"), (False, "INTRANS"), (True, "IDLE")):
            with database.read_rows(autocommit=autocommit) as conn:
                conn.exec_driver_sql("SELECT 1")
                dbapi = conn.connection.dbapi_connection
                assert dbapi.info.transaction_status.name == status  # type: ignore[union-attr]
    finally:
        database.dispose()


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_connection_back_in_the_pool_is_pinged_only_after_a_rest(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One used within ``PING_AFTER_IDLE_S`` goes without the round trip; one that rested
    longer is pinged, and replaced when its server process is gone."""
    database = Database(db_url)
    pings: list[Any] = []
    ping = database.engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(database.engine.dialect, "do_ping", counted)
    try:
        with database.read_rows() as conn:
            first = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with database.read_rows() as conn:
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() == first
        assert pings == []
        other = Database(db_url)
        try:
            with other.read_rows(autocommit=True) as conn:
                # (waits until the process is gone: PostgreSQL 14 and later)
                conn.exec_driver_sql(f"SELECT pg_terminate_backend({first}, 10000)")
        finally:
            other.dispose()
        monkeypatch.setattr(database_module, "PING_AFTER_IDLE_S", 0.0)
        with database.read_rows() as conn:
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != first
        assert len(pings) == 1
    finally:
        database.dispose()


@pytest.mark.parametrize("url", ["no such url", "postgresql+nosuchdriver://u@h/d", "nosuch://"])
def test_load_driver_leaves_an_unusable_url_to_the_database_to_refuse(url: str) -> None:
    load_driver(url)
    with pytest.raises((ArgumentError, ImportError)):
        Database(url)


PG_ONLY = pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@PG_ONLY
def test_an_early_connection_is_the_next_engines_first(db_url: str) -> None:
    """``load_driver(connect=True)`` opens the connection while the dialect imports; the
    engine made next for that URL starts with it, set up as any of its connections (our
    settings, the dialect's adapters: ``inet`` read as by another), and it is closed with it."""
    plain = Database(db_url)
    load_driver(db_url, connect=True)
    early = database_module._early_connections[db_url]
    database = Database(db_url)
    assert db_url not in database_module._early_connections
    probe = "SELECT current_setting('parallel_setup_cost'), '10.0.0.1'::inet"
    try:
        with database.read_rows() as conn:
            assert conn.connection.dbapi_connection is early.connection
            found = tuple(conn.exec_driver_sql(probe).one())
        with plain.read_rows() as conn:
            assert tuple(conn.exec_driver_sql(probe).one()) == found
        assert found[0] == str(PG_PARALLEL_SETUP_COST)
    finally:
        database.dispose()
        plain.dispose()
    assert early.connection.closed


@PG_ONLY
def test_an_early_connection_kept_too_long_is_closed_not_used(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database_module, "EARLY_CONNECTION_KEPT_S", 0.0)
    load_driver(db_url, connect=True)
    early = database_module._early_connections[db_url]
    database = Database(db_url)
    try:
        with database.read_rows() as conn:
            assert conn.connection.dbapi_connection is not early.connection
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
        assert early.connection.closed
    finally:
        database.dispose()


@pytest.mark.postgres
def test_an_early_connection_that_failed_fails_as_connecting_would() -> None:
    """A server that is not there: the engine's first connection raises what connecting
    would have raised (the same class, the same words)."""
    from tests.ports import closed_port

    port = closed_port()  # (nothing listens there while this process runs)
    url = f"postgresql+psycopg://helpdesk:s3cret@127.0.0.1:{port}/desk"
    raised = []
    before = database_module.connections_open()  # (an earlier test's, not yet collected)
    for connect in (False, True):
        load_driver(url, connect=connect)
        database = Database(url)
        try:
            with pytest.raises(OperationalError) as error, database.read_rows():
                pass
        finally:
            database.dispose()
        raised.append((type(error.value.orig), str(error.value.orig)))
    assert raised[0] == raised[1]
    assert database_module.connections_open() == before


def test_no_early_connection_but_on_psycopg(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    load_driver(url, connect=True)
    load_driver("postgresql+psycopg2://u@h/d", connect=True)
    assert database_module._early_connections == {}


@PG_ONLY
def test_sqlalchemys_first_look_at_the_server_is_one_statement_with_its_answers(
    db_url: str,
) -> None:
    """The dialect learns what SQLAlchemy's four statements tell it (version, default
    schema, isolation level, standard_conforming_strings) from what psycopg knows and one
    statement."""
    from sqlalchemy import create_engine

    own = create_engine(db_url)  # SQLAlchemy's first look, its own statements
    database = Database(db_url)
    seen: list[str] = []
    dialect: Any = database.engine.dialect
    for name in ("do_execute", "do_execute_no_params"):
        real = getattr(dialect, name)

        def counted(cursor: Any, statement: str, *args: Any, real: Any = real) -> None:
            seen.append(statement)
            real(cursor, statement, *args)

        setattr(dialect, name, counted)
    try:
        with own.connect():
            pass
        with database.engine.connect() as conn:
            statements_seen = list(seen)
            conn.exec_driver_sql("SELECT 1")
        names = (
            "server_version_info",
            "default_schema_name",
            "default_isolation_level",
            "_backslash_escapes",
        )
        for name in names:
            assert getattr(database.engine.dialect, name) == getattr(own.dialect, name), name
        assert own.dialect.default_isolation_level == "READ COMMITTED"
    finally:
        database.dispose()
        own.dispose()
    assert [s for s in statements_seen if "current_schema" in s or "version()" in s] == [
        "SELECT current_schema(), current_setting('transaction_isolation')"
    ]


def _end_backend(db_url: str, pid: int) -> None:
    """End a server process as an admin's ``pg_terminate_backend`` does (a fast stop or a
    restart ends every one the same way), and wait until it is gone. (On a connection of
    the driver's own: an engine made now would take a waiting early connection.)"""
    import psycopg

    with psycopg.connect(db_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,))


@PG_ONLY
def test_a_pooled_connection_the_server_ended_is_replaced_even_within_the_rest(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server ended the connection between two of a command's statements (restarted,
    stopped and started, an admin's ``pg_terminate_backend``), sooner than a rest calls
    for a ping: the server said so on the connection's socket, so it is pinged and replaced,
    and the statement runs. It failed with "terminating connection due to administrator
    command", a command's one line though the server was back."""
    monkeypatch.setattr(database_module, "PING_AFTER_IDLE_S", 3600.0)
    database = Database(db_url)
    try:
        with database.read_rows() as conn:
            first = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with database.read_rows() as conn:  # (no ping: the server said nothing)
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() == first
        assert isinstance(first, int)
        _end_backend(db_url, first)
        for use in (database.read_rows, database.write_rows):
            with use() as conn:
                assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != first
    finally:
        database.dispose()


@PG_ONLY
def test_an_early_connection_the_server_ended_is_not_used(db_url: str) -> None:
    """``load_driver(connect=True)`` opened a connection as the command started; the server
    ended it before the engine took it (a restart in those milliseconds): the engine
    connects anew. It took the dead one, and the command failed ("cannot open database…:
    terminating connection"; with the server stopped, that instead of "connection
    refused")."""
    load_driver(db_url, connect=True)
    early = database_module._early_connections[db_url]
    early._thread.join()
    _end_backend(db_url, early.connection.info.backend_pid)
    database = Database(db_url)
    try:
        with database.read_rows() as conn:
            assert conn.connection.dbapi_connection is not early.connection
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        database.dispose()
    assert early.connection.closed


UNKNOWN_STATE = """
import sys
from helpdesk_tui.storage.database import Database

database = Database(sys.argv[1])
try:
    with database.read_rows() as conn:
        conn.exec_driver_sql("SELECT 1")
        # A query the driver sent and never read: the connection's state is unknown, as
        # after a server that went away mid-statement ("connection socket closed").
        conn.connection.dbapi_connection.pgconn.send_query(b"SELECT 1")
        conn.exec_driver_sql("SELECT 2")
except Exception as error:
    print(type(error).__name__, error.connection_invalidated)
with database.read_rows() as conn:
    print(conn.exec_driver_sql("SELECT 3").scalar())
database.dispose()
"""


@PG_ONLY
def test_a_connection_in_an_unknown_state_is_thrown_away_without_a_traceback(
    db_url: str,
) -> None:
    """A statement fails with the driver's own error (no SQLSTATE: the socket, the
    protocol), the connection not yet marked broken: it is a disconnect, thrown away. It
    was rolled back and put back: the rollback failed ("another command is already in
    progress", the error a command then showed) and SQLAlchemy's pool printed "Exception
    during reset or similar" and three tracebacks on stderr. A real process, without
    pytest's logging."""
    done = subprocess.run(
        [sys.executable, "-c", UNKNOWN_STATE, db_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stderr == ""
    assert done.stdout.splitlines() == ["OperationalError True", "3"]


@PG_ONLY
def test_the_servers_refusals_are_not_disconnects(db_url: str) -> None:
    """A lock not granted in time (and any error the server reports but a lost session's)
    leaves the connection in the pool: only lost connections are thrown away."""
    database = Database(db_url)
    holder = Database(db_url)
    try:
        with holder.write_rows() as made:
            made.exec_driver_sql("CREATE TABLE held (x integer)")
        with holder.write_rows() as held:
            held.exec_driver_sql("LOCK TABLE held IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(OperationalError) as raised, database.write_rows() as conn:
                conn.exec_driver_sql("SET LOCAL lock_timeout = 10")
                conn.exec_driver_sql("SELECT count(*) FROM held")
        assert "lock timeout" in str(raised.value)
        assert not raised.value.connection_invalidated
    finally:
        holder.dispose()
        database.dispose()
