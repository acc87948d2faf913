"""The desk's fixed values, for screens, widgets and the CLI: they import these from here,
never from ``storage`` (the tables happen to store them, but they are the desk's words).
Plain values, no database code: importing them costs no SQLAlchemy."""

from __future__ import annotations

from helpdesk_tui.storage.enums import (
    PRIORITY_RANK,
    Activity,
    Channel,
    MessageKind,
    OutboxStatus,
    Priority,
    Role,
    Status,
    TicketType,
    utcnow,
)

RATED = "rated"
"""The event kind of a satisfaction rating; ``new`` is the score 1 to 5 (a report counts
it without importing a ticket's reads)."""

SLA_ALERT_KINDS = {"warning": "sla_warning", "breach": "sla_breach"}
"""The event kind of an SLA alert by its level; ``new`` says which clock and when it was due
("reply nearly due (due 13:40 CET)"), which a ticket's history shows after "SLA:"."""

__all__ = [
    "PRIORITY_RANK",
    "RATED",
    "SLA_ALERT_KINDS",
    "Activity",
    "Channel",
    "MessageKind",
    "OutboxStatus",
    "Priority",
    "Role",
    "Status",
    "TicketType",
    "utcnow",
]
