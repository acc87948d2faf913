"""Snapshots of the SLA badges: deadlines from the built-in policy, frozen clock, 80x24.

At FROZEN_NOW (Friday 09:30 UTC; business hours Mon-Fri 09:00-17:00 UTC) the three tickets
below are overdue, nearly due (warning colour) and fine (ok colour), from their history; a
fourth, answered, waits for a next response, which its badge shows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from textual.pilot import Pilot

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk import thread
from helpdesk_tui.desk.tickets import create_ticket
from tests.screens.conftest import DeskData
from tests.screens.snapshot_setup import show_ticket
from tests.screens.test_queue import settle

CLOCKS = (
    # subject, priority, created (UTC); first response due: urgent 1h, normal 8h business
    ("Payroll run failed", "urgent", datetime(2025, 3, 13, 15, 0, tzinfo=UTC)),  # due Thu 16:00
    ("VPN drops every hour", "urgent", datetime(2025, 3, 13, 16, 40, tzinfo=UTC)),  # Fri 09:40
    ("New starter needs a laptop", "normal", datetime(2025, 3, 14, 9, 20, tzinfo=UTC)),
)
FOLLOW_UP = (
    # Answered on Tuesday; the customer wrote again on Friday at 09:00: the next response
    # (8h, due Fri 17:00) comes before the resolution (40h, due Mon 17:00) and leads.
    ("Printer jams again", datetime(2025, 3, 11, 9, 0, tzinfo=UTC)),
    datetime(2025, 3, 11, 10, 0, tzinfo=UTC),
    datetime(2025, 3, 14, 9, 0, tzinfo=UTC),
)


@pytest.fixture
def sla_desk(desk_data: DeskData) -> dict[str, int]:
    made = {}
    for subject, priority, created in CLOCKS:
        with time_machine.travel(created, tick=False), desk_data.db.write() as session:
            ticket = create_ticket(
                session,
                desk_data.ada,
                subject=subject,
                body="x",
                requester_email="kim@example.com",
                requester_name="Kim",
                priority=priority,
            )
            made[subject] = ticket.number
    (subject, created), replied, again = FOLLOW_UP
    with time_machine.travel(created, tick=False), desk_data.db.write() as session:
        made[subject] = create_ticket(
            session, desk_data.ada, subject=subject, body="x", requester_email="lee@example.com",
            requester_name="Lee",
        ).number  # fmt: skip
    with time_machine.travel(replied, tick=False), desk_data.db.write() as session:
        thread.reply(session, desk_data.ada, made[subject], body="Try the other tray")
    with time_machine.travel(again, tick=False), desk_data.db.write() as session:
        thread.add_customer_message(session, desk_data.ada, made[subject], body="Still jams")
    return made


def test_queue_sla_badges_80x24(
    snap_compare: Any, make_test_app: Callable[..., HelpdeskApp], sla_desk: dict[str, int]
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)


def test_ticket_sla_warning_80x24(
    snap_compare: Any, make_test_app: Callable[..., HelpdeskApp], sla_desk: dict[str, int]
) -> None:
    number = sla_desk["VPN drops every hour"]

    async def run_before(pilot: Pilot[None]) -> None:
        await show_ticket(pilot, number)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)


async def test_the_queue_notifies_an_sla_breach_the_poller_recorded(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    from helpdesk_tui.desk import sla_alerts
    from tests.screens.conftest import FROZEN_NOW
    from tests.screens.test_queue import wait_for

    created, subject, priority = CLOCKS[0][2], CLOCKS[0][0], "urgent"
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        with time_machine.travel(created, tick=False), desk_data.db.write() as session:
            create_ticket(session, desk_data.ada, subject=subject, body="x", priority=priority)
        await settle(pilot)
        sla_alerts.check(desk_data.db, FROZEN_NOW)  # what the alert lease holder does
        await wait_for(
            pilot,
            lambda: any("first response breached" in n.message for n in app._notifications),
            5,
        )
        titles = sorted(n.title for n in app._notifications if "SLA" in n.title)
        assert titles == ["SLA breached"]  # the first response; the resolution has hours left
        # Three breaching in one pass are one notification, not three.
        with time_machine.travel(created, tick=False), desk_data.db.write() as session:
            burst = [
                create_ticket(session, desk_data.ada, subject=f"{subject} {n}", body="x",
                              priority=priority).number
                for n in range(3)
            ]  # fmt: skip
        await settle(pilot)
        sla_alerts.check(desk_data.db, FROZEN_NOW)
        grouped = f"3 tickets breached: #{burst[2]}, #{burst[1]}, #{burst[0]}"
        await wait_for(pilot, lambda: any(n.message == grouped for n in app._notifications), 5)
        assert sorted(n.title for n in app._notifications if "SLA" in n.title) == [
            "SLA breached",
            "SLA breached",
        ]
        # Alerts were not running since Tuesday: what breached meanwhile is one line.
        tuesday = datetime(2025, 3, 11, 10, 0, tzinfo=UTC)
        with time_machine.travel(tuesday, tick=False), desk_data.db.write() as session:
            create_ticket(session, desk_data.ada, subject="Old", body="x", priority=priority)
        sla_alerts.check(desk_data.db, FROZEN_NOW)
        summary = "1 ticket breached while SLA alerts were not running (since 2025-03-11 11:00 UTC)"
        await wait_for(pilot, lambda: any(n.message == summary for n in app._notifications), 5)
        assert [n.title for n in app._notifications if n.message == summary] == ["SLA breached"]


def test_ticket_sla_overnight_80x24(
    snap_compare: Any, make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """A normal ticket from Thursday 15:00 at Friday 09:30: 2.5 of its 8 business hours used
    (due Friday 15:00), so "Reply by" reads fine, as the queue's badge and the alerts say;
    it showed nearly due, 77% of the wall time gone."""
    created = datetime(2025, 3, 13, 15, 0, tzinfo=UTC)
    with time_machine.travel(created, tick=False), desk_data.db.write() as session:
        number = create_ticket(
            session, desk_data.ada, subject="Shared drive is read-only", body="x",
            requester_email="kim@example.com", requester_name="Kim",
        ).number  # fmt: skip

    async def run_before(pilot: Pilot[None]) -> None:
        await show_ticket(pilot, number)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)
