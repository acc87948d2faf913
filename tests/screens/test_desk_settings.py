"""The desk settings screen (D on the queue, the palette): SLA policies and calendars, the
routing rules and their check, the surveys; an admin edits a policy's targets and switches
the surveys, an agent reads. Snapshots at 80x24 on the seeded screen desk, one per tab."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static, TabbedContent, Tabs
from textual.widgets._tabbed_content import ContentTab

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.config import Settings
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.screens.confirm import ChoiceScreen
from helpdesk_tui.screens.desk_settings import READ_ONLY, TABS, DeskSettingsScreen
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.screens.settings_form import SettingsForm
from helpdesk_tui.storage.models import Organization
from tests.screens.conftest import FROZEN_NOW, DeskData
from tests.screens.ticket_helpers import screen_lines, settle, until

AppFactory = Callable[..., HelpdeskApp]

HOSTILE_RULES = """
[teams.Support]
assign = "round_robin"

[[set]]
name = "triage"
match = "first"
[[set.rule]]
name = "Invoices \\u001b[2J[bold red]pwn[/]"
if = { subject_contains = ["invoice", "\\u001b]52;c;aGVsbG8=\\u0007[link=file:///etc]x"] }
then = { team = "Support", priority = "high" }
[[set.rule]]
name = "Night shift"
if = { business_hours = false }
then = { team = "Nightwatch" }
"""
"""A rule's name and pattern with escape sequences and markup; a team the desk lacks."""


@pytest.fixture
def policies(desk_data: DeskData) -> Desk:
    """A calendar with a hostile name and a policy on it, beside the built-in ones."""
    desk = Desk(desk_data.db, desk_data.ada)
    desk.sla_set_calendar("Berlin [b]x[/b]", timezone="Europe/Berlin", holidays="DE-BE")
    desk.sla_set_policy(
        "vip-incidents",
        first_response="30m",
        next_response="2h",
        resolution="8h",
        priority="high",
        ticket_type="incident",
        calendar="Berlin [b]x[/b]",
    )
    desk.satisfaction_opt_out("kim@example.com")
    return desk


@pytest.fixture
def rules_app(
    make_test_app: AppFactory,
    desk_data: DeskData,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AppFactory:
    """The app reading HOSTILE_RULES from ``rules.toml`` (a relative path: the same in every
    run's picture)."""
    (tmp_path / "rules.toml").write_text(HOSTILE_RULES, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url=desk_data.db.url, rules_file=Path("rules.toml"))
    return lambda **kw: make_test_app(settings=settings, **kw)


async def open_settings(pilot: Pilot[None], tab: str = "1") -> DeskSettingsScreen:
    await settle(pilot)
    await pilot.press("D")
    await until(pilot, lambda: isinstance(pilot.app.screen, DeskSettingsScreen))
    screen = pilot.app.screen
    assert isinstance(screen, DeskSettingsScreen)
    await until(pilot, lambda: screen.settings is not None)
    await settle(pilot)
    await pilot.press(tab)
    await settle(pilot)
    assert screen.query_one(TabbedContent).active == TABS[int(tab) - 1]
    return screen


@pytest.mark.parametrize("tab", ["1", "2", "3", "4", "5"])
def test_desk_settings_80x24(
    snap_compare: Any, rules_app: AppFactory, policies: Desk, desk_data: DeskData, tab: str
) -> None:
    """1: the policies (the desk's, then the built-in ones), the admin's hint; 2: the
    calendars, the built-in one's use; 3: the teams' tiers, escalation off; 4: the rules,
    their check's first fault (a team the desk lacks), hostile names plain; 5: surveys off
    (the seeded desk's), one requester opted out."""

    async def run_before(pilot: Pilot[None]) -> None:
        await open_settings(pilot, tab)

    assert snap_compare(rules_app(), terminal_size=(80, 24), run_before=run_before)


def _text(screen: DeskSettingsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_an_admin_edits_a_policy_s_targets_and_the_clocks_follow(
    make_test_app: AppFactory, policies: Desk
) -> None:
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)
        assert screen.selected_policy() is not None
        assert screen.selected_policy().name == "vip-incidents"  # type: ignore[union-attr]
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, SettingsForm))
        form = app.screen
        first, resolve = (
            form.query_one("#form-first", Input),
            form.query_one("#form-resolve", Input),
        )
        assert (first.value, resolve.value) == ("30m", "8h")
        first.value, resolve.value = "soon", "6h"
        await pilot.press("enter")
        error = form.query_one("#form-error", Static)
        await until(pilot, lambda: "first response target" in str(error.render()))
        assert "\n" not in str(error.render()).strip()
        assert app.screen is form and (first.value, resolve.value) == ("soon", "6h")
        assert policies.sla_policies()[0].first_response == "30m"  # nothing written
        first.value = "45m"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        await until(pilot, lambda: screen.settings.policies[0].first_response == "45m")  # type: ignore[union-attr]
        await until(pilot, lambda: len(app._notifications) == 1)
        said = next(n.message for n in app._notifications).splitlines()
        assert said[0].startswith("updated policy vip-incidents: priority high, type incident")
        assert said[1].startswith("was vip-incidents: ") and "first response 30m" in said[1]
        assert said[2] == "0 open ticket(s) have new due times"
        await pilot.press("e")  # saved again as it is: said so, and nothing recomputed
        await until(pilot, lambda: isinstance(app.screen, SettingsForm))
        await pilot.press("enter")
        await until(pilot, lambda: len(app._notifications) == 2)
        said = [n.message for n in app._notifications][1].splitlines()
        assert len(said) == 1 and said[0].startswith("unchanged policy vip-incidents: ")
    vip = policies.sla_policies()[0]
    assert (vip.name, vip.first_response, vip.resolution, vip.next_response) == (
        "vip-incidents", "45m", "6h", "2h"
    )  # fmt: skip
    assert (vip.priority, vip.type, vip.calendar) == ("high", "incident", "Berlin [b]x[/b]")


