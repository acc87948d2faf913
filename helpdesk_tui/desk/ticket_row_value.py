"""One line of a queue, as a plain value: what every ticket write hands back.

Apart from :mod:`helpdesk_tui.desk.queue_values` (which re-exports it) so that a ticket
write, which returns the changed ticket's row, does not import the queue's seven other
values (each frozen dataclass costs ≈ 0.5 ms of a CLI verb's start). No database code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from helpdesk_tui.desk.statuses import OPEN_STATUSES


@dataclass(frozen=True)
class TicketRow:
    """One line of a queue: enough to show and sort, nothing more."""

    id: int
    number: int
    subject: str
    status: str
    priority: str
    type: str
    category: str | None
    tier: int
    requester_name: str
    requester_email: str | None
    assignee: str | None
    team: str | None
    created_at: datetime
    updated_at: datetime
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_at: datetime | None
    version: int
    reply_due_at: datetime | None = None
    """The pending reply's due time (first or next response), if a reply is pending."""
    reply_started_at: datetime | None = None
    sla_due_at: datetime | None = None
    """The earliest pending target (the database's ``sla_due_at``: the queue's SLA order)."""
    sla_alert_at: datetime | None = None
    """When the ticket's next SLA alert is due (its policy's warning time, or the breach once
    warned): where the queue's SLA badge turns to a warning, as the alert mail goes."""

    @property
    def next_due(self) -> datetime | None:
        """The SLA deadline still running: the earliest of a pending reply's (first or next
        response) and the resolution's; none while paused.

        None once the ticket is resolved or closed, so a met deadline never shows as late.
        """
        if self.status not in OPEN_STATUSES:
            return None
        return self.sla_due_at

    @property
    def due_started_at(self) -> datetime:
        """When the clock of :attr:`next_due` started (the warning is a share of it)."""
        if self.sla_due_at is not None and self.sla_due_at == self.reply_due_at:
            return self.reply_started_at or self.created_at
        return self.created_at

    def as_json(self) -> dict[str, Any]:
        data = self.__dict__.copy()
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        return data
