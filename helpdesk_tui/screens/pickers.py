"""Pick one thing by typing a few letters: an agent, a team, a status, a ticket.

``PickScreen`` filters a fixed list fuzzily (``textual.fuzzy`` for the score; the match is
highlighted in a ``Text``, never through markup, because labels are outside text).
``TicketPickScreen`` finds tickets by number or by searching the desk. ``PromptScreen``
asks for one line of text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.fuzzy import FuzzySearch
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from helpdesk_tui.desk.queries import TicketRow
from helpdesk_tui.desk.statuses import words
from helpdesk_tui.safe_text import clean, plain
from helpdesk_tui.screens.base import DeskModal
from helpdesk_tui.screens.key_order import ListedFor
from helpdesk_tui.widgets.key_footer import KeyFooter

ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class Pick:
    """One choice: ``value`` is returned, ``label`` (outside text allowed) is shown."""

    value: str
    label: str
    detail: str = ""


def agent_pick(login: str, name: str, teams: Sequence[str]) -> Pick:
    """An agent by login, with their name (when it says more than the login) and teams."""
    shown = [part for part in (name if name != login else "", ", ".join(teams)) if part]
    return Pick(login, login, " · ".join(shown))


def highlight(label: str, query: str, search: FuzzySearch) -> Text:
    """``label`` as plain text with the characters that match ``query`` underlined."""
    label = clean(label, single_line=True)
    text = Text(label)
    if query:
        _score, offsets = search.match(query, label)
        for offset in offsets:
            text.stylize("bold underline", offset, offset + 1)
    return text


class ListModal(DeskModal[ResultT]):
    """A modal whose keys move through its one ``OptionList``; Esc gives nothing back.

    The key bindings stay with each subclass (their ids are what a keymap names)."""

    @property
    def options(self) -> OptionList:
        return self.query_one(OptionList)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def when_listed(self, act: Callable[[], None]) -> None:
        """``act`` on the list of the words typed: now, as the list is filled as they are
        typed; a list looked up in a worker waits for it (``key_order.ListedFor``)."""
        act()

    def action_move(self, step: int) -> None:
        self.when_listed(partial(self._move, step))

    def _move(self, step: int) -> None:
        options = self.options
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -step
            options.highlighted = (current + step) % options.option_count


class _Picker(ListModal[str | None]):
    CSS_PATH = "pickers.tcss"
    DEFAULT_CLASSES = "overlay"

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "move(1)", "Down", show=False, id="picker.down", priority=True),
        Binding("up", "move(-1)", "Up", show=False, id="picker.up", priority=True),
    ]

    def __init__(self, title: str, *, hint: str = "", value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.hint = hint
        self.initial = value

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(Text(self.title_text), id="picker-title")
            yield Input(value=self.initial, id="picker-input", select_on_focus=False)
            yield OptionList(id="picker-options")
            if self.hint:
                yield Static(Text(self.hint), id="picker-hint")
        yield KeyFooter(show_command_palette=False)  # (its keys, not the screen's below)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class PickScreen(_Picker):
    """Choose from a list by typing; Enter takes the highlighted one.

    With ``allow_new`` the typed text itself may be chosen when nothing matches it exactly
    (a new category, say).
    """

    def __init__(
        self,
        title: str,
        picks: Sequence[Pick],
        *,
        allow_new: bool = False,
        hint: str = "",
        current: str | None = None,
    ) -> None:
        super().__init__(title, hint=hint)
        self.picks = list(picks)
        self.allow_new = allow_new
        self.current = current
        self._search = FuzzySearch()

    def on_mount(self) -> None:
        self._refill("")

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self._refill(event.value.strip())

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        highlighted = self.options.highlighted
        if highlighted is not None:
            option = self.options.get_option_at_index(highlighted)
            self.dismiss(option.id)
        elif self.allow_new and event.value.strip():
            self.dismiss(event.value.strip())

    def _refill(self, query: str) -> None:
        scored: list[tuple[float, int, Pick]] = []
        for index, pick in enumerate(self.picks):
            if not query:
                scored.append((0.0, index, pick))
                continue
            score, _ = self._search.match(query, clean(pick.label, single_line=True))
            if score > 0:
                scored.append((-score, index, pick))
        scored.sort(key=lambda item: (item[0], item[1]))
        options: list[Option] = []
        for _, _, pick in scored:
            label = highlight(pick.label, query, self._search)
            if pick.detail:
                label.append(f"  {clean(pick.detail, single_line=True)}", "dim")
            if pick.value == self.current:
                label.append("  (now)", "dim")
            options.append(Option(label, id=pick.value))
        exact = any(p.value == query or p.label == query for p in self.picks)
        if self.allow_new and query and not exact:
            options.append(Option(Text.assemble(("new: ", "dim"), plain(query)), id=query))
        self.options.clear_options()
        self.options.add_options(options)
        if options:
            # Nothing typed: the cursor starts on the value the ticket has, so ↑/↓ move from
            # it (one priority up is one key); typing starts at the best match.
            ids = [option.id for option in options]
            start = ids.index(self.current) if not query and self.current in ids else 0
            self.options.highlighted = start


class PromptScreen(_Picker):
    """Ask for one line of text; Enter answers (an empty answer is allowed).

    ``typed`` is the line as it is now, also after Esc: the screen that asked may keep it
    for the next time it asks (``TicketScreen._pick_then``)."""

    def __init__(self, title: str, *, hint: str = "", value: str = "") -> None:
        super().__init__(title, hint=hint, value=value)
        self.typed = value

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.typed = event.value

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


Finder = Callable[[str], list[TicketRow]]


SUBJECT_CELLS = 100
"""The most a subject takes of a ticket's label, about two lines of the picker: a subject
may be 500 characters, which took ten lines of it and hid the others at 80x24."""


def _ticket_label(row: TicketRow) -> Text:
    """``#12 open Printer on fire`` and, dimmed, who asked (so a merge sees the requester)."""
    subject = plain(row.subject)
    subject.truncate(SUBJECT_CELLS, overflow="ellipsis")
    label = Text.assemble((f"#{row.number} ", "bold"), (f"{words(row.status)} ", "dim"), subject)
    label.append("  ")
    label.append_text(plain(row.requester_email or row.requester_name or "no requester", "dim"))
    return label


