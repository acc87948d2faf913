"""``helpdesk sla`` and ``helpdesk ticket sla``: the explanation prints the stored numbers."""

from __future__ import annotations

import json

import time_machine
from sqlmodel import select

from helpdesk_tui.desk.tiers import NOBODY_BY_MAIL
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Ticket
from tests.cli.conftest import Invoke, as_login, on_sqlite_only, one_error_line


def test_ticket_sla_prints_the_stored_due_times(invoke: Invoke, use_db: str) -> None:
    result = invoke(
        "ticket", "new", "--subject", "VPN", "--from", "a@example.com", "--body", "down",
        "--priority", "high", "--json",
    )  # fmt: skip
    number = json.loads(result.stdout)["number"]
    assert invoke("ticket", "status", str(number), "waiting").exit_code == 0
    assert invoke("ticket", "status", str(number), "open").exit_code == 0
    result = invoke(
        "sla", "calendar", "set", "berlin", "--tz", "Europe/Berlin", "--holidays", "DE-BY"
    )
    assert result.exit_code == 0, result.stderr
    result = invoke(
        "sla", "policy", "set", "vip", "--priority", "high", "--first", "30m", "--resolve", "2h",
        "--calendar", "berlin",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "1 open ticket(s) have new due times" in result.stdout
    text = invoke("ticket", "sla", str(number))
    assert text.exit_code == 0, text.stderr
    assert "policy   vip: priority high" in text.stdout
    assert "holidays DE-BY" in text.stdout
    assert "paused" in text.stdout and "resumed" in text.stdout
    shown = json.loads(invoke("ticket", "sla", str(number), "--json").stdout)
    db = Database(use_db)
    try:
        with db.read() as session:
            ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
    finally:
        db.dispose()
    assert ticket.response_due_at is not None and ticket.resolution_due_at is not None
    assert shown["response_due_at"] == ticket.response_due_at.isoformat()
    assert shown["resolution_due_at"] == ticket.resolution_due_at.isoformat()
    assert shown["clocks"][-1]["due_at"] == ticket.resolution_due_at.isoformat()
    due = ticket.resolution_due_at.strftime("%Y-%m-%d %H:%M UTC")
    assert f"due      {due}" in text.stdout
    # The last line names the queue's due time: the earliest pending target (unanswered: the
    # first response), equal to what the ticket stores and the queue sorts by.
    assert ticket.sla_due_at == ticket.reply_due_at == ticket.response_due_at
    assert shown["due_at"] == ticket.sla_due_at.isoformat()
    first = ticket.sla_due_at.strftime("%Y-%m-%d %H:%M UTC")
    assert text.stdout.splitlines()[-1] == f"due      {first} (first response: the earliest)"


# SQLite only: refused before any SQL; policies are set and listed on PostgreSQL in
# test_sla_set_says_whether_it_added_or_replaced_and_what_it_replaced.
@on_sqlite_only
def test_a_bad_policy_is_one_line(invoke: Invoke, use_db: str) -> None:
    result = invoke("sla", "policy", "set", "x", "--first", "soon", "--resolve", "2h")
    assert result.exit_code != 0
    assert "first response target 'soon'" in one_error_line(result.stderr)
    result = invoke("sla", "calendar", "set", "x", "--tz", "Mars/Olympus")
    assert "unknown time zone" in one_error_line(result.stderr)
    result = invoke("sla", "policy", "list")
    assert result.stdout.splitlines()[0].startswith("default-urgent (built-in)")


def test_sla_set_says_whether_it_added_or_replaced_and_what_it_replaced(
    invoke: Invoke, use_db: str
) -> None:
    """``sla policy set`` (``calendar set``) of a name the desk has replaces that setting:
    said, with the one replaced, where both said "saved" alike."""
    vip = ["sla", "policy", "set", "vip", "--priority", "high", "--resolve", "2h"]
    result = invoke(*vip, "--first", "30m")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "added policy vip: priority high → first response 30m, next response 30m, "
        "resolution 2h; warn at 75%",
        "0 open ticket(s) have new due times",
    ]
    result = invoke(*vip, "--first", "1h")
    assert result.stdout.splitlines() == [
        "updated policy vip: priority high → first response 1h, next response 1h, "
        "resolution 2h; warn at 75%",
        "  was vip: priority high → first response 30m, next response 30m, resolution 2h; "
        "warn at 75%",
        "0 open ticket(s) have new due times",
    ]
    assert invoke(*vip, "--first", "1h").stdout.splitlines() == [  # (nothing recomputed)
        "unchanged policy vip: priority high → first response 1h, next response 1h, "
        "resolution 2h; warn at 75%"
    ]
    berlin = ["sla", "calendar", "set", "berlin", "--tz"]
    assert invoke(*berlin, "Europe/Berlin").stdout.startswith("added calendar berlin (")
    assert invoke(*berlin, "Europe/Paris").stdout.splitlines()[:2] == [
        "updated calendar berlin (mon,tue,wed,thu,fri 09:00-17:00 Europe/Paris)",
        "  was berlin (mon,tue,wed,thu,fri 09:00-17:00 Europe/Berlin)",
    ]
    assert invoke(*berlin, "Europe/Paris", "--closed", "2026-12-24").stdout.startswith("updated")
    result = invoke(*berlin, "Europe/Paris", "--closed", "2026-12-31")  # (the same count)
    assert result.stdout.startswith("updated calendar berlin (")
    result = invoke(*vip, "--first", "1h", "--calendar", "berlin")  # (its calendar alone)
    assert result.stdout.splitlines()[:2] == [
        "updated policy vip: priority high → first response 1h, next response 1h, "
        "resolution 2h; warn at 75%; calendar berlin",
        "  was vip: priority high → first response 1h, next response 1h, resolution 2h; "
        "warn at 75%",
    ]


