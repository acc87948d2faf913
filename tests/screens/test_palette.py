"""The command palette (ctrl+p): kept between openings, each opening empty; the desk's
provider reads one query at a time and shows the newest query's hits only; snapshots at
80x24 of a first and a reopened palette (the same picture)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from textual.command import Command, CommandInput, CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import LoadingIndicator, OptionList

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.screens import palette as palette_module
from helpdesk_tui.screens.palette import KeptCommandList, KeptPalette
from helpdesk_tui.screens.ticket import TicketScreen
from tests import pilot_keys
from tests.conftest import HANG_SECONDS
from tests.screens.conftest import DeskData
from tests.screens.ticket_helpers import drain, settle, until


def prompts(app: HelpdeskApp) -> list[str]:
    """The texts of the palette's listed commands, in order."""
    commands = app.screen.query_one(CommandList)
    options = [commands.get_option_at_index(i) for i in range(commands.option_count)]
    return [str(option.hit.text) for option in options if isinstance(option, Command)]


def listed(app: HelpdeskApp) -> bool:
    """The palette is shown with its commands for an empty query listed."""
    screen = app.screen
    return (
        isinstance(screen, CommandPalette)
        and screen.has_class("-ready")
        and not screen.query_one(CommandInput).value
        and bool(prompts(app))
    )


async def open_palette(pilot: Pilot[None]) -> None:
    await pilot.press("ctrl+p")
    await until(pilot, lambda: listed(pilot.app))  # type: ignore[arg-type]


async def type_query(pilot: Pilot[None], text: str, hit: str) -> None:
    """Type ``text``; until the hits listed for it include ``hit``."""
    app = pilot.app
    assert isinstance(app, HelpdeskApp)
    await pilot.press(*text)
    await until(pilot, lambda: any(hit in prompt for prompt in prompts(app)))


GATHER = CommandPalette._GATHER_COMMANDS_GROUP
"""The group of the palette's searches (each key's, run as a worker)."""


