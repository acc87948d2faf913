"""The ticket screen: one ticket's thread, fields, history and every action on it."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class TicketScreen(Screen[None]):
    """One ticket, opened from the queue (Enter) or the command palette."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="ticket.back")]

    def __init__(self, number: int) -> None:
        super().__init__()
        self.number = number

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"#{self.number}", id="ticket-placeholder")
        yield Footer()

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """(title, help, callback) for every ticket action, for the app's command palette."""
        return []
