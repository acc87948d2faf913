"""Support tiers 1-4: which team works each tier, and who hears of a move between tiers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from helpdesk_tui.desk.escalation import TierMove
from helpdesk_tui.desk.outbox_rows import queue_mail
from helpdesk_tui.storage.core_tables import (
    Agent,
    Team,
    TeamMember,
    TeamTier,
    agent,
    team,
    team_member,
    team_tier,
)
from helpdesk_tui.storage.database import connection_of
from helpdesk_tui.storage.enums import Role, utcnow

if TYPE_CHECKING:
    from helpdesk_tui.desk.ticket_record import TicketState
    from helpdesk_tui.storage.database import Reader


def team_of_tier(reader: Reader, tier: int) -> int | None:
    """The id of the team that works ``tier`` (the first by id when several do), if any."""
    found = (
        connection_of(reader)
        .execute(
            select(Team.id)
            .join_from(team_tier, team, TeamTier.team_id == Team.id)
            .where(TeamTier.tier == tier)
            .order_by(Team.id)
            .limit(1)
        )
        .scalar()
    )
    return int(found) if found is not None else None


def tier_given_to(reader: Reader, team_id: int, tier: int) -> int:
    """The tier a ticket at ``tier`` takes when it is given to the team ``team_id`` (by a
    routing rule, an agent, a macro): the lowest tier that team works when the ticket's is
    below it, where a ticket routed to a tier 2 team sat at tier 1 and its first breach
    "escalated" it to tier 2 within the same team. A team working no tier changes nothing;
    a ticket above the team's tier keeps its own."""
    works = (
        connection_of(reader)
        .execute(select(func.min(TeamTier.tier)).where(TeamTier.team_id == team_id))
        .scalar()
    )
    return max(tier, int(works)) if works is not None else tier


def team_addresses(
    reader: Reader, team_id: int | None, *, supervisors_only: bool = False
) -> list[str]:
    """Email addresses of a team's active members (or only its supervisors and admins)."""
    if team_id is None:
        return []
    statement = (
        select(Agent.email)
        .join_from(agent, team_member, TeamMember.agent_id == Agent.id)
        .where(TeamMember.team_id == team_id, Agent.active, Agent.email.is_not(None))
    )
    if supervisors_only:
        statement = statement.where(Agent.role.in_([Role.SUPERVISOR, Role.ADMIN]))
    found = connection_of(reader).scalars(statement).all()
    return sorted({address for address in found if address})


def alert_recipients(reader: Reader, assignee_id: int | None, team_id: int | None) -> list[str]:
    """Who the desk's machine mail to agents about one ticket goes to (an SLA warning or
    breach, a rating that needs follow-up): the ticket's assignee (active, with an address)
    and its team's supervisors (and admins); when none of them has an address (a ticket
    nobody holds, in no team), the desk's supervisors and admins, as the terminal's alert
    line shows every alert to them. The one rule, so no such mail reaches nobody."""
    conn = connection_of(reader)
    found = set(team_addresses(conn, team_id, supervisors_only=True))
    if assignee_id is not None:
        address = conn.execute(
            select(Agent.email).where(Agent.id == assignee_id, Agent.active)
        ).scalar()
        if address:
            found.add(address)
    if not found:
        found = set(desk_alert_addresses(conn))
    return sorted(found)


NOBODY_BY_MAIL = (
    "alerts for tickets without a team reach nobody by mail: "
    "give a supervisor or admin an email address"
)
"""What ``helpdesk sla status`` and the desk settings' SLA tab say while
:func:`desk_alert_addresses` finds nobody: a team-less ticket's SLA alerts and rating concerns
are then only in its history and the alert lines."""


def desk_alert_addresses(reader: Reader) -> list[str]:
    """The desk's active supervisors and admins with an address: where :func:`alert_recipients`
    sends what nobody else of a ticket can be mailed (a ticket nobody holds, in no team)."""
    everyone = (
        connection_of(reader)
        .execute(
            select(Agent.email).where(
                Agent.active,
                Agent.email.is_not(None),
                Agent.role.in_([Role.SUPERVISOR, Role.ADMIN]),
            )
        )
        .scalars()
    )
    return sorted({address for address in everyone if address})


def notify_tier_move(reader: Reader, ticket: TicketState, actor_name: str, move: TierMove) -> None:
    """Mail the team that now holds the ticket (queued in the same transaction as the move)."""
    to = team_addresses(reader, ticket.team_id)
    if not to:
        return
    queue_mail(
        reader,
        ticket,
        now=utcnow(),
        kind="escalation",
        to=to,
        subject=f"[#{ticket.number}] {move.kind} to tier {move.after.tier}",
        body=(
            f'#{ticket.number} "{ticket.subject}" was {move.kind} by {actor_name} from '
            f"{move.before} to {move.after} ({move.reason.value}).\n"
        ),
    )
