"""the queue's SLA due time is the earliest pending target, a next response's too

``sla_due_at`` (what the queue sorts by and the badge shows) was the first response's due
time until the first reply, then the resolution's: a customer's follow-up to an answered
ticket started a next-response clock that the queue never saw. A new column,
``reply_due_at``, holds the due time of the reply the customer is waiting for now (the
first response or a next response; none while paused), written by the desk's one clock
writer; ``sla_due_at`` becomes the earlier of it and the resolution's due time. A generated
column cannot change its expression in place, so it and its two indexes are made again.

Existing rows keep what they showed: ``reply_due_at`` starts as the pending first
response's due time; next responses appear as each ticket's clocks are recomputed (on its
next change, or for every open ticket with ``helpdesk sla recompute``).

Revision ID: 0016
Revises: 0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLA_DUE = (
    "CASE WHEN reply_due_at IS NOT NULL "
    "AND (resolution_due_at IS NULL OR reply_due_at < resolution_due_at) "
    "THEN reply_due_at ELSE resolution_due_at END"
)
"""Must stay equal to ``Ticket.sla_due_at``'s ``Computed`` expression in the models."""
OLD_SLA_DUE = (
    "CASE WHEN first_response_at IS NULL AND response_due_at IS NOT NULL "
    "THEN response_due_at ELSE resolution_due_at END"
)
"""Migration 0009's expression (for the downgrade)."""
INDEXES = {
    "ix_ticket_status_sla": ["status", "sla_due_at", "id"],
    "ix_ticket_assignee_status_sla": ["assignee_id", "status", "sla_due_at", "id"],
}
"""The queue's SLA order (migration 0009), made again over the new column."""


def _remake_due_column(expression: str) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name in INDEXES:
        op.drop_index(name, table_name="ticket")
    op.execute("ALTER TABLE ticket DROP COLUMN sla_due_at")
    if sqlite:
        op.execute(
            "ALTER TABLE ticket ADD COLUMN sla_due_at DATETIME "
            f"GENERATED ALWAYS AS ({expression}) VIRTUAL"
        )
    else:
        op.execute(
            "ALTER TABLE ticket ADD COLUMN sla_due_at TIMESTAMP WITH TIME ZONE "
            f"GENERATED ALWAYS AS ({expression}) STORED"
        )
    for name, columns in INDEXES.items():
        op.create_index(name, "ticket", columns)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    kind = "DATETIME" if sqlite else "TIMESTAMP WITH TIME ZONE"
    op.execute(f"ALTER TABLE ticket ADD COLUMN reply_due_at {kind}")
    op.execute(f"ALTER TABLE ticket ADD COLUMN reply_started_at {kind}")
    op.execute(
        "UPDATE ticket SET reply_due_at = response_due_at, reply_started_at = created_at "
        "WHERE first_response_at IS NULL AND response_due_at IS NOT NULL "
        "AND status NOT IN ('resolved', 'closed')"
    )
    _remake_due_column(SLA_DUE)


def downgrade() -> None:
    _remake_due_column(OLD_SLA_DUE)
    op.execute("ALTER TABLE ticket DROP COLUMN reply_started_at")
    op.execute("ALTER TABLE ticket DROP COLUMN reply_due_at")