async def test_a_policy_changed_meanwhile_is_not_written_back_as_it_was_read(
    make_test_app: AppFactory, policies: Desk
) -> None:
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_settings(pilot)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, SettingsForm))
        form = app.screen
        policies.sla_set_policy(  # another admin, meanwhile: the calendar goes
            "vip-incidents",
            first_response="30m",
            next_response="2h",
            resolution="8h",
            priority="high",
            ticket_type="incident",
        )
        form.query_one("#form-first", Input).value = "45m"
        await pilot.press("enter")
        error = form.query_one("#form-error", Static)
        await until(pilot, lambda: "changed meanwhile" in str(error.render()))
        assert app.screen is form
    vip = policies.sla_policies()[0]
    assert (vip.first_response, vip.calendar) == ("30m", None)


async def test_an_agent_reads_the_settings_and_cannot_change_them(
    make_test_app: AppFactory, policies: Desk, desk_data: DeskData
) -> None:
    app = make_test_app(actor=desk_data.bob)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert (
            "Desk settings: SLA, calendars, tiers, routing, surveys" in titles
        )  # (agents read them too)
        await pilot.press("question_mark")
        await settle(pilot)
        keys = app.screen.query_one("#help-keys", DataTable)
        rows = [tuple(str(c) for c in keys.get_row_at(i)) for i in range(keys.row_count)]
        assert ("D", "Desk settings", "queue.settings") in rows
        await pilot.press("escape")
        screen = await open_settings(pilot)
        assert READ_ONLY in _text(screen, "#sla-hint")
        assert _text(screen, "#desk-name").startswith("Desk name: ")
        assert "renames" not in _text(screen, "#desk-name")
        await pilot.press("r")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("e")
        await settle(pilot)
        assert app.screen is screen
        assert "Edit" not in screen_lines(app)[-1] and "New" not in screen_lines(app)[-1]
        await pilot.press("5")
        await settle(pilot)
        assert READ_ONLY in _text(screen, "#surveys-text")
        await pilot.press("t")
        await settle(pilot)
        assert app.screen is screen
    assert policies.sla_policies()[0].first_response == "30m"
    assert policies.satisfaction_surveys_on() is False
    # The watcher's look at the rules file, made on its thread once the app has ended (a
    # look already under way as it quit): it raised NoActiveAppError, asking for the desk.
    assert screen._watch is not None and screen._watch._also is not None
    look, looked = screen._watch._also, []
    thread = threading.Thread(target=lambda: looked.append(look()))
    thread.start()
    thread.join()
    assert looked == [False]


def _form_screen(app: HelpdeskApp) -> SettingsForm:
    assert isinstance(app.screen, SettingsForm)
    return app.screen


