"""One held message (quarantine, spam or machine mail): why it is held, and its source as
plain text.

The source is a stranger's bytes: decoded with replacement, cleaned of escape sequences and
control characters, and shown in a ``Text``, so nothing in it is markup or reaches the
terminal raw. Very long sources are cut (``helpdesk mail quarantine show ID --raw`` writes
the whole). Dismisses with ``"retry"`` or ``"release"`` when the agent asks for that, and
the mail screen does it.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from helpdesk_tui.desk.mail_holding_service import HeldMachine, HeldQuarantine, HeldSpam
from helpdesk_tui.safe_text import clean, plain
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.timefmt import stamp
from helpdesk_tui.widgets.desk_header import DeskHeader
from helpdesk_tui.widgets.key_footer import KeyFooter

HeldKind = Literal["quarantine", "spam", "machine"]
Held = HeldQuarantine | HeldSpam | HeldMachine
SHOWN_BYTES = 64 * 1024
"""Of a message's source; the rest is left out with a note."""


MACHINE_KINDS = {
    "bounce": "bounce",
    "receipt": "read receipt",
    "report": "feedback report",
    "auto_reply": "auto-reply",
    "own_address": "from our own address",
}
"""How each kind of machine mail is named on screen."""


def _fact(text: Text, label: str, value: str | None) -> None:
    text.append(f"{label:<10}", "bold")
    text.append_text(plain(value or "?"))
    text.append("\n")


def held_facts(entry: Held) -> Text:
    """Reason, sender, subject, mailbox and times of a held message."""
    text = Text()
    if isinstance(entry, HeldQuarantine):
        _fact(text, "Reason", entry.reason)
        _fact(text, "From", entry.from_hint)
        _fact(text, "Subject", entry.subject_hint)
        _fact(text, "Mailbox", entry.mailbox)
        tries = f"tried {entry.attempts} time{'s' * (entry.attempts != 1)}"
        _fact(text, "Received", f"{stamp(entry.created_at)} · {tries}")
        if entry.resolved_at is not None:
            _fact(text, "Resolved", stamp(entry.resolved_at))
    else:
        _fact(text, "Reason", entry.reason)
        if isinstance(entry, HeldMachine):
            _fact(text, "Kind", MACHINE_KINDS.get(entry.kind, entry.kind))
            if entry.status or entry.diagnostic:
                _fact(text, "Status", " ".join(filter(None, (entry.status, entry.diagnostic))))
        _fact(text, "From", entry.from_address)
        _fact(text, "Subject", entry.subject)
        _fact(text, "Mailbox", entry.mailbox)
        _fact(text, "Received", stamp(entry.created_at))
        if entry.released_at is not None:
            _fact(text, "Released", f"{stamp(entry.released_at)} by {entry.released_by}")
    text.rstrip()
    return text


_WHOLE_SOURCE = {
    "quarantine": "{helpdesk} mail quarantine show {id} --raw > file",
    "machine": "{helpdesk} mail machine show {id} --raw > file",
}
"""The command that writes a held message's whole source (spam has none: release it)."""


def source_text(
    content: bytes,
    kind: HeldKind = "quarantine",
    entry_id: int | None = None,
    command: str = "helpdesk",
) -> Text:
    """The message source, safe to show; cut after ``SHOWN_BYTES``."""
    text = plain(content[:SHOWN_BYTES].decode("utf-8", "replace"), single_line=False)
    if len(content) > SHOWN_BYTES:
        whole = _WHOLE_SOURCE.get(kind)
        said = clean(command, single_line=True)
        where = f" ({whole.format(id=entry_id or 'ID', helpdesk=said)})" if whole else ""
        text.append(f"\n… {len(content) - SHOWN_BYTES} more bytes not shown{where}", "dim italic")
    return text


class HeldMailScreen(DeskScreen):
    """Opened with Enter from the mail screen's quarantine list or its list of spam and
    machine mail."""

    CSS_PATH = "held_mail.tcss"
    HELP_TITLE = "Held mail"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="held.back"),
        Binding("r", "retry", "Retry", id="held.retry"),
        Binding("u", "release", "Release", id="held.release"),
    ]

    class Loaded(Message):
        def __init__(self, entry: Held, content: bytes) -> None:
            super().__init__()
            self.entry = entry
            self.content = content

    def __init__(self, kind: HeldKind, entry_id: int) -> None:
        super().__init__()
        self.kind: HeldKind = kind
        self.entry_id = entry_id
        self.entry: Held | None = None

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        title = {"quarantine": "Quarantined message", "spam": "Spam message"}.get(
            self.kind, "Machine mail"
        )
        yield Static(Text(f"{title} {self.entry_id}", "bold"), id="held-title")
        yield Static(id="held-facts")
        with VerticalScroll(id="held-source", can_focus=True):
            yield Static(id="held-raw")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#held-source").focus()
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Retry is for quarantine and release for spam and machine mail, each only while
        still held."""
        if action == "retry":
            return self.kind == "quarantine" and self._open()
        if action == "release":
            return self.kind != "quarantine" and self._open()
        return True

    def _open(self) -> bool:
        return self.entry is not None and self.entry.is_open

    @work(thread=True, exclusive=True, group="held-load", exit_on_error=False)
    def load(self) -> None:
        entry: Held
        if self.kind == "quarantine":
            entry, content = self.desk.mail_quarantine_show(self.entry_id)
        elif self.kind == "spam":
            entry, content = self.desk.mail_spam_show(self.entry_id)
        else:
            entry, content = self.desk.mail_machine_show(self.entry_id)
        self.post_message(self.Loaded(entry, content))

    def on_held_mail_screen_loaded(self, message: Loaded) -> None:
        self.entry = message.entry
        self.query_one("#held-facts", Static).update(held_facts(message.entry))
        self.query_one("#held-raw", Static).update(
            source_text(message.content, self.kind, self.entry_id, self.desk_app.command)
        )
        self.refresh_bindings()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_retry(self) -> None:
        self.dismiss("retry")

    def action_release(self) -> None:
        self.dismiss("release")
