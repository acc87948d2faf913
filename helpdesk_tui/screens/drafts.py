"""Your kept drafts: every reply, note and call log started and not yet sent or discarded,
and every knowledge-base article and canned response being written (as ``helpdesk drafts``
lists them).

Drafts are files of this agent's own (``helpdesk_tui.drafts``); the tickets they belong to
are read from the desk, so a draft on a closed or merged ticket says so instead of being
stranded out of sight. Each line says what the draft is ("Reply to #1042: …", "New KB
article "Guest Wi-Fi"", "Changes to canned response "Refunds""). Enter opens it in its
editor with its text (a reply in its ticket's composer, an article in the article editor, a
response in the canned-response editor); ctrl+d discards it, after asking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from helpdesk_tui.app_access import desk_app, every_screen
from helpdesk_tui.drafts import (
    DRAFT_KINDS,
    EDITOR_KINDS,
    TICKET_KEY,
    Draft,
    DraftKind,
    DraftStore,
    EditorDraft,
    EditorKind,
    stranger_note,
    unclaimed_note,
)
from helpdesk_tui.messages import WorkerFailed
from helpdesk_tui.safe_text import clean
from helpdesk_tui.screens.pickers import Pick, PickScreen
from helpdesk_tui.timefmt import relative

if TYPE_CHECKING:
    from textual.app import App

TICKET_TITLES: dict[DraftKind, str] = {
    "reply": "Reply to #{number}",
    "note": "Note on #{number}",
    "call": "Call log on #{number}",
}
EDITOR_TITLES: dict[EditorKind, str] = {"kb": "KB article", "canned": "canned response"}

HINT = "Enter opens it in its editor · ctrl+d discards it"


@dataclass(frozen=True)
class TicketDraftRef:
    """A reply, note or call log kept for ticket ``number``."""

    number: int
    kind: DraftKind
    ticket: str | None = None
    """The ticket it was written on (``drafts.ticket_key``); None: unclaimed."""


@dataclass(frozen=True)
class EditorDraftRef:
    """An article or canned response being written (``item`` None: a new one)."""

    kind: EditorKind
    item: int | None
    key: str | None = None
    """The article or response it was written on (``drafts.item_key``; None: a new one)."""
    unclaimed: bool = False
    """Written before drafts knew their desk: listed, never opened in an editor."""


UNCLAIMED = "unclaimed"

DraftRef = TicketDraftRef | EditorDraftRef


def draft_value(draft: Draft | EditorDraft) -> str:
    """``12:reply:<ticket>`` for a ticket's draft (``12:reply`` unclaimed), ``kb:7:<key>`` /
    ``canned:new`` for an editor's (``kb:7:unclaimed``, ``kb:new:unclaimed`` unclaimed)."""
    if isinstance(draft, Draft):
        if draft.ticket is not None:
            return f"{draft.number}:{draft.kind}:{draft.ticket}"
        return f"{draft.number}:{draft.kind}"
    value = f"{draft.kind}:{'new' if draft.item is None else draft.item}"
    if draft.unclaimed:
        return f"{value}:{UNCLAIMED}"
    return f"{value}:{draft.key}" if draft.key is not None else value


def parse_draft_value(value: str) -> DraftRef | None:
    """``12:reply`` → the reply on #12, ``kb:new`` → a new article's; anything else (text
    typed into the picker) → None."""
    head, _, tail = value.partition(":")
    tail, _, ticket = tail.partition(":")
    for kind in DRAFT_KINDS:
        if tail == kind and head.isdigit() and (not ticket or TICKET_KEY.fullmatch(ticket)):
            return TicketDraftRef(int(head), kind, ticket or None)
    item = None if tail == "new" else int(tail) if tail.isdigit() else -1
    if head not in EDITOR_KINDS or item == -1:
        return None
    editor = cast(EditorKind, head)
    if ticket == UNCLAIMED:
        return EditorDraftRef(editor, item, unclaimed=True)
    if item is None and not ticket:
        return EditorDraftRef(editor, None)
    if item is not None and TICKET_KEY.fullmatch(ticket):
        return EditorDraftRef(editor, item, ticket)
    return None


def editor_draft_title(draft: EditorDraft) -> str:
    """``New KB article "Guest Wi-Fi"``, ``Changes to canned response "Refunds"`` (the name
    as the agent wrote it; ``(untitled)`` when it is blank)."""
    what = EDITOR_TITLES[draft.kind]
    which = f"New {what}" if draft.item is None else f"Changes to {what}"
    named = clean(draft.preview, single_line=True)
    return f'{which} "{named}"' if named else f"{which} (untitled)"


def describe(ref: DraftRef) -> str:
    """The draft in a question ("your reply to #12", "your new KB article")."""
    if isinstance(ref, TicketDraftRef):
        return "your " + TICKET_TITLES[ref.kind].format(number=ref.number).lower()
    what = EDITOR_TITLES[ref.kind]
    return f"your new {what}" if ref.item is None else f"your changes to {what} {ref.item}"


