"""references to rows the desk deletes are indexed: a ticket's deletion reads no table whole

Deleting a ticket (``helpdesk ticket delete``, a customer forgotten) deletes its messages
and the raw mail nothing else holds, and the database then finds every row pointing at each
of them: tickets merged into it (``ticket.merged_into_id``), the mail-read records
(``mail_processed.ticket_id`` and ``message_id``), held mail (``mail_machine``,
``mail_quarantine``, ``mail_spam``: ``ticket_id`` and ``raw_message_id``) and messages of
that raw mail (``message.raw_message_id``). None of those columns led an index, so each
deleted row read the whole referencing table: one ticket of the 100k demo desk took
≈ 100 ms for the merge reference alone (≈ 1 s at 1M tickets, with the write lock held),
and on a desk that has read a million mails each deleted message read all their records.
The references that may be NULL are partial indexes (``IS NOT NULL``): never-merged
tickets and messages without raw mail, most of a desk, are not in them and cost nothing
to write (``storage.table.reference_index``).

Revision ID: 0043
Revises: 0042
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0043"
down_revision: str | tuple[str, ...] | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PARTIAL = (
    ("ix_ticket_merged_into", "ticket", "merged_into_id"),
    ("ix_message_raw_message", "message", "raw_message_id"),
    ("ix_mail_processed_ticket", "mail_processed", "ticket_id"),
    ("ix_mail_processed_message", "mail_processed", "message_id"),
    ("ix_mail_machine_ticket", "mail_machine", "ticket_id"),
    ("ix_mail_quarantine_ticket", "mail_quarantine", "ticket_id"),
    ("ix_mail_spam_ticket", "mail_spam", "ticket_id"),
)
_WHOLE = (
    ("ix_mail_machine_raw_message", "mail_machine", "raw_message_id"),
    ("ix_mail_quarantine_raw_message", "mail_quarantine", "raw_message_id"),
    ("ix_mail_spam_raw_message", "mail_spam", "raw_message_id"),
)


def upgrade() -> None:
    for name, table, column in _PARTIAL:
        condition = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, table, [column], sqlite_where=condition, postgresql_where=condition)
    for name, table, column in _WHOLE:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _column in (*_PARTIAL, *_WHOLE):
        op.drop_index(name, table_name=table)
