"""How a deadline looks in a list: a pure function of its start, due time and now.

Apart from :mod:`helpdesk_tui.desk.sla` (calendars, policies, clocks), which it is part of,
so that drawing the queue does not load the SLA rules.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

DEFAULT_WARN_PERCENT = 75
"""Share of a target elapsed at which a clock shows (and alerts) as a warning."""


class DueLevel(StrEnum):
    """How a deadline looks on screen: no deadline, fine, nearly due, overdue."""

    NONE = "none"
    OK = "ok"
    WARNING = "warning"
    OVERDUE = "overdue"


def due_level(
    start: datetime, due: datetime | None, now: datetime, warn_percent: int = DEFAULT_WARN_PERCENT
) -> DueLevel:
    """The level of a deadline running since ``start``, by the share of wall time elapsed.

    (The exact business-time warning instant is :attr:`Clock.warn_at`; a list shows this
    cheaper measure, which needs no history.)
    """
    if due is None:
        return DueLevel.NONE
    if now >= due:
        return DueLevel.OVERDUE
    if due > start and (now - start) / (due - start) * 100 >= warn_percent:
        return DueLevel.WARNING
    return DueLevel.OK
