"""The poller against a real Dovecot: import, then \\Seen and move; catch up after failures."""

from __future__ import annotations

import base64
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar, overload

import pytest
from imapclient.exceptions import LoginError
from sqlalchemy import update
from sqlmodel import select

from helpdesk_tui.config import IntakeOptions
from helpdesk_tui.desk import quarantine
from helpdesk_tui.desk.actors import SYSTEM
from helpdesk_tui.desk.attachments import list_attachments
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.mail_reads import folder_statuses
from helpdesk_tui.desk.mailstate import key_hash
from helpdesk_tui.mail.poller import _MOVE_BATCHES, MailboxPoller, connect, describe_error
from helpdesk_tui.mail.service import MailService, read_status
from helpdesk_tui.mail_settings import MailSettings
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import MailFolderState, ProcessedMail
from helpdesk_tui.storage.models import Event, Message
from tests.conftest import HANG_SECONDS

from .mailbuild import (
    config_for,
    email,
    messages,
    outbox,
    server_settings,
    sqlite_database,
    tickets,
)
from .servers import ImapAccount
from .test_ingest_quarantine import nested_too_deep

SEEN = b"\\Seen"
AnyPoller = TypeVar("AnyPoller", bound=MailboxPoller)


@pytest.fixture
def sqlite_db(tmp_path: Path, _migrated_sqlite: Path) -> Iterator[Database]:
    yield from sqlite_database(tmp_path, _migrated_sqlite)


@overload
def poller(db: Database, settings: MailSettings) -> MailboxPoller: ...
@overload
def poller(db: Database, settings: MailSettings, kind: type[AnyPoller]) -> AnyPoller: ...
def poller(
    db: Database, settings: MailSettings, kind: type[MailboxPoller] = MailboxPoller
) -> MailboxPoller:
    """The ``support`` mailbox's poller (``kind``: the real one, or a test's subclass of it)."""
    return kind(
        db,
        "support",
        settings.mailboxes["support"],
        settings,
        config_for(settings),
        stop=threading.Event(),
    )


def wait_until(
    condition: Callable[[], bool], timeout: float = HANG_SECONDS, what: str = ""
) -> None:
    """Wait for ``condition``; ``timeout`` guards against a hang, it checks no speed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or condition}")


def append_all(dovecot: ImapAccount, raws: Sequence[bytes]) -> None:
    with dovecot.connect() as client:
        for raw in raws:
            client.append("INBOX", raw)


def test_poll_imports_then_marks_seen_and_moves(db: Database, dovecot: ImapAccount) -> None:
    settings = server_settings(dovecot)
    append_all(dovecot, [email(subject=f"Problem {n}") for n in range(3)])

    assert poller(db, settings).run_once() == 3

    assert [t.subject for t in tickets(db)] == ["Problem 0", "Problem 1", "Problem 2"]
    assert dovecot.list_uids("INBOX") == []
    moved = dovecot.fetch_flags("Processed")
    assert len(moved) == 3 and all(SEEN in flags for flags in moved.values())
    with db.read() as session:
        [state] = folder_statuses(session)
    assert (state.last_uid, state.backlog, state.last_error) == (3, 0, None)
    assert state.last_poll_at is not None
    assert poller(db, settings).run_once() == 0


def test_a_poll_stamps_by_the_desks_clock(db: Database, dovecot: ImapAccount) -> None:
    """The ticket, its acknowledgement (due then: the sender on the same clock sends it) and
    the folder's last poll are the desk's time, not the wall's."""
    monday = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    settings = server_settings(dovecot)
    append_all(dovecot, [email(subject="Printer")])
    box = settings.mailboxes["support"]
    stop = threading.Event()
    config = config_for(settings)
    found = MailboxPoller(db, "support", box, settings, config, stop=stop, clock=lambda: monday)
    assert found.run_once() == 1
    [ticket] = tickets(db)
    [ack] = outbox(db)
    assert ticket.created_at == monday and ack.next_attempt_at == monday
    with db.read() as session:
        [state] = folder_statuses(session)
    assert state.last_poll_at == monday


