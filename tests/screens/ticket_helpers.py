"""Helpers for the ticket, composer and collision screen tests."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

import pytest
from textual._compositor import LayoutUpdate
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import OptionList
from textual.worker import WorkerCancelled

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.messages import OpenTicket
from helpdesk_tui.screens import autosave
from helpdesk_tui.screens.canned_manager import CannedEditScreen, CannedManagerScreen
from helpdesk_tui.screens.composer import ComposerScreen
from helpdesk_tui.screens.ticket import TicketScreen
from tests.conftest import HANG_SECONDS


def hold_autosave(monkeypatch: pytest.MonkeyPatch) -> None:
    """No timed autosave: neither the save a moment after typing pauses nor the one "at
    least every ``AUTOSAVE_MAX_SECONDS`` while typing goes on", whose clock stands still
    (typing five letters took over 2 s on a loaded machine, and they were saved before the
    test's own save or quit). A test that moves the clock replaces it again."""
    monkeypatch.setattr(autosave, "AUTOSAVE_SECONDS", 3600.0)
    monkeypatch.setattr(autosave, "monotonic", lambda: 0.0)


POLL_SECONDS = 0.01
"""How often ``until`` looks again (see ``poll``)."""


async def workers_done(app: App[Any]) -> None:
    """Until every worker running now has ended. A worker cancelled by a newer one of its
    group (an exclusive reload under load) has ended too: Textual's ``wait_for_complete``
    raises ``WorkerCancelled`` for it, which made tests flaky; a worker's failure still
    raises."""
    for worker in list(app.workers):
        with contextlib.suppress(WorkerCancelled):
            await worker.wait()


async def drain(pilot: Pilot[None]) -> None:
    """Until the app and every widget of its screen have handled what was queued, then draw.

    ``pilot.pause(0)``: Pilot waits for the message queues, yields once and refreshes the
    screen. Not ``pilot.pause()``, which also waits for the process to look idle: it sleeps
    20 ms at least and on until 20 ms pass with (almost) no CPU used, so longer whenever a
    worker thread or the machine is busy — a guess at "done" that cost the screen tests
    more time than they spent working. What must be waited for is waited for by name
    (``workers_done``, ``until``). Keys typed ahead go on one at a time (``typing_ahead``):
    until none waits or is on its way."""
    await pilot.pause(0)
    typing = getattr(pilot.app, "typing_ahead", None)
    while typing is not None and not typing.idle:
        await pilot.pause(0)


async def poll(pilot: Pilot[None]) -> None:
    """Let time pass for what runs elsewhere (worker threads, servers, timers), then
    ``drain``: a message handled while the test slept may have queued more for other widgets
    (a signal posts to each subscriber), and the condition looked at next must see them."""
    await asyncio.sleep(POLL_SECONDS)
    await drain(pilot)


async def settle(pilot: Pilot[None]) -> None:
    """Let pending messages and database workers finish (the heartbeat timer keeps going)."""
    for _ in range(3):
        await drain(pilot)
        await workers_done(pilot.app)
    await drain(pilot)


async def open_ticket(pilot: Pilot[None], number: int) -> TicketScreen:
    app = pilot.app
    assert isinstance(app, HelpdeskApp)
    # A message, not a call: the screen must start in this app's own context (two apps may
    # run in one test, and a widget finds its app through a context variable).
    app.post_message(OpenTicket(number))
    await until(pilot, lambda: isinstance(app.screen, TicketScreen) and app.screen.view is not None)
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, TicketScreen)
    return screen


async def open_composer(pilot: Pilot[None], number: int) -> ComposerScreen:
    """Ticket ``number`` opened and ``r`` pressed: its reply composer."""
    await open_ticket(pilot, number)
    await pilot.press("r")
    await until(pilot, lambda: isinstance(pilot.app.screen, ComposerScreen))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ComposerScreen)
    return screen


async def until(
    pilot: Pilot[None], condition: Callable[[], bool], timeout: float = HANG_SECONDS
) -> float:
    """Wait until ``condition`` holds; returns the seconds it took (fails after ``timeout``,
    a guard against a hang, not a speed check)."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not true within {timeout} s")
        await poll(pilot)
    return time.monotonic() - start


async def open_canned_editor(
    pilot: Pilot[None], key: str = "a", listed: int | None = None
) -> CannedEditScreen:
    """The canned responses' manager opened and ``key`` pressed in it (``a``: the editor of
    a new one; ``e``: of the one selected, once the manager lists ``listed`` of them)."""
    app = pilot.app
    assert isinstance(app, HelpdeskApp)
    await settle(pilot)
    app.action_canned()
    await until(pilot, lambda: isinstance(app.screen, CannedManagerScreen))
    await settle(pilot)
    if listed is not None:
        manager = app.screen
        await until(pilot, lambda: manager.query_one(OptionList).option_count == listed)
        await settle(pilot)
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, CannedEditScreen))
    await settle(pilot)
    editor = app.screen
    assert isinstance(editor, CannedEditScreen)
    return editor


_NOTIFIED: WeakKeyDictionary[App[Any], list[str]] = WeakKeyDictionary()


def record_notifications(app: App[Any]) -> None:
    """Keep every message ``app.notify`` is given, for ``notifications(app)``.

    Through the public ``notify`` (screens and widgets call it via ``self.notify``), so a
    test sees what the agent was told even after the toast timed out on a slow machine.
    """
    told = _NOTIFIED.setdefault(app, [])
    notify = app.notify

    def recording(message: str, **options: Any) -> None:
        told.append(str(message))
        notify(message, **options)

    app.notify = recording  # type: ignore[method-assign]


def notifications(app: HelpdeskApp) -> list[str]:
    """What the app has notified so far (``record_notifications`` must have been called)."""
    assert app in _NOTIFIED, "build the app with make_test_app (it records notifications)"
    return list(_NOTIFIED[app])


def screen_lines(app: HelpdeskApp) -> list[str]:
    """The characters of the screen, line by line, as the terminal is sent them.

    The screen (and the screens it is drawn over) rendered in full, as ``export_screenshot``
    renders it for an SVG (and a snapshot test): the text of each line's segments, control
    segments (cursor moves) left out, so hostile characters in it show here. Trailing
    blanks are dropped, and a no-break space reads as a space (as the SVG writes spaces).
    It read those lines back from the SVG, each piece at its column: the same lines (both
    compared at every call of a whole run of tests/screens), at a seventh of the CPU time
    (11 ms a call at 120x40, now 1.6: the SVG's writing and parsing were most of it).
    """
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    assert isinstance(update, LayoutUpdate)
    lines = [
        "".join(segment.text for strip in line for segment in strip if not segment.control)
        for line in update.strips
    ]
    return [line.replace("\N{NO-BREAK SPACE}", " ").rstrip() for line in lines]
