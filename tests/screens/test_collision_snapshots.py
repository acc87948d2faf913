"""Snapshots of the collision warnings at 80x24 and 120x40."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from textual.pilot import Pilot

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk import fields, thread
from helpdesk_tui.desk.actors import MAIL
from helpdesk_tui.screens.confirm import ChoiceScreen
from helpdesk_tui.screens.ticket import TicketScreen
from tests.screens.conftest import FROZEN_NOW, DeskData
from tests.screens.snapshot_setup import show_ticket, start_reply
from tests.screens.ticket_helpers import settle, until

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_someone_else_is_replying(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    size: tuple[int, int],
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await show_ticket(pilot, desk_data.numbers["vpn"])  # cy is replying there
        await pilot.press("r")
        await until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen))
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_news_arrived_before_sending(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    size: tuple[int, int],
) -> None:
    number = desk_data.numbers["printer"]

    async def run_before(pilot: Pilot[None]) -> None:
        await start_reply(pilot, number, "Try turning it off.")
        moment = time_machine.travel(FROZEN_NOW - timedelta(minutes=1), tick=False)
        with moment, desk_data.db.write() as s:
            body = "Update: it is out.\nThe smoke is gone.\n[red]ok[/]"
            thread.add_customer_message(s, MAIL, number, body=body)
            fields.set_status(s, desk_data.bob, number, "waiting")
        ticket = pilot.app.screen_stack[-2]
        assert isinstance(ticket, TicketScreen)
        # The live refresh shows the news behind the composer; wait for it, so the
        # snapshot never catches it half-way.
        await until(pilot, lambda: ticket.view is not None and ticket.view.row.status == "waiting")
        await settle(pilot)
        # The "#1 changed" toast would put wall time in the picture: it expires after 6 s,
        # and which screen's toast rack shows it depends on timing. The dialog says it all.
        pilot.app.clear_notifications()
        await settle(pilot)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen))
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=size, run_before=run_before)
