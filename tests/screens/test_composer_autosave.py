"""The composer keeps what is typed on disk soon (a killed terminal loses little) without a
write per key nor any while idle: 0.3 s after typing pauses, at least every 2 s while it
goes on, at once when the text area loses focus or something comes over the composer, and
never when the text is as last saved. (``AUTOSAVE_SECONDS`` is made long here: what saves
is what the test does; benchmarks/draft_autosave.py measures the timings in the real app.)"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.drafts import DraftKind, DraftStore
from helpdesk_tui.screens import autosave
from helpdesk_tui.screens.canned_picker import CannedPickScreen
from helpdesk_tui.screens.composer import ComposerScreen
from tests.draft_places import load_draft
from tests.screens.conftest import DeskData
from tests.screens.test_composer_canned import seed_canned
from tests.screens.ticket_helpers import hold_autosave, open_composer, settle, until

AppFactory = Callable[..., HelpdeskApp]


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each text the composer writes as a draft; the autosave timer never fires."""
    hold_autosave(monkeypatch)
    written: list[str] = []
    save = DraftStore.save

    def counting(
        self: DraftStore, number: int, kind: DraftKind, text: str, ticket: str | None = None
    ) -> None:
        written.append(text)
        save(self, number, kind, text, ticket)

    monkeypatch.setattr(DraftStore, "save", counting)
    return written


async def test_a_picker_over_the_composer_saves_the_text_and_idle_writes_nothing(
    make_test_app: AppFactory, desk_data: DeskData, writes: list[str]
) -> None:
    seed_canned(desk_data)
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_composer(pilot, number)
        await pilot.press(*"On our way")
        await settle(pilot)
        assert writes == []
        await pilot.press("ctrl+t")  # the canned picker comes over it
        await until(pilot, lambda: isinstance(app.screen, CannedPickScreen))
        await until(pilot, lambda: load_draft(desk_data.db, number, "reply") == "On our way")
        for _ in range(2):  # back, and over it again: nothing new to write
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
            await settle(pilot)
            await pilot.press("ctrl+t")
            await until(pilot, lambda: isinstance(app.screen, CannedPickScreen))
            await settle(pilot)
        await pilot.press("ctrl+q")  # (quitting keeps it: as it is on disk already)
        await until(pilot, lambda: not app.is_running)
    assert writes == ["On our way"]
    assert app.kept_on_quit == [f"Your reply on #{number}"]


async def test_the_text_area_losing_focus_saves_the_text(
    make_test_app: AppFactory, desk_data: DeskData, writes: list[str]
) -> None:
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_composer(pilot, number)
        await pilot.press(*"Half")
        await settle(pilot)
        screen.set_focus(None)
        await until(pilot, lambda: load_draft(desk_data.db, number, "reply") == "Half")
        screen.text_area.focus()
        await settle(pilot)
        screen.set_focus(None)  # (unchanged: not written again)
        await settle(pilot)
    assert writes == ["Half"]


async def test_typing_on_without_a_pause_saves_every_two_seconds(
    make_test_app: AppFactory,
    desk_data: DeskData,
    writes: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [100.0]
    monkeypatch.setattr(autosave, "monotonic", lambda: now[0])
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_composer(pilot, number)
        for key, at in (("a", 100.0), ("b", 101.0), ("c", 101.9), ("d", 102.0), ("e", 103.5)):
            now[0] = at
            await pilot.press(key)
            await settle(pilot)
        await until(pilot, lambda: load_draft(desk_data.db, number, "reply") == "abcd")
        assert writes == ["abcd"]  # ("e" is the first key not saved: from it, 2 s more)
        for key, at in (("f", 105.4), ("g", 105.5)):
            now[0] = at
            await pilot.press(key)
            await settle(pilot)
        await until(pilot, lambda: load_draft(desk_data.db, number, "reply") == "abcdefg")
        assert writes == ["abcd", "abcdefg"]
