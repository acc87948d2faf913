"""Snapshots at 80x24 of the questions that make actions undoable or deliberate."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.screens.confirm import ChoiceScreen
from helpdesk_tui.screens.drafts import DraftsScreen
from helpdesk_tui.screens.pickers import PromptScreen, TicketPickScreen
from tests.draft_places import save_draft
from tests.screens.conftest import DeskData
from tests.screens.snapshot_setup import show_ticket, start_reply
from tests.screens.test_undo import no_address_ticket, saved_drafts
from tests.screens.ticket_helpers import settle, until

SIZE = (80, 24)


async def still(pilot: Pilot[None]) -> None:
    """Settle, with no blinking cursor in a dialog's input (it would make the picture racy)."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await settle(pilot)


def _has_options(pilot: Pilot[None]) -> bool:
    screen = pilot.app.screen
    return bool(screen.query(OptionList)) and screen.query_one(OptionList).option_count > 0


def test_closing_asks_first(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    number = desk_data.numbers["laptop"]
    save_draft(desk_data.db, number, "reply", "Dear Ann,")

    async def run_before(pilot: Pilot[None]) -> None:
        await show_ticket(pilot, number)
        await pilot.press("s", *"closed", "enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen))
        await still(pilot)

    assert snap_compare(make_test_app(), terminal_size=SIZE, run_before=run_before)


def test_merge_picker_shows_requesters(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await show_ticket(pilot, desk_data.numbers["vpn"])
        await pilot.press("M")
        await until(
            pilot,
            lambda: isinstance(pilot.app.screen, TicketPickScreen) and _has_options(pilot),
        )
        await still(pilot)

    assert snap_compare(make_test_app(), terminal_size=SIZE, run_before=run_before)


def test_merging_different_requesters_warns(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await show_ticket(pilot, desk_data.numbers["vpn"])
        await pilot.press("M", *f"#{desk_data.numbers['printer']}")
        await until(
            pilot,
            lambda: isinstance(pilot.app.screen, TicketPickScreen) and _has_options(pilot),
        )
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen))
        await still(pilot)

    assert snap_compare(make_test_app(), terminal_size=SIZE, run_before=run_before)


def test_reply_with_no_address_asks_for_one(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    number = no_address_ticket(desk_data)

    async def run_before(pilot: Pilot[None]) -> None:
        await start_reply(pilot, number, "Fixed on site.")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
        await still(pilot)

    assert snap_compare(make_test_app(), terminal_size=SIZE, run_before=run_before)


def test_drafts_list(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    saved_drafts(desk_data)

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        app = pilot.app
        assert isinstance(app, HelpdeskApp)
        app.action_drafts()
        await until(pilot, lambda: isinstance(app.screen, DraftsScreen) and _has_options(pilot))
        await still(pilot)

    assert snap_compare(make_test_app(), terminal_size=SIZE, run_before=run_before)
