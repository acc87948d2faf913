"""Times as people read them in a list: "5 min ago", "in 2 h", "3 Mar".

Every function takes ``now`` so screens pass the app's clock and snapshots stay frozen.
"""

from __future__ import annotations

from datetime import datetime

_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR


def _span(seconds: float) -> str:
    if seconds < _HOUR:
        return f"{max(1, int(seconds // _MINUTE))} min"
    if seconds < _DAY:
        return f"{int(seconds // _HOUR)} h"
    return f"{int(seconds // _DAY)} d"


def relative(when: datetime, now: datetime) -> str:
    """How long ago ``when`` was: "just now", "5 min ago", "3 h ago", "4 d ago", "3 Mar 2024"."""
    seconds = (now - when).total_seconds()
    if seconds < _MINUTE:
        return "just now"
    if seconds < 30 * _DAY:
        return f"{_span(seconds)} ago"
    if when.year == now.year:
        return f"{when.day} {when:%b}"
    return f"{when.day} {when:%b %Y}"


def due(when: datetime | None, now: datetime) -> str:
    """A deadline from now: "in 2 h", "5 min late", or "" when there is none."""
    if when is None:
        return ""
    seconds = (when - now).total_seconds()
    if seconds >= 0:
        return f"in {_span(seconds)}"
    return f"{_span(-seconds)} late"


def badge(when: datetime | None, now: datetime) -> str:
    """A deadline in at most four cells, for narrow terminals: "45m", "2h", "3d", "late"."""
    if when is None:
        return ""
    seconds = (when - now).total_seconds()
    if seconds < 0:
        return "late"
    if seconds < _HOUR:
        return f"{max(1, int(seconds // _MINUTE))}m"
    if seconds < _DAY:
        return f"{int(seconds // _HOUR)}h"
    return f"{min(999, int(seconds // _DAY))}d"


def is_overdue(when: datetime | None, now: datetime) -> bool:
    return when is not None and when < now
