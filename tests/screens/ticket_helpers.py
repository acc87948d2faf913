"""Helpers for the ticket, composer and collision screen tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.pilot import Pilot

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.messages import OpenTicket
from helpdesk_tui.screens.ticket import TicketScreen


async def settle(pilot: Pilot[None]) -> None:
    """Let pending messages and database workers finish (the heartbeat timer keeps going)."""
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


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


async def until(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 10.0) -> float:
    """Wait until ``condition`` holds; returns the seconds it took (fails after ``timeout``)."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not true within {timeout} s")
        await asyncio.sleep(0.02)
        await pilot.pause()
    return time.monotonic() - start


def notifications(app: HelpdeskApp) -> list[str]:
    return [n.message for n in app._notifications]


def screen_lines(app: HelpdeskApp) -> list[str]:
    """Exactly the characters the terminal is sent for the screen, line by line."""
    return [strip.text for strip in app.screen._compositor.render_strips()]
