"""Snapshots of the queue (seeded desk, frozen clock, fixed sizes).

Regenerate with ``pytest tests/screens/test_queue_snapshots.py --snapshot-update`` and look
at the report before committing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlmodel import select
from textual.pilot import Pilot

from helpdesk_tui.app import HelpdeskApp, make_app
from helpdesk_tui.config import Settings
from helpdesk_tui.desk import fields, presence
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.opening import DatabaseUnreachable
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.mail_settings import MailSettings, SmtpSettings
from helpdesk_tui.screens import queue as queue_screen
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Activity, Ticket
from helpdesk_tui.ui_settings import SavedView, UiSettings
from tests.clocks import local_zone
from tests.screens.conftest import FROZEN_NOW, DeskData
from tests.screens.test_queue import settle
from tests.screens.ticket_helpers import until

LONG_TICKETS = (
    # subject, requester name, priority, SLA due from now (minutes), assignee
    (
        "Quarterly invoice for the Rotterdam office was charged twice and the refund never came",
        "Maximiliane Wolkenstein-Rodenegg",
        "urgent",
        -95,
        "ada",
    ),
    (
        "Cannot log in to the customer portal after the password reset email expired",
        "",
        "high",
        130,
        None,
    ),
    (
        "Please move our whole team's mailboxes to the new server before the end of March",
        "Jean-Baptiste Emmanuel Zorg",
        "low",
        4 * 24 * 60,
        "bob",
    ),
)


@pytest.fixture
def long_desk(desk_data: DeskData) -> DeskData:
    """The seeded desk and three tickets with long subjects and names, SLA deadlines (one
    late), owners and someone on them: every column has something to show."""
    db = desk_data.db
    for minutes, (subject, name, priority, due, assignee) in enumerate(LONG_TICKETS):
        moment = FROZEN_NOW - timedelta(minutes=3 - minutes)
        with time_machine.travel(moment, tick=False), db.write() as session:
            ticket = create_ticket(
                session,
                desk_data.ada,
                subject=subject,
                body="x",
                requester_email=f"long.address.{minutes}@subsidiary.example.com",
                requester_name=name,
                priority=priority,
            )
            if assignee:
                fields.assign(session, desk_data.ada, ticket.number, agent=assignee)
        # The scene pins its deadlines after the policy's (no clock event follows).
        with db.write() as session:
            pinned = session.get(Ticket, ticket.id)
            assert pinned is not None
            pinned.response_due_at = pinned.reply_due_at = FROZEN_NOW + timedelta(minutes=due)
            pinned.sla_alert_at = None  # (no alert time of the policy's: the badge's share)
    with db.write() as session:
        numbers = session.exec(select(Ticket.number).order_by(Ticket.number.desc())).all()[:3]
        presence.heartbeat(
            session, desk_data.cy, "term-cy-2", numbers[0], Activity.REPLYING, now=FROZEN_NOW
        )
        presence.heartbeat(
            session, desk_data.bob, "term-bob-2", numbers[2], Activity.VIEWING, now=FROZEN_NOW
        )
    return desk_data


async def _all_open(pilot: Pilot[None]) -> None:
    await pilot.press("3")
    await settle(pilot)


async def _searched(pilot: Pilot[None]) -> None:
    await pilot.press("3", "s")
    await settle(pilot)
    await pilot.press("slash", *"invoice")


async def _searched_then_all_tickets(pilot: Pilot[None]) -> None:
    await pilot.press("3")
    await settle(pilot)
    await pilot.press("slash", *"invoice", "enter")
    await settle(pilot)
    await pilot.press("7")
    await settle(pilot)


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


def test_queue_search_kept_in_another_view_80x24(
    snap_compare: Any, make_test_app: Callable[..., HelpdeskApp]
) -> None:
    """Searched in All open, then 7: All tickets searched for the same words, said so."""
    app = make_test_app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=_searched_then_all_tickets)


def test_queue_follow_ups_80x24(
    snap_compare: Any, make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """The start's notice of a rating to follow up: one line, on the header, not a toast over
    six rows of the queue (its list, d Done in the footer: ``test_queue``)."""
    Desk(desk_data.db, desk_data.ada).satisfaction_rate(
        desk_data.numbers["thanks"], 1, comment="still broken"
    )

    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, HelpdeskApp)
        await settle(pilot)
        await until(pilot, lambda: "to follow up" in str(app.queue.sub_title))
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)


def test_key_help_80x24(snap_compare: Any, make_test_app: Callable[..., HelpdeskApp]) -> None:
    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=_help)


def test_queue_long_80x24(
    snap_compare: Any, make_test_app: Callable[..., HelpdeskApp], long_desk: DeskData
) -> None:
    """Subject keeps 40 cells; first name, short status, priority mark, owner with who is
    on it, and an SLA badge ("late" in the error colour) stay in sight."""
    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=_all_open)


def test_queue_long_120x40(
    snap_compare: Any, make_test_app: Callable[..., HelpdeskApp], long_desk: DeskData
) -> None:
    assert snap_compare(make_test_app(), terminal_size=(120, 40), run_before=_all_open)


SAVED_VIEWS = {
    "by-deadline": SavedView(
        title="Everything open, nearest deadline first", open_only=True, sort="sla"
    ),
    "billing": SavedView(title="Billing backlog", team="Billing"),
    "hardware": SavedView(title="Hardware with the Support team", tag="hardware"),
}
"""Three saved views after the seven built-in ones: keys 8, 9 and 0; none fits the bar."""


def _with_saved_views(desk: DeskData) -> Settings:
    return Settings(database_url=desk.db.url, ui=UiSettings(views=SAVED_VIEWS))


async def _saved_view(pilot: Pilot[None]) -> None:
    await pilot.press("8")
    await settle(pilot)


def test_queue_saved_views_80x24(
    snap_compare: Any, make_test_app: Callable[..., HelpdeskApp], long_desk: DeskData
) -> None:
    """Saved view 8 is on: the view bar scrolls to it (its title and its neighbours' shown,
    the far views by key); long subjects, long names and every compact column."""
    app = make_test_app(settings=_with_saved_views(long_desk))
    assert snap_compare(app, terminal_size=(80, 24), run_before=_saved_view)


def test_queue_saved_views_120x40(
    snap_compare: Any, make_test_app: Callable[..., HelpdeskApp], long_desk: DeskData
) -> None:
    app = make_test_app(settings=_with_saved_views(long_desk))
    assert snap_compare(app, terminal_size=(120, 40), run_before=_saved_view)


MANY_VIEWS = {f"team-{n}": SavedView(title=f"Team {n}", open_only=True) for n in range(1, 24)}
"""Thirty views in all: their keys alone do not fit 80 columns."""


def test_queue_thirty_views_80x24(
    snap_compare: Any, make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """V from the first view reaches the thirtieth: the bar shows it, titled, with the views
    before it by key and "…" for the rest (the status line names it too)."""
    settings = Settings(database_url=desk_data.db.url, ui=UiSettings(views=MANY_VIEWS))

    async def last_view(pilot: Pilot[None]) -> None:
        await pilot.press("V")
        await settle(pilot)

    assert snap_compare(
        make_test_app(settings=settings), terminal_size=(80, 24), run_before=last_view
    )


def test_queue_long_search_80x24(
    snap_compare: Any, make_test_app: Callable[..., HelpdeskApp]
) -> None:
    """The status line holds the view, the words searched and the order: longer than 80
    columns, it ends in "…" (it was wrapped and its second line hidden, with no sign)."""

    async def searched(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("7", "slash", *"printer on fire in the third floor copy room again")
        await pilot.press("enter")
        await settle(pilot)
        status = str(pilot.app.screen.query_one("#queue-status").render())
        assert status.endswith("best matches first")

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=searched)


@pytest.fixture
def utc_local_time() -> Iterator[None]:
    """Local time is UTC (a time of day on screen is drawn the same on every machine)."""
    with local_zone("UTC"):
        yield


def test_queue_outage_80x24(
    snap_compare: Any,
    make_test_app: Callable[..., HelpdeskApp],
    monkeypatch: pytest.MonkeyPatch,
    utc_local_time: None,
) -> None:
    """The desk stopped answering at 09:30 (PostgreSQL stopped): the status line says so at
    its end, in bold, until a read works again; the rows are the last ones read."""
    monkeypatch.setattr(queue_screen, "RETRY_SECONDS", 3600.0)  # (one failure, no retry)
    # (its watcher looks every 10 ms: its first look comes before the desk goes away, as on
    # a loaded machine; the outage must show all the same)
    monkeypatch.setattr(queue_screen, "REFRESH_SECONDS", 0.01)

    async def away(pilot: Pilot[None]) -> None:
        await _all_open(pilot)

        def unreachable(*_args: Any, **_kwargs: Any) -> Any:
            raise DatabaseUnreachable("database error at the desk: connection refused")

        monkeypatch.setattr(Desk, "list_changes", unreachable)
        # The watcher's first look finds the desk "moved" (nothing to compare with) and has
        # the screen check; on a slow machine it came before the patch, and its later looks
        # found nothing new: no check, no outage, a 120 s wait. Armed "again" (as the screen
        # arms it after a check it had to put off), it has the screen check at its next look.
        watch = pilot.app.queue._watch
        assert watch is not None
        watch.arm(again=True)
        await until(pilot, lambda: "not answering" in _status(pilot))
        # Every failed read's notice posted first: a second look of the watcher could fail
        # as the first did, and its notice came after the clearing (a -n 2 run under load:
        # the picture had a "Could not load" notice).
        await settle(pilot)
        pilot.app.clear_notifications()  # (the notice goes by itself after a few seconds)
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=away)


def _status(pilot: Pilot[None]) -> str:
    return str(pilot.app.screen.query_one("#queue-status").render())


def test_new_desk_mail_refused_80x24(
    snap_compare: Any,
    screen_db: Database,
    frozen_clock: Callable[[], datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A desk with no tickets whose mail is set up but refused: the problem and its fix."""
    with screen_db.write() as s:
        agent = add_agent(s, None, "root", role="admin")
        root = Actor(name=agent.login, agent_id=agent.id, role=agent.role)
    monkeypatch.setattr(Desk, "location", property(lambda self: "/srv/helpdesk/desk.db"))
    mail = MailSettings(smtp=SmtpSettings(host="smtp.example.com"), addresses=["help@ex.com"])
    settings = Settings(database_url=screen_db.url, mail=mail)
    app = make_app(settings, screen_db, root, clock=frozen_clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)
