"""reports and satisfaction: per-ticket report figures, replies, survey opt-outs, desk settings

Revision ID: 0012
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_QUANTILE_INDEXES = {  # the same in 0015
    "resolution_q": ["resolution_mins", "resolved_day"],
    "resolution_qa": ["agent_id", "resolution_mins", "resolved_day"],
    "response_q": ["response_mins", "response_day"],
    "response_qa": ["responder_id", "response_mins", "response_day"],
    "resolution_bq": ["resolution_bmins", "resolved_day"],
    "response_bq": ["response_bmins", "response_day"],
}


def upgrade() -> None:
    op.create_table(
        "report_ticket",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("created_day", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("open", sa.Integer(), nullable=False),
        sa.Column("merged", sa.Integer(), nullable=False),
        sa.Column("response_day", sa.Integer(), nullable=True),
        sa.Column("response_mins", sa.Integer(), nullable=True),
        sa.Column("responder_id", sa.Integer(), nullable=True),
        sa.Column("response_met", sa.Integer(), nullable=True),
        sa.Column("resolved_day", sa.Integer(), nullable=True),
        sa.Column("resolution_mins", sa.Integer(), nullable=True),
        sa.Column("resolution_met", sa.Integer(), nullable=True),
        sa.Column("reopens", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rated_day", sa.Integer(), nullable=True),
        sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=True),
        # Added with 0015 (rollups; business minutes), which adds them to an older table.
        sa.Column("response_bmins", sa.Integer(), nullable=True),
        sa.Column("resolution_bmins", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("number"),
    )
    for name, columns in _QUANTILE_INDEXES.items():
        op.create_index(f"ix_report_ticket_{name}", "report_ticket", columns)
    op.create_index(
        "ix_report_ticket_created",
        "report_ticket",
        ["created_day", "channel", "category", "type"],
    )
    op.create_index(
        "ix_report_ticket_resolved",
        "report_ticket",
        ["resolved_day", "agent_id", "resolution_mins", "reopens", "resolution_met"],
    )
    op.create_index(
        "ix_report_ticket_response",
        "report_ticket",
        ["response_day", "responder_id", "response_mins", "response_met"],
    )
    op.create_index("ix_report_ticket_rated", "report_ticket", ["rated_day", "agent_id", "rating"])
    op.create_index(
        "ix_report_ticket_open", "report_ticket", ["open", "status", "priority", "sla_due_at"]
    )
    op.create_table(
        "report_reply",
        sa.Column("event_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_report_reply_number", "report_reply", ["number"])
    op.create_index("ix_report_reply_day", "report_reply", ["day", "agent_id", "number"])
    op.create_table(
        "report_state",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.execute("INSERT INTO report_state (name, value) VALUES ('events_read', 0)")
    op.create_table(
        "survey_opt_out",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("contact_id"),
    )
    op.create_table(
        "desk_setting",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    for table in (
        "desk_setting",
        "survey_opt_out",
        "report_state",
        "report_reply",
        "report_ticket",
    ):
        op.drop_table(table)
