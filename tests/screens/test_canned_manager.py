"""The canned-response manager, reached from the command palette: list, add, edit, delete."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input, OptionList, Static, TextArea

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.screens.canned_manager import CannedEditScreen, CannedManagerScreen
from helpdesk_tui.screens.confirm import ChoiceScreen
from tests.screens.conftest import DeskData
from tests.screens.test_composer_canned import seed_canned
from tests.screens.ticket_helpers import open_canned_editor, settle, until

AppFactory = Callable[..., HelpdeskApp]


async def test_add_edit_delete(make_test_app: AppFactory, desk_data: DeskData) -> None:
    seed_canned(desk_data)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.action_canned()
        await until(pilot, lambda: isinstance(app.screen, CannedManagerScreen))
        await settle(pilot)
        manager = app.screen
        await until(pilot, lambda: manager.query_one(OptionList).option_count == 4)
        assert "[red]markup[/red]" in str(manager.query_one("#canned-text", Static).render())

        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, CannedEditScreen))
        await settle(pilot)
        editor = app.screen
        editor.query_one(Input).value = "Welcome"
        editor.query_one(TextArea).text = "Hello {{requester.nam}}"
        await pilot.press("ctrl+s")
        error = editor.query_one("#canned-edit-error", Static)
        await until(pilot, lambda: "{{requester.nam}}" in str(error.render()))
        editor.query_one(TextArea).text = "Hello {{requester.name}}"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is manager)
        await until(pilot, lambda: manager.query_one(OptionList).option_count == 5)

        names = [v.name for v in manager.views]
        manager.query_one(OptionList).highlighted = names.index("Welcome")
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("y")
        await until(pilot, lambda: manager.query_one(OptionList).option_count == 4)
    assert "Welcome" not in [v.name for v in Desk(desk_data.db, desk_data.ada).canned_list()]


async def test_an_agent_cannot_make_a_shared_one(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    app = make_test_app(actor=desk_data.bob)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_canned_editor(pilot)
        assert app.screen.query_one("#canned-edit-shared").disabled
