"""Agents and teams: who may work tickets, in which role, in which teams."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import InvalidValue, NotFound
from helpdesk_tui.desk.statuses import OPEN_STATUSES
from helpdesk_tui.desk.values import name_value, parse_address, text_value
from helpdesk_tui.storage.models import Agent, Role, Team, TeamMember, Ticket


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidValue(f"unknown role {value!r}; allowed: {allowed}") from None


def _valid_login(login: str) -> str:
    login = login.strip()
    if not login or len(login) > 64 or not login.isprintable() or " " in login:
        raise InvalidValue(f"not a usable login: {login!r}")
    return login


def ensure_team(session: Session, name: str, description: str = "") -> Team:
    name = name_value(name, "team name", col(Team.name))
    description = text_value(description, "team description")
    if not name:
        raise InvalidValue("a team needs a name")
    team = session.exec(select(Team).where(Team.name == name)).first()
    if team is None:
        team = Team(name=name, description=description)
        session.add(team)
        session.flush()
    return team


def add_team(session: Session, actor: Actor, name: str, description: str = "") -> Team:
    """Add a team (admins only); an existing team is left as it is."""
    actor.require(Role.ADMIN, "add teams")
    return ensure_team(session, name, description)


def add_agent(
    session: Session,
    actor: Actor | None,
    login: str,
    *,
    name: str = "",
    email: str | None = None,
    role: str = Role.AGENT,
    teams: Sequence[str] = (),
) -> Agent:
    """Add an agent. ``actor`` None is ``helpdesk init`` making the very first admin."""
    if actor is not None:
        actor.require(Role.ADMIN, "add agents")
    login = _valid_login(login)
    if session.exec(select(Agent).where(Agent.login == login)).first() is not None:
        raise InvalidValue(f"{login} is already an agent; see: helpdesk agent list")
    name = name_value(name, "agent's name", col(Agent.name))
    email = parse_address(email, "agent's email address") if email else None
    agent = Agent(login=login, name=name or login, email=email, role=parse_role(role))
    session.add(agent)
    session.flush()
    assert agent.id is not None
    for team_name in teams:
        team = ensure_team(session, team_name)
        assert team.id is not None
        session.add(TeamMember(team_id=team.id, agent_id=agent.id))
    return agent


def _agent(session: Session, login: str) -> Agent:
    text_value(login, "login")
    agent = session.exec(select(Agent).where(Agent.login == login)).first()
    if agent is None:
        raise NotFound(f"no agent {login!r}; see: helpdesk agent list")
    return agent


def _keep_an_admin(session: Session, agent: Agent, doing: str) -> None:
    """Refuse to leave the desk without an active admin."""
    if agent.role != Role.ADMIN or not agent.active:
        return
    admins = session.exec(
        select(Agent.id).where(Agent.role == Role.ADMIN, col(Agent.active).is_(True))
    ).all()
    if len(admins) <= 1:
        raise InvalidValue(f"{agent.login} is the last admin; make another admin before {doing}")


def set_role(session: Session, actor: Actor, login: str, role: str) -> Agent:
    actor.require(Role.ADMIN, "change roles")
    agent = _agent(session, login)
    new_role = parse_role(role)
    if new_role != Role.ADMIN:
        _keep_an_admin(session, agent, "changing their role")
    agent.role = new_role
    return agent


def set_details(
    session: Session,
    actor: Actor,
    login: str,
    *,
    name: str | None = None,
    email: str | None = None,
) -> Agent:
    """Change ``login``'s name and/or email address (``email`` "": none). Admins change
    anyone's; an agent their own (the address their SLA alerts and rating concerns go to).
    ``None`` leaves a field as it is."""
    agent = _agent(session, login)
    if agent.id != actor.agent_id:
        actor.require(Role.ADMIN, "change another agent's name or address")
    if name is not None:
        agent.name = name_value(name, "agent's name", col(Agent.name)) or agent.login
    if email is not None:
        agent.email = parse_address(email, "agent's email address") if email.strip() else None
    return agent


def set_active(session: Session, actor: Actor, login: str, active: bool) -> Agent:
    """Deactivate an agent (they can no longer act) or let them back in (admins only).

    Nothing of theirs is deleted: their tickets, messages and history keep their name.
    """
    actor.require(Role.ADMIN, "deactivate or reactivate agents")
    agent = _agent(session, login)
    if not active:
        _keep_an_admin(session, agent, "deactivating them")
    agent.active = active
    return agent


def is_active(session: Session, login: str) -> bool:
    return _agent(session, login).active


def open_tickets_of(session: Session, login: str) -> list[int]:
    """The numbers of the tickets still needing somebody that ``login`` holds: after a
    deactivation, tickets no one else sees as theirs until they are handed on."""
    agent = _agent(session, login)
    found = session.exec(
        select(Ticket.number)
        .where(Ticket.assignee_id == agent.id, col(Ticket.status).in_(OPEN_STATUSES))
        .order_by(col(Ticket.number))
    )
    return list(found)


def set_teams(
    session: Session, actor: Actor, login: str, names: Sequence[str]
) -> tuple[Agent, list[str]]:
    """Make ``login`` a member of exactly the teams ``names`` (admins only): the agent, and
    the teams' names as the desk spells them, sorted.

    Each must exist already (``existing_teams``).
    """
    actor.require(Role.ADMIN, "change agents' teams")
    agent = _agent(session, login)
    assert agent.id is not None
    wanted = existing_teams(session, names)
    members = session.exec(select(TeamMember).where(TeamMember.agent_id == agent.id)).all()
    for member in members:
        if member.team_id not in wanted:
            session.delete(member)
    have = {member.team_id for member in members}
    for team_id in wanted.keys() - have:
        session.add(TeamMember(team_id=team_id, agent_id=agent.id))
    session.flush()
    return agent, sorted(wanted.values())


def existing_teams(session: Session, names: Sequence[str]) -> dict[int, str]:
    """The teams ``names`` by id, as the desk spells them (matched ignoring case): each must
    exist, for an admin naming an agent's teams (``agent add --team``, ``agent teams``). A
    typo must not make a team that routing then gives tickets nobody watches."""
    teams = {team.name.casefold(): team for team in session.exec(select(Team))}
    found: dict[int, str] = {}
    for name in names:
        team = teams.get(text_value(name, "team name").strip().casefold())
        if team is None:
            known = ", ".join(sorted(t.name for t in teams.values())) or "none yet"
            raise InvalidValue(
                f"no team {name.strip()!r} (teams: {known}); helpdesk team add NAME makes one"
            )
        assert team.id is not None
        found[team.id] = team.name
    return found


def team_ids_of(session: Session, agent_id: int) -> list[int]:
    return list(session.exec(select(TeamMember.team_id).where(TeamMember.agent_id == agent_id)))
