"""The ticket's title line and who else is on it right now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from helpdesk_tui.desk.kinds import Activity
from helpdesk_tui.desk.presence import OnTicket
from helpdesk_tui.desk.queries import TicketRow
from helpdesk_tui.safe_text import clamped, plain
from helpdesk_tui.widgets.outage import outage_text

TITLE_LINES = 2
"""The most lines a subject takes above the thread (a subject may be 500 characters)."""


def presence_text(others: Sequence[OnTicket]) -> Text:
    """``✎ alice is replying · bob is viewing``; empty when nobody else is here."""
    text = Text()
    for index, entry in enumerate(others):
        if index:
            text.append(" · ")
        replying = entry.activity == Activity.REPLYING
        text.append("✎ " if replying else "◉ ", "bold" if replying else "")
        text.append_text(plain(entry.name or entry.login, "bold" if replying else ""))
        text.append(" is replying" if replying else " is viewing")
    return text


class TicketHeader(Vertical):
    DEFAULT_CSS = """
    TicketHeader { height: auto; padding: 0 1; background: $boost; }
    TicketHeader #ticket-title { text-style: bold; }
    TicketHeader #ticket-presence { color: $text-muted; }
    TicketHeader #ticket-presence.-replying { color: $warning; }
    TicketHeader #ticket-presence.-outage { color: $warning; }
    """

    _title: Text | None = None
    """The title as last shown, unclamped: clamped again at each resize."""

    def compose(self) -> ComposeResult:
        yield Static(id="ticket-title")
        yield Static(id="ticket-presence")

    def show_ticket(self, number: int, row: TicketRow | None) -> None:
        title = Text(f"#{number} ")
        if row is not None:
            title.append_text(plain(row.subject))
        else:
            title.append("loading…", "dim")
        self._show_title(title)

    def show_problem(self, number: int, problem: str) -> None:
        """The ticket could not be loaded: say so, instead of "loading…" for good."""
        title = Text(f"#{number} ")
        title.append_text(plain(problem, "bold"))
        self._show_title(title)

    def _show_title(self, title: Text) -> None:
        self._title = title
        # (Before its first layout the header is as wide as the screen, less its padding.)
        width = self.content_region.width or self.app.size.width - 2
        self.query_one("#ticket-title", Static).update(clamped(title, width, TITLE_LINES))

    def on_resize(self) -> None:
        if self._title is not None:
            self._show_title(self._title)

    def show_presence(self, others: Sequence[OnTicket]) -> None:
        line = self.query_one("#ticket-presence", Static)
        line.update(presence_text(others) if others else Text("No one else is here", "dim"))
        line.set_class(any(e.activity == Activity.REPLYING for e in others), "-replying")
        line.remove_class("-outage")

    def show_outage(self, since: datetime) -> None:
        """The desk has not answered since ``since``: in the place of who else is here,
        which is not known meanwhile (the next answered beat says it again)."""
        line = self.query_one("#ticket-presence", Static)
        line.update(outage_text(since))
        line.remove_class("-replying")
        line.add_class("-outage")
