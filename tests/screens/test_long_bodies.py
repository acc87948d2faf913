"""Long and bad input in the TUI (issue 8, items 7 and 8).

A long message opens at once, in part, and reads on with a key; the composer refuses text
over the limit; a ticket number that is not there never shows as "loading" for good.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from rich.console import Console
from textual.widgets import Static, TextArea

from helpdesk_tui import timefmt
from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.config import Settings
from helpdesk_tui.desk import thread, ticket_view
from helpdesk_tui.desk.actors import MAIL
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.desk.ticket_view import FIRST_PART, NEXT_PART
from helpdesk_tui.limits_settings import Limits
from helpdesk_tui.messages import OpenTicket
from helpdesk_tui.screens.composer import ComposerScreen
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.widgets.history_log import HistoryLog
from helpdesk_tui.widgets.thread import Thread
from tests.screens.conftest import DeskData
from tests.screens.ticket_helpers import notifications, open_ticket, screen_lines, until

AppFactory = Callable[..., HelpdeskApp]


async def test_a_long_message_reads_on_and_a_ticket_that_is_not_there_says_so(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """One app run: a long message shows its first part and reads on with ``o``; then a
    ticket number that is not there says so in its header, never "loading" for good."""
    number = desk_data.numbers["printer"]
    # Longer than the first part and the next one read together (220 kB): what is shown is
    # cut at each read, as in a 3.6 MB log (which took a second to store and index).
    body = "".join(f"log line {i:08}\n" for i in range((FIRST_PART + 2 * NEXT_PART) // 18))
    with desk_data.db.write() as session:
        thread.add_customer_message(session, MAIL, number, body=body)
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(pilot, number)
        view = screen.view
        assert view is not None
        [long] = [e for e in view.entries if e.length == len(body)]
        assert len(long.body) == FIRST_PART
        threads = screen.query_one(Thread)
        threads.scroll_end(animate=False)
        note = "more characters of this message (o reads on)"
        await until(pilot, lambda: note in "\n".join(screen_lines(app)))
        await pilot.press("o")
        await until(pilot, lambda: (threads.first_cut() or long).body != long.body)
        extended = threads.first_cut()
        assert extended is not None and extended.length == len(body)
        assert body.startswith(extended.body) and len(extended.body) > FIRST_PART
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        # A ticket that is not there.
        app.post_message(OpenTicket(987654321))
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))
        await until(pilot, lambda: "no ticket #987654321" in "\n".join(screen_lines(app)))
        assert "loading" not in "\n".join(screen_lines(app))
    assert Desk(desk_data.db, desk_data.ada).find_tickets(str(2**70)) == []


async def test_the_composer_refuses_text_over_the_limit(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    number = desk_data.numbers["vpn"]
    settings = Settings(database_url=desk_data.db.url, limits=Limits(max_body_bytes=1024))
    app = make_test_app(settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, number)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        app.screen.query_one(TextArea).load_text("x" * 1025)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: any("1.0 KB limit" in n for n in notifications(app)))
        assert isinstance(app.screen, ComposerScreen)  # still writing: nothing was lost
    with desk_data.db.read() as session:
        assert [m.kind for m in ticket_detail(session, number).messages] == ["customer"]


async def test_a_long_ticket_opens_at_its_newest_part_and_home_reads_the_rest(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ticket with many messages and changes opens with its newest ones read and a few
    drawn, says how many are above, and Home (then End) reaches either end, the thread's and
    the history's; scrolling up draws more above what is in sight."""
    number = desk_data.numbers["printer"]
    with desk_data.db.write() as session:
        for i in range(30):
            thread.add_note(session, desk_data.ada, number, body=f"Note {i:02}: tried again")
    monkeypatch.setattr(ticket_view, "READ_FIRST", 10)
    monkeypatch.setattr(Thread, "FIRST", 6)
    monkeypatch.setattr(Thread, "STEP", 4)
    monkeypatch.setattr(HistoryLog, "FIRST", 6)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(pilot, number)
        assert screen.view is not None and not screen.view.whole
        messages = len(screen.view.entries) + screen.view.earlier
        threads = screen.query_one(Thread)
        assert len(threads.views) <= len(screen.view.entries) < messages
        text = "\n".join(screen_lines(app))
        assert "Note 29: tried again" in text and "Note 15" not in text
        marker = str(threads.query_one(".-before", Static).content)
        assert marker == f"… {messages - len(threads.views)} earlier entries: ↑ or Home shows them"
        await pilot.press("home")
        await until(pilot, lambda: "It smokes badly." in "\n".join(screen_lines(app)))
        assert screen.view.whole and len(screen.view.entries) == messages
        await pilot.press("end")
        await until(pilot, lambda: "Note 29: tried again" in "\n".join(screen_lines(app)))
        shown = len(threads.views)
        first = threads.views[0]
        await pilot.press("pageup")
        await until(pilot, lambda: len(threads.views) > shown)
        await pilot.pause()
        # What was in sight (the marker's line and its margin above it) still is:
        assert threads.scroll_y > 0 and first.virtual_region.y - threads.scroll_y == 2
        await pilot.press("h")
        await until(pilot, lambda: "ada: note" in "\n".join(screen_lines(app)))
        await pilot.press("end")
        await until(pilot, lambda: "created" in "\n".join(screen_lines(app)))


