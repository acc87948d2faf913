"""ctrl+q quits from every screen, modal ones included (the composer, the canned-response
editor, the pickers, a question, the help, the palette): their text inputs and TextAreas
do not take it, and quitting keeps what is being written as drafts and removes this
terminal's presence markers, as it does from the queue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import TextArea

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk import presence
from helpdesk_tui.screens.canned_picker import CannedPickScreen
from helpdesk_tui.screens.composer import ComposerScreen
from helpdesk_tui.screens.confirm import ChoiceScreen
from helpdesk_tui.screens.help import HelpScreen
from helpdesk_tui.screens.queue_filter import QueueFilterScreen
from tests.draft_places import editor_drafts, load_draft
from tests.screens.conftest import DeskData
from tests.screens.test_composer_canned import seed_canned
from tests.screens.ticket_helpers import (
    hold_autosave,
    open_canned_editor,
    open_composer,
    settle,
    until,
)

AppFactory = Callable[..., HelpdeskApp]
TEXT = "Half a reply, not yet saved"


@pytest.fixture(autouse=True)
def _no_autosave(monkeypatch: pytest.MonkeyPatch) -> None:
    """What is kept is kept by quitting, not by the autosave a moment after typing."""
    hold_autosave(monkeypatch)


def _markers(app: HelpdeskApp, desk: DeskData, number: int) -> list[str]:
    with desk.db.read() as s:
        entries = presence.on_tickets(s, [number], now=app.clock()).get(number, [])
    return [e.activity.value for e in entries if e.session_id == app.session_id]


async def _composer(pilot: Pilot[None], number: int) -> ComposerScreen:
    composer = await open_composer(pilot, number)
    composer.query_one(TextArea).insert(TEXT)
    await settle(pilot)
    return composer


async def in_composer(pilot: Pilot[None], number: int) -> type:
    await _composer(pilot, number)
    return ComposerScreen


async def in_question(pilot: Pilot[None], number: int) -> type:
    await _composer(pilot, number)
    await pilot.press("escape")  # "Close this reply draft?"
    await until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen))
    return ChoiceScreen


async def in_canned_picker(pilot: Pilot[None], number: int) -> type:
    await _composer(pilot, number)
    await pilot.press("ctrl+t")
    await until(pilot, lambda: isinstance(pilot.app.screen, CannedPickScreen))
    await settle(pilot)
    return CannedPickScreen


async def in_help(pilot: Pilot[None], number: int) -> type:
    await _composer(pilot, number)
    await pilot.press("escape", "escape")  # (the question, then back to writing)
    await settle(pilot)
    pilot.app.action_help()  # (the composer's keys, over it; F1 is the app's: see the report)
    await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
    return HelpScreen


async def in_palette(pilot: Pilot[None], number: int) -> type:
    await _composer(pilot, number)
    await pilot.press("escape", "escape")
    await settle(pilot)
    pilot.app.action_command_palette()
    await until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    await pilot.press("m", "a")  # (typed into the palette's input)
    await settle(pilot)
    return CommandPalette


@pytest.mark.parametrize(
    "reach",
    [in_composer, in_question, in_canned_picker, in_help, in_palette],
    ids=["composer", "question", "canned-picker", "help", "palette"],
)
@pytest.mark.usefixtures("markers_waited_for")
async def test_ctrl_q_quits_from_a_modal_keeping_the_reply_and_leaving_no_marker(
    make_test_app: AppFactory,
    desk_data: DeskData,
    reach: Callable[[Pilot[None], int], Awaitable[type]],
) -> None:
    seed_canned(desk_data)
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        shown = await reach(pilot, number)
        assert isinstance(app.screen, shown) and isinstance(app.screen, ModalScreen)
        assert _markers(app, desk_data, number) == ["replying"]
        if shown is ComposerScreen:  # (a screen over the composer had it saved already)
            assert load_draft(desk_data.db, number, "reply") == ""
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.is_running)
    assert app.kept_on_quit == [f"Your reply on #{number}"]
    assert load_draft(desk_data.db, number, "reply") == TEXT
    assert _markers(app, desk_data, number) == []


async def test_ctrl_q_quits_from_the_canned_editor_and_the_filter(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """The canned-response editor (a modal with an Input and a TextArea, over the manager)
    keeps its text on ctrl+q; the queue's filter (a modal of pickers) quits as well."""
    seed_canned(desk_data)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_canned_editor(pilot, "a", listed=4)
        for key in "Welcome":
            await pilot.press(key)  # (into the name's Input, focused)
        await settle(pilot)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.is_running)
    assert app.kept_on_quit == ["Your new canned response"]
    assert (editor_drafts(desk_data.db).load_fields("canned", None) or {}).get("name") == "Welcome"

    again = make_test_app()
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(again.screen, QueueFilterScreen))
        await settle(pilot)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not again.is_running)
