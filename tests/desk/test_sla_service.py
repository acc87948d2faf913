"""SLA clocks stored on tickets and explained, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import event
from sqlmodel import col, select

from helpdesk_tui.desk import fields, sla, sla_clock, sla_marks, thread
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import InvalidValue, NotFound, PermissionDenied
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Organization, Status, Ticket

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _desk(db: Database, actor: Actor) -> Desk:
    return Desk(db, actor, clock=lambda: NOW)


def _new(db: Database, actor: Actor, priority: str = "normal") -> int:
    with db.write() as session:
        return create_ticket(
            session,
            actor,
            subject="VPN down",
            body="help",
            requester_email="ann@example.com",
            priority=priority,
        ).number


def _stored(db: Database, number: int) -> tuple[datetime | None, datetime | None, datetime | None]:
    with db.read() as session:
        t = session.exec(select(Ticket).where(Ticket.number == number)).one()
        return t.response_due_at, t.resolution_due_at, t.sla_due_at


def _assert_explained(desk: Desk, db: Database, number: int) -> None:
    """The explanation's due times are the stored ones, and the queue's key (the earliest
    pending target: a first or next response, or the resolution) follows them."""
    timeline = desk.sla_explain(number)
    response, resolution, sla_due = _stored(db, number)
    assert timeline.clocks[0].due_at == response == timeline.response_due_at
    assert timeline.clocks[-1].due_at == resolution == timeline.resolution_due_at
    pending = [c for c in timeline.clocks if c.stopped_at is None and c.due_at is not None]
    replies = [c for c in pending if c.clock != "resolution"]
    assert timeline.reply_due_at == (replies[-1].due_at if replies else None)
    earliest = min(pending, key=lambda c: c.due_at or NOW, default=None)
    assert sla_due == timeline.due_at == (earliest.due_at if earliest else None)
    assert timeline.due_clock == (earliest.clock if earliest else None)
    _assert_next_alert(db, number)


def _assert_next_alert(db: Database, number: int) -> None:
    """The stored next alert (what the SLA pass reads) is the rule's, from the history and
    the alerts given: every write that moves a clock keeps it (``sla_clock``), none leaves
    it behind."""
    with db.read() as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
        assert ticket.id is not None
        facts = sla_clock.facts(session, [ticket.id])[ticket.id]
        given = sla_clock.alerts_given(session, [ticket.id])[ticket.id]
        policies, calendars = sla_clock.load_rules(session)
    explained = sla.explain(facts, policies, calendars, NOW)
    assert ticket.sla_alert_at == sla_clock.next_alert_at(explained, given)
    running = [c for c in explained.current() if c.stopped_at is None and c.due_at is not None]
    assert (ticket.sla_alert_at is None) == (not running or len(given) == 2 * len(running))


def test_a_new_ticket_has_clocks_from_the_built_in_policy(db: Database, admin: Actor) -> None:
    number = _new(db, admin, "urgent")
    desk = _desk(db, admin)
    timeline = desk.sla_explain(number)
    assert timeline.policy.startswith("default-urgent")
    assert [c.clock for c in timeline.clocks] == ["first response", "resolution"]
    response, resolution, _ = _stored(db, number)
    assert response is not None and resolution is not None and response < resolution
    _assert_explained(desk, db, number)


def test_every_event_that_matters_updates_the_stored_clocks(db: Database, admin: Actor) -> None:
    number = _new(db, admin)
    desk = _desk(db, admin)
    with db.write() as session:
        fields.set_status(session, admin, number, "waiting")
    assert _stored(db, number) == (None, None, None)  # paused: not counting down
    _assert_explained(desk, db, number)
    with db.write() as session:
        fields.set_status(session, admin, number, "open")
    _assert_explained(desk, db, number)
    before = _stored(db, number)
    with db.write() as session:
        fields.set_priority(session, admin, number, "urgent")
    assert _stored(db, number)[1] is not None and _stored(db, number)[1] < before[1]  # type: ignore[operator]
    _assert_explained(desk, db, number)
    with db.write() as session:
        thread.reply(session, admin, number, body="on it")
    _assert_explained(desk, db, number)
    with db.write() as session:
        thread.add_customer_message(session, admin, number, body="still down")
    timeline = desk.sla_explain(number)
    assert [c.clock for c in timeline.clocks] == ["first response", "next response", "resolution"]
    assert timeline.clocks[0].state == "met"
    _assert_explained(desk, db, number)


def test_the_facades_writes_on_core_tables_recompute_the_clocks_they_return(
    db: Database, admin: Actor
) -> None:
    """The facade's writes (``Database.write_rows``, no ORM session) get their clocks
    recomputed in their transaction, and the row they return already shows them."""
    number = _new(db, admin)
    desk = _desk(db, admin)
    row = desk.ticket_set_status(number, "waiting")
    assert _stored(db, number) == (None, None, None)
    assert (row.response_due_at, row.resolution_due_at, row.sla_due_at) == (None, None, None)
    _assert_explained(desk, db, number)
    desk.ticket_set_status(number, "open")
    before = _stored(db, number)
    row = desk.ticket_set_priority(number, "urgent")
    stored = _stored(db, number)
    assert stored[1] is not None and before[1] is not None and stored[1] < before[1]
    assert (row.response_due_at, row.resolution_due_at, row.sla_due_at) == stored
    _assert_explained(desk, db, number)
    desk.ticket_reply(number, "on it")
    _assert_explained(desk, db, number)


def _ticket_updates(db: Database) -> list[str]:
    """The UPDATE statements of the ticket table run on ``db`` from now on (appended)."""
    seen: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE TICKET "):
            seen.append(statement)

    return seen


def test_a_write_that_moves_a_clock_writes_the_ticket_row_once(db: Database, admin: Actor) -> None:
    """A reply, a status or a priority change stores the ticket's new clocks in the same
    UPDATE as its other columns (``ticket_record.save``), not in a second one at commit;
    what is stored is what the history explains."""
    number = _new(db, admin)
    desk = _desk(db, admin)
    updates = _ticket_updates(db)
    row = desk.ticket_reply(number, "on it")
    assert len(updates) == 1 and "reply_due_at" in updates[0]  # answered: none pending
    assert "response_due_at" not in updates[0]  # the first response's due time stays
    _assert_explained(desk, db, number)
    assert row.sla_due_at == _stored(db, number)[2]
    updates.clear()
    row = desk.ticket_set_status(number, "waiting")
    assert len(updates) == 1 and "resolution_due_at" in updates[0]
    stored = _stored(db, number)
    assert stored[1:] == (None, None)  # waiting: the resolution paused, nothing pending
    assert (row.response_due_at, row.resolution_due_at, row.sla_due_at) == stored
    _assert_explained(desk, db, number)
    updates.clear()
    desk.ticket_set_status(number, "open")
    desk.ticket_set_priority(number, "urgent")
    assert len(updates) == 2
    _assert_explained(desk, db, number)


def test_a_policy_for_an_organization_reaches_a_saved_ticket(db: Database, admin: Actor) -> None:
    """The one-ticket recompute reads the requester's organization when a policy names one
    (and only then): a reply to an Acme ticket is due by Acme's policy."""
    with db.write() as session:
        session.add(Organization(name="Acme", domain="acme.example"))
    with db.write() as session:
        acme = create_ticket(
            session, admin, subject="VPN", body="help", requester_email="ann@acme.example"
        ).number
    other = _new(db, admin)
    desk = _desk(db, admin)
    desk.sla_set_policy(
        "acme", first_response="10m", next_response="10m", resolution="1h", organization="Acme"
    )
    for number in (acme, other):
        desk.ticket_set_status(number, "waiting")
        desk.ticket_set_status(number, "open")
        _assert_explained(desk, db, number)
    assert desk.sla_explain(acme).policy.startswith("acme:")
    assert desk.sla_explain(other).policy.startswith("default-normal")


