"""Warning and breach alerts: once per clock run and level, by mail and as an event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import col, select

from helpdesk_tui.desk import fields, leases, outbox, sla_alerts
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import add_agent, ensure_team
from helpdesk_tui.desk.errors import InvalidValue, PermissionDenied
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.mail_reads import OUTBOX_LEASE, MailReads
from helpdesk_tui.desk.mail_reads import sends_mail as sends
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.desk.sla_alerts import AutoEscalate
from helpdesk_tui.desk.thread import add_customer_message
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Agent, Event, Outbox, Ticket
from helpdesk_tui.storage.sla_models import SlaNotice
from tests.clocks import local_zone

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)  # a Friday; business hours 09-17 UTC


def _new(db: Database, actor: Actor, created: datetime, subject: str) -> int:
    with time_machine.travel(created, tick=False), db.write() as session:
        number = create_ticket(
            session, actor, subject=subject, body="x", requester_email="kim@example.com",
            priority="urgent",
        ).number  # fmt: skip
        fields.assign(session, actor, number, agent="bob", team="Support")
        return number


def _sender_runs(db: Database, at: datetime = NOW) -> None:
    """An outbox sender (a mail service with SMTP) holds its lease at ``at``: the desk sends
    mail."""
    with db.write() as session:
        assert leases.acquire(session, OUTBOX_LEASE, "mailer", ttl=timedelta(minutes=1), now=at)


def test_warning_and_breach_alert_once_each(db: Database, admin: Actor, agent_bob: Actor) -> None:
    _sender_runs(db)
    with db.write() as session:
        add_agent(session, admin, "sue", name="Sue", email="sue@example.com", role="supervisor",
                  teams=["Support"])  # fmt: skip
    with db.write() as session:
        bob = session.exec(select(Agent).where(Agent.login == "bob")).one()
        bob.email = "bob@example.com"
    late = _new(db, admin, datetime(2026, 12, 3, 11, 30, tzinfo=UTC), "Payroll failed")
    near = _new(db, admin, datetime(2026, 12, 4, 11, 10, tzinfo=UTC), "VPN flaky")
    first = sla_alerts.check(db, NOW)
    assert {(a.number, a.clock, a.level) for a in first} == {
        (late, "first response", "breach"),
        (late, "resolution", "breach"),
        (near, "first response", "warning"),
    }
    assert sla_alerts.check(db, NOW) == []  # once: a second pass (or process) sends nothing
    with db.read() as session:
        mail = session.exec(select(Outbox).where(Outbox.kind == "sla_alert")).all()
        events = session.exec(
            select(Event).where(Event.kind.in_(["sla_warning", "sla_breach"]))
        ).all()  # type: ignore[attr-defined]
    assert len(mail) == 3 and len(events) == 3
    assert {m.to_addresses for m in mail} == {"bob@example.com, sue@example.com"}
    assert any("SLA breached: first response" in m.subject for m in mail)
    # The breach of the nearly-due one later is a new alert; its warning is not repeated.
    later = sla_alerts.check(db, datetime(2026, 12, 4, 12, 30, tzinfo=UTC))
    assert [(a.number, a.level) for a in later] == [(near, "breach")]
    # The TUI's notification: alerts after an event id, for the assignee or supervisors.
    shown = Desk(db, agent_bob).sla_alerts_since(0, limit=10)
    assert len(shown) == 4 and shown[-1].breach and shown[-1].number == near
    assert Desk(db, admin).sla_alerts_since(events[-1].id or 0)[-1].number == near


def test_an_alert_on_a_ticket_nobody_holds_reaches_the_desks_supervisors(
    db: Database, admin: Actor
) -> None:
    """Unassigned and in no team (no rule matched it): its alerts, one by one or said in a
    summary, go to the desk's supervisors and admins, as every alert to agents does
    (``tiers.alert_recipients``), where they went to nobody."""
    _sender_runs(db)
    with db.write() as session:
        add_agent(session, admin, "sue", email="sue@example.com", role="supervisor")
        add_agent(session, admin, "al", email="al@example.com")  # an agent: not his
    created = datetime(2026, 12, 4, 11, 10, tzinfo=UTC)
    with time_machine.travel(created, tick=False), db.write() as session:
        number = create_ticket(
            session, admin, subject="Nobody's", body="x", requester_email="x@y.test",
            priority="urgent",
        ).number  # fmt: skip
    sla_alerts.check(db, NOW)
    with db.read() as session:
        mail = session.exec(select(Outbox).where(Outbox.kind == "sla_alert")).all()
    assert [(m.to_addresses, m.subject) for m in mail] == [
        ("sue@example.com", f"[#{number}] SLA nearly due: first response")
    ]
    # Alerts owed for days are one summary: to her too.
    _sender_runs(db, NOW + timedelta(days=3))
    sla_alerts.check(db, NOW + timedelta(days=3))
    with db.read() as session:
        summary = session.exec(
            select(Outbox.to_addresses).where(col(Outbox.ticket_id).is_(None))
        ).all()
    assert summary == ["sue@example.com"]


def test_a_pass_looks_only_at_tickets_whose_next_alert_came(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """Each ticket keeps when its next alert is due (``sla_alert_at``): the pass reads only
    the tickets whose time came, and a ticket whose every clock was alerted to the end is
    not looked at again until it changes (a big desk's overdue tickets cost every pass a
    second)."""
    late = _new(db, admin, datetime(2026, 12, 3, 11, 30, tzinfo=UTC), "Payroll failed")
    near = _new(db, admin, datetime(2026, 12, 4, 11, 10, tzinfo=UTC), "VPN flaky")

    def looked_at(now: datetime) -> set[int]:
        with db.read() as session:
            ids = set(sla_alerts._candidates(session, now))
            return {t.number for t in session.exec(select(Ticket)).all() if t.id in ids}

    assert looked_at(NOW) == {late, near}
    assert looked_at(datetime(2026, 12, 3, 11, 0, tzinfo=UTC)) == set()  # before any warning
    sla_alerts.check(db, NOW)
    assert looked_at(NOW) == set()  # near warned: nothing until its breach (12:10)
    later = datetime(2026, 12, 4, 12, 30, tzinfo=UTC)
    assert looked_at(later) == {near}
    assert [a.number for a in sla_alerts.check(db, later)] == [near]
    monday = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert looked_at(monday) == {near}  # its first response's breach said; its resolution's not
    assert [(a.number, a.clock) for a in sla_alerts.check(db, monday)] == [(near, "resolution")]
    assert looked_at(monday) == set()
    with db.write() as session:  # a change recomputes its next alert: none owed, none said
        fields.set_priority(session, admin, late, "low")
    assert looked_at(monday) == set() and sla_alerts.check(db, monday) == []


def test_a_desk_whose_alerts_never_ran_does_not_announce_old_breaches_one_by_one(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """Upgraded from before alerts existed, or its alerts never run: the first pass records
    an alert owed for more than a day (``STALE``) as given — its notice, no event of its
    own, no mail of its own, no escalation — and says the breaches among them once, in one
    summary; the recent ones are announced as ever."""
    _sender_runs(db)
    with db.write() as session:
        bob = session.exec(select(Agent).where(Agent.login == "bob")).one()
        bob.email = "bob@example.com"
        ensure_team(session, "Network")
    Desk(db, admin).sla_set_team_tier("Network", 2)  # where a breach escalates to
    months = _new(db, admin, datetime(2026, 9, 1, 9, 0, tzinfo=UTC), "Old and forgotten")
    recent = _new(db, admin, datetime(2026, 12, 4, 10, 0, tzinfo=UTC), "Printer jammed")
    done = sla_alerts.run_pass(db, NOW, auto_escalate=AutoEscalate.BREACH)
    assert [(a.number, a.clock, a.level) for a in done.alerts] == [
        (recent, "first response", "breach")
    ]
    assert done.late == 2 and done.overdue == 1  # the old ticket's two breaches: one summary
    with db.read() as session:
        mail = session.exec(select(Outbox).where(Outbox.kind == "sla_alert")).all()
        said = session.exec(
            select(Event.ticket_number, Event.kind).where(
                col(Event.kind).in_(["sla_warning", "sla_breach", "escalated", "sla_overdue"])
            )
        ).all()
        notices = session.exec(select(SlaNotice)).all()
    summary = "1 ticket breached while SLA alerts were not running (since 2026-09-01 10:00 UTC)"
    assert sorted(m.subject for m in mail) == [
        f"SLA: {summary}", f"[#{recent}] SLA breached: first response"
    ]  # fmt: skip
    assert sorted((str(n), k) for n, k in said) == sorted([
        ("None", "sla_overdue"), ("None", "sla_overdue"),  # the desk's and bob's
        (str(recent), "escalated"), (str(recent), "sla_breach"),
    ])  # fmt: skip
    assert months not in {number for number, _ in said}
    assert len(notices) == 6  # warning and breach: two clocks of the old, one of the recent
    again = sla_alerts.run_pass(db, NOW)
    assert again.alerts == [] and again.overdue == 0  # given once, either way


def test_breaches_while_alerts_were_not_running_are_said_once_per_agent_and_team(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """Alerts stopped for 30 hours: the tickets that breached meanwhile and are still
    breached are said once — one line in each terminal's alert line (an agent's tickets;
    a supervisor's, the desk's), one mail to each agent and team supervisor — not one mail
    per breach; a breach of the last hour is announced as ever."""
    _sender_runs(db)
    with db.write() as session:
        sue_row = add_agent(session, admin, "sue", name="Sue", email="sue@example.com",
                            role="supervisor", teams=["Support"])  # fmt: skip
        cat_row = add_agent(session, admin, "cat", name="Cat", email="cat@example.com",
                            teams=["Support"])  # fmt: skip
        bob = session.exec(select(Agent).where(Agent.login == "bob")).one()
        bob.email = "bob@example.com"
        sue = Actor("sue", sue_row.id, "supervisor")
        cat = Actor("cat", cat_row.id, "agent")
    wednesday = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    first = _new(db, admin, wednesday, "Payroll failed")
    second = _new(db, admin, wednesday + timedelta(hours=1), "Mail down")
    answered = _new(db, admin, wednesday, "Answered late, then closed")
    with db.write() as session:
        fields.set_status(session, admin, answered, "closed")
    recent = _new(db, admin, datetime(2026, 12, 4, 10, 0, tzinfo=UTC), "Printer jammed")
    last = max(e.id or 0 for e in _events(db))
    done = sla_alerts.run_pass(db, NOW)
    assert [(a.number, a.level) for a in done.alerts] == [(recent, "breach")]
    assert done.overdue == 2
    line = "2 tickets breached while SLA alerts were not running (since 2026-12-02 10:00 UTC)"
    with db.read() as session:
        mail = session.exec(select(Outbox).where(Outbox.kind == "sla_alert")).all()
    summaries = sorted((m.to_addresses, m.subject) for m in mail if m.ticket_id is None)
    assert summaries == [("bob@example.com", f"SLA: {line}"), ("sue@example.com", f"SLA: {line}")]
    body = next(m.body for m in mail if m.ticket_id is None)
    assert f'#{first} "Payroll failed": first response breached' in body
    assert f"#{second}" in body and f"#{answered}" not in body
    assert len(mail) == 3  # the two summaries, the recent breach's own mail
    shown = {
        who.name: Desk(db, who).sla_alerts_since(last, limit=10) for who in (agent_bob, sue, cat)
    }
    assert [(a.text, a.breach) for a in shown["bob"] if a.number == 0] == [(line, True)]
    assert [a.text for a in shown["sue"] if a.number == 0] == [line]
    assert shown["cat"] == []  # none of them hers
    assert [a.number for a in shown["bob"] if a.number] == [recent]
    again = sla_alerts.run_pass(db, NOW + timedelta(minutes=5))
    assert again.alerts == [] and again.overdue == 0
    assert Desk(db, agent_bob).sla_alerts_since(last, limit=10) == shown["bob"]


def _events(db: Database) -> list[Event]:
    with db.read() as session:
        return list(session.exec(select(Event)).all())


def test_a_desk_without_smtp_shows_alerts_in_the_terminal_and_queues_no_mail(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """No outbox sender ever ran (no SMTP): an alert is an event the terminal shows, no mail
    is queued to wait forever, and what was queued before is withdrawn with a one-line
    reason. When a sender runs (SMTP configured later), alerts are mailed again, and the
    old alert mail is not sent: the sender withdraws alert mail more than a day old."""
    with db.write() as session:
        bob = session.exec(select(Agent).where(Agent.login == "bob")).one()
        bob.email = "bob@example.com"
    reads = MailReads(db, admin, clock=lambda: NOW)
    assert not reads.mail_state([]).alerts_by_mail
    old = _new(db, admin, datetime(2026, 12, 4, 10, 0, tzinfo=UTC), "Printer jammed")
    with db.write() as session:  # an alert mail queued before this change, never sent
        ticket = session.exec(select(Ticket).where(Ticket.number == old)).one()
        outbox.queue_mail(
            session, ticket, now=NOW, kind="sla_alert", to=["bob@example.com"], body="x"
        )
    assert [(a.number, a.level) for a in sla_alerts.check(db, NOW)] == [(old, "breach")]
    assert Desk(db, agent_bob).sla_alerts_since(0)[-1].number == old  # the terminal's line
    assert reads.mail_state([]).outbox == {"queued": 1}  # no new mail beside the old one
    assert sla_alerts.withdraw_unsendable(db, NOW) == 1
    assert reads.mail_state([]).outbox == {"withdrawn": 1}  # not waiting any more
    with db.read() as session:
        why = session.exec(select(Outbox.last_error)).one()
    assert why == (
        "not sent: no outbox sender (SMTP) ran on this desk for a day; "
        "alerts are shown in the terminal"
    )

    _sender_runs(db)  # SMTP configured: a sender runs
    assert reads.mail_state([]).alerts_by_mail
    assert sla_alerts.withdraw_unsendable(db, NOW) == 0
    new = _new(db, admin, datetime(2026, 12, 4, 11, 10, tzinfo=UTC), "VPN flaky")
    assert [(a.number, a.level) for a in sla_alerts.check(db, NOW)] == [(new, "warning")]
    with db.write() as session:  # a day's worth of waiting alert mail: withdrawn, not sent
        stale = session.exec(select(Outbox).where(Outbox.status == "queued")).one()
        stale.created_at = NOW - timedelta(days=1, minutes=1)
        ticket = session.exec(select(Ticket).where(Ticket.number == new)).one()
        outbox.queue_mail(session, ticket, now=NOW, kind="reply", to=["kim@example.com"], body="x")
    with db.write() as session:
        claimed = outbox.claim_due(session, NOW + timedelta(days=1), lambda n: f"<{n}@x>")
        kinds = session.exec(select(Outbox.kind, Outbox.status).order_by(col(Outbox.id))).all()
    assert len(claimed) == 1  # the customer's reply only
    assert [tuple(k) for k in kinds] == [
        ("sla_alert", "withdrawn"), ("sla_alert", "withdrawn"), ("reply", "sending")
    ]  # fmt: skip
    # The sender stops cleanly: the desk still sends mail for a day, then no more.
    with db.write() as session:
        leases.release(session, OUTBOX_LEASE, "mailer", now=NOW)
    with db.read() as session:
        assert sends(session, NOW + timedelta(hours=23))
        assert not sends(session, NOW + timedelta(days=1, minutes=1))


def test_a_pass_says_when_the_next_can_have_anything_to_say(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """``Pass.next_at``: the earliest next alert still to come of any ticket."""
    assert sla_alerts.run_pass(db, NOW).next_at is None  # no ticket, no clock
    near = _new(db, admin, datetime(2026, 12, 4, 11, 10, tzinfo=UTC), "VPN flaky")
    first = sla_alerts.run_pass(db, NOW)
    assert [(a.number, a.level) for a in first.alerts] == [(near, "warning")]
    with db.read() as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == near)).one()
        response_due = ticket.response_due_at
    assert response_due is not None and first.next_at == response_due  # its breach
    again = sla_alerts.run_pass(db, NOW)
    assert again.alerts == [] and again.next_at == response_due
    with time_machine.travel(NOW, tick=False), db.write() as session:
        fields.set_status(session, admin, near, "waiting")  # waiting on the customer
    assert sla_alerts.run_pass(db, NOW).next_at is None  # paused: no clock runs


def test_a_breach_can_escalate_to_the_next_tiers_team(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    desk = Desk(db, admin)
    with db.write() as session:
        add_agent(session, admin, "nia", name="Nia", email="nia@example.com", teams=["Network"])
    desk.sla_set_team_tier("Network", 2)
    late = _new(db, admin, datetime(2026, 12, 3, 11, 30, tzinfo=UTC), "Payroll failed")
    sla_alerts.check(db, NOW, auto_escalate=AutoEscalate.BREACH)
    with db.read() as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == late)).one()
        moves = session.exec(
            select(Event).where(
                Event.ticket_number == late,
                col(Event.kind).in_(["escalated", "tier", "team", "assignee"]),
            )
        ).all()
    assert ticket.tier == 2 and ticket.assignee_id is None
    # One event for the move (the assign that set the ticket up came before it): two clocks
    # breached at once still move the ticket one tier.
    assert [(e.actor, e.kind, e.field, e.old_value, e.new_value) for e in moves][2:] == [
        ("sla", "escalated", "auto at breach", "tier 1, Support", "tier 2, Network")
    ]
    history = [e.text for e in Desk(db, admin).ticket_show(late).events]
    assert "sla: escalated from tier 1 (Support) to tier 2 (Network), auto at breach" in history


def test_a_breach_never_escalates_past_the_last_tier_a_team_works(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """A desk of two tiers: a breach at tier 2 is an alert, not a move to a "tier 3" nobody
    works, with an "escalated" mail to the team that already holds the ticket."""
    desk = Desk(db, admin)
    with db.write() as session:
        add_agent(session, admin, "nia", name="Nia", email="nia@example.com", teams=["Network"])
    desk.sla_set_team_tier("Support", 1)
    desk.sla_set_team_tier("Network", 2)
    late = _new(db, admin, datetime(2026, 12, 3, 11, 30, tzinfo=UTC), "Payroll failed")
    desk.ticket_escalate(late)  # by hand, to tier 2: Network
    alerts = sla_alerts.check(db, NOW, auto_escalate=AutoEscalate.BREACH)
    with db.read() as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == late)).one()
        moves = session.exec(
            select(Event.field, Event.new_value).where(
                Event.ticket_number == late, Event.kind == "escalated"
            )
        ).all()
        mails = session.exec(select(Outbox.kind).where(Outbox.kind == "escalation")).all()
    assert {(a.number, a.level) for a in alerts} == {(late, "breach")}
    assert (ticket.tier, moves, len(mails)) == (2, [("manual", "tier 2, Network")], 1)


def test_a_ticket_given_to_a_team_takes_the_tier_it_works(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """Given to Network (tier 2), a tier 1 ticket is at tier 2 (a "tier" event by whoever
    gave it): its breach is the alert alone, where it "escalated" to tier 2 within Network
    and mailed the team that held it. Above the team's tier, or to a team working none, the
    tier stays."""
    desk = Desk(db, admin)
    with db.write() as session:
        add_agent(session, admin, "nia", name="Nia", email="nia@example.com", teams=["Network"])
        ensure_team(session, "Desk")
    desk.sla_set_team_tier("Network", 2)
    late = _new(db, admin, datetime(2026, 12, 3, 11, 30, tzinfo=UTC), "Payroll failed")
    other = _new(db, admin, datetime(2026, 12, 3, 11, 30, tzinfo=UTC), "Wifi")
    with db.write() as session:
        fields.assign(session, admin, late, team="Network")
        fields.set_tier(session, admin, other, 3)
        fields.assign(session, admin, other, team="Network")
    with db.write() as session:
        fields.assign(session, admin, other, team="Desk")
    alerts = sla_alerts.check(db, NOW, auto_escalate=AutoEscalate.BREACH)
    with db.read() as session:
        tiers = dict(session.exec(select(Ticket.number, Ticket.tier)).all())
        tier_events = session.exec(
            select(Event.actor, Event.old_value, Event.new_value).where(
                Event.ticket_number == late, Event.kind == "tier"
            )
        ).all()
        moves = session.exec(select(Event.id).where(Event.kind == "escalated")).all()
        mails = session.exec(select(Outbox.id).where(Outbox.kind == "escalation")).all()
    assert {(a.number, a.level) for a in alerts} >= {(late, "breach")}
    assert (tiers[late], tiers[other]) == (2, 3)
    assert tier_events == [("ada", "1", "2")]
    assert (moves, mails) == ([], [])
    # A customer writing again on a closed Network ticket starts a new one there: tier 2.
    with db.write() as session:
        fields.set_tier(session, admin, late, 1)
        fields.set_status(session, admin, late, "closed")
        again, _ = add_customer_message(session, admin, late, body="still down")
    assert (again.number != late, again.tier) == (True, 2)


def test_automatic_escalation_at_the_warning(db: Database, admin: Actor, agent_bob: Actor) -> None:
    desk = Desk(db, admin)
    with db.write() as session:
        add_agent(session, admin, "nia", name="Nia", email="nia@example.com", teams=["Network"])
    desk.sla_set_team_tier("Network", 2)
    assert desk.sla_auto_escalate("warning") is AutoEscalate.WARNING
    near = _new(db, admin, datetime(2026, 12, 4, 11, 10, tzinfo=UTC), "VPN flaky")
    assert [a.level for a in sla_alerts.check(db, NOW)] == ["warning"]
    later = datetime(2026, 12, 4, 12, 30, tzinfo=UTC)
    assert [a.level for a in sla_alerts.check(db, later)] == ["breach"]  # no second move
    with db.read() as session:
        moves = session.exec(
            select(Event.actor, Event.field, Event.old_value, Event.new_value).where(
                Event.ticket_number == near, Event.kind == "escalated"
            )
        ).all()
        tier = session.exec(select(Ticket.tier).where(Ticket.number == near)).one()
    assert [tuple(m) for m in moves] == [
        ("sla", "auto at warning", "tier 1, Support", "tier 2, Network")
    ]
    assert tier == 2
    with db.read() as session:  # the history words the alerts once: not "sla: sla warning …"
        said = [e.text for e in ticket_detail(session, near).events if e.text.startswith("SLA")]
    assert said == [
        "SLA: first response nearly due (due 2026-12-04 12:10 UTC)",
        "SLA: first response breached (due 2026-12-04 12:10 UTC)",
    ], said


def test_the_desk_switch_turns_automatic_escalation_on(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    desk = Desk(db, admin, clock=lambda: NOW)
    with db.write() as session:
        add_agent(session, admin, "nia", name="Nia", email="nia@example.com", teams=["Network"])
    desk.sla_set_team_tier("Network", 2)
    assert desk.sla_auto_escalate() is AutoEscalate.OFF  # off until an admin turns it on
    stays = _new(db, admin, datetime(2026, 12, 3, 11, 30, tzinfo=UTC), "Payroll failed")
    assert desk.sla_check_alerts() == 2  # both clocks breached; the ticket stays
    with pytest.raises(PermissionDenied):
        Desk(db, agent_bob).sla_auto_escalate("breach")
    with pytest.raises(InvalidValue, match="off, warning or breach"):
        desk.sla_auto_escalate("sometimes")
    assert desk.sla_auto_escalate("on") is AutoEscalate.BREACH
    assert Desk(db, agent_bob).sla_auto_escalate() is AutoEscalate.BREACH
    moves = _new(db, admin, datetime(2026, 12, 3, 11, 40, tzinfo=UTC), "Printer on fire")
    sla_alerts.check(db, NOW)  # what the mail service calls: the desk's switch decides
    with db.read() as session:
        tiers = dict(
            session.exec(
                select(Ticket.number, Ticket.tier).where(col(Ticket.number).in_([stays, moves]))
            ).all()
        )
    assert tiers == {stays: 1, moves: 2}


def test_a_pass_that_fails_between_batches_leaves_its_summary_to_the_next(
    db: Database, admin: Actor, agent_bob: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass that fails after its first batch committed (its stale breaches recorded as
    given) and before the rest: the next pass's summary says the first batch's breaches too,
    once — they were written with the last batch's summary, and lost."""
    _sender_runs(db)
    with db.write() as session:
        bob = session.exec(select(Agent).where(Agent.login == "bob")).one()
        bob.email = "bob@example.com"
    wednesday = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    first = _new(db, admin, wednesday, "Payroll failed")
    second = _new(db, admin, wednesday + timedelta(hours=1), "Mail down")
    monkeypatch.setattr(sla_alerts, "BATCH", 1)
    real = sla_alerts._check_batch
    calls: list[list[int]] = []

    def fails_second(session: object, ids: list[int], *args: object, **kwargs: object) -> object:
        calls.append(ids)
        if len(calls) == 2:
            raise RuntimeError("injected: the process dies between batches")
        return real(session, ids, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sla_alerts, "_check_batch", fails_second)
    with pytest.raises(RuntimeError, match="injected"):
        sla_alerts.run_pass(db, NOW)
    with db.read() as session:
        assert len(session.exec(select(SlaNotice)).all()) == 4  # the first ticket's, given
        assert session.exec(select(Event).where(Event.kind == "sla_overdue")).all() == []
    monkeypatch.setattr(sla_alerts, "_check_batch", real)
    done = sla_alerts.run_pass(db, NOW + timedelta(minutes=5))
    assert done.alerts == [] and done.overdue == 2
    line = "2 tickets breached while SLA alerts were not running (since 2026-12-02 10:00 UTC)"
    with db.read() as session:
        mail = session.exec(select(Outbox).where(Outbox.kind == "sla_alert")).all()
        said = session.exec(select(Event.field, Event.new_value).where(
            Event.kind == "sla_overdue"
        )).all()  # fmt: skip
    assert sorted(m.subject for m in mail) == [f"SLA: {line}"]
    assert f"#{first}" in mail[0].body and f"#{second}" in mail[0].body
    assert sorted(said) == [("agent:" + str(agent_bob.agent_id), line), ("desk", line)]
    again = sla_alerts.run_pass(db, NOW + timedelta(minutes=10))
    assert again.overdue == 0  # said once
    with db.read() as session:
        assert len(session.exec(select(Event).where(Event.kind == "sla_overdue")).all()) == 2


