"""Snapshots of the ticket screen at 80x24 and 120x40 (frozen clock, seeded desk)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from helpdesk_tui.app import HelpdeskApp
from tests.screens.conftest import DeskData
from tests.screens.snapshot_setup import busy_thread, show_ticket

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_ticket_screen(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    size: tuple[int, int],
) -> None:
    number = busy_thread(desk_data)

    async def run_before(pilot: Pilot[None]) -> None:
        await show_ticket(pilot, number)

    assert snap_compare(make_test_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_ticket_with_hostile_subject(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    size: tuple[int, int],
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await show_ticket(pilot, desk_data.numbers["clear"])

    assert snap_compare(make_test_app(), terminal_size=size, run_before=run_before)


def test_ticket_history(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    number = busy_thread(desk_data)

    async def run_before(pilot: Pilot[None]) -> None:
        await show_ticket(pilot, number)
        await pilot.press("h")

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)
