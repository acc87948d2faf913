"""Routing rules and automatic assignment, as the facade offers them.

The rules file is read by :func:`rules_load` (the front door says where it is: the CLI
from the settings); every other operation takes the :class:`Rules` it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from helpdesk_tui.desk import assignment
from helpdesk_tui.desk.assignment import Assigned, NotAssigned
from helpdesk_tui.desk.errors import InvalidValue, NotFound
from helpdesk_tui.desk.fields import find_team
from helpdesk_tui.desk.routing import (
    Facts,
    Rules,
    Strategy,
    Trigger,
)
from helpdesk_tui.desk.routing_reads import RoutingReads, RuleView
from helpdesk_tui.storage.models import (
    Agent,
    Channel,
    Contact,
    Organization,
    Role,
)
from helpdesk_tui.storage.routing_models import AgentShift

if TYPE_CHECKING:
    from helpdesk_tui.desk.routing_apply import Routed

__all__ = [
    "Assigned",
    "MessageFields",
    "NotAssigned",
    "RoutingService",
    "RuleView",
    "Rules",
    "ShiftView",
    "Strategy",
]


@dataclass(frozen=True)
class MessageFields:
    """A message as ``rules test`` hands it over (the front door parsed it)."""

    sender: str | None
    subject: str
    """As the mail arrived."""
    body: str
    ticket_subject: str | None = None
    """The ticket's subject when it differs: a mailing list's own tag left out."""
    channel: str = Channel.EMAIL
    organization: str | None = None
    at: datetime | None = None
    """When it arrived; default: now."""
    follow_up: bool = False


@dataclass(frozen=True)
class ShiftView:
    login: str
    away: bool
    on_shift: bool
    capacity: int | None
    open_tickets: int
    skills: tuple[str, ...]


class RoutingService(RoutingReads):
    """``rules_*``: the routing rules (read: ``RoutingReads``); ``shift_*``: being away or on
    shift; ``assign_*``."""

    # -- rules ---------------------------------------------------------------------------------

    def rules_check(self, rules: Rules) -> list[str]:
        """Rules naming a team, agent or business calendar this desk does not have, one line
        each."""
        from helpdesk_tui.desk.routing_apply import check_names

        with self._read() as session:
            return check_names(session, rules)

    def rules_test(self, rules: Rules, message: MessageFields) -> Routed:
        """Which rules would fire for ``message`` as a new ticket and what they would do.

        Nothing is written.
        """
        facts = Facts(
            trigger=Trigger.FOLLOW_UP if message.follow_up else Trigger.NEW,
            at=message.at or self.clock(),
            channel=message.channel,
            sender=(message.sender or "").lower() or None,
            organization=message.organization,
            subject=message.subject if message.ticket_subject is None else message.ticket_subject,
            arrived_subject=message.subject,
            body=message.body,
        )
        from helpdesk_tui.desk.routing_apply import dry_run

        with self._read() as session:
            if facts.organization is None and facts.sender:
                facts = _with_organization(session, facts)
            return dry_run(session, rules, facts)

    # -- shifts ----------------------------------------------------------------------------------

    def _me(self) -> int:
        if self.actor.agent_id is None:
            raise InvalidValue("only an agent has a shift")
        return self.actor.agent_id

    def shift_away(self) -> None:
        """Take no automatically assigned tickets until :meth:`shift_back`."""
        with self._write() as session:
            assignment.set_away(session, self._me(), True, self.clock())

    def shift_back(self) -> None:
        with self._write() as session:
            assignment.set_away(session, self._me(), False, self.clock())

    def shift_heartbeat(self) -> None:
        """This agent's terminal is running: on shift for :data:`assignment.SHIFT_TTL` more.

        A locked desk makes it fail after a short wait (the next beat repeats it) rather
        than hold a thread of the terminal for the full busy timeout.
        """
        if self.actor.agent_id is None:
            return
        with self._write(brief=True) as session:
            assignment.on_shift(session, self._me(), self.clock())

    def shift_end(self) -> None:
        """This agent's terminal is closing."""
        if self.actor.agent_id is None:
            return
        with self._write() as session:
            assignment.off_shift(session, self._me())

    def shift_list(self) -> list[ShiftView]:
        now = self.clock()
        with self._read() as session:
            agents = session.exec(
                select(Agent).where(col(Agent.active).is_(True)).order_by(col(Agent.login))
            ).all()
            ids = [a.id for a in agents if a.id is not None]
            shifts = {
                s.agent_id: s
                for s in session.exec(
                    select(AgentShift).where(col(AgentShift.agent_id).in_(ids))
                ).all()
            }
            counts = assignment.open_counts(session, ids)
            views = []
            for agent in agents:
                assert agent.id is not None
                shift = shifts.get(agent.id)
                until = shift.on_shift_until if shift else None
                views.append(
                    ShiftView(
                        agent.login,
                        bool(shift and shift.away),
                        until is not None and until >= now,
                        shift.capacity if shift else None,
                        counts[agent.id],
                        tuple(sorted(assignment.parse_skills(agent.skills))),
                    )
                )
            return views

    # -- assignment ------------------------------------------------------------------------------

    def assign_set_capacity(self, login: str, capacity: int | None) -> None:
        with self._write() as session:
            assignment.set_capacity(session, self.actor, login, capacity)

    def assign_set_skills(self, login: str, skills: list[str]) -> None:
        with self._write() as session:
            assignment.set_skills(session, self.actor, login, skills)

    def assign_auto(self, number: int, strategy: Strategy) -> Assigned | NotAssigned:
        """Give one ticket to an agent of its team by ``strategy`` (one transaction)."""
        from helpdesk_tui.desk.routing_apply import ROUTING

        with self._write() as session:
            return assignment.auto_assign(session, ROUTING, number, strategy, self.clock())

    def assign_backlog(self, rules: Rules, team: str) -> list[Assigned | NotAssigned]:
        """Hand out a team's unassigned open tickets by its strategy, one transaction each.

        For when agents come back on shift (supervisors and admins).
        """
        self.actor.require(Role.SUPERVISOR, "hand out a team's tickets")
        strategy = rules.strategies.get(team)
        if strategy is None:
            raise NotFound(f"team {team!r} has no assignment strategy in {rules.source}")
        with self._read() as session:
            team_id = find_team(session, team).id
            assert team_id is not None
            numbers = assignment.unassigned_in_team(session, team_id)
        return [self.assign_auto(number, strategy) for number in numbers]


def _with_organization(session: Session, facts: Facts) -> Facts:
    """The sender's organization: their contact's, else the one owning their domain."""
    domain = (facts.sender or "").rpartition("@")[2]
    by_contact = session.exec(
        select(Organization.name)
        .join(Contact, col(Contact.organization_id) == Organization.id)
        .where(Contact.email == facts.sender)
    ).first()
    by_domain = session.exec(select(Organization.name).where(Organization.domain == domain)).first()
    return replace(facts, organization=by_contact or by_domain)