def test_sla_tier_says_whether_it_added_changed_or_left_the_tier(
    invoke: Invoke, use_db: str
) -> None:
    """``sla tier TEAM N`` said "works tier N" even when the team worked it already."""
    assert invoke("team", "add", "Network").exit_code == 0
    assert invoke("sla", "tier", "Network", "2").stdout.splitlines() == [
        "added team tier: Network works tier 2",
        "escalation to tier 2 goes to Network",
    ]
    assert invoke("sla", "tier", "Network", "3").stdout.splitlines() == [
        "updated team tier: Network works tier 3",
        "  was tier 2",
        "escalation to tier 3 goes to Network",
    ]
    result = invoke("sla", "tier", "Network", "3")
    assert result.stdout.splitlines() == ["unchanged team tier: Network works tier 3"]
    assert invoke("team", "add", "Desktop").exit_code == 0
    assert invoke("sla", "tier").stdout.splitlines() == [  # a team without one is listed too
        "tier 3   Network",
        "no tier  Desktop",
    ]


def test_sla_auto_escalate_is_a_desk_switch_only_admins_turn(invoke: Invoke, use_db: str) -> None:
    off = "automatic escalation is off: alerts are sent, the ticket stays"
    on = "automatic escalation is at breach: a breach alert moves the ticket one tier up"
    assert invoke("sla", "auto-escalate").stdout.strip() == off
    assert invoke("agent", "add", "bob").exit_code == 0
    bob = as_login("bob")
    refused = bob("sla", "auto-escalate", "on")
    assert refused.exit_code == 1
    assert "switch automatic escalation" in one_error_line(refused.stderr)
    assert invoke("sla", "auto-escalate", "on").stdout.strip() == on
    assert bob("sla", "auto-escalate").stdout.strip() == on  # the same for every agent
    assert invoke("sla", "auto-escalate", "warning").stdout.strip() == (
        "automatic escalation is at warning: a warning alert moves the ticket one tier up"
    )
    assert invoke("sla", "auto-escalate", "off").stdout.strip() == off
    assert invoke("sla", "auto-escalate", "maybe").exit_code == 2


