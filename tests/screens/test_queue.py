from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from pydantic import SecretStr
from rich.cells import cell_len
from sqlalchemy import event
from sqlmodel import select
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Checkbox, Input

from helpdesk_tui import notices
from helpdesk_tui.app import HelpdeskApp, make_app
from helpdesk_tui.config import Settings
from helpdesk_tui.desk import fields, presence
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.opening import DatabaseUnreachable
from helpdesk_tui.desk.queue import QueueQuery, first_page
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.desk.views import builtin_views
from helpdesk_tui.mail_settings import MailboxSettings, MailSettings, SmtpSettings
from helpdesk_tui.screens import queue as queue_screen
from helpdesk_tui.screens.queue import QueueScreen, view_bar
from helpdesk_tui.screens.queue_filter import FIELDS as FILTER_FIELDS
from helpdesk_tui.screens.queue_filter import QueueFilterScreen
from helpdesk_tui.screens.queue_watch import QueueWatch
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Activity, Ticket
from helpdesk_tui.timefmt import clock_time
from helpdesk_tui.ui_settings import SavedView, UiSettings
from helpdesk_tui.widgets.queue_table import fit_columns
from tests import pilot_keys
from tests.conftest import HANG_SECONDS
from tests.restyles import restyled
from tests.screens.conftest import FROZEN_NOW, HOSTILE_SUBJECTS, DeskData
from tests.screens.ticket_helpers import (
    POLL_SECONDS,
    drain,
    notifications,
    record_notifications,
    screen_lines,
    until,
    workers_done,
)

ALL_OPEN = [11, 9, 8, 7, 6, 5, 4, 3, 2, 1]


async def settle(pilot: Pilot[None]) -> None:
    """Until the queue's reads have landed and been drawn."""
    await drain(pilot)
    await workers_done(pilot.app)
    await drain(pilot)


def queue(app: HelpdeskApp) -> QueueScreen:
    return app.queue


def shown(app: HelpdeskApp) -> list[int]:
    return app.queue.table.numbers


def cursor(app: HelpdeskApp) -> int | None:
    return app.queue.table.current_number


async def wait_for(pilot: Pilot[None], check: Callable[[], bool], seconds: float) -> float:
    """Seconds until ``check()`` held (pressing nothing); fails after ``seconds``."""
    return await until(pilot, check, timeout=seconds)


async def test_an_agent_with_work_starts_on_my_open_sees_others_markers_and_views_by_keys(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """One app run: an agent with work of their own starts on My open (told nothing); the
    markers of others show, not this terminal's own; the number keys pick the views."""
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: bool(shown(app)), 10)
        assert queue(app).view.name == "mine"
        assert not any("Nothing open" in n for n in notifications(app))
        with desk_data.db.write() as s:
            presence.heartbeat(
                s, desk_data.ada, app.session_id, 9, Activity.VIEWING, now=FROZEN_NOW
            )
        await settle(pilot)
        assert _cell(app, 1, "on") == "◉bob", "markers"
        assert _cell(app, 9, "on") == "", "markers"
        assert shown(app) == [9, 1]  # My open: ada's
        expected = {
            "2": [11, 7, 6, 5, 4, 2],
            "3": ALL_OPEN,
            "4": [3],
            "5": [8],
            "6": [10],
        }
        for key, numbers in expected.items():
            await pilot.press(key)
            await settle(pilot)
            assert shown(app) == numbers, key
        await pilot.press("7")  # All tickets: every status, closed too
        await settle(pilot)
        assert sorted(shown(app)) == list(range(1, 12))
        await pilot.press("v")  # next view wraps round to the first
        await settle(pilot)
        assert queue(app).view.title == "My open"


async def test_keys_move_the_filter_form_search_and_sort(
    make_test_app: Callable[..., HelpdeskApp],
) -> None:
    """One app run on All open, each fact in turn: keys move and Enter opens the ticket;
    the filter form refuses an unknown status and filters; search finds subjects and
    messages; sort cycles and reverses."""
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        assert cursor(app) == 11
        await pilot.press("j", "down", "j")
        assert cursor(app) == 7
        await pilot.press("k")
        assert cursor(app) == 8
        await pilot.press("G")
        assert cursor(app) == 1
        await pilot.press("g")
        assert cursor(app) == 11
        await pilot.press("pagedown")
        assert cursor(app) == 1
        await pilot.press("pageup", "j", "enter")
        await pilot.pause()
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.number == 9
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is queue(app))
        # The filter form.
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, QueueFilterScreen)
        await pilot.press(*"opened", "enter")
        await pilot.pause()
        assert isinstance(app.screen, QueueFilterScreen)  # refused, with the reason
        assert "unknown status 'opened'" in str(app.screen.query_one("#filter-error").render())
        app.screen.query_one("#filter-statuses", Input).value = "new"
        app.screen.query_one("#filter-priorities", Input).value = "high, low"
        await pilot.press("enter")
        await settle(pilot)
        assert shown(app) == [4, 2]
        assert "filtered: status new, priority high,low" in str(
            queue(app).query_one("#queue-status").render()
        )
        await pilot.press("escape")  # back to the view as defined
        await settle(pilot)
        assert shown(app) == ALL_OPEN
        # Search.
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("slash")
        assert app.focused is queue(app).query_one("#queue-search")
        await pilot.press(*"tunnel", "enter")  # only in the VPN ticket's message
        await settle(pilot)
        assert shown(app) == [2]
        assert app.focused is queue(app).table
        await pilot.press("slash", *"printer tunnel", "enter")  # reopened: text selected
        await settle(pilot)
        assert shown(app) == []
        table = queue(app).table
        assert "No tickets here" in table.render_line(2).text  # in its body: same size
        assert not queue(app).query_one("#queue-empty").display
        await pilot.press("escape")
        await settle(pilot)
        assert shown(app) == ALL_OPEN
        # Sort.
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("s")  # updated → priority
        await settle(pilot)
        assert queue(app).query_spec.sort == "priority"
        assert shown(app)[:3] == [1, 9, 2]  # urgent, then high (newest first)
        await pilot.press("S")
        await settle(pilot)
        assert shown(app)[0] == 4  # the only low one
        await pilot.press("s")  # priority → number
        await settle(pilot)
        assert shown(app) == sorted(ALL_OPEN)