class _DropsBeforeMove(MailboxPoller):
    """A poller whose connection dies right after the commit, before the messages move."""

    dropped = False

    def _finish(self, client: object, uids: Sequence[int], outcomes: dict[int, str]) -> None:
        if not self.dropped and uids:
            self.dropped = True
            raise ConnectionResetError("connection lost after the commit")
        super()._finish(client, uids, outcomes)  # type: ignore[arg-type]


def test_messages_committed_but_not_moved_are_moved_later_not_imported_again(
    sqlite_db: Database, dovecot: ImapAccount
) -> None:
    settings = server_settings(dovecot)
    append_all(dovecot, [email(subject="one"), email(subject="two")])
    crashing = poller(sqlite_db, settings, _DropsBeforeMove)
    with pytest.raises(ConnectionResetError):
        crashing.run_once()
    assert len(tickets(sqlite_db)) == 2
    assert len(dovecot.list_uids("INBOX")) == 2, "still in the inbox, still unread"
    assert all(SEEN not in f for f in dovecot.fetch_flags("INBOX").values())

    assert poller(sqlite_db, settings).run_once() == 0

    assert len(tickets(sqlite_db)) == 2
    assert dovecot.list_uids("INBOX") == [] and len(dovecot.list_uids("Processed")) == 2


def test_a_move_failing_beside_the_next_batch_loses_and_doubles_nothing(
    sqlite_db: Database, dovecot: ImapAccount
) -> None:
    settings = server_settings(dovecot, batch_size=2)
    # Batches are moved _MOVE_BATCHES at a time: the first move comes beside the batch
    # after them, and one batch more waits behind it.
    count = 2 * (_MOVE_BATCHES + 2)
    subjects = [f"Request {n:02}" for n in range(count)]
    append_all(dovecot, [email(subject=s) for s in subjects])
    crashing = poller(sqlite_db, settings, _DropsBeforeMove)
    with pytest.raises(ConnectionResetError):
        crashing.run_once()  # the first batches' move fails while the next one is written
    assert len(tickets(sqlite_db)) == count - 2, "every batch before the last committed"
    assert len(dovecot.list_uids("INBOX")) == count, "none moved"

    assert poller(sqlite_db, settings).run_once() == 2

    assert sorted(t.subject for t in tickets(sqlite_db)) == subjects
    assert dovecot.list_uids("INBOX") == [] and len(dovecot.list_uids("Processed")) == count


def test_changed_uidvalidity_reads_the_folder_again_without_doubles(
    sqlite_db: Database, dovecot: ImapAccount
) -> None:
    settings = server_settings(dovecot)
    raws = [email(subject="one"), email(subject="two")]
    append_all(dovecot, raws)
    poller(sqlite_db, settings).run_once()
    # The server renumbered the folder (e.g. rebuilt): same messages, UIDs start again.
    append_all(dovecot, raws)
    with sqlite_db.write() as session:
        session.execute(update(MailFolderState).values(uidvalidity=1, last_uid=99))

    assert poller(sqlite_db, settings).run_once() == 2  # read again …

    assert len(tickets(sqlite_db)) == 2  # … but stored once
    assert dovecot.list_uids("INBOX") == []


def test_without_move_it_copies_flags_deleted_and_expunges_by_uid(
    sqlite_db: Database, dovecot: ImapAccount
) -> None:
    settings = server_settings(dovecot)
    append_all(dovecot, [email(subject="one"), email(subject="two")])
    worker = poller(sqlite_db, settings)
    with connect(settings.mailboxes["support"]) as client:
        client._cached_capabilities = tuple(c for c in client.capabilities() if c != b"MOVE")
        assert not client.has_capability("MOVE")
        worker.prepare(client)
        assert worker.poll(client) == 2

    assert dovecot.list_uids("INBOX") == []
    assert len(dovecot.list_uids("Processed")) == 2
    assert len(tickets(sqlite_db)) == 2


