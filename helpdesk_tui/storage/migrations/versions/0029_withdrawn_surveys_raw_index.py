"""a survey the desk decided not to send is ``withdrawn``, not ``failed``

Until now a survey given up on purpose (the reply that resolved the ticket was not
delivered, or mail to the address bounced for good) was marked ``failed`` with
``last_error`` "survey not sent: <why>", so it was listed and counted among the outgoing
mail that did not get through, and an agent could re-send it. Such rows become
``withdrawn`` with the reason alone in ``last_error``; the status column (``String(10)``)
holds the new value as it is. Plain SQL, the same on SQLite and PostgreSQL.

And ``mail_processed`` gets an index on ``raw_message_id``: a message whose exact bytes were
processed before is a copy even when its key differs (the content hash in the key changed
between versions: flowed text, escape sequences, ``data:`` images, ``winmail.dat``), and
intake finds those rows by the raw message (``desk/intake_rows.Lookups.load``).

Revision ID: 0029
Revises: 0008 (the outbox's delivery states)
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PREFIX = "survey not sent: "


def upgrade() -> None:
    op.create_index("ix_mail_processed_raw_message", "mail_processed", ["raw_message_id"])
    op.execute(
        "UPDATE outbox SET status = 'withdrawn',"
        f" last_error = substr(last_error, {len(_PREFIX) + 1})"
        f" WHERE kind = 'survey' AND status = 'failed' AND last_error LIKE '{_PREFIX}%'"
    )


def downgrade() -> None:
    op.execute(
        f"UPDATE outbox SET status = 'failed', last_error = '{_PREFIX}' || last_error"
        " WHERE status = 'withdrawn'"
    )
    op.drop_index("ix_mail_processed_raw_message", table_name="mail_processed")
