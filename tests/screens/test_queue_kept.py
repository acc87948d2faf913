"""Start-up: the queue draws the page kept from the last start, then the live one.

The desk is "opened" by a function the test holds back with an event, so each test sees
the screen before and after the desk is there, in that order, without timing anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from textual import events
from textual.geometry import Offset
from textual.pilot import Pilot, _get_mouse_message_arguments
from textual.widget import Widget
from textual.widgets import Static

from helpdesk_tui import queue_cache, typing_ahead
from helpdesk_tui.app import HelpdeskApp, kept_page, make_app
from helpdesk_tui.config import Settings
from helpdesk_tui.desk import fields
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import UnknownAgent
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.storage.database import Database
from helpdesk_tui.timefmt import clock_time
from tests.conftest import HANG_SECONDS
from tests.screens.conftest import DeskData
from tests.screens.test_queue import settle, shown, wait_for
from tests.screens.ticket_helpers import notifications, record_notifications, screen_lines


@pytest.fixture(autouse=True)
def desk_not_slow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys typed behind an action that waits for the desk wait for it as for a screen
    (``typing_ahead.STALL_SECONDS`` at most): the desk a test holds back is not slow to
    open (a loaded machine took more than that to press the keys and open it)."""
    monkeypatch.setattr(typing_ahead, "STALL_SECONDS", HANG_SECONDS)


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # never leave an opening thread waiting


def status(app: HelpdeskApp) -> str:
    return str(app.queue.query_one("#queue-status", Static).render())


async def keep_a_page(make_test_app: Callable[..., HelpdeskApp]) -> list[int]:
    """Run the app once, live, as the last start did: its first page is kept."""
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: bool(shown(app)), 10)
        await settle(pilot)
        return shown(app)


def add_ticket(desk: DeskData) -> int:
    """A ticket for ada made after the page was kept: only the live page has it."""
    with desk.db.write() as session:
        ticket = create_ticket(
            session,
            desk.ada,
            subject="Kettle leaks",
            body="Water everywhere.",
            requester_email="ann@example.com",
        )
    with desk.db.write() as session:
        fields.assign(session, desk.ada, ticket.number, agent="ada")
    return ticket.number


def opening_app(
    desk: DeskData,
    gate: threading.Event,
    clock: Callable[[], datetime],
    *,
    login: str = "ada",
    fail: BaseException | None = None,
) -> HelpdeskApp:
    """The app as ``helpdesk`` starts it when a page is kept: the desk opens in a thread."""
    settings = Settings(database_url=desk.db.url)

    def opening() -> tuple[Database, Actor]:
        assert gate.wait(30)
        if fail is not None:
            raise fail
        return desk.db, desk.ada

    app = make_app(
        settings,
        None,
        Actor(name=login),
        clock=clock,
        opening=opening,
        kept=kept_page(settings, login),
    )
    record_notifications(app)
    return app


async def click_as_a_terminal_does(pilot: Pilot[None], widget: Widget, at: tuple[int, int]) -> None:
    """A click at ``at`` in ``widget`` as the terminal's driver sends it: mouse down and up
    to the app (which makes the click), where ``Pilot.click`` gives them to the screen."""
    where = _get_mouse_message_arguments(widget, Offset(*at))
    for made in (events.MouseDown, events.MouseUp):
        pilot.app.post_message(made(**where))
        await pilot.pause()


async def live(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, HelpdeskApp)
    await wait_for(pilot, lambda: app.live and app.queue._mark is not None, 10)
    await settle(pilot)


async def test_the_kept_page_shows_at_once_then_the_live_page_replaces_it(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    gate: threading.Event,
    frozen_clock: Callable[[], datetime],
) -> None:
    kept = await keep_a_page(make_test_app)
    new = add_ticket(desk_data)
    app = opening_app(desk_data, gate, frozen_clock)
    assert app.kept is not None
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not app.live
        assert shown(app) == kept
        assert "as of" in status(app) and "loading…" in status(app)
        assert f"as of {clock_time(app.kept.as_of)}, loading…" in status(app)  # (its zone)
        await pilot.press("2")  # another view: asked for once the desk is open
        await pilot.pause()
        assert shown(app) == [], "the kept rows are not another view's"
        await pilot.press("1")
        gate.set()
        await live(pilot)
        assert shown(app)[0] == new and set(kept) < set(shown(app))
        assert "loading" not in status(app)
    again = queue_cache.recall(
        url=desk_data.db.url, login="ada", views={v.name: v.query for v in app.views}
    )
    assert again is not None and again.rows[0].number == new, "the live page is kept"