def test_a_rolled_back_write_leaves_no_marks_for_the_next_one(db: Database, admin: Actor) -> None:
    """The marks live on the pooled connection: a write that fails must not hand its
    tickets to the next transaction's recompute."""
    number = _new(db, admin)
    with pytest.raises(RuntimeError), db.write_rows() as conn:
        sla_marks.touch(conn, 1, "status")
        assert conn.info.get("helpdesk_sla_marked") == {1}
        raise RuntimeError("the write fails")
    with db.write_rows() as conn:
        assert "helpdesk_sla_marked" not in conn.info
    assert number == 1


def test_a_born_ticket_s_created_event_marks_nothing_until_the_commit(
    db: Database, admin: Actor
) -> None:
    """A ticket inserted with its clocks (``sla_marks.born``) is not recomputed for its
    ``created`` event, but is for any other; the next transaction knows no born tickets."""
    assert _new(db, admin) == 1
    ticket_id = 1  # (the desk's first ticket)
    with db.write_rows() as conn:
        sla_marks.born(conn, [ticket_id])
        sla_marks.touch(conn, ticket_id, "created")
        assert sla_marks.MARKED not in conn.info
        sla_marks.touch(conn, ticket_id, "priority")
        assert conn.info[sla_marks.MARKED] == {ticket_id}
    with db.write_rows() as conn:
        assert sla_marks.BORN not in conn.info
        sla_marks.touch(conn, ticket_id, "created")
        assert conn.info[sla_marks.MARKED] == {ticket_id}
        conn.info.pop(sla_marks.MARKED)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    """Monday 30 November 2026 (``30``) to Friday 4 December (``4``)."""
    month = 11 if day == 30 else 12
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def test_the_queue_due_is_the_earliest_pending_target_a_next_response_too(
    db: Database, admin: Actor
) -> None:
    """Frozen clock, business hours Mon-Fri 09-17 UTC: first response 1h, next 2h, fix 16h."""
    desk = _desk(db, admin)
    desk.sla_set_policy(
        "normal", priority="normal", first_response="1h", next_response="2h", resolution="16h"
    )

    def at(moment: datetime) -> time_machine.travel:
        return time_machine.travel(moment, tick=False)

    with at(utc(30, 9)):  # Monday 09:00
        number = _new(db, admin)
    assert _stored(db, number)[2] == utc(30, 10)  # the first response is the earliest
    with at(utc(30, 9, 30)), db.write() as session:
        thread.reply(session, admin, number, body="on it")
    assert _stored(db, number)[2] == utc(1, 17)  # answered: the resolution's (Tue 17:00)
    with at(utc(30, 16, 30)), db.write() as session:  # the customer writes back at 16:30
        thread.add_customer_message(session, admin, number, body="still down")
    # The next response (30 min today, 90 tomorrow) is due before the resolution: it leads.
    assert _stored(db, number) == (utc(30, 10), utc(1, 17), utc(1, 10, 30))
    assert desk.ticket_open(number).row.next_due == utc(1, 10, 30)
    _assert_explained(desk, db, number)
    assert desk.sla_explain(number).due_clock == "next response"
    with at(utc(1, 10)), db.write() as session:  # Tuesday 10:00: waiting on the customer
        fields.set_status(session, admin, number, "waiting")
    assert _stored(db, number)[1:] == (None, None)  # paused: no due time runs
    assert desk.ticket_open(number).row.next_due is None
    _assert_explained(desk, db, number)
    with at(utc(2, 11)), db.write() as session:  # Wednesday 11:00 the customer answers
        thread.add_customer_message(session, admin, number, body="here are the logs")
    # Both clocks resume where they stood: 30 min of the reply, 7h of the resolution left.
    assert _stored(db, number) == (utc(30, 10), utc(3, 10), utc(2, 11, 30))
    timeline = desk.sla_explain(number)
    assert (timeline.reply_due_at, timeline.due_clock) == (utc(2, 11, 30), "next response")
    _assert_explained(desk, db, number)
    with at(utc(2, 11, 15)), db.write() as session:
        thread.reply(session, admin, number, body="fixed, please check")
    assert _stored(db, number)[2] == utc(3, 10)  # replied: the resolution leads again
    _assert_explained(desk, db, number)


