"""The queue's table: a window of ticket rows, updated in place by ticket number.

It shows only the rows it is given (the screen keeps a window of a few hundred around the
cursor), keeps the cursor on the same ticket when rows move, and fits its columns to the
terminal width by dropping the least needed ones first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from helpdesk_tui import timefmt
from helpdesk_tui.desk.presence import OnTicket
from helpdesk_tui.desk.queries import TicketRow
from helpdesk_tui.safe_text import plain
from helpdesk_tui.widgets.presence_marker import presence_text


@dataclass(frozen=True)
class QueueColumn:
    key: str
    label: str
    width: int
    """Cells wide; 0 for the subject, which takes what the others leave."""
    sort: str | None
    """The ``desk.queue`` sort key this column sorts by."""


COLUMNS: tuple[QueueColumn, ...] = (
    QueueColumn("number", "#", 7, "number"),
    QueueColumn("subject", "Subject", 0, "subject"),
    QueueColumn("requester", "Requester", 14, "requester"),
    QueueColumn("status", "Status", 11, "status"),
    QueueColumn("priority", "Prio", 6, "priority"),
    QueueColumn("assignee", "Assignee", 12, "assignee"),
    QueueColumn("updated", "Updated", 10, "updated"),
    QueueColumn("sla", "SLA due", 9, "sla"),
    QueueColumn("on", "On it", 8, None),
)
DROP_ORDER = ("requester", "sla", "assignee", "updated", "priority")
"""Columns given up, in this order, when the terminal is too narrow for all of them."""
MIN_SUBJECT = 20
SCROLLBAR = 2
PADDING = 2  # one cell each side (DataTable's cell_padding)

Cells = dict[str, Text]


def fit_columns(width: int) -> list[tuple[QueueColumn, int]]:
    """The columns that fit ``width`` cells, each with its width."""
    shown = list(COLUMNS)
    for key in (None, *DROP_ORDER):
        if key is not None:
            shown = [c for c in shown if c.key != key]
        fixed = sum(c.width + PADDING for c in shown if c.width) + PADDING + SCROLLBAR
        if width - fixed >= MIN_SUBJECT:
            break
    subject = max(MIN_SUBJECT, width - fixed)
    return [(c, c.width or subject) for c in shown]


@dataclass(frozen=True)
class RowStyles:
    """Styles for cells, made from the theme's colours (so themes and NO_COLOR work)."""

    urgent: Style
    high: Style
    new: Style
    late: Style
    replying: Style
    viewing: Style
    muted: Style

    @classmethod
    def from_theme(cls, variables: Mapping[str, str]) -> RowStyles:
        def colour(name: str, **attrs: bool) -> Style:
            value = variables.get(name)
            return Style(color=value, **attrs) if value else Style(**attrs)

        return cls(
            urgent=colour("error", bold=True),
            high=colour("warning"),
            new=Style(bold=True),
            late=colour("error", bold=True),
            replying=colour("warning", bold=True),
            viewing=colour("accent"),
            muted=Style(dim=True),
        )


def row_cells(
    row: TicketRow,
    on: Sequence[OnTicket],
    now: datetime,
    styles: RowStyles,
    widths: Mapping[str, int],
) -> Cells:
    """The cells of one ticket row; every outside string goes through ``plain``."""
    due = row.response_due_at or row.resolution_due_at
    priority_style = {"urgent": styles.urgent, "high": styles.high}.get(row.priority, "")
    assignee = plain(row.assignee) if row.assignee else plain(row.team or "", style=styles.muted)
    cells: Cells = {
        "number": Text(f"#{row.number}", justify="right"),
        "subject": plain(row.subject, style=styles.new if row.status == "new" else ""),
        "requester": plain(row.requester_name or row.requester_email or ""),
        "status": Text(
            row.status.replace("_", " "), style=styles.new if row.status == "new" else ""
        ),
        "priority": Text(row.priority, style=priority_style),
        "assignee": assignee,
        "updated": Text(timefmt.relative(row.updated_at, now)),
        "sla": Text(
            timefmt.due(due, now), style=styles.late if timefmt.is_overdue(due, now) else ""
        ),
        "on": presence_text(on, replying=styles.replying, viewing=styles.viewing),
    }
    for key, width in widths.items():
        cells[key].truncate(width, overflow="ellipsis")
    return {key: cells[key] for key in widths}


