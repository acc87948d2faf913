"""report rollups: per-day counts and per-month duration histograms; business-hours minutes

The report tables are a cache of the event history: this migration empties them and resets
their watermark, so the next catch-up (``helpdesk demo``, the mail service, or the next
report) replays every ticket once and fills the new columns and the rollups.

Revision ID: 0015
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0012",)

_INDEXES = {
    "resolution_q": ["resolution_mins", "resolved_day"],
    "resolution_qa": ["agent_id", "resolution_mins", "resolved_day"],
    "response_q": ["response_mins", "response_day"],
    "response_qa": ["responder_id", "response_mins", "response_day"],
    "resolution_bq": ["resolution_bmins", "resolved_day"],
    "response_bq": ["response_bmins", "response_day"],
}


def upgrade() -> None:
    op.execute("DELETE FROM report_ticket")
    op.execute("DELETE FROM report_reply")
    op.execute("UPDATE report_state SET value = 0 WHERE name = 'events_read'")
    op.add_column("report_ticket", sa.Column("response_bmins", sa.Integer(), nullable=True))
    op.add_column("report_ticket", sa.Column("resolution_bmins", sa.Integer(), nullable=True))
    for name, columns in _INDEXES.items():
        op.create_index(f"ix_report_ticket_{name}", "report_ticket", columns)
    op.create_table(
        "report_rollup",
        sa.Column("measure", sa.String(length=20), nullable=False),
        sa.Column("period", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("agent", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("a", sa.String(length=100), nullable=False),
        sa.Column("b", sa.String(length=20), nullable=False),
        sa.Column("c", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("measure", "period", "agent", "a", "b", "c", "value"),
    )


def downgrade() -> None:
    op.drop_table("report_rollup")
    for name in _INDEXES:
        op.drop_index(f"ix_report_ticket_{name}", table_name="report_ticket")
    op.drop_column("report_ticket", "resolution_bmins")
    op.drop_column("report_ticket", "response_bmins")
    op.execute("UPDATE report_state SET value = 0 WHERE name = 'events_read'")