SMALL_FIRST = 2 * 16
"""A first (or last) page at 16 lines: two screens (``FIRST_SCREENS``)."""


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 16 lines, first pages of 32, pages of 10 and a window of 44 (at least a page and
    a screen either side of the cursor's), so 60 tickets need every kind of page load."""
    monkeypatch.setattr(queue_screen, "PAGE", 10)
    monkeypatch.setattr(queue_screen, "MAX_WINDOW", 44)


def _many(db: Database, desk: DeskData, count: int) -> list[int]:
    with time_machine.travel(FROZEN_NOW - timedelta(days=2), tick=True), db.write() as s:
        for i in range(count):
            create_ticket(s, desk.ada, subject=f"Bulk {i:03d}", body="x")
    with db.read() as s:
        return [r.number for r in first_page(s, builtin_views("ada")[2].query, 1000).rows]


async def test_window_pages_by_key_and_stays_small(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData, small_pages: None
) -> None:
    order = _many(desk_data.db, desk_data, 50)
    app = make_test_app()
    async with app.run_test(size=(100, 16)) as pilot:
        await pilot.press("3")
        await settle(pilot)

        def contiguous() -> int:
            window = shown(app)
            assert len(window) <= 44
            first = order.index(window[0])
            assert window == order[first : first + len(window)]
            return order.index(cursor(app))

        places = [contiguous()]
        for _ in range(10):
            await pilot.press("pagedown")
            await settle(pilot)
            places.append(contiguous())
        assert places == sorted(places) and places[-1] == len(order) - 1
        assert order[0] not in shown(app)  # the top of the list was let go
        await pilot.press("k", "k", "j")
        await settle(pilot)
        assert contiguous() == len(order) - 2
        for _ in range(10):
            await pilot.press("pageup")
            await settle(pilot)
            contiguous()
        assert cursor(app) == order[0]
        await pilot.press("G")
        await settle(pilot)
        assert cursor(app) == order[-1]
        assert shown(app) == order[-SMALL_FIRST:]  # the last page, read backwards
        await pilot.press("g")
        await settle(pilot)
        assert cursor(app) == order[0]


async def test_a_key_reads_two_screens_and_more_a_pagedown_before_it_is_needed(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A view key reads two screens of rows (the terminal's height each) and nothing more;
    the cursor coming within a screen of the window's end reads the next page, so every
    PageDown moves a whole page; End is one read; a re-read keeps every row read and the
    cursor's ticket."""
    order = _many(desk_data.db, desk_data, 50)
    reads: list[tuple[str, int]] = []
    list_window = Desk.list_window

    def counting(desk: Desk, query: QueueQuery, limit: int, **kwargs: Any) -> Any:
        reads.append((kwargs["kind"], limit))
        return list_window(desk, query, limit, **kwargs)

    monkeypatch.setattr(Desk, "list_window", counting)
    app = make_test_app()
    async with app.run_test(size=(100, 16)) as pilot:
        await settle(pilot)
        reads.clear()
        await pilot.press("3")
        await settle(pilot)
        assert reads == [("first", SMALL_FIRST)] and shown(app) == order[:SMALL_FIRST]
        step = queue(app).table.page_rows
        await pilot.press("pagedown")
        await settle(pilot)
        assert cursor(app) == order[step] and len(reads) == 1  # a screen and more still read
        await pilot.press("pagedown")  # within a screen of the end: the next page is read
        await settle(pilot)
        assert cursor(app) == order[2 * step] and reads[1:] == [("after", queue_screen.PAGE)]
        assert shown(app) == order
        with desk_data.db.write() as s:
            new = create_ticket(s, desk_data.bob, subject="Fresh from the CLI", body="x")
        reads.clear()
        queue(app).refresh_now()
        await settle(pilot)
        assert reads == [("from", len(order))]  # (as many as were read, from the top)
        assert shown(app) == [new.number, *order[:-1]] and cursor(app) == order[2 * step]
        reads.clear()
        await pilot.press("G")
        await settle(pilot)
        assert reads == [("last", SMALL_FIRST)] and cursor(app) == order[-1]


async def test_home_after_end_shows_the_page_read_before_while_nothing_changed(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    small_pages: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Home after End (and End after Home) show the page read before, reading nothing,
    while the desk's change mark is still the one the screen holds; once the screen's
    check saw a change made elsewhere, they read again and show it."""
    monkeypatch.setattr(queue_screen, "REFRESH_SECONDS", 0.05)
    order = _many(desk_data.db, desk_data, 50)
    sent: list[str] = []

    def count(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        sent.append(sql)

    def lists() -> int:
        return sum("FROM ticket" in sql for sql in sent)

    app = make_test_app()
    other = Database(desk_data.db.url)
    event.listen(desk_data.db.engine, "before_cursor_execute", count)
    try:
        async with app.run_test(size=(100, 16)) as pilot:
            await pilot.press("3")
            await settle(pilot)
            await pilot.press("G")
            await settle(pilot)
            assert shown(app) == order[-SMALL_FIRST:]
            sent.clear()
            await pilot.press("g")
            await settle(pilot)
            assert (shown(app), cursor(app)) == (order[:SMALL_FIRST], order[0])
            await pilot.press("G")
            await settle(pilot)
            assert (shown(app), cursor(app)) == (order[-SMALL_FIRST:], order[-1])
            assert lists() == 0
            with other.write() as s:
                new = create_ticket(s, desk_data.bob, subject="Fresh from the CLI", body="x")
            await wait_for(pilot, lambda: lists() > 0, 10.0)  # the check saw it: re-read
            await settle(pilot)
            sent.clear()
            await pilot.press("g")
            await settle(pilot)
            assert lists() > 0 and shown(app)[:2] == [new.number, order[0]]
    finally:
        event.remove(desk_data.db.engine, "before_cursor_execute", count)
        other.dispose()


async def test_a_refused_filter_stays_in_the_form_and_the_form_opens_as_new(
    make_test_app: Callable[..., HelpdeskApp],
) -> None:
    """One app run. A team the desk does not have: the form stays (focus in it), the
    desk's reason on its line, the list and its status line as they were. (The form
    closed, the status line said "filtered: team Nowhere" over the unfiltered rows, the
    reason a passing toast.) Then: the queue keeps its filter form: each f shows the filter
    in force, no earlier error, the first field focused with its text selected (typing
    replaces it), as a new form."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, QueueFilterScreen)
        form.query_one("#filter-team", Input).value = "Nowhere [b]"
        await pilot.press("enter")
        error = form.query_one("#filter-error")
        await until(pilot, lambda: "no team 'Nowhere [b]'" in str(error.render()))
        await settle(pilot)
        assert app.screen is form and isinstance(app.focused, Input)
        assert form.query_one("#filter-team", Input).value == "Nowhere [b]"
        status = str(queue(app).query_one("#queue-status").render())
        assert "filtered" not in status and shown(app) == ALL_OPEN
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen) and shown(app) == ALL_OPEN
        # The filter form is built once and opens as new.
        await pilot.press("f", *"new", "tab", *"nope", "enter")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, QueueFilterScreen)
        assert "nope" in str(form.query_one("#filter-error").render())
        await pilot.press("escape")  # cancelled: the typing is not kept
        await settle(pilot)
        assert shown(app) == ALL_OPEN
        await pilot.press("f")
        await pilot.pause()
        assert app.screen is form
        assert [form.query_one(f"#filter-{key}", Input).value for key, _, _ in FILTER_FIELDS] == [
            ""
        ] * len(FILTER_FIELDS)
        assert str(form.query_one("#filter-error").render()) == ""
        await pilot.press(*"new", "tab", *"high", "enter")
        await settle(pilot)
        assert shown(app) == [2]
        await pilot.press("f")
        await pilot.pause()
        statuses = form.query_one("#filter-statuses", Input)
        assert app.focused is statuses and statuses.value == "new"
        assert form.query_one("#filter-priorities", Input).value == "high"
        await pilot.press(*"open", "enter")  # the selected "new" is replaced
        await settle(pilot)
        assert "filtered: status open, priority high" in str(
            queue(app).query_one("#queue-status").render()
        )


async def test_search_and_filter_keys_restyle_only_what_changed(
    make_test_app: Callable[..., HelpdeskApp],
) -> None:
    """/ and its Enter restyle the search box and the table (whose cursor follows the focus),
    no footer key; the filter form's second f restyles the form alone, its Enter nothing.
    (Rebuilding the footer and the form on each of these keys was most of their time.)"""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("f", "escape", "slash", "escape")  # the form built, the footer's
        await settle(pilot)  # keys for the search box's focus made: once each
        for keys, moves in ((["slash"], 1), ([*"printer", "enter"], 1), (["slash", "escape"], 2)):
            with restyled() as nodes:
                await pilot.press(*keys)
                await settle(pilot)
            widgets = {type(node).__name__ for node in nodes if isinstance(node, Widget)}
            assert widgets <= {"Input", "QueueTable", "ScrollBar"}, keys
            assert len(nodes) <= 20 * moves, keys  # (each with its component classes)
        with restyled() as nodes:
            await pilot.press("f")
            await settle(pilot)
        form = app.screen
        assert isinstance(form, QueueFilterScreen)
        assert all(node is form or form in node.ancestors for node in nodes if node.parent)
        with restyled() as nodes:
            await pilot.press("enter")
            await settle(pilot)
        assert not nodes


async def test_filter_form_shows_the_focused_field_applies_anywhere_and_stops_blinking(
    make_test_app: Callable[..., HelpdeskApp],
) -> None:
    """At 80x24 the field being typed in is one line like the others, not a cut-off box;
    Enter applies from any field. Then, in the same app run: the kept form's field stops
    blinking when the form closes (its timer woke an idle app twice a second) and blinks
    again, focused anew, at the next f."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("f", *"new")
        await pilot.pause()
        field = app.screen.query_one("#filter-statuses", Input)
        assert field.has_focus and field.content_region.height == 1
        assert "new" in app.screen.query_one("#filter-statuses").render_line(0).text
        await pilot.press(*["tab"] * len(FILTER_FIELDS))
        assert isinstance(app.focused, Checkbox)
        await pilot.press("enter")  # applies; it does not toggle the box
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert shown(app) == [11, 7, 6, 5, 4, 2]
        # A closed filter form keeps no cursor blinking.
        await pilot.press("f", "tab", *"high", "enter")
        await settle(pilot)
        form = queue(app)._filter_form
        assert app.screen is queue(app) and form is not None
        field = form.focused
        assert isinstance(field, Input) and field.id == "filter-priorities"
        assert not field.cursor_blink
        await pilot.press("f")
        await settle(pilot)
        assert app.screen is form and field.cursor_blink
        assert isinstance(app.focused, Input) and app.focused.cursor_blink


async def test_no_color_keeps_urgent_as_readable_as_the_subject(
    make_test_app: Callable[..., HelpdeskApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under NO_COLOR a theme colour turns grey by its brightness (red: almost black), so
    urgency is shown by weight alone, in the row's own colour (at 80 columns, the mark)."""
    monkeypatch.setenv("NO_COLOR", "1")
    for size, urgent_text in (((120, 40), "urgent"), ((80, 24), "!")):
        app = make_test_app()
        async with app.run_test(size=size) as pilot:
            await pilot.press("3")
            await settle(pilot)
            table = queue(app).table
            lines = [table.render_line(y) for y in range(table.size.height)]
            row = next(line for line in lines if "Printer on fire" in line.text)
            urgent = next(seg for seg in row if seg.text.strip() == urgent_text)
            number = next(seg for seg in row if seg.text.strip().lstrip("#")[:1].isdigit())
            assert urgent.style is not None and number.style is not None
            assert urgent.style.bold and urgent.style.color == number.style.color


async def test_a_search_is_kept_across_views_until_esc_or_an_empty_search(
    make_test_app: Callable[..., HelpdeskApp],
) -> None:
    """An agent who searched "tunnel" in My open and pressed 3 lost the search (All open
    listed everything); it is searched in every view they switch to, and said on the status
    line, until Esc or an empty search clears it."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"tunnel", "enter")  # only in the VPN ticket's message
        await settle(pilot)
        assert shown(app) == []  # My open: not ada's
        await pilot.press("3")
        await settle(pilot)
        assert shown(app) == [2]
        status = str(queue(app).query_one("#queue-status").render())
        assert "All open · search: tunnel (Esc clears)" in status
        await pilot.press("4")
        await settle(pilot)
        assert shown(app) == []
        await pilot.press("slash", "backspace", "enter")  # (the words are selected)
        await settle(pilot)
        assert shown(app) == [3]  # Waiting, unsearched
        await pilot.press("slash", *"tunnel", "enter", "2")
        await settle(pilot)
        assert shown(app) == [2]
        await pilot.press("escape")
        await settle(pilot)
        assert shown(app) == [11, 7, 6, 5, 4, 2]
        await pilot.press("3")
        await settle(pilot)
        assert shown(app) == ALL_OPEN
        assert "search" not in str(queue(app).query_one("#queue-status").render())


class Frames:
    """The queue screen's frames as its own update timer draws them (not the test's)."""

    def __init__(self, screen: QueueScreen) -> None:
        self.screen = screen
        self.drawn: list[tuple[bool, list[int], bool]] = []
        """Per frame: laid out, the table's rows then, the search line shown then."""
        self.at_once: list[bool] = []
        """Per frame: drawn by the screen as a hold ended, not by its update timer's tick."""

    def tick(self, *, at_once: bool = False) -> None:
        """(Called as the timer's tick begins: a frame is drawn if anything waits.)"""
        screen = self.screen
        if screen.is_current and not screen.app._batch_count:
            layout = screen._layout_required
            if (
                layout
                or screen._scroll_required
                or screen._repaint_required
                or screen._dirty_widgets
            ):
                box = screen.query_one("#queue-search")
                self.drawn.append((layout, screen.table.numbers, box.display))
                self.at_once.append(at_once)

    def handed(self) -> bool:
        """Every change made is handed to the screen (its widgets have none of their own
        left to report, the screen's messages are handled): drawn at its next frame."""
        screen = self.screen
        return screen._message_queue.empty() and not any(
            w._repaint_required or w._layout_required for w in screen.walk_children()
        )

    def settled(self) -> bool:
        """Nothing left to draw or on its way to the screen (no frame to come)."""
        screen = self.screen
        return self.handed() and not (
            screen._layout_required
            or screen._scroll_required
            or screen._repaint_required
            or screen._dirty_widgets
        )