async def test_a_long_ticket_read_again_reads_what_was_scrolled_into_not_all_of_it(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scrolled up past the newest part a long ticket opened with, the agent has a window
    more read, not the whole ticket; a read of it again (a colleague's note) reads as much,
    and the thread stays on the entries in sight, their widgets kept. (Once scrolled past,
    every later read read the whole ticket, 0.4 s of CPU at 20,000 changes, and made every
    entry's widget again.)"""
    number = desk_data.numbers["printer"]
    with desk_data.db.write() as session:
        for i in range(60):
            thread.add_note(session, desk_data.ada, number, body=f"Note {i:02}: tried again")
    monkeypatch.setattr(ticket_view, "READ_FIRST", 10)
    monkeypatch.setattr(Thread, "FIRST", 6)
    monkeypatch.setattr(Thread, "STEP", 4)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(pilot, number)
        opened = screen.view
        assert opened is not None and opened.earlier
        threads = screen.query_one(Thread)
        while screen.view is opened:  # up onto the marker until more is read
            await pilot.press("pageup")
            await pilot.pause()
        await until(pilot, lambda: threads.lo > 0)  # (the step up it waited for)
        grown = screen.view
        assert grown is not None and not grown.whole
        assert len(opened.entries) < len(grown.entries) <= 2 * 10
        assert grown.earlier == opened.earlier - (len(grown.entries) - len(opened.entries))
        in_sight = threads.items[threads.lo]
        drawn = threads.view_of(threads.lo)
        with desk_data.db.write() as session:
            thread.add_note(session, desk_data.bob, number, body="Bob: rebooted it")
        made: list[int] = []
        make_view = threads.make_view
        monkeypatch.setattr(threads, "make_view", lambda i: made.append(i) or make_view(i))
        screen.reload()  # (as the presence beat does when the ticket changed)
        await until(pilot, lambda: screen.view is not grown)
        again = screen.view
        assert again is not None and not again.whole
        assert again.entries[-1].body == "Bob: rebooted it"
        assert len(again.entries) <= 2 * 10
        await pilot.pause()
        assert threads.items[threads.lo] == in_sight
        assert threads.view_of(threads.lo) is drawn  # (kept, not made and laid out again)
        assert made == [len(threads.items) - 1]  # (the new note's alone: kept ones compared)
        later = again.entries[-1].at + timedelta(days=3)  # a read a while later: times move
        threads.show(list(threads.items), later, earlier=threads.unread)
        await pilot.pause()
        assert threads.view_of(threads.lo) is drawn
        console = Console(width=200, record=True, file=io.StringIO())
        console.print(drawn.content)
        assert timefmt.relative(in_sight.at, later) in console.export_text()
