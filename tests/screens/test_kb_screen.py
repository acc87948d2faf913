"""The knowledge-base screen: F3 from anywhere, search as you type, filters, write, publish;
snapshots at 80x24 and 120x40."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from rich.text import Text
from textual.command import Command, CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, TextArea

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk.demo_library import article_data
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.kb_service import ArticleData
from helpdesk_tui.screens.kb import KbScreen
from helpdesk_tui.screens.kb_edit import KbEditScreen
from tests.desk.kb_fixture import ARTICLES
from tests.screens.conftest import FROZEN_NOW, DeskData
from tests.screens.ticket_helpers import screen_lines, settle, until

SIZES = [(80, 24), (120, 40)]
HOSTILE = ArticleData(
    "hostile",
    "[bold red]pwn[/] \x1b[2J title",
    "# Heading\n\nText with \x1b]52;c;aGVsbG8=\x07 escape.\n",
    "Security",
    ("test",),
    "draft",
    "internal",
    "ada",
    FROZEN_NOW - timedelta(days=2),
    FROZEN_NOW - timedelta(days=2),
)


def seed_kb(desk: DeskData, count: int = 40) -> None:
    when = FROZEN_NOW - timedelta(days=3)
    Desk(desk.db, desk.ada, clock=lambda: FROZEN_NOW).kb_import(
        [
            ArticleData(
                a.slug,
                a.title,
                a.body,
                a.category,
                a.tags,
                "published",
                "public",
                "ada",
                when,
                when,
            )
            for a in ARTICLES[:count]
        ]
        + [HOSTILE]
    )


def kb_screen(pilot: Pilot[None]) -> KbScreen:
    screen = pilot.app.screen
    assert isinstance(screen, KbScreen)
    return screen


async def open_kb(pilot: Pilot[None]) -> KbScreen:
    await pilot.press("f3")
    await until(pilot, lambda: isinstance(pilot.app.screen, KbScreen))
    await until(pilot, lambda: kb_screen(pilot).searched is not None)
    await settle(pilot)
    return kb_screen(pilot)


async def search(pilot: Pilot[None], text: str) -> KbScreen:
    screen = kb_screen(pilot)
    screen.query_one("#kb-query", Input).focus()
    for key in text:
        await pilot.press(key if key != " " else "space")
    await until(pilot, lambda: screen.searched == text)
    await settle(pilot)
    return screen


async def test_f3_and_back_late_results_filters_and_search_as_you_type(  # type: ignore[no-untyped-def]
    make_test_app, desk_data: DeskData
) -> None:
    """Four facts of the KB screen on the seeded knowledge base, one app run: F3 from the
    queue and back (``_f3_from_the_queue_and_back``); a late result for old filters is
    dropped (``_a_late_result_for_old_filters_is_dropped``); the filters narrow the list
    (``_filters_narrow_the_list``); a search as you type ranks and previews
    (``_search_as_you_type_ranks_and_previews``, with the filters cleared first)."""
    seed_kb(desk_data)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _f3_from_the_queue_and_back(pilot, app)
        await _a_late_result_for_old_filters_is_dropped(pilot, screen, desk_data)
        screen.query_one("#kb-status", Select).clear()
        await settle(pilot)
        await _filters_narrow_the_list(pilot, screen)
        screen.query_one("#kb-category", Select).clear()
        await until(pilot, lambda: len(screen.results) == 41)
        await _search_as_you_type_ranks_and_previews(pilot, app)


async def _f3_from_the_queue_and_back(pilot: Pilot[None], app: HelpdeskApp) -> KbScreen:
    screen = await open_kb(pilot)
    assert len(screen.results) == 41, "F3: every article listed"
    await pilot.press("escape")
    await until(pilot, lambda: app.current_mode == "queue")
    await pilot.press("f3")
    await until(pilot, lambda: app.current_mode == "kb")
    await settle(pilot)
    assert app.screen is screen, "F3 again: the same KB screen"
    return screen


async def _a_late_result_for_old_filters_is_dropped(
    pilot: Pilot[None], screen: KbScreen, desk_data: DeskData
) -> None:
    """A search's thread is not stopped when a newer one starts: one for filters since
    changed that finishes last leaves the list to the newer one's result."""
    await until(pilot, lambda: len(screen.results) == 41)
    unfiltered = screen.filters()
    late = [(a, (), Text()) for a in Desk(desk_data.db, desk_data.ada).kb_list(limit=50)]
    screen.query_one("#kb-status", Select).value = "draft"
    await until(pilot, lambda: len(screen.results) == 1)
    screen._show("", late, unfiltered)
    assert [a.slug for a in screen.results] == ["hostile"], "a late result dropped"
    screen._show("", late, screen.filters())
    assert len(screen.results) == 41, "a result for the filters shown"


