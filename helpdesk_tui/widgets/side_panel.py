"""The ticket's fields beside the thread: requester, state, ownership, times, relations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from helpdesk_tui import timefmt
from helpdesk_tui.desk.due import DEFAULT_WARN_PERCENT, DueLevel, due_level
from helpdesk_tui.desk.statuses import OPEN_STATUSES, words
from helpdesk_tui.desk.ticket_view import TicketView
from helpdesk_tui.safe_text import clamped, plain

if TYPE_CHECKING:
    from helpdesk_tui.desk.kb_service import KbResult

SUGGESTIONS_HINT = "Enter or i replies, I links"
TEXT_WIDTH = 27
"""The panel's text width at 32 columns: less its border, padding and scroll bar."""
VALUE_LINES = 2
"""The most lines an address or subject takes in the panel (an address may be hundreds of
characters: the fields below it stay in sight)."""
LABEL_WIDTH = 9
"""A field's label and the blank after it ("Category ")."""
TAG_LINES = 3
"""The most lines the tags take, wrapped under their first (each tag is a word an agent
looks for: one line cut with "…" hid all but the first two at 80 columns, and the whole
list was only in a tooltip, out of a keyboard's reach)."""


def _field(text: Text, label: str, value: Text | str | None, width: int) -> None:
    """One line: the label, then the value cut to the line with "…" (a 200-character
    category took 8 lines; the whole value is in the panel's tooltip, ``full_values``, and
    behind F on the ticket, ``whole_values``)."""
    text.append(f"{label:<{LABEL_WIDTH}}", "dim")
    shown = value if isinstance(value, Text) else Text(value or "—")
    text.append_text(_one_line(shown, width - LABEL_WIDTH))
    text.append("\n")


def _field_lines(text: Text, label: str, value: Text, width: int, lines: int) -> None:
    """A field whose value wraps into at most ``lines`` lines under its first (a hanging
    indent), the last ending in "…" where it was cut."""
    text.append(f"{label:<{LABEL_WIDTH}}", "dim")
    room = width - LABEL_WIDTH
    kept = clamped(value, room, lines)
    # (clamped hands back a value it kept whole as it came, unwrapped)
    rows = _wrapped(value, room) if kept is value else kept.split("\n")
    for row in rows:
        row.rstrip()  # (the blank a line was wrapped at)
    text.append_text(Text("\n" + " " * LABEL_WIDTH).join(rows))
    text.append("\n")


def _wrapped(value: Text, width: int) -> list[Text]:
    from io import StringIO

    from rich.console import Console

    return list(value.wrap(Console(file=StringIO(), width=width), width, overflow="fold"))


def _one_line(text: Text, width: int) -> Text:
    """``text`` (one line) cut to ``width`` cells, its last one "…" where it was cut (at the
    cell, not the word: a line of its own has no word to wrap to)."""
    if text.cell_len <= width:
        return text
    cut = text.copy()
    cut.truncate(max(width - 1, 1))
    cut.rstrip()  # (a wide character that did not fit leaves a blank)
    cut.append("…")
    return cut


def _long_values(view: TicketView) -> list[tuple[str, str, int]]:
    """The panel's values that come from people (label, value, the lines it may take), in
    the panel's order: any may be longer than its line."""
    row = view.row
    values = [
        ("Requester", row.requester_name or "", 1),
        ("Email", row.requester_email or "", VALUE_LINES),
        ("Org", view.requester_org or "", 1),
        ("Cc", ", ".join(view.copies), VALUE_LINES),
        ("Category", row.category or "", 1),
        ("Tags", ", ".join(view.tags), TAG_LINES),
        ("Team", row.team or "", 1),
        ("Assignee", row.assignee or "", 1),
    ]
    return [value for value in values if value[1]]


