"""The queue's table: a window of ticket rows, drawn line by line, updated by ticket number.

It shows only the rows it is given (the screen keeps a window of a few hundred around the
cursor), keeps the cursor on the same ticket when rows move, and fits its columns to its
width by dropping or folding the least needed ones first. Each row is rendered to a
``Strip`` once and cached until its cells change, so scrolling and paging only compose
cached lines (the stock ``DataTable`` re-measures and re-renders every cell through Rich on
each change, about ten times slower for a page of a queue).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from helpdesk_tui import timefmt
from helpdesk_tui.desk.canned import first_name
from helpdesk_tui.desk.due import DEFAULT_WARN_PERCENT, DueLevel, due_level
from helpdesk_tui.desk.queue_values import OnTicket, TicketRow
from helpdesk_tui.desk.statuses import short_words, words
from helpdesk_tui.safe_text import clean, plain
from helpdesk_tui.widgets.presence_marker import presence_text


@dataclass(frozen=True)
class QueueColumn:
    key: str
    label: str
    width: int
    """Cells wide; 0 for the subject, which takes what the others leave."""
    sort: str | None
    """The ``desk.queue`` sort key this column sorts by."""
    tail: str = ""
    """A second label, at the right end of the header cell, for a column that holds two."""


OWNER_WIDTH = 12
SHORT_OWNER_WIDTH = 8
COLUMNS: tuple[QueueColumn, ...] = (
    QueueColumn("number", "#", 7, "number"),
    QueueColumn("subject", "Subject", 0, "subject"),
    QueueColumn("requester", "Requester", 14, "requester"),
    QueueColumn("status", "Status", 11, "status"),
    QueueColumn("priority", "Prio", 6, "priority"),
    QueueColumn("assignee", "Assignee", 12, "assignee"),
    QueueColumn("owner", "Owner", OWNER_WIDTH, "assignee", tail="On it"),
    QueueColumn("updated", "Updated", 10, "updated"),
    QueueColumn("sla", "SLA due", 9, "sla"),
    QueueColumn("on", "On it", 8, None),
    # Compact forms, for 80 columns:
    QueueColumn("no", "#", 6, "number"),
    QueueColumn("from", "From", 6, "requester"),
    QueueColumn("state", "Status", 7, "status"),
    QueueColumn("mark", "!", 1, "priority"),
    QueueColumn("who", "Owner", SHORT_OWNER_WIDTH, "assignee"),
    QueueColumn("badge", "SLA", 4, "sla"),
)


@dataclass(frozen=True)
class Layout:
    keys: tuple[str, ...]
    padding: int = 2
    """Cells around each column: 2 is one each side, 1 a single space between columns."""


LAYOUTS: tuple[Layout, ...] = (
    Layout(
        ("number", "subject", "requester", "status", "priority", "assignee", "updated", "sla", "on")
    ),
    Layout(("number", "subject", "requester", "state", "priority", "owner", "updated", "badge")),
    Layout(("number", "subject", "requester", "state", "priority", "owner", "badge")),
    Layout(("no", "subject", "from", "state", "mark", "who", "badge"), padding=1),
    Layout(("no", "subject", "from", "who", "badge"), padding=1),
)
"""Widest first; the first that leaves the subject ``MIN_SUBJECT`` cells is shown (the last
otherwise). Every layout keeps who asked, who has the ticket and the SLA in sight: narrower
ones fold the assignee and "On it" into one "owner" cell and show the deadline as a badge
("2h", "late"), and at 80 columns the requester, status and priority take their compact
forms too (first name, "in prog", "!", the number without its "#"), one space apart. The
number column is as wide as the largest number shown so far needs (``number_width``)."""
MIN_SUBJECT = 40
PADDING = 2  # one cell each side of every column

Cells = dict[str, Text]
NULL_STYLE = Style.null()
_BY_KEY = {column.key: column for column in COLUMNS}


@dataclass(frozen=True)
class Fitted:
    """The columns shown at one width, each with its width, and the padding between them."""

    columns: tuple[tuple[QueueColumn, int], ...]
    padding: int = PADDING


MIN_DIGITS = 3
"""The number column is never narrower than its header with a sort arrow ("# ▼")."""


def number_width(column: QueueColumn, digits: int) -> QueueColumn:
    """The number column sized for ``digits`` digits ("#" and the digits, or the digits
    alone in the compact form): a 1M-ticket desk's "#1000000" is not cut to "#10000…"."""
    if column.key == "number":
        return replace(column, width=max(MIN_DIGITS, digits + 1))
    if column.key == "no":
        return replace(column, width=max(MIN_DIGITS, digits))
    return column


