"""The footer shows the keys Textual's own footer shows, and a focus change rebuilds nothing:
no key widget made again, no key restyled (each rebuild cost a queue key 30-60 ms)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input
from textual.widgets._footer import FooterKey

import helpdesk_tui
from helpdesk_tui.widgets.key_footer import KeyFooter, _widths
from tests.restyles import restyled


class Rows(Widget, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open"),
        Binding("d", "delete", "Delete"),
        Binding("x", "hidden", "Hidden", show=False),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "delete" else True  # shown, disabled

    def action_open(self) -> None:
        pass


MOVES = Binding.Group("Move")


class FooterApp(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search"),
        Binding("f", "filter", "Filter"),
        Binding("question_mark,f1", "keys", "Keys"),
    ]

    def __init__(self, footer: type[Footer]) -> None:
        super().__init__()
        self.footer = footer
        self.animation_level = "none"  # (quiet between keys: no pilot waits out a fade)

    def compose(self) -> ComposeResult:
        yield Rows(id="rows")
        yield Input(id="box")
        yield self.footer()


class GroupedApp(FooterApp):
    """Two keys shown as one group: left to Textual's footer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "left", "Left", group=MOVES),
        Binding("right", "right", "Right", group=MOVES),
    ]


def shown(app: App[None]) -> list[tuple[str, str, bool, bool]]:
    """The footer's visible keys, in order: key, description, disabled, the palette's."""
    footer = app.screen.query_one(Footer)
    return [
        (key.key, key.description, key.has_class("-disabled"), key.has_class("-command-palette"))
        for key in footer.query(FooterKey)
        if key.display
    ]


async def keys_by_focus(
    footer: type[Footer], *, grouped: bool = False
) -> list[list[tuple[str, str, bool, bool]]]:
    app = (GroupedApp if grouped else FooterApp)(footer)
    seen = []
    async with app.run_test(size=(100, 10)) as pilot:
        for target in ("#rows", "#box", "#rows", "#box"):
            app.screen.query_one(target).focus()
            await pilot.pause()
            await pilot.pause()
            seen.append(shown(app))
    return seen


async def test_shows_what_textuals_footer_shows() -> None:
    ours, textuals = await keys_by_focus(KeyFooter), await keys_by_focus(Footer)
    assert ours == textuals
    assert ours[0][0][:2] == ("enter", "Open")
    assert ("d", "Delete", True, False) in ours[0]  # a disabled key stays, dimmed
    assert ours[0] != ours[1]  # the input's focus hides the rows' keys and "?"


async def test_grouped_keys_are_textuals_own() -> None:
    ours, textuals = (
        await keys_by_focus(KeyFooter, grouped=True),
        await keys_by_focus(Footer, grouped=True),
    )
    assert ours == textuals
    assert ("left", "", False, False) in ours[0]


