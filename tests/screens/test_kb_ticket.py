"""Knowledge base on a ticket: suggested articles in the side panel, i / I put an article's
text or link into a reply, A turns a resolved ticket's reply into a draft article."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.config import KbSettings, Settings
from helpdesk_tui.desk import fields, thread
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.screens.canned_picker import ArticlePickScreen
from helpdesk_tui.screens.composer import ComposerScreen
from helpdesk_tui.screens.pickers import PickScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.widgets.side_panel import SidePanel
from tests.screens.conftest import DeskData
from tests.screens.snapshot_setup import start_reply
from tests.screens.test_kb_screen import seed_kb
from tests.screens.ticket_helpers import (
    notifications,
    open_ticket,
    screen_lines,
    settle,
    until,
)

SITE = "https://help.example.com"


def kb_settings(desk: DeskData) -> Settings:
    return Settings(database_url=desk.db.url, kb=KbSettings(public_url=SITE))


async def _suggestions_shown(pilot: Pilot[None], number: int) -> None:
    screen = await open_ticket(pilot, number)
    await until(pilot, lambda: bool(screen.query_one(SidePanel).suggestions))
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_suggestion_panel_snapshot(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    size: tuple[int, int],
) -> None:
    seed_kb(desk_data)
    number = desk_data.numbers["vpn"]

    async def run_before(pilot: Pilot[None]) -> None:
        await _suggestions_shown(pilot, number)

    assert snap_compare(make_test_app(), terminal_size=size, run_before=run_before)


async def test_i_and_shift_i_put_an_article_into_a_reply(
    make_test_app, desk_data: DeskData
) -> None:  # type: ignore[no-untyped-def]
    seed_kb(desk_data)
    number = desk_data.numbers["wifi"]  # (on the VPN ticket cy is replying: a warning first)
    app = make_test_app(settings=kb_settings(desk_data))
    async with app.run_test(size=(120, 40)) as pilot:
        await _suggestions_shown(pilot, number)
        side = app.screen.query_one(SidePanel)
        first = side.suggestions[0].article
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        composer = app.screen
        assert isinstance(composer, ComposerScreen)
        await until(pilot, lambda: composer.text_area.text == first.body.rstrip("\n"))


async def test_a_resolved_tickets_reply_becomes_a_draft_article(
    make_test_app, desk_data: DeskData
) -> None:  # type: ignore[no-untyped-def]
    number = desk_data.numbers["vpn"]
    with desk_data.db.write() as session:
        thread.reply(session, desk_data.ada, number, body="Update AnyConnect to 5.1.")
    with desk_data.db.write() as session:
        fields.set_status(session, desk_data.ada, number, "resolved")
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, number)
        await pilot.press("A")
        await until(pilot, lambda: any("Draft article" in n for n in notifications(app)))
    [article] = Desk(desk_data.db, desk_data.ada).kb_list()
    assert (article.title, article.body, article.status) == (
        "VPN drops every hour",
        "Update AnyConnect to 5.1.\n",
        "draft",
    )


async def test_link_needs_the_site_esc_from_kb_says_back_enter_on_a_suggestion_replies(
    make_test_app, desk_data: DeskData
) -> None:  # type: ignore[no-untyped-def]
    """One app run at 80x24, three facts in turn. ``I`` (an article's link) needs the help
    site's address. Opened from a ticket, the knowledge base's footer said "esc Queue" (and
    the reports' help too), while Esc went back to the ticket: it says "esc Back" (the
    knowledge base, F3, then the reports, F4, from the same ticket). Enter on a suggested
    article starts a reply with it."""
    seed_kb(desk_data)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _suggestions_shown(pilot, desk_data.numbers["vpn"])
        await pilot.press("I")
        await settle(pilot)
        assert "No help site address: set [kb] public_url" in notifications(app)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, TicketScreen))
        # Esc from the knowledge base or the reports says Back.
        ticket = await open_ticket(pilot, desk_data.numbers["wifi"])
        for key in ["f3", "f4"]:
            await pilot.press(key)
            await until(pilot, lambda: app.screen is not ticket)
            await settle(pilot)
            if key == "f3":
                footer = screen_lines(app)[-1]
                assert "esc Back" in footer and "Queue" not in footer, footer
            await pilot.press("f1")
            await settle(pilot)
            assert any("esc" in line and "Back" in line for line in screen_lines(app)), key
            await pilot.press("escape")  # (the help)
            await settle(pilot)
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is ticket)
            await settle(pilot)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, TicketScreen))
        # Enter on a suggested article starts a reply with it.
        await _suggestions_shown(pilot, desk_data.numbers["wifi"])
        side = app.screen.query_one(SidePanel)
        first = side.suggestions[0].article
        await pilot.press("g")
        assert side.related.has_focus
        for _ in range(side.related.option_count):  # past Eve's other ticket, to the article
            option = side.related.highlighted_option
            if option is not None and (option.id or "").startswith("article:"):
                break
            await pilot.press("down")
        assert option is not None and option.id == f"article:{first.id}"
        await pilot.pause()
        # At 80x24 the suggestions start below the panel's fold: it scrolled to the entry.
        assert side.scroll_y > 0
        assert any(first.title[:20] in line for line in screen_lines(app))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        composer = app.screen
        assert isinstance(composer, ComposerScreen)
        await until(pilot, lambda: composer.text_area.text == first.body.rstrip("\n"))


RUNBOOK = "Zebra printer runbook"


def seed_runbook(desk: DeskData) -> None:
    """A published internal article (its text may go into a reply, not its link)."""
    ada = Desk(desk.db, desk.ada)
    ada.kb_publish(ada.kb_create(RUNBOOK, "Power-cycle the Zebra.", category="Printers").id)


async def _article_picker(pilot: Pilot[None], number: int, words: str) -> ArticlePickScreen:
    await start_reply(pilot, number, "Hello,\n\n")
    await pilot.press("ctrl+l")
    await until(pilot, lambda: isinstance(pilot.app.screen, ArticlePickScreen))
    picker = pilot.app.screen
    assert isinstance(picker, ArticlePickScreen)
    picker.query_one(Input).cursor_blink = False
    await pilot.press(*(key if key != " " else "space" for key in words))
    await until(pilot, lambda: bool(picker.items) and words in picker.items[0].title.lower())
    await settle(pilot)
    return picker


def test_article_picker_snapshot(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    """Over the reply at 80x24: the article, its text, and the refused link's one line."""
    seed_kb(desk_data)
    seed_runbook(desk_data)

    async def run_before(pilot: Pilot[None]) -> None:
        await _article_picker(pilot, desk_data.numbers["wifi"], "zebra")
        await pilot.press("ctrl+l")
        await settle(pilot)

    app = make_test_app(settings=kb_settings(desk_data))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_the_composer_puts_an_articles_text_or_link_at_its_cursor(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """ctrl+l in a reply: any published article's text (Enter) or a public one's link
    (ctrl+l), without leaving the draft; an internal article's link is refused in one line
    and nothing goes in."""
    seed_kb(desk_data)
    seed_runbook(desk_data)
    app = make_test_app(settings=kb_settings(desk_data))
    async with app.run_test(size=(80, 24)) as pilot:
        await _article_picker(pilot, desk_data.numbers["wifi"], "zebra")
        lines = "\n".join(screen_lines(app))
        assert f"{RUNBOOK}  Printers · internal" in lines
        assert "⏎ Text  esc Cancel  ^l Link" in lines
        await pilot.press("ctrl+l")
        await settle(pilot)
        refused = f'"{RUNBOOK}" is internal: it is not on the help site, so'
        assert refused in "\n".join(screen_lines(app))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        composer = app.screen
        assert isinstance(composer, ComposerScreen)
        assert composer.text_area.text == "Hello,\n\nPower-cycle the Zebra."
        await pilot.press("enter", "ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, ArticlePickScreen))
        await pilot.press(*"vpn", "space", *"keeps")
        picker = app.screen
        assert isinstance(picker, ArticlePickScreen)
        await until(pilot, lambda: bool(picker.items) and "VPN" in picker.items[0].title)
        await pilot.press("ctrl+l")
        await until(pilot, lambda: app.screen is composer)
        link = f"{SITE}/article/{picker.items[0].slug}.html"
        assert composer.text_area.text == f"Hello,\n\nPower-cycle the Zebra.\n{link}"
