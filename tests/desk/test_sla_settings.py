"""The SLA settings as the TUI's desk settings edit them (the CLI's writers, with a form's
guard): a new policy never replaces one, a calendar, tier or escalation switch is written
only onto what the form read, each change is one ``setting_changed`` event that moves the
desk's change mark; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from helpdesk_tui.desk import queue
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import ChangedMeanwhile, InvalidValue, PermissionDenied
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.settings import SETTING_CHANGED
from helpdesk_tui.desk.sla_reads import SlaTierView, days_text
from helpdesk_tui.desk.sla_service import Verdict
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Event, Team

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _desk(db: Database, actor: Actor) -> Desk:
    return Desk(db, actor, clock=lambda: NOW)


def _changes(db: Database) -> list[tuple[str | None, str | None, str | None, str]]:
    with db.read() as session:
        rows = session.exec(
            select(Event.field, Event.old_value, Event.new_value, Event.actor)
            .where(Event.kind == SETTING_CHANGED)
            .order_by(col(Event.id))
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _mark(db: Database) -> tuple[int, int]:
    with db.read_rows() as conn:
        return queue.change_mark(conn, NOW).events


def test_a_new_policy_never_replaces_one_and_is_recorded(db: Database, admin: Actor) -> None:
    desk = _desk(db, admin)
    desk.sla_set_calendar("Berlin", timezone="Europe/Berlin")
    desk.sla_set_policy(
        "vip", first_response="1h", next_response="1h", resolution="8h", priority="high", new=True
    )
    before = desk.sla_policies()
    with pytest.raises(ChangedMeanwhile, match="there is a policy vip already"):
        desk.sla_set_policy(
            "vip", first_response="2h", next_response="2h", resolution="9h", new=True
        )
    assert desk.sla_policies() == before
    assert _changes(db)[-1] == (
        "sla policy",
        None,
        "vip: priority high → first response 1h, next response 1h, resolution 8h; warn at 75%",
        "ada",
    )  # fmt: skip


def test_a_form_writes_only_onto_what_it_read(db: Database, admin: Actor) -> None:
    """Another admin's change between a form's read and its save is never written over."""
    desk = _desk(db, admin)
    desk.sla_set_calendar("Berlin", timezone="Europe/Berlin")
    desk.sla_set_policy("vip", first_response="1h", next_response="1h", resolution="8h")
    policy = desk.sla_policies()[0]
    calendar = desk.sla_calendars()[1]
    desk.sla_set_policy(  # meanwhile
        "vip", first_response="1h", next_response="1h", resolution="8h", calendar="Berlin"
    )
    desk.sla_set_calendar("Berlin", timezone="Europe/Berlin", holidays="DE-BE")
    with pytest.raises(ChangedMeanwhile, match="policy vip was changed meanwhile"):
        desk.sla_set_policy(
            "vip", first_response="2h", next_response="1h", resolution="8h", expected=policy
        )
    with pytest.raises(ChangedMeanwhile, match="calendar Berlin was changed meanwhile"):
        desk.sla_set_calendar("Berlin", timezone="UTC", expected=calendar)
    assert desk.sla_policies()[0].calendar == "Berlin"
    assert desk.sla_calendars()[1].holidays == "DE-BE"
    desk.sla_remove_policy("vip")
    with pytest.raises(ChangedMeanwhile, match="policy vip is no longer there"):
        desk.sla_set_policy(
            "vip", first_response="2h", next_response="1h", resolution="8h", expected=policy
        )
    fresh = desk.sla_calendars()[1]
    desk.sla_set_calendar("Berlin", timezone="UTC", holidays="DE-BE", expected=fresh)
    assert desk.sla_calendars()[1].timezone == "UTC"


def test_a_calendar_is_read_as_calendar_set_takes_it(db: Database, admin: Actor) -> None:
    desk = _desk(db, admin)
    desk.sla_set_calendar(
        "Tel Aviv",
        timezone="Asia/Jerusalem",
        days="sun-thu",
        hours="08:30-24:00",
        holidays="il",
        closed=["2026-12-31", "2026-12-24"],
    )
    built_in, tel_aviv = desk.sla_calendars()
    assert built_in.built_in and (built_in.days, built_in.hours) == ("mon-fri", "09:00-17:00")
    assert (tel_aviv.timezone, tel_aviv.days, tel_aviv.hours, tel_aviv.holidays) == (
        "Asia/Jerusalem", "mon-thu,sun", "08:30-24:00", "IL"
    )  # fmt: skip
    assert tel_aviv.closed == ("2026-12-24", "2026-12-31") and not tel_aviv.built_in
    desk.sla_set_calendar(  # written back as read: the same calendar
        "Tel Aviv",
        timezone=tel_aviv.timezone,
        days=tel_aviv.days,
        hours=tel_aviv.hours,
        holidays=tel_aviv.holidays,
        closed=tel_aviv.closed,
        expected=tel_aviv,
    )
    assert desk.sla_calendars()[1] == tel_aviv
    events = len(_changes(db))
    saved = desk.sla_set_calendar(  # another closed day for one: a change, said and recorded
        "Tel Aviv",
        timezone=tel_aviv.timezone,
        days=tel_aviv.days,
        hours=tel_aviv.hours,
        holidays=tel_aviv.holidays,
        closed=["2026-12-24", "2027-01-01"],
    )
    assert saved.verdict == "updated" and len(_changes(db)) == events + 1
    assert _changes(db)[-1][1:3] == (
        "Tel Aviv (mon,tue,wed,thu,sun 08:30-24:00 Asia/Jerusalem, holidays IL, "
        "closed 2026-12-24, 2026-12-31)",
        "Tel Aviv (mon,tue,wed,thu,sun 08:30-24:00 Asia/Jerusalem, holidays IL, "
        "closed 2026-12-24, 2027-01-01)",
    )
    assert days_text(frozenset({0, 2, 5, 6})) == "mon,wed,sat-sun"


def test_tiers_and_escalation_are_guarded_and_for_admins(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    with db.write() as session:
        session.add(Team(name="Network"))
    desk = _desk(db, admin)
    assert desk.sla_tiers() == [SlaTierView("Network", None), SlaTierView("Support", None)]
    desk.sla_set_team_tier("Support", 1, expected=SlaTierView("Support", None))
    assert desk.sla_set_team_tier("Support", "1").verdict is Verdict.UNCHANGED  # no event
    with pytest.raises(ChangedMeanwhile, match="Support's tier was changed meanwhile"):
        desk.sla_set_team_tier("Support", 2, expected=SlaTierView("Support", None))
    with pytest.raises(InvalidValue, match="tier must be 1 to 4"):
        desk.sla_set_team_tier("Network", "5")
    assert desk.sla_tiers() == [SlaTierView("Network", None), SlaTierView("Support", 1)]
    assert desk.sla_auto_escalate("warning", expected="off") == "warning"
    with pytest.raises(ChangedMeanwhile, match="escalation was changed meanwhile"):
        desk.sla_auto_escalate("breach", expected="off")
    assert desk.sla_auto_escalate() == "warning"
    bob = _desk(db, agent_bob)
    with pytest.raises(PermissionDenied):
        bob.sla_set_team_tier("Network", 2)
    with pytest.raises(PermissionDenied):
        bob.sla_auto_escalate("off")
    assert bob.sla_tiers() == desk.sla_tiers()
    assert _changes(db) == [
        ("team tier", None, "Support: tier 1", "ada"),
        ("sla auto-escalation", "off", "warning", "ada"),
    ]


def test_every_settings_change_moves_the_change_mark(db: Database, admin: Actor) -> None:
    """Even one that moves no ticket's clock (no open ticket): other terminals' desk
    settings (and queues) look again."""
    desk = _desk(db, admin)
    edits = [
        lambda: desk.sla_set_calendar("Berlin", timezone="Europe/Berlin"),
        lambda: desk.sla_set_policy(
            "vip", first_response="1h", next_response="1h", resolution="8h", calendar="Berlin"
        ),
        lambda: desk.sla_set_team_tier("Support", 2),
        lambda: desk.sla_auto_escalate("breach"),
        lambda: desk.satisfaction_surveys(not desk.satisfaction_surveys_on()),
        lambda: desk.sla_remove_policy("vip"),
    ]
    for edit in edits:
        mark = _mark(db)
        edit()
        assert _mark(db) != mark
    mark = _mark(db)
    desk.sla_auto_escalate("breach")  # (the same again: nothing to record)
    assert _mark(db) == mark
    assert [field for field, *_ in _changes(db)] == [
        "sla calendar", "sla policy", "team tier", "sla auto-escalation", "surveys", "sla policy"
    ]  # fmt: skip
