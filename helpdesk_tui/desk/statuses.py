"""Statuses: which may follow which (checked here, never in a screen), their order, and
how people read them. The one place status words and lists live."""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpdesk_tui.desk.errors import InvalidTransition, InvalidValue, PermissionDenied
from helpdesk_tui.storage.enums import Role, Status

if TYPE_CHECKING:
    from helpdesk_tui.desk.actors import Actor

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

ALL_STATUSES: tuple[str, ...] = tuple(status.value for status in Status)
"""Every status, in workflow order."""
STATUS_RANK: dict[str, int] = {status: rank for rank, status in enumerate(ALL_STATUSES)}
"""Statuses sort in workflow order, not alphabetically (the only status order there is)."""

OPEN_STATUSES: tuple[str, ...] = tuple(s.value for s in Status if s is Status.NEW or s in _WORKING)
"""Statuses of tickets that still need somebody, in workflow order (not a set's order)."""

REOPENED_BY_CUSTOMER = frozenset({Status.WAITING, Status.RESOLVED})
"""A customer message on a ticket in one of these statuses sets it back to open."""


ASK_BEFORE = frozenset({Status.CLOSED})
"""Statuses every front door confirms before setting: closing is final for an agent."""

REOPENERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
"""Who may take a closed ticket back to open (with a reason, recorded in an event)."""


ARTICLE_FROM = frozenset({Status.RESOLVED, Status.CLOSED})
"""Statuses of a ticket whose answer may become a knowledge-base article: it worked."""


def becomes_article(status: Status | str) -> bool:
    """Whether a ticket in ``status`` may be turned into a draft article (``kb_from_ticket``):
    the check the action makes, and what the palette offers it by."""
    return status in ARTICLE_FROM


def asks_before(new: Status) -> bool:
    """Whether a person must confirm this status before it is set (scripts say ``--yes``)."""
    return new in ASK_BEFORE


def takes_from(assignee: str | None, actor: Actor) -> str | None:
    """The colleague whose ticket ``actor`` would take with "mine" (one key), whom a person
    is asked about first; None when the ticket is nobody's or already the actor's. (Picking
    an agent by name, or ``ticket assign --to``, is the choice itself.)"""
    return assignee if assignee and assignee != actor.name else None


def may_reopen(actor: Actor) -> bool:
    """Whether ``actor`` may reopen a closed ticket (the system may, for completeness)."""
    return actor.is_system or actor.role in REOPENERS


def require_reopener(actor: Actor, number: int | None = None) -> None:
    """Refuse, in one line, an actor who may not reopen (``number``: which ticket, if one)."""
    if not may_reopen(actor):
        what = f"#{number}" if number is not None else "a closed ticket"
        raise PermissionDenied(
            f"only a supervisor or an admin can reopen {what}; {actor.name} is {actor.role}"
        )


def check_reopen(actor: Actor, number: int, old: Status) -> None:
    """A closed ticket opens again only by a supervisor's or an admin's explicit reopen."""
    if old is not Status.CLOSED:
        raise InvalidTransition(f"#{number} is {old.value}, not closed; there is nothing to reopen")
    require_reopener(actor, number)


def parse_status(value: str) -> Status:
    try:
        return Status(value.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        allowed = ", ".join(s.value for s in Status)
        raise InvalidValue(f"unknown status {value!r}; allowed: {allowed}") from None


def check_transition(number: int, old: Status, new: Status) -> None:
    if new not in ALLOWED[old]:
        if old is Status.CLOSED:
            raise InvalidTransition(
                f"#{number} is closed; a supervisor or an admin can reopen it "
                f"(helpdesk ticket reopen {number} --reason ...)"
            )
        allowed = ", ".join(sorted(s.value for s in ALLOWED[old])) or "none"
        raise InvalidTransition(
            f"#{number} cannot go from {old.value} to {new.value}; from {old.value}: {allowed}"
        )


SHORT_WORDS: dict[str, str] = {Status.IN_PROGRESS: "in prog", Status.RESOLVED: "solved"}
"""Statuses too long for a narrow queue column, as that column says them."""


def words(value: str) -> str:
    """A desk value (``in_progress``, ``service_request``) as people read it: ``in progress``."""
    return value.replace("_", " ")


def short_words(status: str) -> str:
    """A status in a narrow column (``in prog``); the others as :func:`words` says them."""
    return SHORT_WORDS.get(status, words(status))
