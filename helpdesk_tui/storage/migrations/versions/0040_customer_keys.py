"""a customer's held mail and the history naming them are read by key

``helpdesk contact show | export | forget`` look for a customer's held mail (spam, machine
mail, quarantine) by ``lower(from_address)`` (``lower(from_hint)``): those rows are never
purged (a release or a retry only marks them), so the tables grow with the desk's life and
each look read all of them. Expression indexes on exactly those expressions (SQLite 3.9+
and PostgreSQL) make each a key lookup.

``export`` and ``forget`` also read every event of the desk (``LIKE`` on its values) for
the ones naming the address; they now read the events of the tickets that name them by
ticket id, and find the tickets whose history names them as requester or ``Reply-To`` (an
address changed away: the ticket no longer says so) by these two partial indexes, which
hold only those events (``field IN ('requester', 'reply_to')``: a few per thousand tickets,
none in the demo's load, so seeding pays nothing for them).

Revision ID: 0040
Revises: 0039
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040"
down_revision: str | tuple[str, ...] | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ADDRESS_FIELDS = "field IN ('requester', 'reply_to')"
_HELD = {
    "ix_mail_spam_from": ("mail_spam", "from_address"),
    "ix_mail_machine_from": ("mail_machine", "from_address"),
    "ix_mail_quarantine_from": ("mail_quarantine", "from_hint"),
}


def upgrade() -> None:
    for name, (table, column) in _HELD.items():
        op.create_index(name, table, [sa.text(f"lower({column})")])
    for name, column in (
        ("ix_event_address_old", "old_value"),
        ("ix_event_address_new", "new_value"),
    ):
        op.create_index(
            name,
            "event",
            [column],
            sqlite_where=sa.text(_ADDRESS_FIELDS),
            postgresql_where=sa.text(_ADDRESS_FIELDS),
        )


def downgrade() -> None:
    for name in ("ix_event_address_new", "ix_event_address_old"):
        op.drop_index(name, table_name="event")
    for name, (table, _column) in _HELD.items():
        op.drop_index(name, table_name=table)
