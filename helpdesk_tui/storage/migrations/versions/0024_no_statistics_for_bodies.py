"""no planner statistics for bodies and blobs on PostgreSQL: a cheaper ANALYZE after a load

The desk analyzes the tables a bulk load changed (the demo, an import), so the planner
knows the data's new shape (issue 10). ``ANALYZE`` samples up to 30,000 rows of a table and
computes statistics for every column; for message bodies, raw mail, attachments, address
lists and event values that is work no plan uses: no query filters, sorts, groups or joins
on them. Their statistics target is set to 0, so ``ANALYZE`` skips them (statistics already
gathered stay as they are, unused). Every other column keeps its statistics, and so do the
full-text indexes' expressions (``to_tsvector(… body …)``): those are the index's own
statistics, which the planner reads to estimate how many rows a search matches.

One query does name a body in its ``WHERE``: a ticket's rating note (``ticket_reads.
ticket_rating``: ``body LIKE 'Satisfaction rating n/5%'`` beside ``ticket_id =``); it is
read through the ticket's index of messages whatever the body's estimate. SQLite keeps no
statistics per column: there this changes nothing.

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_STATISTICS: dict[str, tuple[str, ...]] = {
    "message": (
        "subject",
        "body",
        "body_html",
        "to_addresses",
        "cc_addresses",
        "in_reply_to",
        "references",
    ),
    "event": ("old_value", "new_value"),
    "raw_message": ("content",),
    "attachment": ("content",),
    "outbox": ("body", "to_addresses", "cc_addresses", "references"),
}
"""Columns no query filters, sorts, groups or joins on, by table (tables of ``0001``, which
every revision builds on: this one runs after them whatever the order of the branches)."""


def _set(target: int) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in NO_STATISTICS.items():
        changes = ", ".join(
            f'ALTER COLUMN "{column}" SET STATISTICS {target}' for column in columns
        )
        op.execute(f"ALTER TABLE {table} {changes}")


def upgrade() -> None:
    _set(0)


def downgrade() -> None:
    _set(-1)  # the default target again