def test_changing_a_policy_recomputes_open_tickets_only(db: Database, admin: Actor) -> None:
    open_one, other, done = (_new(db, admin, "high") for _ in range(3))
    with db.write() as session:
        fields.set_status(session, admin, done, Status.CLOSED)
    closed_before = _stored(db, done)
    desk = _desk(db, admin)
    changed = desk.sla_set_policy(
        "fast", first_response="10m", next_response="10m", resolution="1h", priority="high"
    )
    assert changed.tickets == 2
    for number in (open_one, other):
        timeline = desk.sla_explain(number)
        assert timeline.policy.startswith("fast:")
        assert timeline.clocks[0].target == "10m"
        _assert_explained(desk, db, number)
    assert _stored(db, done) == closed_before
    # A calendar change is a recompute too; removing the policy goes back to the built-in.
    desk.sla_set_calendar("night", hours="00:00-24:00", days="mon-sun")
    desk.sla_set_policy(
        "fast", first_response="10m", next_response="10m", resolution="1h", priority="high",
        calendar="night",
    )  # fmt: skip
    assert "night" in desk.sla_explain(open_one).calendar
    _assert_explained(desk, db, open_one)
    assert desk.sla_remove_policy("fast") == 2
    assert desk.sla_explain(open_one).policy.startswith("default-high")
    _assert_explained(desk, db, open_one)