def test_spam_and_quarantine_leave_the_inbox_too(sqlite_db: Database, dovecot: ImapAccount) -> None:
    settings = server_settings(
        dovecot, mailbox={"spam_folder": "Junk"}, blocked=["@spammy.example"]
    )
    append_all(
        dovecot,
        [email(sender="x@spammy.example"), nested_too_deep(), email(subject="real")],
    )

    assert poller(sqlite_db, settings).run_once() == 3

    assert dovecot.list_uids("INBOX") == []
    assert len(dovecot.list_uids("Junk")) == 1
    assert len(dovecot.list_uids("Processed")) == 2
    assert [t.subject for t in tickets(sqlite_db)] == ["real"]
    with sqlite_db.read() as session:
        [held] = quarantine.list_held(session)
    assert "nested" in held.reason
    status = read_status(Desk(sqlite_db, SYSTEM), settings)
    assert (status.quarantined, status.spam) == (1, 1), "the TUI's mail line counts them"


def test_service_waits_in_idle_and_imports_new_mail_at_once(
    sqlite_db: Database, dovecot: ImapAccount
) -> None:
    settings = server_settings(dovecot, poll_interval=300)  # only IDLE can be this quick
    service = MailService(sqlite_db, IntakeOptions(settings))
    service.start()
    try:
        wait_until(lambda: service.status().last_poll_at is not None, what="first poll")
        dovecot.append("INBOX", email(subject="Arrived during IDLE"))
        wait_until(lambda: len(tickets(sqlite_db)) == 1, what="import via IDLE")  # < 300 s
        wait_until(lambda: dovecot.list_uids("INBOX") == [], what="move")
        status = service.status()
        assert status.running_here == ["mail.poll.support", "sla.alerts"]
        assert status.last_error is None and status.folders[0].backlog == 0
        assert status.outbox_backlog == 1, "the acknowledgement waits: no SMTP configured"
    finally:
        service.stop()
    assert read_status(Desk(sqlite_db, SYSTEM), settings).leases[0].holder is None, (
        "lease given up on stop"
    )


def test_two_services_on_one_database_import_each_message_once(
    sqlite_db: Database, dovecot: ImapAccount
) -> None:
    settings = server_settings(dovecot, batch_size=5)
    services = [MailService(sqlite_db, IntakeOptions(settings)) for _ in range(3)]
    for service in services:
        service.start()
    try:
        append_all(dovecot, [email(subject=f"n{n}") for n in range(30)])
        wait_until(lambda: len(tickets(sqlite_db)) == 30, what="30 tickets")
        wait_until(lambda: dovecot.list_uids("INBOX") == [], what="empty inbox")
        holders = [s.status().running_here for s in services]
        held = sorted(name for names in holders for name in names)
        assert held == ["mail.poll.support", "sla.alerts"], "each lease has one holder"
    finally:
        for service in services:
            service.stop()
    with sqlite_db.read() as session:
        assert len(session.exec(select(ProcessedMail)).all()) == 30
        assert len(session.exec(select(Message)).all()) == 30


def test_a_refused_login_says_so_in_the_servers_words_and_names_the_user(
    dovecot: ImapAccount,
) -> None:
    """The status line said ``127.0.0.1:143: b'[AUTHENTICATIONFAILED] Authentication
    failed.'``: a Python bytes literal, and nothing about a login or which one.

    The test Dovecot's one refused login outside ``mail check``'s (test_mail_cli.py): it
    refuses a wrong password (``LoginError``), what tests/mail/test_servers.py checked
    with a login of its own (each failed login is half a second of a worker's time)."""
    box = server_settings(dovecot, mailbox={"password": "wrong"}).mailboxes["support"]
    with pytest.raises(LoginError) as refused:
        connect(box)

    text = describe_error(refused.value, box)

    assert text == (
        f"{dovecot.host}:{dovecot.port} refused the login as {dovecot.user}: "
        "[AUTHENTICATIONFAILED] Authentication failed. (check the mailbox's user and password)"
    )


def test_implicit_tls_on_a_plain_port_is_named_as_such(dovecot: ImapAccount) -> None:
    """'[SSL: WRONG_VERSION_NUMBER] wrong version number' told a new admin nothing."""
    box = server_settings(dovecot, mailbox={"security": "tls"}).mailboxes["support"]
    with pytest.raises(ssl.SSLError) as failed:
        connect(box)

    text = describe_error(failed.value, box)

    assert text.startswith(f"TLS with {dovecot.host}:{dovecot.port} failed: the server does not")
    assert 'use security = "starttls" on ports 143 and 587' in text


