"""The fixed values the tables store, and the clock's "now", with no database code.

Kept apart from ``models.py`` so that what only needs the values (the TUI's first paint,
the status words, the views) does not import SQLAlchemy; ``desk/kinds.py`` hands them to
screens and the CLI.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (every timestamp in the database is UTC)."""
    return datetime.now(UTC)


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
