"""Desk settings (D on the queue, or the palette): the SLA policies and business calendars,
the routing rules and their check, and the satisfaction surveys, as the CLI's ``helpdesk sla
policy list`` / ``sla calendar list``, ``rules list`` / ``rules check`` and ``survey status``
read them (the same desk reads).

Admins change a policy's two targets here (``e``: the desk's one writer, which recomputes the
open tickets' clocks as ``sla policy set`` does) and switch the surveys (``t``, asked first);
everyone else reads. Routing is changed in its file, never here. Every name from the desk or
the rules file (a rule's pattern, a calendar's name) is shown as plain text, cleaned of
escape sequences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane

from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.kinds import Role
from helpdesk_tui.desk.routing_reads import RuleView
from helpdesk_tui.desk.sla_reads import SlaCalendarView, SlaPolicyView
from helpdesk_tui.safe_text import clean, plain
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.screens.confirm import confirm
from helpdesk_tui.widgets.key_footer import KeyFooter

READ_ONLY = "Read only: only admins can change this."
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("name", "Policy", 16),
    ("scope", "Applies to", 22),
    ("first", "First", 6),
    ("resolve", "Resolve", 7),
    ("calendar", "Calendar", 14),
)
"""(key, label, width): the policies' table fits 80 columns; longer names end in …"""


@dataclass(frozen=True)
class Routing:
    """The rules file as ``helpdesk rules list`` and ``rules check`` read it."""

    source: str
    rules: tuple[RuleView, ...]
    strategies: tuple[tuple[str, str], ...]
    verdict: str
    """``OK: …`` or the first fault, one line."""
    ok: bool


@dataclass(frozen=True)
class DeskSettings:
    policies: tuple[SlaPolicyView, ...]
    calendars: tuple[SlaCalendarView, ...]
    routing: Routing
    surveys_on: bool
    opted_out: int


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


def calendars_text(calendars: tuple[SlaCalendarView, ...]) -> Text:
    text = Text()
    text.append("Business calendars\n", "bold")
    for calendar in calendars:
        text.append("  ")
        text.append_text(plain(calendar.description))
        text.append("\n")
    text.rstrip()
    return text


