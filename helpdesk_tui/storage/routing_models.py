"""Tables of routing and automatic assignment (migration ``0014``).

The rules themselves live in a TOML file (``rules.toml``); the database keeps what changes
as the desk works: whether an agent is away or on shift and how much they may carry, and
each team's round-robin pointer. The team row is also what concurrent assigners lock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey
from sqlmodel import Field

from helpdesk_tui.storage.table import Table
from helpdesk_tui.storage.types import UTCDateTime


class AgentShift(Table, table=True):
    """One agent's availability for automatic assignment; no row means "never seen"."""

    __tablename__ = "agent_shift"

    agent_id: int = Field(
        sa_column=Column(ForeignKey("agent.id", ondelete="CASCADE"), primary_key=True)
    )
    away: bool = Field(default=False, nullable=False)
    """Set by the agent (``helpdesk agent away``): gets no automatic assignment."""
    away_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    on_shift_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    """A running terminal heartbeats this forward; past it, the agent is off shift."""
    capacity: int | None = Field(default=None)
    """Most open tickets automatic assignment gives this agent; None: no limit."""


class TeamRouting(Table, table=True):
    """A team's assignment state; assigners lock this row (``FOR UPDATE``) to take turns."""

    __tablename__ = "team_routing"

    team_id: int = Field(
        sa_column=Column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    )
    last_agent_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("agent.id", ondelete="SET NULL"))
    )
    """Whom round-robin gave the last ticket to; the next goes to the next agent after."""
