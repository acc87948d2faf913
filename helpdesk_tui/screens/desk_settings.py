"""Desk settings (D on the queue, or the palette): the SLA policies, the business calendars,
the teams' tiers and automatic escalation, the routing rules and their check, and the
satisfaction surveys, as the CLI's ``helpdesk sla policy list`` / ``sla calendar list`` /
``sla tier`` / ``sla auto-escalate``, ``rules list`` / ``rules check`` and ``survey status``
read them (the same desk reads).

Admins change them here through the CLI's writers (``Desk.sla_set_policy``,
``sla_set_calendar``, ``sla_set_team_tier``, ``sla_auto_escalate``, ``satisfaction_surveys``;
the open tickets' clocks follow as ``sla policy set`` makes them): a new policy or calendar
(``n``), a policy's targets, a calendar, a team's tier (``e``), the alert that escalates
(``a``), the surveys (``t``, asked first), the desk's name (``r``: ``Desk.desk_set_name``;
it heads the screen, over the tabs). Each form writes only onto what it read (the
desk refuses a setting another admin changed meanwhile, on the form's error line). Everyone
else reads. Routing is changed in its file, never here.

The screen follows other terminals' changes as the queue does (``queue_watch``: the desk's
change mark, which every settings change moves): the tabs are read again and redrawn when
they differ, under any open form, which keeps what is typed. The rules file is read again
when it changed (edited in another terminal): the watcher looks at its stamp at each look
(``Desk.rules_stamp``, no parse while it stays), and the Routing tab says when it was read.
Asked for while the desk is still loading, the screen shows at once ("Loading the desk…")
and reads once it is open: the keys typed behind ``D`` (a tab's) are its own. Every name
from the desk or the rules file (a rule's pattern, a calendar's name) is shown as plain
text, cleaned of escape sequences.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static, TabbedContent, TabPane, Tabs
from textual.widgets._tabbed_content import ContentTab
from textual.worker import Worker, WorkerState

from helpdesk_tui.desk.admin_reads import DeskNameView, renamed_said
from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.kinds import Role
from helpdesk_tui.desk.routing_reads import RulesStamp, RuleView, usable_rules
from helpdesk_tui.desk.sla_reads import SlaCalendarView, SlaPolicyView, SlaTierView
from helpdesk_tui.safe_text import clean, plain
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.screens.confirm import Choice, ChoiceScreen, confirm
from helpdesk_tui.screens.queue_watch import QueueWatch
from helpdesk_tui.screens.settings_form import FormField, SettingsForm, form_title
from helpdesk_tui.widgets.desk_header import DeskHeader
from helpdesk_tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from helpdesk_tui.desk.facade import Desk

READ_ONLY = "Read only: only admins can change this."
LOADING = "Loading the desk…"
"""Under each table while the desk opens (the screen asked for as the app started)."""
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("name", "Policy", 16),
    ("scope", "Applies to", 22),
    ("first", "First", 6),
    ("resolve", "Resolve", 7),
    ("calendar", "Calendar", 14),
)
"""(key, label, width): the policies' table fits 80 columns; longer names end in …"""
CALENDAR_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("name", "Calendar", 16),
    ("zone", "Time zone", 16),
    ("days", "Days", 12),
    ("hours", "Hours", 11),
    ("holidays", "Holidays", 8),
)
TIER_COLUMNS: tuple[tuple[str, str, int], ...] = (("team", "Team", 30), ("tier", "Tier", 6))
TABS = ("sla", "calendars", "tiers", "routing", "surveys")
"""The tabs in order: keys 1 to 5."""
REFRESH_SECONDS = 1.0
"""How often the watcher looks at the desk's change mark (the queue's)."""
ESCALATION = {
    "off": "off: alerts are sent, the ticket stays",
    "warning": "at warning: a warning alert moves the ticket one tier up",
    "breach": "at breach: a breach alert moves the ticket one tier up",
}


@dataclass(frozen=True)
class Routing:
    """The rules file as ``helpdesk rules list`` and ``rules check`` read it."""

    source: str
    rules: tuple[RuleView, ...]
    strategies: tuple[tuple[str, str], ...]
    verdict: str
    """``OK: …`` or the first fault, one line."""
    ok: bool
    stamp: RulesStamp | None = None
    """The file's stamp before it was read: read again when the file's differs."""
    read_at: datetime | None = None
    whose: str = ""
    """Whose file it is ("the site's", "rules_file in …": ``Settings.rules_origin``)."""
    shadow: str | None = None
    """One line when this user's own file shadows the site's ``rules.toml``: the mail runner
    (another login on a team server) routes by its own config, not by the rules shown."""