async def _open_form(pilot: Pilot[None], key: str) -> SettingsForm:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, SettingsForm))
    return _form_screen(pilot.app)  # type: ignore[arg-type]


def _fill(form: SettingsForm, **values: str) -> None:
    for key, value in values.items():
        form.query_one(f"#form-{key}", Input).value = value


FORMS = {
    "new-policy": ("1", "n"),
    "targets": ("1", "e"),
    "calendar": ("2", "e"),
    "tier": ("3", "e"),
    "escalation": ("3", "a"),
    "desk-name": ("1", "r"),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_desk_settings_forms_80x24(
    snap_compare: Any, make_test_app: AppFactory, policies: Desk, form: str
) -> None:
    """A new policy (every field at 80x24, a refused value on the error line), a policy's
    targets (the policy's line, the other fields of its form), the Berlin
    calendar's (hostile name plain), a team's tier, the escalation's three answers less the
    one in force, the desk's name (none of its own yet: the config's, as placeholder)."""

    async def run_before(pilot: Pilot[None]) -> None:
        tab, key = FORMS[form]
        await open_settings(pilot, tab)
        if form == "calendar":
            await pilot.press("down")
        await pilot.press(key)
        if form == "escalation":
            await until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen))
            return
        await until(pilot, lambda: isinstance(pilot.app.screen, SettingsForm))
        screen = _form_screen(pilot.app)  # type: ignore[arg-type]
        for field in screen.query(Input):  # (a blinking cursor: a picture that depends on
            field.cursor_blink = False  # the time taken; under load 17 it was off, twice)
        if form == "new-policy":
            _fill(screen, name="vip", priority="urgent", first="1h", resolve="soon")
            await pilot.press("enter")
            error = screen.query_one("#form-error", Static)
            await until(pilot, lambda: bool(str(error.render()).strip()))
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)


async def test_an_admin_adds_a_policy_as_the_cli_does(
    make_test_app: AppFactory, policies: Desk, desk_data: DeskData
) -> None:
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)
        form = await _open_form(pilot, "n")
        _fill(form, name="vip-incidents", priority="high", first="1h", resolve="8h")
        await pilot.press("enter")
        error = form.query_one("#form-error", Static)
        await until(pilot, lambda: "there is a policy vip-incidents" in str(error.render()))
        _fill(form, name="acme urgent", priority="Urgent", type="ticket", organization="Acme")
        await pilot.press("enter")
        await until(pilot, lambda: "type 'ticket'" in str(error.render()))
        assert "\n" not in str(error.render()).strip() and app.screen is form
        _fill(form, type="incident", calendar="Berlin [b]x[/b]", warn="60")
        await pilot.press("enter")
        await until(pilot, lambda: "no organization 'Acme'" in str(error.render()))
        with desk_data.db.write() as session:  # (the organization comes with its contacts)
            session.add(Organization(name="Acme"))
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        said = lambda: any(  # noqa: E731
            n.message.startswith("added policy acme urgent: ") for n in app._notifications
        )
        await until(pilot, said)
        await until(pilot, lambda: len(screen.settings.policies) == 6)  # type: ignore[union-attr]
    made = policies.sla_policies()[1]
    # What `helpdesk sla policy set "acme urgent" --first 1h --resolve 8h --priority urgent
    # --type incident --organization Acme --calendar … --warn 60` writes:
    assert (made.name, made.priority, made.type, made.organization, made.calendar) == (
        "acme urgent", "urgent", "incident", "Acme", "Berlin [b]x[/b]"
    )  # fmt: skip
    assert (made.first_response, made.next_response, made.resolution, made.warn_percent) == (
        "1h", "1h", "8h", 60
    )  # fmt: skip


