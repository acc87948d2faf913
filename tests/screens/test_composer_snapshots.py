"""Snapshots of the composer at 80x24 and 120x40."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from helpdesk_tui.app import HelpdeskApp
from tests.screens.conftest import DeskData
from tests.screens.snapshot_setup import busy_thread, start_reply


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