def test_a_flowed_message_reaches_the_ticket_as_paragraphs(
    sqlite_db: Database, dovecot: ImapAccount
) -> None:
    raw = email(
        subject="VPN",
        headers=["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8; format=flowed"],
        body="The VPN client stops after a minute and says that the certificate is \nnot valid.",
    )
    dovecot.append("INBOX", raw)

    assert poller(sqlite_db, server_settings(dovecot)).run_once() == 1

    [ticket] = tickets(sqlite_db)
    [message] = messages(sqlite_db, ticket.number)
    assert message.body.strip() == (
        "The VPN client stops after a minute and says that the certificate is not valid."
    )


def test_a_screenshot_pasted_into_html_mail_is_on_the_ticket(
    sqlite_db: Database, dovecot: ImapAccount
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    encoded = base64.b64encode(png).decode()
    raw = email(
        subject="Error",
        headers=["MIME-Version: 1.0", "Content-Type: text/html; charset=utf-8"],
        body=f'<p>This error:</p><img alt="screenshot" src="data:image/png;base64,{encoded}">',
    )
    dovecot.append("INBOX", raw)

    assert poller(sqlite_db, server_settings(dovecot)).run_once() == 1

    [ticket] = tickets(sqlite_db)
    with sqlite_db.read() as session:
        [kept] = list_attachments(session, ticket.number)
    assert (kept.filename, kept.size) == ("embedded-image-1.png", len(png))


@pytest.mark.parametrize("message_id", ["<upgraded-1@example.org>", None])
def test_a_message_read_again_after_an_upgrade_changed_its_content_hash_is_kept_once(
    db: Database, dovecot: ImapAccount, message_id: str | None
) -> None:
    """Imported by an older version, whose content hash differs (flowed text, escape
    sequences, data: images, winmail.dat are read differently now), then read again after
    the upgrade in the crash window: it was kept twice (another message reusing the
    Message-ID, or a second ticket). The very same bytes are the same message."""
    raw = email(message_id=message_id, subject="Upgraded desk")
    settings = server_settings(dovecot)
    dovecot.append("INBOX", raw)
    assert poller(db, settings).run_once() == 1
    old_key = f"{message_id} {'0' * 64}" if message_id else f"sha256:{'0' * 64}"
    with db.write() as session:  # the row as the older version wrote it
        session.execute(
            update(ProcessedMail).values(
                key_hash=key_hash(old_key), dedupe_key=old_key, content_hash="0" * 64
            )
        )

    dovecot.append("INBOX", raw)  # read again: the move to Processed did not happen
    assert poller(db, settings).run_once() == 1

    [ticket] = tickets(db)
    assert len(messages(db, ticket.number)) == 1
    with db.read() as session:
        assert session.exec(select(Event).where(Event.kind == "message_id_reused")).all() == []
        assert len(session.exec(select(ProcessedMail)).all()) == 1


def test_a_database_error_while_storing_mail_names_the_database_not_the_mail_server(
    tmp_path: Path,
) -> None:
    """A desk locked past its busy timeout while a batch was stored showed as
    "imap.example.org:993: (sqlite3.OperationalError) database is locked …" in the
    mailbox's status: the mail server blamed, SQLAlchemy's boilerplate, no hint."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from helpdesk_tui.mail_settings import MailboxSettings

    path = tmp_path / "desk.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError) as raised:
        sqlite3.connect(path, timeout=0).execute("INSERT INTO t VALUES (1)")
    holder.close()
    box = MailboxSettings(host="imap.example.org", user="support@example.org", password="x")
    wrapped = OperationalError("INSERT INTO t VALUES (?)", (1,), raised.value)

    for error in (raised.value, wrapped):
        assert describe_error(error, box) == (
            "the desk's database: database is locked; another process holds the desk's "
            "lock; try again once it lets go"
        )
