"""the report tables are read again: business minutes and reopen rates by today's rules

Reports count a ticket's first response and resolution in business minutes without the
time its SLA clock pauses (waiting on the customer, resolved before a reopening), and a
ticket reopened since its resolution counts in the reopen rate at once. Rows already in the
report tables were written by the earlier rules, and a ticket's row is written again only
when the ticket changes. The catch-up's watermark goes back to 0, as a change to an SLA
policy or calendar does (``report_service.replay_everything``): the next catch-up (the
mail runner's SLA pass, or the next report) replays every ticket once.

Revision ID: 0037
Revises: 0036
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0037"
down_revision: str | tuple[str, ...] | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE report_state SET value = 0 WHERE name = 'events_read'")


def downgrade() -> None:
    op.execute("UPDATE report_state SET value = 0 WHERE name = 'events_read'")
