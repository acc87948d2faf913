"""A subject and a requester's name as long as the desk takes, with escapes, bidi controls,
wide characters and emoji, at 80x24: each gets a few lines, never the screen.

Before, the ticket's 500-character subject took six of the 24 lines above the thread, a
10,000-character name pushed the panel's fields hundreds of lines down, and a palette hit
took six of the palette's lines.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from textual.command import CommandInput
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.screens.pickers import TicketPickScreen
from helpdesk_tui.widgets.side_panel import VALUE_LINES
from helpdesk_tui.widgets.ticket_header import TITLE_LINES
from tests.screens.conftest import FROZEN_NOW, DeskData
from tests.screens.snapshot_setup import show_ticket, start_reply
from tests.screens.test_palette import open_palette, type_query
from tests.screens.ticket_helpers import screen_lines, settle, until

HOSTILE = "\x1b[31mred\x1b[0m \x1b]8;;http://evil.example/\x07link\x1b]8;;\x07 \u202etxt.exe\u202c"
SUBJECT = f"Zebra printer {HOSTILE} 漢字テスト 😀 " + "spool " * 200
NAME = f"Mallory {HOSTILE} 山田太郎 🎉 " + "Y" * 10_000


def _long_tickets(desk: DeskData) -> int:
    """Two tickets of one requester with the long name, both with the long subject: the
    second lists the first among "Their other tickets"."""
    numbers = []
    for minutes_ago in (20, 10):
        at = FROZEN_NOW - timedelta(minutes=minutes_ago)
        with time_machine.travel(at, tick=False), desk.db.write() as session:
            ticket = create_ticket(
                session,
                desk.ada,
                subject=SUBJECT,
                body="Please help.",
                requester_email="mallory@evil.example",
                requester_name=NAME,
            )
            numbers.append(ticket.number)
    return numbers[-1]


def test_a_ticket_with_a_long_subject_and_name_at_80x24(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    number = _long_tickets(desk_data)

    async def run_before(pilot: Pilot[None]) -> None:
        await show_ticket(pilot, number)
        lines = screen_lines(pilot.app)
        title = [line for line in lines[1:6] if "spool" in line]
        assert len(title) == TITLE_LINES and title[-1].rstrip().endswith("…")
        names = [line for line in lines if "YYYY" in line]
        assert len(names) <= VALUE_LINES and any("Status" in line for line in lines)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("query", ["zebra", "#"], ids=["words", "number"])
def test_a_long_subject_is_one_line_of_the_palette_at_80x24(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    query: str,
) -> None:
    number = _long_tickets(desk_data)
    typed = query if query != "#" else f"#{number}"

    async def run_before(pilot: Pilot[None]) -> None:
        await open_palette(pilot)
        pilot.app.screen.query_one(CommandInput).cursor_blink = False  # (a still picture)
        await type_query(pilot, typed, "Zebra printer")
        await settle(pilot)
        hits = [line for line in screen_lines(pilot.app) if "Zebra printer" in line]
        assert hits and all("spool" in hit and hit.rstrip().endswith("…") for hit in hits)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)


def test_the_composer_of_a_ticket_with_a_long_subject_at_80x24(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    """The composer's title is one line: the text keeps its room (it had three lines)."""
    number = _long_tickets(desk_data)

    async def run_before(pilot: Pilot[None]) -> None:
        await start_reply(pilot, number, "Hello Mallory,")
        titles = [line for line in screen_lines(pilot.app) if "Reply to the customer" in line]
        assert len(titles) == 1 and titles[0].rstrip().endswith("…")

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)


def test_a_long_subject_in_the_merge_picker_at_80x24(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    """Merging: each ticket's subject takes about two lines, its requester stays in sight
    (it took ten lines of the picker)."""
    number = _long_tickets(desk_data)

    async def run_before(pilot: Pilot[None]) -> None:
        await show_ticket(pilot, desk_data.numbers["printer"])
        await pilot.press("M", *"zebra")
        app = pilot.app

        def listed() -> bool:
            screen = app.screen
            return (
                isinstance(screen, TicketPickScreen)
                and screen.query_one(OptionList).option_count == 2
            )

        await until(pilot, listed)
        app.screen.query_one(Input).cursor_blink = False  # (a still picture)
        await settle(pilot)
        lines = screen_lines(app)
        assert sum("mallory@evil.example" in line for line in lines) == 2
        assert any(f"#{number} new Zebra" in line for line in lines)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)
