"""The queue's marks at 80x24: space marks a row, the field keys change every marked ticket
(one confirmation, the desk's writer for each), one line says what became of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Static

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk import fields
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.macros import MacroSpec
from helpdesk_tui.screens.canned_picker import MacroPickScreen
from helpdesk_tui.screens.confirm import ChoiceScreen
from helpdesk_tui.screens.pickers import PickScreen
from helpdesk_tui.storage.models import Outbox
from tests.screens.conftest import DeskData
from tests.screens.test_queue import settle, shown
from tests.screens.ticket_helpers import notifications, until


def _status_line(app: HelpdeskApp) -> str:
    return str(app.queue.query_one("#queue-status", Static).render())


async def test_marked_tickets_change_together_a_refused_one_stays_marked(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")  # All open
        await settle(pilot)
        first, moved, third = shown(app)[:3]
        await pilot.press("space", "space", "space")
        assert app.queue.marked == [first, moved, third]
        assert app.queue.table.marked == {first, moved, third}
        assert "3 marked" in _status_line(app)
        app.queue.refresh_now()  # a live refresh keeps the marks
        await settle(pilot)
        assert app.queue.marked == [first, moved, third]

        await pilot.press("p")  # the ticket screen's key: priority of all marked
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press(*"urgent", "enter")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert "3 marked tickets" in str(app.screen.query_one("#question", Static).render())
        with desk_data.db.write() as s:  # bob, on one of them, while ada reads the question
            fields.set_priority(s, desk_data.bob, moved, "low")
        await pilot.press("y")
        summary = f"2 changed; 1 not: #{moved} changed meanwhile"
        await until(pilot, lambda: summary in notifications(app))
        await settle(pilot)

        assert app.queue.marked == [moved]  # kept for ada to look at
        assert "1 marked" in _status_line(app)
        desk = Desk(desk_data.db, desk_data.ada)
        assert desk.ticket_row(moved).priority == "low"  # bob's change stands
        for number in (first, third):
            assert desk.ticket_row(number).priority == "urgent"
            assert desk.ticket_open(number).history[-1].text.startswith("ada: priority ")
        await pilot.press("asterisk")  # * clears the marks; again, marks every row shown
        assert app.queue.marked == [] and "marked" not in _status_line(app)
        await pilot.press("asterisk")
        assert app.queue.marked == shown(app)


async def _marked(pilot: Pilot[None]) -> None:
    await pilot.press("3")
    await settle(pilot)
    await pilot.press("space", "j", "space", "space", "k")  # the 1st, 3rd and 4th; on the 4th
    await settle(pilot)


def test_queue_marked_80x24(snap_compare: Any, make_test_app: Callable[..., HelpdeskApp]) -> None:
    """Marked rows underlined on their own background, the cursor's underlined; the status line
    counts them; s Status and a Assign lead the footer."""
    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=_marked)


async def test_a_macro_on_marked_tickets_changes_fields_a_reply_macro_is_refused(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """ctrl+g with marks, as on the ticket: a macro of fields alone changes every marked
    ticket after one question; one that writes a reply is refused in one line, nothing sent."""
    desk = Desk(desk_data.db, desk_data.ada)
    desk.macro_save(MacroSpec(name="Ask for logs", body="Please send the logs."))
    desk.macro_save(MacroSpec(name="Escalated", priority="urgent", tags_add=("esc",)))
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        first, second = shown(app)[:2]
        await pilot.press("space", "space")

        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, MacroPickScreen))
        await pilot.press(*"ask for", "enter")
        refusal = "Macro Ask for logs writes a reply: apply it on one ticket at a time"
        await until(pilot, lambda: refusal in notifications(app))
        assert app.queue.marked == [first, second]
        with desk_data.db.read() as s:
            assert not s.exec(select(Outbox)).all()
        assert all(desk.ticket_row(n).priority != "urgent" for n in (first, second))

        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, MacroPickScreen))
        await pilot.press(*"escalated", "enter")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        asked = str(app.screen.query_one("#question", Static).render())
        assert "Apply macro Escalated to 2 marked tickets?" in asked
        await pilot.press("y")
        await until(pilot, lambda: "2 changed" in notifications(app))
        await settle(pilot)
        assert app.queue.marked == []
        for number in (first, second):
            assert desk.ticket_row(number).priority == "urgent"
            assert "esc" in desk.ticket_open(number).tags
        with desk_data.db.read() as s:
            assert not s.exec(select(Outbox)).all()