def fit_columns(width: int, digits: int = 6) -> Fitted:
    """The columns that fit ``width`` cells, each with its width, for ticket numbers of up
    to ``digits`` digits."""
    for layout in LAYOUTS:
        shown = [number_width(_BY_KEY[key], digits) for key in layout.keys]
        if layout.padding == 2:
            fixed = sum(c.width + 2 for c in shown if c.width) + 2
        else:
            fixed = sum(c.width for c in shown if c.width) + len(shown) - 1
        if width - fixed >= MIN_SUBJECT:
            break
    subject = max(10, width - fixed)
    return Fitted(tuple((c, c.width or subject) for c in shown), layout.padding)


PRIORITY_MARK = {"urgent": "!", "high": "↑", "low": "↓"}
"""Priority in one cell: urgent and high are also coloured (urgent bold without colour)."""


def short_name(name: str, email: str | None) -> str:
    """The first name in ``name`` (the desk's rule, Outlook's "Dvořák, Jiří" too: the
    column said "Dvořá…"), or the local part of ``email`` when there is no name."""
    return first_name(name) or (email or "").partition("@")[0]


def owner_cell(owner: Text, on: Text, width: int = OWNER_WIDTH) -> Text:
    """``owner`` at the left of ``width`` cells and the presence ``on`` at the right end;
    the owner gives way first, since who is on a ticket now is what prevents collisions."""
    if not on.cell_len:
        return owner
    room = width - on.cell_len - 1
    if room < 1:
        return on
    cell = owner.copy()
    cell.truncate(room, overflow="ellipsis", pad=True)
    cell.append(" ")
    cell.append_text(on)
    return cell


@dataclass(frozen=True)
class RowStyles:
    """Styles for cells, read from the table's component classes (``QueueTable.row_styles``)
    so themes and CSS restyle rows; equal values compare equal, so cached cells stay."""

    urgent: Style
    high: Style
    new: Style
    late: Style
    replying: Style
    viewing: Style
    muted: Style
    due_ok: Style
    due_warning: Style
    warn_percent: int = DEFAULT_WARN_PERCENT
    """SLA deadlines turn to ``due_warning`` once this share of their time has passed."""

    def due(self, level: DueLevel) -> Style | str:
        """The style of an SLA deadline at ``level``."""
        return {
            DueLevel.OK: self.due_ok,
            DueLevel.WARNING: self.due_warning,
            DueLevel.OVERDUE: self.late,
        }.get(level, "")


ALL_CELLS: tuple[str, ...] = tuple(column.key for column in COLUMNS)


def row_cells(
    row: TicketRow,
    on: Sequence[OnTicket],
    now: datetime,
    styles: RowStyles,
    keys: Collection[str] = ALL_CELLS,
) -> Cells:
    """The cells ``keys`` of one ticket row (by default every form, wide and compact: a
    table makes only the columns it shows); every outside string goes through ``plain``."""
    due = row.next_due
    new = styles.new if row.status == "new" else ""
    priority_style = {"urgent": styles.urgent, "high": styles.high}.get(row.priority, "")
    late: Style | str = ""
    if "sla" in keys or "badge" in keys:
        late = styles.due(
            due_level(
                row.due_started_at,
                due,
                now,
                warn_percent=styles.warn_percent,
                alert_at=row.sla_alert_at,
            )
        )
    assignee = marks = Text()
    if any(key in keys for key in ("assignee", "owner", "who")):
        assignee = plain(row.assignee) if row.assignee else plain(row.team, style=styles.muted)
    if any(key in keys for key in ("owner", "on", "who")):
        marks = presence_text(on, replying=styles.replying, viewing=styles.viewing)
    # Only the assignee on the ticket: their mark says both ("◉ann"); the owner's name
    # giving way to it left "… ◉ann" in 8 cells, the usual sight in a team.
    owner_on_it = bool(on) and all(entry.login == row.assignee for entry in on)
    makers: dict[str, Callable[[], Text]] = {
        "number": lambda: Text(f"#{row.number}"),
        "no": lambda: Text(str(row.number)),
        "subject": lambda: plain(row.subject, style=new),
        "requester": lambda: plain(row.requester_name or row.requester_email),
        "status": lambda: Text(words(row.status), style=new),
        "priority": lambda: Text(row.priority, style=priority_style),
        "assignee": lambda: assignee,
        "owner": lambda: marks if owner_on_it else owner_cell(assignee, marks),
        "updated": lambda: Text(timefmt.relative(row.updated_at, now)),
        "sla": lambda: Text(timefmt.due(due, now), style=late),
        "on": lambda: marks,
        "from": lambda: plain(
            short_name(clean(row.requester_name, single_line=True), row.requester_email)
        ),
        "state": lambda: Text(short_words(row.status), style=new),
        "mark": lambda: Text(PRIORITY_MARK.get(row.priority, ""), style=priority_style),
        "who": lambda: marks if owner_on_it else owner_cell(assignee, marks, SHORT_OWNER_WIDTH),
        "badge": lambda: Text(timefmt.badge(due, now), style=late),
    }
    return {key: makers[key]() for key in keys}


