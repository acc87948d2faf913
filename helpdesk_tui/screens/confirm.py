"""A small question with a key per answer: "Discard this draft?", "Send anyway?".

The answers are keys shown in the dialog and in its footer; Escape is always the safe
answer. Nothing is chosen by Enter unless a choice says so, so a stray key never confirms a
risky action.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from helpdesk_tui.screens.base import DeskModal
from helpdesk_tui.widgets.key_footer import KeyFooter


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    value: str


class ChoiceScreen(DeskModal[str]):
    """Ask ``question`` (with optional ``details``); dismisses with the chosen value.

    Escape dismisses with ``cancel`` (the safe answer).
    """

    CSS_PATH = "confirm.tcss"
    DEFAULT_CLASSES = "overlay"

    def __init__(
        self,
        question: Text,
        choices: Sequence[Choice],
        *,
        details: Text | None = None,
        cancel: str = "cancel",
        cancel_label: str = "Cancel",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.question = question
        self.details = details
        self.choices = list(choices)
        self.cancel = cancel
        self.cancel_label = cancel_label
        # Each answer a key of this dialog (shown in its footer; the screen below's keys do
        # nothing here), Escape the last.
        for choice in self.choices:
            self._bindings.bind(choice.key, f"choose({choice.value!r})", choice.label)
        self._bindings.bind("escape", f"choose({cancel!r})", cancel_label)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question, id="question")
            if self.details is not None:
                with VerticalScroll(id="details"):
                    yield Static(self.details)
            yield Static(self._choice_line(), id="choices")
        yield KeyFooter(show_command_palette=False)

    def on_mount(self) -> None:
        # Over another see-through screen (the composer) the first frame can come out
        # without this dialog; paint once more when it has been laid out.
        self.call_after_refresh(self.refresh)

    def _choice_line(self) -> Text:
        line = Text()
        for choice in self.choices:
            line.append(f" {choice.key} ", "reverse bold")
            line.append(f" {choice.label}   ")
        line.append(" esc ", "reverse")
        line.append(f" {self.cancel_label}")
        return line

    def action_choose(self, value: str) -> None:
        self.dismiss(value)


def confirm(
    question: str | Text, *, yes: str = "Yes", no: str = "Cancel", key: str = "y"
) -> ChoiceScreen:
    """A yes/no question; dismisses with ``"yes"`` or ``"cancel"``."""
    text = question if isinstance(question, Text) else Text(question)
    return ChoiceScreen(text, [Choice(key, yes, "yes")], cancel_label=no)
