"""Tables of service levels and support tiers (migration ``0013``).

Policies say how fast a ticket must be answered and resolved; calendars say which hours
count. The clocks themselves are not stored here: ``desk/sla.py`` computes them from a
ticket's history and ``desk/sla_clock.py`` keeps the ticket's due columns in step. A notice
row makes each warning and breach alert happen once; a team's tier says where escalation
sends a ticket.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Text, UniqueConstraint
from sqlmodel import Field

from helpdesk_tui.storage.models import utcnow
from helpdesk_tui.storage.table import Table
from helpdesk_tui.storage.types import UTCDateTime


def _ts(*, nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class SlaCalendar(Table, table=True):
    """Business hours: which days and hours count, in which time zone, minus holidays."""

    __tablename__ = "sla_calendar"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    timezone: str = Field(default="UTC", sa_column=Column(String(64), nullable=False))
    work_days: str = Field(default="0,1,2,3,4", sa_column=Column(String(20), nullable=False))
    """Weekdays that count, Monday = 0."""
    start_minute: int = Field(default=9 * 60, nullable=False)
    end_minute: int = Field(default=17 * 60, nullable=False)
    """Minutes after local midnight; 0-1440 is the whole day."""
    holiday_country: str | None = Field(default=None, sa_column=Column(String(10)))
    holiday_subdivision: str | None = Field(default=None, sa_column=Column(String(10)))
    closed_days: str = Field(default="", sa_column=Column(Text, nullable=False))
    """Extra closed dates, ISO, comma-separated."""


class SlaPolicy(Table, table=True):
    """Targets (in business minutes) for tickets of a priority, optionally narrower."""

    __tablename__ = "sla_policy"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    priority: str | None = Field(default=None, sa_column=Column(String(10)))
    organization_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("organization.id", ondelete="CASCADE"))
    )
    type: str | None = Field(default=None, sa_column=Column(String(20)))
    category: str | None = Field(default=None, sa_column=Column(String(100)))
    first_response_minutes: int = Field(nullable=False)
    next_response_minutes: int = Field(nullable=False)
    resolution_minutes: int = Field(nullable=False)
    calendar_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("sla_calendar.id", ondelete="RESTRICT"))
    )
    """``None``: the built-in business calendar."""
    warn_percent: int = Field(default=75, nullable=False)
    """The share of a target elapsed at which the clock turns to a warning."""


class SlaNotice(Table, table=True):
    """One warning or breach alert sent for one run of one clock: the unique key makes it once."""

    __tablename__ = "sla_notice"
    __table_args__ = (
        UniqueConstraint("ticket_id", "clock", "started_at", "level"),
        Index("ix_sla_notice_created", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(
        sa_column=Column(ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False)
    )
    clock: str = Field(sa_column=Column(String(20), nullable=False))
    level: str = Field(sa_column=Column(String(10), nullable=False))
    started_at: datetime = Field(sa_column=_ts())
    due_at: datetime = Field(sa_column=_ts())
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class TeamTier(Table, table=True):
    """The support tier (1-4) a team works; escalation moves tickets to the next tier's team."""

    __tablename__ = "team_tier"

    team_id: int = Field(
        sa_column=Column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    )
    tier: int = Field(nullable=False, index=True)
