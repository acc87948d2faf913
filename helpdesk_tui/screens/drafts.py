"""Your kept drafts: every reply, note and call log started and not yet sent or discarded.

Drafts are files of this agent's own (``helpdesk_tui.drafts``); the tickets they belong to
are read from the desk, so a draft on a closed or merged ticket says so instead of being
stranded out of sight. Enter opens the ticket with the draft in the composer.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from helpdesk_tui.app_access import desk_app
from helpdesk_tui.drafts import DRAFT_KINDS, Draft, DraftKind, DraftStore
from helpdesk_tui.messages import WorkerFailed
from helpdesk_tui.safe_text import clean
from helpdesk_tui.screens.pickers import Pick, PickScreen
from helpdesk_tui.timefmt import relative


def draft_value(draft: Draft) -> str:
    return f"{draft.number}:{draft.kind}"


def parse_draft_value(value: str) -> tuple[int, DraftKind] | None:
    """``12:reply`` → (12, "reply"); anything else (typed text) → None."""
    number, _, kind = value.partition(":")
    for known in DRAFT_KINDS:
        if kind == known and number.isdigit():
            return int(number), known
    return None


class DraftsScreen(PickScreen):
    """Pick a draft by typing a few letters of its ticket; dismisses with ``number:kind``."""

    class Listed(Message):
        def __init__(self, picks: list[Pick]) -> None:
            super().__init__()
            self.picks = picks

    def __init__(self, store: DraftStore | None = None) -> None:
        super().__init__("Your drafts", [], hint="Reading your drafts…")
        self.store = store or DraftStore()

    def on_mount(self) -> None:
        self._list()

    @work(thread=True, exclusive=True, group="drafts", exit_on_error=False)
    def _list(self) -> None:
        kept = self.store.list_drafts()
        app = desk_app(self)
        tickets = app.desk.drafts_tickets(draft.number for draft in kept)
        now = app.clock()
        picks: list[Pick] = []
        for draft in kept:
            ticket = tickets[draft.number]
            subject = clean(ticket.row.subject, single_line=True) if ticket.row else ""
            detail = " · ".join(
                part for part in (relative(draft.saved_at, now), ticket.note, draft.preview) if part
            )
            picks.append(
                Pick(draft_value(draft), f"#{draft.number} {draft.kind}: {subject}", detail)
            )
        self.post_message(self.Listed(picks))

    def on_drafts_screen_listed(self, message: Listed) -> None:
        self.picks = message.picks
        count = len(message.picks)
        hint = (
            "Enter opens the draft in its ticket's composer"
            if count
            else "You have no drafts: nothing unsent is waiting"
        )
        self.query_one("#picker-hint", Static).update(Text(hint))
        self._refill("")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.post_message(WorkerFailed(event.worker))