def whole_values(view: TicketView) -> list[tuple[str, Text]]:
    """The values that come from people, whole, each with its label ("Category", …): what F
    on a ticket shows, the panel cutting them to their lines."""
    return [(label, plain(value, single_line=False)) for label, value, _ in _long_values(view)]


def full_values(view: TicketView, width: int = TEXT_WIDTH) -> Text | None:
    """The values the panel shortens, whole, a line each ("Category Hardware / …"): its
    tooltip. None when the panel shows every value whole."""
    lines = []
    for label, value, lines_allowed in _long_values(view):
        room = width if label in {"Requester", "Email", "Org"} else width - LABEL_WIDTH
        shown = plain(value)
        kept = clamped(shown, room, lines_allowed) if lines_allowed > 1 else _one_line(shown, room)
        if kept is not shown:  # (cut)
            line = Text(f"{label:<{LABEL_WIDTH}}", "dim")
            line.append_text(plain(value, single_line=False))
            lines.append(line)
    return Text("\n").join(lines) if lines else None


def _reply_deadline(due: datetime, replied: datetime) -> str:
    """How the first-reply deadline was kept once the first reply went out."""
    return "met" if replied <= due else f"replied {timefmt.due_exact(due, replied)}"


def _deadline(
    text: str,
    start: datetime,
    due: datetime,
    warn_at: datetime | None,
    now: datetime,
    styles: dict[DueLevel, Style],
    warn_percent: int,
) -> Text:
    """A deadline in its colour: nearly due from its clock's warning time (the policy's
    warning share in business time, when the alert goes), as the queue's badge is; with
    none known, at ``warn_percent`` of the wall time, as the queue's badge is too."""
    level = due_level(start, due, now, warn_percent=warn_percent, alert_at=warn_at)
    return Text(text, style=styles.get(level, ""))


def due_styles(variables: dict[str, str]) -> dict[DueLevel, Style]:
    """Deadline colours from the theme: ok, warning, overdue."""
    return {
        DueLevel.OK: Style(color=variables.get("success")),
        DueLevel.WARNING: Style(color=variables.get("warning"), bold=True),
        DueLevel.OVERDUE: Style(color=variables.get("error"), bold=True),
    }


def render_fields(
    view: TicketView,
    now: datetime,
    styles: dict[DueLevel, Style] | None = None,
    width: int = TEXT_WIDTH,
    *,
    warn_percent: int = DEFAULT_WARN_PERCENT,
) -> Text:
    """The fields as lines ``width`` cells wide: the requester's name, organization and
    each field one line (cut with "…": ``full_values`` has them whole), the address at
    most ``VALUE_LINES``. ``warn_percent``: ``[ui] sla_warn_percent`` (a deadline whose
    warning time is not known turns there, as in the queue)."""
    styles = styles or {}
    row = view.row
    text = Text()
    requester = plain(row.requester_name or row.requester_email or "—")
    text.append_text(Text("Requester\n", "bold"))
    if row.requester_name:
        text.append_text(_one_line(requester, width))
    else:
        text.append_text(clamped(requester, width, VALUE_LINES))
    if row.requester_email and row.requester_name:
        text.append("\n")
        text.append_text(clamped(plain(row.requester_email, "dim"), width, VALUE_LINES))
    if view.requester_org:
        text.append("\n")
        text.append_text(_one_line(plain(view.requester_org, "dim"), width))
    text.append("\n")
    if view.copies:  # who else the replies go to: the thread says it only per message
        _field_lines(text, "Cc", plain(", ".join(view.copies)), width, VALUE_LINES)
    text.append("\n")
    _field(text, "Status", words(row.status), width)
    _field(text, "Priority", row.priority, width)
    _field(text, "Type", words(row.type), width)
    _field(text, "Category", plain(row.category) if row.category else None, width)
    if view.tags:
        _field_lines(text, "Tags", plain(", ".join(view.tags)), width, TAG_LINES)
    else:
        _field(text, "Tags", None, width)
    _field(text, "Team", plain(row.team) if row.team else None, width)
    _field(text, "Assignee", plain(row.assignee) if row.assignee else "unassigned", width)
    _field(text, "Tier", str(row.tier), width)
    _field(text, "Created", timefmt.relative(row.created_at, now), width)
    _field(text, "Updated", timefmt.relative(row.updated_at, now), width)
    if row.status == "waiting":  # the clocks stand still while the customer has the ball
        _field(text, "SLA", Text("paused (waiting)", style="dim"), width)
    if row.reply_due_at is not None and row.status in OPEN_STATUSES:  # a reply is awaited
        start = row.reply_started_at or row.created_at
        due = row.reply_due_at
        shown = _deadline(
            timefmt.due_exact(due, now), start, due, view.reply_warn_at, now, styles, warn_percent
        )
        _field(text, "Reply by", shown, width)
    elif row.response_due_at is not None and row.first_response_at is not None:
        _field(text, "Reply by", _reply_deadline(row.response_due_at, row.first_response_at), width)
    if row.resolution_due_at is not None and row.status in OPEN_STATUSES:
        solve = timefmt.due_exact(row.resolution_due_at, now)
        _field(
            text,
            "Solve by",
            _deadline(
                solve,
                row.created_at,
                row.resolution_due_at,
                view.resolution_warn_at,
                now,
                styles,
                warn_percent,
            ),
            width,
        )
    if view.rating is not None:
        _field(text, "Rating", f"{view.rating.score}/5 ({view.rating.by})", width)
    if view.merged_into is not None:
        _field(text, "Merged", f"into #{view.merged_into}", width)
    text.rstrip()
    return text


