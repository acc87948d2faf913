"""Writing a reply, an internal note or a call log: in the app, or in ``$EDITOR``.

The text is a draft from the first key: saved a moment after typing stops (and on
``ctrl+s``), so closing the composer or the whole app loses nothing (``screens.autosave``,
as the editors' texts are). Escape asks before a non-empty draft is thrown away.

Before anything is saved to the ticket, the composer asks the desk what arrived since it
opened (``desk.activity``): a customer message, a colleague's reply or note, a status
change. If anything did, it is shown and needs an explicit key before sending; the send
then goes against the version the agent has now seen, so a later arrival asks again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static, TextArea
from textual.worker import Worker, WorkerState

from helpdesk_tui.app_access import desk_app
from helpdesk_tui.desk.activity import Since, Watermark
from helpdesk_tui.desk.attachments import read_attachments
from helpdesk_tui.desk.errors import Conflict, DeskError, InvalidValue, NoAddress, UnknownAgent
from helpdesk_tui.desk.limits import check_body
from helpdesk_tui.desk.outbox_rows import HardBounce
from helpdesk_tui.desk.tickets_service import Recipient, ReplyRecipients
from helpdesk_tui.desk.values import parse_addresses
from helpdesk_tui.drafts import DraftKind, DraftStore
from helpdesk_tui.safe_text import plain
from helpdesk_tui.screens.autosave import Autosave
from helpdesk_tui.screens.base import DeskModal, key_shown
from helpdesk_tui.screens.editor import edit_in_editor
from helpdesk_tui.timefmt import relative
from helpdesk_tui.widgets.attachment_list import AttachedFile, AttachmentList
from helpdesk_tui.widgets.key_footer import KeyFooter
from helpdesk_tui.widgets.recipients import Line

PREVIEW_LINES = 6
WARNED_ADDRESS_WIDTH = 30
"""How much of a bounced address the composer's warning line shows (its middle cut)."""

TITLES: dict[DraftKind, str] = {
    "reply": "Reply to the customer on",
    "note": "Internal note on",
    "call": "Log a phone call on",
}
KEPT: dict[DraftKind, str] = {"reply": "reply", "note": "note", "call": "call log"}
DONE: dict[DraftKind, str] = {
    "reply": "Reply queued to send",
    "note": "Note added",
    "call": "Call logged",
}


def arrivals_text(news: Since, now_ago: Callable[..., str]) -> Text:
    """What arrived, one block each: who, what, when, and a message's first lines."""
    text = Text()
    for index, item in enumerate(news.arrivals):
        if index:
            text.append("\n")
        text.append_text(plain(item.who, "bold"))
        text.append(" · ")
        text.append_text(plain(item.what))
        text.append(f" · {now_ago(item.at)}", "dim")
        if item.body:
            lines = item.body.strip().splitlines()
            shown = "\n".join(f"  {line}" for line in lines[:PREVIEW_LINES])
            text.append("\n")
            text.append_text(plain(shown, single_line=False))
            if len(lines) > PREVIEW_LINES:
                text.append(f"\n  … {len(lines) - PREVIEW_LINES} more lines", "dim")
    return text


