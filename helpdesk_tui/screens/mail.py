"""The mail screen (@ or the palette): the poller and outbox state, quarantine and spam.

The state is the app's mail link's (the same read as ``helpdesk mail status``); the two
lists are the desk's quarantine and spam lists (``helpdesk mail quarantine|spam list``).
Enter inspects a held message; r retries the highlighted quarantined one, u releases the
highlighted spam. Every subject, sender and reason is outside text, shown through ``plain``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Static

from helpdesk_tui import timefmt
from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.mail_holding_service import (
    HeldArea,
    HeldMachine,
    HeldQuarantine,
    HeldSpam,
)
from helpdesk_tui.messages import TicketChanged
from helpdesk_tui.safe_text import plain
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.screens.confirm import confirm
from helpdesk_tui.screens.held_mail import MACHINE_KINDS
from helpdesk_tui.widgets.desk_header import DeskHeader
from helpdesk_tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from helpdesk_tui.app import HelpdeskApp
    from helpdesk_tui.desk.inbound import IngestResult
    from helpdesk_tui.mail_link import MailLink


UNDELIVERED_SHOWN = 5
"""Mail that did not get through, listed under the outbox (``helpdesk mail status``: all)."""


def mail_state(link: MailLink, now: datetime) -> Text:
    """Each mailbox folder, the outbox and who runs what, one line each."""
    text = Text()
    if not link.enabled:
        text.append("Mail is not configured ", "bold")
        text.append("(no [mail.mailboxes.<name>] and no [mail.smtp]); the lists below hold ")
        text.append("what earlier runs kept.")
        return text
    if link.problem and not link.running:
        text.append("Not running in this terminal: ", "bold")
        text.append_text(plain(link.problem))
        text.append("\n")
    status = link.status
    if status is None:
        text.append_text(plain(link.read_error or "Reading the mail state…"))
        return text
    if not status.folders:
        text.append("No mailbox polled yet\n")
    for folder in status.folders:
        text.append_text(plain(f"{folder.mailbox}/{folder.folder}", "bold"))
        polled = timefmt.relative(folder.last_poll_at, now) if folder.last_poll_at else "never"
        text.append(f"  last poll {polled} · backlog {folder.backlog} · last UID {folder.last_uid}")
        if folder.last_error:
            when = timefmt.relative(folder.last_error_at, now) if folder.last_error_at else ""
            text.append(f"\n  error {when}: ", "bold")
            text.append_text(plain(folder.last_error))
        text.append("\n")
    counts = ", ".join(f"{n} {s}" for s, n in sorted(status.outbox.items())) or "empty"
    text.append("Outbox", "bold")
    text.append(f"  {counts}\n")
    for delivery in status.undelivered[:UNDELIVERED_SHOWN]:
        ticket = f"#{delivery.ticket_number} " if delivery.ticket_number is not None else ""
        text.append(f"  mail {delivery.id} {ticket}{delivery.kind} to ")
        text.append_text(plain(delivery.to))
        text.append(": ")
        text.append_text(plain(delivery.describe()))
        text.append("\n")
    text.append("Runs", "bold")
    for lease in status.leases:
        here = " (this terminal)" if lease.name in status.running_here else ""
        text.append(f"  {lease.name.removeprefix('mail.')}: ")
        text.append_text(plain(lease.holder or "nobody"))
        text.append(here)
    return text


def held_row(who: str | None, subject: str | None, why: Text) -> Text:
    """Two lines of a held message: sender and subject, then why it is held."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append_text(plain(who or "?", "bold"))
    line.append(" — ")
    line.append_text(plain(subject or "(no subject)"))
    line.append("\n")
    line.append_text(why)
    return line


def result_text(result: IngestResult) -> str:
    """What a retry or release came to, as ``helpdesk mail`` words it."""
    from helpdesk_tui.mail.api import result_text

    return result_text(result)


