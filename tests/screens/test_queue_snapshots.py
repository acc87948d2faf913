"""Snapshots of the queue (seeded desk, frozen clock, fixed sizes).

Regenerate with ``pytest tests/screens/test_queue_snapshots.py --snapshot-update`` and look
at the report before committing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from helpdesk_tui.app import HelpdeskApp
from tests.screens.test_queue import settle


async def _all_open(pilot: Pilot[None]) -> None:
    await pilot.press("3")
    await settle(pilot)


async def _searched(pilot: Pilot[None]) -> None:
    await pilot.press("3", "s")
    await settle(pilot)
    await pilot.press("slash", *"invoice")


async def _help(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


def test_queue_80x24(snap_compare: Any, make_test_app: Callable[..., HelpdeskApp]) -> None:
    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=_all_open)


def test_queue_120x40(snap_compare: Any, make_test_app: Callable[..., HelpdeskApp]) -> None:
    assert snap_compare(make_test_app(), terminal_size=(120, 40), run_before=_all_open)


def test_queue_search_by_priority_80x24(
    snap_compare: Any, make_test_app: Callable[..., HelpdeskApp]
) -> None:
    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=_searched)


def test_key_help_80x24(snap_compare: Any, make_test_app: Callable[..., HelpdeskApp]) -> None:
    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=_help)
