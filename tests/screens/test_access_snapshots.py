"""Snapshot of the screen a terminal shows once its agent's access ended (80x24).

Regenerate with ``pytest tests/screens/test_access_snapshots.py --snapshot-update`` and
look at the report before committing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.screens import ticket as ticket_screen
from helpdesk_tui.screens.access_ended import AccessEndedScreen
from helpdesk_tui.screens.composer import ComposerScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.storage.database import Database
from tests.clocks import local_zone
from tests.screens.conftest import DeskData
from tests.screens.ticket_helpers import hold_autosave, open_ticket, settle, until


@pytest.fixture
def utc_time() -> Iterator[None]:
    """Local time is UTC (the time the access ended is drawn the same on every machine)."""
    with local_zone("UTC"):
        yield


def test_access_ended_80x24(
    snap_compare: Any,
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    monkeypatch: pytest.MonkeyPatch,
    utc_time: None,
) -> None:
    """bob, writing a note on the printer ticket, deactivated by ada from another
    connection: at the ticket's next beat his screen says when and why his access ended,
    what an admin can run, that his note is kept; nothing of the desk behind it."""
    monkeypatch.setattr(ticket_screen, "BEAT_SECONDS", 3600.0)  # (the beat made by hand)
    hold_autosave(monkeypatch)
    number = desk_data.numbers["printer"]

    async def deactivated(pilot: Pilot[None]) -> None:
        await open_ticket(pilot, number)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(pilot.app.screen, ComposerScreen))
        pilot.app.screen.query_one(TextArea).insert("The smoke came from the fuser")
        other = Database(desk_data.db.url)
        try:
            Desk(other, desk_data.ada).agents_deactivate("bob")
        finally:
            other.dispose()
        ticket = pilot.app.screen_stack[-2]
        assert isinstance(ticket, TicketScreen)
        ticket._beat()
        await until(pilot, lambda: isinstance(pilot.app.screen, AccessEndedScreen))
        await settle(pilot)

    assert snap_compare(
        make_test_app(actor=desk_data.bob), terminal_size=(80, 24), run_before=deactivated
    )
