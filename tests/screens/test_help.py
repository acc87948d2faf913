"""The key help screen: only keys that do something, ids that remap, every row reachable."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import DataTable

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.config import Settings
from helpdesk_tui.screens.help import HelpScreen
from helpdesk_tui.ui_settings import SavedView, UiSettings
from tests.screens.conftest import DeskData
from tests.screens.ticket_helpers import screen_lines, settle


def _help_rows(app: HelpdeskApp) -> list[tuple[str, ...]]:
    table = app.screen.query_one("#help-keys", DataTable)
    return [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]


async def test_help_offers_only_the_views_there_are_ids_that_remap_and_home_and_end(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """The queue's help, in one app run: the views there are (the seven built-in ones; a
    saved view after them, in a second run with that setting); binding ids only for keys
    that remap; End and Home reach the last and the first rows."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        views = [(key, does) for key, does, _ in _help_rows(app) if does.startswith("View:")]
        assert views[0] == ("1", "View: My open") and len(views) == 7, "views"
        # Binding ids: only ids that remap.
        rows = {does: ident for _, does, ident in _help_rows(app)}
        assert rows["Search"] == "queue.search" and rows["Quit"] == "app.quit", "ids"
        assert rows["Focus Next"] == "", "ids"  # a stock key: listed, but no id to remap
        assert all(ident == "" or "." in ident for ident in rows.values()), "ids"
        assert "app.focus_next" not in rows.values(), "ids"
        # End and Home reach the last and the first rows.
        table = app.screen.query_one("#help-keys", DataTable)
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == table.row_count - 1, "end"
        assert table.scroll_y == table.max_scroll_y > 0, "end"
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_row == 0 and table.scroll_y == 0, "home"
    saved = {"hot": SavedView(title="Hot", priorities=["urgent"])}
    settings = Settings(database_url=desk_data.db.url, ui=UiSettings(views=saved))
    app = make_test_app(settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        views = [(key, does) for key, does, _ in _help_rows(app) if does.startswith("View:")]
        assert views[-1] == ("8", "View: Hot")  # a saved view after the seven built-in ones


HELP_TITLES = [
    ((), "Queue"),
    (("enter",), "Ticket"),
    (("enter", "r"), "Composer"),
    (("f3", "tab"), "Knowledge base"),
    (("f",), "Queue filter"),
    (("f4", "f"), "Report filter"),
    (("ctrl+p", "D", "r", "a", "f", "t", "s", "enter"), "Drafts"),
]
"""Keys from the queue to a screen, and the title its help is drawn with."""


async def test_help_is_titled_with_the_screens_name(
    make_test_app: Callable[..., HelpdeskApp],
) -> None:
    """The title drawn on the help: the knowledge base's read "Keys — Kb", the filters
    "Keys — QueueFilter" and "Keys — ReportFilter" (class names). Each screen of
    ``HELP_TITLES`` in turn, from the queue and back to it by Esc, in one app run."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        queue = app.screen
        for keys, title in HELP_TITLES:
            for key in keys:
                await pilot.press(key)
                await settle(pilot)
            await pilot.press("f1")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen), title
            shown = "\n".join(screen_lines(app))
            assert f"│ Keys — {title} " in shown, title
            # Every column in the box at 80 columns: a long "Does" wraps, never pushes
            # "Binding id" out of sight (the knowledge base's did) nor cuts a line.
            table = app.screen.query_one("#help-keys", DataTable)
            assert table.virtual_size.width <= table.scrollable_content_region.width, title
            assert "Binding id" in shown, title
            for _ in range(len(keys) + 1):  # (the help, then each screen the keys opened)
                if app.screen is queue:
                    break
                await pilot.press("escape")
                await settle(pilot)
            assert app.screen is queue, title


def test_a_screen_without_a_title_is_named_in_words() -> None:
    """A screen that names no HELP_TITLE is titled by its class name in words (the access
    ended screen read "AccessEnded"); a picker by its own title line."""
    from helpdesk_tui.screens.access_ended import AccessEndedScreen
    from helpdesk_tui.screens.help import help_title
    from helpdesk_tui.screens.pickers import PromptScreen

    assert help_title(AccessEndedScreen.__new__(AccessEndedScreen)) == "Access ended"
    assert help_title(PromptScreen("Merge #12 into")) == "Merge #12 into"
