"""The article and canned-response editors keep their fields as the composer keeps its text
(one autosave, ``screens.autosave``): 0.3 s after typing pauses, at least every 2 s while it
goes on, at once when a field loses the focus or something comes over the editor, never
while the fields are as last saved, and the write in a thread: a key is handled while a
slow save (a slow fsync, here a store that holds the write until the test lets it go) is
still under way. (``AUTOSAVE_SECONDS`` is made long: what saves is what the test does;
benchmarks/draft_autosave.py measures the timings in the real app.)"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from textual.widgets import Input, TextArea
from textual.worker import Worker

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.drafts import DraftStore, EditorKind
from helpdesk_tui.screens import autosave
from helpdesk_tui.screens.confirm import ChoiceScreen
from helpdesk_tui.screens.help import HelpScreen
from tests import pilot_keys
from tests.draft_places import editor_drafts
from tests.screens.conftest import DeskData
from tests.screens.test_editor_drafts import new_article
from tests.screens.ticket_helpers import drain, hold_autosave, open_canned_editor, settle, until

AppFactory = Callable[..., HelpdeskApp]
HOLD_SECONDS = 20.0
"""At most this long a held write waits to be let go (so a write on the UI thread, which
no test can let go, ends the test rather than hanging it)."""


class Writes:
    """Each editor draft written (title or name), and a switch that holds writes."""

    def __init__(self) -> None:
        self.titles: list[str] = []
        self.hold = False
        self.holding = threading.Event()
        self.go = threading.Event()

    def held(self, worker: Worker[Any]) -> bool:
        """``worker`` is a save this switch holds (``pilot_keys.hold``)."""
        return worker.group == "draft-autosave" and self.hold and not self.go.is_set()


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[Writes]:
    hold_autosave(monkeypatch)  # (the clock stands still unless a test moves it)
    found = Writes()
    save = DraftStore.save_fields

    def counting(
        self: DraftStore,
        kind: EditorKind,
        item: int | None,
        fields: dict[str, Any],
        key: str | None = None,
    ) -> None:
        if found.hold:
            found.holding.set()
            found.go.wait(HOLD_SECONDS)
        found.titles.append(str(fields.get("title", fields.get("name"))))
        save(self, kind, item, fields, key)

    monkeypatch.setattr(DraftStore, "save_fields", counting)
    yield found
    found.go.set()


async def test_the_article_editor_saves_on_a_pause_every_two_seconds_and_on_blur(
    make_test_app: AppFactory,
    desk_data: DeskData,
    writes: Writes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [100.0]
    monkeypatch.setattr(autosave, "monotonic", lambda: now[0])
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await new_article(pilot, app)
        for key, at in (("W", 100.0), ("i", 101.0), ("f", 101.9), ("i", 102.0), ("x", 103.5)):
            now[0] = at
            await pilot.press(key)
            await settle(pilot)
        await until(pilot, lambda: writes.titles == ["Wifi"])  # ("x" is not saved yet)
        await pilot.press("tab")  # the title loses the focus: saved now
        await until(pilot, lambda: writes.titles == ["Wifi", "Wifix"])
        await pilot.press("shift+tab", "tab")  # (unchanged: not written again)
        await settle(pilot)
        await pilot.press("f1")  # something over the editor: saved now
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await settle(pilot)
        assert writes.titles == ["Wifi", "Wifix"]  # (as last saved)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is editor)
        editor.query_one("#kb-edit-body", TextArea).focus()
        await pilot.press(*"Code")
        await pilot.press("escape")  # "close with changes?" comes over it: saved now
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await until(pilot, lambda: len(writes.titles) == 3)
        assert editor_drafts(desk_data.db).load_fields("kb", None) == {
            "title": "Wifix",
            "category": "",
            "tags": "",
            "visibility": "internal",
            "body": "Code",
        }


async def test_a_key_in_the_article_editor_is_handled_while_its_save_is_under_way(
    make_test_app: AppFactory, desk_data: DeskData, writes: Writes
) -> None:
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await new_article(pilot, app)
        await pilot.press(*"Slow")
        writes.hold = True
        pilot_keys.hold(app, writes.held)  # (its keys do not wait for the held save)
        await pilot.press("tab")  # saved now: the write is held, in a thread
        await until(pilot, writes.holding.is_set)
        await pilot.press(*"net")  # into the category
        await drain(pilot)  # (not settle: it waits for the workers)
        assert editor.query_one("#kb-edit-category", Input).value == "net"
        assert writes.titles == []  # (still under way)
        writes.go.set()
        await until(pilot, lambda: writes.titles == ["Slow"])


async def test_a_key_in_the_canned_editor_is_handled_while_its_save_is_under_way(
    make_test_app: AppFactory, desk_data: DeskData, writes: Writes
) -> None:
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_canned_editor(pilot)
        editor = app.screen
        await pilot.press(*"Greeting")
        writes.hold = True
        pilot_keys.hold(app, writes.held)  # (its keys do not wait for the held save)
        editor.query_one(TextArea).focus()  # the name loses the focus: saved now
        await until(pilot, writes.holding.is_set)
        await pilot.press(*"Hello")
        await drain(pilot)
        assert editor.query_one(TextArea).text == "Hello"
        assert writes.titles == []  # (still under way)
        writes.go.set()
        await until(pilot, lambda: writes.titles == ["Greeting"])
        await settle(pilot)
        assert editor_drafts(desk_data.db).load_fields("canned", None) == {
            "name": "Greeting",
            "body": "",
            "shared": False,
        }


async def test_a_draft_that_cannot_be_written_is_one_notice(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold_autosave(monkeypatch)

    def full(self: DraftStore, *args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(DraftStore, "save_fields", full)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await new_article(pilot, app)
        await pilot.press(*"Lost")
        await pilot.press("tab")
        await until(pilot, lambda: bool(app._notifications))
        notices = [n.message for n in app._notifications]
        assert notices == ["The draft was not saved: [Errno 28] No space left on device"]
        assert app.is_running and app.screen is editor
