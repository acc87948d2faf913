from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk_tui.desk import fields, presence
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import add_agent, ensure_team
from helpdesk_tui.desk.claims import take_next
from helpdesk_tui.desk.errors import NotFound
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Activity
from tests.conftest import HANG_SECONDS


def _new(db: Database, actor: Actor, subject: str, **kw: object) -> int:
    with db.write() as s:
        return create_ticket(s, actor, subject=subject, body="help", **kw).number


def _claim(db: Database, actor: Actor) -> int:
    with db.write() as s:
        return take_next(s, actor).number


def test_takes_the_most_urgent_unassigned_ticket_of_my_teams(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    with db.write() as s:
        ensure_team(s, "Billing")
    old_normal = _new(db, admin, "Old normal")
    urgent = _new(db, admin, "Urgent", priority="urgent")
    other_team = _new(db, admin, "Billing's urgent", priority="urgent")
    assigned = _new(db, admin, "Already Ada's", priority="urgent")
    waiting = _new(db, admin, "Parked", priority="urgent")
    with db.write() as s:
        fields.assign(s, admin, other_team, team="Billing")
        fields.assign(s, admin, assigned, agent="ada")
        fields.set_status(s, admin, waiting, "waiting")

    assert _claim(db, agent_bob) == urgent
    assert _claim(db, agent_bob) == old_normal
    with pytest.raises(NotFound, match="no unassigned ticket"):
        _claim(db, agent_bob)
    with db.read() as s:
        detail = ticket_detail(s, urgent)
    assert detail.row.assignee == "bob"
    last = detail.events[-1]
    assert (last.actor, last.field, last.new_value) == ("bob", "assignee", "bob")


def test_concurrent_claimers_never_take_the_same_ticket(db: Database, admin: Actor) -> None:
    agents = []
    with db.write() as s:
        for i in range(6):
            agent = add_agent(s, admin, f"agent{i}", teams=["Support"])
            agents.append(Actor(name=agent.login, agent_id=agent.id))
    numbers = [_new(db, admin, f"Ticket {i}") for i in range(12)]
    start = threading.Barrier(len(agents))

    def claim_twice(actor: Actor) -> list[int]:
        start.wait()
        return [_claim(db, actor), _claim(db, actor)]

    with ThreadPoolExecutor(len(agents)) as pool:
        taken = [n for result in pool.map(claim_twice, agents) for n in result]
    assert sorted(taken) == numbers
    with db.read() as s:
        assignees = {ticket_detail(s, n).row.assignee for n in numbers}
    assert assignees == {a.name for a in agents}


def test_a_claim_in_progress_is_skipped_or_waited_for(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """While one claim's transaction is open, a second claimer never gets the same ticket.

    PostgreSQL skips the locked row at once (SKIP LOCKED); SQLite waits for the write lock.
    """
    first = _new(db, admin, "First", priority="high")
    second = _new(db, admin, "Second")
    holding, release = threading.Event(), threading.Event()

    def slow_claim() -> int:
        with db.write() as s:
            number = take_next(s, admin).number
            holding.set()
            release.wait(2 * HANG_SECONDS)  # (longer than any wait below: a wait for it fails)
            return number

    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(slow_claim)
        assert holding.wait(HANG_SECONDS)
        fast = pool.submit(_claim, db, agent_bob)
        if not db.is_sqlite:
            assert fast.result(timeout=HANG_SECONDS) == second  # did not wait for the first claim
        release.set()
        assert slow.result(timeout=HANG_SECONDS) == first
        assert fast.result(timeout=HANG_SECONDS) == second


def test_tickets_someone_else_is_on_are_skipped(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """Another agent viewing or replying to a ticket keeps it from take-next; the taker's own
    terminals and a marker that has expired do not."""
    with db.write() as s:
        cy_agent = add_agent(s, admin, "cy", teams=["Support"])
    cy = Actor(name=cy_agent.login, agent_id=cy_agent.id)
    viewed = _new(db, admin, "Bob is reading it", priority="urgent")
    replied = _new(db, admin, "Cy is answering it", priority="urgent")
    mine = _new(db, admin, "Only I am on it", priority="high")
    left = _new(db, admin, "Bob's terminal died", priority="high")
    quiet = _new(db, admin, "Nobody is on it")
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    with db.write() as s:
        presence.heartbeat(s, agent_bob, "term-bob", viewed, Activity.VIEWING, now=now)
        presence.heartbeat(s, cy, "term-cy", replied, Activity.REPLYING, now=now)
        presence.heartbeat(s, admin, "term-ada", mine, Activity.VIEWING, now=now)
        old = now - presence.PRESENCE_TTL - timedelta(seconds=1)
        presence.heartbeat(s, agent_bob, "term-bob-2", left, Activity.REPLYING, now=old)

    def claim() -> int:
        with db.write() as s:
            return take_next(s, admin, now=now).number

    assert [claim(), claim(), claim()] == [mine, left, quiet]
    with pytest.raises(NotFound, match=r"no unassigned ticket .* that no one else is on"):
        claim()
    with db.write() as s:
        presence.leave(s, "term-bob")
    assert claim() == viewed
    with db.write() as s:
        assert take_next(s, cy, now=now).number == replied  # cy's own marker is no obstacle
