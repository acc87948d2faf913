"""a ticket's events are indexed in the order they were written: ``event (ticket_id, id)``

A ticket's screen reads its newest 200 changes first (``ticket_detail(latest=...)``: the
ticket's events by id, newest first). The only index by ticket, ``ix_event_ticket_version``,
is ``(ticket_id, ticket_version)``, and a merge moves the source's events in with the
versions they had, so version order is not id order: each opening of a ticket read all its
events and sorted them in a temporary B-tree (SQLite) or a Sort (PostgreSQL) to keep 200.
``ix_event_ticket_id (ticket_id, id)`` gives them in id order, so that read walks back from
the ticket's newest event and stops after 200, and the whole history's read (by id too)
sorts nothing. ``ix_event_ticket_version`` stays: ``history.since_version`` and the
version checks read by version. About 0.6 s on the 100k demo desk (SQLite, 1.08M events;
``helpdesk db upgrade`` 1.7 s with its start).

Revision ID: 0036
Revises: 0035
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0036"
down_revision: str | tuple[str, ...] | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_event_ticket_id", "event", ["ticket_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_event_ticket_id", table_name="event")
