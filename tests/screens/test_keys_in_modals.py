"""The app's keys inside modal screens (the composer, the canned-response editor, pickers,
questions, the palette): F1 shows the keys that work *there*; F3, F4 and @ leave a screen
where text is written (its draft kept) and are neither at work nor advertised on a question
or a picker; ? and @ stay typeable in every text field. One definition: the app's bindings,
priority ones (Textual ends a modal's binding chain at the modal)."""

from __future__ import annotations

from collections.abc import Callable

from textual.command import CommandPalette
from textual.widgets import DataTable, Input, TextArea

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.app_access import working_bindings
from helpdesk_tui.screens.canned_picker import CannedPickScreen
from helpdesk_tui.screens.composer import ComposerScreen
from helpdesk_tui.screens.confirm import ChoiceScreen
from helpdesk_tui.screens.help import HelpScreen
from helpdesk_tui.screens.mail import MailScreen
from tests.draft_places import load_draft
from tests.screens.conftest import DeskData
from tests.screens.ticket_helpers import (
    open_canned_editor,
    open_composer,
    settle,
    until,
)

AppFactory = Callable[..., HelpdeskApp]


def _help_rows(app: HelpdeskApp) -> dict[str, tuple[str, str]]:
    """binding id (or description, for a stock key) → (keys, description)."""
    assert isinstance(app.screen, HelpScreen)
    table = app.screen.query_one("#help-keys", DataTable)
    rows = [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]
    return {ident or does: (keys, does) for keys, does, ident in rows}


async def test_f1_in_the_composer_lists_its_keys_question_mark_is_typed_at_opens_mail(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """One app run: in the composer's text ? and @ are typed and F1 lists its keys; where no
    text field has the focus, @ opens the mail screen."""
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        composer = await open_composer(pilot, number)
        await pilot.press(*"Is it on", "question_mark", "space", "at", "f")
        await settle(pilot)
        assert composer.text.endswith("Is it on? @f")
        assert isinstance(app.screen, ComposerScreen)  # (neither ? nor @ left it)
        assert "F1 lists the keys" in str(composer.query_one("#composer-hint").render())
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await settle(pilot)
        rows = _help_rows(app)
        assert rows["composer.send"] == ("^r", "Send")
        assert rows["app.help"][0] == "F1"  # (? is typed here: not a key of the composer)
        assert {"app.quit", "app.kb", "app.reports"} <= rows.keys()
        assert "app.mail" not in rows  # (@ is typed too)
        assert "queue.search" not in rows and "ticket.reply" not in rows  # (not here)
        await pilot.press("f1")  # the key that opened it closes it
        await until(pilot, lambda: app.screen is composer)
        # No text field with the focus: @ opens the mail screen.
        composer.text_area.blur()
        await settle(pilot)
        await pilot.press("at")
        await until(pilot, lambda: isinstance(app.screen, MailScreen))


async def test_f3_from_the_composer_goes_to_the_kb_keeping_the_draft_and_back(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        composer = await open_composer(pilot, number)
        await pilot.press(*"Try this")
        await pilot.press("f3")
        await until(pilot, lambda: app.current_mode == "kb")
        await until(pilot, lambda: load_draft(desk_data.db, number, "reply") == "Try this")
        await settle(pilot)
        await pilot.press("f3")
        await until(pilot, lambda: app.screen is composer)
        await settle(pilot)
        await pilot.press("f4")
        await until(pilot, lambda: app.current_mode == "reports")
        await pilot.press("f4")
        await until(pilot, lambda: app.screen is composer)
        await settle(pilot)
        assert composer.text == "Try this" and composer.text_area.has_focus
        await pilot.press("f3")  # quitting from another mode keeps the reply left open here
        await until(pilot, lambda: app.current_mode == "kb")
        await pilot.press(*" now")  # (the KB's search box: not the reply)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.is_running)
    assert app.kept_on_quit == [f"Your reply on #{number}"]
    assert load_draft(desk_data.db, number, "reply") == "Try this"


async def test_a_question_and_a_picker_show_their_keys_and_keep_the_areas_out(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        composer = await open_composer(pilot, number)
        await pilot.press(*"Hello")
        await pilot.press("escape")  # "Close this reply draft?"
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await settle(pilot)
        question = app.screen
        await pilot.press("f3", "f4", "at")  # (answer first: nothing leaves the question)
        await settle(pilot)
        assert app.screen is question and app.current_mode == "queue"
        working = {active.binding.id for active in working_bindings(question).values()}
        assert "app.help" in working and not {"app.kb", "app.reports", "app.mail"} & working
        await pilot.press("question_mark")  # (no text field here: ? is the help key)
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await settle(pilot)
        rows = _help_rows(app)
        assert {"app.help", "app.quit"} <= rows.keys()
        assert not {"app.kb", "app.reports", "app.mail"} & rows.keys()
        assert rows["app.help"][0] == "?, F1"
        await pilot.press("question_mark")
        await until(pilot, lambda: app.screen is question)
        await pilot.press("escape")  # back to writing
        await until(pilot, lambda: app.screen is composer)

        await pilot.press("ctrl+t")  # the canned picker: a filter Input
        await until(pilot, lambda: isinstance(app.screen, CannedPickScreen))
        await settle(pilot)
        picker = app.screen
        await pilot.press("question_mark", "at", "f3")
        await settle(pilot)
        assert app.screen is picker and app.current_mode == "queue"
        assert picker.query_one(Input).value == "?@"
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await settle(pilot)
        assert {"canned-picker.cancel", "app.help"} <= _help_rows(app).keys()


async def test_f1_in_the_canned_editor_and_the_palette(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await open_canned_editor(pilot)
        editor = app.screen
        await pilot.press(*"Why?", "tab", "tab", *"Mail me@")
        await settle(pilot)
        assert editor.query_one(Input).value == "Why?"
        assert editor.query_one(TextArea).text == "Mail me@"
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await settle(pilot)
        rows = _help_rows(app)
        assert {"canned-edit.save", "app.kb", "app.help"} <= rows.keys()
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is editor)

        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await settle(pilot)
        palette = app.screen
        await pilot.press("question_mark", "f3")
        await settle(pilot)
        assert app.screen is palette
        assert palette.query_one(Input).value == "?"
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await settle(pilot)
        assert "app.kb" not in _help_rows(app)
