"""A pilot's key press (and its other waits) wait for what was set going, not for 20 ms
of idle CPU.

Textual's pilot (``App._press_keys``) sends each key and then calls ``wait_for_idle(0)``
twice (before and after waiting for the animator): that sleeps 20 ms at least, and on until
20 ms pass with almost no CPU used — a guess at "the key has been handled" that sleeps
whether or not anything is left to do, and longer whenever the machine is busy. It cost the
screen tests 20 to 40 s of idle wall time per run on 2 cores.

``quick_idle`` replaces it for the tests (``install``, from tests/conftest.py) with the
state Textual itself keeps of what is still to happen. It returns once, in the same event
loop, all of these hold:

- the key has reached the app: the driver hands it over with
  ``run_coroutine_threadsafe``, a task that runs a loop iteration or two later, so an
  empty queue before that would mean nothing (``_tracking_send_message`` keeps the future
  and the wait awaits it first);
- the app and every node of its screen handle no message now (a handler may await:
  ``_counting_dispatch`` counts the dispatches under way), have an empty message queue
  and no ``call_next`` callbacks (``_next_callbacks``);
- the screen has no ``call_after_refresh`` callbacks waiting for its next refresh
  (``Screen._callbacks``: a non-immediate ``scroll_home``/``scroll_end`` goes there) and
  no layout, repaint, scroll or recompose pending, no dirty widget; no node has a layout
  or a repaint pending;
- no terminal resize waits for the app's resize timer (``pilot.resize_terminal``: the app
  passes a resize on to its screens 1/120 s later, in case another follows);
- the animator has no running or scheduled animation (``Home`` on a long thread scrolls
  with a one-second animation, started after the refresh);
- no worker is running.

If that does not hold after ``QUICK_YIELDS`` passes of the event loop and then
``REFRESH_WAIT`` seconds of short sleeps — a worker held by the test or never ending, a
one-second scroll animation, the command palette still gathering — it falls back to
Textual's own ``wait_for_idle`` on top, so a key press never waits less than before in
those cases; the pilot then waits for the animator (``wait_until_complete``) as before.
Waiting longer than Textual would is only slower: no test asserts a time. Timers (the
heartbeat, polls) are not "still to happen": Textual's wait does not wait for them either.

The pilot's other waits for idle take it too (``textual.pilot`` imports its own name):
``pilot.pause()`` with no delay, ``resize_terminal``, clicks, and the snapshot plugin's
``take_svg_screenshot``, which waited for idle four times per snapshot (the snapshot
tests slept some 90 ms less each). ``pilot.pause(DELAY)`` still sleeps ``DELAY``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any

import pytest
import textual.app
import textual.pilot
from textual._context import active_app
from textual._wait import wait_for_idle as textual_wait_for_idle
from textual.app import App
from textual.driver import Driver
from textual.message import Message
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker

QUICK_YIELDS = 20
"""Passes of the event loop (no sleep) the quick wait gives the app to become quiet first:
a key's handler and the messages it posts take a few."""

REFRESH_STEP = 0.002
REFRESH_WAIT = 0.1
"""Then the quick wait sleeps in steps of ``REFRESH_STEP`` seconds, ``REFRESH_WAIT`` at most,
for what only time brings: the screen draws its dirty widgets and runs its after-refresh
callbacks on its update timer (``1 / MAX_FPS``, 1/60 s); a database worker ends. Textual's
wait slept 20 ms at least for the same, and on while the worker's thread used CPU."""

_original_dispatch = MessagePump._dispatch_message

_SENT = "_quick_idle_sent"
"""Attribute of a driver: the future of the last message it sent to its app."""


def _tracking_send_message(self: Driver, message: Message) -> None:
    """``Driver.send_message``, keeping the future of the hand-over for ``quick_idle``."""
    loop = self._loop
    future = asyncio.run_coroutine_threadsafe(self._app._post_message(message), loop=loop)
    setattr(self, _SENT, future)


_HANDLING = "_quick_idle_handling"
"""Attribute of a message pump: how many of its messages are being handled now."""


async def _counting_dispatch(self: MessagePump, message: Message) -> bool:
    """``MessagePump._dispatch_message``, counted on the pump (``_HANDLING``) while it runs."""
    setattr(self, _HANDLING, getattr(self, _HANDLING, 0) + 1)
    try:
        return await _original_dispatch(self, message)
    finally:
        setattr(self, _HANDLING, getattr(self, _HANDLING) - 1)


def _screen_quiet(screen: Screen[Any]) -> bool:
    return not (
        screen._callbacks
        or screen._dirty_widgets
        or screen._layout_required
        or screen._repaint_required
        or screen._scroll_required
        or screen._recompose_required
    )


def _node_quiet(node: App[Any] | Widget) -> bool:
    if getattr(node, _HANDLING, 0) or not node._message_queue.empty() or node._next_callbacks:
        return False
    if isinstance(node, Widget):  # (a hidden widget's repaint: see ``_repaint_due``)
        return not (node._layout_required or _repaint_due(node))
    return True


