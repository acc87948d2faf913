"""Collision awareness: who is on a ticket, warnings before replying, news before sending."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import time_machine

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk import fields, presence, thread
from helpdesk_tui.desk.actors import MAIL
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.screens import queue as queue_screen
from helpdesk_tui.screens import ticket as ticket_screen
from helpdesk_tui.screens.composer import ComposerScreen
from helpdesk_tui.screens.confirm import ChoiceScreen
from helpdesk_tui.screens.pickers import PickScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.storage.models import Activity, utcnow
from tests.screens.conftest import FROZEN_NOW, DeskData
from tests.screens.ticket_helpers import notifications, open_ticket, screen_lines, settle, until

AppFactory = Callable[..., HelpdeskApp]


def _question(app: HelpdeskApp) -> str:
    screen = app.screen
    assert isinstance(screen, ChoiceScreen), screen
    return screen.question.plain


def _my_marker(app: HelpdeskApp, desk: DeskData, number: int) -> Activity | None:
    with desk.db.read() as s:
        entries = presence.on_tickets(s, [number], now=app.clock()).get(number, [])
    mine = [e.activity for e in entries if e.session_id == app.session_id]
    return mine[0] if mine else None


async def test_reply_while_another_agent_replies_warns_naming_them_in_the_desks_words(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One app run: ``r`` where another agent replies warns, naming them (Escape: no
    composer; ``c``: the composer). Who is replying is worded once, by the desk
    (``presence_rows.replying_names``), as ``helpdesk ticket reply`` refuses with it: the
    question says it as the desk gives it."""
    number = desk_data.numbers["vpn"]  # cy is replying there (seeded presence)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, number)
        assert "Cy Cashier is replying" in "\n".join(screen_lines(app))
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert _question(app).startswith(f"Cy Cashier (cy) is replying to #{number} right now")
        await pilot.press("escape")  # cancel: no composer
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("c")  # continue anyway
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await pilot.press("escape")  # (empty: closes without asking)
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))
        # The question in the desk's words.
        said: list[list[str]] = []

        def names(replying: list[presence.OnTicket]) -> str:
            said.append([entry.login for entry in replying])
            return "Cy the desk's words"

        monkeypatch.setattr(ticket_screen, "replying_names", names)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert _question(app).startswith(f"Cy the desk's words is replying to #{number}")
        assert said == [["cy"]], "the desk's words"


@pytest.mark.usefixtures("markers_waited_for")
def test_an_app_that_ends_without_quitting_leaves_no_markers(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    number = desk_data.numbers["printer"]
    app = make_test_app()

    async def run() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await open_ticket(pilot, number)
            await until(pilot, lambda: _my_marker(app, desk_data, number) is not None)

    asyncio.run(run())
    with desk_data.db.read() as s:
        on = presence.on_tickets(s, [number], now=FROZEN_NOW).get(number, [])
    assert [e for e in on if e.session_id == app.session_id] == []


async def test_presence_markers_are_at_the_apps_clock_and_follow_the_screen(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """One app run: this terminal's marker is at the app's clock; it follows the screen
    (viewing, replying, viewing, gone at the queue)."""
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, number)
        with desk_data.db.read() as s:
            entries = presence.on_tickets(s, [number], now=FROZEN_NOW)
        mine = [e for e in entries[number] if e.login == "ada"]
        assert mine and mine[0].since == FROZEN_NOW, "at the app's clock"
        assert _my_marker(app, desk_data, number) == Activity.VIEWING
        await pilot.press("n")
        await until(pilot, lambda: _my_marker(app, desk_data, number) == Activity.REPLYING)
        await pilot.press("escape")
        await until(pilot, lambda: _my_marker(app, desk_data, number) == Activity.VIEWING)
        await pilot.press("escape")  # back to the queue: the marker goes at once
        await until(pilot, lambda: _my_marker(app, desk_data, number) is None)


async def test_my_other_terminal_is_no_collision_and_news_before_sending_needs_a_key(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """One app run: a terminal of mine that died in the composer does not warn me about
    myself (``r`` opens the composer at once); news that arrived while writing needs a
    confirmation key before the reply goes."""
    number = desk_data.numbers["printer"]
    with desk_data.db.write() as s:
        presence.heartbeat(
            s, desk_data.ada, "ada-old-terminal", number, Activity.REPLYING, now=FROZEN_NOW
        )
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, number)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await pilot.press(*"Try a restart")
        # (at the app's clock, as the reply will be: the thread is in the order of time)
        with time_machine.travel(FROZEN_NOW, tick=False), desk_data.db.write() as s:
            thread.add_customer_message(s, MAIL, number, body="It is out now!\nThanks")
            fields.set_status(s, desk_data.bob, number, "waiting")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        shown = "\n".join(screen_lines(app))
        assert "2 new things arrived" in shown
        assert "Ann Archer · customer message" in shown and "It is out now!" in shown
        assert "bob · status open → waiting" in shown
        await pilot.press("enter")  # not a confirmation
        await pilot.press("escape")  # back to writing; nothing sent
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        with desk_data.db.read() as s:
            assert [m.kind for m in ticket_detail(s, number).messages].count("reply") == 0
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("y")  # send anyway, against what was just shown
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))
    with desk_data.db.read() as s:
        last = ticket_detail(s, number).messages[-1]
    assert (last.kind, last.body) == ("reply", "Try a restart")