class ComposerScreen(DeskModal[bool]):
    """Dismisses with True once something was saved to the ticket, False otherwise."""

    CSS_PATH = "composer.tcss"
    DEFAULT_CLASSES = "overlay"

    BINDINGS = [
        Binding("ctrl+r", "send", "Send", id="composer.send", priority=True),
        Binding("ctrl+s", "save", "Save draft", id="composer.save", priority=True),
        Binding("ctrl+o", "editor", "$EDITOR", id="composer.editor", priority=True),
        Binding("escape", "close", "Close", id="composer.close", priority=True),
        Binding("ctrl+t", "canned", "Canned", id="composer.canned", priority=True),
        Binding("ctrl+g", "macro", "Macro", id="composer.macro", priority=True),
        Binding("ctrl+f", "attach", "Files", id="composer.attach", priority=True),
        Binding("ctrl+l", "article", "Article", id="composer.article", priority=True),
        Binding("ctrl+b", "copies", "Cc", id="composer.copies", priority=True),
    ]

    FOOTER_IF_ROOM: ClassVar[frozenset[str]] = frozenset({"composer.editor", "composer.copies"})
    """``$EDITOR`` is drawn last, where it leaves room: at 80 columns the composer's own
    keys (send and close first, ``^l Article`` too) take the footer; F1 lists it."""

    class Arrived(Message):
        def __init__(self, news: Since) -> None:
            super().__init__()
            self.news = news

    class Saved(Message):
        def __init__(self, close: bool) -> None:
            super().__init__()
            self.close = close

    class Sent(Message):
        pass

    class MacroApplied(Message):
        def __init__(self, summary: str, version: int, draft_text: str) -> None:
            super().__init__()
            self.summary = summary
            self.version = version
            self.draft_text = draft_text

    def __init__(
        self,
        number: int,
        kind: DraftKind,
        mark: Watermark,
        *,
        subject: str,
        drafts: DraftStore | None = None,
        ticket: str | None = None,
        no_address: bool = False,
    ) -> None:
        """``no_address``: the requester has no email address yet (asked for on send).
        ``ticket``: which ticket this is (``drafts.ticket_key``): only a draft written on it
        is read into the composer, and the text is kept as its."""
        super().__init__()
        self.no_address = no_address
        self.number = number
        self.kind = kind
        self.mark = mark
        self.subject = subject
        self.drafts = drafts or DraftStore()
        self.ticket = ticket
        self._sending = False
        self.autosave = Autosave(self, lambda: self.text, self._write)
        """Keeps the text as its draft (the draft file's text is read in ``compose``)."""
        self._files: tuple[AttachedFile, ...] = ()
        self.to: str | None = None
        """Where the reply goes (read when the composer opens)."""
        self.cc: tuple[str, ...] = ()
        """Whom it copies: the ticket's copies, or what the agent set for this reply."""
        self.cc_for_this_reply = False
        """The agent set the Cc of this reply alone (``ctrl+b``): sent as it is."""

    def compose(self) -> ComposeResult:
        title = Text(f"{TITLES[self.kind]} #{self.number}: ")
        title.append_text(plain(self.subject))
        # A draft is a small local file; reading it here keeps it in the editor from the
        # first frame, so no keystroke can race a late load.
        draft = self.drafts.load(self.number, self.kind, self.ticket)
        if self.ticket is None and self.drafts.desk is not None:
            draft = ""  # (a desk's drafts are each a ticket's: an unclaimed one is not read)
        self.autosave.saved_as(draft)
        with Vertical(id="composer"):
            yield Static(title, id="composer-title")
            if self.kind == "reply":
                yield Static(id="composer-recipients")
            yield Static(id="composer-warning")
            yield TextArea(draft, id="composer-text", soft_wrap=True, tab_behavior="indent")
            yield AttachmentList(id="composer-files")
            hint = "Drafts are kept until sent or discarded · F1 lists the keys"
            if self.no_address:
                hint = f"The requester has no email address: you will be asked on send · {hint}"
            yield Static(Text(hint, "dim"), id="composer-hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        area = self.text_area
        area.focus()
        area.move_cursor(area.document.end)
        if self.kind == "reply":
            self._check_address()

    @work(thread=True, exclusive=True, group="composer-address", exit_on_error=False)
    def _check_address(self) -> None:
        """Where the reply goes (To, Cc), and whether mail to its address bounced for good
        lately: said before sending, one line above the text (the reply still goes; the
        agent decides). A copy whose mail bounced is left out of the Cc, and said so."""
        desk = desk_app(self).desk
        recipients = desk.reply_recipients(self.number)
        bounce = desk.reply_bounce(self.number)
        self.app.call_from_thread(self._show_recipients, recipients, bounce)

    def _show_recipients(self, recipients: ReplyRecipients, bounce: HardBounce | None) -> None:
        self.to = recipients.to
        if not self.cc_for_this_reply:
            self.cc = recipients.cc
        self._show_cc()
        if bounce is not None:
            self._warn(bounce)
        elif recipients.bounced:
            more = len(recipients.bounced) - 1
            others = f" (and {more} more)" if more else ""
            self._warn(recipients.bounced[0], f"; left out of the Cc{others}")

    def _show_cc(self) -> None:
        self.query_one("#composer-recipients", Static).update(
            Line(self.to, self.cc, f"  ({key_shown(self, 'composer.copies')} changes the Cc)")
        )

    def _warn(self, bounce: HardBounce, said: str = "") -> None:
        shown = Text("Warning: ", "bold")
        # (the address cut so that the time and code stay on the line at 80 columns)
        shown.append_text(plain(bounce.warning(address_width=WARNED_ADDRESS_WIDTH) + said))
        line = self.query_one("#composer-warning", Static)
        line.update(shown)
        line.add_class("-shown")

    @property
    def text_area(self) -> TextArea:
        return self.query_one("#composer-text", TextArea)

    @property
    def text(self) -> str:
        return self.text_area.text

    # Drafts -------------------------------------------------------------------------

    @on(TextArea.Changed)
    def _typed(self) -> None:
        self.autosave.typed()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        """The text area lost focus (to the file list, another screen…): save now."""
        if isinstance(event.widget, TextArea):
            self.autosave.save_now()

    def on_screen_suspend(self) -> None:
        """Something came over the composer (a picker, a question, help): save now."""
        self.autosave.save_now()

    def action_save(self) -> None:
        self.autosave.save_now(then=lambda: self.post_message(self.Saved(close=False)))

    def _write(self, text: str) -> None:
        """(A thread: ``autosave``.)"""
        self.drafts.save(self.number, self.kind, text, self.ticket)

    def keep_draft(self) -> str | None:
        """Keep the text as it is now, at once (not after ``AUTOSAVE_SECONDS``): the app
        covers everything once its agent's access ends (``screens.access_ended``). What was
        kept, for people ("Your note on #1042"); None when the text is blank (nothing to
        keep, and a draft kept before stays)."""
        if not self.text.strip() or not self.autosave.keep():
            return None
        return f"Your {KEPT[self.kind]} on #{self.number}"

    def on_composer_screen_saved(self, message: Saved) -> None:
        if message.close:
            self.dismiss(False)
        else:
            self.notify("Draft saved", timeout=2)

    def action_close(self) -> None:
        from helpdesk_tui.screens.confirm import Choice, ChoiceScreen

        if not self.text.strip():
            self._discard()
            return

        def chosen(answer: str | None) -> None:
            if answer == "keep":
                saving = self.autosave.save_now(
                    then=lambda: self.post_message(self.Saved(close=True))
                )
                if saving is not None:
                    desk_app(self).typing_ahead.wait_for(saving)
            elif answer == "discard":
                self._discard()

        question = Text(f"Close this {self.kind} draft on #{self.number}?")
        self.app.push_screen(
            ChoiceScreen(
                question,
                [Choice("k", "Keep draft", "keep"), Choice("d", "Discard it", "discard")],
                cancel_label="Back to writing",
                id="close-draft",
            ),
            chosen,
        )

    def _discard(self) -> None:
        self.autosave.stop()
        self.autosave.end(lambda: self.drafts.delete(self.number, self.kind, self.ticket))
        self.dismiss(False)

    # $EDITOR ------------------------------------------------------------------------

    def action_editor(self) -> None:
        edited = edit_in_editor(self, self.text, extension=".txt", what=self.kind)
        if edited is not None and not self._over_limit(edited):
            self.text_area.load_text(edited)
            self.autosave.save_now()

    # Sending ------------------------------------------------------------------------

    def action_send(self) -> None:
        if self._sending:
            return
        if not self.text.strip():
            self.notify(f"Nothing to send: the {self.kind} is empty", severity="warning")
            return
        if self._over_limit(self.text):
            return
        self._sending = True
        desk_app(self).typing_ahead.wait_for(self._send(self.text, self.mark))

    def _over_limit(self, text: str) -> bool:
        """Text over ``limits.max_body_bytes`` is refused here, saying by how much."""
        try:
            check_body(text, self.kind, desk_app(self).settings.limits.max_body_bytes)
        except InvalidValue as error:
            self.notify(str(error), title="Not sent", severity="error", timeout=10, markup=False)
            return True
        return False

    @work(thread=True, exclusive=True, group="composer-send", exit_on_error=False)
    def _send(self, text: str, mark: Watermark, to: Recipient | None = None) -> None:
        app = desk_app(self)
        paths = [item.path for item in self.attached]
        files = read_attachments(paths, app.settings.limits) if paths else []
        cc = self.cc if self.cc_for_this_reply else None
        news = app.desk.ticket_write(
            self.number, self.kind, text, mark, to=to, attachments=files, cc=cc
        )
        if news is not None:
            self.post_message(self.Arrived(news))
            return
        # Sent: no save after this one brings the draft back (a blur as the composer goes,
        # an autosave under way).
        self.autosave.end(lambda: self.drafts.delete(self.number, self.kind, self.ticket))
        self.post_message(self.Sent())

    # Canned responses, macros, files ------------------------------------------------
    # (the pickers and the file list are screens and widgets of their own)

    @property
    def attached(self) -> tuple[AttachedFile, ...]:
        """The draft's files (kept here, not read off the widget: the send worker reads it)."""
        return self._files

    @attached.setter
    def attached(self, files: tuple[AttachedFile, ...]) -> None:
        self._files = files
        self.query_one(AttachmentList).files = files

    def action_canned(self) -> None:
        from helpdesk_tui.screens.canned_picker import CannedPickScreen

        def chosen(text: str | None) -> None:
            if text:
                self.text_area.insert(text)
                self.text_area.focus()

        picker = CannedPickScreen(self.number, desk_app(self).settings.desk_name)
        self.app.push_screen(picker, chosen)

    def action_article(self) -> None:
        """A knowledge-base article's text or link at the cursor, the draft kept open."""
        from helpdesk_tui.screens.canned_picker import ArticlePickScreen

        def chosen(text: str | None) -> None:
            if text:
                self.text_area.insert(text)
            self.text_area.focus()

        public_url = desk_app(self).settings.kb.public_url or ""
        self.app.push_screen(ArticlePickScreen(self.number, public_url), chosen)

    def action_macro(self) -> None:
        from helpdesk_tui.screens.canned_picker import MacroPickScreen

        def chosen(name: str | None) -> None:
            if name:
                self._apply_macro(name, self.mark.version)

        self.app.push_screen(MacroPickScreen(self.number, self.kind), chosen)

    @work(thread=True, exclusive=True, group="composer-macro", exit_on_error=False)
    def _apply_macro(self, name: str, version: int) -> None:
        app = desk_app(self)
        result = app.desk.macro_apply(
            self.number,
            name,
            expected_version=version,
            desk_name=app.settings.desk_name,
            draft_kind=self.kind,
        )
        summary = f"Macro {name} applied to #{result.number}: {', '.join(result.changes)}"
        self.post_message(self.MacroApplied(summary, result.version, result.draft_text))

    def on_composer_screen_macro_applied(self, message: MacroApplied) -> None:
        """The macro's fields are changed; its text of this composer's kind goes into the
        draft where the cursor is (a paragraph of its own), to be read and sent with it:
        it was sent beside the draft at once, the draft left waiting. (ctrl+z takes it out.)"""
        self.mark = replace(self.mark, version=message.version)  # (our own change: seen)
        if message.draft_text:
            area = self.text_area
            row, column = area.cursor_location
            before = area.document.get_line(row)[:column]
            area.insert(("\n\n" if before.strip() else "") + message.draft_text)
            area.focus()
        self.notify(message.summary, timeout=5, markup=False)

    def action_copies(self) -> None:
        """The Cc of this reply, typed: for this reply only, or kept as the ticket's copies
        (every reply's; ``desk.ticket_copies`` checks each address)."""
        from helpdesk_tui.screens.confirm import Choice, ChoiceScreen
        from helpdesk_tui.screens.pickers import PromptScreen

        if self.kind != "reply":
            self.notify(f"A {KEPT[self.kind]} is not mailed: only a reply has a Cc", timeout=4)
            return

        def typed(value: str | None) -> None:
            self.text_area.focus()
            if value is None:
                return
            try:
                wanted = tuple(parse_addresses(value, "address to copy"))
            except InvalidValue as error:
                self.notify(str(error), title="Cc not changed", severity="error", markup=False)
                return
            if wanted == self.cc:
                return
            question = Text(f"Cc of the reply on #{self.number}: ")
            question.append_text(plain(", ".join(wanted) or "nobody", "bold"))

            def chosen(answer: str | None) -> None:
                if answer == "once":
                    self.cc, self.cc_for_this_reply = wanted, True
                    self._show_cc()
                elif answer == "keep":
                    self._keep_copies(wanted)

            self.app.push_screen(
                ChoiceScreen(
                    question,
                    [
                        Choice("t", "For this reply only", "once"),
                        Choice("k", f"Keep as #{self.number}'s copies (every reply)", "keep"),
                    ],
                    cancel_label="Back to writing",
                    id="reply-cc",
                ),
                chosen,
            )

        self.app.push_screen(
            PromptScreen(
                f"Cc of the reply on #{self.number} (addresses, comma between):",
                hint="Enter, then: this reply only, or kept on the ticket",
                value=", ".join(self.cc),
            ),
            typed,
        )

    @work(thread=True, exclusive=True, group="composer-copies", exit_on_error=False)
    def _keep_copies(self, wanted: tuple[str, ...]) -> None:
        app = desk_app(self)
        changed = app.desk.ticket_copies(
            self.number,
            add=[a for a in wanted if a not in self.cc],
            remove=[a for a in self.cc if a not in wanted],
            ours=app.settings.mail.desk_addresses,
        )
        self.app.call_from_thread(self._copies_kept, changed.copies)

    def _copies_kept(self, copies: tuple[str, ...]) -> None:
        self.cc, self.cc_for_this_reply = copies, False
        self._show_cc()
        self.notify(f"#{self.number}'s replies copy {len(copies)} people", timeout=3)

    def action_attach(self) -> None:
        from helpdesk_tui.screens.attach import AttachScreen

        if self.kind == "call":
            self.notify("A call log takes no files; attach them to a note", severity="warning")
            return

        def done(files: tuple[AttachedFile, ...] | None) -> None:
            if files is not None:
                self.attached = files
            self.text_area.focus()

        self.app.push_screen(AttachScreen(self.attached, desk_app(self).settings.limits), done)

    def _ask_address(self) -> None:
        """The requester has no address: ask for one, and whether to keep it on the contact."""
        from helpdesk_tui.screens.confirm import Choice, ChoiceScreen
        from helpdesk_tui.screens.pickers import PromptScreen

        def typed(email: str | None) -> None:
            if not email or not email.strip():
                return
            question = Text("Send this reply to ")
            question.append_text(plain(email.strip(), "bold"))
            question.append("?")

            def chosen(answer: str | None) -> None:
                if answer in ("keep", "once"):
                    self._sending = True
                    self._send(self.text, self.mark, Recipient(email.strip(), answer == "keep"))

            self.app.push_screen(
                ChoiceScreen(
                    question,
                    [
                        Choice("s", "Save as the requester's address and send", "keep"),
                        Choice("o", "Send only this reply there", "once"),
                    ],
                    cancel_label="Back to writing",
                    id="reply-address",
                ),
                chosen,
            )

        self.app.push_screen(
            PromptScreen(
                f"#{self.number}'s requester has no email address. Send to:",
                hint="Nothing was sent; the draft is kept",
            ),
            typed,
        )

    def on_composer_screen_arrived(self, message: Arrived) -> None:
        from helpdesk_tui.screens.confirm import Choice, ChoiceScreen

        news = message.news
        clock = desk_app(self).clock
        count = len(news.arrivals)
        question = Text(
            f"{count} new thing{'s' * (count != 1)} arrived on #{self.number} "
            f"while you wrote. Read before sending:"
        )

        def chosen(answer: str | None) -> None:
            self._sending = False
            if answer == "send":
                self.mark = news.current
                self.action_send()

        self.app.push_screen(
            ChoiceScreen(
                question,
                [Choice("y", f"Send the {self.kind} anyway", "send")],
                details=arrivals_text(news, lambda at: relative(at, clock())),
                cancel_label="Back to writing",
                id="arrived",
            ),
            chosen,
        )

    def on_composer_screen_sent(self) -> None:
        self._sending = False
        self.autosave.stop()
        self.notify(f"{DONE[self.kind]} on #{self.number}", timeout=3)
        self.dismiss(True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if event.worker.group == "composer-send":
            self._sending = False
            if isinstance(error, Conflict):
                # Something landed between the check and the save: check again, show it.
                self.action_send()
                return
            if isinstance(error, NoAddress):
                self._ask_address()
                return
        if isinstance(error, UnknownAgent):  # (deactivated meanwhile: the app covers up)
            return
        message = str(error) if isinstance(error, DeskError) else f"Not saved: {error!r}"
        self.notify(message, severity="error", markup=False, timeout=8)