class MailScreen(DeskScreen):
    """What mail is doing, and the mail it held back."""

    CSS_PATH = "mail.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="mail.back"),
        Binding("r", "retry", "Retry", id="mail.retry"),
        Binding("u", "release", "Release", id="mail.release"),
        Binding("ctrl+l", "reload", "Reload", id="mail.reload"),
    ]

    class Loaded(Message):
        def __init__(
            self,
            held: list[HeldQuarantine],
            spam: list[HeldSpam],
            machine: list[HeldMachine] | None = None,
        ) -> None:
            super().__init__()
            self.held = held
            self.spam = spam
            self.machine = machine or []
            """Machine mail held apart (``helpdesk mail machine list``), listed under spam."""

    class Done(Message):
        """A retry or release finished; ``number`` is the ticket it touched."""

        def __init__(self, text: str, number: int | None, ok: bool) -> None:
            super().__init__()
            self.text = text
            self.number = number
            self.ok = ok

    @property
    def desk_app(self) -> HelpdeskApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static(id="mail-state")
        yield Static(id="mail-quarantine-title", classes="mail-title")
        yield DataTable(cursor_type="row", id="mail-quarantine")
        yield Static(id="mail-spam-title", classes="mail-title")
        yield DataTable(cursor_type="row", id="mail-spam")
        yield KeyFooter()

    def on_mount(self) -> None:
        link = self.desk_app.mail_link
        link.changed.subscribe(self, self._show_state)
        self._show_state(link)
        self.query_one("#mail-quarantine", DataTable).focus()
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def on_resize(self) -> None:
        self.reload()  # the message column is cut to the new width

    def _show_state(self, link: MailLink) -> None:
        self.query_one("#mail-state", Static).update(mail_state(link, self.desk_app.clock()))

    # -- lists ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="mail-lists", exit_on_error=False)
    def reload(self) -> None:
        desk = self.desk
        held = desk.mail_quarantine_list()
        spammed = desk.mail_spam_list()
        self.post_message(self.Loaded(held, spammed, desk.mail_machine_list()))

    def on_mail_screen_loaded(self, message: Loaded) -> None:
        now = self.desk_app.clock()
        self._title(
            "#mail-quarantine-title",
            f"Quarantine · {len(message.held)} held",
            "could not be processed · Enter inspects · r retries",
        )
        self._title(
            "#mail-spam-title",
            f"Spam · {len(message.spam)} held"
            + (f" · machine mail · {len(message.machine)} held" if message.machine else ""),
            "kept out of the queue · Enter inspects · u releases",
        )
        held = self.query_one("#mail-quarantine", DataTable)
        self._fill(
            held,
            [
                (
                    str(e.id),
                    timefmt.relative(e.created_at, now),
                    held_row(
                        e.from_hint,
                        e.subject_hint,
                        Text.assemble(plain(e.reason), (f"  (tried {e.attempts} times)", "dim"))
                        if e.attempts > 1
                        else plain(e.reason),
                    ),
                )
                for e in message.held
            ],
        )
        self._fill(
            self.query_one("#mail-spam", DataTable),
            [
                (
                    str(e.id),
                    timefmt.relative(e.created_at, now),
                    held_row(e.from_address, e.subject, plain(e.reason)),
                )
                for e in message.spam
            ]
            + [
                (
                    f"{MACHINE_KEY}{e.id}",
                    timefmt.relative(e.created_at, now),
                    held_row(
                        e.from_address,
                        e.subject,
                        Text.assemble((f"{MACHINE_KINDS.get(e.kind, e.kind)}: ", "dim"))
                        + plain(e.reason),
                    ),
                )
                for e in message.machine
            ],
        )

    def _title(self, selector: str, title: str, hint: str) -> None:
        self.query_one(selector, Static).update(
            Text.assemble((title, "bold"), "  ", (hint, "dim"), no_wrap=True, overflow="ellipsis")
        )

    def _fill(self, table: DataTable[Text], rows: list[tuple[str, str, Text]]) -> None:
        """Replace the rows, keeping the cursor on the same entry when it is still there.

        Every column gets a set width (measured from its cells here, not by the table
        later), and the message column what the screen has left, so a long reason ends in
        an ellipsis instead of pushing the table sideways.
        """
        keep = _highlighted(table)
        id_width = max((len(key) for key, _, _ in rows), default=2)
        when_width = max((len(when) for _, when, _ in rows), default=8)
        rest = self.size.width - id_width - when_width - 10
        table.clear(columns=True)
        table.add_column("Id", key="id", width=max(2, id_width))
        table.add_column("Received", key="received", width=max(8, when_width))
        table.add_column("Message", key="message", width=max(20, rest))
        for key, when, text in rows:
            table.add_row(Text(key), Text(when, "dim"), text, key=key, height=2)
        if keep is not None and keep in {key for key, _, _ in rows}:
            table.move_cursor(row=table.get_row_index(keep), animate=False)

    # -- actions ----------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self.desk_app.mail_link.read_now()
        self.reload()

    @on(DataTable.RowSelected)
    def _inspect(self, event: DataTable.RowSelected) -> None:
        from helpdesk_tui.screens.held_mail import HeldKind, HeldMailScreen

        if event.row_key.value is None:
            return
        kind: HeldKind = "quarantine"
        key = event.row_key.value
        if event.data_table.id == "mail-spam":
            area, entry_id = _held_key(key)
            kind = "spam" if area is HeldArea.SPAM else "machine"
        else:
            entry_id = int(key)

        def closed(action: str | None) -> None:
            if action == "retry":
                self._retry(entry_id)
            elif action == "release":
                self._release(HeldArea(kind), entry_id)

        self.app.push_screen(HeldMailScreen(kind, entry_id), closed)

    def action_retry(self) -> None:
        entry = _highlighted(self.query_one("#mail-quarantine", DataTable))
        if entry is None:
            self.notify("Nothing in quarantine to retry", markup=False)
            return
        self._retry(int(entry))

    def action_release(self) -> None:
        key = _highlighted(self.query_one("#mail-spam", DataTable))
        if key is None:
            self.notify("No spam or machine mail to release", markup=False)
            return
        area, entry_id = _held_key(key)

        def answered(answer: str | None) -> None:
            if answer == "yes":
                self._release(area, entry_id)

        what = "spam message" if area is HeldArea.SPAM else "machine mail"
        question = Text(
            f"Release {what} {entry_id}? It becomes a ticket (or follow-up)"
            + (", without an acknowledgement." if area is HeldArea.MACHINE else ".")
        )
        self.app.push_screen(confirm(question, yes="Release"), answered)

    @work(thread=True, group="mail-change", exit_on_error=False)
    def _retry(self, entry_id: int) -> None:
        """Run a quarantined message through ingest again (``helpdesk mail quarantine retry``)."""
        try:
            result = self.desk_app.mail_link.run_again(HeldArea.QUARANTINE, entry_id)
        except DeskError as error:
            self.post_message(self.Done(str(error), None, ok=False))
            return
        still = result.outcome == "quarantine"
        text = f"still quarantined: {result.reason}" if still else result_text(result)
        self.post_message(self.Done(text, result.ticket_number, ok=not still))

    @work(thread=True, group="mail-change", exit_on_error=False)
    def _release(self, area: HeldArea, entry_id: int) -> None:
        """Let held spam or machine mail through (as ``helpdesk mail spam|machine release``)."""
        try:
            result = self.desk_app.mail_link.run_again(area, entry_id)
        except DeskError as error:
            self.post_message(self.Done(str(error), None, ok=False))
            return
        self.post_message(self.Done(result_text(result), result.ticket_number, ok=True))

    def on_mail_screen_done(self, message: Done) -> None:
        self.notify(
            message.text,
            title="Mail",
            severity="information" if message.ok else "warning",
            markup=False,
        )
        if message.number is not None:
            self.app.post_message(TicketChanged(message.number))
        self.desk_app.mail_link.read_now()
        self.reload()


MACHINE_KEY = "m"
"""Machine mail shares the spam list; its ids (``helpdesk mail machine …``) show as m5."""


def _held_key(key: str) -> tuple[HeldArea, int]:
    """The area and id of a row of the spam and machine mail list."""
    if key.startswith(MACHINE_KEY):
        return HeldArea.MACHINE, int(key.removeprefix(MACHINE_KEY))
    return HeldArea.SPAM, int(key)


def _highlighted(table: DataTable[Text]) -> str | None:
    if table.row_count == 0:
        return None
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
