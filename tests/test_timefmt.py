from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpdesk_tui.timefmt import (
    badge,
    clock_time,
    day,
    due,
    due_exact,
    is_overdue,
    relative,
    stamp,
)
from tests.clocks import local_zone

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def test_relative_times() -> None:
    assert relative(NOW - timedelta(seconds=20), NOW) == "just now"
    assert relative(NOW + timedelta(seconds=20), NOW) == "just now"  # clocks a little apart
    assert relative(NOW - timedelta(minutes=5, seconds=59), NOW) == "5 min ago"
    assert relative(NOW - timedelta(hours=3, minutes=59), NOW) == "3 h ago"
    assert relative(NOW - timedelta(days=4), NOW) == "4 d ago"
    assert relative(datetime(2025, 1, 2, tzinfo=UTC), NOW) == "2 Jan"
    assert relative(datetime(2023, 11, 30, tzinfo=UTC), NOW) == "30 Nov 2023"


def test_deadlines() -> None:
    assert due(None, NOW) == ""
    assert due(NOW + timedelta(hours=2, minutes=10), NOW) == "in 2 h"
    assert due(NOW - timedelta(minutes=5), NOW) == "5 min late"
    assert is_overdue(NOW - timedelta(seconds=1), NOW)
    assert not is_overdue(NOW + timedelta(seconds=1), NOW)
    assert not is_overdue(None, NOW)


def test_a_panels_deadline_says_two_units() -> None:
    """The side panel's "Solve by in 2 h" read as two hours with 2 h 50 min left."""
    assert due_exact(None, NOW) == ""
    assert due_exact(NOW + timedelta(seconds=10), NOW) == "in 1 min"
    assert due_exact(NOW + timedelta(minutes=45, seconds=59), NOW) == "in 45 min"
    assert due_exact(NOW + timedelta(hours=2, minutes=50, seconds=30), NOW) == "in 2 h 50 min"
    assert due_exact(NOW + timedelta(hours=3), NOW) == "in 3 h"
    assert due_exact(NOW + timedelta(days=3, hours=4, minutes=59), NOW) == "in 3 d 4 h"
    assert due_exact(NOW + timedelta(days=2), NOW) == "in 2 d"
    assert due_exact(NOW - timedelta(hours=1, minutes=5), NOW) == "1 h 5 min late"


def test_badges_fit_four_cells() -> None:
    assert badge(None, NOW) == ""
    assert badge(NOW + timedelta(seconds=10), NOW) == "1m"
    assert badge(NOW + timedelta(minutes=45), NOW) == "45m"
    assert badge(NOW + timedelta(hours=2, minutes=59), NOW) == "2h"
    assert badge(NOW + timedelta(days=3), NOW) == "3d"
    assert badge(NOW + timedelta(days=5000), NOW) == "999d"
    assert badge(NOW - timedelta(seconds=1), NOW) == "late"


def test_a_moment_is_printed_in_the_local_zone_with_its_name() -> None:
    """Either side of a summer-time change; a naive moment is UTC (the desk keeps UTC)."""
    before = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # Berlin goes back at 01:00 UTC
    after = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert stamp(before) == "2026-10-25 00:30 UTC"
    with local_zone("Europe/Berlin"):
        assert stamp(before) == "2026-10-25 02:30 CEST"
        assert stamp(after, seconds=True) == "2026-10-25 02:30:00 CET"
        assert stamp(after.replace(tzinfo=None)) == "2026-10-25 02:30 CET"
        assert clock_time(after) == "02:30 CET"
    with local_zone("America/New_York"):
        assert stamp(before) == "2026-10-24 20:30 EDT"
        assert day(before) == "2026-10-24", "the local day, not UTC's"
        assert stamp(datetime(2026, 11, 2, 12, tzinfo=UTC)) == "2026-11-02 07:00 EST"
