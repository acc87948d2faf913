"""Unique-key races in mail intake: another writer stored the message (or its contact)
between the batch's lookups and its write. Whatever the engine and whichever writer
(SQLAlchemy or the driver's own COPY/executemany), it ends as the duplicate it is; real
database trouble still aborts the whole batch."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, Table, event
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from helpdesk_tui.desk import intake_rows, quarantine
from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.intake_rows import Lookups
from helpdesk_tui.desk.opening import desk_errors
from helpdesk_tui.mail.ingest import IngestConfig, ingest_batch, read_message
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import Outcome, ProcessedMail

from .mailbuild import config_for, email, mail_settings, tickets

pytestmark = pytest.mark.usefixtures("admin")


@pytest.fixture
def config() -> IngestConfig:
    return config_for(mail_settings())


def _between_lookups_and_write(
    monkeypatch: pytest.MonkeyPatch, action: Callable[[Session], None]
) -> None:
    """``action`` runs once, right after the batch's first lookups: what another writer
    does while this batch decides."""
    real_load = Lookups.load
    done: list[bool] = []

    def load(self: Lookups, wanted: object) -> None:
        real_load(self, wanted)  # type: ignore[arg-type]
        if not done:
            done.append(True)
            action(self.session)

    monkeypatch.setattr(Lookups, "load", load)


def _other_writer(
    db: Database, config: IngestConfig, raws: list[bytes]
) -> Callable[[Session], None]:
    """The same messages stored by another poller: on PostgreSQL in its own connection,
    committed; on SQLite (whose batch holds the write lock) in this transaction."""

    def store(session: Session) -> None:
        items = [read_message(raw, None, config) for raw in raws]
        if db.engine.dialect.name == "sqlite":
            ingest_batch(session, items, config)
            return
        with db.write() as other:
            ingest_batch(other, items, config)

    return store


@pytest.mark.parametrize("copy", ["same bytes", "another mailbox's copy"])
def test_a_message_another_poller_stored_meanwhile_is_a_duplicate(
    db: Database, config: IngestConfig, monkeypatch: pytest.MonkeyPatch, copy: str
) -> None:
    raw = email(subject="Printer on fire")
    theirs = raw if copy == "same bytes" else b"Delivered-To: sales@desk.test\r\n" + raw
    other = email(sender="bob@example.org", subject="Scanner too")
    _between_lookups_and_write(monkeypatch, _other_writer(db, config, [theirs]))
    with db.write() as session:
        results = ingest_batch(
            session, [read_message(r, None, config) for r in (raw, other)], config
        )
    assert [(r.outcome, r.duplicate) for r in results] == [
        (Outcome.TICKET, True),
        (Outcome.TICKET, False),
    ]
    assert sorted(t.subject for t in tickets(db)) == ["Printer on fire", "Scanner too"]
    with db.read() as session:
        assert quarantine.list_held(session) == []
        assert len(session.exec(select(ProcessedMail)).all()) == 2


def test_a_contact_another_poller_made_meanwhile_is_used(
    db: Database, config: IngestConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = email(sender="Cy <cy@example.org>", subject="First")
    second = email(sender="Cy <cy@example.org>", subject="Second")
    _between_lookups_and_write(monkeypatch, _other_writer(db, config, [first]))
    with db.write() as session:
        [result] = ingest_batch(session, [read_message(second, None, config)], config)
    assert (result.outcome, result.duplicate) == (Outcome.TICKET, False)
    assert sorted(t.subject for t in tickets(db)) == ["First", "Second"]
    with db.read() as session:
        assert quarantine.list_held(session) == []


@contextmanager
def _trouble(db: Database, what: str) -> Iterator[Callable[[Connection], None]]:
    """What goes wrong under the batch as it writes its events (by the driver's own COPY or
    executemany): the connection is ``gone`` (PostgreSQL's server ends it; SQLite's file
    may grow no more: disk full), or the write is ``refused`` (PostgreSQL: a table another
    transaction locks, past the lock timeout; SQLite: a database gone read-only)."""
    sqlite = db.engine.dialect.name == "sqlite"
    with contextlib.ExitStack() as stack:
        if what == "refused" and not sqlite:
            locker = stack.enter_context(db.write_rows())
            locker.exec_driver_sql("LOCK TABLE event IN SHARE MODE")

        def fail(conn: Connection) -> None:
            if sqlite and what == "gone":
                pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
                conn.exec_driver_sql(f"PRAGMA max_page_count = {int(pages)}")
            elif sqlite:
                conn.exec_driver_sql("PRAGMA query_only = ON")
            elif what == "gone":
                pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
                with db.read_rows(autocommit=True) as other:
                    other.exec_driver_sql("SELECT pg_terminate_backend(%s, 60000)", (pid,))
            else:
                conn.exec_driver_sql("SET LOCAL lock_timeout = '10ms'")

        yield fail


@pytest.mark.parametrize("what", ["gone", "refused"])
def test_database_trouble_mid_batch_counts_nothing(
    db: Database, config: IngestConfig, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    """Not one message quarantined for the database's trouble: the batch fails whole (the
    poller tries it again), whichever writer met it."""
    real_insert = intake_rows.insert_rows
    raws = [email(subject=f"Message {n}", body="text " * 200) for n in range(100)]
    with _trouble(db, what) as fail:

        def insert_rows(conn: Connection, table: Table, rows: list[Any], **kw: Any) -> None:
            if table.name == "event":
                fail(conn)
            real_insert(conn, table, rows, **kw)

        monkeypatch.setattr(intake_rows, "insert_rows", insert_rows)
        with pytest.raises(DBAPIError), db.write() as session:
            ingest_batch(session, [read_message(r, None, config) for r in raws], config)
    db.dispose()  # (SQLite: the page limit and read-only setting go with its connections)
    assert tickets(db) == []
    with db.read() as session:
        assert session.exec(select(ProcessedMail)).all() == []
        assert quarantine.list_held(session) == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # (PostgreSQL's goes by SQL)
def test_a_big_message_the_file_refuses_is_one_line_not_a_traceback(
    db: Database, db_url: str, config: IngestConfig
) -> None:
    """A message over 1 MiB is written into its row through SQLite's blob handle, the
    driver's own call: the file gone read-only under it (or full) left as a raw
    ``sqlite3.OperationalError``, a traceback in ``helpdesk mail run``. It leaves as
    SQLAlchemy's, so the front doors' ``desk_errors`` show one line; nothing is kept."""

    def refuse(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "zeroblob" in statement:  # (rows and zeroblob written: the file turns read-only)
            cursor.connection.execute("PRAGMA query_only = ON")

    event.listen(db.engine, "after_cursor_execute", refuse)
    raw = email(subject="Big", body=("x" * 76 + "\n") * 16_000)
    with pytest.raises(DeskError) as refused, desk_errors(db_url), db.write() as session:
        ingest_batch(session, [read_message(raw, None, config)], config)
    event.remove(db.engine, "after_cursor_execute", refuse)
    db.dispose()  # (the read-only setting goes with its connection)
    assert "readonly database" in str(refused.value)
    assert "\n" not in str(refused.value)
    assert tickets(db) == []