class TicketPickScreen(_Picker):
    """Find a ticket by ``#number`` or by words of its subject and messages.

    ``find`` runs in a worker thread (it reads the database); it is given the typed text.
    """

    class Found(Message):
        def __init__(self, query: str, rows: list[TicketRow]) -> None:
            super().__init__()
            self.query = query
            self.rows = rows

    def __init__(self, title: str, find: Finder, *, exclude: int | None = None) -> None:
        super().__init__(title, hint="Type a number (#1042) or words to search")
        self.find = find
        self.exclude = exclude
        self.listed = ListedFor()

    def on_mount(self) -> None:
        self._lookup("")

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self._lookup(event.value.strip())

    def when_listed(self, act: Callable[[], None]) -> None:
        self.listed.when_listed(self.query_one(Input).value.strip(), act)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.when_listed(self._choose_highlighted)

    def _choose_highlighted(self) -> None:
        highlighted = self.options.highlighted
        if highlighted is not None:
            self.dismiss(self.options.get_option_at_index(highlighted).id)

    @work(thread=True, exclusive=True, group="ticket-pick", exit_on_error=False)
    def _lookup(self, query: str) -> None:
        self.post_message(self.Found(query, self.find(query)))

    def on_ticket_pick_screen_found(self, message: Found) -> None:
        if message.query != self.query_one(Input).value.strip():
            return
        options = [
            Option(_ticket_label(row), id=str(row.number))
            for row in message.rows
            if row.number != self.exclude
        ]
        self.options.clear_options()
        self.options.add_options(options)
        if options:
            self.options.highlighted = 0
        self.listed.listed(message.query)