@dataclass(frozen=True)
class DeskSettings:
    policies: tuple[SlaPolicyView, ...]
    calendars: tuple[SlaCalendarView, ...]
    routing: Routing
    surveys_on: bool
    opted_out: int
    tiers: tuple[SlaTierView, ...] = ()
    auto_escalate: str = "off"
    desk_name: DeskNameView | None = None
    unaddressed: str | None = None
    """``Desk.sla_alerts_unaddressed``: alerts of tickets without a team reach nobody by
    mail (no supervisor or admin has an address); None: they reach someone."""


def desk_name_text(view: DeskNameView | None, admin: bool) -> Text:
    """The line over the tabs: the desk's name as every terminal shows it (its own, or the
    config's ``desk_name`` while it has none), and for admins the key that changes it."""
    text = Text()
    text.append("Desk name: ", "bold")
    if view is None:
        text.append("…")
        return text
    text.append_text(_cell(view.name, 40))
    if view.own is None:
        text.append(" (the config's desk_name)", "italic")
    if admin:
        text.append("   r renames the desk", "dim italic")
    return text


def scope_of(policy: SlaPolicyView) -> str:
    """What a policy applies to, short: ``urgent · incident · org Acme``."""
    parts = [
        policy.priority or "",
        policy.type or "",
        f"org {policy.organization}" if policy.organization else "",
        f"cat {policy.category}" if policy.category else "",
    ]
    return " · ".join(p for p in parts if p) or "every ticket"


def _cell(value: str, width: int, style: str = "") -> Text:
    text = plain(value, style)
    text.truncate(width, overflow="ellipsis")
    return text


def calendar_detail(calendar: SlaCalendarView, policies: tuple[SlaPolicyView, ...]) -> Text:
    """The calendar's closed days, and the policies that count their time by it."""
    text = Text()
    text.append("Closed days: ", "bold")
    text.append(", ".join(calendar.closed) if calendar.closed else "none besides holidays")
    if calendar.built_in:
        users = [p.name for p in policies if p.calendar is None]
        text.append("\nUsed by every policy without a calendar of its own: ", "bold")
    else:
        users = [p.name for p in policies if p.calendar == calendar.name]
        text.append("\nUsed by: ", "bold")
    text.append_text(plain(", ".join(users) if users else "no policy yet"))
    return text


def escalation_text(at: str) -> Text:
    text = Text()
    text.append("Automatic escalation ", "bold")
    text.append(ESCALATION.get(at, at))
    text.append(
        "\nEscalation moves a ticket to the team of the next tier, and tells that team."
        "\nA team without a tier is never escalated to."
    )
    return text


def routing_head(routing: Routing, command: str) -> Text:
    """Where the rules come from, and how they are changed."""
    text = Text("Rules from ")
    text.append_text(plain(routing.source))
    if routing.whose:
        text.append(" (")
        text.append_text(plain(routing.whose))
        text.append(")")
    if routing.read_at is not None:
        text.append(f", read at {routing.read_at.astimezone():%H:%M:%S}")
    said = clean(command, single_line=True)
    text.append(f"\nChanged in that file, not here; then check it: {said} rules check", "italic")
    return text


def verdict_text(routing: Routing) -> Text:
    """``rules check``'s verdict in one line."""
    text = Text("Check: ", "bold")
    text.append_text(plain(routing.verdict))
    return text


def rules_text(routing: Routing) -> Text:
    """``rules list``: every rule in order, conditions then actions; every piece plain."""
    text = Text()
    if not routing.rules:
        text.append("No rules: new tickets are not routed\n")
    for rule in routing.rules:
        text.append_text(plain(f"{rule.set_name} ({rule.match} match)", "bold"))
        text.append(" · ")
        text.append_text(plain(rule.name, "bold"))
        text.append(f"  on {', '.join(rule.on)}\n")
        text.append("    if   ")
        text.append_text(plain(rule.conditions))
        text.append("\n    then ")
        text.append_text(plain("; ".join(rule.actions)))
        text.append("\n")
    for team, strategy in routing.strategies:
        text.append("Team ")
        text.append_text(plain(team))
        text.append(f": assigned by {strategy}\n")
    text.rstrip()
    return text


