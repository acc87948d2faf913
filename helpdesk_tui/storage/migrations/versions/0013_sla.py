"""service levels: policies, business calendars, alert notices, team tiers

The SLA clocks are computed from each ticket's history by the desk and kept in the
ticket's existing due columns (so the queue's ``sla_due_at`` index keeps working); these
tables hold what the computation needs: policies (targets per priority, optionally per
organization, type or category), business calendars, the notices that make each warning
and breach alert happen once, and the tier each team works.

Revision ID: 0013
Revises: 0009
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "sla_calendar",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("work_days", sa.String(20), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("holiday_country", sa.String(10), nullable=True),
        sa.Column("holiday_subdivision", sa.String(10), nullable=True),
        sa.Column("closed_days", sa.Text(), nullable=False),
    )
    op.create_table(
        "sla_policy",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("priority", sa.String(10), nullable=True),
        sa.Column(
            "organization_id",
            sa.Integer(),
            sa.ForeignKey("organization.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("type", sa.String(20), nullable=True),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("first_response_minutes", sa.Integer(), nullable=False),
        sa.Column("next_response_minutes", sa.Integer(), nullable=False),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "calendar_id",
            sa.Integer(),
            sa.ForeignKey("sla_calendar.id", ondelete="RESTRICT"),
            nullable=True,
        ),
        sa.Column("warn_percent", sa.Integer(), nullable=False),
    )
    op.create_table(
        "sla_notice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey("ticket.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("clock", sa.String(20), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        _ts("started_at"),
        _ts("due_at"),
        _ts("created_at"),
        sa.UniqueConstraint("ticket_id", "clock", "started_at", "level"),
    )
    op.create_index("ix_sla_notice_created", "sla_notice", ["created_at", "id"])
    op.create_table(
        "team_tier",
        sa.Column(
            "team_id",
            sa.Integer(),
            sa.ForeignKey("team.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("tier", sa.Integer(), nullable=False),
    )
    op.create_index("ix_team_tier_tier", "team_tier", ["tier"])


def downgrade() -> None:
    op.drop_index("ix_team_tier_tier", table_name="team_tier")
    op.drop_table("team_tier")
    op.drop_index("ix_sla_notice_created", table_name="sla_notice")
    op.drop_table("sla_notice")
    op.drop_table("sla_policy")
    op.drop_table("sla_calendar")