def _shows(row: TicketRow, on: Sequence[OnTicket], now: datetime, styles: RowStyles) -> object:
    """What a row's cells show at ``now``: they are made again only when this changes."""
    due = row.next_due
    level = due_level(
        row.due_started_at, due, now, warn_percent=styles.warn_percent, alert_at=row.sla_alert_at
    )
    return (
        row,
        tuple(on),
        timefmt.relative(row.updated_at, now),
        timefmt.due(due, now),
        level,
        styles,
    )


def _label(column: QueueColumn, width: int, arrow: str) -> Text:
    """A header cell: the label, the sort arrow, and the ``tail`` at the right if it fits.
    In a narrow cell the arrow keeps its place and the label gives way."""
    if len(column.label) + len(arrow) > width and arrow:
        return Text(column.label[: width - 1] + arrow.strip())
    label = Text(column.label + arrow)
    if column.tail and label.cell_len + 1 + len(column.tail) <= width:
        label.pad_right(width - label.cell_len - len(column.tail))
        label.append(column.tail)
    return label


class QueueTable(ScrollView, can_focus=True, inherit_bindings=False):
    """Ticket rows under a fixed header; ``show`` replaces them, keeping the cursor's ticket."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "queue-table--header",
        "queue-table--cursor",
        # The cells' styles (``RowStyles``): only their colour and text style are used.
        "queue-table--urgent",
        "queue-table--high",
        "queue-table--new",
        "queue-table--late",
        "queue-table--replying",
        "queue-table--viewing",
        "queue-table--muted",
        "queue-table--due-ok",
        "queue-table--due-warning",
        "queue-table--marked",
    }
    DEFAULT_CSS = """
    QueueTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: scroll;  /* always: rows crossing the height change no layout */
        scrollbar-size-vertical: 1;
        & > .queue-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .queue-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .queue-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .queue-table--urgent { color: $error; text-style: bold; }
        & > .queue-table--high { color: $warning; }
        & > .queue-table--new { text-style: bold; }
        & > .queue-table--late { color: $error; text-style: bold; }
        & > .queue-table--replying { color: $warning; text-style: bold; }
        & > .queue-table--viewing { color: $accent; }
        & > .queue-table--muted { text-style: dim; }
        & > .queue-table--due-ok { color: $success; }
        & > .queue-table--due-warning { color: $warning; text-style: bold; }
        & > .queue-table--marked { background: $secondary-muted; text-style: underline; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open", id="queue.open"),
        Binding("down,j", "cursor_down", "Down", show=False, id="queue.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="queue.up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="queue.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="queue.page_up"),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=False, init=False)

    class Highlighted(Message):
        """The cursor moved to ticket ``number``."""

        def __init__(self, number: int) -> None:
            super().__init__()
            self.number = number

    class Selected(Message):
        """Enter (or a click on the cursor row) on ticket ``number``."""

        def __init__(self, number: int) -> None:
            super().__init__()
            self.number = number

    class SortRequested(Message):
        """A click on a column header: sort by ``sort``."""

        def __init__(self, sort: str) -> None:
            super().__init__()
            self.sort = sort

    def __init__(self, *, warn_percent: int = DEFAULT_WARN_PERCENT, id: str | None = None) -> None:
        super().__init__(id=id)
        self.warn_percent = warn_percent
        """SLA deadlines show as a warning once this share of their time has passed."""
        self._row_styles: RowStyles | None = None
        self._keys: list[int] = []
        self._shown: list[tuple[TicketRow, tuple[OnTicket, ...]]] = []
        """Each shown row and its presence."""
        self._made: dict[int, tuple[tuple[object, tuple[str, ...]], Cells]] = {}
        """Each shown row's cells and what they were made from (``_shows`` and the columns),
        made when the row is first drawn (``_cells_at``): the screen's window holds more
        rows than the table shows (two screens of them, more as the cursor moves), so a
        page of new tickets (a search, a view) makes only the cells it draws, and only
        those of the columns shown."""
        self._now: datetime | None = None
        """The time the shown rows' cells are made for."""
        self._styles: RowStyles | None = None
        """The styles the shown cells were made with."""
        self._fitted = Fitted(())
        self._digits = MIN_DIGITS
        """Digits of the largest ticket number shown so far (the number column only grows)."""
        self._sort: tuple[str, bool] = ("updated", True)
        self._strips: dict[int, Strip] = {}
        self._looks: tuple[Style, Style, Style] | None = None
        """Base, header and cursor styles from CSS, read once per change of style or focus."""
        self._restyled = False
        """Styles changed since the cached strips were checked against them."""
        self._strips_look: tuple[Style, RowStyles] | None = None
        """The base style and the row styles the cached strips were drawn with."""
        self._empty = Text()
        """What the table says under its header while it has no rows."""
        self._empty_strips: tuple[object, list[Strip]] | None = None
        """The empty message's lines and what they were drawn from (``_empty_line``)."""
        self._marked: frozenset[int] = frozenset()
        self._marked_look = Style.null()
        """The tickets marked in the queue (``set_marked``): their rows are underlined on
        the ``queue-table--marked`` background."""

    # -- what the screen reads --------------------------------------------------------------

    @property
    def numbers(self) -> list[int]:
        return list(self._keys)

    @property
    def current_number(self) -> int | None:
        if not self._keys:
            return None
        return self._keys[min(self.cursor_row, len(self._keys) - 1)]

    @property
    def column_keys(self) -> list[str]:
        return [column.key for column, _ in self._fitted.columns]

    def cell(self, number: int, column: str) -> Text:
        index = self._keys.index(number)
        cells = self._cells_at(index)
        if column in cells:
            return cells[column]
        row, on = self._shown[index]
        assert self._now is not None and self._styles is not None  # (set with the rows)
        return row_cells(row, on, self._now, self._styles, (column,))[column]

    @property
    def page_rows(self) -> int:
        """Rows visible at once (below the header)."""
        return max(1, self.scrollable_content_region.height - 1)

    # -- what the screen sets -----------------------------------------------------------------

    def set_sort(self, sort: str, descending: bool) -> None:
        """Mark the sort column in the header."""
        if self._sort != (sort, descending):
            self._sort = (sort, descending)
            self.refresh()

    def show(
        self,
        rows: Sequence[TicketRow],
        presence: Mapping[int, Sequence[OnTicket]],
        now: datetime,
        *,
        focus: int | None,
    ) -> None:
        """Show exactly ``rows``; the cursor goes to ticket ``focus`` if it is among them."""
        styles = self.row_styles
        keys = [row.number for row in rows]
        self._fit_numbers(keys)
        shown = [(ticket, tuple(presence.get(ticket.number, ()))) for ticket in rows]
        if keys == self._keys and styles == self._styles:
            # Only the drawn rows have strips to keep or drop: what the others show is
            # worked out when they are first drawn, not for each of a page's rows here.
            for number, (ticket, on) in zip(keys, shown, strict=True):
                if number in self._strips:
                    made = self._made.get(number)
                    if made is None or made[0] != self._made_from(ticket, on, now, styles):
                        del self._strips[number]
        else:
            self._strips.clear()
        self._styles, self._now = styles, now
        old_row, old_top = self.cursor_row, round(self.scroll_y)
        self._keys, self._shown = keys, shown
        numbers = set(keys)
        self._made = {number: made for number, made in self._made.items() if number in numbers}
        self._set_rows_height(len(keys))
        if keys:
            row = keys.index(focus) if focus in keys else min(old_row, len(keys) - 1)
            # Keep the cursor's ticket where it was on screen, even if rows came in above it;
            # but a list read from its top stays at its top, so arrivals come into sight.
            top = max(0, row - (old_row - old_top))
            if old_top == 0 and row < self.scrollable_content_region.height - 1:
                top = 0
            self.scroll_to(y=top, animate=False, immediate=True)
            self._set_cursor(row)
        else:
            self._set_cursor(0)
        self.refresh()

    def set_marked(self, numbers: Collection[int]) -> None:
        """Show the rows of ``numbers`` (shown now or later) as marked."""
        marked = frozenset(numbers)
        if marked != self._marked:
            for number in marked ^ self._marked:
                self._strips.pop(number, None)
            self._marked = marked
            self.refresh()

    @property
    def marked(self) -> frozenset[int]:
        return self._marked

    def say_when_empty(self, text: Text) -> None:
        """What to say under the header while there are no rows ("No tickets here…").

        Said in the table's own body, not by a widget below it: a list that empties or
        fills then leaves the table its size, and the screen is laid out once (a table that
        shrinks and grows makes its scrollbar ask for a second layout, one frame more).
        """
        if text != self._empty:
            self._empty = text
            if not self._keys:
                self.refresh()

    def _empty_line(self, line: int, width: int, base: Style) -> Strip:
        """Line ``line`` of the empty message, centred, dimmed like a muted cell."""
        made = (self._empty, width, base, self.row_styles.muted)
        if self._empty_strips is None or self._empty_strips[0] != made:
            text = self._empty.copy()
            text.justify = "center"
            text.stylize(self.row_styles.muted)
            console = self.app.console
            lines = console.render_lines(text, console.options.update_width(width), style=base)
            self._empty_strips = (made, [Strip(segments) for segments in lines])
        strips = self._empty_strips[1]
        return strips[line] if 0 <= line < len(strips) else Strip.blank(width, base)

    def _cells_at(self, index: int) -> Cells:
        """The cells of the shown row ``index``: ``row_cells``, reused while nothing shown
        in the row has changed (refresh ticks)."""
        row, on = self._shown[index]
        assert self._now is not None and self._styles is not None  # (set with the rows)
        key = self._made_from(row, on, self._now, self._styles)
        known = self._made.get(row.number)
        if known is not None and known[0] == key:
            return known[1]
        cells = row_cells(row, on, self._now, self._styles, key[1])
        self._made[row.number] = (key, cells)
        return cells

    def _made_from(
        self, row: TicketRow, on: tuple[OnTicket, ...], now: datetime, styles: RowStyles
    ) -> tuple[object, tuple[str, ...]]:
        """What a row's cells are made from: what they show at ``now`` and the columns."""
        return (_shows(row, on, now, styles), tuple(self.column_keys))

    def _set_cursor(self, row: int) -> None:
        self.set_reactive(QueueTable.cursor_row, row)
        self._scroll_cursor_into_view()

    # -- cursor -----------------------------------------------------------------------------

    def move_cursor(self, row: int) -> None:
        if self._keys:
            self.cursor_row = max(0, min(row, len(self._keys) - 1))

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        if self._keys:
            self.post_message(self.Highlighted(self._keys[new]))

    def _scroll_cursor_into_view(self) -> None:
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + self.page_rows:
            self.scroll_to(y=self.cursor_row - self.page_rows + 1, animate=False, immediate=True)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_page_down(self) -> None:
        self.scroll_to(y=round(self.scroll_y) + self.page_rows, animate=False, immediate=True)
        self.move_cursor(self.cursor_row + self.page_rows)

    def action_page_up(self) -> None:
        self.scroll_to(y=round(self.scroll_y) - self.page_rows, animate=False, immediate=True)
        self.move_cursor(self.cursor_row - self.page_rows)

    def action_select(self) -> None:
        if self._keys:
            self.post_message(self.Selected(self._keys[self.cursor_row]))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = 0
            for column, width in self._fitted.columns:
                x += width + self._fitted.padding
                if offset.x < x:
                    if column.sort:
                        self.post_message(self.SortRequested(column.sort))
                    return
            return
        row = round(self.scroll_y) + offset.y - 1
        if 0 <= row < len(self._keys):
            if row == self.cursor_row:
                self.action_select()
            self.move_cursor(row)

    # -- drawing ----------------------------------------------------------------------------

    def _fit_numbers(self, keys: Sequence[int]) -> None:
        """Widen the number column when a longer ticket number comes into the window."""
        digits = len(str(max(keys))) if keys else MIN_DIGITS
        if digits > self._digits:
            self._digits = digits
            self._refit()

    def _refit(self) -> None:
        """The columns for the table's width now; drawn again when they changed.

        On a resize Textual lays the screen out and draws the table at its new size before
        the table hears of it (``on_resize``), so those lines had the old columns: without
        the refresh they stayed until the next key.
        """
        fitted = fit_columns(self.scrollable_content_region.width, self._digits)
        if fitted != self._fitted:
            self._fitted = fitted
            self._strips.clear()
            self.refresh()

    def on_resize(self) -> None:
        self._refit()
        self._set_rows_height(len(self._keys))
        self._scroll_cursor_into_view()

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        """Textual's, but the scrollbar is refreshed only when the table's size changed.

        Every layout of the screen hands a line-API ``ScrollView`` its content region as
        its virtual size, never equal to its rows' (``_set_rows_height``); Textual then took
        the sizes as changed and refreshed the scrollbar after that layout's frame was
        drawn, in a frame of its own. (Textual 8.2.8, pinned.)
        """
        return super()._size_updated(size, self.virtual_size, container_size, layout)

    def _set_rows_height(self, rows: int) -> None:
        """The scrollable size for ``rows`` rows under the header, set without a layout.

        The table's own size does not follow its rows (``height: 1fr``, the scrollbar
        always there), so only the scrollbar's thumb changes, drawn in the same frame as
        the rows. Set as the reactive it is, a new length laid the whole screen out, and the
        scrollbar, resized by that layout, asked for a frame of its own: a key whose list
        changed length took one frame more than one whose list did not.
        """
        size = Size(self.scrollable_content_region.width, rows + 1)
        if size != self.virtual_size:
            self.set_reactive(QueueTable.virtual_size, size)
            if self.show_vertical_scrollbar:
                self.vertical_scrollbar.window_virtual_size = size.height

    def notify_style_update(self) -> None:
        """Styles are read again; the drawn rows are kept unless they look different now.

        Focus moving to or from the table restyles it (its cursor is styled by ``:focus``),
        which happens on every search, filter form and palette: the rows' own look does not
        change then, so redrawing every visible row would be wasted.
        """
        super().notify_style_update()
        self._looks = None
        self._row_styles = None
        self._restyled = True

    @property
    def row_styles(self) -> RowStyles:
        """The cells' styles, from the ``queue-table--<style>`` component classes (themes and
        the app's CSS restyle rows). Under NO_COLOR only their weights: NO_COLOR greys a
        colour by its brightness, which makes the theme's red almost as dark as the
        background."""
        if self._row_styles is None:

            def part(name: str) -> Style:
                style = self.get_component_rich_style(f"queue-table--{name}", partial=True)
                return style.without_color if self.app.no_color else style

            self._row_styles = RowStyles(
                urgent=part("urgent"),
                high=part("high"),
                new=part("new"),
                late=part("late"),
                replying=part("replying"),
                viewing=part("viewing"),
                muted=part("muted"),
                due_ok=part("due-ok"),
                due_warning=part("due-warning"),
                warn_percent=self.warn_percent,
            )
        return self._row_styles

    def watch_has_focus(self, has_focus: bool) -> None:
        """Restyled as the focus comes and goes (``:focus``), but not as the table is
        being removed (the app ending, its screen closed): Textual takes the focus from a
        widget it removes, and restyling it then (the table and its scroll bars) was work
        for a frame never drawn."""
        if not self._pruning:
            super().watch_has_focus(has_focus)

    def on_focus(self) -> None:
        self._looks = None
        self.refresh()

    def on_blur(self) -> None:
        self._looks = None
        self.refresh()

    @property
    def looks(self) -> tuple[Style, Style, Style]:
        if self._looks is None:
            self._looks = (
                self.rich_style,
                self.get_component_rich_style("queue-table--header"),
                self.get_component_rich_style("queue-table--cursor"),
            )
            marked = self.get_component_rich_style("queue-table--marked", partial=True)
            self._marked_look = marked.without_color if self.app.no_color else marked
        return self._looks

    def _marked_line(self, segments: list[Segment], *, cursor: bool) -> list[Segment]:
        """A marked row's segments: underlined, on the marked background unless it is the
        cursor's row (the cursor's background says where it is; the underline, marked)."""
        self.looks  # noqa: B018 (reads the marked style with the others)
        look = self._marked_look
        if cursor:
            look = Style(underline=look.underline, bold=look.bold)
        return list(Segment.apply_style(segments, post_style=look))

    def _line(self, cells: Mapping[str, Text]) -> list[Segment]:
        """The row's cells fitted to their columns, as segments.

        Cells of one style each (nearly all) are fitted as strings and made into the very
        segments Rich's ``Text.render`` gives for the joined line (``_rich_line``, which
        cells with spans of their own, the presence marks, still take): building, copying,
        truncating and rendering ``Text`` was most of a new row's cost.
        """
        fitted = self._fitted
        wide = fitted.padding == 2
        segments: list[Segment] = []
        unstyled: list[str] = []
        for index, (column, width) in enumerate(fitted.columns):
            cell = cells[column.key]
            style = cell.style
            if cell.spans or (isinstance(style, str) and style):
                return self._rich_line(cells)
            if wide or index:
                unstyled.append(" ")
            text = cell.plain
            length = cell_len(text)
            if length > width:
                text = set_cell_size(text, width - 1) + "…"
            elif length < width:
                text += " " * (width - length)
            if isinstance(style, Style) and style:
                if unstyled:
                    segments.append(Segment("".join(unstyled), NULL_STYLE))
                    unstyled.clear()
                segments.append(Segment(text, style))
            else:
                unstyled.append(text)
            if wide:
                unstyled.append(" ")
        if not segments:
            return [Segment("".join(unstyled))]
        if unstyled:
            segments.append(Segment("".join(unstyled), NULL_STYLE))
        return segments

    def _rich_line(self, cells: Mapping[str, Text]) -> list[Segment]:
        line = Text(no_wrap=True, end="")
        wide = self._fitted.padding == 2
        for index, (column, width) in enumerate(self._fitted.columns):
            cell = cells[column.key].copy()
            cell.truncate(width, overflow="ellipsis", pad=True)
            if wide or index:
                line.append(" ")
            line.append_text(cell)
            if wide:
                line.append(" ")
        return list(line.render(self.app.console))

    def _header(self, width: int) -> Strip:
        sort, descending = self._sort
        arrow = " ▼" if descending else " ▲"
        labels = {
            column.key: _label(column, width, arrow if column.sort == sort else "")
            for column, width in self._fitted.columns
        }
        style = self.looks[1]
        return Strip(self._line(labels)).crop_extend(0, width, style).apply_style(style)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base, _, cursor = self.looks
        if y == 0:
            return self._header(width)
        index = round(self.scroll_y) + y - 1
        if not self._keys and self._empty:
            return self._empty_line(y - 2, width, base)  # a blank line under the header
        if not 0 <= index < len(self._keys):
            return Strip.blank(width, base)
        if index == self.cursor_row:
            # The cursor's background and weight over the cells' own colours (priority, markers).
            over = Style(bgcolor=cursor.bgcolor, bold=cursor.bold)
            under = Style(color=cursor.color)
            segments = list(Segment.apply_style(self._line(self._cells_at(index)), under, over))
            if self._keys[index] in self._marked:
                segments = self._marked_line(segments, cursor=True)
            return Strip(segments).crop_extend(0, width, cursor)
        if self._restyled:
            self._restyled = False
            look = (base, self.row_styles)
            if look != self._strips_look:
                self._strips.clear()
                self._strips_look = look
        key = self._keys[index]
        strip = self._strips.get(key)
        if strip is None:
            strip = Strip(self._line(self._cells_at(index))).crop_extend(0, width, base)
            strip = strip.apply_style(base)
            if key in self._marked:
                strip = Strip(self._marked_line(list(strip), cursor=False))
            self._strips[key] = strip
        return strip