def related_options(view: TicketView, width: int = TEXT_WIDTH) -> list[Option]:
    """The panel's list of other tickets: the ticket's links, then the requester's other
    tickets (each at most ``VALUE_LINES`` of ``width`` cells); each option's id starts
    ``ticket:NUMBER:`` (Enter opens it; a ticket may be both linked and the requester's, and
    ids must differ)."""
    options: list[Option] = []
    if view.links:
        options.append(Option(Text("Links", "bold"), disabled=True))
        for kind, number in view.links:
            line = Text(f"#{number} ", "bold")
            line.append(words(kind), "dim")
            options.append(Option(line, id=f"ticket:{number}:link:{kind}"))
    if view.other_tickets:
        options.append(Option(Text("Their other tickets", "bold"), disabled=True))
        for other in view.other_tickets:
            line = Text(f"#{other.number} ", "bold")
            line.append(f"{words(other.status)} ", "dim")
            line.append_text(plain(other.subject))
            options.append(
                Option(clamped(line, width, VALUE_LINES), id=f"ticket:{other.number}:other")
            )
    return options


def suggestion_options(results: Sequence[KbResult], width: int = TEXT_WIDTH) -> list[Option]:
    """The knowledge-base articles suggested for the ticket, best first (each at most
    ``VALUE_LINES`` of ``width`` cells); each option's id is ``article:ID`` (Enter starts a
    reply with the article's text)."""
    options = [Option(Text("Suggested articles", "bold"), disabled=True)]
    if not results:
        options.append(Option(Text("none found", "dim"), disabled=True))
        return options
    for result in results:
        line = plain(result.article.title)
        if not result.article.is_public:
            line.append(
                " (internal)" if result.article.visibility == "internal" else " (draft)", "dim"
            )
        options.append(Option(clamped(line, width, VALUE_LINES), id=f"article:{result.article.id}"))
    options.append(Option(Text(SUGGESTIONS_HINT, "dim"), disabled=True))
    return options