@time_machine.travel("2026-12-09 10:00:00+00:00", tick=False)  # (a Wednesday, in hours)
def test_sla_status_says_where_alerts_go_and_when_a_pass_last_ran(
    invoke: Invoke, use_db: str
) -> None:
    """One line (or JSON): the desk's policies, its next alert, whether alerts are mailed
    or shown in the terminal only, when a pass last ran and who runs them, escalation.

    At a fixed time in business hours: from a Friday's evening to a Sunday's the ticket's
    first alert came on the Monday, more than a day after the test's outbox sender last held
    its lease, and the late line said "terminal only"."""
    from datetime import UTC, datetime, timedelta

    from helpdesk_tui.desk import leases, sla_alerts
    from helpdesk_tui.desk.mail_reads import OUTBOX_LEASE
    from helpdesk_tui.storage.enums import utcnow

    before = json.loads(invoke("sla", "status", "--json").stdout)
    assert before == {
        "policies": 0, "next_alert_at": None, "overdue": False, "alerts": "terminal only",
        "last_pass_at": None, "runner": None, "auto_escalate": "off",
        "unaddressed": NOBODY_BY_MAIL,
    }  # fmt: skip
    # (a supervisor with an address: alerts of tickets without a team reach someone)
    added = invoke("agent", "add", "sam", "--email", "sam@example.com", "--role", "supervisor")
    assert added.exit_code == 0, added.stderr
    result = invoke("ticket", "new", "--subject", "VPN", "--from", "a@example.com",
                    "--body", "down", "--priority", "high")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert invoke("sla", "policy", "set", "vip", "--priority", "high", "--first", "30m",
                  "--resolve", "2h").exit_code == 0  # fmt: skip
    passed = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    db = Database(use_db)
    try:
        sla_alerts.run_pass(db, passed)  # (before the ticket's clocks: it alerts nothing)
        sla_alerts.run_pass(db, passed + timedelta(seconds=30))  # within the minute: kept
        with db.read() as session:
            ticket = session.exec(select(Ticket)).one()
        with db.write() as session:  # an outbox sender runs: the desk sends mail
            assert leases.acquire(session, OUTBOX_LEASE, "mailer", ttl=timedelta(minutes=1),
                                  now=utcnow())  # fmt: skip
    finally:
        db.dispose()
    assert ticket.sla_alert_at is not None
    shown = json.loads(invoke("sla", "status", "--json").stdout)
    assert shown == {
        "policies": 1, "next_alert_at": ticket.sla_alert_at.isoformat(), "overdue": False,
        "alerts": "mail and terminal", "last_pass_at": passed.isoformat(), "runner": None,
        "auto_escalate": "off", "unaddressed": None,
    }  # fmt: skip
    text = invoke("sla", "status")
    assert text.exit_code == 0, text.stderr
    due = ticket.sla_alert_at.strftime("%Y-%m-%d %H:%M UTC")
    assert text.stdout == (
        f"SLA: 1 policy (and the built-in ones); next alert {due}; alerts: mail and terminal; "
        "last pass 2026-12-04 12:00 UTC, none running now; auto-escalation off\n"
    )
    # Past it, with no process running the passes, the alerts are owed: the line says so.
    with time_machine.travel(ticket.sla_alert_at + timedelta(minutes=1), tick=False):
        late = invoke("sla", "status")
        assert json.loads(invoke("sla", "status", "--json").stdout)["overdue"] is True
    assert late.exit_code == 0, late.stderr
    assert late.stdout == (
        f"SLA: 1 policy (and the built-in ones); next alert overdue since {due}: run "
        "`helpdesk mail run` or open the TUI; alerts: mail and terminal; "
        "last pass 2026-12-04 12:00 UTC, none running now; auto-escalation off\n"
    )


def test_sla_status_says_when_alerts_for_tickets_without_a_team_reach_nobody_by_mail(
    invoke: Invoke, use_db: str
) -> None:
    """With no supervisor or admin who has an email address, a team-less ticket's SLA alerts
    and rating concerns were only in its history and the alert lines, and nothing said so:
    ``sla status`` says where to look, until a supervisor or admin has an address (an
    agent's address, or a deactivated supervisor's, reaches no team-less ticket)."""
    warning = f"warning: {NOBODY_BY_MAIL}\n"
    assert invoke("sla", "status").stdout.endswith(warning)
    assert invoke("agent", "add", "al", "--email", "al@example.com").exit_code == 0
    assert invoke("agent", "add", "sue", "--role", "supervisor").exit_code == 0
    assert invoke("sla", "status").stdout.endswith(warning)
    added = invoke("agent", "add", "sam", "--email", "sam@example.com", "--role", "supervisor")
    assert added.exit_code == 0, added.stderr
    shown = invoke("sla", "status")
    assert shown.exit_code == 0 and "warning" not in shown.stdout, shown.stdout
    assert len(shown.stdout.splitlines()) == 1
    assert json.loads(invoke("sla", "status", "--json").stdout)["unaddressed"] is None
    assert invoke("agent", "deactivate", "sam").exit_code == 0
    assert invoke("sla", "status").stdout.endswith(warning)
