"""each ticket keeps when its next SLA alert is due: ``ticket.sla_alert_at``, indexed

The SLA pass (warnings and breach alerts) explained every running ticket due within 14 days
whose clocks were not all alerted to the end, on every change of the desk: ≈ 1 s of CPU at
1M demo tickets (9,851 tickets) for one reply anywhere. Now the desk's clock writer
(``desk/sla_clock``) keeps, per ticket, when its next alert is due — a running clock's
warning time while its warning was not given, else its due time while its breach was not —
and the pass reads only the tickets whose time came, by a partial index over the tickets
that have one (``WHERE sla_alert_at IS NOT NULL``: closed, resolved, waiting and fully
alerted tickets cost no key).

Existing tickets get a value never later than their next alert, from what the row and its
alerts (``sla_notice``) hold: per pending clock (the pending reply's, the resolution's) of a
running ticket, nothing when its breach was alerted at that due time, the due time when its
warning was, else the clock's start (its warning comes after it). A start already past makes
the ticket's first pass after the upgrade look at it once (explain it, give what is owed —
an alert long past only recorded, ``sla_alerts.STALE`` — and store its exact next time), as
every pass did before. About 1 s on the 1M demo desk (SQLite).

Revision ID: 0033
Revises: 0028, 0016, 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
# 0016: the pending reply's due time and start; 0013: the alerts given (``sla_notice``)
down_revision: str | tuple[str, ...] | None = ("0028", "0016", "0013")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = "sla_alert_at IS NOT NULL"
"""Must stay equal to ``models.SLA_ALERT_PENDING``."""
_RUNNING = "('new', 'open', 'in_progress', 'on_hold')"
"""The open statuses whose clocks count (``waiting`` pauses them)."""


def _clock(due: str, start: str) -> str:
    """The lower bound of one pending clock's next alert (NULL: none to come)."""

    def notice(level: str) -> str:
        return (
            "EXISTS (SELECT 1 FROM sla_notice n WHERE n.ticket_id = ticket.id "
            f"AND n.level = '{level}' AND n.due_at = {due})"
        )

    return (
        f"CASE WHEN {due} IS NULL THEN NULL WHEN {notice('breach')} THEN NULL "
        f"WHEN {notice('warning')} THEN {due} ELSE {start} END"
    )


def _earlier(a: str, b: str) -> str:
    """The earlier of two nullable times (SQLite's ``min`` is NULL when one is)."""
    return (
        f"CASE WHEN ({a}) IS NULL THEN ({b}) WHEN ({b}) IS NULL OR ({a}) < ({b}) "
        f"THEN ({a}) ELSE ({b}) END"
    )


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    kind = "DATETIME" if sqlite else "TIMESTAMP WITH TIME ZONE"
    op.execute(f"ALTER TABLE ticket ADD COLUMN sla_alert_at {kind}")
    reply = _clock("reply_due_at", "COALESCE(reply_started_at, created_at)")
    resolution = _clock("resolution_due_at", "created_at")
    op.execute(
        f"UPDATE ticket SET sla_alert_at = {_earlier(reply, resolution)} WHERE status IN {_RUNNING}"
    )
    op.create_index(
        "ix_ticket_sla_alert",
        "ticket",
        ["sla_alert_at"],
        sqlite_where=sa.text(_PENDING),
        postgresql_where=sa.text(_PENDING),
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_sla_alert", table_name="ticket")
    op.execute("ALTER TABLE ticket DROP COLUMN sla_alert_at")