async def _filters_narrow_the_list(pilot: Pilot[None], screen: KbScreen) -> None:
    screen.query_one("#kb-status", Select).value = "draft"
    await until(pilot, lambda: len(screen.results) == 1)
    assert screen.results[0].slug == "hostile", "the status filter: the one draft"
    screen.query_one("#kb-status", Select).clear()
    await until(pilot, lambda: len(screen.results) == 41)
    category = screen.query_one("#kb-category", Select)
    await until(pilot, lambda: len(category._options) > 1)
    category.value = "Network"
    await until(pilot, lambda: {a.category for a in screen.results} == {"Network"})


async def _search_as_you_type_ranks_and_previews(pilot: Pilot[None], app: HelpdeskApp) -> None:
    screen = await search(pilot, "vpn disconect")
    assert screen.results[0].slug == "vpn-keeps-disconnecting-every-few-minutes", "ranked"
    assert screen.article is not None and screen.article.slug == screen.results[0].slug
    await pilot.press("enter")
    assert isinstance(app.focused, OptionList), "enter: the list"
    await pilot.press("down")
    await settle(pilot)
    assert screen.article == screen.results[1], "the preview follows the list"


async def _kb_search_scene(pilot: Pilot[None]) -> None:
    await open_kb(pilot)
    await search(pilot, "outlok crash")
    await pilot.press("enter")  # to the results: the footer shows their keys
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_kb_screen_snapshot(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    size: tuple[int, int],
) -> None:
    seed_kb(desk_data)
    assert snap_compare(make_test_app(), terminal_size=size, run_before=_kb_search_scene)


async def _kb_hostile_scene(pilot: Pilot[None]) -> None:
    await open_kb(pilot)
    await search(pilot, "pwn")
    await pilot.press("enter")  # no blinking cursor in the picture
    await settle(pilot)


def test_kb_screen_hostile_article_snapshot(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    seed_kb(desk_data)
    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=_kb_hostile_scene)


MARKDOWN_BODY = """## Before you start

Your laptop must be on the **office network** or the VPN.

1. Open *Settings* → Printers.
2. Choose `Add printer` and pick `FLOOR3-LASER`.
3. Print a test page.

- Nothing listed? See [the VPN article](https://help.example.com/kb/vpn).
- Still stuck: call extension 4357.
"""


async def _kb_editor_scene(pilot: Pilot[None]) -> None:
    await open_kb(pilot)
    await search(pilot, "floor printer")
    await pilot.press("enter")
    await pilot.press("e")
    await until(pilot, lambda: isinstance(pilot.app.screen, KbEditScreen))
    pilot.app.screen.query_one(TextArea).focus()  # the Markdown text, highlighted
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_kb_article_editor_snapshot(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    size: tuple[int, int],
) -> None:
    seed_kb(desk_data)
    desk = Desk(desk_data.db, desk_data.ada, clock=lambda: FROZEN_NOW - timedelta(days=1))
    desk.kb_create(
        "Add the third-floor printer", MARKDOWN_BODY, category="Printing", tags=["printer"]
    )
    assert snap_compare(make_test_app(), terminal_size=size, run_before=_kb_editor_scene)


