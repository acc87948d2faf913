"""Real processes racing on one database: no lost update, unique numbers, one merge.

Each child opens its own ``Database`` from the URL, as a second agent's terminal would.
A barrier lines them up so the racing writes really start at the same moment.
"""

from __future__ import annotations

from multiprocessing.synchronize import Barrier
from typing import Any

import pytest
from sqlmodel import col, select

from helpdesk_tui.desk import fields, relations
from helpdesk_tui.desk.actors import MAIL, Actor, agent_actor
from helpdesk_tui.desk.errors import Conflict, DeskError
from helpdesk_tui.desk.tickets import create_ticket, load_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Event, Ticket
from tests import processes

pytestmark = pytest.mark.slow

JOIN_SECONDS = 600
"""Only against a hang: eight processes on a busy machine may take minutes."""


def _run(target: Any, args_per_child: list[tuple[Any, ...]]) -> list[tuple[str, str]]:
    """One process per args tuple (tests/processes.py); each puts one (outcome, detail)."""
    return processes.run_children(target, args_per_child, JOIN_SECONDS)


def _change_from_loaded_version(
    url: str, login: str, number: int, change: str, barrier: Barrier, results: Any
) -> None:
    db = Database(url)
    try:
        with db.read() as session:
            actor = agent_actor(session, login)
            seen = load_ticket(session, number).version
        barrier.wait(timeout=JOIN_SECONDS)
        with db.write() as session:
            if change == "priority":
                fields.set_priority(session, actor, number, "urgent", expected_version=seen)
            else:
                fields.set_status(session, actor, number, "waiting", expected_version=seen)
        results.put(("ok", login))
    except Conflict as conflict:
        results.put(("conflict", str(conflict)))
    except BaseException as error:  # anything else is reported, never swallowed
        results.put(("error", repr(error)))
    finally:
        db.dispose()


def _create_many(url: str, count: int, barrier: Barrier, results: Any) -> None:
    db = Database(url)
    try:
        barrier.wait(timeout=JOIN_SECONDS)
        for i in range(count):
            with db.write() as session:
                create_ticket(session, MAIL, subject=f"Load {i}", body="x", channel="email")
        results.put(("ok", ""))
    except BaseException as error:
        results.put(("error", repr(error)))
    finally:
        db.dispose()


def _merge(url: str, login: str, source: int, target: int, barrier: Barrier, results: Any) -> None:
    db = Database(url)
    try:
        with db.read() as session:
            actor = agent_actor(session, login)
        barrier.wait(timeout=JOIN_SECONDS)
        with db.write() as session:
            relations.merge(session, actor, source, target)
        results.put(("ok", f"{source}->{target}"))
    except DeskError as refused:
        results.put(("refused", str(refused)))
    except BaseException as error:
        results.put(("error", repr(error)))
    finally:
        db.dispose()


def _new_ticket(db: Database, actor: Actor, subject: str) -> int:
    with db.write() as session:
        return create_ticket(session, actor, subject=subject, body="x").number


def test_two_agents_change_the_same_version_one_wins_one_is_told_who(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    number = _new_ticket(db, admin, "Printer on fire")
    barrier = processes.barrier(2)
    outcomes = _run(
        _change_from_loaded_version,
        [
            (db.url, "ada", number, "priority", barrier),
            (db.url, "bob", number, "status", barrier),
        ],
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["conflict", "ok"], outcomes
    winner = next(detail for kind, detail in outcomes if kind == "ok")
    conflict = next(detail for kind, detail in outcomes if kind == "conflict")
    assert f"changed by {winner} " in conflict and "nothing was saved" in conflict
    with db.read() as session:
        ticket = load_ticket(session, number)
        changes = session.exec(
            select(Event).where(Event.ticket_id == ticket.id, Event.kind != "created")
        ).all()
    assert ticket.version == 2
    assert [(e.actor, e.ticket_version) for e in changes] == [(winner, 2)]
    if winner == "ada":
        assert (ticket.priority, ticket.status) == ("urgent", "new")
    else:
        assert (ticket.priority, ticket.status) == ("normal", "waiting")


def test_eight_processes_creating_at_once_get_distinct_numbers(db: Database) -> None:
    children, each = 8, 50  # every creation queues on the counter row: 400 overlap enough
    barrier = processes.barrier(children)
    outcomes = _run(_create_many, [(db.url, each, barrier)] * children)
    assert outcomes == [("ok", "")] * children
    with db.read() as session:
        numbers = session.exec(select(Ticket.number).order_by(col(Ticket.number))).all()
    assert len(numbers) == children * each
    assert numbers == list(range(numbers[0], numbers[0] + children * each))


def test_merging_a_pair_both_ways_at_once_merges_once(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    first = _new_ticket(db, admin, "VPN down")
    second = _new_ticket(db, admin, "VPN down again")
    barrier = processes.barrier(2)
    outcomes = _run(
        _merge,
        [(db.url, "ada", first, second, barrier), (db.url, "bob", second, first, barrier)],
    )
    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"], outcomes
    refusal = next(detail for kind, detail in outcomes if kind == "refused")
    assert "already merged" in refusal
    with db.read() as session:
        one, two = load_ticket(session, first), load_ticket(session, second)
    merged = [t for t in (one, two) if t.merged_into_id is not None]
    assert len(merged) == 1
    survivor = two if merged[0] is one else one
    assert merged[0].merged_into_id == survivor.id and merged[0].status == "closed"
    assert survivor.status != "closed"
