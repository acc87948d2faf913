"""Snapshots of the composer at 80x24 and 120x40."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from textual.pilot import Pilot

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk import outbox
from helpdesk_tui.desk.inbound import ReportedRecipient
from tests.screens.conftest import FROZEN_NOW, DeskData
from tests.screens.snapshot_setup import busy_thread, start_reply
from tests.screens.ticket_helpers import settle, until


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_composer(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    size: tuple[int, int],
) -> None:
    number = busy_thread(desk_data)

    async def run_before(pilot: Pilot[None]) -> None:
        await start_reply(pilot, number, "Dear Ann,\n\nglad it is out. [bold]Closing[/] now.")

    assert snap_compare(make_test_app(), terminal_size=size, run_before=run_before)


def test_composer_warns_of_an_address_that_bounced(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    """Mail to ann bounced for good two days ago: the reply composer says so before the
    agent sends (one line, how long ago and its code); the reply would still go."""
    number = busy_thread(desk_data)
    with desk_data.db.write() as session:
        bounced = [ReportedRecipient("ann@example.com", "failed", "5.1.1")]
        outbox.record_hard_bounces(session, bounced, now=FROZEN_NOW - timedelta(days=2))

    async def run_before(pilot: Pilot[None]) -> None:
        await start_reply(pilot, number, "Dear Ann,\n\nglad it is out.")
        await until(pilot, lambda: pilot.app.screen.query_one("#composer-warning").display)
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)
