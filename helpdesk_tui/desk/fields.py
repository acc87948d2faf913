"""Changing a ticket's fields: status, priority, type, category, tier, assignment, tags.

Each function is one change: it loads the ticket under a write lock, refuses a stale
``expected_version``, and — only if something really changed — bumps the version once and
records an event per field.

They run on Core tables (a :class:`~helpdesk_tui.desk.ticket_record.TicketRecord`, its
changed columns saved before returning), on the facade's Core connection or an ORM
session's: a caller on the ORM that holds the ticket as an ORM object flushes it before and
refreshes it after (routing, auto-assignment and the SLA alerts do).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import select, update

from helpdesk_tui.desk import history
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.contacts import contact_row, find_contact, find_or_create_contact
from helpdesk_tui.desk.errors import InvalidTransition, InvalidValue, NotFound
from helpdesk_tui.desk.escalation import Place, Reason, TierMove
from helpdesk_tui.desk.statuses import parse_status
from helpdesk_tui.desk.tags import apply_tags
from helpdesk_tui.desk.thread import change_status
from helpdesk_tui.desk.thread import reopen as reopen_ticket
from helpdesk_tui.desk.ticket_record import TicketRecord, load_for_update, save
from helpdesk_tui.desk.values import (
    MAX_TIER,
    MIN_TIER,
    parse_address,
    parse_priority,
    parse_tier,
    parse_type,
    text_value,
)
from helpdesk_tui.storage.core_tables import Agent, Contact, Team, contact
from helpdesk_tui.storage.database import connection_of
from helpdesk_tui.storage.enums import PRIORITY_RANK, Status

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader


class AgentRef(NamedTuple):
    """An agent a change names: by id, as people know them (login), and whether active."""

    id: int
    login: str
    active: bool


class TeamRef(NamedTuple):
    """A team a change names: by id, and as people know it."""

    id: int
    name: str


@dataclass
class _Change:
    ticket: TicketRecord
    fields: list[tuple[str, object, object, str | None]] = field(default_factory=list)

    def set(self, name: str, new: object, *, shown: str | None = None) -> None:
        """Set a column; ``shown`` replaces ids with names in the event (``assignee``)."""
        old = getattr(self.ticket, name)
        if old != new:
            setattr(self.ticket, name, new)
            self.fields.append((name, old, new, shown))


@contextmanager
def _changing(
    session: Reader, actor: Actor, number: int, expected_version: int | None
) -> Iterator[_Change]:
    ticket = load_for_update(session, number)
    history.check_version(session, ticket, expected_version)
    change = _Change(ticket)
    yield change
    if change.fields:
        history.bump(ticket)
        for name, old, new, shown in change.fields:
            label = shown or name
            history.record(
                session,
                actor,
                ticket,
                label,
                field=label,
                old=_name(session, label, old),
                new=_name(session, label, new),
            )
    save(session, ticket)


def _name(session: Reader, label: str, value: object) -> object:
    """Events read ``alice``/``Network``, not agent 3/team 2."""
    if value is None or not isinstance(value, int):
        return value
    column = {"assignee": (Agent.login, Agent.id), "team": (Team.name, Team.id)}.get(label)
    if column is None:
        return value
    name = connection_of(session).execute(select(column[0]).where(column[1] == value)).scalar()
    return name if name is not None else value


def _open_only(ticket: TicketRecord, what: str) -> None:
    if ticket.status == Status.CLOSED:
        raise InvalidTransition(f"#{ticket.number} is closed; its {what} no longer changes")


def set_status(
    session: Reader, actor: Actor, number: int, status: str, *, expected_version: int | None = None
) -> TicketRecord:
    new = parse_status(status)
    ticket = load_for_update(session, number)
    history.check_version(session, ticket, expected_version)
    if ticket.status != new:
        history.bump(ticket)
        change_status(session, actor, ticket, new)
        save(session, ticket)
    return ticket


def reopen(
    session: Reader,
    actor: Actor,
    number: int,
    *,
    reason: str,
    expected_version: int | None = None,
) -> TicketRecord:
    """Open a closed ticket again (supervisors and admins; an event keeps who and why)."""
    ticket = load_for_update(session, number)
    history.check_version(session, ticket, expected_version)
    history.bump(ticket)
    reopen_ticket(session, actor, ticket, reason)
    save(session, ticket)
    return ticket


def set_requester_email(
    session: Reader,
    actor: Actor,
    number: int,
    email: str,
    *,
    expected_version: int | None = None,
) -> TicketRecord:
    """Give the ticket's requester an email address, so replies can reach them.

    A requester without an address gets this one (unless another contact already has it);
    otherwise the contact with this address (found or created) becomes the requester.
    """
    address = parse_address(email)
    with _changing(session, actor, number, expected_version) as change:
        ticket = change.ticket
        current = contact_row(session, ticket.requester_id)
        if current is not None and current.email == address:
            return ticket
        taken = find_contact(session, address)
        old = (current.email or current.name or None) if current is not None else None
        if current is not None and not current.email and taken is None:
            connection_of(session).execute(
                update(contact).where(Contact.id == current.id).values(email=address)
            )
        else:
            ticket.requester_id = find_or_create_contact(session, address).id
        change.fields.append(("requester", old, address, None))
    return ticket


def set_reply_to(session: Reader, actor: Actor, number: int, address: str | None) -> TicketRecord:
    """Where the ticket's mail goes instead of the requester (None: to the requester); the
    mail intake's, for the sender's own copy of a message a mailing list's copy opened the
    ticket with (``desk/intake``)."""
    with _changing(session, actor, number, None) as change:
        change.set("reply_to", parse_address(address) if address is not None else None)
    return change.ticket


def set_priority(
    session: Reader,
    actor: Actor,
    number: int,
    priority: str,
    *,
    expected_version: int | None = None,
) -> TicketRecord:
    value = parse_priority(priority)
    with _changing(session, actor, number, expected_version) as change:
        _open_only(change.ticket, "priority")
        change.set("priority", value.value)
        change.ticket.priority_rank = PRIORITY_RANK[value]
    return change.ticket


def set_type(
    session: Reader,
    actor: Actor,
    number: int,
    ticket_type: str,
    *,
    expected_version: int | None = None,
) -> TicketRecord:
    value = parse_type(ticket_type)
    with _changing(session, actor, number, expected_version) as change:
        change.set("type", value.value)
    return change.ticket


def set_category(
    session: Reader,
    actor: Actor,
    number: int,
    category: str | None,
    *,
    expected_version: int | None = None,
) -> TicketRecord:
    text = text_value(category or "", "category", single_line=True)
    value = " ".join(text.split())[:100] or None
    with _changing(session, actor, number, expected_version) as change:
        change.set("category", value)
    return change.ticket


def set_tier(
    session: Reader,
    actor: Actor,
    number: int,
    tier: int | str,
    *,
    expected_version: int | None = None,
) -> TicketRecord:
    value = parse_tier(tier)
    with _changing(session, actor, number, expected_version) as change:
        _open_only(change.ticket, "tier")
        change.set("tier", value)
    return change.ticket


def escalate(
    session: Reader,
    actor: Actor,
    number: int,
    *,
    team: str | None = None,
    expected_version: int | None = None,
    reason: Reason = Reason.MANUAL,
) -> TicketRecord:
    """One tier up (to at most tier 4), to ``team`` or else the next tier's team if one is
    set (``helpdesk sla tier``); the new team hears of it by mail."""
    return _move_tier(session, actor, number, +1, team, expected_version, reason)


def deescalate(
    session: Reader,
    actor: Actor,
    number: int,
    *,
    team: str | None = None,
    expected_version: int | None = None,
) -> TicketRecord:
    """One tier down (to at least tier 1), like :func:`escalate` the other way."""
    return _move_tier(session, actor, number, -1, team, expected_version, Reason.MANUAL)


def _move_tier(
    session: Reader,
    actor: Actor,
    number: int,
    step: int,
    team: str | None,
    expected_version: int | None,
    reason: Reason,
) -> TicketRecord:
    """Move the ticket a tier, recorded as ONE ``escalated``/``de-escalated`` event (tier and
    team before and after, and why), not as separate tier, team and assignee changes."""
    from helpdesk_tui.desk import tiers  # (the tiers' table: only a move between tiers)

    team_id = find_team(session, team).id if team else None
    ticket = load_for_update(session, number)
    history.check_version(session, ticket, expected_version)
    _open_only(ticket, "tier")
    tier = min(max(ticket.tier + step, MIN_TIER), MAX_TIER)
    if tier == ticket.tier and team_id in (None, ticket.team_id):
        raise InvalidValue(f"#{number} is already at tier {ticket.tier}")
    if team_id is None:
        tier_team = tiers.team_of_tier(session, tier)
        team_id = tier_team if tier_team is not None else ticket.team_id
    before = Place(ticket.tier, _team_name(session, ticket.team_id))
    history.bump(ticket)
    ticket.tier = tier
    if team_id != ticket.team_id:
        ticket.team_id = team_id
        ticket.assignee_id = None  # the new team picks it up
    move = TierMove(step > 0, before, Place(tier, _team_name(session, team_id)), reason)
    history.record(
        session,
        actor,
        ticket,
        move.kind,
        field=move.reason.value,
        old=move.before.stored(),
        new=move.after.stored(),
    )
    tiers.notify_tier_move(session, ticket, actor.name, move)
    save(session, ticket)
    return ticket


def _team_name(session: Reader, team_id: int | None) -> str | None:
    if team_id is None:
        return None
    found = connection_of(session).execute(select(Team.name).where(Team.id == team_id)).scalar()
    return str(found) if found is not None else None


def find_agent(session: Reader, login: str) -> AgentRef:
    text_value(login, "agent's login")
    found = (
        connection_of(session)
        .execute(select(Agent.id, Agent.login, Agent.active).where(Agent.login == login.strip()))
        .first()
    )
    if found is None:
        raise NotFound(f"no agent {login!r}; see: helpdesk agent list")
    agent = AgentRef(*found)
    if not agent.active:
        raise InvalidValue(f"{agent.login} is deactivated; assign to an active agent")
    return agent


def find_team(session: Reader, name: str) -> TeamRef:
    text_value(name, "team name")
    found = (
        connection_of(session)
        .execute(select(Team.id, Team.name).where(Team.name == name.strip()))
        .first()
    )
    if found is None:
        raise NotFound(f"no team {name!r}; see: helpdesk team list")
    return TeamRef(*found)


def assign(
    session: Reader,
    actor: Actor,
    number: int,
    *,
    agent: str | None = None,
    team: str | None = None,
    unassign: bool = False,
    expected_version: int | None = None,
) -> TicketRecord:
    """Assign to an agent and/or a team by name; ``unassign`` clears the agent. A ticket
    given to a team takes the lowest tier the team works when its own is below it
    (:func:`~.tiers.tier_given_to`)."""
    from helpdesk_tui.desk import tiers  # (the tiers' table: only a team that works one)

    if not (agent or team or unassign):
        raise InvalidValue("assign needs an agent, a team, or unassign")
    agent_id = find_agent(session, agent).id if agent else None
    team_id = find_team(session, team).id if team else None
    with _changing(session, actor, number, expected_version) as change:
        _open_only(change.ticket, "assignment")
        if unassign:
            change.set("assignee_id", None, shown="assignee")
        elif agent_id is not None:
            change.set("assignee_id", agent_id, shown="assignee")
        if team_id is not None and team_id != change.ticket.team_id:
            change.set("team_id", team_id, shown="team")
            change.set("tier", tiers.tier_given_to(session, team_id, change.ticket.tier))
    return change.ticket


def set_tags(
    session: Reader,
    actor: Actor,
    number: int,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    expected_version: int | None = None,
) -> TicketRecord:
    ticket = load_for_update(session, number)
    history.check_version(session, ticket, expected_version)
    apply_tags(session, actor, ticket, add=add, remove=remove)
    save(session, ticket)
    return ticket