async def test_a_calendar_edit_keeps_what_is_typed_while_the_screen_follows_other_terminals(
    make_test_app: AppFactory, policies: Desk
) -> None:
    """Another admin's change reaches the open screen (its change mark) under the form,
    whose typing stays; the save is then refused, as the calendar it read has changed."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, "2")
        await pilot.press("down")
        form = await _open_form(pilot, "e")
        assert form.values() == {
            "zone": "Europe/Berlin",
            "days": "mon-fri",
            "hours": "09:00-17:00",
            "holidays": "DE-BE",
            "closed": "",
        }
        _fill(form, hours="08:00-16:00", closed="2026-12-24")
        policies.sla_set_calendar("Berlin [b]x[/b]", timezone="Europe/Berlin", hours="10:00-18:00")
        policies.sla_set_team_tier("Support", 2)
        assert screen._watch is not None
        screen._watch.look_now()
        await until(pilot, lambda: screen.settings.calendars[1].hours == "10:00-18:00")  # type: ignore[union-attr]
        await until(pilot, lambda: screen.settings.tiers[1].tier == 2)  # type: ignore[union-attr]
        assert app.screen is form and form.values()["hours"] == "08:00-16:00"
        await pilot.press("enter")
        error = form.query_one("#form-error", Static)
        await until(pilot, lambda: "changed meanwhile" in str(error.render()))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        form = await _open_form(pilot, "e")  # read again: saved
        _fill(form, hours="08:00-16:00", closed="2026-12-24")
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        await until(pilot, lambda: screen.settings.calendars[1].hours == "08:00-16:00")  # type: ignore[union-attr]
        assert "2026-12-24" in _text(screen, "#calendar-detail")
        assert "vip-incidents" in _text(screen, "#calendar-detail")
    berlin = policies.sla_calendars()[1]
    assert (berlin.hours, berlin.closed, berlin.holidays) == ("08:00-16:00", ("2026-12-24",), None)


async def test_an_admin_sets_a_tier_the_escalation_the_surveys_and_the_desk_s_name(
    make_test_app: AppFactory, policies: Desk
) -> None:
    """Three edits of an admin's on one settings screen, one app run, each from its tab
    (``_sets_a_tier_and_the_escalation``, ``_switches_surveys_after_saying_yes``,
    ``_renames_the_desk_onto_the_name_the_form_read``), each checked on the desk after."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, "3")
        await _sets_a_tier_and_the_escalation(pilot, app, screen)
        await pilot.press("5")
        await settle(pilot)
        await _switches_surveys_after_saying_yes(pilot, app, screen, policies)
        await pilot.press("1")
        await settle(pilot)
        await _renames_the_desk_onto_the_name_the_form_read(pilot, app, screen, policies)
    assert [(v.team, v.tier) for v in policies.sla_tiers() if v.tier] == [("Support", 2)], "tier"
    assert policies.sla_auto_escalate() == "warning", "escalation"
    assert policies.satisfaction_surveys_on() is True, "surveys"
    assert policies.desk_name() == "Acme IT", "the desk's name"


async def _sets_a_tier_and_the_escalation(
    pilot: Pilot[None], app: HelpdeskApp, screen: DeskSettingsScreen
) -> None:
    """(On the Tiers tab) a tier out of range is refused on the form; then Support's tier
    2, and the escalation at warning."""
    await pilot.press("down")  # Support
    form = await _open_form(pilot, "e")
    _fill(form, tier="7")
    await pilot.press("enter")
    error = form.query_one("#form-error", Static)
    await until(pilot, lambda: "tier must be 1 to 4" in str(error.render()))
    _fill(form, tier="2")
    await pilot.press("enter")
    await until(pilot, lambda: app.screen is screen)
    await pilot.press("a")
    await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
    await pilot.press("w")
    await until(pilot, lambda: "at warning" in _text(screen, "#escalation-text"))


async def _switches_surveys_after_saying_yes(
    pilot: Pilot[None], app: HelpdeskApp, screen: DeskSettingsScreen, policies: Desk
) -> None:
    """(On the Surveys tab) ``t`` asks first: Escape changes nothing, ``y`` turns them on."""
    await pilot.press("t")
    await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
    await pilot.press("escape")  # the safe answer: nothing changes
    await until(pilot, lambda: app.screen is screen)
    assert policies.satisfaction_surveys_on() is False, "surveys: Escape changes nothing"
    await pilot.press("t")
    await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
    await pilot.press("y")
    await until(pilot, lambda: "are on" in _text(screen, "#surveys-text"))


async def _renames_the_desk_onto_the_name_the_form_read(
    pilot: Pilot[None], app: HelpdeskApp, screen: DeskSettingsScreen, policies: Desk
) -> None:
    """The desk's name heads the screen; ``r`` renames it, only onto the name as read."""
    assert "the config's desk_name" in _text(screen, "#desk-name"), "no name of its own yet"
    form = await _open_form(pilot, "r")
    policies.desk_set_name("Walk4 Desk")  # another admin, meanwhile
    _fill(form, name="Acme IT")
    await pilot.press("enter")
    error = form.query_one("#form-error", Static)
    await until(pilot, lambda: "changed meanwhile (now Walk4 Desk)" in str(error.render()))
    await pilot.press("escape")
    await until(pilot, lambda: "Walk4 Desk" in _text(screen, "#desk-name"))
    form = await _open_form(pilot, "r")
    _fill(form, name="Acme IT")
    await pilot.press("enter")
    await until(pilot, lambda: _text(screen, "#desk-name").startswith("Desk name: Acme IT"))
    assert app.title == "Acme IT", "the app's title follows the desk's name"


