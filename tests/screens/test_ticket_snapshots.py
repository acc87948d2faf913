"""Snapshots of the ticket screen at 80x24 and 120x40 (frozen clock, seeded desk)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from textual.pilot import Pilot

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk import fields
from tests.screens.conftest import FROZEN_NOW, DeskData
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
    """A reason too long for one line wraps under its text, not under the time column."""
    number = busy_thread(desk_data)
    reason = "Ann wrote again: the printer on the third floor smokes whenever it prints in colour"
    with time_machine.travel(FROZEN_NOW - timedelta(minutes=30), tick=False):
        with desk_data.db.write() as session:
            fields.set_status(session, desk_data.ada, number, "closed")
        with desk_data.db.write() as session:
            fields.reopen(session, desk_data.ada, number, reason=reason)

    async def run_before(pilot: Pilot[None]) -> None:
        await show_ticket(pilot, number)
        await pilot.press("h")

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)
