"""Support tiers 1-4: which team works each tier, and who hears of a move between tiers."""

from __future__ import annotations

from sqlmodel import Session, col, select

from helpdesk_tui.desk.escalation import TierMove
from helpdesk_tui.desk.outbox import queue_mail
from helpdesk_tui.storage.models import Agent, Role, Team, TeamMember, Ticket
from helpdesk_tui.storage.sla_models import TeamTier


def team_of_tier(session: Session, tier: int) -> Team | None:
    """The team that works ``tier`` (the first by id when several do), if any."""
    return session.exec(
        select(Team)
        .join(TeamTier, col(TeamTier.team_id) == col(Team.id))
        .where(TeamTier.tier == tier)
        .order_by(col(Team.id))
    ).first()


def team_addresses(
    session: Session, team_id: int | None, *, supervisors_only: bool = False
) -> list[str]:
    """Email addresses of a team's active members (or only its supervisors and admins)."""
    if team_id is None:
        return []
    statement = (
        select(Agent.email)
        .join(TeamMember, col(TeamMember.agent_id) == col(Agent.id))
        .where(TeamMember.team_id == team_id, col(Agent.active), col(Agent.email).is_not(None))
    )
    if supervisors_only:
        statement = statement.where(col(Agent.role).in_([Role.SUPERVISOR, Role.ADMIN]))
    return sorted({address for address in session.exec(statement).all() if address})


def notify_tier_move(session: Session, ticket: Ticket, actor_name: str, move: TierMove) -> None:
    """Mail the team that now holds the ticket (queued in the same transaction as the move)."""
    to = team_addresses(session, ticket.team_id)
    if not to:
        return
    queue_mail(
        session,
        ticket,
        kind="escalation",
        to=to,
        subject=f"[#{ticket.number}] {move.kind} to tier {move.after.tier}",
        body=(
            f'#{ticket.number} "{ticket.subject}" was {move.kind} by {actor_name} from '
            f"{move.before} to {move.after} ({move.reason.value}).\n"
        ),
    )
