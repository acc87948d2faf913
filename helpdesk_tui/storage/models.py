"""The helpdesk's tables.

The schema itself is owned by the Alembic migrations in ``storage/migrations``; these classes
describe the same tables for queries. A test checks that the two never drift apart.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Computed,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field

# The values live in ``enums.py`` (no SQLAlchemy there); they are still importable from here.
from helpdesk_tui.storage.enums import (
    PRIORITY_RANK as PRIORITY_RANK,
)
from helpdesk_tui.storage.enums import (
    Activity as Activity,
)
from helpdesk_tui.storage.enums import (
    Channel,
    Priority,
    Role,
    Status,
    TicketType,
    utcnow,
)
from helpdesk_tui.storage.enums import (
    MessageKind as MessageKind,
)
from helpdesk_tui.storage.table import Table, reference_index
from helpdesk_tui.storage.types import UTCDateTime


def _ts(*, nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Organization(Table, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    domain: str | None = Field(default=None, sa_column=Column(String(255), index=True))


class Contact(Table, table=True):
    """A customer: whoever asks for help, matched by email address."""

    id: int | None = Field(default=None, primary_key=True)
    email: str | None = Field(default=None, sa_column=Column(String(320), unique=True))
    name: str = Field(default="", sa_column=Column(String(200), nullable=False))
    phone: str | None = Field(default=None, sa_column=Column(String(50)))
    organization_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("organization.id", ondelete="SET NULL"), index=True),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Agent(Table, table=True):
    """A person who works tickets, identified by their OS login on the shared server."""

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    name: str = Field(default="", sa_column=Column(String(200), nullable=False))
    email: str | None = Field(default=None, sa_column=Column(String(320)))
    role: str = Field(default=Role.AGENT, sa_column=Column(String(20), nullable=False))
    skills: str = Field(default="", sa_column=Column(String(500), nullable=False))
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Team(Table, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    description: str = Field(default="", sa_column=Column(String(500), nullable=False))


class TeamMember(Table, table=True):
    __tablename__ = "team_member"

    team_id: int = Field(
        sa_column=Column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    )
    agent_id: int = Field(
        sa_column=Column(ForeignKey("agent.id", ondelete="CASCADE"), primary_key=True)
    )


class Counter(Table, table=True):
    """Named sequences; ``ticket_number`` hands out ticket numbers under a row lock."""

    name: str = Field(sa_column=Column(String(50), primary_key=True))
    value: int = Field(sa_column=Column(BigInteger, nullable=False))


QUEUE_KEYS: dict[str, tuple[str, ...]] = {
    "created": ("created_at", "id"),
    "number": ("number", "id"),
    "subject": ("subject", "id"),
    "priority": ("priority_rank", "id"),
    "requester": ("requester_sort", "id"),
    "assignee": ("assignee_sort", "id"),
    "sla": ("sla_due_at", "id"),
    "id": ("id",),
}
"""Index columns after the status for each queue order ("updated" has its own since 0001)."""
FILTER_COLUMNS = ("team_id", "category", "type", "priority")
"""Ticket columns the queue filters on, each with its own walk in the views' order."""
SLA_DUE = (
    "CASE WHEN reply_due_at IS NOT NULL "
    "AND (resolution_due_at IS NULL OR reply_due_at < resolution_due_at) "
    "THEN reply_due_at ELSE resolution_due_at END"
)
"""The earliest pending target: the pending reply's (first or next response) or the
resolution's; none while the clocks are paused (migration 0016)."""
SLA_ALERT_PENDING = "sla_alert_at IS NOT NULL"
"""The condition of ``ix_ticket_sla_alert`` (a partial index: must match migration 0033)."""
ADDRESS_FIELDS = "field IN ('requester', 'reply_to')"
"""The events whose values are whole addresses (a requester or ``Reply-To`` changed): the
condition of ``ix_event_address_old``/``_new`` (partial indexes, migration 0040), which a
read must write as this literal for SQLite's planner to use them."""