class QueueTable(DataTable[Text]):
    """Rows keyed by ticket number; ``show`` replaces the window, keeping the cursor's ticket."""

    DEFAULT_CSS = """
    QueueTable {
        height: 1fr;
        overflow-x: hidden;
    }
    """
    inherit_bindings = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open", id="queue.open"),
        Binding("down,j", "cursor_down", "Down", show=False, id="queue.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="queue.up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="queue.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="queue.page_up"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id, cursor_type="row", zebra_stripes=False, cursor_foreground_priority="renderable"
        )
        self._keys: list[str] = []
        self._shown: list[Cells] = []
        self._widths: dict[str, int] = {}
        self._sort: tuple[str, bool] = ("", True)

    @property
    def numbers(self) -> list[int]:
        return [int(key) for key in self._keys]

    @property
    def current_number(self) -> int | None:
        if not self._keys:
            return None
        return int(self._keys[min(self.cursor_row, len(self._keys) - 1)])

    def layout_columns(self, width: int, sort: str, descending: bool) -> bool:
        """Fit the columns to ``width`` and mark the sort column; True if they changed."""
        widths = {column.key: w for column, w in fit_columns(width)}
        if widths == self._widths and self._sort == (sort, descending):
            return False
        self._widths, self._sort = widths, (sort, descending)
        self.clear(columns=True)
        self._keys, self._shown = [], []
        arrow = " ▼" if descending else " ▲"
        for column in COLUMNS:
            if column.key in widths:
                label = column.label + (arrow if column.sort == sort else "")
                self.add_column(Text(label, no_wrap=True), width=widths[column.key], key=column.key)
        return True

    def show(
        self,
        rows: Sequence[TicketRow],
        presence: Mapping[int, Sequence[OnTicket]],
        now: datetime,
        styles: RowStyles,
        *,
        focus: int | None,
    ) -> None:
        """Show exactly ``rows``; the cursor goes to ticket ``focus`` if it is among them."""
        keys = [str(row.number) for row in rows]
        cells = [
            row_cells(row, presence.get(row.number, ()), now, styles, self._widths) for row in rows
        ]
        with self.app.batch_update():
            if keys[: len(self._keys)] == self._keys and self._keys:
                self._update_in_place(keys, cells)
            else:
                self._rebuild(keys, cells, focus)
        self._keys, self._shown = keys, cells

    def _update_in_place(self, keys: list[str], cells: list[Cells]) -> None:
        for key, new, old in zip(keys, cells, self._shown, strict=False):
            for column, value in new.items():
                if value != old[column]:
                    self.update_cell(key, column, value)
        for key, new in zip(keys[len(self._shown) :], cells[len(self._shown) :], strict=True):
            self.add_row(*new.values(), key=key)

    def _rebuild(self, keys: list[str], cells: list[Cells], focus: int | None) -> None:
        old_row = self.cursor_row
        from_top = old_row - round(self.scroll_y)
        self.clear()
        for key, new in zip(keys, cells, strict=True):
            self.add_row(*new.values(), key=key)
        if not keys:
            return
        target = str(focus) if focus is not None else None
        row = keys.index(target) if target in keys else min(old_row, len(keys) - 1)
        self.move_cursor(row=row, scroll=False)
        scroll_y = max(0, row - max(0, from_top))
        self.call_after_refresh(self.scroll_to, y=scroll_y, animate=False, immediate=True)