def open_in_editor(app: App[Any], ref: DraftRef) -> bool:
    """Whether an editor open in the app (in any mode) holds this draft: discarding its
    file would not discard it (the editor keeps it again)."""
    from helpdesk_tui.screens.canned_manager import CannedEditScreen
    from helpdesk_tui.screens.composer import ComposerScreen
    from helpdesk_tui.screens.kb_edit import KbEditScreen

    for screen in every_screen(app):
        if isinstance(screen, ComposerScreen):
            holds = isinstance(ref, TicketDraftRef) and (
                screen.number,
                screen.kind,
                screen.ticket,
            ) == (ref.number, ref.kind, ref.ticket)
        elif isinstance(screen, KbEditScreen | CannedEditScreen):
            kind: EditorKind = "kb" if isinstance(screen, KbEditScreen) else "canned"
            holds = ref == EditorDraftRef(kind, screen.draft_item, screen.draft_key)
        else:
            holds = False
        if holds:
            return True
    return False


class DraftsScreen(PickScreen):
    """Pick a draft by typing a few letters of what it is; dismisses with its value
    (``draft_value``); ctrl+d discards the highlighted one, after asking."""

    HELP_TITLE = "Drafts"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+d", "discard", "Discard", id="drafts.discard", priority=True),
    ]
    """(A priority binding: the filter's Input would take ctrl+d as delete-right.)"""

    class Listed(Message):
        def __init__(self, picks: list[Pick]) -> None:
            super().__init__()
            self.picks = picks

    def __init__(self, store: DraftStore | None = None) -> None:
        super().__init__("Your drafts", [], hint="Reading your drafts…")
        self.store = store
        """(None: this desk's, once its identity is read: ``_list``.)"""

    def on_mount(self) -> None:
        self._list()

    @work(thread=True, exclusive=True, group="drafts", exit_on_error=False)
    def _list(self) -> None:
        app = desk_app(self)
        if self.store is None:
            self.store = DraftStore(desk=app.desk.desk_identity())
        kept = self.store.list_drafts()
        editors = self.store.editor_drafts()
        tickets = app.desk.drafts_tickets(draft.number for draft in kept) if kept else {}
        now = app.clock()
        dated: list[tuple[datetime, Pick]] = []
        for draft in kept:
            ticket = tickets[draft.number]
            subject = clean(ticket.row.subject, single_line=True) if ticket.row else ""
            detail = " · ".join(
                part
                for part in (
                    relative(draft.saved_at, now),
                    ticket.note_for(draft.ticket),
                    draft.preview,
                )
                if part
            )
            title = TICKET_TITLES[draft.kind].format(number=draft.number)
            pick = Pick(draft_value(draft), f"{title}: {subject}", detail)
            dated.append((draft.saved_at, pick))
        for editor in editors:
            when = relative(editor.saved_at, now)
            if editor.unclaimed:
                when += " · " + unclaimed_note(editor.kind, editor.item)
            elif editor.item is not None and (
                app.desk.editor_draft_key(editor.kind, editor.item) != editor.key
            ):
                when += " · " + stranger_note(editor.kind, editor.item)
            pick = Pick(draft_value(editor), editor_draft_title(editor), when)
            dated.append((editor.saved_at, pick))
        dated.sort(key=lambda item: item[0], reverse=True)  # (stable: ties keep their order)
        self.post_message(self.Listed([pick for _, pick in dated]))

    def on_drafts_screen_listed(self, message: Listed) -> None:
        self.picks = message.picks
        hint = HINT if message.picks else "You have no drafts: nothing unsent is waiting"
        self.query_one("#picker-hint", Static).update(Text(hint))
        self._refill(self.query_one("#picker-input", Input).value.strip())

    def action_discard(self) -> None:
        """Discard the highlighted draft, once the agent says so (Esc keeps it)."""
        from helpdesk_tui.screens.confirm import Choice, ChoiceScreen

        highlighted = self.options.highlighted
        if highlighted is None:
            return
        value = self.options.get_option_at_index(highlighted).id or ""
        ref = parse_draft_value(value)
        if ref is None:
            return
        if open_in_editor(self.app, ref):
            self.notify(
                f"{describe(ref).capitalize()} is open in its editor: close it there",
                severity="warning",
                markup=False,
            )
            return
        label = next((pick.label for pick in self.picks if pick.value == value), "")
        question = Text("Discard this draft? Its text is gone for good.\n")
        question.append(clean(label, single_line=True), "bold")

        def chosen(answer: str | None) -> None:
            if answer == "discard":
                self._discard(ref)

        choices = [Choice("d", "Discard it", "discard")]
        self.app.push_screen(
            ChoiceScreen(question, choices, cancel_label="Keep it", id="discard-draft"), chosen
        )

    def _discard(self, ref: DraftRef) -> None:
        if self.store is None:
            return  # (not listed yet)
        if isinstance(ref, TicketDraftRef):
            self.store.delete(ref.number, ref.kind, ref.ticket)
        else:
            self.store.delete_editor_draft(ref.kind, ref.item, ref.key, unclaimed=ref.unclaimed)
        self.notify(f"Discarded {describe(ref)}", timeout=3, markup=False)
        self._list()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.post_message(WorkerFailed(event.worker))
