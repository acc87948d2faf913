"""Snapshots at 80x24: F1's key help over the composer (the composer's keys, the app's that
work there) and over the knowledge base (its columns fit), and the canned-response editor
(its hint names F1)."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Input

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.screens.help import HelpScreen
from tests.screens.conftest import DeskData
from tests.screens.snapshot_setup import start_reply
from tests.screens.ticket_helpers import open_canned_editor, settle, until


def test_key_help_over_the_composer(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    number = desk_data.numbers["printer"]

    async def run_before(pilot: Pilot[None]) -> None:
        await start_reply(pilot, number, "Dear Ann,\n\n")
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)


def test_canned_editor(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, HelpdeskApp)
        await settle(pilot)
        await open_canned_editor(pilot)
        app.screen.query_one(Input).cursor_blink = False
        await pilot.press(*"Why?")
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)


def test_key_help_of_the_knowledge_base(
    snap_compare: Callable[..., bool], make_test_app: Callable[..., HelpdeskApp]
) -> None:
    """The knowledge base's keys at 80 columns: "Binding id" in the box, a long "Does"
    ("Move cursor right or accept the completion suggestion") wrapped, not cut."""

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)
