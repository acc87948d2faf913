"""the desk keeps an identity of its own: an agent's drafts are kept per desk

Drafts are files in each agent's data directory; until now nothing said which desk they
were written on, so a draft on one desk's #5 opened in the composer of another desk's #5.
The desk now keeps a random identity (``desk_setting`` ``desk.id``) and drafts are kept
under it. A backup carries it with the rest of the desk; a desk that lacks it (one made
otherwise) makes it on first use.

Revision ID: 0038
Revises: 0037
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | tuple[str, ...] | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    found = bind.execute(sa.text("SELECT 1 FROM desk_setting WHERE name = 'desk.id'")).first()
    if found is None:
        bind.execute(
            sa.text("INSERT INTO desk_setting (name, value) VALUES ('desk.id', :value)"),
            {"value": secrets.token_hex(16)},
        )


def downgrade() -> None:
    op.execute("DELETE FROM desk_setting WHERE name = 'desk.id'")