async def test_the_palette_reads_tickets_and_articles_together(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One read (one thread) per query finds both tickets and articles, so the palette's
    hits do not wait for a second provider that finds nothing (its 0.1 s poll). Then, in
    the same app run: ctrl+p, a few words: "KB: <title>" entries; the one picked opens on
    the KB screen, highlighted, with the filters cleared."""
    seed_kb(desk_data)
    reads: list[tuple[str, str, int]] = []
    find_tickets, kb_search = Desk.find_tickets, Desk.kb_search

    def tickets(desk: Desk, query: str, *args: Any, **kwargs: Any) -> Any:
        reads.append(("tickets", query, threading.get_ident()))
        return find_tickets(desk, query, *args, **kwargs)

    def articles(desk: Desk, query: str, *args: Any, **kwargs: Any) -> Any:
        reads.append(("articles", query, threading.get_ident()))
        return kb_search(desk, query, *args, **kwargs)

    monkeypatch.setattr(Desk, "find_tickets", tickets)
    monkeypatch.setattr(Desk, "kb_search", articles)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"vpn")
        commands = app.screen.query_one(CommandList)

        def prompts() -> list[str]:
            options = [commands.get_option_at_index(i) for i in range(commands.option_count)]
            return [str(o.hit.text) for o in options if isinstance(o, Command)]

        await until(
            pilot,
            lambda: (
                any(p.startswith("KB: ") for p in prompts())
                and any(p.startswith("#") for p in prompts())
            ),
        )
        asked = [(query, thread) for kind, query, thread in reads if kind == "articles"]
        assert asked and all(q == "vpn" for q, _ in asked)
        for query, thread in asked:
            assert ("tickets", query, thread) in reads  # the same read, the same thread
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, CommandPalette))
        # The palette opens an article from anywhere.
        wanted = "VPN keeps disconnecting every few minutes"
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        for key in "vpn disconnect":
            await pilot.press(key if key != " " else "space")
        commands = app.screen.query_one(CommandList)  # (the one prompts() reads)
        await until(pilot, lambda: f"KB: {wanted}" in prompts())
        commands.highlighted = prompts().index(f"KB: {wanted}")
        await pilot.press("enter")
        await until(pilot, lambda: app.current_mode == "kb")
        screen = kb_screen(pilot)
        await until(pilot, lambda: screen.article is not None and screen.article.title == wanted)
        await until(pilot, lambda: screen.searched == wanted)
        await settle(pilot)
        assert screen.article is not None and screen.article.title == wanted
        assert screen.query_one("#kb-query", Input).value == wanted

        # From the queue again, with a filter set that hides it: the filter is cleared.
        article_id = screen.article.id
        screen.query_one("#kb-status", Select).value = "draft"
        await until(pilot, lambda: screen.results == [])
        await pilot.press("escape")
        await until(pilot, lambda: app.current_mode == "queue")
        app.open_article(article_id)
        await until(pilot, lambda: app.current_mode == "kb" and len(screen.results) > 0)
        await settle(pilot)
        assert screen.query_one("#kb-status", Select).is_blank()
        assert screen.article is not None and screen.article.id == article_id


# -- a new desk's empty knowledge base, and the demo's ----------------------------------------


async def test_an_empty_kb_says_what_to_do_ctrl_n_writes_an_article_is_written_published(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """One app run. F3 lands in the search box, where n is typed: ctrl+n opens the editor
    from there, the footer shows it, and an empty knowledge base says how to fill it. Then
    a new article is written from the list (n), published (p) and edited (e): three
    versions."""
    app = make_test_app()
    app.command = ".venv/bin/helpdesk"
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_kb(pilot)
        query = screen.query_one("#kb-query", Input)
        assert screen.focused is query
        meta = " ".join(str(screen.query_one("#kb-meta").render()).split())
        assert "No articles yet" in meta and "ctrl+n" in meta
        assert ".venv/bin/helpdesk kb import DIR" in meta and "(.venv/bin/helpdesk demo" in meta
        keys = {b.key for _, b, enabled, _ in screen.active_bindings.values() if enabled}
        assert "ctrl+n" in keys
        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, KbEditScreen))
        assert query.value == ""
        await pilot.press("escape")  # (nothing written: it closes without asking)
        await until(pilot, lambda: app.screen is screen)
        # Write a new article and publish it.
        screen.query_one("#kb-results", OptionList).focus()
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, KbEditScreen))
        for key in "Guest":
            await pilot.press(key)
        app.screen.query_one(TextArea).insert("Ask **reception**.")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, KbScreen) and len(screen.results) == 1)
        await settle(pilot)
        made = screen.results[0]
        assert (made.title, made.body, made.status) == ("Guest", "Ask **reception**.\n", "draft")
        screen.query_one("#kb-results", OptionList).focus()
        await pilot.press("p")
        await until(pilot, lambda: screen.results[0].status == "published")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, KbEditScreen))
        app.screen.query_one("#kb-edit-title", Input).value = "Guest Wi-Fi"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: screen.results[0].title == "Guest Wi-Fi")
        assert [v.version for v in Desk(desk_data.db, desk_data.ada).kb_versions(made.id)] == [
            1,
            2,
            3,
        ]


async def _open_kb_still(pilot: Pilot[None]) -> None:
    """The KB screen, its search field's cursor still (shown, not blinking): a blinking one
    made the picture depend on when it was taken (it failed once on a loaded machine, the
    cursor caught in its dark half)."""
    screen = await open_kb(pilot)
    screen.query_one("#kb-query", Input).cursor_blink = False
    await settle(pilot)


def test_empty_kb_screen_snapshot(
    snap_compare: Callable[..., bool], make_test_app: Callable[..., HelpdeskApp]
) -> None:
    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=_open_kb_still)


def test_demo_kb_screen_snapshot(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    """The demo's articles as ``helpdesk demo`` writes them, listed and previewed."""
    desk = Desk(desk_data.db, desk_data.ada, clock=lambda: FROZEN_NOW)
    desk.kb_import(article_data(1, FROZEN_NOW), keep_known=True)
    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=_open_kb_still)


