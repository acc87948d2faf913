"""Presence through the `Desk` facade, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from helpdesk_tui.desk import thread
from helpdesk_tui.desk.actors import MAIL, Actor
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.kinds import Activity
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_beat_shows_others_and_what_they_changed(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    with db.write() as s:
        number = create_ticket(s, admin, subject="Shared", body="x").number
    ada, bob = Desk(db, admin, clock=lambda: NOW), Desk(db, agent_bob, clock=lambda: NOW)
    mark = ada.ticket_open(number).watermark
    first = ada.presence_beat("ada-term", number, Activity.VIEWING, mark)
    assert (first.others, first.version, first.news) == ([], mark.version, [])
    bob.presence_beat("bob-term", number, Activity.REPLYING)
    assert [e.login for e in ada.presence_replying(number)] == ["bob"]
    assert bob.presence_replying(number) == []  # one's own terminals are no collision
    bob.ticket_note(number, "Looking", expected_version=None)
    with db.write() as s:
        thread.add_customer_message(s, MAIL, number, body="Hello?")
    beat = ada.presence_beat("ada-term", number, Activity.VIEWING, mark)
    assert [(e.login, e.activity) for e in beat.others] == [("bob", Activity.REPLYING)]
    assert beat.version > mark.version
    assert [a.body for a in beat.news] == ["Looking", "Hello?"]


def test_leave_removes_the_terminal_markers(db: Database, admin: Actor, agent_bob: Actor) -> None:
    with db.write() as s:
        number = create_ticket(s, admin, subject="Shared", body="x").number
    ada, bob = Desk(db, admin, clock=lambda: NOW), Desk(db, agent_bob, clock=lambda: NOW)
    ada.presence_beat("ada-term", number, Activity.VIEWING)
    bob.presence_beat("bob-term", number, Activity.VIEWING)
    assert [e.login for e in bob.presence_on([number])[number]] == ["ada", "bob"]
    ada.presence_leave("ada-term")
    assert [e.login for e in bob.presence_on([number])[number]] == ["bob"]
    assert bob.presence_on([number], exclude_session="bob-term") == {}