async def test_the_keys_come_with_the_footer_before_the_first_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The footer composes the keys of the focus the screen is about to give (the first
    focusable widget: Rows' Enter and d first): they are there at the screen's first layout,
    which comes before its first frame, and no key is mounted after it. (It composed empty
    and mounted them after the first refresh: a frame without keys, and a second mount,
    styling and layout of the screen.)"""
    at_first_layout: list[list[str]] = []
    mounts: list[Widget] = []
    refresh_layout = Screen._refresh_layout
    mount = KeyFooter.mount

    def laying_out(screen: Screen[None], *args: object, **kwargs: object) -> None:
        refresh_layout(screen, *args, **kwargs)  # type: ignore[arg-type]
        if not at_first_layout:
            at_first_layout.append([key for key, *_ in shown(screen.app)])

    def mounting(footer: KeyFooter, *widgets: Widget, **kwargs: object) -> object:
        if at_first_layout:  # (not its compose's)
            mounts.extend(widgets)
        return mount(footer, *widgets, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Screen, "_refresh_layout", laying_out)
    monkeypatch.setattr(KeyFooter, "mount", mounting)
    app = FooterApp(KeyFooter)
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause()
        await pilot.pause()
        keys = [key for key, *_ in shown(app)]
    assert keys == ["enter", "d", "slash", "f", "question_mark", "ctrl+p"]
    assert at_first_layout == [keys]
    assert not mounts


@pytest.mark.parametrize("target", ["#box", None])
async def test_a_focus_change_makes_and_restyles_no_key(target: str | None) -> None:
    app = FooterApp(KeyFooter)
    async with app.run_test(size=(100, 10)) as pilot:
        for first in ("#box", "#rows"):  # each focus once: every key there is made
            app.screen.query_one(first).focus()
            await pilot.pause()
            await pilot.pause()
        keys = set(app.screen.query_one(Footer).query_children(FooterKey))
        before = shown(app)
        with restyled() as nodes:
            app.screen.set_focus(None if target is None else app.screen.query_one(target))
            await pilot.pause()
            await pilot.pause()
            assert shown(app) != before
            app.screen.query_one("#rows").focus()
            await pilot.pause()
            await pilot.pause()
        assert set(app.screen.query_one(Footer).query_children(FooterKey)) == keys
        assert not [node for node in nodes if isinstance(node, FooterKey)]
        assert shown(app) == before


async def test_clipping_to_the_width_renders_each_key_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The footer hides the keys from the first that does not fit whole (``_clip``, at each
    resize and change of keys); it rendered each key twice to measure it, and then each
    key shown once at every focus change: now once, and again when its styles change."""
    app = FooterApp(KeyFooter)
    async with app.run_test(size=(100, 10)) as pilot:
        app.screen.query_one("#rows").focus()
        await pilot.pause()
        await pilot.pause()
        footer = app.screen.query_one(KeyFooter)
        assert [key for key, *_ in shown(app)] == [
            "enter",
            "d",
            "slash",
            "f",
            "question_mark",
            "ctrl+p",
        ]
        renders: list[FooterKey] = []
        render = FooterKey.render

        def counted(key: FooterKey) -> object:
            renders.append(key)
            return render(key)

        monkeypatch.setattr(FooterKey, "render", counted)
        footer._measured.clear()
        footer._clip()
        drawn = [key for key in footer.query_children(FooterKey) if key.display]
        assert sorted(map(id, renders)) == sorted(map(id, drawn)), "each key measured once"
        renders.clear()
        footer._clip()
        assert not renders, "a key measured is not measured again while its styles stay"
        monkeypatch.undo()
        wide = [_widths(key) for key in drawn]
        footer.compact = True
        await pilot.pause()
        narrow = [_widths(key) for key in drawn]
        assert narrow != wide
        assert [footer._widths(key) for key in drawn] == narrow, "measured again: compact"
        footer.compact = False
        await pilot.pause()
        await pilot.resize_terminal(50, 10)
        await pilot.pause()
        await pilot.pause()
        kept = [key.key for key in footer.query_children(FooterKey) if key.display and key.visible]
        assert kept == ["enter", "d", "slash", "ctrl+p"], "clipped from the first not whole"


class IfRoomScreen(Screen[None]):
    FOOTER_IF_ROOM: ClassVar[frozenset[str]] = frozenset({"screen.settings"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("D", "settings", "Desk", id="screen.settings"),
        Binding("s", "sort", "Sort"),
    ]

    def compose(self) -> ComposeResult:
        yield Rows(id="rows")
        yield KeyFooter()


class IfRoomApp(FooterApp):
    def __init__(self) -> None:
        super().__init__(KeyFooter)

    def on_mount(self) -> None:
        self.push_screen(IfRoomScreen())


@pytest.mark.parametrize("width", [100, 68])
async def test_a_key_shown_if_room_comes_after_the_app_s_keys(width: int) -> None:
    """The queue's D (FOOTER_IF_ROOM) is drawn last, after the app's keys, where there is
    room; where there is none it alone is left out, not Keys after it."""
    app = IfRoomApp()
    async with app.run_test(size=(width, 10)) as pilot:
        await pilot.pause()
        await pilot.pause()
        footer = app.screen.query_one(KeyFooter)
        keys = [key for key in footer.query_children(FooterKey) if key.display]
        assert [key.key for key in keys][-2:] == ["D", "ctrl+p"]  # (the palette's: docked)
        drawn = [key.key for key in keys if key.visible]
        assert drawn[:6] == ["enter", "d", "s", "slash", "f", "question_mark"]
        assert ("D" in drawn) == (width == 100)


def test_every_screen_uses_the_key_footer() -> None:
    """A screen yielding Textual's ``Footer`` would rebuild its keys on each focus change."""
    package = Path(helpdesk_tui.__file__).parent
    for path in [*package.glob("screens/*.py"), package / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "Footer", f"{path.name}: use KeyFooter"