async def test_the_palette_answers_the_newest_query_only(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The read for "lap" is still running when the next keys arrive (Backspace three
    times, then "meeting"): the searches of those keys wait for it, each cancelled by the next
    key, and once it ends only "meeting" is read. The laptop ticket "lap" found is never
    listed for "meeting"; the list shows the Wi-Fi ticket, and it stays."""
    slow = threading.Event()
    reads: list[str] = []
    find_tickets = Desk.find_tickets

    def tickets(desk: Desk, query: str, *args: Any, **kwargs: Any) -> Any:
        reads.append(query)
        if query == "lap":
            assert slow.wait(HANG_SECONDS)
        found = find_tickets(desk, query, *args, **kwargs)
        reads.append(f"{query} read")
        return found

    monkeypatch.setattr(Desk, "find_tickets", tickets)
    shown: list[tuple[str, list[str]]] = []
    refresh = CommandPalette._refresh_command_list

    def spy(palette: CommandPalette, *args: Any, **kwargs: Any) -> None:
        refresh(palette, *args, **kwargs)
        commands = palette.query_one(CommandList)
        options = [commands.get_option_at_index(i) for i in range(commands.option_count)]
        texts = [str(option.hit.text) for option in options if isinstance(option, Command)]
        shown.append((palette.query_one(CommandInput).value, texts))

    monkeypatch.setattr(CommandPalette, "_refresh_command_list", spy)
    laptop = f"#{desk_data.numbers['laptop']} Laptop will not boot"
    wifi = f"#{desk_data.numbers['wifi']} Wi-Fi slow in meeting room 3"
    app = make_test_app()
    # (the keys typed while "lap" is read do not wait for the searches held behind it)
    pilot_keys.hold(app, lambda worker: worker.group == GATHER and not slow.is_set())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_palette(pilot)
        await pilot.press(*"lap")
        await until(pilot, lambda: "lap" in reads)
        await pilot.press("backspace", "backspace", "backspace", *"meeting")
        box = app.screen.query_one(CommandInput)
        await until(pilot, lambda: box.value == "meeting")
        await drain(pilot)
        slow.set()
        await until(pilot, lambda: wifi in prompts(app))
        await settle(pilot)
        # No read started while "lap" was read; then the newest query's only.
        assert reads[reads.index("lap") :] == ["lap", "lap read", "meeting", "meeting read"]
        assert wifi in prompts(app) and laptop not in prompts(app)
        assert all(laptop not in texts for value, texts in shown if value.startswith("m"))


async def test_a_closed_palette_keeps_no_timer_another_mode_s_is_its_own_reopening_is_empty(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """Three facts of the kept palette in one app run, in turn. Its input blinks and its
    busy indicator is animated while the palette is open, and neither once it is closed
    (their timers would otherwise wake the idle app 18 times a second, for good). A switch
    to the knowledge base while the palette is open leaves it in the queue's stack: ctrl+p
    there opens a palette of its own (Textual's, built for that opening), and back on the
    queue the kept one is still open. The palette is composed once; each opening starts
    with no query and the commands of the screen it opens over, the input focused, whatever
    the last opening left."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(2):
            await open_palette(pilot)
            field = app.screen.query_one(CommandInput)
            indicator = app.screen.query_one(LoadingIndicator)
            assert field.cursor_blink and indicator.auto_refresh
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is app.queue)
            assert not field.cursor_blink and indicator.auto_refresh is None
        # A palette left open in another mode is not pushed twice.
        await open_palette(pilot)
        kept = app.screen
        app.switch_mode("kb")
        await until(pilot, lambda: app.current_mode == "kb")
        await settle(pilot)
        await open_palette(pilot)
        assert app.screen is not kept and isinstance(app.screen, CommandPalette)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, CommandPalette))
        app.switch_mode("queue")
        await until(pilot, lambda: app.screen is kept)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.queue)
        # Reopening the palette starts empty.
        await open_palette(pilot)
        palette = app.screen
        assert isinstance(palette, KeptPalette)
        first = prompts(app)
        assert any(prompt.startswith("View: ") for prompt in first)
        await type_query(pilot, "meeting", "Wi-Fi slow")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.queue)

        await open_palette(pilot)
        assert app.screen is palette
        assert prompts(app) == first
        assert palette.focused is palette.query_one(CommandInput)
        await type_query(pilot, "laptop", "Laptop will not boot")
        assert not any("Wi-Fi" in prompt for prompt in prompts(app))

        # Picking a ticket closes it; over the ticket screen, its own commands are listed.
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))
        ticket_screen = app.screen
        await open_palette(pilot)
        assert app.screen is palette
        over_ticket = prompts(app)
        titles = [title for title, _, _ in ticket_screen.palette_commands()]
        assert set(titles) <= set(over_ticket)
        assert not any(prompt.startswith("View: ") for prompt in over_ticket)


async def _palette_scene(pilot: Pilot[None], *, reopened: bool) -> None:
    await settle(pilot)
    if reopened:
        await open_palette(pilot)
        await type_query(pilot, "meeting", "Wi-Fi slow")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(pilot.app.screen, CommandPalette))
    await open_palette(pilot)
    pilot.app.screen.query_one(CommandInput).cursor_blink = False  # (a still picture)
    await type_query(pilot, "laptop", "Laptop will not boot")
    await settle(pilot)


@pytest.mark.parametrize("reopened", [False, True], ids=["first", "reopened"])
def test_palette_snapshot(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    reopened: bool,
) -> None:
    async def scene(pilot: Pilot[None]) -> None:
        await _palette_scene(pilot, reopened=reopened)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=scene)