async def test_the_rules_file_edited_elsewhere_is_read_again_and_only_then(
    rules_app: AppFactory, policies: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rules file changed in another terminal reaches the open Routing tab at the
    watcher's next look (its stamp), with its check and the time it was read; a look that
    finds the file as it was, the desk changed or not, does not parse it again."""
    from helpdesk_tui.desk.routing_reads import RoutingReads

    loads: list[Path] = []
    load = RoutingReads.rules_load

    def counted(self: RoutingReads, path: Path) -> Any:
        loads.append(path)
        return load(self, path)

    monkeypatch.setattr(RoutingReads, "rules_load", counted)
    now = [FROZEN_NOW]
    app = rules_app(clock=lambda: now[0])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, "4")
        assert screen._watch is not None
        assert "Nightwatch" in _text(screen, "#routing-verdict")
        read_at = f"read at {FROZEN_NOW.astimezone():%H:%M:%S}"
        assert read_at in _text(screen, "#routing-head")
        assert len(loads) == 1
        policies.sla_set_team_tier("Support", 2)  # the desk moves, the file does not
        screen._watch.look_now()
        await until(pilot, lambda: screen.settings.tiers[1].tier == 2)  # type: ignore[union-attr]
        screen._watch.look_now()
        await settle(pilot)
        assert len(loads) == 1
        now[0] = FROZEN_NOW + timedelta(minutes=5, seconds=7)
        (tmp_path / "rules.toml").write_text(
            HOSTILE_RULES.replace("Nightwatch", "Support").replace("Night shift", "Late shift"),
            encoding="utf-8",
        )
        screen._watch.look_now()
        await until(pilot, lambda: "Late shift" in _text(screen, "#routing-text"))
        assert _text(screen, "#routing-verdict").startswith("Check: OK: 2 rules")
        read_again = f"read at {now[0].astimezone():%H:%M:%S}"
        assert read_again in _text(screen, "#routing-head")
        assert len(loads) == 2
        (tmp_path / "rules.toml").unlink()  # gone: no rules, said so
        screen._watch.look_now()
        await until(pilot, lambda: "No rules" in _text(screen, "#routing-text"))


async def test_d_while_the_desk_loads_shows_the_settings_and_a_tab_key_behind_it_is_theirs(
    desk_data: DeskData, frozen_clock: Callable[[], datetime]
) -> None:
    """D as the app starts (the queue still "loading…") shows the settings at once, loading;
    a tab's key typed right behind it is the screen's, where it went to the queue (another
    view) while D waited for the desk, and the settings then opened on the SLA tab."""
    from tests.screens.test_queue_kept import opening_app

    gate = threading.Event()
    try:
        app = opening_app(desk_data, gate, frozen_clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert not app.live
            view = app.queue.view
            await pilot.press("D", "3")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, DeskSettingsScreen)
            assert screen.query_one(TabbedContent).active == "tiers"
            assert "Loading the desk" in _text(screen, "#tiers-hint")
            gate.set()
            await until(pilot, lambda: screen.settings is not None)
            await settle(pilot)
            assert screen.query_one(TabbedContent).active == "tiers"
            assert screen.query_one("#tiers-table", DataTable).row_count > 0
            assert "e sets the tier" in _text(screen, "#tiers-hint")
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is app.queue)
            assert app.queue.view == view
    finally:
        gate.set()  # never leave an opening thread waiting


async def test_the_routing_tab_says_whose_file_and_when_one_s_own_shadows_the_site_s(
    make_test_app: AppFactory, desk_data: DeskData, tmp_path: Path
) -> None:
    """An agent with a rules file of their own saw its rules on the Routing tab, on a team
    server where the mail runner routes by the site's: the tab names whose file it reads
    and, at 80 columns, says that one's own file shadows the site's (and not otherwise)."""
    site = tmp_path / "site-config" / "rules.toml"
    site.parent.mkdir(parents=True, exist_ok=True)
    site.write_text("", encoding="utf-8")
    own = tmp_path / "config" / "rules.toml"
    own.parent.mkdir(parents=True, exist_ok=True)
    own.write_text(HOSTILE_RULES, encoding="utf-8")
    (own.parent / "config.toml").write_text(f'rules_file = "{own}"\n', encoding="utf-8")
    for shadowed in (True, False):
        if not shadowed:  # (one's own rules_file gone: the site's file is read)
            (own.parent / "config.toml").unlink()
        settings = Settings(database_url=desk_data.db.url)
        app = make_test_app(settings=settings)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_settings(pilot, "4")
            head = _text(screen, "#routing-head")
            shadow = screen.query_one("#routing-shadow", Static)
            drawn = " ".join(" ".join(screen_lines(app)).split())
            if shadowed:
                assert f"Rules from {own} (rules_file in {own.parent / 'config.toml'})" in head
                assert shadow.display
                assert f"shadows the site's {site}" in _text(screen, "#routing-shadow")
                assert "not by this file" in drawn, drawn
            else:
                assert f"Rules from {site} (the site's)" in head
                assert not shadow.display


async def test_tabs_follow_keys_as_they_open_and_the_sla_tab_says_when_alerts_reach_nobody(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """One app run, three facts, each on a settings screen of its own. A key pressed as the
    screen opens (before its tabs' set-up activated their first pane) is not undone by that
    set-up. The tab bar has the focus as the screen opens (the first widget that takes it):
    an activation of the first pane still on its way when a key showed another pane is not
    taken for the user's ← → on that bar ("tab 5 went away" under load). No supervisor or
    admin with an email address: a team-less ticket's SLA alerts and rating concerns were
    only in its history and the alert lines, and the desk settings said nothing. The SLA
    tab says so at 80x24, and not once a supervisor has an address."""
    from helpdesk_tui.desk.tiers import NOBODY_BY_MAIL

    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = DeskSettingsScreen()
        app.push_screen(screen)
        screen.action_section("surveys")
        await until(pilot, lambda: screen.settings is not None)
        await settle(pilot)
        assert screen.query_one(TabbedContent).active == "surveys"
        assert screen.focused is screen.query_one("#surveys-scroll")
        await pilot.press("2")
        await settle(pilot)
        assert screen.query_one(TabbedContent).active == "calendars"
        await pilot.click("#--content-tab-routing")  # (a click on a tab: the user's too)
        await settle(pilot)
        assert screen.query_one(TabbedContent).active == "routing"
        assert screen.focused is screen.query_one("#routing-scroll")
        app.pop_screen()
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        # An activation a key overtook does not bring its pane back.
        screen = DeskSettingsScreen()
        app.push_screen(screen)
        await until(pilot, lambda: screen.settings is not None)
        await settle(pilot)
        tabs = screen.query_one(TabbedContent)
        screen.query_one(Tabs).focus()
        await settle(pilot)
        # The race, made to happen: the first pane's activation is queued, then the key.
        first = tabs.get_tab("sla")
        assert isinstance(first, ContentTab)
        tabs.post_message(TabbedContent.TabActivated(tabs, first))
        screen.action_section("surveys")
        await settle(pilot)
        assert tabs.active == "surveys"
        assert screen.focused is screen.query_one("#surveys-scroll")
        screen.query_one(Tabs).focus()  # ← → on the tab bar: the user's, taken
        await pilot.press("left")
        await settle(pilot)
        assert tabs.active == "routing"
        app.pop_screen()
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        # The SLA tab says when alerts for tickets without a team reach nobody.
        screen = await open_settings(pilot, "1")
        warning = screen.query_one("#sla-unaddressed", Static)
        assert warning.display and _text(screen, "#sla-unaddressed") == NOBODY_BY_MAIL
        drawn = " ".join(" ".join(screen_lines(app)).split())
        assert "give a supervisor or admin an email address" in drawn, drawn
        app.pop_screen()
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        Desk(desk_data.db, desk_data.ada).agents_add(
            "sam", name="Sam", email="sam@example.com", role="supervisor", teams=()
        )
        screen = await open_settings(pilot, "1")
        assert not screen.query_one("#sla-unaddressed", Static).display
        assert "reach nobody" not in " ".join(screen_lines(app))
