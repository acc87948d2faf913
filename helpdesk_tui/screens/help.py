"""The key help screen (? or F1): every key of the screen it was opened from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from helpdesk_tui.widgets.key_footer import KeyFooter


@dataclass(frozen=True)
class KeyHelp:
    keys: str
    description: str
    binding_id: str


def help_title(screen: Screen[Any]) -> str:
    """What the key help of ``screen`` is titled: its ``HELP_TITLE``, else a picker's own
    title line ("Assign #12 to"), else its class name in words ("QueueFilterScreen":
    "Queue filter"), never a class name ("AccessEnded")."""
    title = getattr(screen, "HELP_TITLE", "") or getattr(screen, "title_text", "")
    if isinstance(title, str) and title:
        return title
    name = type(screen).__name__.removesuffix("Screen")
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name)
    return " ".join([words[0], *(word.lower() for word in words[1:])]) if words else "App"


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
