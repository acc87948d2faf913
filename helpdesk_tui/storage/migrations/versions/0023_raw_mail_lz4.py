"""raw mail compressed with lz4 on PostgreSQL: the poller's server time per message

Every incoming message's raw bytes (``raw_message.content``) and its attachments
(``attachment.content``) are stored, and PostgreSQL compresses such values with its own
``pglz`` by default: in the mail ingest benchmark (2,000 messages, 11.6 MB) that was
0.2 to 0.4 s of the server's 1.1 s, on the poller's path (it waits for each statement).
``lz4`` compresses these values several times faster for a slightly larger result. Only
values written from now on are compressed so; stored ones stay as they are, readable as
before. PostgreSQL 14 or later built with lz4 (as the common packages are); otherwise, and
on SQLite (which compresses nothing), this changes nothing.

Revision ID: 0023
Revises: 0021
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (("raw_message", "content"), ("attachment", "content"))


def _pg_has_lz4() -> bool:
    return bool(
        op.get_bind()
        .exec_driver_sql(
            "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
            "AND 'lz4' = ANY(enumvals)"
        )
        .scalar()
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql" or not _pg_has_lz4():
        return
    for table, column in _COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql" or not _pg_has_lz4():
        return
    for table, column in _COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION DEFAULT")
