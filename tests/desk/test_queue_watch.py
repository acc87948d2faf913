"""The queue watcher's probe (``Desk.change_probe``), on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk_tui.desk import presence
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


def test_a_heartbeat_that_only_keeps_a_marker_alive_moves_neither_probe_nor_mark(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """Another terminal's beat on the same ticket doing the same thing pushes its row's
    expiry on and nothing shown moves: the probe stays still (on SQLite too, whose
    data_version the beat's commit moves) and the mark compares equal, its ``expires`` the
    first live row's new expiry. Replying moves both; so does the row expiring, for the
    mark read after that time (the probe has no clock: the screen looks again then)."""
    [number] = _numbers(db, admin)
    ada = Desk(db, admin, clock=lambda: NOW)
    probe = ada.change_probe()
    other = Database(db.url)  # the colleague's terminal
    try:
        beat = _beater(other, agent_bob, number)
        beat(NOW, Activity.VIEWING)
        probe.moved()
        first = ada.list_changes(None, [number]).mark
        assert first.anyone_on and first.expires == NOW + presence.PRESENCE_TTL
        later = NOW + timedelta(seconds=3)
        beat(later, Activity.VIEWING)
        assert not probe.moved()
        again = ada.list_changes(first, [number])
        assert again.mark == first and again.on is None
        assert again.mark.expires == later + presence.PRESENCE_TTL
        beat(later, Activity.REPLYING)
        assert probe.moved()
        expired = Desk(db, admin, clock=lambda: later + presence.PRESENCE_TTL * 2)
        gone = expired.list_changes(again.mark, [number])
        assert not gone.mark.anyone_on and gone.mark.expires is None and gone.on == {}
    finally:
        other.dispose()
        probe.close()


def _numbers(db: Database, admin: Actor) -> list[int]:
    with db.write() as s:
        return [create_ticket(s, admin, subject="On a ticket", body="x").number]


def _beater(db: Database, actor: Actor, number: int) -> Callable[[datetime, Activity], None]:
    def beat(now: datetime, activity: Activity) -> None:
        with db.write() as s:
            presence.heartbeat(s, actor, "bob-term", number, activity, now=now)

    return beat


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


def test_a_terminals_probe_moves_with_its_agents_standing(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """No event records a deactivation or a new role: a terminal's probe reads its agent's
    row with the change mark, so its queue looks at once (and its check reads the agent
    again: ``agent_seen``); the desk's other writes' mark is as before."""
    bobs = Desk(db, agent_bob, clock=lambda: NOW, actor_may_change=True)
    probe = bobs.change_probe()
    other = Database(db.url)  # the admin's CLI
    admins = Desk(other, admin)
    try:
        probe.moved()
        assert not probe.moved()
        admins.agents_deactivate("bob")
        assert probe.moved()
        assert not probe.moved()
        bobs.list_changes(None, [])
        assert bobs.agent_seen is not None and bobs.agent_seen.refused is not None
        assert bobs.agent_seen.refused.startswith("bob is deactivated on this helpdesk")
        admins.agents_reactivate("bob")
        assert probe.moved()
        bobs.list_changes(None, [])
        assert bobs.agent_seen is not None and bobs.agent_seen.refused is None
        admins.agents_set_role("bob", "supervisor")
        assert probe.moved()
        bobs.list_changes(None, [])
        assert bobs.agent_seen is not None and bobs.agent_seen.actor.role == "supervisor"
    finally:
        other.dispose()
        probe.close()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # (a server to end it)
def test_a_probe_whose_backend_was_ended_logs_no_traceback(
    db: Database, admin: Actor, caplog: pytest.LogCaptureFixture
) -> None:
    """The server ended the probe's connection (a restart, ``pg_terminate_backend``): the
    driver's raw error left the probe unwrapped, the dead connection went back to the pool,
    whose reset logged "Exception during reset" with a traceback (in ``helpdesk mail run``'s
    output too). Now it is known lost and dropped: moved, and the next look opens anew."""
    probe = Desk(db, admin, clock=lambda: NOW).change_probe()
    try:
        probe.moved()
        assert not probe.moved()
        assert probe._raw is not None
        with db.read_rows(autocommit=True) as other:
            other.exec_driver_sql(
                "SELECT pg_terminate_backend(%s, 60000)", (probe._raw.info.backend_pid,)
            )
        caplog.set_level(logging.WARNING)
        assert probe.moved()
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
        assert probe.moved()
        assert not probe.moved()
    finally:
        probe.close()
