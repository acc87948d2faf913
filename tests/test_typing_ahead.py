"""Keys typed in one burst go to the screen they were typed for (``typing_ahead``): those
after a key that opens a screen wait until it is ready and then go to it, in order; after
one that closes a screen, to the screen below. (The app handed each key on as it came: to
the widget focused then, before the key before it had opened anything.)"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from textual import events
from textual.app import ComposeResult
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import Input

from helpdesk_tui import typing_ahead
from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.screens.ticket import TicketScreen
from tests.conftest import HANG_SECONDS
from tests.draft_places import load_draft
from tests.screens import conftest as screen_fixtures
from tests.screens.conftest import DeskData
from tests.screens.ticket_helpers import notifications, settle, until

# The screen tests' fixtures (a seeded desk, the frozen clock, the app factory), used here too.
screen_db = screen_fixtures.screen_db
desk_data = screen_fixtures.desk_data
_seeded_sqlite = screen_fixtures._seeded_sqlite
frozen_clock = screen_fixtures.frozen_clock
make_test_app = screen_fixtures.make_test_app
markers_waited_for = screen_fixtures.markers_waited_for

AppFactory = Callable[..., HelpdeskApp]


def burst(app: HelpdeskApp, *keys: str) -> None:
    """``keys`` as a terminal delivers them in one read: all on the app's queue before any
    is handled. A key of one character is that character; a longer one is typed as words
    when it has a space, else it is a key's name."""
    for key in keys:
        if len(key) > 1 and " " in key:
            for char in key:
                app.post_message(events.Key("space" if char == " " else char, char))
        else:
            app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_keys_after_a_key_that_opens_or_closes_a_screen_go_to_the_screen_then_shown(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """``#N⏎`` opens ticket N (the digits went to the queue, where they pick views, and
    Enter opened the row then under the cursor); ``r`` and words write them in the reply
    (the composer opens once the desk says who else replies: the words went to the
    ticket); Esc k keeps that draft and closes the composer, and the keys after it go to
    the ticket: ``n`` and words write a note; ctrl+q keeps both drafts whole."""
    number = desk_data.numbers["wifi"]
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, QueueScreen) and app.live)
        await settle(pilot)
        burst(app, "number_sign", *str(number), "enter")
        await until(pilot, lambda: getattr(app.screen, "number", None) == number)
        ticket = app.screen
        await until(pilot, lambda: getattr(ticket, "view", None) is not None)  # (r needs it)
        burst(app, "r", "Hello there, all", "escape", "k", "n", "Called them back", "ctrl+q")
        await until(pilot, lambda: not app.is_running)
    assert load_draft(desk_data.db, number, "reply") == "Hello there, all"
    assert load_draft(desk_data.db, number, "note") == "Called them back"


class _Opening(ModalScreen[None]):
    """A screen with a line to type in."""

    def compose(self) -> ComposeResult:
        yield Input()


async def test_keys_for_a_screen_that_does_not_open_are_not_lost(
    make_test_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A screen closed before it got ready: the keys typed for it go to the screen below,
    in order. A screen that does not open (the desk does not answer the look-up before
    it): after ``STALL_SECONDS`` the keys go to the screen shown, and one line says so.
    An error nothing handles ends the app while keys typed after the failing one are on
    their way: the app handles none any more, and they are on no way (``idle``; their
    trip could never end, and the screen tests' ``settle``, which waits for it, waited for
    ever: the suite hung, the app had ended with Textual's traceback)."""
    monkeypatch.setattr(typing_ahead, "STALL_SECONDS", 0.2)

    def broken(_screen: TicketScreen) -> None:
        raise RuntimeError("a bug")

    app = make_test_app()
    with pytest.raises(RuntimeError, match="a bug"):
        async with app.run_test(size=(80, 24)) as pilot:
            await _slow_screens(app, pilot, monkeypatch)
            monkeypatch.setattr(TicketScreen, "action_back", broken)
            burst(app, "escape", "down", "down")
            await asyncio.wait_for(settle(pilot), HANG_SECONDS)
    assert app.typing_ahead.idle


async def _slow_screens(
    app: HelpdeskApp, pilot: Pilot[None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys for a screen closed before it got ready, and for one whose look-up the desk
    does not answer in time; ends on ticket 1."""
    await until(pilot, lambda: isinstance(app.screen, QueueScreen) and app.live)
    await settle(pilot)
    queue = app.screen
    app.push_screen(_Opening())
    burst(app, "slash", *"vpn")
    app.pop_screen()
    search = queue.query_one("#queue-search", Input)
    await until(pilot, lambda: search.value == "vpn")
    burst(app, "escape")
    await until(pilot, lambda: not search.display)
    answer = threading.Event()
    find = app.desk.find_tickets

    def slow_find(*args: Any, **kwargs: Any) -> Any:
        answer.wait(HANG_SECONDS)
        return find(*args, **kwargs)

    monkeypatch.setattr(app.desk, "find_tickets", slow_find)
    burst(app, "number_sign", "1", "enter", "slash", *"wifi")
    await until(pilot, lambda: search.value == "wifi")
    said = "A screen was slow to open: the 5 keys typed meanwhile went to the one shown"
    assert said in notifications(app)
    answer.set()
    await until(pilot, lambda: getattr(app.screen, "number", None) == 1)
