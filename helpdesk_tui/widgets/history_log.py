"""A ticket's history: every event, newest first, as ``desk.history.describe`` words it."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from helpdesk_tui import timefmt
from helpdesk_tui.desk.ticket_view import TicketView
from helpdesk_tui.safe_text import plain


def render_history(view: TicketView, now: datetime) -> Text:
    text = Text()
    text.append("History (h returns to the thread)\n", "bold")
    for line in reversed(view.history):
        text.append(f"{timefmt.relative(line.at, now):<12}", "dim")
        text.append_text(plain(line.text))
        text.append("\n")
    text.rstrip()
    return text


class HistoryLog(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    HistoryLog { height: 1fr; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="history-lines")

    def show(self, view: TicketView, now: datetime) -> None:
        self.query_one("#history-lines", Static).update(render_history(view, now))
