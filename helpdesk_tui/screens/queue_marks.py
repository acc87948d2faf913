"""The queue's marks: rows marked (space, ``*``) and one change made to all of them.

Marks are kept by ticket number with the version of the ticket last shown, so they
survive live refreshes and paging (a marked row scrolled out of the window stays marked).
With marks, the ticket screen's field keys (s a m T p y C t, e E O, ctrl+g) act on every
marked ticket:
the value is picked once, one confirmation names the count, and the desk changes each
ticket by its one writer, at the version the agent saw (``Desk.tickets_change``, the rule
the CLI's ``ticket status -`` follows too), in a worker. The result is one line ("12
changed; 2 not: #45 changed meanwhile, #51 is closed"); the changed tickets lose their
marks, a refused one keeps its mark so the agent can look at it; Esc clears the marks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from textual import work
from textual.binding import Binding, BindingType
from textual.message import Message

from helpdesk_tui.desk.batch import BatchResult, Field, FieldChange, Target
from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.kinds import Priority, Status, TicketType
from helpdesk_tui.desk.statuses import asks_before, may_reopen, takes_from, words
from helpdesk_tui.safe_text import clean
from helpdesk_tui.screens.base import DeskScreen, key_shown

if TYPE_CHECKING:
    from helpdesk_tui.desk.canned_reads import MacroView
    from helpdesk_tui.desk.queue_values import TicketRow
    from helpdesk_tui.screens.pickers import Pick, PromptScreen
    from helpdesk_tui.widgets.queue_table import QueueTable

BULK_KEYS: tuple[tuple[str, str, str, bool], ...] = (
    # (key, what, footer word, shown in the footer): the ticket screen's keys for these
    ("s", "status", "Status", True),
    ("a", "assign", "Assign", True),
    ("m", "mine", "Mine", False),
    ("T", "team", "Team", False),
    ("p", "priority", "Priority", False),
    ("y", "type", "Type", False),
    ("C", "category", "Category", False),
    ("t", "tags", "Tags", False),
    ("e", "escalate", "Escalate", False),
    ("E", "deescalate", "De-escalate", False),
    ("O", "reopen", "Reopen", False),
    ("ctrl+g", "macro", "Macro", False),
)

_BULK = {
    what: Binding(key, f"bulk('{what}')", title, show=show, id=f"queue.marked_{what}")
    for key, what, title, show in BULK_KEYS
}
MARK_BINDINGS: list[BindingType] = [
    *(binding for what, binding in _BULK.items() if what != "status"),
    Binding("space", "mark", "Mark", show=False, id="queue.mark"),
    Binding("asterisk", "mark_all", "Mark all", show=False, id="queue.mark_all"),
]
"""First among the queue's bindings: with marks, Assign leads the footer; without, none of
the field keys does anything (``check_action``)."""
STATUS_BINDING = _BULK["status"]
"""s, right after the queue's s (Sort): with marks, s is the marked tickets' status, shown
in Sort's place in the footer; without, Sort."""

HELP: dict[str, str] = {
    "queue.mark": "Mark or unmark",  # (and the keys that act on marks: ``mark_help``)
    "queue.mark_all": "Mark every row shown, or clear the marks",
    **{f"queue.marked_{what}": f"{title} of the marked tickets" for _, what, title, _ in BULK_KEYS},
    "queue.marked_mine": "Assign the marked tickets to me",
    "queue.marked_assign": "Assign the marked tickets to an agent",
    "queue.marked_team": "Hand the marked tickets to a team",
    "queue.marked_escalate": "Escalate the marked tickets (one tier up)",
    "queue.marked_deescalate": "De-escalate the marked tickets (one tier down)",
    "queue.marked_reopen": "Reopen the marked closed tickets, saying why",
    "queue.marked_macro": "Apply a macro (fields, a note) to the marked tickets",
}

LEAVE_DRAFTS = frozenset({Status.RESOLVED, Status.CLOSED})
"""Statuses the marked tickets' question names the agent's own drafts on them for: they
stay, as on one ticket closed (its question says so), to be sent or thrown away later."""


