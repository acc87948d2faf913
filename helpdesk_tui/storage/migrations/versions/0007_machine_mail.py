"""mail identity and machine mail: content hash per processed message, machine-mail holding
area, the reply address of a ticket

``mail_processed`` keeps the Message-ID (hashed, indexed) and a normalized content hash
beside the dedupe key, so a message that reuses a Message-ID with other content is told
apart from a copy. Rows written before this revision were keyed by Message-ID alone; their
``message_key`` is filled in and their ``content_hash`` left empty (a copy of such a
message still counts as a duplicate).

Revision ID: 0007
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mail_processed", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_mail_processed_message_key", ["message_key"], unique=False)
    # Before this revision the dedupe key of a message with a Message-ID was the ID itself.
    op.execute("UPDATE mail_processed SET message_key = key_hash WHERE dedupe_key LIKE '<%'")
    op.create_table(
        "mail_machine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("raw_message_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("mailbox", sa.String(length=40), nullable=True),
        sa.Column("from_address", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("diagnostic", sa.Text(), nullable=True),
        sa.Column("about_message_id", sa.String(length=998), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=100), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["raw_message_id"], ["raw_message.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mail_machine", schema=None) as batch_op:
        batch_op.create_index("ix_mail_machine_open", ["released_at", "id"], unique=False)
    op.add_column("ticket", sa.Column("reply_to", sa.String(length=320), nullable=True))


def downgrade() -> None:
    op.drop_column("ticket", "reply_to")  # not a batch: SQLite keeps the FTS triggers
    op.drop_table("mail_machine")
    with op.batch_alter_table("mail_processed", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_processed_message_key")
        batch_op.drop_column("content_hash")
        batch_op.drop_column("message_key")