def test_a_policy_change_recomputes_only_the_tickets_it_can_apply_to(
    db: Database, admin: Actor
) -> None:
    """Its old and its new scope: a ticket neither matches keeps the policy it had."""
    high, normal = _new(db, admin, "high"), _new(db, admin, "normal")
    pinned = datetime(2030, 1, 1, tzinfo=UTC)
    with db.write() as session:  # a stale due time, to see who is recomputed
        for number in (high, normal):
            session.exec(select(Ticket).where(Ticket.number == number)).one().reply_due_at = pinned
    desk = _desk(db, admin)
    desk.sla_set_policy(
        "p", first_response="1h", resolution="8h", priority="high", next_response="1h"
    )
    with db.read() as session:
        replies = dict(
            session.exec(
                select(Ticket.number, Ticket.reply_due_at).where(
                    col(Ticket.number).in_([high, normal])
                )
            ).all()
        )
    assert replies[high] != pinned and replies[normal] == pinned
    # Moved from high to normal: the old scope (high) and the new (normal) are recomputed.
    desk.sla_set_policy(
        "p", first_response="2h", resolution="9h", priority="normal", next_response="2h"
    )
    assert desk.sla_explain(high).policy.startswith("default-high")
    assert desk.sla_explain(normal).policy.startswith("p:")
    _assert_explained(desk, db, high)
    _assert_explained(desk, db, normal)


def test_bad_policies_and_who_may_change_them(db: Database, admin: Actor, agent_bob: Actor) -> None:
    desk = _desk(db, admin)
    with pytest.raises(InvalidValue, match="first response target"):
        desk.sla_set_policy("x", first_response="never", next_response="1h", resolution="1h")
    with pytest.raises(NotFound, match="calendar"):
        desk.sla_set_policy(
            "x", first_response="1h", next_response="1h", resolution="2h", calendar="moon"
        )
    with pytest.raises(InvalidValue, match="time zone"):
        desk.sla_set_calendar("x", timezone="Mars/Olympus")
    with pytest.raises(PermissionDenied):
        _desk(db, agent_bob).sla_set_policy(
            "x", first_response="1h", next_response="1h", resolution="2h"
        )
    assert not [p for p in desk.sla_policies() if not p.built_in]