async def _frames_until(check: Callable[[], bool]) -> None:
    """Let the app run and draw on its own (no pilot: a pilot's pause draws a frame
    itself) until ``check()`` holds."""
    for _ in range(int(HANG_SECONDS / POLL_SECONDS)):
        await asyncio.sleep(POLL_SECONDS)
        if check():
            return
    raise AssertionError("not true")


def _frames(monkeypatch: pytest.MonkeyPatch, app: HelpdeskApp) -> Frames:
    """The queue's frames from now on, seen by its update timer's callback and by the
    screen's own call of it after a hold."""
    frames = Frames(queue(app))
    timer = frames.screen._update_timer
    on_timer_update = timer._callback
    assert on_timer_update is not None

    def ticking() -> None:
        frames.tick()
        on_timer_update()

    def at_once() -> None:
        frames.tick(at_once=True)
        on_timer_update()

    monkeypatch.setattr(timer, "_callback", ticking)
    monkeypatch.setattr(frames.screen, "_on_timer_update", at_once)  # (a hold's end: on_idle)
    return frames


async def test_a_search_enter_is_drawn_once_with_its_rows(
    make_test_app: Callable[..., HelpdeskApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Enter starts the read, closes the line and gives the table the focus at once, but
    draws nothing until the rows come; then one frame lays the screen out with the line
    closed and the rows in, and no frame follows it (the footer's keys, the table's restyle
    for its focus and its scrollbar in that same frame). Drawn as the read began, that
    frame repainted the table with its old rows and the rows came one or two frames later."""
    reading, release, held = _hold_list_reads(monkeypatch)
    monkeypatch.setattr(queue_screen, "BARS_WAIT_SECONDS", 30.0)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        box = queue(app).query_one("#queue-search", Input)
        await pilot.press("slash", *"tunnel")
        await settle(pilot)
        frames = _frames(monkeypatch, app)
        held[0] = True
        await pilot.press("enter")
        await until(pilot, reading.is_set)
        await _frames_until(lambda: app.focused is queue(app).table and frames.handed())
        assert not box.display and box.value == "tunnel"  # (kept for the next /)
        assert frames.drawn == []  # nothing drawn while the rows are read
        held[0] = False
        release.set()
        await _frames_until(lambda: shown(app) == [2] and frames.settled())
        assert frames.drawn == [(True, [2], False)]


async def test_a_failed_search_draws_the_closed_line_with_its_notice(
    make_test_app: Callable[..., HelpdeskApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No rows come: the hold on drawing ends with the failure, whose one-line notice shows
    under the closed line and the old rows."""
    list_window = Desk.list_window

    def failing(desk: Desk, query: QueueQuery, *args: Any, **kwargs: Any) -> Any:
        if query.text:
            raise InvalidValue("the search went wrong")
        return list_window(desk, query, *args, **kwargs)

    monkeypatch.setattr(Desk, "list_window", failing)
    monkeypatch.setattr(queue_screen, "BARS_WAIT_SECONDS", 30.0)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("slash", *"tunnel", "enter")
        await until(pilot, lambda: any("went wrong" in n for n in notifications(app)), 10)
        assert not app._batch_count and queue(app)._held is None
        assert not queue(app).query_one("#queue-search").display
        assert shown(app) == ALL_OPEN


async def test_a_filter_enter_is_drawn_once_with_its_rows(
    make_test_app: Callable[..., HelpdeskApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The filter form's Enter: the form stays until the rows come, then goes with them in
    one frame, and no frame follows it."""
    reading, release, held = _hold_list_reads(monkeypatch)
    monkeypatch.setattr(queue_screen, "BARS_WAIT_SECONDS", 30.0)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("f", "tab", *"urgent")
        await settle(pilot)
        frames = _frames(monkeypatch, app)
        held[0] = True
        await pilot.press("enter")
        await until(pilot, reading.is_set)
        await _frames_until(frames.handed)
        assert frames.drawn == [] and isinstance(app.screen, QueueFilterScreen)
        held[0] = False
        release.set()
        await _frames_until(lambda: app.screen is queue(app) and frames.settled())
        assert [numbers for _layout, numbers, _box in frames.drawn] == [[1]]


@pytest.mark.parametrize("what", ["search", "filter"])
async def test_an_esc_that_clears_a_search_or_a_filter_is_drawn_once_with_its_rows(
    make_test_app: Callable[..., HelpdeskApp], monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    """Esc back to the view's list holds drawing as the Enters do: nothing is drawn while
    its rows are read (not the status line's change, not the old rows), then one frame with
    the view's rows, drawn as they come (the update timer ticks on a fixed grid: a key just
    after a frame waited up to a period for it), and no frame follows it."""
    reading, release, held = _hold_list_reads(monkeypatch)
    monkeypatch.setattr(queue_screen, "BARS_WAIT_SECONDS", 30.0)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        if what == "search":
            await pilot.press("slash", *"tunnel", "enter")
        else:
            await pilot.press("f", "tab", *"urgent", "enter")
        await settle(pilot)
        assert app.screen is queue(app) and shown(app) in ([2], [1])
        frames = _frames(monkeypatch, app)
        held[0] = True
        await pilot.press("escape")
        await until(pilot, reading.is_set)
        await _frames_until(frames.handed)
        assert frames.drawn == [] and app._batch_count
        held[0] = False
        release.set()
        await _frames_until(lambda: shown(app) == ALL_OPEN and frames.settled())
        assert [numbers for _layout, numbers, _box in frames.drawn] == [ALL_OPEN]
        assert frames.at_once == [True]  # (not at the update timer's next tick)
        assert not app._batch_count and queue(app)._held is None


async def test_a_frame_drawn_as_a_hold_ends_restarts_a_waiting_update_timer(
    make_test_app: Callable[..., HelpdeskApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The frame drawn as a hold ends, while the update timer waits to be resumed (its
    last tick more than a period ago), restarts the timer's grid from that frame, and only
    then. (Left waiting, the next key's resume ticked at once, late, and Textual's timer
    then skips to the grid point after the next: the key after it waited up to two
    periods, Home after End after a filter's Esc 22-35 ms where it took 16.)"""
    reading, release, held = _hold_list_reads(monkeypatch)
    monkeypatch.setattr(queue_screen, "BARS_WAIT_SECONDS", 30.0)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("slash", *"tunnel", "enter")
        await settle(pilot)
        frames = _frames(monkeypatch, app)
        screen = queue(app)
        timer = screen._update_timer
        waited: list[bool] = []
        restarts: list[bool] = []
        draw, reset = screen._on_timer_update, timer.reset

        def drawing() -> None:
            waited.append(bool(timer._active._waiters))
            draw()

        def resetting() -> None:
            restarts.append(True)
            reset()

        monkeypatch.setattr(screen, "_on_timer_update", drawing)
        monkeypatch.setattr(timer, "reset", resetting)
        held[0] = True
        await pilot.press("escape")
        await until(pilot, reading.is_set)
        await _frames_until(frames.handed)
        held[0] = False
        release.set()
        await _frames_until(lambda: shown(app) == ALL_OPEN and frames.settled())
        assert frames.at_once == [True] and len(waited) == 1
        assert len(restarts) == int(waited[0])  # restarted if, and only if, it waited


@pytest.mark.parametrize("key", ["down", "pagedown", "end", "2", "s"])
async def test_a_key_s_frame_is_drawn_at_once_and_once(
    make_test_app: Callable[..., HelpdeskApp], monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    """A key's frame is drawn as soon as its change is there (a cursor moved, the search
    line opened; a view's or a sort's rows read), not at the update timer's next tick,
    which comes on a fixed grid (a key just after a frame waited up to a period for it),
    and in one frame: not before every widget it changed has told the screen. (/ takes
    three, as on main: the line and the table's focus, then the footer's keys laid out
    twice; its first is drawn at once.) The bars wait here for the rows however long they
    take: a read slower than ``BARS_WAIT_SECONDS`` (0.15 s; a loaded machine's) draws the
    bars in a frame of their own before the rows, as it should (a slow read says at once
    what it reads: ``test_a_slow_read_shows_the_key_s_bars_before_its_rows``), and 2 and s
    counted two frames."""
    monkeypatch.setattr(queue_screen, "BARS_WAIT_SECONDS", 30.0)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        screen = queue(app)
        frames = _frames(monkeypatch, app)
        before = screen._request
        await pilot.press(key)
        await _frames_until(lambda: frames.settled() and not screen.fetching and bool(frames.drawn))
        assert frames.at_once == [True]
        assert (screen._request > before) == (key in ("2", "s"))  # (a read, drawn with it)


async def test_a_change_no_key_asked_for_is_drawn_at_the_timer_s_tick(
    make_test_app: Callable[..., HelpdeskApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key's frame is drawn at once, and only the key's: a change that follows it (a
    refresh, a blinking cursor) is drawn by the update timer, as before any key."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        screen = queue(app)
        frames = _frames(monkeypatch, app)
        await pilot.press("down")
        await _frames_until(lambda: frames.settled() and bool(frames.drawn))
        screen.table.refresh()
        await _frames_until(lambda: frames.settled() and len(frames.drawn) == 2)
        assert frames.at_once == [True, False]


async def test_a_key_in_the_filter_form_is_drawn_at_once(
    make_test_app: Callable[..., HelpdeskApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key typed in a field is drawn by the screen itself as its change is there, in one
    frame: not left for the update timer (the form is a screen of its own).

    The pilot draws nothing ahead here (``pilot_keys.DRAWS_AHEAD``): its own draw of a frame
    the key's handling left pending (the queue under the form asking the form to repaint)
    was counted as a second frame, one fresh-clone run in three."""
    monkeypatch.setattr(pilot_keys, "DRAWS_AHEAD", 0)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, QueueFilterScreen)
        field = form.query_one("#filter-statuses", Input)
        for each in form.query(Input):
            each.cursor_blink = False  # (its frames are no key's)
        await settle(pilot)
        drawn: list[bool] = []
        draw = form._on_timer_update

        def at_once() -> None:
            drawn.append(field in form._dirty_widgets or form._layout_required)
            draw()

        form._on_timer_update = at_once  # type: ignore[method-assign]
        # The update timer is never resumed while the key is handled, so none of its ticks
        # (whose grid point may fall inside the key's handling on a busy machine) draws:
        # what is drawn is the screen's own doing. Frames not of this key (the queue under
        # the form drawing its own changes asks the form to repaint) are left undrawn.
        form._update_timer.resume = lambda: None  # type: ignore[method-assign]

        def key_drawn() -> bool:
            return bool(drawn) and not (
                field in form._dirty_widgets
                or field._repaint_required
                or form._layout_required
                or not field._message_queue.empty()
            )

        await pilot.press("u")
        await _frames_until(key_drawn)
        assert field.value.endswith("u")
        assert drawn == [True]


async def test_a_list_of_another_length_lays_nothing_out_the_search_line_takes_its_place(
    make_test_app: Callable[..., HelpdeskApp],
) -> None:
    """New rows of another count change the table's scrollable height and its scrollbar's
    thumb, not the screen's layout: laid out, the scrollbar resized by that layout took a
    frame of its own after the rows' (a filter or a search landed one frame later when
    its list's length changed). Then, in the same app run: / opens the search line where
    the status line was, and Enter closes it: the table keeps its place and size
    throughout, also when nothing is found (a table that grows or shrinks is laid out
    twice)."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        table = queue(app).table
        layouts = table._layout_updates
        for rows in ([2], [11, 9, 8], []):
            table.show(
                [r for r in queue(app)._rows if r.number in rows], {}, FROZEN_NOW, focus=None
            )
            assert not table._layout_required and table._layout_updates == layouts
            assert table.virtual_size.height == len(table.numbers) + 1
            assert table.vertical_scrollbar.window_virtual_size == len(table.numbers) + 1
        # The search line takes the status line's place.
        table, status = queue(app).table, queue(app).query_one("#queue-status")
        box = queue(app).query_one("#queue-search", Input)
        region, line = table.region, status.region
        await pilot.press("slash")
        await pilot.pause()
        assert box.display and not status.display
        assert box.region == line
        assert table.region == region
        await pilot.press(*"tunnel", "enter")
        await settle(pilot)
        assert not box.display and status.display
        assert table.region == region
        assert shown(app) == [2]
        await pilot.press("slash", *"printer tunnel", "enter")  # nothing: said in the table
        await settle(pilot)
        assert shown(app) == [] and table.region == region


async def test_the_table_keeps_its_scrollbar_whether_or_not_the_rows_fit(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """A scrollbar that came and went as a view's rows crossed the screen's height laid
    the table out three times (a view of few rows against one of a page: 2.7 times the
    key's time on a big desk). The table reserves it always, so the columns stay put too."""
    _many(desk_data.db, desk_data, 30)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        seen = set()
        for key, rows in (("4", 1), ("3", 40), ("5", 1)):
            await pilot.press(key)
            await settle(pilot)
            table = queue(app).table
            assert len(shown(app)) >= rows and (rows > 1) == (len(shown(app)) > table.page_rows)
            assert table.show_vertical_scrollbar
            seen.add(table.scrollable_content_region)
        assert len(seen) == 1


def _hold_list_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[threading.Event, threading.Event, list[bool]]:
    """While ``held[0]`` is true, each list read sets ``reading`` and waits for ``release``."""
    reading, release = threading.Event(), threading.Event()
    list_window = Desk.list_window
    held = [False]

    def holding(desk: Desk, *args: Any, **kwargs: Any) -> Any:
        if held[0]:
            reading.set()
            release.wait(10)
        return list_window(desk, *args, **kwargs)

    monkeypatch.setattr(Desk, "list_window", holding)
    return reading, release, held


async def test_a_key_s_bars_and_sort_arrow_come_with_its_rows(
    make_test_app: Callable[..., HelpdeskApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view or sort key changes nothing on the screen until its rows are read, then the
    bars, the arrow and the rows at once (one frame, not a frame of bars before them)."""
    reading, release, held = _hold_list_reads(monkeypatch)
    monkeypatch.setattr(queue_screen, "BARS_WAIT_SECONDS", 30.0)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        status = queue(app).query_one("#queue-status")
        before = (str(status.render()), str(queue(app).query_one("#queue-views").render()))
        header = queue(app).table.render_line(0).text
        held[0] = True
        await pilot.press("s")
        await until(pilot, reading.is_set)
        await pilot.pause()
        assert (str(status.render()), str(queue(app).query_one("#queue-views").render())) == before
        assert queue(app).table.render_line(0).text == header
        held[0] = False
        release.set()
        await settle(pilot)
        assert "sort priority" in str(status.render())
        assert queue(app).table.render_line(0).text != header
        assert shown(app)[:3] == [1, 9, 2]


async def test_a_slow_read_shows_the_key_s_bars_before_its_rows(
    make_test_app: Callable[..., HelpdeskApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bars wait for the rows only ``BARS_WAIT_SECONDS``: a slow read still says at
    once what it is reading."""
    reading, release, held = _hold_list_reads(monkeypatch)
    monkeypatch.setattr(queue_screen, "BARS_WAIT_SECONDS", 0.01)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        status = queue(app).query_one("#queue-status")
        held[0] = True
        await pilot.press("4")
        await until(pilot, reading.is_set)
        await until(pilot, lambda: "Waiting" in str(status.render()))
        assert shown(app) == ALL_OPEN  # the rows are still being read
        held[0] = False
        release.set()
        await settle(pilot)
        assert shown(app) == [3]


async def test_changes_elsewhere_show_within_two_seconds_and_cursor_stays(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing pressed: the queue's own tick brings the change in. The tick asks the desk
    every REFRESH_SECONDS and re-reads once the change mark moved, so a change shows within
    two ticks — that bound is checked on the constant, not timed (the machine may be busy).
    The test then ticks faster, so as not to wait whole seconds for each of its changes."""
    assert 2 * queue_screen.REFRESH_SECONDS <= 2.0
    monkeypatch.setattr(queue_screen, "REFRESH_SECONDS", 0.05)
    app = make_test_app()
    other = Database(desk_data.db.url)  # another terminal / the CLI / the mail poller
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("3")
            await settle(pilot)
            await pilot.press("j", "j")
            assert cursor(app) == 8
            with other.write() as s:
                new = create_ticket(s, desk_data.bob, subject="Fresh from the CLI", body="x")
            await wait_for(pilot, lambda: new.number in shown(app), 10.0)
            assert shown(app)[0] == new.number  # newest on top
            assert cursor(app) == 8  # the cursor followed its ticket down one row
            with other.write() as s:
                fields.set_priority(s, desk_data.bob, 8, "urgent")
            await wait_for(pilot, lambda: shown(app)[0] == 8, 10.0)
            assert cursor(app) == 8
            with other.write() as s:
                presence.heartbeat(s, desk_data.bob, "term-b2", 11, Activity.REPLYING)
            await wait_for(pilot, lambda: "✎bob" in _cell(app, 11, "on"), 10.0)
    finally:
        other.dispose()


class _Statements:
    """The statements the engine sends while the block runs (an event listener, not a
    timer): how many read the list, how many only ask the change mark."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sent: list[str] = []

    def __enter__(self) -> _Statements:
        event.listen(self.db.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.db.engine, "before_cursor_execute", self._count)

    def _count(self, _conn: object, _cursor: object, sql: str, *_args: object) -> None:
        self.sent.append(sql)

    def lists(self) -> int:
        return sum("FROM ticket" in sql for sql in self.sent)

    def checks(self) -> int:
        return sum("FROM event" in sql and "FROM ticket" not in sql for sql in self.sent)


async def test_an_idle_queue_reads_no_list_until_something_changes(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With colleagues on tickets (the seeded presence rows are live at the frozen clock),
    the watcher's looks send nothing through the engine: no list, no change mark, no
    marker read; a change is read, and presence alone reads markers but not the list. (Every
    look asked the change mark while anyone was on a ticket: their markers expire with time,
    which the screen now looks at when the first one does.)

    Statements are counted as the engine sends them (an event listener); the watcher's looks
    are made by hand (its thread's are kept out of the way), not timed.
    """
    monkeypatch.setattr(queue_screen, "REFRESH_SECONDS", 3600.0)
    app = make_test_app()
    other = Database(desk_data.db.url)
    try:
        with _Statements(desk_data.db) as statements:
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.press("3")
                await settle(pilot)
                assert "◉bob" in _cell(app, desk_data.numbers["printer"], "on")
                watch = _looked_once(app)
                await settle(pilot)
                statements.sent.clear()
                for _ in range(20):
                    watch.look()
                    await settle(pilot)
                assert statements.sent == []
                with other.write() as s:
                    new = create_ticket(s, desk_data.bob, subject="Fresh from the CLI", body="x")
                watch.look()
                await wait_for(pilot, lambda: new.number in shown(app), 30.0)
                assert statements.lists() > 0
                await wait_for(pilot, lambda: watch.armed, 30.0)
                statements.sent.clear()
                with other.write() as s:  # presence alone: markers move, the list is not read
                    presence.heartbeat(
                        s, desk_data.bob, "term-b3", new.number, Activity.VIEWING, now=FROZEN_NOW
                    )
                watch.look()
                await wait_for(pilot, lambda: "◉bob" in _cell(app, new.number, "on"), 30.0)
                assert statements.lists() == 0
    finally:
        other.dispose()


def _looked_once(app: HelpdeskApp) -> QueueWatch:
    """The queue's watcher, after its first look (which has nothing to compare with: one
    check of the change mark)."""
    watch = queue(app)._watch
    assert watch is not None
    watch.look()
    return watch


def _markers(sent: list[str]) -> int:
    """Statements that read who is on which ticket."""
    return sum("presence.activity" in sql and "agent.login" in sql for sql in sent)


async def test_a_heartbeat_that_only_keeps_a_marker_alive_reads_no_markers(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another terminal on a ticket beats every 1.5 s, pushing its row's expiry on. The
    queue reads its markers again when one comes, goes or changes what it does, not at each
    beat: it did, and redrew its rows, for every beat of anyone (a team's audit on
    PostgreSQL: ≈ 1 % of a core for an idle queue while a colleague had a ticket open). On
    SQLite each beat's commit moves the file's data_version: the watcher's probe then asks
    the change mark's summary on its own connection, and the screen is not woken at all."""
    monkeypatch.setattr(queue_screen, "REFRESH_SECONDS", 3600.0)
    number = desk_data.numbers["printer"]  # bob's "term-bob" views it, seeded at FROZEN_NOW
    app = make_test_app()
    other = Database(desk_data.db.url)
    try:
        with _Statements(desk_data.db) as statements:
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.press("3")
                await settle(pilot)
                assert "◉bob" in _cell(app, number, "on")
                watch = _looked_once(app)
                await settle(pilot)
                statements.sent.clear()
                for second in (1, 2, 3):
                    beat = FROZEN_NOW + timedelta(seconds=second)
                    with other.write() as s:
                        presence.heartbeat(
                            s, desk_data.bob, "term-bob", number, Activity.VIEWING, now=beat
                        )
                    watch.look()
                    await settle(pilot)
                assert statements.sent == []  # (no list, no check, no marker read)
                with other.write() as s:
                    replying = FROZEN_NOW + timedelta(seconds=4)
                    presence.heartbeat(
                        s, desk_data.bob, "term-bob", number, Activity.REPLYING, now=replying
                    )
                watch.look()
                await wait_for(pilot, lambda: "✎bob" in _cell(app, number, "on"), 30.0)
                assert _markers(statements.sent) > 0 and statements.lists() == 0
    finally:
        other.dispose()


async def test_a_marker_that_expires_goes_at_the_first_look_after_it(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A terminal that stops beating leaves no write behind: its marker goes with time. The
    queue looks again at the first look past the first live marker's expiry (the change
    mark's ``expires``), as it did when it checked at every look; before it, nothing is sent.
    bob's and cy's rows were seeded at FROZEN_NOW (live 15 s); bob's terminal beats once
    more at +10 s (live until +25 s), cy's does not."""
    monkeypatch.setattr(queue_screen, "REFRESH_SECONDS", 3600.0)
    printer, vpn = desk_data.numbers["printer"], desk_data.numbers["vpn"]
    now = [FROZEN_NOW]
    app = make_test_app(clock=lambda: now[0])
    other = Database(desk_data.db.url)

    def at(seconds: int) -> None:
        now[0] = FROZEN_NOW + timedelta(seconds=seconds)

    try:
        with _Statements(desk_data.db) as statements:
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.press("3")
                await settle(pilot)
                assert "◉bob" in _cell(app, printer, "on") and "✎cy" in _cell(app, vpn, "on")
                with other.write() as s:
                    presence.heartbeat(
                        s,
                        desk_data.bob,
                        "term-bob",
                        printer,
                        Activity.VIEWING,
                        now=FROZEN_NOW + timedelta(seconds=10),
                    )
                watch = _looked_once(app)  # (sees the beat: the mark is read again)
                await wait_for(pilot, lambda: watch.armed, 30.0)
                statements.sent.clear()
                for seconds in (5, 10, 15):  # (a row expiring at 15 s is live at 15 s)
                    at(seconds)
                    watch.look()
                    await settle(pilot)
                assert statements.sent == [] and "✎cy" in _cell(app, vpn, "on")
                at(16)
                watch.look()
                await wait_for(pilot, lambda: "✎cy" not in _cell(app, vpn, "on"), 30.0)
                assert "◉bob" in _cell(app, printer, "on")
                assert statements.lists() == 0 and _markers(statements.sent) == 1
                await wait_for(pilot, lambda: watch.armed, 30.0)
                statements.sent.clear()
                for seconds in (20, 25):
                    at(seconds)
                    watch.look()
                    await settle(pilot)
                assert statements.sent == [] and "◉bob" in _cell(app, printer, "on")
                at(26)
                watch.look()
                await wait_for(pilot, lambda: "◉bob" not in _cell(app, printer, "on"), 30.0)
                assert statements.lists() == 0
    finally:
        other.dispose()


async def test_an_idle_queue_sends_no_statement_until_another_terminal_writes(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The watcher's looks (made by hand; its thread's are kept out of the way) ask SQLite's
    data_version on a connection of their own: while nothing changes and no one is on a
    ticket, nothing goes through the engine, neither a check nor a list; a write from
    another terminal wakes the screen: its check, then the list."""
    monkeypatch.setattr(queue_screen, "REFRESH_SECONDS", 3600.0)
    later = FROZEN_NOW + timedelta(days=2)  # (every presence row expired)
    app = make_test_app(clock=lambda: later)
    other = Database(desk_data.db.url)
    try:
        with _Statements(desk_data.db) as statements:
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.press("3")
                await settle(pilot)
                watch = queue(app)._watch
                assert watch is not None
                watch.look()  # the first look has nothing to compare with: one check
                await settle(pilot)
                statements.sent.clear()
                for _ in range(20):
                    watch.look()
                    await settle(pilot)
                assert statements.sent == []
                with other.write() as s:
                    new = create_ticket(s, desk_data.bob, subject="Fresh from the CLI", body="x")
                watch.look()
                await wait_for(pilot, lambda: new.number in shown(app), 30.0)
                assert statements.lists() > 0
    finally:
        other.dispose()


async def test_back_from_another_screen_the_queue_asks_before_reading_its_list(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Closing the filter form (as the palette, a ticket) has the watcher look at once: its
    first look (nothing to compare with) checks the desk's change mark, later ones send
    nothing while nothing changed, and the list is read again only when something changed
    meanwhile (statements counted as the engine sends them; the watcher's own looks are
    kept out of the way)."""
    monkeypatch.setattr(queue_screen, "REFRESH_SECONDS", 3600.0)
    later = FROZEN_NOW + timedelta(days=2)  # (every presence row expired)
    looks = threading.Semaphore(0)
    look = QueueWatch.look

    def counted(watch: QueueWatch) -> None:
        look(watch)
        looks.release()

    monkeypatch.setattr(QueueWatch, "look", counted)
    app = make_test_app(clock=lambda: later)
    other = Database(desk_data.db.url)
    try:
        with _Statements(desk_data.db) as statements:
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.press("3")
                await settle(pilot)
                for checks in (1, 0, 0):
                    statements.sent.clear()
                    await pilot.press("f")
                    await settle(pilot)
                    assert isinstance(app.screen, QueueFilterScreen)
                    await pilot.press("escape")
                    await wait_for(pilot, lambda: looks.acquire(blocking=False), 10.0)
                    await settle(pilot)
                    assert app.screen is queue(app)
                    assert (statements.checks(), statements.lists()) == (checks, 0)
                await pilot.press("f")
                await settle(pilot)
                with other.write() as s:
                    new = create_ticket(s, desk_data.bob, subject="Fresh from the CLI", body="x")
                statements.sent.clear()
                await pilot.press("escape")
                await wait_for(pilot, lambda: new.number in shown(app), 30.0)
                assert statements.lists() > 0
    finally:
        other.dispose()


async def test_a_newcomer_at_the_top_is_in_sight(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """With more tickets than fit and the list at its top, an arrival is shown, not
    scrolled above the window to keep the cursor's line still."""
    with desk_data.db.write() as s:
        for n in range(30):
            create_ticket(s, desk_data.bob, subject=f"Filler {n}", body="x")
    app = make_test_app()
    other = Database(desk_data.db.url)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("3")
            await settle(pilot)
            first = cursor(app)
            with other.write() as s:
                new = create_ticket(s, desk_data.bob, subject="Fresh from the CLI", body="x")
            await wait_for(pilot, lambda: new.number in shown(app), 10.0)
            await pilot.pause()
            assert cursor(app) == first
            assert "Fresh from the CLI" in "\n".join(screen_lines(app))
    finally:
        other.dispose()


def _cell(app: HelpdeskApp, number: int, column: str) -> str:
    return str(app.queue.table.cell(number, column))


async def test_hostile_text_is_shown_literally_and_without_escapes(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    app = make_test_app()
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        numbers = desk_data.numbers
        assert _cell(app, numbers["markup"], "subject") == HOSTILE_SUBJECTS["markup"]
        assert _cell(app, numbers["link"], "subject") == HOSTILE_SUBJECTS["link"]
        assert _cell(app, numbers["clear"], "subject") == "Clear screen copied"
        assert _cell(app, numbers["bidi"], "subject") == "Invoice exe.fdp"
        assert _cell(app, numbers["markup"], "requester") == "Mallory Red[/]"
        for number in shown(app):
            for column in app.queue.table.column_keys:
                value = app.queue.table.cell(number, column)
                assert not set(str(value)) & {"\x1b", "\x07", "\u202e"}
                assert all("link" not in str(span.style) for span in value.spans)


async def test_80_columns_say_who_owns_and_is_on_it_columns_follow_the_terminal_s_width(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """One app run, three facts in turn. At 80 columns the queue says who owns a ticket
    and who is on it (a team when unassigned). A narrow terminal drops columns, a wider
    one brings them back. What the terminal shows after a resize, not only the table's
    state: the table was drawn at its new size with the old width's columns, and stayed so
    until a key; wide to narrow, then narrow to wide."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        lines = [line for line in screen_lines(app) if line.split()]
        rows = {line.split()[0]: line for line in lines if line[0] == "#" or line[0].isdigit()}
        header = rows["#"]
        assert header.split() == ["#", "Subject", "From", "Status", "!", "Owner", "SLA"]
        assert "ada" in rows["1"] and "◉bob" in rows["1"]  # owner and presence, one cell
        assert "✎cy" in rows["2"]
        assert "cy" in rows["3"] and "bob" in rows["8"] and "ada" in rows["9"]
        assert "Laptop will not boot " in rows["9"]
        # The number without its "#", as wide as the largest shown (at least 3 cells).
        assert rows["9"].startswith("9" + " " * 3 + "Laptop")
        # requester and status, compact (the policy's SLA badge comes last)
        assert rows["1"].split()[-6:-4] == ["Ann", "open"]
        with desk_data.db.write() as session:
            fields.assign(session, desk_data.ada, 2, team="Billing")
        await wait_for(pilot, lambda: "Billing" in _cell(app, 2, "owner"), 10.0)
        assert _cell(app, 2, "owner").split() == ["Billing", "✎cy"]  # team when unassigned
        # A narrow terminal drops columns (on My open).
        await pilot.press("1")
        await settle(pilot)
        keys = app.queue.table.column_keys
        assert keys == ["no", "subject", "from", "state", "mark", "who", "badge"]
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        keys = app.queue.table.column_keys
        assert "requester" in keys and "badge" in keys and "owner" in keys
        await pilot.resize_terminal(140, 40)
        await settle(pilot)
        keys = app.queue.table.column_keys
        assert "requester" in keys and "sla" in keys and "assignee" in keys
        assert shown(app) == [9, 1]
        # A resized terminal draws the columns of its new width.
        await pilot.resize_terminal(140, 30)
        await settle(pilot)
        for resized in [(80, 24), (140, 30)]:
            await pilot.resize_terminal(*resized)
            await settle(pilot)
            header, first = screen_lines(app)[3:5]
            if resized[0] == 80:
                assert header.split() == ["#", "Subject", "From", "Status", "!", "Owner", "SLA"]
                assert first.split()[-2:] == ["ada", "3h"]
            else:
                assert header.split()[-4:] == ["SLA", "due", "On", "it"], resized
                assert "in progress" in first and "Ann Archer" in first, resized


def test_every_width_from_80_keeps_40_cells_of_subject_and_the_essentials() -> None:
    """At every width from 80 columns: the subject keeps 40 cells, and who asked, the
    status, the priority, who has it and the SLA stay in sight (compact or in full) — on
    a small desk and with the 7-digit numbers of a million tickets, shown uncut. Each width
    and number size in turn (a pure function: one test, each assertion naming its case)."""
    for digits in (3, 7):
        for width in range(80, 161):
            case = f"width {width}, {digits} digits"
            fitted = fit_columns(width - 1, digits)  # (one column is the scrollbar's)
            widths = dict((column.key, cells) for column, cells in fitted.columns)
            number = widths.get("number", widths.get("no"))
            assert number is not None and number >= digits + ("number" in widths), case
            assert widths["subject"] >= 40, case
            padding = fitted.padding * len(widths) - (1 if fitted.padding == 1 else 0)
            assert sum(widths.values()) + padding <= width - 1, case
            for wide, compact in (
                ("requester", "from"),
                ("status", "state"),
                ("priority", "mark"),
                ("owner", "who"),
                ("sla", "badge"),
            ):
                kept = {wide, compact} & widths.keys()
                assert kept or (wide == "owner" and "assignee" in widths), (case, wide)


async def test_a_desk_with_no_tickets_at_all_says_how_tickets_arrive(
    screen_db: Database, frozen_clock: Callable[[], datetime]
) -> None:
    with screen_db.write() as s:
        agent = add_agent(s, None, "root", role="admin")
        root = Actor(name=agent.login, agent_id=agent.id, role=agent.role)
    app = make_app(Settings(database_url=screen_db.url), screen_db, root, clock=frozen_clock)
    app.command = "~/hd/.venv/bin/helpdesk"  # (as the README installs it: not on the PATH)
    record_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = "\n".join(screen_lines(app))
        assert "This desk has no tickets yet" in text
        assert screen_db.shown_url in "".join(line.strip() for line in screen_lines(app))
        assert "~/hd/.venv/bin/helpdesk ticket new" in text
        assert "~/hd/.venv/bin/helpdesk demo --tickets 1000" in text
        assert "(~/hd/.venv/bin/helpdesk config show)" in " ".join(text.split())
        assert "Try another view" not in text
        with screen_db.write() as s:
            create_ticket(s, root, subject="First!", body="Hi", requester_email="a@example.com")
        # The desk's first ticket is not root's: the queue shows the open work, as a start
        # would (it stayed on an empty "My open" that said "Try another view").
        await wait_for(pilot, lambda: queue(app).view.name == "open" and bool(shown(app)), 10)
        await settle(pilot)
        assert shown(app) == [1] and not queue(app).query_one("#queue-empty").display
        assert "Nothing open is assigned to you: showing All open (key 3)" in " ".join(
            notifications(app)
        )
        assert app.focused is queue(app).table  # Enter opens it, as on any desk
        await pilot.press("1")
        await wait_for(pilot, lambda: "Try another view" in "".join(screen_lines(app)), 10.0)
        assert "no tickets yet" not in "\n".join(screen_lines(app))
        assert queue(app).view.name == "mine", "their own view stays theirs once they ask"


async def test_a_new_desk_whose_mail_is_refused_says_why_and_how_to_fix_it(
    screen_db: Database, frozen_clock: Callable[[], datetime]
) -> None:
    """Mail set up but refused (no ``message_id_secret``): the empty queue names the one-line
    problem and the fix, where it said mail makes tickets "once [mail] is set up"."""
    mail = MailSettings(smtp=SmtpSettings(host="smtp.example.com"), addresses=["help@ex.com"])
    (text,) = await _new_desk_says(screen_db, frozen_clock, mail)
    assert "Mail is set up but does not start: mail.message_id_secret is missing" in text
    assert "secrets.token_hex(32)" in text  # the fix, as the settings word it
    assert "(helpdesk config show names it), then: helpdesk mail check" in text


async def _new_desk_says(
    screen_db: Database,
    frozen_clock: Callable[[], datetime],
    mail: MailSettings,
    fails_later: str | None = None,
) -> list[str]:
    """The words of a new desk's empty queue with these mail settings, at 80 by 24; and
    then, with ``fails_later``, once the mail service has failed to start so."""
    with screen_db.write() as s:
        agent = add_agent(s, None, "root", role="admin")
        root = Actor(name=agent.login, agent_id=agent.id, role=agent.role)
    settings = Settings(database_url=screen_db.url, mail=mail)
    app = make_app(settings, screen_db, root, clock=frozen_clock)
    texts: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        texts.append(" ".join(" ".join(screen_lines(app)).split()))
        if fails_later is not None:
            app.mail_link._not_started(fails_later)  # (as its thread reports it)
            await settle(pilot)
            texts.append(" ".join(" ".join(screen_lines(app)).split()))
    for text in texts:
        assert "This desk has no tickets yet" in text
        assert "once [mail] is set up" not in text
    return texts


async def test_a_new_desk_whose_mail_is_read_names_the_address_mail_goes_to(
    screen_db: Database, frozen_clock: Callable[[], datetime]
) -> None:
    """Found on a walk: a team's new desk with its mailbox set up and read said "Mail makes
    tickets once [mail] is set up", sending its admin to look for a mistake there was not.
    Where the mail service then fails to start, the queue says so as it learns it (the
    mail's state, ``MailLink.changed``); it went on naming the address."""
    box = MailboxSettings(host="imap.example.com", user="desk")
    mail = MailSettings(
        mailboxes={"support": box},
        addresses=["support@acme.example"],
        message_id_secret=SecretStr("s" * 32),
        run_in_tui=False,  # (helpdesk mail run reads it; this test connects nowhere)
    )
    text, failed = await _new_desk_says(screen_db, frozen_clock, mail, "OSError: no route")
    assert "Mail to support@acme.example opens tickets" in text
    assert "Mail is set up but does not start: OSError: no route" in failed


async def test_an_agent_with_nothing_open_of_their_own_starts_on_all_open(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """A new agent (or admin) on a running desk sees the open work first, not an empty list,
    and is told what to do next: x takes a ticket (the notice said "(3; 1 for yours)")."""
    with desk_data.db.write() as session:
        agent = add_agent(session, desk_data.ada, "dee", name="Dee New", teams=["Support"])
        dee = Actor(name=agent.login, agent_id=agent.id, role=agent.role)
    app = make_test_app(actor=dee)
    app.NOTIFICATION_TIMEOUT = HANG_SECONDS  # the toast stays until it is withdrawn
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: queue(app).view.name == "open" and bool(shown(app)), 10)
        assert (
            "Nothing open is assigned to you: showing All open (key 3). "
            "x takes the next ticket for you; 1 shows yours"
        ) in notifications(app)
        await settle(pilot)
        assert "Nothing open is" in "\n".join(screen_lines(app))
        # The hint is the queue's: it does not stay over the ticket opened from it.
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TicketScreen), 10)
        await settle(pilot)
        assert "Nothing open is" not in "\n".join(screen_lines(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen), 10)
        await pilot.press("1")
        await wait_for(pilot, lambda: queue(app).view.name == "mine", 10)
        await settle(pilot)
        assert shown(app) == [], "their own view stays theirs once they ask for it"


async def test_ratings_waiting_for_a_follow_up_are_told_once_and_listed_from_the_palette(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """Ratings that need a follow-up recorded before the queue opened (a demo desk's, the
    night's) were never told: the alerts tell only what is recorded while it is open. The
    live queue's first page tells them, counted, on the header's one line (a toast hid six
    rows of the queue at 80x24), once, and again when a new one came; the palette lists
    them."""
    rated = desk_data.numbers["thanks"]
    Desk(desk_data.db, desk_data.ada).satisfaction_rate(rated, 1, comment="still broken")
    told = "Helpdesk — ada · 1 rating to follow up: ^p Ratings"
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: told in screen_lines(app)[0], 10)
        assert not any("follow up" in n for n in notifications(app))
    again = make_test_app()  # the same day, the same count: not told again
    async with again.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(shown(again)), 10)
        await settle(pilot)
        assert "follow up" not in screen_lines(again)[0]
    Desk(desk_data.db, desk_data.ada).satisfaction_rate(
        desk_data.numbers["printer"], 1, comment="worse"
    )
    app = make_test_app()  # a new one: told again
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: "2 ratings to follow up" in screen_lines(app)[0], 10)
        await pilot.press("3")  # (another list read: nothing told again)
        await settle(pilot)
        assert "d Done" not in screen_lines(app)[-1]  # (d: on that list only)
        commands = queue(app).palette_commands()
        [follow_ups] = [c for t, _h, c in commands if t == queue_screen.FOLLOW_UPS_COMMAND]
        follow_ups()
        await settle(pilot)
        assert sorted(shown(app)) == sorted([rated, desk_data.numbers["printer"]])
        assert queue(app).view.name == "all"
        assert "? Keys  d Done" in screen_lines(app)[-1]
        assert "follow up" not in screen_lines(app)[0]  # (the notice did its work)
        first = shown(app)[0]
        await pilot.press("d")  # followed up: off the list, and off the count
        await wait_for(pilot, lambda: first not in shown(app), 10)
        assert f"#{first} followed up: its follow-up tag is off" in notifications(app)
        assert Desk(desk_data.db, desk_data.ada).satisfaction_follow_ups() == 1
        await pilot.press("escape")
        await settle(pilot)
        assert len(shown(app)) == 11  # All tickets
        assert "d Done" not in screen_lines(app)[-1]


async def test_the_follow_ups_line_follows_the_desk_and_tells_only_what_is_new(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """The header's count follows the desk's change counter while it shows: follow-ups
    done elsewhere (the CLI, another terminal) lower it at the next page read, and it goes
    at none; it kept the start's count all day. An agent is told only of ratings they were
    not told of: not again the next day for the same ones, but when one followed up made
    room for a new one (the same count) they are told."""
    desk = Desk(desk_data.db, desk_data.ada)
    rated, printer = desk_data.numbers["thanks"], desk_data.numbers["printer"]
    desk.satisfaction_rate(rated, 1, comment="still broken")
    desk.satisfaction_rate(printer, 1, comment="worse")
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "2 ratings to follow up" in screen_lines(app)[0], 10)
        watch = _looked_once(app)
        await settle(pilot)
        desk.satisfaction_followed_up(rated)  # (as `helpdesk ticket followed-up` does)
        watch.look()
        await wait_for(pilot, lambda: "1 rating to follow up" in screen_lines(app)[0], 10)
    again = make_test_app()  # the one left, which they saw: not told again
    async with again.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(shown(again)), 10)
        await settle(pilot)
        assert "follow up" not in screen_lines(again)[0]
    desk.satisfaction_followed_up(printer)
    desk.satisfaction_rate(desk_data.numbers["vpn"], 2, comment="no answer")
    app = make_test_app()  # the same count as told, but a new one: told
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "1 rating to follow up" in screen_lines(app)[0], 10)
        watch = _looked_once(app)
        await settle(pilot)
        desk.satisfaction_followed_up(desk_data.numbers["vpn"])
        watch.look()
        await wait_for(pilot, lambda: "follow up" not in screen_lines(app)[0], 10)


async def test_a_rating_told_by_its_alert_is_not_told_again_at_the_next_start(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """A rating that needs a follow-up recorded while the queue is open is told by its
    alert; that is this agent's read mark too: the next start's line does not tell it
    again (it did, as if never seen)."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(shown(app)), 10)
        watch = _looked_once(app)
        await settle(pilot)
        Desk(desk_data.db, desk_data.ada).satisfaction_rate(
            desk_data.numbers["thanks"], 1, comment="still broken"
        )
        watch.look()
        await wait_for(pilot, lambda: any("still broken" in n for n in notifications(app)), 10)
        whose = {"url": desk_data.db.url, "login": "ada", "what": "follow-ups"}
        await wait_for(pilot, lambda: notices.recall(**whose) is not None, 10)
    again = make_test_app()
    async with again.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(shown(again)), 10)
        await settle(pilot)
        assert "follow up" not in screen_lines(again)[0]


def test_view_bar_keeps_every_key_and_the_current_title_at_80_columns() -> None:
    """An overflowing bar: the current view's title and its nearest neighbours' that fit,
    every other view by its key; a view past the tenth has no key (v / V reach it)."""
    titles = [view.title for view in builtin_views("ada")]
    titles += ["Everything open, nearest deadline first", "Billing", "Hardware", "Eleventh"]
    for current in range(len(titles)):
        bar = view_bar(titles, current, 80)
        assert bar.cell_len <= 80
        assert f" {titles[current]} " in bar.plain
        keys = [part for part in bar.plain.split(" ") if len(part) == 1 and part in "1234567890·"]
        assert keys == [*"1234567890", "·"]
    assert view_bar(titles, 7, 80).plain.startswith(" 1  2  3  4  5  6  7  8 Everything")
    # One cell more and the right-hand neighbour's title fits; the left one's next.
    assert view_bar(titles, 7, 81).plain.endswith(
        " 8 Everything open, nearest deadline first  9 Billing  0  · "
    )
    assert " 7 All tickets  8 " in view_bar(titles, 7, 93).plain
    assert view_bar(titles[:7], 0, 200).plain == "".join(
        f" {n} {title} " for n, title in enumerate(titles[:7], 1)
    )


def test_view_bar_at_80_columns_names_every_built_in_view() -> None:
    """The seven built-in views at 80 columns: the bar showed "6" alone (Recently
    resolved's title did not fit). Now the longest titles are cut to "…" so every view has
    its name, the current one whole where it can be."""
    titles = [view.title for view in builtin_views("ada")]
    assert len(titles) == 7
    for current in range(len(titles)):
        bar = view_bar(titles, current, 80)
        assert bar.cell_len <= 80
        for key, title in enumerate(titles, 1):
            assert f" {key} {title[:4]}" in bar.plain, (current, bar.plain)
        assert f" {titles[current]} " in bar.plain or len(titles[current]) > 15
    assert " 6 Recentl… " in view_bar(titles, 0, 80).plain
    assert " 6 Recent" in view_bar(titles, 5, 80).plain  # its title, cut: the status has it


def test_view_bar_with_more_views_than_keys_fit_shows_those_around_the_current_one() -> None:
    """Thirty views at 80 columns: their keys alone take 90 cells. The current view's title
    stays in sight with the views nearest it; "…" says where others are."""
    titles = [f"View {n}" for n in range(1, 31)]
    for current in range(len(titles)):
        bar = view_bar(titles, current, 80)
        assert bar.cell_len <= 80
        assert f" {titles[current]} " in bar.plain
    assert view_bar(titles, 0, 80).plain.startswith(" 1 View 1  2  3 ")
    assert view_bar(titles, 0, 80).plain.endswith(" …")
    assert view_bar(titles, 29, 80).plain.startswith("… ")
    assert view_bar(titles, 29, 80).plain.endswith("·  · View 30 ")


async def test_keys_0_and_V_reach_the_tenth_view_and_step_back(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    views = {name: SavedView(title=name.title()) for name in ("eighth", "ninth", "tenth")}
    app = make_test_app(
        settings=Settings(database_url=desk_data.db.url, ui=UiSettings(views=views))
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("0")
        assert queue(app).view.title == "Tenth"
        await pilot.press("V", "V")
        assert queue(app).view.title == "Eighth"
        await pilot.press("v", "v", "v")
        assert queue(app).view.title == "My open"


async def test_a_seven_digit_number_is_shown_whole_at_80_columns_and_x_takes_the_next(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """One app run. On a desk of a million tickets the newest numbers have seven digits:
    the number column widens for them (and the subject still keeps 40 cells). Then: an
    agent starts at the queue: x takes the most urgent unassigned ticket of their teams
    there too (it was a key of the ticket screen only, so the first ticket had to be
    opened by hand), skips one another agent is replying to, and shows it; the palette
    offers it as well."""
    with desk_data.db.write() as session:
        wifi = select(Ticket).where(Ticket.number == desk_data.numbers["wifi"])
        session.exec(wifi).one().number = 1234567
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        assert 1234567 in shown(app)
        assert any(line.startswith("1234567 Wi-Fi slow") for line in screen_lines(app))
        widths = {column.key: cells for column, cells in app.queue.table._fitted.columns}
        assert widths["no"] == 7 and widths["subject"] >= 40
        # x takes the next ticket from the queue.
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        taken = screen.number
        assert taken != desk_data.numbers["vpn"]  # (cy is replying to it)
        row = Desk(desk_data.db, desk_data.ada).ticket_row(taken)
        assert row.assignee == "ada"
        await until(pilot, lambda: any(f"#{taken}" in line for line in screen_lines(app)[:3]))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        titles = [title for title, _help, _call in queue(app).palette_commands()]
        assert "Take next" in titles


async def test_a_tall_terminal_pages_without_reading_back_and_forth(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    small_pages: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A screen taller than the window's pages: the window holds the cursor's screen either
    side of it and a page more, so a page read at one end never drops rows the other end
    then reads again (a page after, then one before, and so on, at each key)."""
    order = _many(desk_data.db, desk_data, 150)
    reads: list[str] = []
    reload = QueueScreen._reload

    def counted(self: QueueScreen, kind: str, *args: Any, **kwargs: Any) -> None:
        reads.append(kind)
        reload(self, kind, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(QueueScreen, "_reload", counted)
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        for _ in range(6):
            reads.clear()
            await pilot.press("pagedown")
            await settle(pilot)
            window = shown(app)
            first = order.index(window[0])
            assert window == order[first : first + len(window)]
            assert cursor(app) in window
            assert "before" not in reads, reads


def outage_line(app: HelpdeskApp) -> str | None:
    """The screen's line that says the desk does not answer, if one does."""
    return next((line for line in screen_lines(app) if "not answering" in line), None)


def hh_mm(moment: datetime) -> str:
    return clock_time(moment)


async def test_the_queue_follows_the_desk_again_once_the_database_answers(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PostgreSQL server stopped mid-session (a team's audit at 80x24): each read fails
    as ``DatabaseUnreachable``, a transient error. The queue asks again every
    ``RETRY_SECONDS``, tells the agent once, says on its status line since when the desk
    does not answer for as long as it lasts, and shows what changed meanwhile as soon as
    the desk answers again. (It had stopped asking for good, taking a desk error for a bad
    query, and showed a stale list until another view was picked; then the notice went and
    nothing on screen said the rows were stale.)"""
    monkeypatch.setattr(queue_screen, "REFRESH_SECONDS", 0.05)
    monkeypatch.setattr(queue_screen, "RETRY_SECONDS", 0.05)
    away = threading.Event()
    failed: list[str] = []

    def unreachable(read: Callable[..., Any]) -> Callable[..., Any]:
        def reading(desk: Desk, *args: Any, **kwargs: Any) -> Any:
            if away.is_set():
                failed.append(read.__name__)
                raise DatabaseUnreachable("database error at the desk: connection refused")
            return read(desk, *args, **kwargs)

        return reading

    monkeypatch.setattr(Desk, "list_changes", unreachable(Desk.list_changes))
    monkeypatch.setattr(Desk, "list_window", unreachable(Desk.list_window))
    now = [FROZEN_NOW]
    app = make_test_app(clock=lambda: now[0])
    other = Database(desk_data.db.url)  # another agent's terminal
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("3")
            await settle(pilot)
            assert outage_line(app) is None
            went = now[0] = FROZEN_NOW + timedelta(minutes=12)
            away.set()
            with other.write() as s:
                first = create_ticket(
                    s, desk_data.bob, subject="While the server was down", body="x"
                )
            await wait_for(pilot, lambda: outage_line(app) is not None, 10.0)
            now[0] = went + timedelta(minutes=5)  # (the retries keep the first failure's time)
            so_far = len(failed)
            await wait_for(pilot, lambda: len(failed) >= so_far + 2, 10.0)
            await drain(pilot)
            line = outage_line(app)
            assert line is not None
            assert line.startswith(" All open · sort ")
            assert line.endswith(f" · desk not answering since {hh_mm(went)} — retrying")
            away.clear()
            await wait_for(pilot, lambda: first.number in shown(app), 10.0)
            await wait_for(pilot, lambda: outage_line(app) is None, 10.0)
            with other.write() as s:
                second = create_ticket(s, desk_data.bob, subject="Once it was back", body="x")
            await wait_for(pilot, lambda: second.number in shown(app), 10.0)
            told = [n for n in notifications(app) if "connection refused" in n]
            assert told == ["database error at the desk: connection refused"]
    finally:
        other.dispose()


async def test_every_filter_field_shows_its_whole_hint_and_quitting_with_the_form_open(
    make_test_app: Callable[..., HelpdeskApp],
) -> None:
    """The status field's hint lists every status; at 80 columns it lost its last letter
    ("…, resolved, close"): the field was one cell short (a team's audit at 80x24). Then,
    the form still open, the app quits: the kept form is closed with the app, open or not."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        lines = screen_lines(app)
        for _key, label, hint in FILTER_FIELDS:
            (line,) = [line for line in lines if f"│ {label} " in line]
            assert hint in line, line
        assert isinstance(app.screen, QueueFilterScreen)
        await app.action_quit()
    assert app.return_code == 0, "quit with the form open"


async def test_an_outage_stays_in_sight_at_the_end_of_a_long_status_line(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search's words fill the status line at 80 columns: they are cut ("…") to leave the
    outage its room, and the whole line is back once the desk answers. (Another terminal's
    write makes the queue look: an idle queue reads nothing, so without it the outage was
    seen only when the first check happened to come after it, on a slow machine not at all.)"""
    monkeypatch.setattr(queue_screen, "RETRY_SECONDS", 0.05)
    away = threading.Event()

    def checking(desk: Desk, *args: Any, **kwargs: Any) -> Any:
        if away.is_set():
            raise DatabaseUnreachable("database error at the desk: connection refused")
        return list_changes(desk, *args, **kwargs)

    list_changes = Desk.list_changes
    monkeypatch.setattr(Desk, "list_changes", checking)
    app = make_test_app()
    words = "printer on fire in the third floor copy room again and again"
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("7", "slash", *words, "enter")
        await settle(pilot)
        away.set()
        with desk_data.db.write() as s:
            create_ticket(s, desk_data.bob, subject="While the server was down", body="x")
        await wait_for(pilot, lambda: outage_line(app) is not None, 10.0)
        line = outage_line(app)
        assert line is not None and cell_len(line) <= 80
        since = hh_mm(FROZEN_NOW)
        assert line.endswith(f"… · desk not answering since {since} — retrying"), line
        assert line.startswith(" All tickets · search: printer"), line
        away.clear()
        await wait_for(pilot, lambda: outage_line(app) is None, 10.0)
        assert any(f"search: {words[:40]}" in line for line in screen_lines(app))


async def test_the_shift_beat_covers_the_desk_of_a_deactivated_agent_once(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """Away from the queue and any ticket (the knowledge base), the shift heartbeat reads the
    agent again: a deactivation covers the desk once, however many beats find it, without a
    notice (not as a failed load); keys that would leave the cover do nothing."""
    from helpdesk_tui.desk import agents
    from helpdesk_tui.screens.access_ended import AccessEndedScreen

    app = make_test_app(actor=desk_data.bob)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert app.current_mode == "kb"
        with desk_data.db.write() as s:
            agents.set_active(s, desk_data.ada, "bob", active=False)
        for _ in range(3):
            app._on_shift()
            await settle(pilot)
        told = (
            "bob is deactivated on this helpdesk; an admin can run: helpdesk agent reactivate bob"
        )
        assert app.refused == told
        assert isinstance(app.screen, AccessEndedScreen)
        assert sum(isinstance(s, AccessEndedScreen) for s in app.screen_stack) == 1
        assert notifications(app) == []
        await pilot.press("f3", "f4", "at")
        await settle(pilot)
        assert isinstance(app.screen, AccessEndedScreen) and app.current_mode == "kb"