@pytest.mark.parametrize("late", [False, True], ids=["listed", "listed-late"])
async def test_a_list_keeps_its_lines_when_only_its_height_changes(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    monkeypatch: pytest.MonkeyPatch,
    late: bool,
) -> None:
    """Textual's ``OptionList._on_resize`` forgets the list's measured lines and renders (they
    are drawn again a frame later); the kept palette's list keeps them when only its height
    changed (a reopening after a search, a search), not when its width did (the terminal
    resized): then they are measured and drawn at the new width. Also when the commands
    are listed after the palette is drawn (``late``: an opening slower than its wait, as
    under load), added to a list of one hit, no scrollbar, and shown with one: the list's
    width kept the scrollbar's columns either way (it was 80, then 78, and the lines were
    measured again; "failed once at load 10+")."""
    if late:
        monkeypatch.setattr(palette_module, "LIST_WAIT_SECONDS", 0)
    forgot: list[int] = []
    on_resize = OptionList._on_resize

    def spy(commands: OptionList) -> None:
        forgot.append(commands.scrollable_content_region.width)
        on_resize(commands)

    monkeypatch.setattr(OptionList, "_on_resize", spy)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_palette(pilot)
        await type_query(pilot, "meeting", "Wi-Fi slow")
        await settle(pilot)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.queue)
        await open_palette(pilot)
        await settle(pilot)
        commands = app.screen.query_one(KeptCommandList)
        height = commands.size.height
        await type_query(pilot, "laptop", "Laptop will not boot")
        await settle(pilot)
        assert commands.size.height != height  # (the hits: fewer lines)
        assert len(forgot) <= 1  # (the first opening's, Textual's own path)

        before = len(forgot)
        await pilot.resize_terminal(100, 24)
        await settle(pilot)
        width = commands.scrollable_content_region.width
        assert forgot[before:] == [width]
        assert commands.render_line(0).cell_length == width


async def test_a_reopening_is_restyled_only_after_a_change_of_css(
    make_test_app: Callable[..., HelpdeskApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual restyles every widget of a screen pushed; the kept palette skips that when
    nothing its styles follow changed since it was last styled, and not after a change of
    theme made while it was closed: it is then drawn in the new theme's colours."""
    restyled: list[bool] = []
    update_styles = HelpdeskApp.update_styles

    def spy(app: HelpdeskApp, node: Any, animate: bool = True) -> None:
        if isinstance(node, KeptPalette):
            restyled.append(True)
        update_styles(app, node, animate)

    monkeypatch.setattr(HelpdeskApp, "update_styles", spy)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(2):
            await open_palette(pilot)
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is app.queue)
        restyled.clear()
        await open_palette(pilot)
        assert not restyled
        palette = app.screen
        container = palette.query_one("#--container")
        dark = container.styles.background
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.queue)

        app.theme = "textual-light"
        await settle(pilot)
        await open_palette(pilot)
        assert restyled
        light = container.styles.background
        assert light != dark
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.queue)
        app.install_screen(fresh := CommandPalette(), name="fresh-palette")
        app.push_screen(fresh)
        await until(pilot, lambda: app.screen is fresh)
        await settle(pilot)
        assert fresh.query_one("#--container").styles.background == light


async def test_a_reopening_draws_its_list_from_the_lines_it_rendered_before(
    make_test_app: Callable[..., HelpdeskApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each opening lists new command objects; their lines are the ones rendered at the last
    opening over the same screen (kept by what they show), so none is rendered again, and
    each line is the same, its option's index with it (for a click)."""
    rendered: list[str] = []
    render = OptionList._get_option_render

    def spy(commands: OptionList, option: Any, style: Any) -> Any:
        rendered.append(str(option.prompt))
        return render(commands, option, style)

    monkeypatch.setattr(OptionList, "_get_option_render", spy)

    def lines(commands: KeptCommandList) -> list[tuple[str, object]]:
        return [
            (strip.text, [segment.style.meta.get("option") for segment in strip if segment.style])
            for strip in (commands.render_line(y) for y in range(commands.size.height - 2))
        ]

    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_palette(pilot)
        await settle(pilot)
        commands = app.screen.query_one(KeptCommandList)
        first = lines(commands)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.queue)
        rendered.clear()
        await open_palette(pilot)
        await settle(pilot)
        assert lines(commands) == first
        assert rendered == []