class Ticket(Table, table=True):
    __table_args__ = (
        Index("ix_ticket_status_updated", "status", "updated_at", "id"),
        Index("ix_ticket_assignee_status_updated", "assignee_id", "status", "updated_at", "id"),
        Index("ix_ticket_team_status_updated", "team_id", "status", "updated_at", "id"),
        Index("ix_ticket_updated", "updated_at", "id"),
        Index("ix_ticket_requester", "requester_id", "created_at"),
        reference_index("ix_ticket_merged_into", "merged_into_id"),
        # The SLA pass reads the tickets whose next alert has come (migration 0033): the
        # few with one to come, not every ticket (the column is empty for the rest).
        Index(
            "ix_ticket_sla_alert",
            "sla_alert_at",
            sqlite_where=text(SLA_ALERT_PENDING),
            postgresql_where=text(SLA_ALERT_PENDING),
        ),
        # Each filter of each view walks its own range in the views' order (migration
        # 0017), also under one assignee ("My open", "Unassigned"); the team's is above.
        *(
            Index(f"ix_ticket_{name}_status_updated", name, "status", "updated_at", "id")
            for name in FILTER_COLUMNS
            if name != "team_id"
        ),
        *(
            Index(
                f"ix_ticket_assignee_{name}_status_updated",
                "assignee_id",
                name,
                "status",
                "updated_at",
                "id",
            )
            for name in FILTER_COLUMNS
        ),
        # The queue's orders (migration 0009): one index per sort key after the status, and
        # after assignee and status (under one assignee the assignee order is constant).
        *(Index(f"ix_ticket_status_{name}", "status", *keys) for name, keys in QUEUE_KEYS.items()),
        *(
            Index(f"ix_ticket_assignee_status_{name}", "assignee_id", "status", *keys)
            for name, keys in QUEUE_KEYS.items()
            if name != "assignee"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    subject: str = Field(sa_column=Column(String(500), nullable=False))
    requester_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("contact.id", ondelete="SET NULL"))
    )
    status: str = Field(default=Status.NEW, sa_column=Column(String(20), nullable=False))
    priority: str = Field(default=Priority.NORMAL, sa_column=Column(String(10), nullable=False))
    priority_rank: int = Field(default=1, nullable=False)
    type: str = Field(default=TicketType.QUESTION, sa_column=Column(String(20), nullable=False))
    category: str | None = Field(default=None, sa_column=Column(String(100)))
    channel: str = Field(default=Channel.MANUAL, sa_column=Column(String(10), nullable=False))
    team_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("team.id", ondelete="SET NULL"))
    )
    assignee_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("agent.id", ondelete="SET NULL"))
    )
    tier: int = Field(default=1, nullable=False)
    merged_into_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("ticket.id", ondelete="SET NULL"))
    )
    reply_to: str | None = Field(default=None, sa_column=Column(String(320)))
    """Where replies go when the requester asked for another address (mail ``Reply-To``)."""
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    first_response_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    resolved_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    response_due_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    """The first response's due time (kept once it is met or missed, for reports)."""
    resolution_due_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    reply_due_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    """The due time of the reply the customer is waiting for now (the first response, or a
    next response after their follow-up); ``None`` when none is pending or while paused."""
    reply_started_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    """When that reply's clock started (how much of it has elapsed, for the warning)."""
    sla_alert_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    """When the ticket's next SLA alert (a running clock's warning or breach not yet
    alerted) is due; ``None``: none can come until the ticket changes. Never later than
    that alert (earlier only costs the SLA pass a look): ``sla_clock`` writes it with the
    due times, the pass after each alert (migration 0033)."""
    version: int = Field(default=1, nullable=False)
    requester_sort: str = Field(
        default="", sa_column=Column(String(200), nullable=False, server_default=text("''"))
    )
    """The requester's name, kept by triggers (migration 0009) for the queue's requester order."""
    assignee_sort: str = Field(
        default="", sa_column=Column(String(64), nullable=False, server_default=text("''"))
    )
    """The assignee's login, kept by triggers (migration 0009) for the assignee order."""
    sla_due_at: datetime | None = Field(
        sa_column=Column(UTCDateTime(), Computed(SLA_DUE), nullable=True)
    )
    """The SLA deadline still running while open, generated by the database (no default:
    nothing may write it, and the statement writers take their defaults from the model)."""