def parse_tags(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """ "vip -old" → (("vip",), ("old",)): words to add, and those with a "-" to remove."""
    words_ = text.replace(",", " ").split()
    add = tuple(w for w in words_ if not w.startswith("-"))
    remove = tuple(w[1:] for w in words_ if w.startswith("-") and len(w) > 1)
    return add, remove


class QueueMarks(DeskScreen):
    """The queue screen's marks and bulk changes (``QueueScreen`` is one)."""

    if TYPE_CHECKING:  # (the queue screen's, which these use)
        _rows: list[TicketRow]

        @property
        def table(self) -> QueueTable: ...

        def _show_bars(self) -> None: ...

        def refresh_now(self) -> None: ...

    class Picks(Message):
        """Agents or teams to pick from, read in a worker."""

        def __init__(self, what: str, picks: list[Pick]) -> None:
            super().__init__()
            self.what = what
            self.picks = picks

    class BulkDone(Message):
        """The desk's answer to a change of the marked tickets."""

        def __init__(self, result: BatchResult) -> None:
            super().__init__()
            self.result = result

    def _marks_init(self) -> None:
        self._marks: dict[int, int | None] = {}
        """Marked tickets → the version last shown (None: never shown here)."""

    @property
    def marked(self) -> list[int]:
        return list(self._marks)

    def _marks_seen(self, rows: Sequence[TicketRow]) -> None:
        """Rows shown now: the marked ones' versions are the ones the agent sees."""
        for row in rows:
            if row.number in self._marks:
                self._marks[row.number] = row.version

    def _marks_changed(self) -> None:
        self.table.set_marked(self._marks)
        self._show_bars()
        self.refresh_bindings()

    def action_mark(self) -> None:
        number = self.table.current_number
        if number is None:
            return
        if number in self._marks:
            del self._marks[number]
        else:
            row = next((r for r in self._rows if r.number == number), None)
            self._marks[number] = row.version if row is not None else None
        self._marks_changed()
        self.table.action_cursor_down()

    def _key_of(self, ident: str) -> str:
        """The key bound to binding ``ident`` on this screen, as shown ("s", "^g"): what
        the keymap made of it, never a key written here."""
        return key_shown(self, ident)

    def mark_help(self) -> str:
        """What ``?`` says the mark key does, with every key that then acts on all the
        marked tickets, from their bindings (``BULK_KEYS``)."""
        keys = " ".join(
            filter(None, (self._key_of(f"queue.marked_{w}") for _, w, _, _ in BULK_KEYS))
        )
        clear = self._key_of("queue.clear")
        return f"{HELP['queue.mark']} (then {keys}: all marked; {clear} clears)"

    def marks_said(self) -> str:
        """The status line's word on the marks: how many, and what s (the status, where it
        sorts without marks) and Esc do to them now."""
        status, clear = self._key_of("queue.marked_status"), self._key_of("queue.clear")
        return f"{len(self._marks)} marked ({status}: their status, {clear} clears)"

    def clear_marks(self) -> bool:
        """Esc with marks: they go, in one line; False when there were none."""
        count = len(self._marks)
        if not count:
            return False
        self._marks.clear()
        self._marks_changed()
        self.notify(f"Marks cleared ({count})", markup=False)
        return True

    def action_mark_all(self) -> None:
        if self._marks:
            self._marks.clear()
        else:
            self._marks = {row.number: row.version for row in self._rows}
        self._marks_changed()

    def action_bulk(self, what: str) -> None:
        from helpdesk_tui.screens.pickers import Pick, PromptScreen  # (not at first paint)

        if not self._marks:
            return
        tickets = _count(len(self._marks))
        if what == "mine":
            actor = self.desk_app.actor
            theirs = [
                f"#{row.number} is {holder}'s"
                for row in self._rows
                if row.number in self._marks and (holder := takes_from(row.assignee, actor))
            ]
            if len(theirs) > 3:
                theirs[3:] = [f"{len(theirs) - 3} more a colleague's"]
            asked = f"Take {tickets}?" + (f" ({', '.join(theirs)})" if theirs else "")
            self._bulk_confirm(FieldChange("assign", actor.name), asked)
        elif what in ("assign", "team"):
            self._bulk_picks(what)
        elif what == "status":
            picks = [
                Pick(s.value, words(s.value), "asks first" if asks_before(s) else "")
                for s in Status
                if s is not Status.NEW
            ]
            self._bulk_pick("status", f"Status of {tickets}", picks)
        elif what == "priority":
            picks = [Pick(p.value, p.value) for p in reversed(Priority)]
            self._bulk_pick("priority", f"Priority of {tickets}", picks)
        elif what == "type":
            picks = [Pick(t.value, words(t.value)) for t in TicketType]
            self._bulk_pick("type", f"Type of {tickets}", picks)
        elif what == "category":
            self._bulk_prompt(
                PromptScreen(f"Category of {tickets}", hint="Empty clears it"),
                lambda value: FieldChange("category", value.strip()),
            )
        elif what == "tags":
            self._bulk_prompt(
                PromptScreen(f"Tags of {tickets}", hint="vip adds the tag vip; -vip removes it"),
                _tags,
            )
        elif what in ("escalate", "deescalate"):
            change = FieldChange("escalate" if what == "escalate" else "deescalate")
            self._bulk_confirm(change, question(change, len(self._marks), ""))
        elif what == "reopen":
            if not may_reopen(self.desk_app.actor):
                self.notify(
                    "Only a supervisor or an admin can reopen tickets",
                    severity="warning",
                    markup=False,
                )
                return
            self._bulk_prompt(
                PromptScreen(
                    f"Reopen {tickets}: why?", hint="The reason is kept in each ticket's history"
                ),
                lambda reason: FieldChange("reopen", reason.strip()) if reason.strip() else None,
            )
        elif what == "macro":
            self._bulk_macro()

    def _bulk_pick(self, field: Field, title: str, picks: list[Pick]) -> None:
        from helpdesk_tui.screens.pickers import PickScreen

        def picked(value: str | None) -> None:
            if value:
                label = next((p.label for p in picks if p.value == value), value)
                change = FieldChange(field, value)
                asked = question(change, len(self._marks), label)
                if field == "status" and Status(value) in LEAVE_DRAFTS:
                    self._bulk_drafts_then_ask(change, asked, list(self._marks))
                else:
                    self._bulk_confirm(change, asked)

        self.app.push_screen(PickScreen(title, picks), picked)

    def _bulk_prompt(self, screen: PromptScreen, make: Callable[[str], FieldChange | None]) -> None:
        def typed(value: str | None) -> None:
            change = make(value) if value is not None else None
            if change is not None:
                self._bulk_confirm(change, question(change, len(self._marks), change.value))

        self.app.push_screen(screen, typed)

    @work(thread=True, group="queue-bulk-picks", exit_on_error=False)
    def _bulk_drafts_then_ask(self, change: FieldChange, asked: str, numbers: list[int]) -> None:
        """Resolving or closing: the question names the marked tickets that have a draft of
        this agent's (on that very ticket), which stays."""
        from helpdesk_tui.drafts import DRAFT_KINDS, DraftStore, ticket_key

        store = DraftStore(desk=self.desk.desk_identity())
        drafts = [d for d in store.list_drafts() if d.number in numbers and d.ticket]
        tickets = self.desk.drafts_tickets({d.number for d in drafts}) if drafts else {}
        kept: dict[int, list[str]] = {}
        for draft in sorted(
            drafts, key=lambda d: (numbers.index(d.number), DRAFT_KINDS.index(d.kind))
        ):
            row = tickets[draft.number].row
            if row is not None and ticket_key(row.id, row.created_at) == draft.ticket:
                kept.setdefault(draft.number, []).append(draft.kind)
        if kept:
            asked += "\n" + drafts_line(kept)
        self.app.call_from_thread(self._bulk_confirm, change, asked)

    @work(thread=True, group="queue-bulk-picks", exit_on_error=False)
    def _bulk_picks(self, what: str) -> None:
        from helpdesk_tui.screens.pickers import Pick, agent_pick

        if what == "assign":
            picks = [
                agent_pick(agent.login, agent.name, agent.teams)
                for agent in self.desk.agents_list(active_only=True)
            ]
        else:
            picks = [Pick(t.name, t.name, t.description) for t in self.desk.teams_list()]
        self.post_message(QueueMarks.Picks(what, picks))

    def _bulk_picked(self, what: str, picks: list[Pick]) -> None:
        tickets = _count(len(self._marks))
        if not self._marks:
            return
        if what == "assign":
            self._bulk_pick("assign", f"Assign {tickets} to", picks)
        else:
            self._bulk_pick("team", f"Hand {tickets} to team", picks)

    def _bulk_macro(self) -> None:
        """A macro on every marked ticket: one that changes fields or writes a note (the
        same note on each), applied to each by the desk's macro writer; one with a reply is
        refused in one line, by the desk's rule (``MacroView.bulk_refusal``): no reply goes
        out on a ticket whose mail is unread. The desk applies the macro as asked about:
        one changed or deleted since is refused in the summary line."""
        from helpdesk_tui.screens.canned_picker import MarkedMacroPickScreen

        def chosen(macro: MacroView | None) -> None:
            if macro is None or not self._marks:
                return
            refusal = macro.bulk_refusal
            if refusal:
                self.notify(
                    clean(refusal), title="Marked tickets", severity="warning", markup=False
                )
                return
            desk_name = self.desk_app.settings.desk_name
            asked = (
                f"Apply macro {macro.name} to {_count(len(self._marks))}? "
                f"({', '.join(macro.changes())})"
            )
            self._bulk_ask(
                asked, lambda targets: self.desk.tickets_macro(targets, macro, desk_name=desk_name)
            )

        self.app.push_screen(MarkedMacroPickScreen(len(self._marks)), chosen)

    def _bulk_confirm(self, change: FieldChange, asked: str) -> None:
        self._bulk_ask(asked, lambda targets: self.desk.tickets_change(targets, change))

    def _bulk_ask(self, asked: str, write: Callable[[list[Target]], BatchResult]) -> None:
        """One question naming the count, then the change of each marked ticket at the
        version shown as the question is asked: a ticket someone else changes while it is
        read is refused ("changed meanwhile"), never overwritten."""
        from helpdesk_tui.screens.confirm import confirm

        targets = [Target(number, version) for number, version in self._marks.items()]

        def answered(answer: str | None) -> None:
            if answer == "yes" and targets:
                self._bulk_write(targets, write)

        self.app.push_screen(confirm(clean(asked), yes="Change them"), answered)

    @work(thread=True, group="queue-bulk", exit_on_error=False)
    def _bulk_write(
        self, targets: list[Target], write: Callable[[list[Target]], BatchResult]
    ) -> None:
        try:
            result = write(targets)
        except DeskError as refused:  # (before any ticket: said as the summary, not a failure)
            result = BatchResult.nothing(str(refused))
        self.post_message(QueueMarks.BulkDone(result))

    def _bulk_done(self, result: BatchResult) -> None:
        """One line for all; the changed (and deleted) tickets unmarked, the refused ones
        kept marked for the agent to look at."""
        for outcome in result.outcomes:
            if not outcome.refused and outcome.number is not None:
                self._marks.pop(outcome.number, None)
        self._marks_changed()
        self.notify(
            result.summary(),
            title="Marked tickets",
            severity="warning" if result.refused or result.refusal else "information",
            markup=False,
        )
        self.refresh_now()


def _count(count: int) -> str:
    return f"{count} marked ticket{'s' if count != 1 else ''}"


def _tickets(numbers: Sequence[int]) -> str:
    """ "#12", "#12 and #40", "#12, #40, #41 and 2 more"."""
    named = [f"#{n}" for n in numbers[:3]]
    if len(numbers) > 3:
        named.append(f"{len(numbers) - 3} more")
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


def drafts_line(kept: Mapping[int, Sequence[str]]) -> str:
    """The marked tickets with drafts of the agent's, by kind: "#12 and #40 have a reply
    draft of yours; it stays (ctrl+p, Drafts)." (as one ticket's close says them kept)."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for number, kinds in kept.items():
        groups.setdefault(tuple(kinds), []).append(number)
    said = []
    for kinds, numbers in groups.items():
        verb = "has" if len(numbers) == 1 else "have"
        what = f"a {kinds[0]} draft" if len(kinds) == 1 else f"{' and '.join(kinds)} drafts"
        said.append(f"{_tickets(numbers)} {verb} {what} of yours")
    stays = "it stays" if sum(len(kinds) for kinds in kept.values()) == 1 else "they stay"
    return f"{'; '.join(said)}; {stays} (ctrl+p, Drafts)."


def _tags(value: str) -> FieldChange | None:
    add, remove = parse_tags(value)
    return FieldChange("tags", add=add, remove=remove) if add or remove else None


def question(change: FieldChange, count: int, label: str) -> str:
    """The confirmation: what changes, on how many ("Set the priority of 3 marked tickets
    to high?"); closing says it is final."""
    tickets = _count(count)
    field, value = change.field, label
    if field == "assign":
        return f"Assign {tickets} to {value}?"
    if field == "team":
        return f"Hand {tickets} to {value}?"
    if field == "tags":
        said = " ".join([f"+{t}" for t in change.add] + [f"-{t}" for t in change.remove])
        return f"Tags {said} on {tickets}?"
    if field == "escalate":
        return f"Escalate {tickets}, each one support tier up?"
    if field == "deescalate":
        return f"De-escalate {tickets}, each one support tier down?"
    if field == "reopen":
        return f"Reopen {tickets}? (why: {change.value})"
    if field == "category" and not change.value:
        return f"Clear the category of {tickets}?"
    asked = f"Set the {field} of {tickets} to {value}?"
    if field == "status" and asks_before(Status(change.value)):
        asked += " A closed ticket takes no replies; only a supervisor or an admin can reopen it."
    return asked
