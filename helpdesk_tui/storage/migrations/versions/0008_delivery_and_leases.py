"""delivery states and lease holders: outbox bounces (DSN), lease host and pid

The outbox's life cycle gets its own words: ``pending`` becomes ``queued`` (never tried) or
``retrying`` (tried, waiting for the next try); ``bounced`` rows keep the DSN's ``Status``
and ``Diagnostic-Code``. A lease row names the host and process that holds it, so a process
on the same host can tell that the holder is gone and take over at once.

Revision ID: 0008
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dsn_status", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("dsn_diagnostic", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("bounced_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE outbox SET status = 'queued' WHERE status = 'pending' AND attempts = 0")
    op.execute("UPDATE outbox SET status = 'retrying' WHERE status = 'pending'")
    with op.batch_alter_table("lease", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lease", schema=None) as batch_op:
        batch_op.drop_column("pid")
        batch_op.drop_column("host")
    op.execute("UPDATE outbox SET status = 'pending' WHERE status IN ('queued', 'retrying')")
    op.execute("UPDATE outbox SET status = 'failed' WHERE status = 'bounced'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("bounced_at")
        batch_op.drop_column("dsn_diagnostic")
        batch_op.drop_column("dsn_status")
