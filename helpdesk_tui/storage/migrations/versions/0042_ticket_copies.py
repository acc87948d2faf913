"""the people a customer copies stay on the ticket

``ticket_copy``: the To/Cc addresses of a ticket's mail that are neither the desk's nor the
requester's nor a machine's, and those an agent added; an agent's reply goes to them in Cc
(``desk/copies``). One row per ticket and address (lower-case); a merge keeps the union,
``contact forget`` removes the address.

Revision ID: 0042
Revises: 0040
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from helpdesk_tui.storage.types import UTCDateTime

revision: str = "0042"
down_revision: str | tuple[str, ...] | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_copy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "address"),
    )
    op.create_index("ix_ticket_copy_ticket_id", "ticket_copy", ["ticket_id"])
    op.create_index("ix_ticket_copy_address", "ticket_copy", ["address"])


def downgrade() -> None:
    op.drop_index("ix_ticket_copy_address", table_name="ticket_copy")
    op.drop_index("ix_ticket_copy_ticket_id", table_name="ticket_copy")
    op.drop_table("ticket_copy")
