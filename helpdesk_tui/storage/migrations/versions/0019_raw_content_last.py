"""raw_message.content becomes the table's last column (nullable), for big messages

SQLite writes a ``zeroblob(n)`` page by page only when it is the last column of the row;
otherwise it builds the whole record (30 MB for a 30 MB message) in memory. Moving the
column needs it re-added, and SQLite adds a NOT NULL column only with a default, so it is
nullable now (the writer always fills it). PostgreSQL has no such limit: there the column
only drops its NOT NULL, to match.

Revision ID: 0019
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("raw_message", "content", existing_type=sa.LargeBinary(), nullable=True)
        return
    op.execute("ALTER TABLE raw_message RENAME COLUMN content TO content_before_0019")
    op.execute("ALTER TABLE raw_message ADD COLUMN content BLOB")
    op.execute("UPDATE raw_message SET content = content_before_0019")
    op.execute("ALTER TABLE raw_message DROP COLUMN content_before_0019")


def downgrade() -> None:
    # SQLite keeps the column where it is (a NOT NULL cannot be added back in place).
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("raw_message", "content", existing_type=sa.LargeBinary(), nullable=False)
