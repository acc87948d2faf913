"""an opt-out outlives a forgotten contact, as the hash of its address

``helpdesk contact forget`` erases a customer's contact row, and ``survey_opt_out`` (keyed
by the contact) went with it: mail from the same address later made a new contact that was
surveyed again. ``survey_opt_out_hash`` keeps the sha256 of the address of each forgotten
contact who had opted out, and the survey rule reads it.

Revision ID: 0039
Revises: 0037
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039"
down_revision: str | tuple[str, ...] | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_opt_out_hash",
        sa.Column("address_hash", sa.String(64), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("survey_opt_out_hash")
