"""Times as people read them in a list: "5 min ago", "in 2 h", "3 Mar"; and a time as it
happened, its zone named: "2026-12-07 13:40 CET".

Every relative function takes ``now`` so screens pass the app's clock and snapshots stay
frozen. The absolute ones (:func:`stamp`, :func:`day`, :func:`clock_time`) are the one rule
for a date printed to a person, by the CLI and the TUI alike: in the local zone (``TZ``, as
the TUI's clock-of-day lines have it), the zone named, so "13:40" is never read as UTC
when it is CET (a machine kept on UTC says "UTC"). JSON says ISO 8601 UTC instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

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


def _from_now(when: datetime | None, now: datetime, span: Callable[[float], str]) -> str:
    if when is None:
        return ""
    seconds = (when - now).total_seconds()
    return f"in {span(seconds)}" if seconds >= 0 else f"{span(-seconds)} late"


def due(when: datetime | None, now: datetime) -> str:
    """A deadline from now: "in 2 h", "5 min late", or "" when there is none."""
    return _from_now(when, now, _span)


def _span_exact(seconds: float) -> str:
    minutes = max(1, int(seconds // _MINUTE))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, rest = divmod(minutes // 60, 24)
    return f"{days} d {rest} h" if rest else f"{days} d"


def due_exact(when: datetime | None, now: datetime) -> str:
    """A deadline from now in two units, where a panel has the room: "in 2 h 50 min",
    "in 3 d 4 h", "1 h 5 min late" (:func:`due` would say "in 2 h" with 2 h 50 min left)."""
    return _from_now(when, now, _span_exact)


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


def _local(when: datetime) -> datetime:
    """``when`` in the local zone (a naive one is UTC: every time the desk keeps is)."""
    return (when if when.tzinfo is not None else when.replace(tzinfo=UTC)).astimezone()


def stamp(when: datetime, *, seconds: bool = False) -> str:
    """A moment, in the local zone with the zone named: "2026-12-07 13:40 CET"
    ("2026-12-07 13:40:05 CET" with ``seconds``)."""
    local = _local(when)
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def day(when: datetime) -> str:
    """The local day of a moment: "2026-12-07"."""
    return f"{_local(when):%Y-%m-%d}"


def clock_time(when: datetime) -> str:
    """The local time of day of a moment, the zone named: "13:40 CET"."""
    return f"{_local(when):%H:%M %Z}"
