from __future__ import annotations

from datetime import timedelta

from helpdesk_tui.desk import presence
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Activity, utcnow


def test_markers_show_and_expire(db: Database, admin: Actor, agent_bob: Actor) -> None:
    with db.write() as s:
        number = create_ticket(s, admin, subject="Shared", body="x").number
    now = utcnow()
    with db.write() as s:
        presence.heartbeat(s, admin, "term-a", number, Activity.REPLYING, now=now)
        presence.heartbeat(s, agent_bob, "term-b", number, Activity.VIEWING, now=now)
    with db.read() as s:
        seen = presence.on_tickets(s, [number], now=now, exclude_session="term-b")
        assert [(e.login, e.activity) for e in seen[number]] == [("ada", Activity.REPLYING)]
        everyone = presence.on_tickets(s, [number], now=now)[number]
        assert [e.login for e in everyone] == ["ada", "bob"]
        later = now + presence.PRESENCE_TTL + timedelta(seconds=1)
        assert presence.on_tickets(s, [number], now=later) == {}


def test_moving_to_another_ticket_or_leaving_clears(db: Database, admin: Actor) -> None:
    with db.write() as s:
        first = create_ticket(s, admin, subject="One", body="x").number
        second = create_ticket(s, admin, subject="Two", body="x").number
    with db.write() as s:
        presence.heartbeat(s, admin, "term-a", first, Activity.VIEWING)
        presence.heartbeat(s, admin, "term-a", second, Activity.VIEWING)
    with db.read() as s:
        assert set(presence.on_tickets(s, [first, second])) == {second}
    with db.write() as s:
        presence.leave(s, "term-a")
    with db.read() as s:
        assert presence.on_tickets(s, [first, second]) == {}


def test_others_replying_leaves_out_the_agents_own_terminals(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    now = utcnow()
    with db.write() as s:
        number = create_ticket(s, admin, subject="VPN", body="x").number
        presence.heartbeat(s, admin, "ada-old", number, Activity.REPLYING, now=now)
        presence.heartbeat(s, agent_bob, "term-b", number, Activity.VIEWING, now=now)
    with db.read() as s:
        assert presence.others_replying(s, number, admin, now=now) == []
    with db.write() as s:
        presence.heartbeat(s, agent_bob, "term-b", number, Activity.REPLYING, now=now)
    with db.read() as s:
        assert [e.login for e in presence.others_replying(s, number, admin, now=now)] == ["bob"]
        assert [e.login for e in presence.others_replying(s, number, agent_bob, now=now)] == ["ada"]
