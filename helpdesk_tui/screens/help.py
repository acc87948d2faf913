"""The key help screen (? or F1): every key of the screen it was opened from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Static

from helpdesk_tui.screens.base import DeskModal
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


KEY_WIDTH = 16
"""The widest the Key column gets; a longer list of keys wraps."""
DOES_WIDTH = 14
"""The narrowest the Does column gets; what does not fit wraps onto more lines."""


def column_widths(keys: list[KeyHelp], width: int) -> tuple[int, int, int]:
    """Key, Does and Binding id widths that fit ``width`` cells (each column's padding of
    one cell a side left out): the keys and ids whole (the key capped at
    :data:`KEY_WIDTH`), what the keys do in the rest, wrapped where it is longer."""
    key = min(KEY_WIDTH, max([len("Key"), *(len(k.keys) for k in keys)]))
    ident = max([len("Binding id"), *(len(k.binding_id) for k in keys)])
    does = max([len("Does"), *(len(k.description) for k in keys)])
    room = width - 6  # three columns, one cell of padding a side each
    return key, max(DOES_WIDTH, min(does, room - key - ident)), ident


class KeyTable(DataTable[Text]):
    """The list of keys; Home and End go to its first and last row (a stock table's go to
    its first and last column, which here are always in sight).

    Its columns fit its width (``column_widths``), set again when it is resized: at 80
    columns a long "Does" wraps instead of pushing "Binding id" out of the box."""

    def __init__(self, keys: list[KeyHelp], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._keys = keys
        self._fitted = -1

    def on_resize(self, event: events.Resize) -> None:
        width = event.size.width - self.styles.scrollbar_size_vertical
        if width == self._fitted:
            return
        self._fitted = width
        row = self.cursor_row
        self.clear(columns=True)
        key, does, ident = column_widths(self._keys, width)
        self.add_column("Key", key="key", width=key)
        self.add_column("Does", key="does", width=does)
        self.add_column("Binding id", key="id", width=ident)
        for item in self._keys:
            cells = (Text(item.keys), Text(item.description), Text(item.binding_id))
            self.add_row(*cells, height=None)
        if self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1))

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home,g", "first_row", "First", show=False, id="help.first"),
        Binding("end,G", "last_row", "Last", show=False, id="help.last"),
    ]

    def action_first_row(self) -> None:
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=self.row_count - 1)


class HelpScreen(DeskModal[None]):
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
            yield KeyTable(self._keys, cursor_type="row", id="help-keys")
            yield Static(
                Text('Remap in config.toml: [ui.keymap] "binding id" = "keys"'),
                id="help-hint",
            )
        yield KeyFooter(show_command_palette=False)  # (its keys, not the screen's below)

    def on_mount(self) -> None:
        self.query_one(KeyTable).focus()
