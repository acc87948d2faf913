"""report rollups: per-day counts and per-month duration histograms; business-hours minutes

The report tables are a cache of the event history: this migration empties them and resets
their watermark, so the next catch-up (``helpdesk demo``, the mail service, or the next
report) replays every ticket once and fills the new columns and the rollups.

Both 0012 and this build on 0009, so either may run first: 0012 makes ``report_ticket`` with
the columns and indexes added here, and this adds them only to a ``report_ticket`` made by
an earlier 0012.

Revision ID: 0015
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = {  # the same in 0012 (for a report_ticket it makes after this ran)
    "resolution_q": ["resolution_mins", "resolved_day"],
    "resolution_qa": ["agent_id", "resolution_mins", "resolved_day"],
    "response_q": ["response_mins", "response_day"],
    "response_qa": ["responder_id", "response_mins", "response_day"],
    "resolution_bq": ["resolution_bmins", "resolved_day"],
    "response_bq": ["response_bmins", "response_day"],
}


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if inspector.has_table("report_ticket"):
        op.execute("DELETE FROM report_ticket")
        op.execute("DELETE FROM report_reply")
        op.execute("UPDATE report_state SET value = 0 WHERE name = 'events_read'")
        columns = {column["name"] for column in inspector.get_columns("report_ticket")}
        for column in ("response_bmins", "resolution_bmins"):
            if column not in columns:
                op.add_column("report_ticket", sa.Column(column, sa.Integer(), nullable=True))
        indexes = {index["name"] for index in inspector.get_indexes("report_ticket")}
        for name, columns_ in _INDEXES.items():
            if f"ix_report_ticket_{name}" not in indexes:
                op.create_index(f"ix_report_ticket_{name}", "report_ticket", columns_)
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
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("report_rollup")
