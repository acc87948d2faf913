"""A ticket's history: every event, newest first, as ``desk.history.describe`` words it.

It opens at the newest changes and mounts older ones as the agent scrolls down (or End:
the oldest), so a ticket with thousands of changes opens as quickly as a new one
(``Windowed``).
"""

from __future__ import annotations

from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from helpdesk_tui import timefmt
from helpdesk_tui.desk.ticket_view import HistoryLine, TicketView
from helpdesk_tui.safe_text import plain
from helpdesk_tui.widgets.windowed import Windowed

WHEN_CELLS = 12
"""The time column ("59 min ago", "12 Mar 2024" and a space); each line's text starts after it."""
HEADING = "History (h returns to the thread)"


def render_line(line: HistoryLine, now: datetime) -> Table:
    """One event: its time, and its text in a column of its own, so that a long line wraps
    under its text (a hanging indent), not under the time."""
    row = Table.grid(expand=True)
    row.add_column(width=WHEN_CELLS, no_wrap=True, style="dim")
    row.add_column(ratio=1, overflow="fold")  # (a long word folds; nothing is cut off)
    row.add_row(Text(timefmt.relative(line.at, now)), plain(line.text))
    return row


class HistoryLog(Windowed[HistoryLine]):
    FOLLOW_END = False
    FIRST = 40
    STEP = 60
    DEFAULT_CSS = """
    HistoryLog { height: 1fr; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._now: datetime | None = None
        self._waiting: tuple[list[HistoryLine], int] | None = None
        """The lines to show once the history is shown (h): none is drawn while hidden."""

    def on_mount(self) -> None:
        self.mount_all([Static(Text(HEADING, "bold"), id="history-heading"), *self.compose_edges()])

    def make_view(self, index: int) -> Static:
        assert self._now is not None
        return Static(render_line(self.items[index], self._now))

    def shows(self, index: int) -> str:
        """Besides the change: when it was, as the clock words it now."""
        assert self._now is not None
        return timefmt.relative(self.items[index].at, self._now)

    def beyond(self, count: int, before: bool) -> str:
        changes = f"{count:,} {'newer' if before else 'older'} change{'s' * (count != 1)}"
        keys = "↑ or Home shows them" if before else "↓ or End shows them"
        return f"… {changes}: {keys}"

    def show(self, view: TicketView, now: datetime) -> None:
        self._now = now
        self._waiting = (view.history[::-1], view.older_history)
        if self.display:
            self._show_waiting()

    def clear(self) -> None:
        self._waiting = None
        super().clear()

    def reveal(self) -> None:
        """The history is shown (h): draw the lines it was given while hidden."""
        self._show_waiting()

    def _show_waiting(self) -> None:
        if self._waiting is not None:
            lines, older = self._waiting
            self._waiting = None
            self.set_items(lines, unread=older)
