"""The fixed values the tables store, and the clock's "now", with no database code.

Kept apart from ``models.py`` so that what only needs the values (the TUI's first paint,
the status words, the views) does not import SQLAlchemy; ``desk/kinds.py`` hands them to
screens and the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from enum import StrEnum

_CLOCK: ContextVar[Callable[[], datetime] | None] = ContextVar("helpdesk_clock", default=None)
"""The clock of the desk operation running in this thread (``clock_of``); None: the wall's."""


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (every timestamp in the database is UTC): the clock the
    running operation was given (``clock_of``: the desk's, an intake's ``now``), else the
    wall clock.

    The one rule for the time a write stamps: a desk made with a clock (a test's fixed
    Monday, a terminal's) writes every row, event and outbox mail at that clock's time, not
    the wall's (a row queued at the wall's 09:00 was not yet due at the test's 08:00)."""
    clock = _CLOCK.get()
    if clock is None:
        return datetime.now(UTC)
    token = _CLOCK.set(None)  # (a clock that reads ``utcnow`` itself reads the wall's)
    try:
        return clock()
    finally:
        _CLOCK.reset(token)


@contextmanager
def clock_of(clock: Callable[[], datetime] | None) -> Iterator[None]:
    """``utcnow`` reads ``clock`` inside this block, in this thread (None: the wall clock)."""
    token = _CLOCK.set(None if clock is utcnow else clock)
    try:
        yield
    finally:
        _CLOCK.reset(token)


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


PRIORITY_RANK: dict[str, int] = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


class TicketType(StrEnum):
    INCIDENT = "incident"
    SERVICE_REQUEST = "service_request"
    QUESTION = "question"
    COMPLAINT = "complaint"


class Channel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    WEB = "web"
    MANUAL = "manual"


class MessageKind(StrEnum):
    CUSTOMER = "customer"
    REPLY = "reply"
    NOTE = "note"
    SYSTEM = "system"


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Activity(StrEnum):
    VIEWING = "viewing"
    REPLYING = "replying"


class OutboxStatus(StrEnum):
    """The life of one outgoing mail; this module owns every move between these."""

    QUEUED = "queued"
    """Written, never tried."""
    SENDING = "sending"
    """Claimed by the sender; found at start-up, it was interrupted and is sent again."""
    SENT = "sent"
    """The server accepted it."""
    RETRYING = "retrying"
    """A try failed for now (``last_error``); tried again at ``next_attempt_at``."""
    FAILED = "failed"
    """Given up: refused for good, or out of tries (``last_error`` says why)."""
    BOUNCED = "bounced"
    """Accepted, then returned by a delivery report (``dsn_status``, ``dsn_diagnostic``)."""
    WITHDRAWN = "withdrawn"
    """Not sent, on purpose: the desk decided it must not go (a survey after a reply that
    was not delivered, or to an address that bounced for good); ``last_error`` says why.
    Not undelivered mail: no failed-mail list or count shows it, and it is never re-sent."""


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Visibility(StrEnum):
    INTERNAL = "internal"
    """Agents only."""
    PUBLIC = "public"
    """Customers too, once published: the help site and acknowledgements."""
