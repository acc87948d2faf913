"""The side panel's values whole (F on a ticket): a long requester name, organization,
category or team is cut to its line in the panel, and the panel's tooltip, which had them
whole, is out of a keyboard's reach."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from helpdesk_tui.screens.base import DeskModal
from helpdesk_tui.widgets.key_footer import KeyFooter


class ValuesScreen(DeskModal[None]):
    """Each value under its label, wrapped, in a box that scrolls (↑ ↓ PageUp PageDown)."""

    HELP_TITLE = "Values whole"
    CSS_PATH = "values.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,F", "dismiss", "Close", id="values.close"),
    ]

    def __init__(self, title: Text, values: list[tuple[str, Text]]) -> None:
        super().__init__()
        self._title = title
        self._values = values

    def compose(self) -> ComposeResult:
        body = Text()
        for label, value in self._values:
            if body:
                body.append("\n\n")
            body.append(f"{label}\n", "dim")
            body.append_text(value)
        with Vertical():
            yield Static(self._title, id="values-title")
            with VerticalScroll(id="values-body"):
                yield Static(body)
        yield KeyFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#values-body").focus()
