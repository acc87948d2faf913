"""Automatic assignment: fair round-robin, least open, skill match; shifts, away, capacity;
and real processes assigning at the same moment (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier
from typing import Any

import pytest
from sqlmodel import col, func, select

from helpdesk_tui.desk import assignment, fields, presence
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import add_agent, ensure_team
from helpdesk_tui.desk.assignment import Assigned, NotAssigned
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.routing import Strategy, parse_rules
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Activity, Agent, Event, TeamMember, Ticket
from tests import processes

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
JOIN_SECONDS = 120


def _agents(db: Database, admin: Actor, logins: list[str], team: str = "Support") -> list[int]:
    ids = []
    with db.write() as s:
        for login in logins:
            agent = add_agent(s, admin, login, teams=[team])
            assert agent.id is not None
            assignment.on_shift(s, agent.id, NOW)
            ids.append(agent.id)
    return ids


def _tickets(db: Database, admin: Actor, count: int, team: str = "Support", **kw: Any) -> list[int]:
    numbers = []
    with db.write() as s:
        for i in range(count):
            ticket = create_ticket(s, admin, subject=f"Ticket {i}", body="help", **kw)
            numbers.append(ticket.number)
    with db.write() as s:
        for number in numbers:
            fields.assign(s, admin, number, team=team)
    return numbers


def _desk(db: Database, admin: Actor, now: datetime = NOW) -> Desk:
    return Desk(db, admin, clock=lambda: now)


def _assignee(db: Database, number: int) -> str | None:
    with db.read() as s:
        return s.exec(
            select(Agent.login)
            .join(Ticket, col(Ticket.assignee_id) == Agent.id)
            .where(Ticket.number == number)
        ).first()


def test_round_robin_is_fair_over_40_tickets(db: Database, admin: Actor) -> None:
    """Ten full rounds of four agents, in turns (100 tickets before: the same turns, 25
    rounds, ≈ 1.4 s of CPU more on PostgreSQL)."""
    _agents(db, admin, ["amy", "ben", "cat", "dan"])
    numbers = _tickets(db, admin, 40)
    desk = _desk(db, admin)
    given = [desk.assign_auto(n, Strategy.ROUND_ROBIN) for n in numbers]
    logins = [g.login for g in given if isinstance(g, Assigned)]
    assert len(logins) == 40
    assert Counter(logins) == {"amy": 10, "ben": 10, "cat": 10, "dan": 10}
    assert logins[:8] == ["amy", "ben", "cat", "dan"] * 2  # turns, not runs
    with db.read() as s:
        said = s.exec(
            select(Event.new_value).where(
                Event.ticket_number == numbers[0], Event.kind == "auto_assigned"
            )
        ).all()
    assert said == ["amy by round-robin in Support"]


def test_round_robin_goes_on_after_whoever_had_the_last_turn(db: Database, admin: Actor) -> None:
    _agents(db, admin, ["amy", "ben", "cat"])
    numbers = _tickets(db, admin, 4)
    desk = _desk(db, admin)
    assert _login(desk.assign_auto(numbers[0], Strategy.ROUND_ROBIN)) == "amy"
    Desk(db, _actor(db, "ben"), clock=lambda: NOW).shift_away()
    assert _login(desk.assign_auto(numbers[1], Strategy.ROUND_ROBIN)) == "cat"
    Desk(db, _actor(db, "ben"), clock=lambda: NOW).shift_back()
    assert _login(desk.assign_auto(numbers[2], Strategy.ROUND_ROBIN)) == "amy"
    assert _login(desk.assign_auto(numbers[3], Strategy.ROUND_ROBIN)) == "ben"


def _login(result: Assigned | NotAssigned) -> str:
    assert isinstance(result, Assigned), result
    return result.login


def _actor(db: Database, login: str) -> Actor:
    with db.read() as s:
        agent = s.exec(select(Agent).where(Agent.login == login)).one()
        return Actor(name=agent.login, agent_id=agent.id, role=agent.role)


def test_least_open_gives_to_whoever_carries_least(db: Database, admin: Actor) -> None:
    _agents(db, admin, ["amy", "ben"])
    numbers = _tickets(db, admin, 4)
    with db.write() as s:
        fields.assign(s, admin, numbers[0], agent="amy")
        fields.assign(s, admin, numbers[1], agent="amy")
    desk = _desk(db, admin)
    assert _login(desk.assign_auto(numbers[2], Strategy.LEAST_OPEN)) == "ben"
    assert _login(desk.assign_auto(numbers[3], Strategy.LEAST_OPEN)) == "ben"
    with db.write() as s:
        fields.set_status(s, admin, numbers[0], "resolved")
        fields.set_status(s, admin, numbers[1], "closed")
    extra = _tickets(db, admin, 1)
    assert _login(desk.assign_auto(extra[0], Strategy.LEAST_OPEN)) == "amy"


def test_skill_match_prefers_agents_whose_skills_meet_tags_and_category(
    db: Database, admin: Actor
) -> None:
    _agents(db, admin, ["amy", "ben", "cat"])
    desk = _desk(db, admin)
    desk.assign_set_skills("ben", ["VPN", "network"])
    desk.assign_set_skills("cat", ["billing"])
    [vpn] = _tickets(db, admin, 1, tags=["vpn"])
    [bill] = _tickets(db, admin, 1, category="Billing")
    [plain] = _tickets(db, admin, 1)
    assert _login(desk.assign_auto(vpn, Strategy.SKILL_MATCH)) == "ben"
    assert _login(desk.assign_auto(bill, Strategy.SKILL_MATCH)) == "cat"
    assert _login(desk.assign_auto(plain, Strategy.SKILL_MATCH)) == "amy"  # least open


def test_away_and_off_shift_agents_get_nothing(db: Database, admin: Actor) -> None:
    _agents(db, admin, ["amy", "ben"])
    numbers = _tickets(db, admin, 3)
    Desk(db, _actor(db, "amy"), clock=lambda: NOW).shift_away()
    desk = _desk(db, admin)
    assert _login(desk.assign_auto(numbers[0], Strategy.ROUND_ROBIN)) == "ben"
    assert _login(desk.assign_auto(numbers[1], Strategy.ROUND_ROBIN)) == "ben"
    # Ben's terminal stopped heartbeating: past the shift's time to live, he is off shift.
    later = _desk(db, admin, NOW + assignment.SHIFT_TTL + timedelta(seconds=1))
    result = later.assign_auto(numbers[2], Strategy.ROUND_ROBIN)
    assert result == NotAssigned(numbers[2], "nobody in Support is on shift with room")
    assert _assignee(db, numbers[2]) is None
    shifts = {v.login: v for v in _desk(db, admin).shift_list()}
    assert (shifts["amy"].away, shifts["ben"].on_shift, shifts["ben"].open_tickets) == (
        True,
        True,
        2,
    )


def test_a_full_capacity_is_respected(db: Database, admin: Actor) -> None:
    _agents(db, admin, ["amy", "ben"])
    desk = _desk(db, admin)
    desk.assign_set_capacity("amy", 1)
    desk.assign_set_capacity("ben", 2)
    numbers = _tickets(db, admin, 5)
    results = [desk.assign_auto(n, Strategy.ROUND_ROBIN) for n in numbers]
    assert [r.login if isinstance(r, Assigned) else None for r in results] == [
        "amy",
        "ben",
        "ben",
        None,
        None,
    ]


def test_a_ticket_another_agent_is_on_is_left_alone(db: Database, admin: Actor) -> None:
    _agents(db, admin, ["amy"])
    [number] = _tickets(db, admin, 1)
    with db.write() as s:
        presence.heartbeat(s, admin, "ada-term", number, Activity.VIEWING, now=NOW)
    result = _desk(db, admin).assign_auto(number, Strategy.ROUND_ROBIN)
    assert result == NotAssigned(number, "an agent is on it now")


def test_backlog_is_handed_out_by_the_teams_strategy(db: Database, admin: Actor) -> None:
    _agents(db, admin, ["amy", "ben"])
    numbers = _tickets(db, admin, 4)
    rules = parse_rules('[teams.Support]\nassign = "round_robin"')
    results = _desk(db, admin).assign_backlog(rules, "Support")
    assert [(r.number, _login(r)) for r in results] == list(
        zip(numbers, ["amy", "ben", "amy", "ben"], strict=True)
    )


# --- two processes at the same moment ------------------------------------------------------


def _assign_all(
    url: str, numbers: list[int], strategy: str, barrier: Barrier, results: Any
) -> None:
    db = Database(url)
    try:
        desk = Desk(db, Actor(name="system"), clock=lambda: NOW)
        barrier.wait(timeout=60)
        given = [desk.assign_auto(n, Strategy(strategy)) for n in numbers]
        results.put(("ok", sum(isinstance(g, Assigned) for g in given)))
    except BaseException as error:  # reported, never swallowed
        results.put(("error", repr(error)))
    finally:
        db.dispose()


def _race(url: str, work: list[tuple[list[int], str]]) -> list[tuple[str, Any]]:
    barrier = processes.barrier(len(work))
    args = [(url, numbers, strategy, barrier) for numbers, strategy in work]
    return processes.run_children(_assign_all, args, JOIN_SECONDS)


@pytest.mark.slow
def test_processes_assigning_at_once_never_double_assign_or_overfill(
    db: Database, db_url: str, admin: Actor
) -> None:
    """Four processes hand out the same 40 tickets of two teams, whose agents are shared.

    Each agent may carry 6: 18 in all. Every ticket ends with at most one agent and one
    ``auto_assigned`` event, and no agent ever carries more than 6. (An agent another
    process is serving is passed over, so a racing pass may leave room; a calm pass after
    it fills every place.)
    """
    with db.write() as s:
        ensure_team(s, "Network")
    ids = _agents(db, admin, ["amy", "ben", "cat"])
    with db.write() as s:
        for agent_id in ids:
            s.add(TeamMember(team_id=_team_id(s, "Network"), agent_id=agent_id))
    desk = _desk(db, admin)
    for login in ("amy", "ben", "cat"):
        desk.assign_set_capacity(login, 6)
    support = _tickets(db, admin, 20)
    network = _tickets(db, admin, 20, team="Network")
    outcomes = _race(
        db.url,
        [
            (support, "round_robin"),
            (list(reversed(support)), "least_open"),
            (network, "round_robin"),
            (list(reversed(network)), "skill_match"),
        ],
    )
    assert [o[0] for o in outcomes] == ["ok"] * 4, outcomes
    raced = sum(o[1] for o in outcomes)
    loads, events = _loads_and_events(db)
    assert all(load <= 6 for load in loads) and sum(loads) == raced
    assert len(events) == raced and len(set(events)) == raced
    rules = parse_rules('[teams.Support]\nassign = "least_open"\n[teams.Network]\n')
    for team in ("Support", "Network"):
        desk.assign_backlog(rules, team)
    loads, events = _loads_and_events(db)
    assert sorted(loads) == [6, 6, 6]
    assert len(events) == 18 and len(set(events)) == 18


def _loads_and_events(db: Database) -> tuple[list[int], list[int | None]]:
    with db.read() as s:
        loads = s.exec(
            select(func.count())
            .where(col(Ticket.assignee_id).is_not(None))
            .group_by(col(Ticket.assignee_id))
        ).all()
        events = s.exec(select(Event.ticket_number).where(Event.kind == "auto_assigned")).all()
    return [int(n) for n in loads], list(events)


def _team_id(session: Any, name: str) -> int:
    team_id = ensure_team(session, name).id
    assert team_id is not None
    return team_id
