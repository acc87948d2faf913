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
from helpdesk_tui.screens.queue_marks import BULK_KEYS, drafts_line
from helpdesk_tui.storage.models import Outbox
from tests.draft_places import load_draft, save_draft
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


async def test_esc_clears_the_marks_first_then_the_search(
    make_test_app: Callable[..., HelpdeskApp],
) -> None:
    """With marks, Esc clears them in one line and leaves the search; without, Esc clears the
    search as before. The status line says what s and Esc do while there are marks."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("slash", *"printer", "enter")
        await settle(pilot)
        await pilot.press("space")
        assert len(app.queue.marked) == 1
        assert "1 marked (s: their status, esc clears)" in _status_line(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.queue.marked == []
        assert "Marks cleared (1)" in notifications(app)
        assert app.queue.query_spec.text == "printer"  # (the search stays)
        await pilot.press("escape")
        await settle(pilot)
        assert app.queue.query_spec.text == ""


async def _mark_first(pilot: Pilot[None], app: HelpdeskApp, count: int) -> list[int]:
    """All open's first ``count`` rows marked; their numbers."""
    await pilot.press("3")
    await settle(pilot)
    await pilot.press(*["space"] * count)
    return shown(app)[:count]


async def test_closing_marked_tickets_names_the_drafts_that_stay(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """As one ticket's close says its drafts are kept, the marked tickets' does, by ticket."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        first, _, third = await _mark_first(pilot, app, 3)
        save_draft(desk_data.db, first, "reply", "Dear Ann, the printer")
        save_draft(desk_data.db, third, "reply", "Hello")
        save_draft(desk_data.db, third, "note", "Asked IT")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press(*"closed", "enter")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        asked = str(app.screen.query_one("#question", Static).render())
        assert asked.startswith("Set the status of 3 marked tickets to closed?")
        assert asked.endswith(
            f"#{first} has a reply draft of yours; #{third} has reply and note drafts of "
            "yours; they stay (ctrl+p, Drafts)."
        )
        await pilot.press("y")
        await until(pilot, lambda: "3 changed" in notifications(app))
        assert load_draft(desk_data.db, first, "reply") == "Dear Ann, the printer"


def test_drafts_line() -> None:
    assert drafts_line({12: ["reply"], 40: ["reply"]}) == (
        "#12 and #40 have a reply draft of yours; they stay (ctrl+p, Drafts)."
    )
    assert drafts_line({7: ["note"]}) == "#7 has a note draft of yours; it stays (ctrl+p, Drafts)."
    assert drafts_line({n: ["reply"] for n in range(1, 6)}).startswith(
        "#1, #2, #3 and 2 more have a reply draft"
    )


async def _macro_asked(pilot: Pilot[None], app: HelpdeskApp, name: str) -> None:
    await pilot.press("ctrl+g")
    await until(pilot, lambda: isinstance(app.screen, MacroPickScreen))
    await pilot.press(*name, "enter")
    await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))


async def test_a_macro_changed_or_deleted_after_the_question_is_said_in_the_summary(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """The desk applies the macro the agent was asked about: one edited or deleted while the
    question was read is one summary line, nothing applied, the marks kept (never a failed
    worker's notice)."""
    desk = Desk(desk_data.db, desk_data.ada)
    seen = desk.macro_save(MacroSpec(name="Escalated", priority="urgent"))
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        marked = await _mark_first(pilot, app, 2)

        await _macro_asked(pilot, app, "escalated")
        desk.macro_save(MacroSpec(name="Escalated", priority="low"), macro_id=seen.id)
        await pilot.press("y")
        changed = "Macro Escalated changed meanwhile: nothing applied"
        await until(pilot, lambda: changed in notifications(app))
        await settle(pilot)
        assert app.queue.marked == marked
        assert all(desk.ticket_row(n).priority not in ("urgent", "low") for n in marked)

        await _macro_asked(pilot, app, "escalated")
        desk.macro_delete("Escalated")
        await pilot.press("y")
        deleted = "Macro Escalated was deleted meanwhile: nothing applied"
        await until(pilot, lambda: deleted in notifications(app))
        await settle(pilot)
        assert app.queue.marked == marked
        assert not [n for n in notifications(app) if "failed" in n.casefold()]


async def test_a_note_macro_on_marked_tickets_writes_the_note_on_each_mails_nothing(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    desk = Desk(desk_data.db, desk_data.ada)
    desk.macro_save(
        MacroSpec(name="Known outage", body="Outage INC-7", body_kind="note", priority="high")
    )
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        marked = await _mark_first(pilot, app, 2)
        await _macro_asked(pilot, app, "known outage")
        asked = str(app.screen.query_one("#question", Static).render())
        assert "(note text, priority → high)" in asked
        await pilot.press("y")
        await until(pilot, lambda: "2 changed" in notifications(app))
        for number in marked:
            opened = desk.ticket_open(number)
            assert opened.row.priority == "high"
            assert [e.body for e in opened.entries if e.kind == "note"][-1] == "Outage INC-7"
        with desk_data.db.read() as s:
            assert not s.exec(select(Outbox)).all()


async def test_the_key_help_names_every_key_for_the_marks(
    make_test_app: Callable[..., HelpdeskApp],
) -> None:
    """From the bindings: each bulk key, as the screen has it."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        help_rows = {k.binding_id: k.description for k in app.key_help()}
        assert help_rows["queue.mark"] == (
            "Mark or unmark (then s a m T p y C t e E O ^g: all marked; esc clears)"
        )
        assert len(BULK_KEYS) == 12


def test_closing_marked_tickets_with_drafts_80x24(
    snap_compare: Any, make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """The question to close three marked tickets, naming the drafts of the agent's that stay."""
    app = make_test_app()

    async def asked(pilot: Pilot[None]) -> None:
        await _marked(pilot)
        first, fourth = shown(app)[0], shown(app)[3]
        save_draft(desk_data.db, first, "reply", "Dear Ann, the printer")
        save_draft(desk_data.db, fourth, "note", "Asked IT")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press(*"closed", "enter")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=asked)