def surveys_text(settings: DeskSettings, admin: bool) -> Text:
    text = Text()
    if settings.surveys_on:
        text.append("Satisfaction surveys are ")
        text.append("on", "bold")
        text.append(": one goes to the requester when a ticket is resolved, once per ticket.\n")
    else:
        text.append("Satisfaction surveys are ")
        text.append("off", "bold")
        text.append(": this desk sends none.\n")
    people = "requester has" if settings.opted_out == 1 else "requesters have"
    text.append(f"{settings.opted_out} {people} opted out of surveys.\n\n")
    if admin:
        text.append(f"t switches them {'off' if settings.surveys_on else 'on'} (asked first).")
    else:
        text.append(READ_ONLY, "italic")
    return text


class DeskSettingsScreen(DeskScreen):
    """Five tabs: SLA (1), Calendars (2), Tiers (3), Routing (4), Surveys (5)."""

    CSS_PATH = "desk_settings.tcss"
    HELP_TITLE = "Desk settings"
    AUTO_FOCUS = ""
    """Nothing focused on its own (it would be the tab bar, whose focus says "the user's
    choice" here): the shown pane's table takes the focus once the tabs are set up."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="settings.back"),
        Binding("1", "section('sla')", "SLA", id="settings.sla", show=False),
        Binding("2", "section('calendars')", "Calendars", id="settings.calendars", show=False),
        Binding("3", "section('tiers')", "Tiers", id="settings.tiers", show=False),
        Binding("4", "section('routing')", "Routing", id="settings.routing", show=False),
        Binding("5", "section('surveys')", "Surveys", id="settings.surveys", show=False),
        Binding("n", "new", "New", id="settings.new"),
        Binding("e", "edit", "Edit", id="settings.edit"),
        Binding("a", "escalation", "Escalation", id="settings.escalation"),
        Binding("t", "toggle_surveys", "Surveys on/off", id="settings.toggle_surveys"),
        Binding("r", "rename_desk", "Rename desk", id="settings.rename_desk", show=False),
    ]

    class Loaded(Message):
        def __init__(self, settings: DeskSettings) -> None:
            super().__init__()
            self.settings = settings

    class Switched(Message):
        def __init__(self, on: bool) -> None:
            super().__init__()
            self.on = on

    class Said(Message):
        """A change made from here (or refused): said, and the tabs read again."""

        def __init__(self, said: str, *, refused: bool = False) -> None:
            super().__init__()
            self.said = said
            self.refused = refused

    class Woken(Message):
        """The watcher saw that the desk may have changed (``queue_watch``)."""

    def __init__(self) -> None:
        super().__init__()
        self.settings: DeskSettings | None = None
        self._watch: QueueWatch | None = None
        self._section: str = "sla"
        """The tab asked for last (keys 1 to 5): what the tabs' set-up shows too."""
        self._tabs_set_up = False
        """The tabs' set-up activation (their first) has come: none after it is theirs."""
        self._closed = False
        self._rules_path: Path | None = None
        self._rules_seen: RulesStamp | None = None
        """The rules file's stamp at the watcher's last look (the watcher's thread's)."""

    @property
    def admin(self) -> bool:
        return self.desk_app.actor.can(Role.ADMIN)

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static(desk_name_text(None, admin=False), id="desk-name")
        with TabbedContent(initial="sla", id="settings-tabs"):
            with TabPane("1 SLA", id="sla"):
                yield DataTable(cursor_type="row", zebra_stripes=False, id="sla-policies")
                yield Static(id="sla-unaddressed")
                yield Static(id="sla-hint")
            with TabPane("2 Calendars", id="calendars"):
                yield DataTable(cursor_type="row", zebra_stripes=False, id="calendars-table")
                yield Static(id="calendar-detail")
                yield Static(id="calendars-hint")
            with TabPane("3 Tiers", id="tiers"):
                yield DataTable(cursor_type="row", zebra_stripes=False, id="tiers-table")
                yield Static(id="escalation-text")
                yield Static(id="tiers-hint")
            with TabPane("4 Routing", id="routing"):
                yield Static(Text("Reading the rules…"), id="routing-head")
                yield Static(id="routing-shadow")
                yield Static(id="routing-verdict")
                with VerticalScroll(id="routing-scroll", can_focus=True):
                    yield Static(id="routing-text")
            with (
                TabPane("5 Surveys", id="surveys"),
                VerticalScroll(id="surveys-scroll", can_focus=True),
            ):
                yield Static(Text("Reading…"), id="surveys-text")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "Desk settings"
        for selector, columns in (
            ("#sla-policies", COLUMNS),
            ("#calendars-table", CALENDAR_COLUMNS),
            ("#tiers-table", TIER_COLUMNS),
        ):
            table = self.query_one(selector, DataTable)
            for key, label, width in columns:
                table.add_column(label, key=key, width=width)
        for selector in ("#sla-hint", "#calendars-hint", "#tiers-hint"):
            self.query_one(selector, Static).update(Text(LOADING, "italic"))
        self.desk_app.when_live(self._desk_open)

    def _desk_open(self) -> None:
        """The desk is open (at once, unless the screen was asked for while it loaded: it
        shows then, and its keys are its own meanwhile)."""
        if self._closed:
            return
        admin = self.admin
        hints = {
            "#sla-hint": "Dim rows are built in: a policy of the desk's own for their tickets "
            "wins.\n"
            + ("n adds a policy; e edits the targets of the one under the cursor" if admin else ""),
            "#calendars-hint": "n adds a calendar; e edits the one under the cursor "
            "(the built-in one stays as it is)"
            if admin
            else "",
            "#tiers-hint": "e sets the tier of the team under the cursor; "
            "a says at which alert a ticket moves up"
            if admin
            else "",
        }
        for selector, hint in hints.items():
            said = hint if admin else (hint + READ_ONLY).strip()
            self.query_one(selector, Static).update(Text(said, "italic"))
        desk = self.desk  # (the watcher's thread has no app to ask for it, nor after it ends)
        self._rules_path = self.desk_app.settings.rules_path()
        self._rules_seen = desk.rules_stamp(self._rules_path)
        self.load()
        self._watch = QueueWatch(
            desk.change_probe,
            self._wake,
            REFRESH_SECONDS,
            self.desk_app.clock,
            also=lambda: self._rules_moved(desk),
        )
        self._watch.start()

    def on_unmount(self) -> None:
        self._closed = True
        if self._watch is not None:
            self._watch.stop()

    def _wake(self) -> None:
        """(The watcher's thread: the screen handles it on the app's loop.)"""
        self.post_message(self.Woken())

    def _rules_moved(self, desk: Desk) -> bool:
        """(The watcher's thread, at each look: one ``stat``.) Whether the rules file's
        stamp moved since the last look; the load that follows reads the file again.
        ``desk``: the screen's, taken on the app's loop (``self.desk`` asks the active app,
        which a thread does not have: it raised ``NoActiveAppError`` as the app ended)."""
        if self._rules_path is None:
            return False
        stamp = desk.rules_stamp(self._rules_path)
        moved, self._rules_seen = stamp != self._rules_seen, stamp
        return moved

    @on(Woken)
    def _woken(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="settings-load", exit_on_error=False)
    def load(self) -> None:
        """Every tab's reads; the rules file's only when it changed since it was read (its
        stamp: the desk's changes cannot change it)."""
        desk = self.desk
        kept = self.settings
        path = self._rules_path or self.desk_app.settings.rules_path()
        stamp = desk.rules_stamp(path)
        routing = kept.routing if kept is not None and kept.routing.stamp == stamp else None
        self.post_message(
            self.Loaded(
                DeskSettings(
                    policies=tuple(desk.sla_policies()),
                    calendars=tuple(desk.sla_calendars()),
                    routing=routing or self._routing(path, stamp),
                    surveys_on=desk.satisfaction_surveys_on(),
                    opted_out=desk.satisfaction_opt_out_count(),
                    tiers=tuple(desk.sla_tiers()),
                    auto_escalate=desk.sla_auto_escalate().value,
                    desk_name=desk.desk_name_view(self.desk_app.settings.desk_name),
                    unaddressed=desk.sla_alerts_unaddressed(),
                )
            )
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A read that failed (the database away) is tried again at the desk's next change.
        (Textual also runs ``DeskScreen``'s handler, which reports the failure.)"""
        failed = event.state == WorkerState.ERROR and event.worker.group == "settings-load"
        if failed and self._watch is not None:
            self._watch.arm()

    def _routing(self, path: Path, stamp: RulesStamp | None) -> Routing:
        desk = self.desk
        read_at = self.desk_app.clock()
        origin = self.desk_app.settings.rules_origin()
        whose, shadow = (origin.whose, origin.shadow) if origin.path == path else ("", None)
        try:
            rules = desk.rules_load(path)
        except DeskError as error:  # (the file's form: RulesError, one line)
            return Routing(
                str(path), (), (), str(error), False, stamp, read_at, whose=whose, shadow=shadow
            )
        problems = desk.rules_check(rules)
        verdict = problems[0] if problems else f"OK: {usable_rules(len(rules.rules))}"
        if len(problems) > 1:
            verdict += f" (and {len(problems) - 1} more: rules check lists them)"
        return Routing(
            rules.source,
            tuple(desk.rules_list(rules)),
            tuple((team, s.value.replace("_", "-")) for team, s in rules.strategies.items()),
            verdict,
            ok=not problems,
            stamp=stamp,
            read_at=read_at,
            whose=whose,
            shadow=shadow,
        )

    def on_desk_settings_screen_loaded(self, message: Loaded) -> None:
        if self._watch is not None:
            self._watch.arm()
        old, self.settings = self.settings, (settings := message.settings)
        if settings == old:
            return  # (nothing of these tabs moved: nothing redrawn)
        policy_rows = []
        for policy in settings.policies:
            style = "dim" if policy.built_in else ""
            policy_rows.append(
                [
                    _cell(value, width, style)
                    for value, (_key, _label, width) in zip(
                        (
                            policy.name,
                            scope_of(policy),
                            policy.first_response,
                            policy.resolution,
                            policy.calendar or "business hours",
                        ),
                        COLUMNS,
                        strict=True,
                    )
                ]
            )
        self._fill("#sla-policies", policy_rows, [p.name for p in settings.policies])
        calendar_rows = [
            [
                _cell(value, width, "dim" if c.built_in else "")
                for value, (_key, _label, width) in zip(
                    (c.name, c.timezone, c.days, c.hours, c.holidays or "—"),
                    CALENDAR_COLUMNS,
                    strict=True,
                )
            ]
            for c in settings.calendars
        ]
        self._fill("#calendars-table", calendar_rows, [c.name for c in settings.calendars])
        self._show_calendar()
        tier_rows = [
            [_cell(t.team, 30), _cell(str(t.tier) if t.tier else "—", 6)] for t in settings.tiers
        ]
        self._fill("#tiers-table", tier_rows, [t.team for t in settings.tiers])
        self.query_one("#escalation-text", Static).update(escalation_text(settings.auto_escalate))
        routing = settings.routing
        self.query_one("#routing-head", Static).update(routing_head(routing, self.desk_app.command))
        shadow = self.query_one("#routing-shadow", Static)
        shadow.update(plain(routing.shadow or ""))
        shadow.display = routing.shadow is not None
        unaddressed = self.query_one("#sla-unaddressed", Static)
        unaddressed.update(plain(settings.unaddressed or ""))
        unaddressed.display = settings.unaddressed is not None
        verdict = self.query_one("#routing-verdict", Static)
        verdict.update(verdict_text(routing))
        verdict.set_class(not routing.ok, "-error")
        self.query_one("#routing-text", Static).update(rules_text(routing))
        self.query_one("#surveys-text", Static).update(surveys_text(settings, self.admin))
        self.query_one("#desk-name", Static).update(desk_name_text(settings.desk_name, self.admin))
        if settings.desk_name is not None:  # (the header too, at once: renamed from here)
            self.app.title = clean(settings.desk_name.name, single_line=True)
        self.refresh_bindings()

    def _fill(self, selector: str, rows: list[list[Text]], keys: list[str]) -> None:
        """A table's rows anew, the cursor on the same row (by name) as before."""
        table = self.query_one(selector, DataTable)
        row = table.cursor_row
        was = table.ordered_rows[row].key.value if 0 <= row < table.row_count else None
        table.clear()
        for key, cells in zip(keys, rows, strict=True):
            table.add_row(*cells, key=key)
        if keys:
            table.move_cursor(row=keys.index(was) if was in keys else min(row, len(keys) - 1))

    @on(DataTable.RowHighlighted, "#calendars-table")
    def _show_calendar(self) -> None:
        calendar = self.selected_calendar()
        if calendar is not None and self.settings is not None:
            detail = calendar_detail(calendar, self.settings.policies)
            self.query_one("#calendar-detail", Static).update(detail)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Editing is for admins, each key in its own tab once the settings are read."""
        tab = self.query_one(TabbedContent).active if self.is_mounted else ""
        ready = self.settings is not None and self.admin
        if action == "new":
            return ready and tab in ("sla", "calendars")
        if action == "edit":
            return ready and tab in ("sla", "calendars", "tiers")
        if action == "escalation":
            return ready and tab == "tiers"
        if action == "toggle_surveys":
            return ready and tab == "surveys"
        if action == "rename_desk":
            return ready
        return True

    FOCUS: ClassVar[dict[str, str]] = {
        "sla": "#sla-policies",
        "calendars": "#calendars-table",
        "tiers": "#tiers-table",
        "routing": "#routing-scroll",
        "surveys": "#surveys-scroll",
    }
    """Each pane's own widget, which takes the focus when the pane shows."""

    def _focus_section(self, section: str) -> None:
        self.query_one(self.FOCUS[section]).focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """The pane shown is the one asked for last (``_section``): by a key (1 to 5), a
        click on a tab (``on_click``) or ← → on the tab bar (which has the focus then). Any other
        activation is undone: the tabs' set-up activates the first pane whenever it gets to
        it, and a focus given to a pane's widget just before a key switched panes brings
        that pane back when it arrives; either undid a key pressed as the screen opened
        (and the two could then take turns for ever).

        The tab bar has the focus from the screen's start (the first widget that takes
        it), so the set-up's activation (the tabs' first) is never taken for ← →, nor is
        one that arrives after a later activation (a key's) changed the pane: that one's
        own message follows. Taken for the user's, either put the first pane back over a
        key pressed as the screen opened ("tab 5 went away", under load)."""
        self.refresh_bindings()
        tabs = event.tabbed_content
        set_up, self._tabs_set_up = not self._tabs_set_up, True
        if event.pane.id != tabs.active:  # (an older activation's: the newer one's follows)
            return
        if isinstance(self.focused, Tabs) and not set_up:  # (the user's: ← → on the tab bar)
            self._section = event.pane.id or self._section
        if tabs.active != self._section:
            tabs.active = self._section
            return
        # Each pane's own widget takes the focus: one left in a hidden pane would bring
        # its pane back, as a TabbedContent shows the pane of the focused widget.
        self._focus_section(self._section)

    def on_click(self, event: events.Click) -> None:
        """A click on a tab asks for its pane (whether this comes before or after the
        activation the click makes)."""
        if isinstance(event.widget, ContentTab) and event.widget.id:
            self.action_section(ContentTab.sans_prefix(event.widget.id))

    def action_section(self, section: str) -> None:
        self._section = section
        tabs = self.query(TabbedContent)
        if tabs and tabs.first().active:  # (else the tabs' set-up is to come: it shows it)
            tabs.first().active = section

    def action_back(self) -> None:
        self.dismiss(None)

    def _selected(self, selector: str, items: tuple[object, ...]) -> object | None:
        if not items:
            return None
        table = self.query_one(selector, DataTable)
        return items[min(table.cursor_row, len(items) - 1)]

    def selected_policy(self) -> SlaPolicyView | None:
        found = self._selected("#sla-policies", self.settings.policies if self.settings else ())
        return found if isinstance(found, SlaPolicyView) else None

    def selected_calendar(self) -> SlaCalendarView | None:
        calendars = self.settings.calendars if self.settings else ()
        found = self._selected("#calendars-table", calendars)
        return found if isinstance(found, SlaCalendarView) else None

    def selected_tier(self) -> SlaTierView | None:
        found = self._selected("#tiers-table", self.settings.tiers if self.settings else ())
        return found if isinstance(found, SlaTierView) else None

    def _said(self, said: str | None) -> None:
        """A form's answer (its lines: ``SlaSaved.lines``): said, and the tabs read again."""
        if said is None:
            return
        self.notify("\n".join(clean(s, single_line=True) for s in said.splitlines()), markup=False)
        self.load()

    def action_new(self) -> None:
        tab = self.query_one(TabbedContent).active
        if tab == "calendars":
            self.app.push_screen(self._calendar_form(None), self._said)
        elif tab == "sla":
            self.app.push_screen(self._policy_form(), self._said)

    def action_edit(self) -> None:
        tab = self.query_one(TabbedContent).active
        if tab == "sla":
            self._edit_targets()
        elif tab == "calendars":
            calendar = self.selected_calendar()
            if calendar is None:
                return
            if calendar.built_in:
                self.notify(
                    f"{calendar.name} is built in: add a calendar of your own (n) and "
                    "choose it in a policy",
                    severity="warning",
                    markup=False,
                )
                return
            self.app.push_screen(self._calendar_form(calendar), self._said)
        elif tab == "tiers":
            tier = self.selected_tier()
            if tier is not None:
                self.app.push_screen(self._tier_form(tier), self._said)

    def _policy_form(self) -> SettingsForm:
        desk = self.desk

        def save(v: dict[str, str]) -> str:
            saved = desk.sla_set_policy(
                v["name"],
                first_response=v["first"],
                next_response=v["next"].strip() or v["first"],
                resolution=v["resolve"],
                priority=v["priority"].strip() or None,
                organization=v["organization"].strip() or None,
                ticket_type=v["type"].strip() or None,
                category=v["category"].strip() or None,
                calendar=v["calendar"].strip() or None,
                warn_percent=v["warn"].strip() or 75,
                new=True,
            )
            return "\n".join(saved.lines("policy"))

        fields = (
            FormField("name", "Name"),
            FormField("priority", "Priority", placeholder="urgent, high, normal, low; or any"),
            FormField("type", "Type", placeholder="incident, service_request, question, …"),
            FormField("organization", "Organization", placeholder="any"),
            FormField("category", "Category", placeholder="any"),
            FormField("calendar", "Calendar", placeholder="business hours"),
            FormField("first", "First response", placeholder="4h, 90m, 1h30m"),
            FormField("next", "Next response", placeholder="as the first response"),
            FormField("resolve", "Resolution", placeholder="40h"),
            FormField("warn", "Warn at %", "75"),
        )
        note = Text(
            "Business time. Empty scope fields: any. The most specific policy that fits a "
            "ticket sets its clocks."
        )
        return SettingsForm(form_title("New SLA policy"), fields, save, note=note)

    def _calendar_form(self, calendar: SlaCalendarView | None) -> SettingsForm:
        desk = self.desk
        was = calendar or SlaCalendarView("", "")

        def save(v: dict[str, str]) -> str:
            name = calendar.name if calendar is not None else v["name"]
            saved = desk.sla_set_calendar(
                name,
                timezone=v["zone"].strip(),
                days=v["days"],
                hours=v["hours"],
                holidays=v["holidays"].strip() or None,
                closed=v["closed"].split(","),
                new=calendar is None,
                expected=calendar,
            )
            return "\n".join(saved.lines("calendar"))

        fields = [
            FormField("zone", "Time zone", was.timezone, "Europe/Berlin, America/New_York"),
            FormField("days", "Working days", was.days, "mon-fri, sun-thu, mon,wed,fri"),
            FormField("hours", "Working hours", was.hours, "09:00-17:00"),
            FormField("holidays", "Holidays", was.holidays or "", "DE, DE-BY, US-CA; or none"),
            FormField("closed", "Closed days", ", ".join(was.closed), "2026-12-24, 2026-12-31"),
        ]
        if calendar is None:
            fields.insert(0, FormField("name", "Name"))
            title = form_title("New business calendar")
        else:
            title = form_title("Business calendar ", calendar.name)
        note = Text("Public holidays of the country (and its subdivision) do not count.")
        return SettingsForm(title, fields, save, note=note)

    def _tier_form(self, tier: SlaTierView) -> SettingsForm:
        desk = self.desk

        def save(v: dict[str, str]) -> str:
            saved = desk.sla_set_team_tier(tier.team, v["tier"].strip(), expected=tier)
            return "\n".join(saved.lines())

        fields = (FormField("tier", "Tier", str(tier.tier or ""), "1 to 4"),)
        note = Text("Escalation from tier n moves a ticket to the team of tier n+1.")
        return SettingsForm(form_title("Tier of team ", tier.team), fields, save, note=note)

    def action_rename_desk(self) -> None:
        view = self.settings.desk_name if self.settings is not None else None
        if view is not None:
            self.app.push_screen(self._name_form(view), self._said)

    def _name_form(self, view: DeskNameView) -> SettingsForm:
        """The desk's own name, written only onto the one the form read (``expected``);
        emptied, the desk has none of its own again and the config's ``desk_name`` shows."""
        desk = self.desk
        configured = clean(self.desk_app.settings.desk_name, single_line=True)

        def save(v: dict[str, str]) -> str:
            stored = desk.desk_set_name(v["name"].strip() or None, expected=view)
            return renamed_said(stored, configured)

        fields = (FormField("name", "Name", view.own or "", f"{configured} (the config's)"),)
        note = Text(
            "Heads every terminal, is {{desk.name}} in canned responses and {desk} in the "
            "acknowledgements. Empty: the config's desk_name."
        )
        return SettingsForm(form_title("Name of the desk"), fields, save, note=note)

    def _edit_targets(self) -> None:
        policy = self.selected_policy()
        if policy is None:
            return
        if policy.built_in:
            self.notify(
                f"{policy.name} is built in: add a policy of your own for its tickets (n)",
                severity="warning",
                markup=False,
            )
            return
        self.app.push_screen(self._targets_form(policy), self._said)

    def _targets_form(self, policy: SlaPolicyView) -> SettingsForm:
        """A policy's first-response and resolution targets: saved through the one policy
        writer with its scope, calendar, next-response target and warning as they were read,
        and only onto the policy as it was read (``expected``: changed meanwhile, refused)."""
        desk = self.desk
        p = policy

        def save(v: dict[str, str]) -> str:
            saved = desk.sla_set_policy(
                p.name,
                first_response=v["first"],
                next_response=p.next_response,
                resolution=v["resolve"],
                priority=p.priority,
                organization=p.organization,
                ticket_type=p.type,
                category=p.category,
                calendar=p.calendar,
                warn_percent=p.warn_percent,
                expected=p,
            )
            return "\n".join(saved.lines("policy"))

        fields = (
            FormField("first", "First response", p.first_response, "4h, 90m, 1h30m"),
            FormField("resolve", "Resolution", p.resolution, "40h"),
        )
        note = plain(p.description)
        note.append("\nBusiness time: 90m, 4h, 1h30m")
        return SettingsForm(form_title("Targets of policy ", p.name), fields, save, note=note)

    def action_escalation(self) -> None:
        if self.settings is None:
            return
        read = self.settings.auto_escalate
        question = Text("Automatic escalation is ")
        question.append(ESCALATION.get(read, read), "bold")
        question.append(".\nAt which SLA alert should a ticket move to the next tier's team?")

        def answered(answer: str | None) -> None:
            if answer in ESCALATION and answer != read:
                self.set_escalation(answer, read)

        choices = [
            Choice(key, label, value)
            for key, label, value in (
                ("o", "Off", "off"),
                ("w", "At warning", "warning"),
                ("b", "At breach", "breach"),
            )
            if value != read
        ]
        self.app.push_screen(ChoiceScreen(question, choices), answered)

    @work(thread=True, exclusive=True, group="settings-escalation", exit_on_error=False)
    def set_escalation(self, at: str, read: str) -> None:
        try:
            value = self.desk.sla_auto_escalate(at, expected=read)
        except DeskError as error:
            self.post_message(self.Said(str(error), refused=True))
            return
        self.post_message(self.Said(f"automatic escalation is {ESCALATION[value.value]}"))

    def on_desk_settings_screen_said(self, message: Said) -> None:
        if message.refused:
            self.notify(clean(message.said, single_line=True), severity="error", markup=False)
            self.load()
        else:
            self._said(message.said)

    def action_toggle_surveys(self) -> None:
        if self.settings is None:
            return
        on = not self.settings.surveys_on
        question = (
            "Send a satisfaction survey when a ticket is resolved?"
            if on
            else "Stop sending satisfaction surveys from this desk?"
        )

        def answered(answer: str | None) -> None:
            if answer == "yes":
                self.switch_surveys(on)

        self.app.push_screen(
            confirm(question, yes=f"Switch {'on' if on else 'off'}", key="y"), answered
        )

    @work(thread=True, exclusive=True, group="settings-surveys", exit_on_error=False)
    def switch_surveys(self, on: bool) -> None:
        self.post_message(self.Switched(self.desk.satisfaction_surveys(on)))

    def on_desk_settings_screen_switched(self, message: Switched) -> None:
        self.notify(f"surveys are {'on' if message.on else 'off'} for this desk", markup=False)
        self.load()
