"""The files of a draft: add one by path (completed from the file system), remove one.

Each file is checked when added (a regular file, within ``limits.max_attachment_bytes``, and
the draft's files together within ``limits.max_attachments_bytes``) so a refusal shows here,
at once, rather than at send. The files are read only when the draft is sent.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from helpdesk_tui.desk.attachments import MAX_ATTACHED_FILES, file_to_attach
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.limits import human_bytes
from helpdesk_tui.limits_settings import Limits
from helpdesk_tui.safe_text import plain
from helpdesk_tui.screens.base import DeskModal
from helpdesk_tui.widgets.attachment_list import AttachedFile, PathSuggester
from helpdesk_tui.widgets.key_footer import KeyFooter


class PathInput(Input):
    """The path field, its keys in the footer: Enter adds the file, → takes the completion
    (Input's own keys, which the footer did not show: it showed "esc Done" alone)."""

    BINDINGS = [
        Binding("enter", "submit", "Add file", id="attach.add"),
        Binding("right", "cursor_right", "Complete", id="attach.complete"),
        # (the field's own ↓ scrolls, and so hid the screen's from the footer)
        Binding("down", "screen.to_list", "Files", id="attach.to-list"),
    ]


class AttachScreen(DeskModal[tuple[AttachedFile, ...]]):
    """Dismisses with the draft's files as they are when the agent is done."""

    CSS_PATH = ["pickers.tcss", "attach.tcss"]
    DEFAULT_CLASSES = "overlay"

    BINDINGS = [
        Binding("escape", "done", "Done", id="attach.done"),
        Binding("delete", "remove", "Remove file", id="attach.remove"),
        Binding("down", "to_list", "Files", show=False, id="attach.list"),
    ]

    def __init__(self, files: tuple[AttachedFile, ...], limits: Limits) -> None:
        super().__init__()
        self.files = list(files)
        self.limits = limits

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(Text("Files on this draft"), id="picker-title")
            yield OptionList(id="attach-files")
            yield PathInput(
                placeholder="Path of a file to attach (→ completes)",
                suggester=PathSuggester(cwd=Path.cwd()),
                id="attach-path",
            )
            yield Static("", id="attach-error", classes="-empty")
            yield Static(Text("Enter adds · ↓ then Delete removes · Esc done"), id="picker-hint")
        yield KeyFooter(show_command_palette=False)  # (its keys, not the composer's)

    def on_mount(self) -> None:
        self._show()
        self.query_one(Input).focus()

    def _show(self) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        for index, item in enumerate(self.files):
            label = plain(item.name)
            label.append(f"  {human_bytes(item.size)}", "dim")
            options.add_option(Option(label, id=str(index)))
        options.display = bool(self.files)
        self.refresh_bindings()  # (↓ Files while there are files)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "to_list":
            return bool(self.files)  # (no file: nothing to go down to, no key shown)
        return True

    def _error(self, message: str) -> None:
        error = self.query_one("#attach-error", Static)
        error.update(plain(message, single_line=False))
        error.set_class(not message, "-empty")

    @on(Input.Submitted)
    def _add(self, event: Input.Submitted) -> None:
        typed = event.value.strip()
        if not typed:
            self.action_done()
            return
        path = Path(typed).expanduser()
        try:
            if len(self.files) >= MAX_ATTACHED_FILES:
                raise InvalidValue(f"at most {MAX_ATTACHED_FILES} files go on one message")
            name, size = file_to_attach(path, self.limits)
            total = size + sum(f.size for f in self.files)
            if total > self.limits.max_attachments_bytes:
                raise InvalidValue(
                    f"with it the files come to {human_bytes(total)}, over the "
                    f"{human_bytes(self.limits.max_attachments_bytes)} limit for one message"
                )
        except InvalidValue as error:
            self._error(str(error))
            return
        self.files.append(AttachedFile(path, name, size))
        event.input.value = ""
        self._error("")
        self._show()

    def action_to_list(self) -> None:
        """From the path input down into the list (the list moves on by itself after)."""
        options = self.query_one(OptionList)
        if self.files and not options.has_focus:
            options.focus()
            options.highlighted = 0

    def action_remove(self) -> None:
        options = self.query_one(OptionList)
        if options.has_focus and options.highlighted is not None:
            del self.files[options.highlighted]
            self._show()
            if self.files:
                options.highlighted = min(options.highlighted or 0, len(self.files) - 1)
            else:
                self.query_one(Input).focus()

    def action_done(self) -> None:
        self.dismiss(tuple(self.files))