async def test_enter_on_a_kept_row_opens_the_ticket_once_the_desk_is_open(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    gate: threading.Event,
    frozen_clock: Callable[[], datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A desk slow to open: ↓ typed behind Enter waits for it as for a slow screen, and
    after ``STALL_SECONDS`` goes to the queue, and one line says so (it waited for as long
    as the desk took); the ticket still opens once the desk is there."""
    monkeypatch.setattr(typing_ahead, "STALL_SECONDS", 0.2)
    kept = await keep_a_page(make_test_app)
    app = opening_app(desk_data, gate, frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter", "down")
        await pilot.pause()
        assert f"Opening #{kept[0]} once the desk is loaded" in notifications(app)
        said = "A screen was slow to open: the 1 keys typed meanwhile went to the one shown"
        await wait_for(pilot, lambda: said in notifications(app), HANG_SECONDS)
        await wait_for(pilot, lambda: app.queue.table.cursor_row == 1, HANG_SECONDS)
        assert not isinstance(app.screen, TicketScreen)
        gate.set()
        await wait_for(pilot, lambda: isinstance(app.screen, TicketScreen), 10)
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.number == kept[0]


async def test_nothing_kept_for_another_agent_or_desk(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    gate: threading.Event,
    frozen_clock: Callable[[], datetime],
) -> None:
    await keep_a_page(make_test_app)
    assert kept_page(Settings(database_url=desk_data.db.url), "bob") is None
    assert kept_page(Settings(database_url=desk_data.db.url + "x"), "ada") is None
    app = opening_app(desk_data, gate, frozen_clock, login="bob")
    assert app.kept is None
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert shown(app) == []
        table = app.queue.table
        assert "Loading the desk" in " ".join(
            table.render_line(y).text for y in range(table.size.height)
        )
        gate.set()
        await live(pilot)
        assert shown(app)


async def test_a_desk_that_cannot_be_opened_ends_the_app_with_the_reason(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    gate: threading.Event,
    frozen_clock: Callable[[], datetime],
) -> None:
    await keep_a_page(make_test_app)
    refusal = UnknownAgent("ada is deactivated on this helpdesk")
    app = opening_app(desk_data, gate, frozen_clock, fail=refusal)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        gate.set()
        await wait_for(pilot, lambda: app.open_error is not None, 10)
    assert app.open_error is refusal and app.return_code == 1


async def test_a_desk_opened_after_the_agent_quit_is_not_used(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    gate: threading.Event,
    frozen_clock: Callable[[], datetime],
) -> None:
    await keep_a_page(make_test_app)
    app = opening_app(desk_data, gate, frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+q")
        gate.set()  # the opening ends after the agent quit: the app leaves without the desk
        await pilot.pause()
    assert not app.live and app.open_error is None and app.return_code in (None, 0)


async def test_a_refusal_that_comes_after_the_agent_quit_still_forgets_the_page(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    gate: threading.Event,
    frozen_clock: Callable[[], datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A deactivated agent's start shows the page kept by their last (allowed) session
    until the desk answers: the start cannot know sooner without asking the desk first.
    The refusal forgets the page, so no later start shows it; it did not when the agent
    quit before the refusal came (the app's callback never ran): each start showed the
    desk's tickets again."""
    await keep_a_page(make_test_app)
    refusal = UnknownAgent("ada is deactivated on this helpdesk")
    app = opening_app(desk_data, gate, frozen_clock, fail=refusal)
    forgot = threading.Event()
    forget = queue_cache.forget

    def forget_and_say() -> None:
        forget()
        forgot.set()

    monkeypatch.setattr(queue_cache, "forget", forget_and_say)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert shown(app)  # (the kept page, as the desk is asked)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running, 10)
    gate.set()
    # The opening thread outlives the app (a thread is not cancelled with its worker):
    # waited for by what it does, not by the app's workers.
    assert forgot.wait(10)
    assert not queue_cache.cache_file().exists()
    assert kept_page(Settings(database_url=desk_data.db.url), "ada") is None


async def test_keys_typed_behind_f4_while_the_desk_loads_are_the_reports(
    desk_data: DeskData, gate: threading.Event, frozen_clock: Callable[[], datetime]
) -> None:
    """F4 waits for the desk; "3" typed right behind it picks the reports' 30 days once they
    show, where it went to the queue and switched its view (held, in order: _later)."""
    from helpdesk_tui.screens.reports import ReportsScreen

    app = opening_app(desk_data, gate, frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.live
        queue = app.queue
        view = queue.view
        await pilot.press("f4", "3")
        await pilot.pause()
        assert queue.view == view  # held, not the queue's
        gate.set()
        await wait_for(pilot, lambda: isinstance(app.screen, ReportsScreen), 10)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen) and screen.query_spec is not None
        assert (screen.query_spec.end - screen.query_spec.start).days == 29
        assert queue.view == view


async def test_keys_typed_behind_f3_while_the_desk_loads_are_the_knowledge_bases(
    desk_data: DeskData, gate: threading.Event, frozen_clock: Callable[[], datetime]
) -> None:
    """F3 then a word: the knowledge base's search (focused as it shows) has the word, where
    its letters went to the queue ("f" opened its filter)."""
    from textual.widgets import Input

    from helpdesk_tui.screens.kb import KbScreen

    app = opening_app(desk_data, gate, frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        queue = app.queue
        await pilot.press("f3", "w", "i", "f", "i")
        await pilot.pause()
        assert app.screen is queue
        gate.set()
        await wait_for(pilot, lambda: isinstance(app.screen, KbScreen), 10)
        await settle(pilot)
        assert app.screen.query_one("#kb-query", Input).value == "wifi"


async def test_esc_behind_an_action_waiting_for_the_desk_closes_the_screen_it_opens(
    desk_data: DeskData, gate: threading.Event, frozen_clock: Callable[[], datetime]
) -> None:
    """@ then Esc and v while the desk loads: they wait for the desk in order, as keys wait
    for any screen (``typing_ahead``): the mail screen shows once the desk is open, Esc
    closes it, and v goes to the queue below. (Esc cancelled the wait, a rule of its own;
    the keys behind it went to the queue at once.)"""
    from helpdesk_tui.screens.mail import MailScreen

    app = opening_app(desk_data, gate, frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.queue.view
        await pilot.press("at", "escape", "v")
        await pilot.pause()
        assert app.queue.view == view and app.screen is app.queue  # (they wait)
        assert not any("Cancelled" in text for text in notifications(app))
        gate.set()
        await live(pilot)
        assert app.screen is app.queue
        assert not any(isinstance(s, MailScreen) for s in app.screen_stack)
        assert app.queue.view != view  # v, after Esc closed the mail screen


async def test_keys_typed_behind_enter_while_the_desk_loads_are_the_tickets(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    gate: threading.Event,
    frozen_clock: Callable[[], datetime],
) -> None:
    """Enter on a kept row, then ↓: the ticket that opens once the desk is open is given it
    (it scrolls); the queue's cursor stays on the row opened, where it moved a row down
    while the ticket waited. A click on the queue meanwhile is dropped (it moved the
    cursor, or opened the row clicked, under the ticket asked for)."""
    kept = await keep_a_page(make_test_app)
    assert len(kept) > 1
    app = opening_app(desk_data, gate, frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        queue = app.queue
        await pilot.press("enter", "down")
        await pilot.pause()
        assert queue.table.cursor_row == 0
        for _ in range(2):  # (twice: a click on the cursor's row opens it)
            await click_as_a_terminal_does(pilot, queue.table, (4, 2))
        assert queue.table.cursor_row == 0 and app.screen is queue
        gate.set()
        await wait_for(pilot, lambda: isinstance(app.screen, TicketScreen), 10)
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.number == kept[0]
        assert queue.table.cursor_row == 0
        assert sum(isinstance(s, TicketScreen) for s in app.screen_stack) == 1


async def test_the_first_frame_s_title_is_the_desk_s_own_name_kept_with_the_page(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    gate: threading.Event,
    frozen_clock: Callable[[], datetime],
) -> None:
    """Started from the kept page, the title said the config's ``desk_name`` ("Helpdesk")
    until the desk opened, where the desk's own name ("ACME IT", ``helpdesk desk name``)
    heads every terminal: the name is kept with the page now, and drawn in the first frame.
    A desk with no name of its own keeps none (the config's shows); a kept name is cleaned."""
    from helpdesk_tui.desk.facade import Desk

    await keep_a_page(make_test_app)
    app = opening_app(desk_data, gate, frozen_clock)
    assert app.kept is not None and app.kept.desk_name is None
    assert app.title == "Helpdesk"
    Desk(desk_data.db, desk_data.ada).desk_set_name("ACME IT")
    await keep_a_page(make_test_app)
    app = opening_app(desk_data, gate, frozen_clock)
    assert app.kept is not None and app.kept.desk_name == "ACME IT"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.live
        assert "ACME IT" in screen_lines(app)[0], screen_lines(app)[0]
        gate.set()
        await live(pilot)
        assert app.title == "ACME IT"
    path = queue_cache.cache_file()
    text = path.read_text(encoding="utf-8").replace("ACME IT", "ACME\\u001b]0;pwn\\u0007 IT")
    path.write_text(text, encoding="utf-8")
    app = opening_app(desk_data, gate, frozen_clock)
    assert app.kept is not None and "\x1b" not in app.title and "\x07" not in app.title
