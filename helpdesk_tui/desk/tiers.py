"""Support tiers 1-4: which team works each tier, and who hears of a move between tiers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

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
from helpdesk_tui.storage.enums import Role

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


def notify_tier_move(reader: Reader, ticket: TicketState, actor_name: str, move: TierMove) -> None:
    """Mail the team that now holds the ticket (queued in the same transaction as the move)."""
    to = team_addresses(reader, ticket.team_id)
    if not to:
        return
    queue_mail(
        reader,
        ticket,
        kind="escalation",
        to=to,
        subject=f"[#{ticket.number}] {move.kind} to tier {move.after.tier}",
        body=(
            f'#{ticket.number} "{ticket.subject}" was {move.kind} by {actor_name} from '
            f"{move.before} to {move.after} ({move.reason.value}).\n"
        ),
    )