class RelatedList(OptionList):
    """Links, the requester's other tickets and suggested articles: Tab (or g) moves here,
    up/down pick one, Enter opens it."""

    DEFAULT_CSS = """
    RelatedList {
        border: none;
        padding: 0;
        background: transparent;
        &:focus { border: none; background-tint: $foreground 0%; }
        & > .option-list--option { padding: 0; }
        & > .option-list--option-highlighted { background: transparent; text-style: none; }
        &:focus > .option-list--option-highlighted {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
    }
    """

    def scroll_to_highlight(self, top: bool = False) -> None:
        """Also scroll the panel around the list (it is as tall as its entries): at 80x24
        the suggestions start below the panel's fold."""
        super().scroll_to_highlight(top)
        panel = self.parent
        if self.highlighted is None or not isinstance(panel, VerticalScroll):
            return
        # (Textual's own bookkeeping of which line each option starts on, as above.)
        y = self._index_to_line.get(self.highlighted)
        if y is not None:
            region = Region(0, self.virtual_region.y + y, 1, self._heights[self.highlighted])
            panel.scroll_to_region(region, animate=False, immediate=True)

    def on_focus(self) -> None:
        """However it got the focus (g, Tab), the cursor is on an entry, not a heading."""
        option = self.highlighted_option
        if option is None or option.disabled:
            self.highlighted = next(
                (index for index, option in enumerate(self.options) if not option.disabled),
                None,
            )


class SidePanel(VerticalScroll, can_focus=False):
    """The ticket's fields, then a list of what relates to it, reachable from the keyboard."""

    DEFAULT_CSS = """
    SidePanel { width: 32; padding: 0 1; border-left: solid $panel; }
    SidePanel RelatedList { margin-top: 1; }
    """

    class Opened(Message):
        """Enter on an entry of the list: ``kind`` is "ticket" or "article", ``key`` its
        number or id."""

        def __init__(self, kind: str, key: int) -> None:
            super().__init__()
            self.kind = kind
            self.key = key

    suggestions: tuple[KbResult, ...] = ()
    """What the panel lists under "Suggested articles", best first."""

    def __init__(self, *, warn_percent: int = DEFAULT_WARN_PERCENT, id: str | None = None) -> None:
        super().__init__(id=id)
        self._related: list[Option] = []
        self.warn_percent = warn_percent
        """``[ui] sla_warn_percent``: where a deadline without a known warning time turns."""

    def compose(self) -> ComposeResult:
        yield Static(id="side-fields")
        yield RelatedList(id="side-related")

    @property
    def related(self) -> RelatedList:
        return self.query_one(RelatedList)

    def show(self, view: TicketView, now: datetime) -> None:
        styles = due_styles(dict(self.app.theme_variables))
        fields = self.query_one("#side-fields", Static)
        fields.update(render_fields(view, now, styles, warn_percent=self.warn_percent))
        fields.tooltip = full_values(view)  # (the values cut to their line, whole)
        self._related = related_options(view)
        self._fill()

    def show_suggestions(self, results: Sequence[KbResult]) -> None:
        """List the articles suggested for this ticket (kept for the insert keys); a desk
        without articles shows nothing for them."""
        self.suggestions = tuple(results)
        self._fill()

    def _fill(self) -> None:
        """The list again, the highlight kept on the same entry where it still is."""
        related = self.related
        highlighted = related.highlighted_option
        kept = highlighted.id if highlighted is not None else None
        options = list(self._related)
        if self.suggestions:
            if options:
                options.append(Option(Text(""), disabled=True))
            options += suggestion_options(self.suggestions)
        related.set_options(options)
        related.display = bool(options)
        ids = [option.id for option in options]
        if kept in ids:
            related.highlighted = ids.index(kept)

    def enter(self) -> bool:
        """Focus the list (False when there is nothing in it)."""
        related = self.related
        if not any(not option.disabled for option in related.options):
            return False
        related.focus()
        return True

    @on(OptionList.OptionSelected, "#side-related")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        kind, _, rest = (event.option.id or "").partition(":")
        key = rest.partition(":")[0]
        if key.isdigit():
            self.post_message(self.Opened(kind, int(key)))
