"""the addresses that bounced for good, whichever way the report named them

A survey is withdrawn when mail to its address bounced for good. That was seen only through
an outgoing mail marked ``bounced``; a delivery report that names only the recipient (no
outgoing mail matched) withdrew the surveys waiting then, and a survey queued later to the
same address went out. ``mail_bounced_address`` keeps each address's last hard bounce, both
ways; it starts with the bounced outgoing mail to one address (not ``4.x.x``). Plain SQL
for the copy, the same on SQLite and PostgreSQL.

Revision ID: 0030
Revises: 0029 (withdrawn surveys)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from helpdesk_tui.storage.types import UTCDateTime

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_bounced_address",
        sa.Column("address", sa.String(320), primary_key=True),
        sa.Column("dsn_status", sa.String(20), nullable=True),
        sa.Column("bounced_at", UTCDateTime(), nullable=False),
    )
    hard = (
        "o.status = 'bounced' AND o.bounced_at IS NOT NULL"
        " AND COALESCE(o.dsn_status, '') NOT LIKE '4%'"
        " AND o.to_addresses NOT LIKE '%,%' AND length(o.to_addresses) <= 320"
    )
    op.execute(
        "INSERT INTO mail_bounced_address (address, dsn_status, bounced_at)"
        " SELECT lower(trim(o.to_addresses)), o.dsn_status, o.bounced_at FROM outbox o"
        f" WHERE {hard} AND NOT EXISTS (SELECT 1 FROM outbox l WHERE"
        " lower(trim(l.to_addresses)) = lower(trim(o.to_addresses))"
        f" AND {hard.replace('o.', 'l.')}"
        " AND (l.bounced_at > o.bounced_at OR (l.bounced_at = o.bounced_at AND l.id > o.id)))"
    )


def downgrade() -> None:
    op.drop_table("mail_bounced_address")
