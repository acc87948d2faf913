"""Fixed scenes for the ticket, composer and collision snapshots (frozen clock, fixed data)."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from textual.pilot import Pilot
from textual.widgets import TextArea

from helpdesk_tui.desk import thread
from helpdesk_tui.desk.actors import MAIL
from helpdesk_tui.desk.tickets import EmailMeta, NewAttachment
from tests.screens.conftest import FROZEN_NOW, DeskData
from tests.screens.ticket_helpers import open_ticket, settle, until


def busy_thread(desk: DeskData) -> int:
    """The printer ticket with every kind of entry, an attachment and quoted history."""
    number = desk.numbers["printer"]
    steps = [
        (240, lambda s: thread.reply(s, desk.ada, number, body="On our way with an extinguisher.")),
        (200, lambda s: thread.add_note(s, desk.bob, number, body="Facilities informed.")),
        (
            120,
            lambda s: thread.add_customer_message(
                s,
                MAIL,
                number,
                body="It is out, thanks!\n\nOn Mon, Ada wrote:\n> On our way\n> with help.",
                email=EmailMeta(attachments=(NewAttachment("photo.jpg", b"x" * 2048),)),
            ),
        ),
        (60, lambda s: thread.log_call(s, desk.bob, number, body="Ann called: all fine now.")),
    ]
    for minutes, step in steps:
        moment = time_machine.travel(FROZEN_NOW - timedelta(minutes=minutes), tick=False)
        with moment, desk.db.write() as session:
            step(session)
    return number


async def show_ticket(pilot: Pilot[None], number: int) -> None:
    from helpdesk_tui.widgets.thread import Thread

    screen = await open_ticket(pilot, number)
    await settle(pilot)
    # The thread opens at its end. A header that wraps once the thread's scrollbar takes its
    # two columns (a reply's To on a line of its own) makes it a line taller a refresh later,
    # and the thread follows (``Thread.on_resize``): the picture waits for that (taken one
    # refresh early, it showed the thread a line short of its end, now and then).
    thread_view = screen.query_one(Thread)
    await until(pilot, lambda: thread_view.scroll_y >= thread_view.max_scroll_y)
    await settle(pilot)


async def start_reply(pilot: Pilot[None], number: int, text: str, key: str = "r") -> None:
    from helpdesk_tui.screens.composer import ComposerScreen

    await show_ticket(pilot, number)
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, ComposerScreen))
    area = pilot.app.screen.query_one(TextArea)
    area.cursor_blink = False  # a blinking cursor would make the picture depend on timing
    area.insert(text)
    await settle(pilot)