def test_a_summary_says_since_when_the_alerts_stopped_not_the_first_breach(
    db: Database, admin: Actor, agent_bob: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its "since" is the last pass before the gap (``sla.last_pass``); it said the earliest
    breach, a day after the passes stopped here. A pass that failed is no pass: the one
    after it still says when they stopped."""
    stopped = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # a pass on Tuesday morning, then none
    assert sla_alerts.run_pass(db, stopped).alerts == []
    _new(db, admin, datetime(2026, 12, 2, 9, 0, tzinfo=UTC), "Payroll failed")

    def dies(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError("injected: the process dies in its first batch")

    real = sla_alerts._check_batch
    monkeypatch.setattr(sla_alerts, "_check_batch", dies)
    with pytest.raises(RuntimeError, match="injected"):
        sla_alerts.run_pass(db, NOW - timedelta(hours=1))
    monkeypatch.setattr(sla_alerts, "_check_batch", real)
    assert sla_alerts.run_pass(db, NOW).overdue == 1
    line = "1 ticket breached while SLA alerts were not running (since 2026-12-01 08:00 UTC)"
    with db.read() as session:
        said = session.exec(select(Event.new_value).where(Event.kind == "sla_overdue")).all()
        assert sla_alerts.last_pass(session) == NOW
    assert said == [line, line]  # the desk's and bob's


def test_alert_times_say_the_zone_they_are_in(db: Database, admin: Actor, agent_bob: Actor) -> None:
    """An alert's time, in its event (the history, the terminal's alert line) and its mail,
    by the one rule for a time people read (``timefmt.stamp``): the zone of the machine
    that runs the pass, named. It said "12:30 UTC" on a desk kept in Berlin, and a mail
    read in another zone had only the server's word for it."""
    _sender_runs(db)
    with db.write() as session:
        bob = session.exec(select(Agent).where(Agent.login == "bob")).one()
        bob.email = "bob@example.com"
    months = _new(db, admin, datetime(2026, 9, 1, 9, 0, tzinfo=UTC), "Old and forgotten")
    late = _new(db, admin, datetime(2026, 12, 3, 11, 30, tzinfo=UTC), "Payroll failed")
    with local_zone("Europe/Berlin"):
        sla_alerts.run_pass(db, NOW)
    with db.read() as session:
        mail = session.exec(select(Outbox).where(Outbox.kind == "sla_alert")).all()
        said = session.exec(
            select(Event.new_value).where(col(Event.kind).in_(["sla_breach", "sla_overdue"]))
        ).all()
    assert "first response breached (due 2026-12-03 13:30 CET)" in said  # 12:30 UTC
    assert any("(since 2026-09-01 12:00 CEST)" in str(line) for line in said)
    bodies = "\n".join(m.body for m in mail)
    assert f'#{late} "Payroll failed": first response breached (due 2026-12-03 13:30 CET)' in bodies
    assert f'#{months} "Old and forgotten": first response breached (due 2026-09-01' in bodies
    assert "UTC" not in bodies
