"""Status words and lists: one place, read the same by every screen and command."""

from __future__ import annotations

from helpdesk_tui.desk.kinds import Status
from helpdesk_tui.desk.statuses import (
    ALL_STATUSES,
    OPEN_STATUSES,
    STATUS_RANK,
    short_words,
    words,
)


def test_statuses_in_workflow_order() -> None:
    assert tuple(status.value for status in Status) == ALL_STATUSES
    assert ALL_STATUSES[0] == "new" and ALL_STATUSES[-1] == "closed"
    assert sorted(OPEN_STATUSES, key=STATUS_RANK.__getitem__) == list(OPEN_STATUSES)
    assert "resolved" not in OPEN_STATUSES


def test_words_people_read() -> None:
    assert words("in_progress") == "in progress"
    assert words("service_request") == "service request"
    assert short_words("in_progress") == "in prog"
    assert short_words("resolved") == "solved"
    assert short_words("on_hold") == "on hold"
