"""The poller survives what real deployments do to it: SIGKILL mid-batch, an IMAP outage."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import func, select

from helpdesk_tui.config import IntakeOptions
from helpdesk_tui.desk.actors import os_login
from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.mail.service import OUTBOX_LEASE, SLA_LEASE, MailService, poller_lease
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import Outcome, ProcessedMail
from helpdesk_tui.storage.models import Lease, Message, Ticket

from . import mail_run
from .mail_run import MailRun
from .mailbuild import (
    DESK,
    SECRET,
    email,
    server_settings,
    sqlite_database,
    tickets,
)
from .servers import DovecotServer, ImapAccount, SmtpServer
from .test_poller import append_all, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def sqlite_db(tmp_path: Path, _migrated_sqlite: Path) -> Iterator[Database]:
    yield from sqlite_database(tmp_path, _migrated_sqlite)


def count(db: Database, what: type) -> int:
    with db.read() as session:
        return int(session.exec(select(func.count()).select_from(what)).one())


def write_config(
    config_dir: Path,
    db: Database,
    dovecot: ImapAccount,
    *,
    lease_seconds: float = 2,
    smtp: SmtpServer | None = None,
) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "config.toml"
    text = f"""\
database_url = "{db.url}"

[mail]
addresses = ["{DESK}"]
message_id_secret = "{SECRET}"
batch_size = 10
lease_seconds = {lease_seconds}
reconnect_max = 1
poll_interval = 1
outbox_interval = 0.2

[mail.mailboxes.support]
host = "{dovecot.host}"
port = {dovecot.port}
security = "none"
user = "{dovecot.user}"
password = "{dovecot.password}"
"""
    if smtp is not None:
        text += f"""
[mail.smtp]
host = "{smtp.host}"
port = {smtp.port}
security = "none"
"""
    path.write_text(text)
    path.chmod(0o600)


def start_mail_run(
    config_dir: Path, log: Path, extra_env: dict[str, str] | None = None, hook: Path | None = None
) -> MailRun:
    """``helpdesk mail run`` on ``config_dir``'s config, its stderr appended to ``log``, in
    a process of its own (``tests/mail/mail_run.py``); ``hook``: a gate's (``Gate``)."""
    env = {**os.environ, **(extra_env or {}), "HELPDESK_CONFIG_DIR": str(config_dir)}
    return mail_run.start(env, log, hook)


GATE = 7_301
"""The advisory lock the mid-batch gate waits on (any number no other test takes)."""
GATED_AT = 30
"""Tickets the gate lets in: three batches of ``batch_size`` 10."""
MAILED = 60
"""The messages in the mailbox: the three batches the gate lets in, the fourth it holds and
two after it, the last with no Message-ID (found again by its bytes alone). (200 before:
the 140 more, imported by the restart, checked nothing the 20 after the gate do not.)"""

SQLITE_GATE = '''\
"""The mid-batch gate's hook in a ``helpdesk mail run`` under test (written by
tests/mail/test_poller_recovery.py): every SQLite connection gets the function
``test_gate()``, which the test's trigger calls in the transaction that adds the
ticket past the gate. It creates the marker file and waits there until the process is
killed. Nothing else changes: the poller runs its own code and transactions."""

import os
import sqlite3
import sqlite3.dbapi2
import time

_MARKER = os.environ["HELPDESK_TEST_GATE_MARKER"]
_connect = sqlite3.dbapi2.connect


def _gate():
    with open(_MARKER, "x"):
        pass
    time.sleep(600)  # the test kills the process long before; a hang guard, not a wait
    raise RuntimeError("test gate: never killed")


def _connect_with_gate(*args, **kwargs):
    connection = _connect(*args, **kwargs)
    connection.create_function("test_gate", 0, _gate)
    return connection


sqlite3.connect = sqlite3.dbapi2.connect = _connect_with_gate
'''


@dataclass(frozen=True)
class Gate:
    """How a test's first ``helpdesk mail run`` is held mid-batch: ``env`` and ``hook`` for
    the run (``start_mail_run``), ``waiting()`` whether one of its transactions waits at
    the gate."""

    env: dict[str, str]
    waiting: Callable[[], bool]
    hook: Path | None = None


