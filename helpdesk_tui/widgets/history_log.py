"""A ticket's history: every event, newest first, as ``desk.history.describe`` words it."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from helpdesk_tui import timefmt
from helpdesk_tui.desk.ticket_view import TicketView
from helpdesk_tui.safe_text import plain

WHEN_CELLS = 12
"""The time column ("59 min ago", "12 Mar 2024" and a space); each line's text starts after it."""


def render_history(view: TicketView, now: datetime) -> RenderableType:
    """The heading, then one row per event: its time, and its text in a column of its own,
    so that a long line wraps under its text (a hanging indent), not under the time."""
    lines = Table.grid(expand=True)
    lines.add_column(width=WHEN_CELLS, no_wrap=True, style="dim")
    lines.add_column(ratio=1, overflow="fold")  # (a long word folds; nothing is cut off)
    for line in reversed(view.history):
        lines.add_row(Text(timefmt.relative(line.at, now)), plain(line.text))
    return Group(Text("History (h returns to the thread)", "bold"), lines)


class HistoryLog(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    HistoryLog { height: 1fr; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="history-lines")

    def show(self, view: TicketView, now: datetime) -> None:
        self.query_one("#history-lines", Static).update(render_history(view, now))
