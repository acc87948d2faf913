"""Each modal screen draws its own footer: the keys that work in it, not those of the screen
under it (which do nothing there, or type into it). Read from what is drawn at 80x24; no
footer cuts a key in half at a narrow width; F1 is drawn as F1, as the hints name it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.screens.attach import AttachScreen
from helpdesk_tui.screens.composer import ComposerScreen
from helpdesk_tui.screens.confirm import ChoiceScreen
from helpdesk_tui.screens.help import HelpScreen
from helpdesk_tui.screens.kb import KbScreen
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.screens.queue_filter import QueueFilterScreen
from helpdesk_tui.widgets.key_footer import KeyFooter
from tests.screens.conftest import DeskData
from tests.screens.ticket_helpers import (
    open_canned_editor,
    open_composer,
    open_ticket,
    screen_lines,
    settle,
    until,
)

AppFactory = Callable[..., HelpdeskApp]

TICKET_KEYS = ("r Reply", "n Note", "a Assign", "s Status", "] Next")
COMPOSER_KEYS = ("^r Send", "^s Save draft", "^t Canned")
QUEUE_KEYS = ("/ Search", "f Filter", "s Sort", "v View")


def footer_line(app: HelpdeskApp) -> str:
    return screen_lines(app)[-1]


def assert_whole_keys(app: HelpdeskApp) -> None:
    """The footer drawn shows its keys from the first on, each whole: a key cut by the right
    edge ("? Ke") is not drawn at all."""
    footer = app.screen.query_one(KeyFooter)
    keys = [
        f"{key.key_display} {key.description}"
        for key in footer.query_children(FooterKey)
        if key.display and not key.has_class("-command-palette")
    ]
    line = footer_line(app).split("▏")[0].rstrip()  # (the palette's key docks at the right)
    drawn = [key for key in keys if key in line]
    assert drawn and drawn == keys[: len(drawn)], (line, keys)
    assert line.endswith(drawn[-1]), (line, drawn)


async def test_questions_the_filter_form_and_the_kb_search_show_their_own_keys(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """Four footers at 80x24, one app run, each its own helper: a question over the ticket
    has no ticket keys (``_a_question_over_the_ticket_footer_has_no_ticket_keys``); a
    question over the composer shows its answers (``_a_question_shows_its_answers``); the
    queue's filter form shows its keys (``_the_filter_form_shows_its_keys``); in the KB's
    search field the help key is drawn as F1 (``_f1_is_drawn_as_f1``)."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _a_question_over_the_ticket_footer_has_no_ticket_keys(pilot, app, desk_data)
        await _a_question_shows_its_answers(pilot, app, desk_data)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        await _the_filter_form_shows_its_keys(pilot, app)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        await _f1_is_drawn_as_f1(pilot, app)


async def _a_question_over_the_ticket_footer_has_no_ticket_keys(
    pilot: Pilot[None], app: HelpdeskApp, desk_data: DeskData
) -> None:
    ticket = await open_ticket(pilot, desk_data.numbers["printer"])
    await pilot.press("s")
    await settle(pilot)
    await pilot.press(*"closed", "enter")  # "Close #N? ..." asks first
    await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
    await settle(pilot)
    line = footer_line(app)
    assert "y Close it" in line and "esc Cancel" in line, ("closing asks", line)
    assert not [key for key in TICKET_KEYS if key in line], ("no ticket keys", line)
    await pilot.press("escape")
    await until(pilot, lambda: app.screen is ticket)


async def _a_question_shows_its_answers(
    pilot: Pilot[None], app: HelpdeskApp, desk_data: DeskData
) -> None:
    await open_composer(pilot, desk_data.numbers["printer"])
    await pilot.press(*"Hello", "escape")  # "Close this reply draft?"
    await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
    await settle(pilot)
    line = footer_line(app)
    assert "k Keep draft" in line and "d Discard it" in line and "esc Back to writing" in line
    assert not [key for key in COMPOSER_KEYS if key in line], ("no composer keys", line)
    assert_whole_keys(app)
    await pilot.press("k")  # the footer's key is the dialog's answer
    await until(pilot, lambda: not isinstance(app.screen, (ChoiceScreen, ComposerScreen)))


async def _the_filter_form_shows_its_keys(pilot: Pilot[None], app: HelpdeskApp) -> None:
    await pilot.press("f")
    await until(pilot, lambda: isinstance(app.screen, QueueFilterScreen))
    await settle(pilot)
    line = footer_line(app)
    assert "⏎ Apply" in line and "esc Cancel" in line and "^r Clear all" in line, line
    assert not [key for key in QUEUE_KEYS if key in line], ("no queue keys", line)
    assert_whole_keys(app)


async def _f1_is_drawn_as_f1(pilot: Pilot[None], app: HelpdeskApp) -> None:
    """In the knowledge base's search field ? is typed: the help key is F1, drawn so."""
    await pilot.press("f3")
    await until(pilot, lambda: isinstance(app.screen, KbScreen))
    await settle(pilot)
    line = footer_line(app)
    assert "F1 Keys" in line and "f1" not in line, ("F1 in the KB", line)


