"""The queue's filter form (f): status, priority, type, assignee, team, tag, category.

It opens filled with the filter in force; Enter hands a new ``TicketFilter`` to the
queue, which closes the form once the filtered rows are read (Esc closes it, changing
nothing). Values are checked with the desk's own parsers, so a typo is named in the form
instead of failing later in a query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.widgets import Checkbox, Input, Label, Static

from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.kinds import Priority, TicketType
from helpdesk_tui.desk.queue_values import TicketFilter
from helpdesk_tui.desk.statuses import ALL_STATUSES, parse_status
from helpdesk_tui.desk.values import parse_priority, parse_tag, parse_type
from helpdesk_tui.safe_text import plain
from helpdesk_tui.screens.base import DeskModal
from helpdesk_tui.screens.frames import KeyFrames
from helpdesk_tui.widgets.key_footer import KeyFooter

NONE = "none"
"""Typed as the assignee: only unassigned tickets."""


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_form(values: dict[str, str], open_only: bool) -> TicketFilter:
    """A filter from the form's text fields; InvalidValue names the field that is wrong."""
    assignee = values["assignee"].strip()
    return TicketFilter(
        statuses=tuple(parse_status(s).value for s in _split(values["statuses"])),
        priorities=tuple(parse_priority(p).value for p in _split(values["priorities"])),
        types=tuple(parse_type(t).value for t in _split(values["types"])),
        assignee=assignee if assignee and assignee != NONE else None,
        unassigned=assignee == NONE,
        team=values["team"].strip() or None,
        tag=parse_tag(values["tag"]) if values["tag"].strip() else None,
        category=values["category"].strip() or None,
        open_only=open_only,
    )


def form_values(spec: TicketFilter) -> dict[str, str]:
    return {
        "statuses": ", ".join(spec.statuses),
        "priorities": ", ".join(spec.priorities),
        "types": ", ".join(spec.types),
        "assignee": NONE if spec.unassigned else spec.assignee or "",
        "team": spec.team or "",
        "tag": spec.tag or "",
        "category": spec.category or "",
    }


FIELDS: tuple[tuple[str, str, str], ...] = (
    ("statuses", "Status", ", ".join(ALL_STATUSES)),
    ("priorities", "Priority", ", ".join(p.value for p in Priority)),
    ("types", "Type", ", ".join(t.value for t in TicketType)),
    ("assignee", "Assignee", f"agent login, or {NONE}"),
    ("team", "Team", "team name"),
    ("tag", "Tag", "one tag"),
    ("category", "Category", "category"),
)


class QueueFilterScreen(KeyFrames, DeskModal[None]):
    """Enter applies (from any field or the checkbox), Escape cancels, ctrl+r empties all.

    Enter does not close the form: ``apply`` gets the filter and closes it when the list it
    asked for is there, so the frame that takes the form away shows the filtered rows.
    Closed at once, the queue was drawn first with the old rows and the new ones came one
    or two frames later (Textual's next frame after one drawn from idle comes a period late).

    The fields are one line each (compact), so the one being typed in stays readable at 80x24.
    The queue keeps one form and fills it again each time (``refill``): building the form's
    widgets anew was most of the time of the key f.
    """

    HELP_TITLE = "Queue filter"

    CSS_PATH = "queue_filter.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "apply", "Apply", id="filter.apply", priority=True),
        Binding("escape", "cancel", "Cancel", id="filter.cancel"),
        Binding("ctrl+r", "reset", "Clear all", id="filter.reset"),
    ]

    def __init__(self, current: TicketFilter, apply: Callable[[TicketFilter], None]) -> None:
        super().__init__()
        self._current = current
        self._apply = apply

    def compose(self) -> ComposeResult:
        values = form_values(self._current)
        with Vertical():
            yield Static(Text("Filter the queue", style="bold"))
            with Grid():
                for key, label, hint in FIELDS:
                    yield Label(label)
                    yield Input(values[key], placeholder=hint, id=f"filter-{key}", compact=True)
            yield Checkbox("Open tickets only", self._current.open_only, id="filter-open")
            yield Static(id="filter-error")
            yield Static(Text("Enter apply · Esc cancel · ctrl+r clear"), id="filter-hint")
        yield KeyFooter(show_command_palette=False)  # (its keys, not the queue's)

    def refill(self, current: TicketFilter, *, error: str = "") -> None:
        """The form as a new one for ``current`` would be: its values, no error (or
        ``error``: why the desk refused them), the focus given to the first field again
        when it is shown (which selects its text)."""
        self._current = current
        for key, value in form_values(current).items():
            field = self.query_one(f"#filter-{key}", Input)
            field.value = value
            field.cursor_position = len(value)
        self.query_one("#filter-open", Checkbox).value = current.open_only
        self.query_one("#filter-error", Static).update(plain(error))
        if isinstance(self.focused, Input):
            self.focused.cursor_blink = True  # (stopped at the last closing; paused by the blur)
        if self.is_active:  # (refused while open: the agent goes on typing in it)
            self.query(Input).first().focus()
        else:
            self.set_focus(None)

    def on_screen_suspend(self) -> None:
        """The closed form stays installed with its focus: its field's cursor would blink,
        waking an idle app twice a second for as long as it runs. Stopped, not blurred (a
        blur restyles the field, on the key that closes the form); ``refill`` restarts it."""
        if isinstance(self.focused, Input):
            self.focused.cursor_blink = False

    def _values(self) -> dict[str, str]:
        return {key: self.query_one(f"#filter-{key}", Input).value for key, _, _ in FIELDS}

    def action_apply(self) -> None:
        try:
            spec = parse_form(self._values(), self.query_one("#filter-open", Checkbox).value)
        except InvalidValue as error:
            self.query_one("#filter-error", Static).update(Text(str(error)))
            return
        self._apply(spec)

    def close(self) -> None:
        """Closed by the queue once the filtered rows are read (unless Esc closed it first)."""
        if self.is_active:
            self.dismiss()

    def action_cancel(self) -> None:
        self.dismiss()

    def action_reset(self) -> None:
        for key, _, _ in FIELDS:
            self.query_one(f"#filter-{key}", Input).value = ""
        self.query_one("#filter-open", Checkbox).value = False