class Tag(Table, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))


class TicketTag(Table, table=True):
    __tablename__ = "ticket_tag"
    __table_args__ = (
        # A tag filter walks its tickets in the views' order (migration 0017).
        Index("ix_ticket_tag_status_updated", "tag_id", "status", "updated_at", "ticket_id"),
        Index(
            "ix_ticket_tag_assignee_status_updated",
            "tag_id",
            "assignee_id",
            "status",
            "updated_at",
            "ticket_id",
        ),
    )

    ticket_id: int = Field(
        sa_column=Column(ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True)
    )
    tag_id: int = Field(
        sa_column=Column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)
    )
    # Copies of the ticket's, kept by triggers (migration 0017): a writer leaves them None
    # (a bulk writer may give the ticket's own values), and nothing else writes them.
    status: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    updated_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    assignee_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))


class TicketLink(Table, table=True):
    """A relation between two tickets: ``related``, ``follow_up`` (closed → new) or ``merged``."""

    __tablename__ = "ticket_link"
    __table_args__ = (UniqueConstraint("from_ticket_id", "to_ticket_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    from_ticket_id: int = Field(
        sa_column=Column(ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    to_ticket_id: int = Field(
        sa_column=Column(ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    kind: str = Field(default="related", sa_column=Column(String(20), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class TicketCopy(Table, table=True):
    """Someone the customer copied (To/Cc of their mail) or an agent added: an agent's reply
    goes to them in Cc (``desk/copies``). One row per ticket and address (lower-case)."""

    __tablename__ = "ticket_copy"
    __table_args__ = (UniqueConstraint("ticket_id", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(
        sa_column=Column(ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    address: str = Field(sa_column=Column(String(320), nullable=False, index=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class RawMessage(Table, table=True):
    """The exact bytes of an incoming email, kept for audit and re-processing."""

    __tablename__ = "raw_message"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    received_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    content: bytes = Field(sa_column=Column(LargeBinary))
    """Always written; nullable and last (migration 0019) so that SQLite can write a big
    message into it page by page (``zeroblob`` and a blob handle) instead of in memory."""


class Message(Table, table=True):
    """One entry in a ticket's thread."""

    __table_args__ = (
        Index("ix_message_ticket_created", "ticket_id", "created_at", "id"),
        reference_index("ix_message_raw_message", "raw_message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(
        sa_column=Column(ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False)
    )
    kind: str = Field(sa_column=Column(String(10), nullable=False))
    channel: str = Field(default=Channel.MANUAL, sa_column=Column(String(10), nullable=False))
    author_agent_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("agent.id", ondelete="SET NULL"))
    )
    author_contact_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("contact.id", ondelete="SET NULL"))
    )
    subject: str | None = Field(default=None, sa_column=Column(String(500)))
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    body_html: str | None = Field(default=None, sa_column=Column(Text))
    from_address: str | None = Field(default=None, sa_column=Column(String(320)))
    to_addresses: str | None = Field(default=None, sa_column=Column(Text))
    cc_addresses: str | None = Field(default=None, sa_column=Column(Text))
    email_message_id: str | None = Field(default=None, sa_column=Column(String(998), unique=True))
    in_reply_to: str | None = Field(default=None, sa_column=Column(String(998)))
    references: str | None = Field(default=None, sa_column=Column(Text))
    raw_message_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("raw_message.id", ondelete="SET NULL"))
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Attachment(Table, table=True):
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(
        sa_column=Column(ForeignKey("message.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    filename: str = Field(sa_column=Column(String(255), nullable=False))
    content_type: str = Field(
        default="application/octet-stream", sa_column=Column(String(255), nullable=False)
    )
    size: int = Field(default=0, nullable=False)
    content_id: str | None = Field(default=None, sa_column=Column(String(998)))
    inline: bool = Field(default=False)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Event(Table, table=True):
    """Append-only audit row: who changed what on which ticket, old → new, when.

    ``ticket_id`` goes NULL when an admin deletes a ticket; ``ticket_number`` keeps the trail.
    """

    __table_args__ = (
        Index("ix_event_ticket_version", "ticket_id", "ticket_version"),
        # A ticket's events in the order they were written: its newest changes are read by
        # walking back from its highest id (merged-in events keep their versions, so
        # version order is not id order). Migration 0036.
        Index("ix_event_ticket_id", "ticket_id", "id"),
        Index("ix_event_created", "created_at", "id"),
        # A customer's address in the history of tickets that are no longer theirs (a
        # requester or Reply-To changed away): found by key (``privacy``), migration 0040.
        Index(
            "ix_event_address_old",
            "old_value",
            sqlite_where=text(ADDRESS_FIELDS),
            postgresql_where=text(ADDRESS_FIELDS),
        ),
        Index(
            "ix_event_address_new",
            "new_value",
            sqlite_where=text(ADDRESS_FIELDS),
            postgresql_where=text(ADDRESS_FIELDS),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("ticket.id", ondelete="SET NULL"))
    )
    ticket_number: int | None = Field(default=None, sa_column=Column(BigInteger))
    ticket_version: int | None = Field(default=None)
    actor_agent_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("agent.id", ondelete="SET NULL"))
    )
    actor: str = Field(sa_column=Column(String(100), nullable=False))
    kind: str = Field(sa_column=Column(String(30), nullable=False))
    field: str | None = Field(default=None, sa_column=Column(String(50)))
    old_value: str | None = Field(default=None, sa_column=Column(Text))
    new_value: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Outbox(Table, table=True):
    """Outgoing mail, written in the same transaction as the change that causes it."""

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("ticket.id", ondelete="SET NULL"), index=True)
    )
    message_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("message.id", ondelete="SET NULL"), index=True)
    )
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    to_addresses: str = Field(sa_column=Column(Text, nullable=False))
    cc_addresses: str | None = Field(default=None, sa_column=Column(Text))
    subject: str = Field(sa_column=Column(String(998), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    in_reply_to: str | None = Field(default=None, sa_column=Column(String(998)))
    references: str | None = Field(default=None, sa_column=Column(Text))
    email_message_id: str | None = Field(default=None, sa_column=Column(String(998)))
    status: str = Field(sa_column=Column(String(10), nullable=False))
    """An ``OutboxStatus`` value of ``desk/outbox.py``, which owns the whole lifecycle."""
    attempts: int = Field(default=0, nullable=False)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    dsn_status: str | None = Field(default=None, sa_column=Column(String(20)))
    """A bounce's ``Status`` (``5.1.1``)."""
    dsn_diagnostic: str | None = Field(default=None, sa_column=Column(Text))
    """A bounce's ``Diagnostic-Code`` (``smtp; 550 5.1.1 no such user``)."""
    bounced_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Presence(Table, table=True):
    """ "alice is viewing #1042": a heartbeated row that expires when its terminal dies."""

    __table_args__ = (
        UniqueConstraint("session_id", "ticket_id"),
        Index("ix_presence_ticket_expires", "ticket_id", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(sa_column=Column(String(64), nullable=False))
    agent_id: int = Field(
        sa_column=Column(ForeignKey("agent.id", ondelete="CASCADE"), nullable=False)
    )
    ticket_id: int = Field(
        sa_column=Column(ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False)
    )
    activity: str = Field(sa_column=Column(String(10), nullable=False))
    started_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())


class Lease(Table, table=True):
    """Which process runs a singleton job (mail poller, outbox) right now."""

    name: str = Field(sa_column=Column(String(50), primary_key=True))
    holder: str = Field(sa_column=Column(String(200), nullable=False))
    acquired_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())
    host: str | None = Field(default=None, sa_column=Column(String(255)))
    """The holder's host name: on the same host, a dead ``pid`` frees the lease at once."""
    pid: int | None = Field(default=None)
