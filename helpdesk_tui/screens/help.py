"""The key help screen (? or F1): every key of the screen it was opened from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from helpdesk_tui.widgets.key_footer import KeyFooter


@dataclass(frozen=True)
class KeyHelp:
    keys: str
    description: str
    binding_id: str


class KeyTable(DataTable[Text]):
    """The list of keys; Home and End go to its first and last row (a stock table's go to
    its first and last column, which here are always in sight)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home,g", "first_row", "First", show=False, id="help.first"),
        Binding("end,G", "last_row", "Last", show=False, id="help.last"),
    ]

    def action_first_row(self) -> None:
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=self.row_count - 1)


class HelpScreen(ModalScreen[None]):
    """A list of keys, what they do, and the binding id to remap them with in config."""

    CSS_PATH = "help.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,f1,q", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, title: str, keys: list[KeyHelp]) -> None:
        super().__init__()
        self._title = title
        self._keys = keys

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Keys — {self._title}"), id="help-title")
            yield KeyTable(cursor_type="row", id="help-keys")
            yield Static(
                Text('Remap in config.toml: [ui.keymap] "binding id" = "keys"'),
                id="help-hint",
            )
        yield KeyFooter(show_command_palette=False)  # (its keys, not the screen's below)

    def on_mount(self) -> None:
        table = self.query_one(KeyTable)
        table.add_column("Key", key="key")
        table.add_column("Does", key="does")
        table.add_column("Binding id", key="id")
        for item in self._keys:
            table.add_row(Text(item.keys), Text(item.description), Text(item.binding_id))
        table.focus()
