"""Snapshots at 80x24: the canned picker over the composer, and the composer's file list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.screens.attach import AttachScreen
from helpdesk_tui.screens.canned_picker import CannedPickScreen
from helpdesk_tui.screens.composer import ComposerScreen
from tests.screens.conftest import DeskData
from tests.screens.snapshot_setup import start_reply
from tests.screens.test_composer_canned import seed_canned
from tests.screens.ticket_helpers import settle, until


def test_canned_picker(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    seed_canned(desk_data)
    number = desk_data.numbers["printer"]

    async def run_before(pilot: Pilot[None]) -> None:
        await start_reply(pilot, number, "Dear Ann,\n\n")
        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(pilot.app.screen, CannedPickScreen))
        picker = pilot.app.screen
        picker.query_one(Input).cursor_blink = False
        await pilot.press(*"pas")
        await until(
            pilot,
            lambda: "Password" in str(picker.query_one(OptionList).get_option_at_index(0).prompt),
        )
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)


def test_composer_attachment_list(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    tmp_path: Path,
) -> None:
    number = desk_data.numbers["printer"]
    (tmp_path / "printer-log.txt").write_bytes(b"x" * 1500)
    (tmp_path / "photo [bold]x\x1b[31m.jpg").write_bytes(b"\xff" * 48_000)

    async def run_before(pilot: Pilot[None]) -> None:
        await start_reply(pilot, number, "Logs and a photo attached.")
        await pilot.press("ctrl+f")
        await until(pilot, lambda: isinstance(pilot.app.screen, AttachScreen))
        field = pilot.app.screen.query_one(Input)
        for name in ("printer-log.txt", "photo [bold]x\x1b[31m.jpg"):
            field.value = str(tmp_path / name)
            await pilot.press("enter")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(pilot.app.screen, ComposerScreen))
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)