async def test_no_footer_cuts_a_key_the_pickers_the_file_list_and_help_show_their_keys(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """One app run, three facts in turn. At 68 columns the ticket's footer has more keys
    than room: the ones that fit are drawn whole and the rest not at all (Textual's footer
    drew "^q Q", at 77 "? K"). Ctrl-T and Ctrl-G over a reply: the footer showed the
    composer's keys (^r Send …), none of which works while the picker is open; and at 24
    lines the canned picker's choices and preview pushed its hint out of the box. The file
    list and the key help show their own keys."""
    from helpdesk_tui.desk.facade import Desk
    from helpdesk_tui.desk.macros import MacroSpec
    from helpdesk_tui.screens.canned_picker import CannedPickScreen, MacroPickScreen

    desk = Desk(desk_data.db, desk_data.ada)
    body = "Hi {{requester.first_name}},\n\n" + "A line of the answer. " * 20 + "\n\nBye"
    for n in range(9):
        desk.canned_save(f"Answer {n}", body, shared=True)
        desk.macro_save(MacroSpec(name=f"Macro {n}", body=body, status="waiting"))
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.resize_terminal(68, 24)
        await open_ticket(pilot, desk_data.numbers["printer"])
        assert "r Reply" in footer_line(app)
        assert_whole_keys(app)
        await pilot.resize_terminal(77, 24)
        await settle(pilot)
        assert_whole_keys(app)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert footer_line(app).endswith("? Keys")  # (all of them fit at 80)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        # The canned and macro pickers.
        composer = await open_composer(pilot, desk_data.numbers["printer"])
        for key, picker, hint in (
            ("ctrl+t", CannedPickScreen, "Enter inserts the text for this ticket"),
            ("ctrl+g", MacroPickScreen, "a reply text into your draft"),
        ):
            await pilot.press(key)
            await until(pilot, lambda picker=picker: isinstance(app.screen, picker))
            await until(pilot, lambda: app.screen.query_one("OptionList").option_count > 6)
            await settle(pilot)
            line = footer_line(app)
            assert "esc Cancel" in line, line
            assert not [key for key in COMPOSER_KEYS if key in line], line
            assert any(hint in drawn for drawn in screen_lines(app)), screen_lines(app)
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is composer)
        # The file list and the key help.
        await pilot.press("ctrl+f")
        await until(pilot, lambda: isinstance(app.screen, AttachScreen))
        await settle(pilot)
        line = footer_line(app)
        # The path field's keys (it showed "esc Done" alone): Enter adds, → completes.
        assert "⏎ Add file" in line and "→ Complete" in line and "esc Done" in line, line
        assert "Files" not in line and "Remove" not in line, line  # (no file yet)
        assert not [key for key in COMPOSER_KEYS if key in line], line
        assert_whole_keys(app)
        attach = app.screen
        assert isinstance(attach, AttachScreen)
        await pilot.press(*str(Path(__file__)), "enter")
        await until(pilot, lambda: len(attach.files) == 1)
        await settle(pilot)
        assert "↓ Files" in footer_line(app), footer_line(app)
        await pilot.press("down")  # into the list: Delete removes the file
        await settle(pilot)
        line = footer_line(app)
        assert "del Remove file" in line and "Add file" not in line, line
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is composer)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await settle(pilot)
        line = footer_line(app)
        assert "esc Close" in line, line
        assert not [key for key in COMPOSER_KEYS if key in line], line


async def test_the_canned_editor_and_the_report_filter_show_their_own_keys(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """Over the canned responses' list and the reports, the footer showed the keys of the
    screen below (a Add, d Delete; t Table, 1 Today): typed into the editor's fields, or
    doing nothing. Each shows its own. First, in the same app run: the palette left the
    queue's footer in sight (/ Search, f Filter …), whose keys type into the palette's
    search while it is open."""
    from textual.command import CommandPalette

    from helpdesk_tui.screens.reports import ReportFilterScreen, ReportsScreen

    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await settle(pilot)
        assert footer_line(app).split() == ["esc", "Close"], footer_line(app)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, CommandPalette))
        await settle(pilot)
        assert all(key in footer_line(app) for key in QUEUE_KEYS), footer_line(app)
        # The canned editor and the report filter.
        await open_canned_editor(pilot)
        line = footer_line(app)
        assert line.split() == ["^s", "Save", "esc", "Cancel"], line
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")  # (the list)
        await settle(pilot)
        await pilot.press("f4")
        await until(pilot, lambda: isinstance(app.screen, ReportsScreen))
        await settle(pilot)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, ReportFilterScreen))
        await settle(pilot)
        line = footer_line(app)
        assert line.split() == ["esc", "Cancel"], line