def test_a_policy_is_read_with_its_scope_and_targets_as_set_takes_them(
    db: Database, admin: Actor
) -> None:
    """(What the TUI's desk settings edit: the two targets, the rest written back as read.)"""
    desk = _desk(db, admin)
    desk.sla_set_calendar("Berlin", timezone="Europe/Berlin")
    desk.sla_set_policy(
        "vip",
        first_response="90m",
        next_response="2h",
        resolution="1h30m",
        priority="high",
        ticket_type="incident",
        category="Network",
        calendar="Berlin",
        warn_percent=60,
    )
    vip, *rest = desk.sla_policies()
    assert (vip.name, vip.priority, vip.type, vip.category, vip.calendar) == (
        "vip", "high", "incident", "Network", "Berlin"
    )  # fmt: skip
    assert (vip.first_response, vip.next_response, vip.resolution, vip.warn_percent) == (
        "1h30m", "2h", "1h30m", 60
    )  # fmt: skip
    assert vip.organization is None and not vip.built_in
    urgent = next(p for p in rest if p.name == "default-urgent")
    assert (urgent.built_in, urgent.calendar, urgent.first_response) == (True, None, "1h")


def test_tiers_move_tickets_between_the_tiers_teams_and_tell_them(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    from helpdesk_tui.desk.agents import add_agent
    from helpdesk_tui.storage.models import Event, Outbox

    with db.write() as session:
        add_agent(session, admin, "nia", name="Nia", email="nia@example.com", teams=["Network"])
    desk = _desk(db, admin)
    desk.sla_set_team_tier("Support", 1)
    desk.sla_set_team_tier("Network", 2)
    assert {(v.team, v.tier) for v in desk.sla_tiers()} >= {("Support", 1), ("Network", 2)}
    number = _new(db, admin)
    with db.write() as session:
        fields.assign(session, admin, number, agent="bob", team="Support")
        fields.escalate(session, admin, number)
    with db.read() as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
        assert (ticket.tier, ticket.assignee_id) == (2, None)
        mail = session.exec(select(Outbox).where(Outbox.kind == "escalation")).all()
        assert [m.to_addresses for m in mail] == ["nia@example.com"]
        assert "escalated by ada from tier 1 (Support) to tier 2 (Network) (manual)" in mail[0].body
    with db.write() as session:
        fields.deescalate(session, admin, number)
    with pytest.raises(InvalidValue, match="already at tier 1"), db.write() as session:
        fields.deescalate(session, admin, number)
    with db.read() as session:
        events = session.exec(
            select(Event.kind, Event.field, Event.old_value, Event.new_value)
            .where(Event.ticket_number == number, Event.kind != "created")
            .order_by(col(Event.id))
        ).all()
    # Each move is ONE event of its own kind (no separate tier, team and assignee events).
    assert [tuple(e) for e in events] == [
        ("assignee", "assignee", None, "bob"),
        ("team", "team", None, "Support"),
        ("escalated", "manual", "tier 1, Support", "tier 2, Network"),
        ("de-escalated", "manual", "tier 2, Network", "tier 1, Support"),
    ]
    history = [e.text for e in desk.ticket_show(number).events]
    assert history[-2:] == [
        "ada: escalated from tier 1 (Support) to tier 2 (Network), manual",
        "ada: de-escalated from tier 2 (Network) to tier 1 (Support), manual",
    ]


def test_sla_status_says_an_alert_owed_with_no_pass_running_is_overdue(
    db: Database, admin: Actor
) -> None:
    """Before the next alert it is coming; once past it, with nobody holding the alerts'
    lease (no ``helpdesk mail run``, no terminal), it is overdue; a live runner's pass is
    about to take it, so it is not."""
    from datetime import timedelta

    from helpdesk_tui.desk import leases
    from helpdesk_tui.desk.mail_reads import SLA_LEASE

    _new(db, admin, "high")
    with db.read() as session:
        alert_at = session.exec(select(Ticket.sla_alert_at)).one()
    assert alert_at is not None

    def status(at: datetime) -> tuple[datetime | None, bool]:
        state = Desk(db, admin, clock=lambda: at).sla_status()
        return state.next_alert_at, state.overdue

    assert status(alert_at - timedelta(seconds=1)) == (alert_at, False)
    assert status(alert_at + timedelta(seconds=1)) == (alert_at, True)
    later = alert_at + timedelta(hours=3)
    with db.write() as session:
        assert leases.acquire(session, SLA_LEASE, "mailer", ttl=timedelta(minutes=1), now=later)
    assert status(later) == (alert_at, False)
    assert status(later + timedelta(minutes=2)) == (alert_at, True)  # (its lease ran out)
