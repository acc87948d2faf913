"""The queue: the landing screen, a live, keyset-paged list of tickets.

The screen keeps a *window* of at most ``MAX_WINDOW`` rows around the cursor. A key that
shows a list reads its first page (g/G the first or the last, the last with a reversed
query) of ``FIRST_SCREENS`` screens of rows, what it shows and the next PageDown's; moving
within a screen of either end of the window reads the next (or previous) ``PAGE`` by key.
Every second a watcher asks whether anything changed since the last read (``queue_watch``),
and so does coming back from another screen; only then does the screen check the desk's
change mark (``desk.queue.change_mark``: one small indexed read) and re-read the window (the
page and its rows in one statement, and presence if anyone is on a ticket; presence alone
when only presence changed), so changes made elsewhere show without a key press, with the
cursor kept on the same ticket, and an idle queue costs next to nothing.

All reads run in thread workers; each carries a request number and only the answer to the
newest request is used, so a slow answer can never overwrite a newer one.

At start the desk may still be opening (``HelpdeskApp.live``): the screen then shows the
first page as this user last saw it (``queue_cache``), marked "as of HH:MM, loading…", or
"Loading…"; keys that change the list wait for the desk (the newest one wins), and the
live page replaces the kept one as soon as it is read. The live first page of the view the
queue lands on is kept again for the next start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import var
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.queue_values import (
    SORT_ORDER,
    ChangeMark,
    OnTicket,
    PageKind,
    Position,
    QueueCheck,
    QueueQuery,
    QueueWindow,
    TicketFilter,
    TicketRow,
)
from helpdesk_tui.desk.values import number_in
from helpdesk_tui.desk.views import View
from helpdesk_tui.messages import OpenTicket
from helpdesk_tui.safe_text import clean, plain
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.screens.frames import KeyFrames
from helpdesk_tui.screens.queue_marks import HELP as MARK_HELP
from helpdesk_tui.screens.queue_marks import MARK_BINDINGS, STATUS_BINDING, QueueMarks
from helpdesk_tui.screens.queue_watch import QueueWatch
from helpdesk_tui.timefmt import clock_time
from helpdesk_tui.widgets.desk_header import DeskHeader
from helpdesk_tui.widgets.key_footer import KeyFooter
from helpdesk_tui.widgets.mail_indicator import MailIndicator
from helpdesk_tui.widgets.outage import outage_text
from helpdesk_tui.widgets.queue_table import QueueTable

if TYPE_CHECKING:
    from helpdesk_tui.screens.queue_filter import QueueFilterScreen

PAGE = 100
"""Rows read at a time beyond either end of the window, as the cursor comes near it."""
MAX_WINDOW = 3 * PAGE
"""Rows kept around the cursor; the far end is dropped beyond this (more on a terminal taller
than a ``PAGE``: ``_max_window``)."""
FIRST_SCREENS = 2
"""A list's first (or last) page holds this many screens of rows (a screen: the terminal's
height, more than the table shows): the rows its key shows and the next PageDown's (or
PageUp's). The cursor coming within a screen of the window's end reads the next ``PAGE``,
one PageDown before its rows are needed. (A first page of ``PAGE`` rows at 1M tickets read
and made 100 rows where a view of a few at 1k read a few: ≈ 1 ms of each filter's key.)"""
REFRESH_SECONDS = 1.0
RETRY_SECONDS = 5.0
"""After a failed read (database away), before trying again."""
BARS_WAIT_SECONDS = 0.15
"""How long a key's new view bar, status line and sort arrow wait for its rows, to be
drawn with them: one frame for the key, not one for the bars and one for the rows."""

LoadKind = Literal["first", "last", "after", "before", "refresh"]


@dataclass(frozen=True)
class Load:
    """One read of the queue: which page, from where."""

    kind: LoadKind
    start: Position | None
    limit: int

    @property
    def page_kind(self) -> PageKind:
        """The desk's name for this page (a refresh re-reads the window from its start)."""
        return "from" if self.kind == "refresh" else self.kind


def empty_text(
    *,
    new_desk: bool,
    keys: str,
    where: str,
    command: str = "helpdesk",
    mail_problem: str | None = None,
    mail_to: str | None = None,
) -> Text:
    """What an empty queue says: another view may have tickets, unless the desk has none
    (then how tickets come, by ``command``: how this user calls the program). With
    ``mail_problem`` (mail is set up but refused to start: the settings' one line), what is
    wrong and how to fix it, where it said mail makes tickets once it is set up. With
    ``mail_to`` (mailboxes are read: the desk's address), that mail to it opens tickets —
    a desk whose mail ran said "once [mail] is set up" too, as if it were not."""
    if not new_desk:
        return Text(f"No tickets here. Try another view (keys {keys}) or clear the filter (Esc).")
    text = Text()
    text.append("This desk has no tickets yet.", "bold")
    command = clean(command, single_line=True)
    if mail_problem:
        text.append("\n\nMail is set up but does not start: ")
        text.append_text(plain(mail_problem, style="bold"))
        text.append(
            f"\nFix it in the config file ({command} config show names it), then:"
            f"\n  {command} mail check"
        )
    elif mail_to:
        text.append("\n\nMail to ")
        text.append_text(plain(mail_to))
        text.append(f" opens tickets (@ shows the mailboxes; {command} mail check).")
    else:
        text.append(f"\n\nMail makes tickets once [mail] is set up:\n  {command} mail check")
    text.append(  # (each command on a line of its own: a long path wrapped them mid-way)
        "\nBy hand:"
        f"\n  {command} ticket new --subject 'Printer on fire'"
        "\nTo try it, made-up tickets:"
        f"\n  {command} demo --tickets 1000"
        "\n\nExpected your team's tickets? This terminal opened\n  "
    )
    text.append_text(plain(where))
    text.append(f"\nand a team's desk is set by database_url ({command} config show).")
    return text


SETTINGS_FOOTER = "Desk"
"""D's word in the footer, where "Desk settings" (the key help's) does not fit 80 columns
beside the queue's other keys; ``key_description`` names it whole."""

FOLLOW_UPS_COMMAND = "Ratings to follow up"
"""The palette's command that lists the tickets tagged follow-up by a rating."""


def follow_ups_text(count: int) -> str:
    """The start's one-line notice of the ratings waiting for a follow-up, on the header
    (the desk counts up to ``FOLLOW_UPS_COUNTED``); "d" marks one followed up on that list."""
    from helpdesk_tui.desk.satisfaction_service import FOLLOW_UPS_COUNTED  # (not at first paint)

    many = f"{count:,}+" if count >= FOLLOW_UPS_COUNTED else f"{count:,}"
    ratings = "rating" if count == 1 else "ratings"
    return f"{many} {ratings} to follow up: ^p {FOLLOW_UPS_COMMAND.split()[0]}"


VIEW_KEYS = "1234567890"
"""The keys of the first ten views, in order; the others are reached with v / V."""


def view_key(index: int) -> str:
    """The key that selects view ``index`` (0-based), or "" past the tenth."""
    return VIEW_KEYS[index] if index < len(VIEW_KEYS) else ""


def view_bar(titles: Sequence[str], current: int, width: int) -> Text:
    """Every view as a tab, its key and its title, the current one highlighted.

    Where the titles do not all fit ``width`` cells the bar overflows like a row of tabs
    scrolled to the current view: the current view keeps its title, then its neighbours,
    nearest first (right before left), as long as theirs fit; the others show their keys
    alone, dimmed, so every key stays in sight and a view's name shows as soon as the agent
    moves towards it (v, V or its key). Before that, while every title can keep
    ``MIN_TITLE`` cells, the longest titles are cut to "…" to make room, the current one's
    last (the seven built-in views at 80 columns: "Recent…", no bare "6"). Where even the
    keys do not all fit (some 25 views at 80 columns), the bar shows those around the
    current view, "…" for the rest.
    """
    if not titles:
        return Text()
    keys = [view_key(index) or "·" for index in range(len(titles))]
    names = [plain(title) for title in titles]
    room = width - sum(len(key) + 3 for key in keys)
    sizes = _title_sizes(names, current, room - names[current].cell_len, keep_current=True)
    sizes = sizes or _title_sizes(names, current, room, keep_current=False)
    for name, size in zip(names, sizes, strict=False):  # (none: no title cut)
        if name.cell_len > size:
            name.truncate(size, overflow="ellipsis")
    titled = {current}
    used = sum(len(key) + 2 for key in keys) + names[current].cell_len + 1
    for distance in range(1, len(titles)):
        for index in (current + distance, current - distance):
            if 0 <= index < len(titles) and used + names[index].cell_len + 1 <= width:
                titled.add(index)
                used += names[index].cell_len + 1
    tabs = []
    for index, (key, name) in enumerate(zip(keys, names, strict=True)):
        tab = Text()
        if index in titled:
            tab.append(f" {key} ", style="bold")
            if index == current:
                name.stylize("reverse bold")
            tab.append_text(name)
            tab.append(" ")
        else:
            tab.append(f" {key} ", style="dim")
        tabs.append(tab)
    first, last = _tabs_in_sight(tabs, current, width)
    bar = Text(no_wrap=True, overflow="ellipsis")
    if first > 0:
        bar.append("…", style="dim")
    for tab in tabs[first : last + 1]:
        bar.append_text(tab)
    if last < len(tabs) - 1:
        bar.append(" …", style="dim")
    return bar


MIN_TITLE = 6
"""The fewest cells a cut title keeps in the view bar, its "…" among them ("Recen…")."""


def _title_sizes(
    names: Sequence[Text], current: int, room: int, *, keep_current: bool
) -> list[int]:
    """The cells each title may take so that the titles (the current one's aside if
    ``keep_current``) fit ``room``: the longest cut to one size, a cell more for those
    nearest the current view while room is left; [] where a title would keep fewer than
    ``MIN_TITLE`` cells."""
    lengths = [name.cell_len for name in names]
    cut = [index for index in range(len(names)) if not (keep_current and index == current)]
    if sum(lengths[index] for index in cut) <= room:
        return lengths
    for cap in range(max(lengths[index] for index in cut), MIN_TITLE - 1, -1):
        sizes = [
            length if index not in cut else min(length, cap) for index, length in enumerate(lengths)
        ]
        spare = room - sum(sizes[index] for index in cut)
        if spare < 0:
            continue
        for index in sorted(cut, key=lambda index: abs(index - current)):
            if spare > 0 and sizes[index] < lengths[index]:
                sizes[index] += 1
                spare -= 1
        return sizes
    return []


def _tabs_in_sight(tabs: Sequence[Text], current: int, width: int) -> tuple[int, int]:
    """The first and last tab shown: all that fit ``width``, the current one among them,
    its neighbours nearest first (right before left), room kept for an "…" at each side."""
    if sum(tab.cell_len for tab in tabs) <= width:
        return 0, len(tabs) - 1
    first = last = current
    used = tabs[current].cell_len + 3  # ("…" before, " …" after)
    while True:
        grown = False
        for index in (last + 1, first - 1):
            if 0 <= index < len(tabs) and used + tabs[index].cell_len <= width:
                used += tabs[index].cell_len
                first, last = min(first, index), max(last, index)
                grown = True
        if not grown:
            return first, last


def _merge(old: list[TicketRow], new: list[TicketRow], *, at_end: bool) -> list[TicketRow]:
    """``new`` added after (or before) ``old``, skipping tickets already there (rows move)."""
    seen = {row.number for row in old}
    fresh = [row for row in new if row.number not in seen]
    return old + fresh if at_end else fresh + old


class QueueScreen(QueueMarks, KeyFrames, DeskScreen):
    """Tickets in the chosen view; Enter opens one."""

    CSS_PATH: ClassVar = [
        Path(__file__).with_name("queue.tcss"),
        # The filter form's, read with the queue's: a screen's first showing that reads new
        # CSS has Textual restyle every widget of the app (the first f took 2-3 times the next).
        Path(__file__).with_name("queue_filter.tcss"),
    ]
    AUTO_FOCUS: ClassVar[str | None] = "#queue-table"
    """(Not the search line above it, which is hidden.)"""
    BINDINGS: ClassVar[list[BindingType]] = [
        *MARK_BINDINGS,
        Binding("slash", "search", "Search", id="queue.search"),
        Binding("f", "filter", "Filter", id="queue.filter"),
        Binding("s", "next_sort", "Sort", id="queue.sort"),
        STATUS_BINDING,
        Binding("S", "reverse_sort", "Reverse sort", show=False, id="queue.reverse"),
        Binding("v", "next_view", "View", id="queue.next_view"),
        Binding("V", "previous_view", "Previous view", show=False, id="queue.previous_view"),
        Binding("g,home", "first", "First", show=False, id="queue.first"),
        Binding("G,end", "last", "Last", show=False, id="queue.last"),
        Binding("escape", "clear", "Clear marks, search/filter", show=False, id="queue.clear"),
        Binding("x", "take_next", "Take next", show=False, id="queue.take_next"),
        Binding("number_sign", "go_to", "Go to ticket #", show=False, id="queue.go_to"),
        Binding(
            "d",
            "followed_up",
            "Done",
            tooltip="Followed up: the rating's follow-up tag comes off (the ratings list)",
            id="queue.followed_up",
        ),
        Binding(
            "D",
            "app.desk_settings",
            SETTINGS_FOOTER,
            tooltip="Desk settings: SLA, calendars, tiers, routing, surveys",
            id="queue.settings",
        ),
        *(
            Binding(key, f"view({n})", f"View {n + 1}", show=False, id=f"queue.view{n + 1}")
            for n, key in enumerate(VIEW_KEYS)
        ),
    ]

    FOOTER_IF_ROOM: ClassVar[frozenset[str]] = frozenset({"queue.followed_up", "queue.settings"})
    """Drawn in the footer after Quit and Keys, where they leave room (80 columns do)."""

    class Loaded(Message):
        """A worker's answer: a page of rows and who is on them."""

        def __init__(self, request: int, load: Load, window: QueueWindow) -> None:
            super().__init__()
            self.request = request
            self.load = load
            self.window = window

    class Woken(Message):
        """The watcher saw that the desk may have changed (``queue_watch``)."""

    class Checked(Message):
        """A timer tick's answer: the desk's change mark now, and who is on which ticket
        (read only when presence alone changed)."""

        def __init__(self, request: int, check: QueueCheck) -> None:
            super().__init__()
            self.request = request
            self.check = check

    view: var[View] = var(lambda: View("", "", QueueQuery()), init=False)
    """The view chosen (keys 1 to 9, v, the palette); set in ``__init__`` to the first."""
    query_spec: var[QueueQuery] = var(QueueQuery, init=False, always_update=True)
    """What the list shows now: the view's query, or it searched, filtered or re-sorted.
    Setting it reads the first page again (even when it is the same query)."""

    def __init__(self) -> None:
        super().__init__()
        self.views: list[View] = self.desk_app.views
        self.set_reactive(QueueScreen.view, self.views[0])
        self.set_reactive(QueueScreen.query_spec, self.views[0].query)
        self._rows: list[TicketRow] = []
        self._on: dict[int, list[OnTicket]] = {}
        self._marks_init()
        self._at_start = True
        self._at_end = True
        self._request = 0
        self._pending: Load | None = None
        self._focus: int | None = None
        self._timer: Timer | None = None
        """A look put off after a failed read (``RETRY_SECONDS``)."""
        self._failing_since: datetime | None = None
        """When the first of the failed reads since the last one that worked failed (by the
        app's clock): the agent was told once, its retries' failures are not told again
        (one notice for an outage, not one every ``RETRY_SECONDS``), and the status line
        says so until a read works (``_answered``)."""
        self._watch: QueueWatch | None = None
        """The once-a-second look for changes, in its own thread (``queue_watch``)."""
        self._started = False
        """``on_mount`` has run: the first page is on its way."""
        self._new_desk = False
        """The last read found no rows and no ticket on the whole desk."""
        self._positions: dict[int, Position] = {}
        """Each shown row's place in the list's order (ticket number → position)."""
        self._follow_ups_told = False
        """Whether the header's line tells the ratings to follow up (``_follow_ups``)."""
        self._follow_ups_filter: TicketFilter | None = None
        """The follow-ups list's filter (``show_follow_ups``): while the list shown has it,
        ``d`` marks the row's rating followed up."""
        self._mark: ChangeMark | None = None
        """The desk's change mark when the rows shown were read."""
        self._ends: dict[str, tuple[QueueQuery, Load, QueueWindow]] = {}
        """The first and the last page as last read, with the query they were read for (and,
        in the window, the change mark they were read at): ``_show_ends``."""
        self._empty_says: tuple[bool | Literal["loading"], str | None] | None = None
        """Which text the empty line holds: ``_new_desk`` when it was written ("loading"
        while the desk is opened) and the mail problem it names; None yet."""
        self._first_answer = True
        """No page has come back yet: the first one decides whether "My open" is worth showing."""
        self._kept_as_of: datetime | None = None
        """The rows shown are the page kept from an earlier start, read at this time."""
        self._kept_view: View | None = None
        """The view whose kept page is shown (or was, before the agent chose another)."""
        self._filter_form: QueueFilterScreen | None = None
        """The filter form (f), built on first use and kept (installed) as long as the app
        runs, as the queue is."""
        self._held: ExitStack | None = None
        """Drawing held (``_hold_frames``) while a search's rows are read."""
        self._held_timer: Timer | None = None
        """Ends the hold if the rows are slow to come (``BARS_WAIT_SECONDS``)."""
        self._shown_query: QueueQuery | None = None
        """The query of the rows shown (a refused one goes back to it: ``_refused``)."""
        self._form_closing = False
        """Enter was pressed in the filter form: it goes with the filtered rows (or when
        the bars stop waiting for them, ``_show_stale_bars``)."""
        self._bars_stale = False
        """The bars and the sort arrow show the list before the one asked for (``_bars_later``)."""
        self._bars_timer: Timer | None = None
        self._search: str | None = None
        """The words the agent searched for (None: none, the view's own if it has any):
        kept as they switch views, cleared by Esc or an empty search (``select_view``)."""
        self._start_view: View | None = None
        """The view the queue landed on at start: its first page is kept for the next one."""
        kept = self.desk_app.kept
        landed = next((v for v in self.views if kept and v.name == kept.view), None)
        if kept is not None and landed is not None:
            self.set_reactive(QueueScreen.view, landed)
            self.set_reactive(QueueScreen.query_spec, landed.query)
            self._rows, self._kept_as_of = list(kept.rows), kept.as_of
            self._kept_view = landed

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static(id="queue-views")
        yield Static(id="queue-status")
        # The search line takes the status line's place while it is open: the table keeps
        # its size, so opening and closing it lays out no more than those two lines.
        yield Input(
            placeholder="Search number, words, requester, organization; Enter to search",
            id="queue-search",
            compact=True,
        )
        yield QueueTable(warn_percent=self.desk_app.start.sla_warn_percent, id="queue-table")
        yield Static(id="queue-empty")
        yield MailIndicator(id="queue-mail")
        yield KeyFooter()

    @property
    def fetching(self) -> bool:
        """A page the agent asked for (not a background refresh) is on its way."""
        return self._pending is not None and self._pending.kind != "refresh"

    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    def on_mount(self) -> None:
        self._started = True
        self.app.theme_changed_signal.subscribe(self, self._on_theme)
        self.desk_app.mail_link.changed.subscribe(self, self._show_empty)
        self._show_bars()
        if self.desk_app.live:
            self._reload("first")
        else:
            self._show_rows(self._rows[0].number if self._rows else None)
            self.desk_app.when_live(self._desk_opened)

    def _desk_opened(self) -> None:
        """The desk is open: the live page, from the view the agent would start on (which
        decides, as on any start, whether "My open" is worth showing), unless they chose
        another one meanwhile."""
        if self._kept_as_of is not None and self._first_answer:
            self.set_reactive(QueueScreen.view, self.views[0])
            self.set_reactive(QueueScreen.query_spec, self.views[0].query)
        self._show_bars()
        self._reload("first")

    def _on_theme(self, _theme: object) -> None:
        """The table's CSS has been re-read: its cells are made again in the theme's colours."""
        self._show_rows(self._focus)

    def _view_bar(self, width: int) -> Text:
        titles = [view.title for view in self.views]
        return view_bar(titles, self.views.index(self.view), width)

    def on_resize(self) -> None:
        self._show_bars()
        self._maybe_fetch_more()  # (a taller screen may show past the rows read)

    def _show_bars(self) -> None:
        width = self.size.width or self.app.size.width
        self.query_one("#queue-views", Static).update(self._view_bar(width), layout=False)
        query = self.query_spec
        status = Text(no_wrap=True, overflow="ellipsis")
        status.append(plain(self.view.title, style="bold"))
        if query.filter != self.view.query.filter:
            status.append(" · filtered: ")
            status.append(plain(_describe(query.filter)))
        if query.text:
            status.append(" · search: ")
            status.append(plain(query.text))
            if self._search is not None:  # (the agent's, kept across views)
                status.append(" (Esc clears)", style="dim")
        if query.text.strip():
            status.append(" · best matches first")  # a search lists by its ranking
        else:
            status.append(f" · sort {query.sort} {'▼' if query.descending else '▲'}")
        if self._marks:
            status.append(f" · {self.marks_said()}", style="bold")
        if self._kept_as_of is not None:
            status.append(f" · as of {clock_time(self._kept_as_of)}, loading…", style="italic")
        elif not self.desk_app.live:
            status.append(" · loading…", style="italic")
        if self._failing_since is not None:
            status = _with_outage(status, outage_text(self._failing_since), width - 2)  # (padding)
        self.query_one("#queue-status", Static).update(status, layout=False)

    # -- loading --------------------------------------------------------------------------

    def _reload(
        self, kind: LoadKind, start: Position | None = None, *, limit: int | None = None
    ) -> None:
        """Ask for a page; the answer to the newest request is the only one used."""
        self._request += 1
        if limit is None:
            limit = PAGE if kind in ("after", "before") else self._first_rows()
        load = Load(kind, start, limit)
        self._pending = load
        if not self.desk_app.live:  # asked again (from the first page) once it is open
            self._release_frames()
            self._show_stale_bars()
            kept = self._kept_view
            if self._kept_as_of is not None and (
                self.view is not kept or kept is None or self.query_spec != kept.query
            ):
                self._rows, self._kept_as_of = [], None  # not what the kept page shows
                self._show_bars()
                self._show_rows(None)
            return
        self._fetch(self._request, self.query_spec, load)

    @work(thread=True, exclusive=True, group="queue", exit_on_error=False)
    def _fetch(self, request: int, query: QueueQuery, load: Load) -> None:
        window = self.desk.list_window(
            query,
            load.limit,
            kind=load.page_kind,
            start=load.start,
            session_id=self.desk_app.session_id,
        )
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(request, load, window))

    @work(thread=True, exclusive=True, group="queue", exit_on_error=False)
    def _check(self, request: int, seen: ChangeMark | None, numbers: list[int]) -> None:
        """Has anything changed since ``seen``? Reads presence too if only that moved."""
        check = self.desk.list_changes(seen, numbers, session_id=self.desk_app.session_id)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Checked(request, check))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed read is retried later unless the query itself is bad: a database that
        did not answer (stopped, restarting, a dropped connection) is asked again until it
        does, and the queue follows the desk again by itself.

        (Textual also runs ``DeskScreen``'s handler, which reports the failure: once for a
        run of failed retries.)
        """
        if event.worker.group != "queue":
            return
        if event.state != WorkerState.ERROR:
            return
        self._release_frames()  # (no rows come: the closed line is drawn with the notice)
        self._pending = None
        error = event.worker.error
        if isinstance(error, DeskError) and not error.transient and self._refused(str(error)):
            event.prevent_default()  # (the form says it)
            return
        if not isinstance(error, DeskError) or error.transient:
            if self._failing_since is not None:
                event.prevent_default()  # (told at the first failure)
            else:
                self._failing_since = self.desk_app.clock()
                self._show_bars()
            self._schedule_refresh(RETRY_SECONDS)

    def _refused(self, reason: str) -> bool:
        """The desk refused a filter (a team or a tag it does not have): the form again,
        as written, the reason on its line; the list and its status line stay those of the
        rows shown. (The status line said "filtered: team Nowhere" over the unfiltered rows,
        the reason a passing toast.) False for a query other than a filter's."""
        shown, refused = self._shown_query, self.query_spec
        form = self._filter_form
        if shown is None or form is None or refused.filter == shown.filter:
            return False
        self._form_closing = False
        self.set_reactive(QueueScreen.query_spec, shown)
        self._show_bars()
        if not form.is_active:
            self.action_filter()
        form.refill(refused.filter, error=reason)
        return True

    def _answered(self) -> None:
        """A read worked: an outage the status line told of is over."""
        if self._failing_since is not None:
            self._failing_since = None
            self._show_bars()

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.request != self._request:
            return
        if message.load.kind in ("first", "last"):
            self._ends[message.load.kind] = (self.query_spec, message.load, message.window)
        self._shown_query = self.query_spec
        self._show_window(message.load, message.window)

    def _show_ends(self, kind: Literal["first", "last"]) -> bool:
        """Show the list's first (or last) page as last read, if nothing has changed on the
        desk since (its change mark is the one the screen holds): Home after End, End after
        Home, read no page again. False when it has to be read."""
        kept = self._ends.get(kind)
        if kept is None or self._pending is not None:
            return False
        query, load, window = kept
        if query != self.query_spec or window.mark != self._mark:
            return False
        self._request += 1  # (an answer on its way is for an older request now)
        self._show_window(load, window)
        return True

    def _show_window(self, load: Load, window: QueueWindow) -> None:
        self._pending = None
        self._answered()
        page = window.page
        if load.kind in ("first", "last", "refresh"):
            self._positions = {}
        self._positions.update(
            (row.number, place) for row, place in zip(page.rows, page.positions, strict=True)
        )
        focus = self.table.current_number
        added = True
        if load.kind == "first":
            self._rows, self._at_start, self._at_end = page.rows, True, not page.more_after
            focus = page.rows[0].number if page.rows else None
        elif load.kind == "last":
            self._rows, self._at_start, self._at_end = page.rows, not page.more_before, True
            focus = page.rows[-1].number if page.rows else None
        elif load.kind == "refresh":
            self._rows, self._at_end = page.rows, not page.more_after
        elif load.kind == "after":
            merged = _merge(self._rows, page.rows, at_end=True)
            added, self._rows = len(merged) > len(self._rows), merged
            self._at_end = not page.more_after
            if len(self._rows) > (most := self._max_window()):
                self._rows, self._at_start = self._rows[-most:], False
        else:
            merged = _merge(self._rows, page.rows, at_end=False)
            added, self._rows = len(merged) > len(self._rows), merged
            self._at_start = not page.more_before
            if len(self._rows) > (most := self._max_window()):
                self._rows, self._at_end = self._rows[:most], False
        self._positions = {
            row.number: self._positions[row.number]
            for row in self._rows
            if row.number in self._positions
        }
        if self._first_answer:
            self._first_answer = False
            self._follow_ups()
            if self._nothing_of_mine(page.rows, window.new_desk):
                return
        elif (
            self._new_desk
            and not window.new_desk
            and self._nothing_of_mine(page.rows, new_desk=False)
        ):
            return  # a new desk's first tickets (its demo, its first mail): the open work
        self._on = window.on
        self._new_desk = window.new_desk
        self._follow_mark(window.mark)
        self._mark = window.mark
        if self._kept_as_of is not None:
            self._kept_as_of = None
            self._show_bars()
        self._show_stale_bars()
        self._show_rows(focus)
        if self._held is not None or load.kind in ("first", "last"):
            # A key's list (held or not) is drawn at once once the table has handed its
            # refresh to the screen (the table's queue runs its refresh first): released
            # here, the screen drew before the rows' refreshes reached it, and again for them
            # a frame later. (A refresh or a read-ahead is no key's: Textual's next tick.)
            self.table.call_later(self._release_frames)
        self._keep(load)
        self._schedule_refresh()
        if added:
            # (a page of only already-seen rows must not set off the same request again)
            self._maybe_fetch_more()

    def _show_rows(self, focus: int | None) -> None:
        self._focus = focus
        self._marks_seen(self._rows)
        self.table.show(self._rows, self._on, self.desk_app.clock(), focus=focus)
        empty = self._show_empty()
        if self.table.display == self._new_desk:
            self.table.display = not self._new_desk  # no column headers over a new desk
            if self.table.display and self.focused is None:
                self.table.focus()  # hiding it took the focus away
        if empty.display != self._new_desk:
            empty.display = self._new_desk

    def _show_empty(self, _link: object = None) -> Static:
        """What the queue says when it has no rows, again if that has changed: also as the
        mail's state does (``MailLink.changed``), as its problem may be known only after the
        first page was shown (it said "Mail makes tickets once [mail] is set up" then). The
        new desk's text in the table's place: its widget."""
        empty = self.query_one("#queue-empty", Static)
        says: bool | Literal["loading"] = self._new_desk if self.desk_app.live else "loading"
        link = self.desk_app.mail_link
        problem = link.problem if says is True and link.enabled else None
        if self._empty_says != (says, problem):
            keys = f"1 to {min(len(self.views), 9)}"
            keys += ", 0" if len(self.views) >= 10 else ""
            if says == "loading":
                self.table.say_when_empty(Text("Loading the desk…", style="italic"))
            elif says:  # a desk without tickets: how they come, in the table's place
                reads = problem is None and bool(link.mail.mailboxes)
                mail_to = link.mail.from_address if reads else None
                where = self.desk.location
                command = self.desk_app.command
                empty.update(
                    empty_text(
                        new_desk=True,
                        keys=keys,
                        where=where,
                        command=command,
                        mail_problem=problem,
                        mail_to=mail_to,
                    )
                )
            else:
                self.table.say_when_empty(empty_text(new_desk=False, keys=keys, where=""))
            self._empty_says = (says, problem)
        return empty

    def _keep(self, load: Load) -> None:
        """The landing view's first page, as read now, for the next start's first paint."""
        if self._start_view is None:
            self._start_view = self.view
        top = load.kind in ("first", "refresh") and self._at_start
        if top and self.view is self._start_view and self.query_spec == self.view.query:
            self.desk_app.keep_first_page(self.view, self.query_spec, self._rows)

    def _schedule_refresh(self, delay: float | None = None, *, again: bool = False) -> None:
        """The next look: by the watcher, when it sees the desk may have changed (within
        ``REFRESH_SECONDS``); after ``delay`` when a read failed (``again``: at the
        watcher's next look whatever it sees)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if delay is not None:
            if self._watch is not None:
                self._watch.disarm()
            self._timer = self.set_timer(delay, self._refresh)
            return
        if self._watch is None:
            self._watch = QueueWatch(
                self.desk.change_probe, self._wake, REFRESH_SECONDS, self.desk_app.clock
            )
            self._watch.start()
        # (a marker expires with time alone: look again when the first one does)
        until = self._mark.expires if self._mark is not None else None
        self._watch.arm(until=until, again=again)

    def _wake(self) -> None:
        """(The watcher's thread: the screen handles it on the app's loop.)"""
        self.post_message(self.Woken())

    @on(Woken)
    def _woken(self) -> None:
        if self._watch is not None and self._watch.armed:
            return  # (armed again since: a page was read meanwhile)
        self._refresh()

    def _refresh(self) -> None:
        """Ask whether anything changed; put off while a page is coming (whose mark may
        already be too old: the next look checks whatever it finds)."""
        self._timer = None
        if self._pending is not None or self._mark is None:
            self._schedule_refresh(again=True)
            return
        self._check(self._request, self._mark, [row.number for row in self._rows])

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        self._answered()
        if message.request != self._request or self._pending is not None:
            return  # a page was asked for meanwhile; its answer brings a fresh mark
        seen, check = self._mark, message.check
        if seen is None or check.mark.events != seen.events:
            if seen is not None:
                self._sla_alerts(seen.events[0] or 0)
            self._reread()
            return
        self._mark = check.mark
        if check.on is not None:
            self._on = check.on
            self._show_rows(self._focus)
        self._schedule_refresh()

    @work(thread=True, group="queue-sla", exit_on_error=False)
    def _sla_alerts(self, after_event: int) -> None:
        """SLA warnings and breaches, and ratings that need follow-up, recorded since the
        last look, as notifications (several of a kind at once: one, ``alert_toasts``); the
        ratings told are kept as this agent's seen (``notices``: the next start does not tell
        them again)."""
        from helpdesk_tui.screens.alert_toasts import READ_AT_MOST, alert_toasts

        alerts = self.desk.sla_alerts_since(after_event, limit=READ_AT_MOST)
        for toast in alert_toasts(alerts):
            self.app.call_from_thread(
                self.notify,
                clean(toast.text, single_line=True),
                title=toast.title,
                severity="error" if toast.breach else "warning",
                markup=False,
            )
        if concerns := frozenset(alert.number for alert in alerts if alert.concern):
            self._seen_follow_ups(concerns, also=True)

    @work(thread=True, group="queue-follow-ups", exit_on_error=False)
    def _follow_ups(self, again: bool = False) -> None:
        """As the live queue first shows: how many customer ratings wait for this agent's
        follow-up (the desk's, for supervisors and admins), on the header's line, not over
        the queue; told when one of them was not told to this agent before
        (``notices.should_tell``). The alerts above tell only those recorded while the
        queue is open: a demo desk's, or those that came in overnight, were never told.
        ``again``: the desk's change counter moved while the line shows (``_follow_mark``):
        it says the count now, and goes once none is left."""
        from helpdesk_tui import notices

        numbers = self.desk.satisfaction_follow_up_numbers()
        if not again and not notices.should_tell(numbers, notices.recall(**self._whose())):
            return
        self.app.call_from_thread(self._tell_follow_ups, len(numbers), again)
        self._seen_follow_ups(numbers)

    def _whose(self) -> dict[str, str]:
        """Whose read mark of the follow-ups notice (``notices``): this agent's on this desk."""
        app = self.desk_app
        return {"url": app.start.database_url, "login": app.actor.name, "what": "follow-ups"}

    def _seen_follow_ups(self, numbers: frozenset[int], *, also: bool = False) -> None:
        """Keep ``numbers`` as the follow-ups this agent was told of (``also``: besides
        those kept already); a cache, so a failure is logged: told again at the next start."""
        from helpdesk_tui import notices

        whose = self._whose()
        try:
            if also and (told := notices.recall(**whose)) is not None:
                numbers |= told.numbers
            notices.remember(**whose, told=notices.Told(numbers))
        except OSError as error:
            self.log.warning(f"follow-ups notice not kept: {error}")

    def _follow_mark(self, mark: ChangeMark) -> None:
        """The follow-ups line follows the desk's change counter while it shows: a page read
        on a moved counter (another terminal's change, the CLI's, or this one's) counts
        them again — one indexed read, no timer of its own."""
        if self._follow_ups_told and self._mark is not None and mark.events != self._mark.events:
            self._follow_ups(again=True)

    def _tell_follow_ups(self, count: int, again: bool) -> None:
        if again and not self._follow_ups_told:
            return  # (gone meanwhile: the list of them was asked for)
        self._follow_ups_told = count > 0
        self.sub_title = f"{self.app.sub_title} · {follow_ups_text(count)}" if count else None

    def show_follow_ups(self) -> None:
        """All tickets whose rating needs a follow-up (the palette's "Ratings to follow up";
        Esc goes back to the view's list)."""
        view = next((v for v in self.views if v.name == "all"), self.view)
        self.sub_title = None  # (the start's notice of them has done its work)
        self._follow_ups_told = False
        self._search = None
        self.view = view
        self.query_spec = self.desk.satisfaction_follow_up_query()
        self._follow_ups_filter = self.query_spec.filter

    def _listing_follow_ups(self) -> bool:
        return self._follow_ups_filter is not None and (
            self.query_spec.filter == self._follow_ups_filter
        )

    def action_followed_up(self) -> None:
        """``d`` on the follow-ups list: the row's rating is followed up (the desk takes its
        ``follow-up`` tag off), so it leaves the list and the count the start tells."""
        number = self.table.current_number
        if number is not None and self._listing_follow_ups():
            self._followed_up(number)

    @work(thread=True, group="queue-followed-up", exit_on_error=False)
    def _followed_up(self, number: int) -> None:
        done = self.desk.satisfaction_followed_up(number)
        self.app.call_from_thread(self._said_followed_up, number, done)

    def _said_followed_up(self, number: int, done: bool) -> None:
        from helpdesk_tui.desk.satisfaction_service import followed_up_said  # (desk's open)

        self.notify(followed_up_said(number, done), timeout=3, markup=False)
        self.refresh_now()

    def _reread(self) -> None:
        """Re-read the window in place, the cursor kept on its ticket."""
        start = (
            None if self._at_start or not self._rows else self._positions.get(self._rows[0].number)
        )
        self._reload("refresh", start, limit=max(len(self._rows), self._first_rows()))

    def refresh_now(self) -> None:
        """Re-read at once (after this terminal changed a ticket)."""
        if self._pending is None or self._pending.kind == "refresh":
            self._reread()

    def _maybe_fetch_more(self) -> None:
        if self._pending is not None and self._pending.kind != "refresh":
            return
        if not self._rows:
            return
        row, edge = self.table.cursor_row, self._screen_rows()
        last = self._positions.get(self._rows[-1].number)
        first = self._positions.get(self._rows[0].number)
        if not self._at_end and row >= len(self._rows) - edge and last is not None:
            self._reload("after", last)
        elif not self._at_start and row < edge and first is not None:
            self._reload("before", first)

    def _screen_rows(self) -> int:
        """A screen of rows: the terminal's height (the table shows a few rows fewer)."""
        return max(1, self.app.size.height)

    def _max_window(self) -> int:
        """Rows kept around the cursor: ``MAX_WINDOW``, or on a terminal taller than a
        ``PAGE`` the cursor's screen either side of it and a page more. (A page read at one
        end drops rows at the other; with less than that, the cursor came within a screen of
        the end dropped from, which was read again, and so on at each key.)"""
        return max(MAX_WINDOW, PAGE + 2 * self._screen_rows())

    def _first_rows(self) -> int:
        """Rows of a list's first (or last) page (``FIRST_SCREENS``)."""
        return FIRST_SCREENS * self._screen_rows()

    @on(QueueTable.Highlighted)
    def _moved(self, message: QueueTable.Highlighted) -> None:
        self._focus = message.number
        self._maybe_fetch_more()

    @on(QueueMarks.Picks)
    def _picks_read(self, message: QueueMarks.Picks) -> None:
        self._bulk_picked(message.what, message.picks)

    @on(QueueMarks.BulkDone)
    def _bulk_answered(self, message: QueueMarks.BulkDone) -> None:
        self._bulk_done(message.result)

    @on(QueueTable.Selected)
    def _open(self, message: QueueTable.Selected) -> None:
        self.post_message(OpenTicket(message.number))

    def on_screen_suspend(self) -> None:
        self._release_frames()
        self.frame_not_due()
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._watch is not None:
            self._watch.disarm()

    def on_unmount(self) -> None:
        self._release_frames()
        if self._watch is not None:
            self._watch.stop()

    def on_screen_resume(self) -> None:
        """Back from another screen (the palette, the filter form, a ticket): the watcher
        looks at once whether anything changed, and only then is the change mark checked
        and the list re-read. (Re-read every time, it cost the key that closed that screen
        a list read; checked every time, a worker and a statement each time, its answer
        came after the key's frame, to draw nothing: "palette: Esc" took 6 or 19 ms by the
        order the two came in, at 1k and at 1M.)

        Not when a page was read while the screen was covered (the filter form's Enter
        reads the filtered list before the form closes): its answer armed the watcher."""
        watch = self._watch
        if not self._started or self._mark is None or watch is None or watch.armed:
            return  # (no page read yet: its answer arms the watcher)
        if self._timer is not None:  # (a failed read's retry: check now)
            self._timer.stop()
            self._refresh()
            return
        self._schedule_refresh()
        watch.look_now()

    # -- changing what is shown -------------------------------------------------------------

    def set_query(self, query: QueueQuery) -> None:
        self.query_spec = query

    def watch_query_spec(self) -> None:
        self.refresh_bindings()  # (d: on the follow-ups list only)
        self._bars_later()
        self._reload("first")

    def watch_view(self) -> None:
        self._bars_later()

    def _bars_later(self) -> None:
        """Show the bars and the sort arrow for the list asked for with its rows, or after
        ``BARS_WAIT_SECONDS`` if they are slow to come.

        Drawn at once, they took a frame of their own while the rows were read, and
        Textual's next frame after one drawn from idle comes one period late: a key whose
        rows were ready in 15 ms showed them after 30 to 50.
        """
        self._bars_stale = True
        if self._bars_timer is None:
            self._bars_timer = self.set_timer(BARS_WAIT_SECONDS, self._show_stale_bars)

    def _show_stale_bars(self) -> None:
        if self._bars_timer is not None:
            self._bars_timer.stop()
            self._bars_timer = None
        if self._form_closing and self._filter_form is not None:
            self._form_closing = False
            self._filter_form.close()
        if self._bars_stale:
            self._bars_stale = False
            self._show_bars()
            self.table.set_sort(self.query_spec.sort, self.query_spec.descending)

    def _nothing_of_mine(self, rows: list[TicketRow], new_desk: bool) -> bool:
        """At start, or as a new desk gets its first tickets, an agent with nothing open of
        their own sees the open work instead of an empty list (a new admin on a running
        desk, say); True when it switched."""
        mine = self.views[0]
        if rows or new_desk or self.view is not mine or self.query_spec != mine.query:
            return False
        everyone = next((v for v in self.views if v.name == "open"), None)
        if everyone is None:
            return False
        key = self.views.index(everyone) + 1
        self.select_view(everyone)
        self.desk_app.notify(
            f"Nothing open is assigned to you: showing {everyone.title} (key {key}). "
            "x takes the next ticket for you; 1 shows yours",
            markup=False,
            list_hint=True,
        )
        return True

    def select_view(self, view: View) -> None:
        """Show ``view``, searched for the agent's words if they searched (an agent who
        searched "vpn" in "My open" and pressed 3 lost it: the lister searches any view)."""
        self.view = view
        self.query_spec = (
            view.query if self._search is None else replace(view.query, text=self._search)
        )

    def action_take_next(self) -> None:
        self._take_next()

    @work(thread=True, exclusive=True, group="queue-take", exit_on_error=False)
    def _take_next(self) -> None:
        number = self.desk.ticket_take_next()
        self.app.call_from_thread(self._took, number)

    def _took(self, number: int) -> None:
        self.notify(f"You took #{number}", timeout=3, markup=False)
        self.desk_app.open_ticket(number)

    def action_go_to(self) -> None:
        """``#``: a small "Go to #" prompt; Enter opens the ticket of the number typed (digits
        pick views here, so "2992 Enter" opened view 2's first row)."""
        from helpdesk_tui.screens.pickers import PromptScreen

        def answered(typed: str | None) -> None:
            if typed is not None and typed.strip():
                self.desk_app.typing_ahead.wait_for(self._go_to(typed.strip()))

        prompt = PromptScreen("Go to #", hint="A ticket's number; Enter opens it")
        self.app.push_screen(prompt, answered)

    @work(thread=True, exclusive=True, group="queue-go-to", exit_on_error=False)
    def _go_to(self, typed: str) -> None:
        number = number_in(typed)
        found = self.desk.find_tickets(str(number), limit=1) if number is not None else []
        if not found:
            said = f"No ticket #{number}" if number is not None else f"Not a ticket number: {typed}"
            self.app.call_from_thread(
                self.notify, clean(said, single_line=True), severity="warning", markup=False
            )
            return
        self.app.call_from_thread(self.desk_app.open_ticket, found[0].number)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        return [
            (
                "Take next",
                "Take the most urgent unassigned ticket of my teams (x)",
                self.action_take_next,
            ),
            (
                FOLLOW_UPS_COMMAND,
                "Tickets a customer's low or unhappy rating tagged follow-up, any status",
                self.show_follow_ups,
            ),
        ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys 1 to 0 work only for the views there are (so ``?`` lists no empty ones); d
        only on the follow-ups list."""
        if action == "view":
            index = parameters[0]
            return isinstance(index, int) and index < len(self.views)
        if action == "followed_up":
            return self._listing_follow_ups()
        if action == "bulk":
            return bool(self._marks)
        if action == "next_sort":
            return not self._marks  # (s: the marked tickets' status)
        return True

    def key_description(self, binding: Binding) -> str:
        """What ``?`` says a key does: a view's key names the view; D is "Desk settings"."""
        if binding.id == "queue.settings":
            return "Desk settings"
        if binding.id == "queue.followed_up":
            return "Rating followed up (its list)"
        if binding.id == "queue.mark":
            return self.mark_help()
        if binding.id in MARK_HELP:
            return MARK_HELP[binding.id]
        index = binding.action.removeprefix("view(").removesuffix(")")
        if binding.action.startswith("view(") and index.isdigit() and int(index) < len(self.views):
            return f"View: {self.views[int(index)].title}"
        return binding.description

    def action_view(self, index: int) -> None:
        if index < len(self.views):
            self.select_view(self.views[index])

    def action_next_view(self) -> None:
        index = self.views.index(self.view)
        self.select_view(self.views[(index + 1) % len(self.views)])

    def action_previous_view(self) -> None:
        index = self.views.index(self.view)
        self.select_view(self.views[(index - 1) % len(self.views)])

    def action_first(self) -> None:
        if self._at_start:
            self.table.move_cursor(0)
        elif not self._show_ends("first"):
            self._reload("first")

    def action_last(self) -> None:
        if self._at_end:
            self.table.move_cursor(len(self._rows) - 1)
        elif not self._show_ends("last"):
            self._reload("last")

    def action_next_sort(self) -> None:
        index = SORT_ORDER.index(self.query_spec.sort)
        self.set_query(self.query_spec.with_sort(SORT_ORDER[(index + 1) % len(SORT_ORDER)]))

    def action_reverse_sort(self) -> None:
        self.set_query(replace(self.query_spec, descending=not self.query_spec.descending))

    @on(QueueTable.SortRequested)
    def _sort_by_column(self, message: QueueTable.SortRequested) -> None:
        sort = message.sort
        if sort == self.query_spec.sort:
            self.action_reverse_sort()
        else:
            self.set_query(self.query_spec.with_sort(sort))

    def action_search(self) -> None:
        search = self.query_one("#queue-search", Input)
        search.value = self.query_spec.text
        self.query_one("#queue-status").display = False
        search.display = True
        search.focus()

    @on(Input.Submitted, "#queue-search")
    def _searched(self, event: Input.Submitted) -> None:
        # The line is closed and the table focused at once, but drawn with the rows, in one
        # frame: the layout, the footer's keys and the table's restyle for its focus are
        # worked out while the read runs. (Drawn as the read began, that frame repainted the
        # table with its old rows beside the read and often ran past the next frame's time,
        # which Textual's update timer then skipped too: the rows waited one or two frames.
        # Closed only when the rows came, the footer's keys and the restyles came after
        # their frame, in frames of their own. Closed once the read's thread had started
        # instead, as before the hold: no earlier read at 1k and 1M, load 5.)
        words = event.value.strip()
        self._search = words or None  # (empty: the view's own words, if any, again)
        self._set_query_held(replace(self.query_spec, text=words or self.view.query.text))
        self._close_search()

    def _set_query_held(self, query: QueueQuery) -> None:
        """The list for ``query``, drawn in one frame with its rows (``_hold_frames``): the
        keys that open or clear a search or a filter (Enter in the search line or the filter
        form, Esc) change more than the rows, and drawn unheld their rows came a frame
        later or earlier by chance (Esc back from a filter: 33-35 ms where Enter took 11-14)."""
        self._hold_frames()
        self.set_query(query)

    def _hold_frames(self) -> None:
        """Draw nothing (``App.batch_update``, held open) until the rows asked for are
        shown, the read fails, another screen comes, or ``BARS_WAIT_SECONDS`` pass."""
        if self._held is None:
            self._held = ExitStack()
            self._held.enter_context(self.app.batch_update())
            self._held_timer = self.set_timer(BARS_WAIT_SECONDS, self._release_frames)

    def _release_frames(self) -> None:
        """End the hold (if any): the screen draws what waited at its next idle, not at
        Textual's next tick (``KeyFrames``)."""
        if self._held_timer is not None:
            self._held_timer.stop()
            self._held_timer = None
        if self._held is not None:
            held, self._held = self._held, None
            held.close()
        if self.is_current:
            self.frame_soon()

    def _close_search(self) -> None:
        search = self.query_one("#queue-search", Input)
        search.display = False
        self.query_one("#queue-status").display = True
        self.table.focus()

    def action_clear(self) -> None:
        """The search line open: it closes; else marks: they go; else the agent's search and
        filter go (the view's own query again)."""
        if self.query_one("#queue-search", Input).display:
            self._close_search()
            return
        if self.clear_marks():
            return
        self._search = None
        if self.query_spec != self.view.query:
            self._set_query_held(self.view.query)

    def action_filter(self) -> None:
        from helpdesk_tui.screens.queue_filter import QueueFilterScreen  # (not at first paint)

        self._form_closing = False
        form = self._filter_form
        if form is not None and form.is_attached:
            form.refill(self.query_spec.filter)
        else:
            # One form, kept (installed) and filled again each time: built once.
            if form is not None:
                self.app.uninstall_screen(form)
            form = self._filter_form = QueueFilterScreen(self.query_spec.filter, self._filtered)
            self.app.install_screen(form, f"queue-filter-{id(self)}")
        self.app.push_screen(form)

    def _filtered(self, spec: TicketFilter) -> None:
        """The form's Enter: the list is read while the form stays, and the form closes
        when its rows are shown (``_show_stale_bars``), both in one frame (drawing held
        meanwhile: the queue coming back repaints the whole screen, and drawn before the
        rows' refreshes had reached it, it was drawn again for them a frame later)."""
        self._form_closing = True
        self._set_query_held(replace(self.query_spec, filter=spec))


def _describe(spec: TicketFilter) -> str:
    parts = []
    if spec.statuses:
        parts.append("status " + ",".join(spec.statuses))
    elif spec.open_only:
        parts.append("open")
    if spec.priorities:
        parts.append("priority " + ",".join(spec.priorities))
    if spec.types:
        parts.append("type " + ",".join(spec.types))
    if spec.unassigned:
        parts.append("unassigned")
    elif spec.assignee:
        parts.append("assignee " + spec.assignee)
    for label, value in (("team", spec.team), ("tag", spec.tag), ("category", spec.category)):
        if value:
            parts.append(f"{label} {value}")
    return ", ".join(parts) or "everything"


def _with_outage(status: Text, outage: Text, width: int) -> Text:
    """The status line with an outage told at its end, kept in sight: what comes before is
    cut to leave it room ("…" where it was cut), as the whole line is cut where even the
    outage does not fit ``width`` cells."""
    line = status.copy()
    room = width - outage.cell_len - len(" · ")
    if line.cell_len > room > 0:
        line.truncate(room, overflow="ellipsis")
    line.append(" · ")
    line.append_text(outage)
    return line