@contextmanager
def gate_at(db: Database, tickets: int, scratch: Path) -> Iterator[Gate]:
    """A gate: once ``tickets`` tickets exist, the transaction that adds one more waits (a
    trigger on the ticket table) until the run is killed; yields the :class:`Gate`. The
    trigger is dropped on the way out, after the waiting transaction ended.

    On PostgreSQL the trigger waits on an advisory lock this test holds, and a waiting
    transaction shows in ``pg_locks``. SQLite's trigger calls ``test_gate()``, a function
    the run's own ``sitecustomize`` (on its ``PYTHONPATH``, and only the gated run's)
    gives each of its connections: it creates a marker file and sleeps, the batch's
    transaction open (its first ticket about to be written) and SQLite's write lock held,
    until the kill. (A test that took the write lock itself would stop the run at its
    pass's first write, before any fetch.) The restart runs without the hook or trigger."""
    if db.url.startswith("sqlite"):
        with _sqlite_gate(db, tickets, scratch) as gate:
            yield gate
    else:
        with _postgres_gate(db.url, tickets) as gate:
            yield gate


@contextmanager
def _sqlite_gate(db: Database, tickets: int, scratch: Path) -> Iterator[Gate]:
    hook, marker = scratch / "sitecustomize.py", scratch / "gate-reached"
    hook.write_text(SQLITE_GATE)
    env = {"HELPDESK_TEST_GATE_MARKER": str(marker)}
    with db.write() as session:
        session.connection().exec_driver_sql(
            "CREATE TRIGGER test_gate BEFORE INSERT ON ticket"
            f" WHEN (SELECT count(*) FROM ticket) >= {int(tickets)}"
            " BEGIN SELECT test_gate(); END"
        )
    try:
        yield Gate(env, marker.exists, hook)
    finally:
        # The killed run's write lock went with it; the restart runs without the hook.
        with db.write() as session:
            session.connection().exec_driver_sql("DROP TRIGGER test_gate")


@contextmanager
def _postgres_gate(url: str, tickets: int) -> Iterator[Gate]:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as holder:
        holder.execute(
            f"""
            CREATE FUNCTION test_gate() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF (SELECT count(*) FROM ticket) >= {int(tickets)} THEN
                    PERFORM pg_advisory_xact_lock({GATE});
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER test_gate BEFORE INSERT ON ticket
                FOR EACH ROW EXECUTE FUNCTION test_gate();
            """
        )
        holder.execute("SELECT pg_advisory_lock(%s)", (GATE,))

        def waiting() -> bool:
            row = holder.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND objid = %s AND database = (SELECT oid FROM pg_database"
                " WHERE datname = current_database())",
                (GATE,),
            ).fetchone()
            return row is not None and row[0] > 0

        try:
            yield Gate({}, waiting)
        finally:
            holder.execute("SELECT pg_advisory_unlock(%s)", (GATE,))
            holder.execute("DROP TRIGGER test_gate ON ticket; DROP FUNCTION test_gate()")


