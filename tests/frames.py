"""A headless test app draws its frames when something looks at them, not at every tick.

A screen draws on its update timer (``Screen._on_timer_update`` → ``_compositor_refresh``):
``Compositor.render_update`` has every dirty widget render its lines, and the app then hands
the frame to ``App._display``, which throws it away when the app is headless (a pilot's
``run_test``, the snapshot plugin). No test reads those frames: tests read a widget's state,
its ``render()`` or ``render_line(y)`` (each renders itself), and a snapshot or
``export_screenshot`` renders the whole screen itself. Drawing them cost the screen tests a
fifth of their CPU time (195 s → 159 s summed, tests/screens and tests/widgets).

``install`` (tests/conftest.py, every test not marked ``frames``) makes the top screen of a
headless app mark its dirty widgets drawn without rendering them, and keep the screen in
``_UNDRAWN``. Everything else the refresh does still happens: layout, scrolling, the
after-refresh callbacks, the mouse-over update, the background screens' hand-over of their
dirty regions. What a frame would have caught it still catches: a widget whose
``render_line`` raises fails its test, as a frame that raised fails it — each screen that
skipped a frame is drawn once as it leaves the stack (``App._replace_screen``) and as the
app shuts down (``App._shutdown``), its error handed to ``App._handle_exception``,
which ``run_test`` raises at the end — unless it was drawn in full since its last skipped
frame (``Compositor.render_full_update``: a test's ``export_screenshot``, a snapshot),
where the same error was raised into the test. (A widget mounted and removed between
those moments is not drawn: a test that checks how such a widget draws reads it itself.)
That drawing renders every visible widget's lines through its own ``render_lines``
(``Compositor._get_renders``, as a frame does) but does not cut them into the screen's
frame (``Compositor._render_chops``): the cutting cannot fail on a widget's account, and
was 40 % of the drawing's CPU time. Lines a widget drew since it last changed come from
its own cache (``StylesCache``), so a screen drawn twice costs its changes only.
tests/test_frames.py proves the promise.

A test about the frames themselves (what a frame draws, how often) is marked
``@pytest.mark.frames`` and draws every one. Real terminals (tests in tmux) run the app in
another process and draw as users see it.

These are Textual's private methods (textual 8.2): ``install`` fails loudly when one is
gone, so a Textual upgrade that moves them is seen at once, not as a slower suite.
"""

from __future__ import annotations

import weakref
from typing import Any

import pytest
from textual._compositor import Compositor
from textual._context import visible_screen_stack
from textual.app import App
from textual.screen import Screen

_PATCHED: tuple[tuple[type, str], ...] = (
    (Screen, "_compositor_refresh"),
    (Compositor, "render_full_update"),
    (App, "_replace_screen"),
    (App, "_shutdown"),
)

for _owner, _name in (*_PATCHED, (Compositor, "_get_renders")):
    if not callable(getattr(_owner, _name, None)):  # (see the module's docstring)
        raise RuntimeError(
            f"textual.{_owner.__name__}.{_name} is gone: tests/frames.py skips headless "
            "frames through it; see its docstring and adapt it to this Textual"
        )

_original_refresh = Screen._compositor_refresh
_original_full_update = Compositor.render_full_update
_original_replace = App._replace_screen
_original_shutdown = App._shutdown

_UNDRAWN: weakref.WeakSet[Screen[Any]] = weakref.WeakSet()
"""Screens that marked a frame drawn without drawing it since they were last drawn in full."""


def _full_update(self: Compositor, simplify: bool = False) -> Any:
    """``Compositor.render_full_update``: its screen is drawn in full, none of it skipped."""
    update = _original_full_update(self, simplify=simplify)
    for screen in [screen for screen in _UNDRAWN if screen._compositor is self]:
        _UNDRAWN.discard(screen)
    return update


def _skipping_refresh(self: Screen[Any]) -> None:
    """``Screen._compositor_refresh``, without rendering the top screen of a headless app."""
    app = self.app
    if not (app.is_headless and not app.is_inline and self is app.screen):
        _original_refresh(self)
        return
    self._compositor._dirty_regions.clear()  # (as rendering them clears them)
    self._dirty_widgets.clear()
    _UNDRAWN.add(self)
    app._update_mouse_over(self)


def draw_undrawn(app: App[Any], screen: Screen[Any]) -> None:
    """Draw ``screen``'s visible widgets if it skipped a frame: their errors fail the test."""
    if screen not in _UNDRAWN or not screen.is_attached:
        return
    _UNDRAWN.discard(screen)
    visible_screen_stack.set([])  # (as ``Compositor.render_update`` sets it)
    try:
        for _drawn in screen._compositor._get_renders():  # (each widget draws as it is reached)
            pass
    except Exception as error:  # (as an error in a frame drawn by the update timer)
        app._handle_exception(error)


async def _drawing_replace(self: App[Any], screen: Screen[Any]) -> Screen[Any]:
    draw_undrawn(self, screen)
    return await _original_replace(self, screen)


async def _drawing_shutdown(self: App[Any]) -> None:
    for stack in self._screen_stacks.values():
        for screen in stack:
            draw_undrawn(self, screen)
    await _original_shutdown(self)


def install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Headless apps skip their frames for the test using ``monkeypatch`` (see above)."""
    monkeypatch.setattr(Screen, "_compositor_refresh", _skipping_refresh)
    monkeypatch.setattr(Compositor, "render_full_update", _full_update)
    monkeypatch.setattr(App, "_replace_screen", _drawing_replace)
    monkeypatch.setattr(App, "_shutdown", _drawing_shutdown)
