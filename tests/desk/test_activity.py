from __future__ import annotations

from datetime import timedelta

from helpdesk_tui.desk import fields, thread
from helpdesk_tui.desk.activity import since, since_time, watermark
from helpdesk_tui.desk.actors import MAIL, Actor
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import utcnow


def _new(db: Database, actor: Actor) -> int:
    with db.write() as s:
        return create_ticket(
            s,
            actor,
            subject="VPN down",
            body="It broke.",
            requester_email="ann@example.com",
            requester_name="Ann Customer",
        ).number


def test_nothing_arrived_since_a_fresh_watermark(db: Database, admin: Actor) -> None:
    number = _new(db, admin)
    with db.read() as s:
        mark = watermark(s, number)
        assert since(s, mark).arrivals == []
        assert since(s, mark).current == mark
        assert mark.version == 1


def test_lists_messages_and_changes_by_others_not_mine(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    number = _new(db, admin)
    with db.read() as s:
        mark = watermark(s, number)
    with db.write() as s:
        thread.add_customer_message(s, MAIL, number, body="Still broken!")
        thread.add_note(s, agent_bob, number, body="Looking at the VPN box")
        fields.set_status(s, agent_bob, number, "waiting")
        fields.set_priority(s, admin, number, "high")  # mine: not news to me
        thread.add_note(s, admin, number, body="my own note")
    with db.read() as s:
        result = since(s, mark, excluding=admin)
        current = watermark(s, number)
    assert [(a.who, a.what, a.body) for a in result.arrivals] == [
        ("Ann Customer", "customer message", "Still broken!"),
        ("bob", "internal note", "Looking at the VPN box"),
        ("bob", "status new → waiting", None),
    ]
    assert result.current == current
    with db.read() as s:
        assert since(s, current, excluding=admin).arrivals == []
        everything = since(s, mark)
    assert [a.who for a in everything.arrivals].count("ada") == 2


def test_since_a_time(db: Database, admin: Actor, agent_bob: Actor) -> None:
    number = _new(db, admin)
    before = utcnow()
    with db.write() as s:
        thread.reply(s, agent_bob, number, body="Try turning it off and on")
    with db.read() as s:
        arrived = since_time(s, number, before).arrivals
        later = since_time(s, number, utcnow() + timedelta(seconds=1)).arrivals
    assert [(a.who, a.what) for a in arrived] == [
        ("bob", "reply"),
        ("bob", "status new → open"),
    ]
    assert later == []
