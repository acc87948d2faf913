"""A test app's animations end at the animator's next frame, not after their duration.

Textual's animator (``textual._animator.Animator``) moves an animated attribute on a timer
of 60 frames a second, each frame to where the animation's clock says it is, until its
duration has passed: a tab's underline slides for 0.3 s each time a tab is chosen
(``Tabs._highlight_active``), ``Home`` on a long thread scrolls for up to a second. The
pilot waits for them (``Pilot.press`` awaits ``Animator.wait_until_complete``, and
``pilot_keys.quick_idle`` counts a running animation as not idle): the screen tests sat
through each one, doing nothing (test_desk_settings.py, whose forms are tabs, most).

``install`` gives the animator a clock that runs ``SPEEDUP`` times faster than the wall
clock: every animation is at its end on the first frame after it starts, with its final
value set and its ``on_complete`` called, as when its duration has passed. What an
animation ends on is what the tests check (a widget's state, a snapshot, which Textual
takes once animations are done); how it moved between is not checked by any test, and
drawn frames are skipped under the pilot anyway (``tests/frames.py``). Textual's own
``animation_level = "none"`` would end them at once too, but it also draws a loading
indicator differently (the palette's), which snapshots show: it is not the app a user runs.

``Animator._get_time`` is the animator's only clock (Textual: "handy to have in mocking
situations"); ``install`` fails loudly if a Textual upgrade removes it.
"""

from __future__ import annotations

import pytest
from textual import _time
from textual._animator import Animator

SPEEDUP = 1_000_000.0
"""How much faster than the wall clock a test app's animations run: a frame (1/60 s) is
over four hours of animation."""

if not callable(getattr(Animator, "_get_time", None)):  # (see the module's docstring)
    raise RuntimeError(
        "textual's Animator._get_time is gone: tests/animation_clock.py speeds animations "
        "up through it; see its docstring and adapt it to this Textual"
    )


def _fast_time(self: Animator) -> float:
    """The animator's clock, ``SPEEDUP`` times the wall clock's pace."""
    return _time.get_time() * SPEEDUP


def install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Animations end on their first frame for the test using ``monkeypatch``."""
    monkeypatch.setattr(Animator, "_get_time", _fast_time)