def routing_head(routing: Routing, command: str) -> Text:
    """Where the rules come from, and how they are changed."""
    text = Text("Rules from ")
    text.append_text(plain(routing.source))
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
    """Three tabs: SLA (1), Routing (2), Surveys (3)."""

    CSS_PATH = "desk_settings.tcss"
    HELP_TITLE = "Desk settings"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="settings.back"),
        Binding("1", "section('sla')", "SLA", id="settings.sla"),
        Binding("2", "section('routing')", "Routing", id="settings.routing"),
        Binding("3", "section('surveys')", "Surveys", id="settings.surveys"),
        Binding("e", "edit_targets", "Edit targets", id="settings.edit_targets"),
        Binding("t", "toggle_surveys", "Surveys on/off", id="settings.toggle_surveys"),
    ]

    class Loaded(Message):
        def __init__(self, settings: DeskSettings) -> None:
            super().__init__()
            self.settings = settings

    class Switched(Message):
        def __init__(self, on: bool) -> None:
            super().__init__()
            self.on = on

    def __init__(self) -> None:
        super().__init__()
        self.settings: DeskSettings | None = None

    @property
    def admin(self) -> bool:
        return self.desk_app.actor.can(Role.ADMIN)

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="sla", id="settings-tabs"):
            with TabPane("1 SLA", id="sla"):
                yield DataTable(cursor_type="row", zebra_stripes=False, id="sla-policies")
                yield Static(id="sla-hint")
                with VerticalScroll(id="sla-calendars-scroll"):
                    yield Static(id="sla-calendars")
            with TabPane("2 Routing", id="routing"):
                yield Static(Text("Reading the rules…"), id="routing-head")
                yield Static(id="routing-verdict")
                with VerticalScroll(id="routing-scroll", can_focus=True):
                    yield Static(id="routing-text")
            with (
                TabPane("3 Surveys", id="surveys"),
                VerticalScroll(id="surveys-scroll", can_focus=True),
            ):
                yield Static(Text("Reading…"), id="surveys-text")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "Desk settings"
        table = self.query_one("#sla-policies", DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        said = clean(self.desk_app.command, single_line=True)
        hint = "Dim rows are built in: a policy of the desk's own for their tickets wins.\n" + (
            "e edits the targets of the policy under the cursor; calendars and new policies: "
            f"{said} sla …"
            if self.admin
            else READ_ONLY
        )
        self.query_one("#sla-hint", Static).update(Text(hint, "italic"))
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="settings-load", exit_on_error=False)
    def load(self) -> None:
        desk = self.desk
        self.post_message(
            self.Loaded(
                DeskSettings(
                    policies=tuple(desk.sla_policies()),
                    calendars=tuple(desk.sla_calendars()),
                    routing=self._routing(),
                    surveys_on=desk.satisfaction_surveys_on(),
                    opted_out=desk.satisfaction_opt_out_count(),
                )
            )
        )

    def _routing(self) -> Routing:
        desk = self.desk
        path = self.desk_app.settings.rules_path()
        try:
            rules = desk.rules_load(path)
        except DeskError as error:  # (the file's form: RulesError, one line)
            return Routing(str(path), (), (), str(error), ok=False)
        problems = desk.rules_check(rules)
        verdict = problems[0] if problems else f"OK: {len(rules.rules)} rules, all usable"
        if len(problems) > 1:
            verdict += f" (and {len(problems) - 1} more: rules check lists them)"
        return Routing(
            rules.source,
            tuple(desk.rules_list(rules)),
            tuple((team, s.value.replace("_", "-")) for team, s in rules.strategies.items()),
            verdict,
            ok=not problems,
        )

    def on_desk_settings_screen_loaded(self, message: Loaded) -> None:
        self.settings = settings = message.settings
        table = self.query_one("#sla-policies", DataTable)
        row = table.cursor_row
        table.clear()
        for policy in settings.policies:
            style = "dim" if policy.built_in else ""
            cells = (
                policy.name,
                scope_of(policy),
                policy.first_response,
                policy.resolution,
                policy.calendar or "business hours",
            )
            widths = (width for _key, _label, width in COLUMNS)
            table.add_row(*(_cell(v, w, style) for v, w in zip(cells, widths, strict=True)))
        if settings.policies:
            table.move_cursor(row=min(row, len(settings.policies) - 1))
        self.query_one("#sla-calendars", Static).update(calendars_text(settings.calendars))
        routing = settings.routing
        self.query_one("#routing-head", Static).update(routing_head(routing, self.desk_app.command))
        verdict = self.query_one("#routing-verdict", Static)
        verdict.update(verdict_text(routing))
        verdict.set_class(not routing.ok, "-error")
        self.query_one("#routing-text", Static).update(rules_text(routing))
        self.query_one("#surveys-text", Static).update(surveys_text(settings, self.admin))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Editing is for admins, each key in its own tab once the settings are read."""
        tab = self.query_one(TabbedContent).active if self.is_mounted else ""
        if action == "edit_targets":
            return self.admin and tab == "sla" and self.settings is not None
        if action == "toggle_surveys":
            return self.admin and tab == "surveys" and self.settings is not None
        return True

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()
        # (Each pane's own widget takes the focus: one left in a hidden pane would bring its
        # pane back, as a TabbedContent shows the pane of the focused widget.)
        focus = {"sla": "#sla-policies", "routing": "#routing-scroll", "surveys": "#surveys-scroll"}
        self.query_one(focus[event.pane.id or "sla"]).focus()

    def action_section(self, section: str) -> None:
        self.query_one(TabbedContent).active = section

    def action_back(self) -> None:
        self.dismiss(None)

    def selected_policy(self) -> SlaPolicyView | None:
        if self.settings is None or not self.settings.policies:
            return None
        table = self.query_one("#sla-policies", DataTable)
        return self.settings.policies[min(table.cursor_row, len(self.settings.policies) - 1)]

    def action_edit_targets(self) -> None:
        policy = self.selected_policy()
        if policy is None:
            return
        if policy.built_in:
            self.notify(
                f"{policy.name} is built in: add a policy of your own for its tickets "
                f"({clean(self.desk_app.command, single_line=True)} sla policy set …)",
                severity="warning",
                markup=False,
            )
            return
        from helpdesk_tui.screens.sla_targets import SlaTargetsScreen

        def saved(changed: int | None) -> None:
            if changed is None:
                return
            self.notify(
                f"policy {clean(policy.name, single_line=True)} saved; "
                f"{changed} open ticket(s) have new due times",
                markup=False,
            )
            self.load()

        self.app.push_screen(SlaTargetsScreen(policy), saved)

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