async def test_an_open_filter_list_survives_a_narrow_terminal(  # type: ignore[no-untyped-def]
    make_test_app, desk_data: DeskData
) -> None:
    """A real terminal shrunk to 30 columns with a filter's list open crashed the app: the
    four filters share the width, and the list under one had its choices wrapped at width 0
    (Rich's ``chop_cells`` raised). Then, in the same app run: a search that finds nothing
    says so."""
    seed_kb(desk_data)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_kb(pilot)
        category = screen.query_one("#kb-category", Select)
        await until(pilot, lambda: len(category._options) > 1)
        category.focus()
        await pilot.press("enter")
        await until(pilot, lambda: category.expanded)
        for size in [(30, 8), (6, 5), (1, 1), (80, 24)]:
            await pilot.resize_terminal(*size)
            await settle(pilot)
            screen_lines(app)  # (drawn: the crash was in laying the choices out)
        assert app.is_running and category.expanded
        await pilot.press("escape")
        await until(pilot, lambda: not category.expanded)
        # A search that finds nothing says so.
        await search(pilot, "zzzqx")
        await until(
            pilot, lambda: "No article matches" in str(screen.query_one("#kb-meta").render())
        )


async def test_the_footer_at_80_columns_shows_the_publish_key_and_the_help_key(  # type: ignore[no-untyped-def]
    make_test_app, desk_data: DeskData
) -> None:
    """What the footer draws at 80 columns with the list focused: "p Publish/unpublish" left
    no room for "? Keys" (cut to "?"). The key says what it does to the article shown, and
    does it: publish a draft, unpublish a published one."""
    seed_kb(desk_data, count=2)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_kb(pilot)
        screen.query_one("#kb-results", OptionList).focus()
        await until(pilot, lambda: screen.article is not None)
        await settle(pilot)
        assert screen.article is not None and screen.article.status == "draft"
        footer = screen_lines(app)[-1]
        assert "p Publish " in footer and "? Keys" in footer
        await pilot.press("p")
        await until(pilot, lambda: screen.article is not None and screen.article.status != "draft")
        await settle(pilot)
        footer = screen_lines(app)[-1]
        assert "p Unpublish " in footer and "? Keys" in footer
        await pilot.press("p")
        await until(pilot, lambda: screen.article is not None and screen.article.status == "draft")
