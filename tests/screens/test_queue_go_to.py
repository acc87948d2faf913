"""`#` in the queue: go to a ticket by its number (digits pick views there)."""

from __future__ import annotations

from collections.abc import Callable

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.screens.pickers import PromptScreen
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.screens.ticket import TicketScreen
from tests.screens.conftest import DeskData
from tests.screens.ticket_helpers import notifications, settle, until


async def test_hash_goes_to_a_ticket_by_number_and_names_a_bad_one(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """Typing "2992 Enter" in the queue opened view 2's first row: `#` asks "Go to #",
    Enter opens the ticket; an unknown number or no number is one line; the queue stays."""
    app = make_test_app()
    number = desk_data.numbers["thanks"]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for typed, said in (("99999", "No ticket #99999"), ("ab", "Not a ticket number: ab")):
            await pilot.press("number_sign")
            await until(pilot, lambda: isinstance(app.screen, PromptScreen))
            await pilot.press(*typed, "enter")
            await until(pilot, lambda said=said: said in notifications(app))
            assert isinstance(app.screen, QueueScreen)
        await pilot.press("number_sign")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*str(number), "enter")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))
        assert app.screen.number == number  # type: ignore[attr-defined]
