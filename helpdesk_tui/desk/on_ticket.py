"""One agent on a ticket now (a presence marker's value): no database code, so the queue's
values and a CLI verb that checks a reply's collision import it alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from helpdesk_tui.storage.enums import Activity


@dataclass(frozen=True)
class OnTicket:
    login: str
    name: str
    activity: Activity
    since: datetime
    session_id: str
