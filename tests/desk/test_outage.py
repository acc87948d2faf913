"""A PostgreSQL server that drops the desk's connection mid-session (restarted, stopped,
an admin's ``pg_terminate_backend``): a pooled connection it ended is replaced before use;
a read that finds the connection gone fails in one line a person can read, and the next
read works on a new connection."""

from __future__ import annotations

import pytest

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.opening import DeskUnavailable
from helpdesk_tui.storage import database as database_module
from helpdesk_tui.storage.database import Database

PG_ONLY = pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def _drop_connections(db: Database) -> None:
    """End the server process of the connection ``db``'s pool holds, and wait for it."""
    with db.read_rows() as conn:
        backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    other = Database(db.url)
    try:
        with other.read_rows(autocommit=True) as conn:
            conn.exec_driver_sql(f"SELECT pg_terminate_backend({backend}, 10000)")
    finally:
        other.dispose()


@PG_ONLY
def test_a_read_after_the_server_dropped_the_connection_works_on_a_new_one(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The queue's change check after the server ended its pooled connection (restarted,
    stopped and started, ``pg_terminate_backend``): the server said so on the socket, and
    the read goes to a new connection, however recently the old one was used."""
    monkeypatch.setattr(database_module, "PING_AFTER_IDLE_S", 3600.0)  # (no rest to ping)
    desk = Desk(db, admin)
    seen = desk.list_changes(None, []).mark
    _drop_connections(db)
    assert desk.list_changes(seen, []).mark.events == seen.events


@PG_ONLY
def test_a_read_on_a_dropped_connection_fails_in_one_line_then_reads_work(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same where nothing said the connection went (a network cut: no word on the
    socket before the read sends its statement): a DeskUnavailable naming the database's
    reason (it was "PendingRollbackError: Can't reconnect until invalid transaction is
    rolled back", raised by the SLA marks' rollback hook reading the dead connection's
    info), which the queue retries; the retry reads."""
    monkeypatch.setattr(database_module, "PING_AFTER_IDLE_S", 3600.0)  # (no ping saves it)
    monkeypatch.setattr(database_module, "spoke_while_idle", lambda _connection: False)
    desk = Desk(db, admin)
    seen = desk.list_changes(None, []).mark
    _drop_connections(db)
    with pytest.raises(DeskUnavailable) as raised:
        desk.list_changes(seen, [])
    message = str(raised.value)
    assert "terminating connection due to administrator command" in message
    assert "\n" not in message and "rolled back" not in message
    assert desk.list_changes(seen, []).mark.events == seen.events
    assert raised.value.transient  # (a screen that reads by itself asks again)