async def test_two_terminals_on_one_database(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """A opens #7 and starts a reply; B sees it within 2 s in the queue and the ticket
    header; B's reply attempt warns naming A; A's status change from a stale version after
    B's change is refused naming B.

    "Within 2 s" holds by the screens' cadence — the queue asks every REFRESH_SECONDS, the
    ticket beats every BEAT_SECONDS, each showing what the previous tick wrote — so it is
    checked on those constants; the waits below only guard against a hang (a shared
    machine may be slow, and a timed assert would fail there for nothing).
    """
    assert queue_screen.REFRESH_SECONDS <= 1.0 and ticket_screen.BEAT_SECONDS <= 2.0
    number = 7
    assert desk_data.numbers["bidi"] == number
    app_a = make_test_app(actor=desk_data.ada, clock=utcnow)
    app_b = make_test_app(actor=desk_data.bob, clock=utcnow)
    async with app_a.run_test(size=(120, 40)) as a, app_b.run_test(size=(120, 40)) as b:
        await settle(b)
        await b.press("2")  # the "Unassigned" view: #7 is there
        await until(b, lambda: number in app_b.queue.table.numbers)

        await open_ticket(a, number)
        await a.press("r")
        await until(a, lambda: isinstance(app_a.screen, ComposerScreen))

        def queue_row_shows_ada() -> bool:
            rows = [line for line in screen_lines(app_b) if f"#{number} " in line]
            return len(rows) == 1 and "✎ada" in rows[0]

        await until(b, queue_row_shows_ada)
        await a.press(*"Hello from Ada")

        screen_b = await open_ticket(b, number)
        await until(b, lambda: "Ada Admin is replying" in "\n".join(screen_lines(app_b)))
        await b.press("r")
        await until(b, lambda: isinstance(app_b.screen, ChoiceScreen))
        assert _question(app_b).startswith(f"Ada Admin (ada) is replying to #{number}")
        await b.press("escape")

        await a.press("escape", "k")  # A keeps the draft and goes back to the ticket
        await until(a, lambda: isinstance(app_a.screen, TicketScreen))
        # B, still on the ticket, sees A only viewing now.
        await until(b, lambda: "Ada Admin is viewing" in "\n".join(screen_lines(app_b)))
        await a.press("s")  # A decides from what A sees…
        await until(a, lambda: isinstance(app_a.screen, PickScreen))
        await settle(b)
        await b.press("p", *"urgent", "enter")  # …while B changes the ticket
        await until(b, lambda: screen_b.view is not None and screen_b.view.row.priority == "urgent")
        await a.press(*"hold", "enter")
        await until(a, lambda: any("changed by bob" in n for n in notifications(app_a)))
        refused = next(n for n in notifications(app_a) if "changed by bob" in n)
        assert "priority normal → urgent" in refused and "nothing was saved" in refused
    with desk_data.db.read() as s:
        assert ticket_detail(s, number).row.status == "new"
