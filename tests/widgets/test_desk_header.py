"""The screens' header follows the titles at once and outlives its own taking down."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from helpdesk_tui.widgets.desk_header import DeskHeader


class _TitledApp(App[None]):
    TITLE = "Support"
    SUB_TITLE = "ada"

    def compose(self) -> ComposeResult:
        yield DeskHeader()


def _title_line(app: App[None]) -> str:
    return str(app.screen.query_one("HeaderTitle", Static).render())


async def test_the_title_line_follows_the_app_and_the_screen_and_a_header_going_away() -> None:
    """Each title change shows in the same call (no coroutine left for later); and a change
    arriving once the header's title line has gone (the header being taken down, as an app
    ends) changes nothing and ends nothing: Textual's own header raised ``NoMatches`` from
    its scheduled coroutine there, which ended the app."""
    app = _TitledApp()
    async with app.run_test(size=(80, 24)) as pilot:
        assert _title_line(app) == "Support — ada"
        app.title = "Helpdesk"
        assert _title_line(app) == "Helpdesk — ada", "the app's title, in the same call"
        app.screen.sub_title = "3 ratings to follow up"
        assert _title_line(app) == "Helpdesk — 3 ratings to follow up", "the screen's"
        await app.screen.query_one("HeaderTitle").remove()
        app.title = "Renamed"
        app.sub_title = "bob"
        app.screen.sub_title = None
        await pilot.pause()
        assert app.is_running, "a title change with the title line gone ended the app"