def test_sigkill_mid_batch_then_restart_imports_every_message_exactly_once(
    db: Database, dovecot: ImapAccount, tmp_path: Path
) -> None:
    """The first run is killed while it writes its fourth batch: three batches are in (not
    all of them moved yet, as a rule), the fourth's first ticket waits on the test's gate
    in its transaction, the rest is fetched ahead or not at all. The restart imports every
    message once and moves it once. (It was killed once 30 tickets were seen, which a
    loaded machine saw only after the run had imported all of them.)"""
    raws = [email(subject=f"Message {n}") for n in range(MAILED - 10)]
    raws += [email(subject=f"No id {n}", message_id=None) for n in range(10)]
    append_all(dovecot, raws)
    config_dir = tmp_path / "run-config"
    write_config(config_dir, db, dovecot)
    log = tmp_path / "mail-run.log"
    with db.write() as session:  # ``helpdesk mail run`` is for agents
        add_agent(session, None, os_login(), name="Mail service")

    with gate_at(db, GATED_AT, tmp_path) as gate:
        first = start_mail_run(config_dir, log, gate.env, gate.hook)
        try:
            wait_until(gate.waiting, what=f"the fourth batch at the gate (log: {log})")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        imported_before = count(db, Ticket)
    assert imported_before == GATED_AT, "killed while it was writing its fourth batch"

    second = start_mail_run(config_dir, log)
    try:
        wait_until(
            lambda: count(db, Ticket) == MAILED and dovecot.list_uids("INBOX") == [],
            what=f"all {MAILED} imported (log: {log})",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0, log.read_text()[-3000:]

    subjects = sorted(t.subject for t in tickets(db))
    assert subjects == sorted({t.subject for t in tickets(db)}), "no ticket twice"
    assert len(subjects) == MAILED
    assert count(db, Message) == MAILED
    with db.read() as session:
        outcomes = session.exec(select(ProcessedMail.outcome)).all()
    assert sorted(set(outcomes)) == [Outcome.TICKET] and len(outcomes) == MAILED
    assert dovecot.list_uids("INBOX") == []
    assert len(dovecot.list_uids("Processed")) == MAILED, "every message moved, none copied twice"


def leases_of(db: Database, pid: int) -> dict[str, Lease]:
    """The leases a process holds, by name."""
    with db.read() as session:
        rows = session.exec(select(Lease).where(Lease.pid == pid)).all()
    return {row.name: row for row in rows}


def test_a_restart_after_sigkill_takes_the_leases_at_once_and_works(
    sqlite_db: Database, dovecot: ImapAccount, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """The dead holder's leases run for ten minutes; the restarted process does not wait
    them out (it takes them well within the hang guard, which is shorter)."""
    names = {poller_lease("support"), OUTBOX_LEASE, SLA_LEASE}
    config_dir = tmp_path / "run-config"
    write_config(config_dir, sqlite_db, dovecot, lease_seconds=600, smtp=smtp_server)
    with sqlite_db.write() as session:  # ``helpdesk mail run`` is for agents
        add_agent(session, None, os_login(), name="Mail service")
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start_mail_run(config_dir, first_log)
    try:
        wait_until(lambda: set(leases_of(sqlite_db, first.pid)) == names, timeout=60, what="run")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    killed = leases_of(sqlite_db, first.pid)
    append_all(dovecot, [email(subject="Arrived while nobody ran")])

    second = start_mail_run(config_dir, second_log)
    try:
        wait_until(
            lambda: set(leases_of(sqlite_db, second.pid)) == names,
            what=f"the leases taken over (log: {second_log})",
        )
        taken = leases_of(sqlite_db, second.pid)
        wait_until(lambda: len(smtp_server.messages) == 1, what="acknowledged")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0, second_log.read_text()[-3000:]

    log = second_log.read_text()
    for name in names:
        # No wall clock: the new holder's lease started before the dead one's would have ended,
        # and the new process says why it could take it.
        assert taken[name].acquired_at < killed[name].expires_at, name
        reason = (
            f"took lease {name} as {taken[name].holder} (dead holder from {killed[name].holder})"
        )
        assert reason in log, log[-3000:]
    [ticket] = tickets(sqlite_db)
    assert ticket.subject == "Arrived while nobody ran"


def deliver_while_down(server: DovecotServer, account: ImapAccount, raw: bytes) -> None:
    """What the MTA does while IMAP is down: drop the message into the user's Maildir."""
    maildir = server.root / "home" / account.user / "Maildir"
    owner = maildir.stat()
    name = f"{time.time():.6f}.{uuid.uuid4().hex}.test"
    temporary, final = maildir / "tmp" / name, maildir / "new" / name
    temporary.write_bytes(raw)
    os.chown(temporary, owner.st_uid, owner.st_gid)
    temporary.rename(final)


def test_dovecot_down_through_several_failed_reconnects_then_back_imports_what_arrived(
    sqlite_db: Database, dovecot: ImapAccount, dovecot_server: DovecotServer
) -> None:
    """Down long enough for the reconnect wait to reach its cap (``reconnect_max``) and go on
    failing there: counted in failed attempts, each recorded with its own time, not waited
    out in seconds. (The cap is a twentieth of a second, below the first wait, 1 s: every
    wait is at the cap from the first. With a 2 s cap the test waited 1 + 2 + 2 s for the
    fourth failure and up to 2 s more for the reconnect, some 6 s of a worker's time
    asleep; with a quarter second's, 1 s.)"""
    settings = server_settings(dovecot, reconnect_max=0.05, poll_interval=300)
    service = MailService(sqlite_db, IntakeOptions(settings))
    service.start()
    failures: set[datetime] = set()

    def failed_attempts() -> int:
        [folder] = service.status().folders
        if folder.last_error and "cannot reach" in folder.last_error and folder.last_error_at:
            failures.add(folder.last_error_at)
        return len(failures)

    try:
        dovecot.append("INBOX", email(subject="before"))
        wait_until(lambda: count(sqlite_db, Ticket) == 1, what="first import")

        dovecot.stop()
        for n in range(3):
            deliver_while_down(dovecot_server, dovecot, email(subject=f"during {n}"))
        # The fourth failure comes after three waits at the cap.
        wait_until(lambda: failed_attempts() >= 4, timeout=60, what="failed reconnects")
        dovecot.start()

        wait_until(lambda: count(sqlite_db, Ticket) == 4, what="catch-up")
        wait_until(lambda: dovecot.list_uids("INBOX") == [], what="moved")
        wait_until(lambda: service.status().last_error is None, what="error cleared")
    finally:
        service.stop()
    assert sorted(t.subject for t in tickets(sqlite_db)) == [
        "before",
        "during 0",
        "during 1",
        "during 2",
    ]