def _repaint_due(widget: Widget) -> bool:
    """The widget has a repaint to ask its screen for. Not a hidden one: Textual drops a
    hidden widget's repaint (``Widget._check_refresh`` asks only ``if self.display``), and
    the queue's hidden search input kept its flag set between refreshes: every key on the
    queue waited its ``REFRESH_WAIT`` for it and then Textual's idle wait on top (2.8 s of
    test_queue_snapshots.py's search tests, 3 of its 14)."""
    return widget._repaint_required and bool(widget.display)


def _quiet(app: App[Any]) -> bool:
    """Nothing left that a handled key set going (see the module's docstring)."""
    if app._resize_timer is not None:  # (a resize waits 1/120 s for the next one)
        return False
    screen = app.screen
    if not _screen_quiet(screen):
        return False
    if not all(_node_quiet(node) for node in (app, *screen.walk_children(with_self=True))):
        return False
    animator = app._animator
    if animator._animations or animator._scheduled:
        return False
    held: Callable[[Worker[Any]], bool] | None = getattr(app, _HELD, None)
    return not any(
        worker.is_running and not (held is not None and held(worker)) for worker in app.workers
    )


DRAWS_AHEAD = 8
"""How many times one wait has the screen draw at once what it would draw at its update
timer's next tick (see ``_drawing_due``), before it leaves that to the timer."""


def _drawing_due(app: App[Any]) -> bool:
    """Every message handled, and the screen has a refresh to make (a layout, dirty
    widgets, after-refresh callbacks) that waits for its update timer's next tick.

    The timer ticks on a fixed grid of ``1 / MAX_FPS`` (1/60 s) from when it started: a
    key whose handling dirtied a widget waited 8 ms on average for it, doing nothing, and
    again for each refresh its after-refresh callbacks asked for. ``quick_idle`` makes
    that refresh itself, as the pilot's own ``pause`` does (``Screen._on_timer_update``):
    the same refresh, with no message between it and the key left to batch with it. The
    tick that comes after finds nothing to do."""
    if app._resize_timer is not None:
        return False
    screen = app.screen
    if _screen_quiet(screen):
        return False
    return not any(
        getattr(node, _HANDLING, 0) or not node._message_queue.empty() or node._next_callbacks
        for node in (app, *screen.walk_children(with_self=True))
    )


_HELD = "_quick_idle_held"
"""Attribute of an app: which of its workers the test holds (``hold``)."""


def hold(app: App[Any], held: Callable[[Worker[Any]], bool]) -> None:
    """Leave the workers for which ``held(worker)`` is true out of what a key press waits
    for: a test that holds a worker on purpose (a slow read it lets go later) and presses
    keys meanwhile. Each key would wait ``REFRESH_WAIT`` for a worker that cannot end, and
    then Textual's idle wait: some 0.2 s a key, for nothing the key set going. The key is
    still handled, drawn and its own workers waited for, as any other."""
    setattr(app, _HELD, held)


async def quick_idle(
    min_sleep: float = 0, max_sleep: float = 1, refresh_wait: float = REFRESH_WAIT
) -> None:
    """``wait_for_idle`` for the pilot's key presses (see the module's docstring)."""
    app = active_app.get()
    sent: concurrent.futures.Future[Any] | None = getattr(app._driver, _SENT, None)
    if sent is not None:
        await asyncio.wrap_future(sent)
    drawn = 0
    for _ in range(QUICK_YIELDS):
        await asyncio.sleep(0)
        if _quiet(app):
            return
        if drawn < DRAWS_AHEAD and _drawing_due(app):
            app.screen._on_timer_update()
            drawn += 1
    waited = 0.0
    while waited < refresh_wait:
        if drawn < DRAWS_AHEAD and _drawing_due(app):
            app.screen._on_timer_update()
            drawn += 1
            await asyncio.sleep(0)
        else:
            await asyncio.sleep(REFRESH_STEP)
            waited += REFRESH_STEP
        if _quiet(app):
            return
    await textual_wait_for_idle(min_sleep, max_sleep)


PAUSE_REFRESH_WAIT = 0.03
"""``REFRESH_WAIT`` for the pilot's other waits: two frames' time. A test app whose widget
redraws on its own (a blinking cursor) is never quiet, and there the wait falls back to
Textual's after this; a key press waits its full ``REFRESH_WAIT`` for a worker to end."""


async def quick_pause_idle(min_sleep: float = 0, max_sleep: float = 1) -> None:
    """``quick_idle`` for ``pilot.pause()``, clicks and the snapshot plugin's waits."""
    await quick_idle(min_sleep, max_sleep, refresh_wait=PAUSE_REFRESH_WAIT)


def install(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pilot's key presses wait with ``quick_idle`` for the test using ``monkeypatch``."""
    monkeypatch.setattr(Driver, "send_message", _tracking_send_message)
    monkeypatch.setattr(MessagePump, "_dispatch_message", _counting_dispatch)
    monkeypatch.setattr(textual.app, "wait_for_idle", quick_idle)
    monkeypatch.setattr(textual.pilot, "wait_for_idle", quick_pause_idle)
