"""How a deadline looks in a list: a pure function of its start, due time and now.

Apart from :mod:`helpdesk_tui.desk.sla` (calendars, policies, clocks), which it is part of,
so that drawing the queue does not load the SLA rules.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

DEFAULT_WARN_PERCENT = 75
"""Share of a target elapsed at which a clock shows (and alerts) as a warning: a policy's
default, and ``[ui] sla_warn_percent``'s."""


class DueLevel(StrEnum):
    """How a deadline looks on screen: no deadline, fine, nearly due, overdue."""

    NONE = "none"
    OK = "ok"
    WARNING = "warning"
    OVERDUE = "overdue"


def due_level(
    start: datetime,
    due: datetime | None,
    now: datetime,
    *,
    warn_percent: int,
    alert_at: datetime | None = None,
) -> DueLevel:
    """The level of a deadline running since ``start``.

    With ``alert_at``, the ticket's next SLA alert (``sla_alert_at``: the warning time its
    policy sets, in business time, while that warning is to come; the breach once it was
    given) or one clock's warning time (the ticket's side panel, a line for each clock:
    ``sla_clock.warn_times``), the deadline is nearly due exactly when the alerts say so:
    from the warning time on. Without it, by the share of wall time elapsed
    (``warn_percent``: the terminal's ``[ui] sla_warn_percent``, which every list that
    shows a deadline passes, the queue's badge and the ticket's side panel alike).
    """
    if due is None:
        return DueLevel.NONE
    if now >= due:
        return DueLevel.OVERDUE
    if alert_at is not None:
        # Owed (its time has come) or given (the next alert is the breach): nearly due.
        return DueLevel.WARNING if alert_at <= now or alert_at >= due else DueLevel.OK
    if due > start and (now - start) / (due - start) * 100 >= warn_percent:
        return DueLevel.WARNING
    return DueLevel.OK
