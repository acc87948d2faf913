"""Keys typed in one burst reach the composer in the order typed: the text before ctrl+r
is sent whole. (The app checks a priority binding such as ctrl+r the moment the key
arrives, while the keys before it wait in the text area's queue: the send read the text
before they were applied, "the reply is empty" or a reply short of its last words.)"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from textual import events
from textual.widgets import Input

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.screens.canned_picker import CannedPickScreen
from helpdesk_tui.screens.composer import ComposerScreen
from helpdesk_tui.screens.ticket import TicketScreen
from tests.conftest import HANG_SECONDS
from tests.screens.conftest import DeskData
from tests.screens.test_composer_canned import seed_canned
from tests.screens.ticket_helpers import open_ticket, until

AppFactory = Callable[..., HelpdeskApp]


def burst(app: HelpdeskApp, text: str, *keys: str) -> None:
    """``text`` and then ``keys`` as a terminal delivers them in one read: every key on
    the app's queue before any is handled (a pilot's press waits after each key)."""
    for char in text:
        app.post_message(events.Key(char, char))
    for key in keys:
        app.post_message(events.Key(key, None))


async def test_a_burst_sends_the_whole_text_and_words_and_enter_pick_from_their_list(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One app run, two facts. Text and ctrl+r in one burst send the whole text. The
    picker's list is looked up in a worker (held here until the keys are in): Enter
    picked the first item of the list shown before the words' (here "Password reset", of
    the empty search). ↓ after words moved in the list shown before theirs, and theirs
    then came with its first item highlighted."""
    seed_canned(desk_data)
    holds = [threading.Event()]
    find = CannedPickScreen.find_items

    def slow_find(screen: CannedPickScreen, query: str) -> list[Any]:
        if query:
            holds[-1].wait(HANG_SECONDS)
        return find(screen, query)

    monkeypatch.setattr(CannedPickScreen, "find_items", slow_find)
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, number)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        burst(app, "Sent in one burst", "ctrl+r")
        await pilot.pause()
        await until(pilot, lambda: not app.workers)
        assert isinstance(app.screen, TicketScreen)
        with desk_data.db.read() as s:
            last = ticket_detail(s, number).messages[-1]
        assert (last.kind, last.body) == ("reply", "Sent in one burst"), "the whole text"
        # Words and Enter in one burst pick from the words' list.
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        composer = app.screen
        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(app.screen, CannedPickScreen))
        await until(pilot, lambda: not app.workers)
        picker = app.screen
        burst(app, "refnd", "enter")
        await until(pilot, lambda: picker.query_one(Input).value == "refnd")
        holds[-1].set()
        await until(pilot, lambda: app.screen is composer and bool(composer.text))
        assert composer.text == "Refunds take 5 days. -- Ada Admin"
        holds.append(threading.Event())
        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(app.screen, CannedPickScreen))
        await until(pilot, lambda: not app.workers)
        picker = app.screen
        assert isinstance(picker, CannedPickScreen)
        burst(app, "pr", "down", "down")
        await until(pilot, lambda: picker.query_one(Input).value == "pr")
        await until(pilot, lambda: app.typing_ahead.idle)  # (the ↓s made, before the list)
        holds[-1].set()
        await until(pilot, lambda: picker.listed.words == "pr")
        assert picker.options.option_count > 2
        assert picker.options.highlighted == 2
