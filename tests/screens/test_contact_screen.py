"""The palette's "Customer: ADDRESS": the customer's card, read-only, as ``contact show``
words it — at once by keys, and the copies read (the whole desk) only when asked (``c``);
outside text shown plain; a snapshot at 80x24."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlmodel import Session
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Static

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.screens.contact import ContactScreen
from tests.screens.conftest import DeskData
from tests.screens.test_palette import open_palette, prompts, type_query
from tests.screens.ticket_helpers import settle, until


async def _show(pilot: Pilot[None], address: str) -> ContactScreen:
    await open_palette(pilot)
    await type_query(pilot, address, f"Customer: {address}")
    app = pilot.app
    assert isinstance(app, HelpdeskApp)
    await until(pilot, lambda: prompts(app)[0] == f"Customer: {address}")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ContactScreen))
    screen = app.screen
    assert isinstance(screen, ContactScreen)
    await until(pilot, lambda: not screen.reading)
    await settle(pilot)
    return screen


def _card(screen: ContactScreen) -> str:
    return str(screen.query_one("#contact-text", Static).render())


async def test_the_palette_shows_a_customers_card_and_leaving_it_ends_its_desk_read(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two facts in one app run. The card: the customer's own tickets at once, the copies
    (the whole desk) read on ``c``; an unknown address says the desk keeps nothing. Then
    leaving: ``c`` reads the whole desk (25 s at a million tickets): Escape ends that read,
    its statement interrupted, instead of leaving it to run on in its thread."""
    from helpdesk_tui.desk import contact_service
    from tests.desk.test_read_stop import ENDLESS_SQLITE

    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await _show(pilot, "ann@example.com")
        card = _card(screen)
        assert "Ann Archer" in card and card.count("requester") == 2, card
        assert "not looked for: c reads the desk" in card
        await pilot.press("c")
        await until(pilot, lambda: screen.copies_read)
        await settle(pilot)
        assert "Ann Archer" in _card(screen) and "not looked for" not in _card(screen)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ContactScreen | CommandPalette))
        unknown = await _show(pilot, "nobody@example.com")
        assert "the desk keeps nothing about nobody@example.com" in _card(unknown)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ContactScreen | CommandPalette))

        # Leaving the card while its whole desk read runs ends that read.
        running, ended = threading.Event(), threading.Event()
        by_keys = contact_service.contact_card

        def card_read(session: Session, address: str, *, copies: bool = False) -> object:
            if not copies:
                return by_keys(session, address, copies=False)
            running.set()
            try:
                return session.exec(text(ENDLESS_SQLITE))  # type: ignore[call-overload]
            finally:
                ended.set()

        monkeypatch.setattr(contact_service, "contact_card", card_read)
        screen = await _show(pilot, "ann@example.com")
        await pilot.press("c")
        await until(pilot, running.is_set)
        await pilot.press("escape")
        await until(pilot, ended.is_set)
        assert not isinstance(app.screen, ContactScreen), "leaving"
        assert not screen.copies_read, "leaving"


def test_contact_card_snapshot(
    snap_compare: Callable[..., bool], make_test_app: Callable[..., HelpdeskApp]
) -> None:
    """Mallory's name and subjects carry markup and escape sequences: shown as plain text."""

    async def scene(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await _show(pilot, "mallory@example.com")

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=scene)
