"""A small form over the desk settings (a new SLA policy, a policy's targets, a calendar, a
team's tier): one compact line per field, so every field reads at 80x24.

Enter saves through ``save``, the desk's one writer for that setting (the CLI's), run in a
thread; its answer (what the CLI would print) is what the form dismisses with. A value the
desk refuses — malformed, unknown, or a setting another admin changed since the form read
it — is said on the form's error line in one line, and the form stays open with what was
typed. Escape leaves without writing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static
from textual.worker import Worker, WorkerState

from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.messages import WorkerFailed
from helpdesk_tui.safe_text import clean, plain
from helpdesk_tui.screens.base import DeskModal
from helpdesk_tui.widgets.key_footer import KeyFooter


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    value: str = ""
    placeholder: str = ""


Save = Callable[[dict[str, str]], str]
"""The fields' values by key → the line to say once saved; raises ``DeskError``."""


class SettingsForm(DeskModal[str | None]):
    """Dismisses with the saved change's line, or None (Escape)."""

    CSS_PATH = "settings_form.tcss"
    HELP_TITLE = "Desk settings form"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "save", "Save", id="form.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    class Refused(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    class Saved(Message):
        def __init__(self, said: str) -> None:
            super().__init__()
            self.said = said

    def __init__(
        self,
        title: Text,
        fields: Sequence[FormField],
        save: Save,
        *,
        note: Text | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.title_text = title
        self.fields = tuple(fields)
        self._save = save
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, id="form-title")
            with Grid():
                for field in self.fields:
                    yield Label(field.label)
                    yield Input(
                        field.value,
                        placeholder=field.placeholder,
                        id=f"form-{field.key}",
                        compact=True,
                    )
            if self.note is not None:
                yield Static(self.note, id="form-note")
            yield Static(id="form-error")
        yield KeyFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def values(self) -> dict[str, str]:
        return {f.key: self.query_one(f"#form-{f.key}", Input).value for f in self.fields}

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        self.query_one("#form-error", Static).update("")
        self.save(self.values())

    @work(thread=True, exclusive=True, group="form-save", exit_on_error=False)
    def save(self, values: dict[str, str]) -> None:
        try:
            said = self._save(values)
        except DeskError as error:
            self.post_message(self.Refused(str(error)))
            return
        self.post_message(self.Saved(said))

    def on_settings_form_refused(self, message: Refused) -> None:
        error = self.query_one("#form-error", Static)
        error.update(Text(clean(message.reason, single_line=True)))

    def on_settings_form_saved(self, message: Saved) -> None:
        self.dismiss(message.said)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.post_message(WorkerFailed(event.worker))


def form_title(head: str, name: str = "") -> Text:
    """``head`` bold, then ``name`` (from the desk: plain, cleaned)."""
    title = Text(head, "bold")
    if name:
        title.append_text(plain(name, "bold"))
    return title
