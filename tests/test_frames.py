"""tests/frames.py skips a headless app's frames, yet a widget that fails to draw still fails.

The helper's one promise (its docstring): a screen that skipped a frame is drawn as it leaves
the stack and as the app ends, and an error in that drawing ends ``run_test`` with the error,
as a frame that raised would have. These tests are not marked ``frames``: they run with the
frames skipped, as every other test does.
"""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static


class _DrawError(Exception):
    pass


class _Broken(Widget):
    """A widget whose every line raises as it is drawn."""

    def render_line(self, y: int) -> Strip:
        raise _DrawError(f"line {y} of a broken widget drawn")


class _BrokenScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Static("above the broken widget")
        yield _Broken()


class _TwoScreens(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("the app's own screen draws fine")


@pytest.mark.parametrize("leaves", [False, True], ids=["app-ends", "screen-leaves"])
async def test_a_widget_that_fails_to_draw_fails_its_test(leaves: bool) -> None:
    """The broken screen is drawn as the app ends (``app-ends``) or as it is popped
    (``screen-leaves``: a popped screen is no longer on the stack when the app ends); its
    frames were skipped until then, so the app runs on, no error yet."""
    app = _TwoScreens()
    with pytest.raises(_DrawError, match="broken widget drawn"):
        async with app.run_test() as pilot:
            app.push_screen(_BrokenScreen())
            await pilot.pause()
            assert isinstance(app.screen, _BrokenScreen) and app._exception is None, (
                "the broken screen's frames are skipped while the test runs"
            )
            if leaves:
                app.pop_screen()
                await pilot.pause()
