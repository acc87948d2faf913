"""Which status may follow which. Checked here, never in a screen."""

from __future__ import annotations

from helpdesk_tui.desk.errors import InvalidTransition, InvalidValue
from helpdesk_tui.storage.models import Status

_WORKING = {Status.OPEN, Status.IN_PROGRESS, Status.WAITING, Status.ON_HOLD}

ALLOWED: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset(_WORKING | {Status.RESOLVED, Status.CLOSED}),
    Status.OPEN: frozenset(_WORKING - {Status.OPEN} | {Status.RESOLVED, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset(
        _WORKING - {Status.IN_PROGRESS} | {Status.RESOLVED, Status.CLOSED}
    ),
    Status.WAITING: frozenset(_WORKING - {Status.WAITING} | {Status.RESOLVED, Status.CLOSED}),
    Status.ON_HOLD: frozenset(_WORKING - {Status.ON_HOLD} | {Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

OPEN_STATUSES: tuple[str, ...] = tuple(s.value for s in (Status.NEW, *_WORKING))
"""Statuses of tickets that still need somebody."""

REOPENED_BY_CUSTOMER = frozenset({Status.WAITING, Status.RESOLVED})
"""A customer message on a ticket in one of these statuses sets it back to open."""


def parse_status(value: str) -> Status:
    try:
        return Status(value.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        allowed = ", ".join(s.value for s in Status)
        raise InvalidValue(f"unknown status {value!r}; allowed: {allowed}") from None


def check_transition(number: int, old: Status, new: Status) -> None:
    if new not in ALLOWED[old]:
        if old is Status.CLOSED:
            raise InvalidTransition(f"#{number} is closed; a closed ticket cannot change status")
        allowed = ", ".join(sorted(s.value for s in ALLOWED[old])) or "none"
        raise InvalidTransition(
            f"#{number} cannot go from {old.value} to {new.value}; from {old.value}: {allowed}"
        )
