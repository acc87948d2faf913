"""The queue watcher's probe (``Desk.change_probe``), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.kinds import Activity
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_the_probe_moves_when_another_connection_writes(db: Database, admin: Actor) -> None:
    """Unknown at first (moved), then still until a write elsewhere: another terminal's (its
    own database) or this process's own (the pool's connections)."""
    desk = Desk(db, admin, clock=lambda: NOW)
    probe = desk.change_probe()
    try:
        assert probe.moved()
        assert [probe.moved() for _ in range(3)] == [False] * 3
        other = Database(db.url)
        try:
            with other.write() as s:
                create_ticket(s, admin, subject="From another terminal", body="x")
        finally:
            other.dispose()
        assert probe.moved()
        assert not probe.moved()
        desk.presence_beat("ada-term", 1, Activity.VIEWING)
        assert probe.moved()
        assert not probe.moved()
    finally:
        probe.close()


def test_a_probe_that_fails_says_moved_and_opens_again(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lost connection is not an error here (the screen's real check reports it): moved,
    and the next look is on a new connection, unknown again."""
    probe = Desk(db, admin, clock=lambda: NOW).change_probe()
    try:
        probe.moved()
        assert not probe.moved()
        with monkeypatch.context() as patch:
            patch.setattr(probe, "_read", lambda: 1 / 0)
            assert probe.moved()
        assert probe._conn is None
        assert probe.moved()
        assert not probe.moved()
        if db.is_sqlite:  # a connection SQLAlchemy replaced counts its own changes
            assert probe._conn is not None
            probe._conn.invalidate()
            assert probe.moved()
            assert probe.moved()
            assert not probe.moved()
    finally:
        probe.close()
