"""Tables the mail layer keeps beside the tickets (migration ``0002``).

Folder state tracks what the poller has imported; the processed table makes every
incoming message count once, whatever happens; quarantine and spam hold mail that did not
become a ticket, with its raw bytes, until someone retries or releases it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Text
from sqlmodel import Field

from helpdesk_tui.storage.models import utcnow
from helpdesk_tui.storage.table import Table, reference_index
from helpdesk_tui.storage.types import UTCDateTime


def _ts(*, nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class Outcome(StrEnum):
    """What became of one incoming message."""

    TICKET = "ticket"
    """A new ticket."""
    FOLLOW_UP = "follow_up"
    """A message on an existing ticket (or, on a closed one, its new linked ticket)."""
    BOUNCE = "bounce"
    """A delivery report, attached to the ticket of the mail that bounced."""
    MACHINE_NOTE = "machine_note"
    """An auto-reply, read receipt or report, recorded on its ticket as a system note."""
    MACHINE = "machine"
    """Machine mail that matched no ticket: held apart (:class:`MachineMail`)."""
    OWN = "own"
    """Our own mail coming back: kept raw, never a customer message."""
    SPAM = "spam"
    QUARANTINE = "quarantine"


class MailFolderState(Table, table=True):
    """Where the poller stands in one folder of one mailbox, and how its last poll went."""

    __tablename__ = "mail_folder_state"

    mailbox: str = Field(sa_column=Column(String(40), primary_key=True))
    folder: str = Field(sa_column=Column(String(200), primary_key=True))
    uidvalidity: int | None = Field(default=None, sa_column=Column(BigInteger))
    last_uid: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    """Every message up to this UID is in the database (committed with the import)."""
    backlog: int = Field(default=0, nullable=False)
    """Messages in the folder not imported yet, as of the last poll."""
    last_poll_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    """Cleared by the next successful poll."""
    last_error_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class ProcessedMail(Table, table=True):
    """One incoming message, counted once: keyed by Message-ID, or raw hash when it has none."""

    __tablename__ = "mail_processed"
    __table_args__ = (
        Index("ix_mail_processed_uid", "mailbox", "uidvalidity", "uid"),
        Index("ix_mail_processed_message_key", "message_key"),
        Index("ix_mail_processed_raw_message", "raw_message_id"),
        Index("ix_mail_processed_normal_hash", "normal_hash"),
        reference_index("ix_mail_processed_ticket", "ticket_id"),
        reference_index("ix_mail_processed_message", "message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    """sha256 of ``dedupe_key``: Message-IDs can be long, an index entry should not be."""
    dedupe_key: str = Field(sa_column=Column(Text, nullable=False))
    """Message-ID and content hash (``<id> <hash>``), or ``sha256:<content hash>``."""
    message_key: str | None = Field(default=None, sa_column=Column(String(64)))
    """sha256 of the Message-ID: finds another message that reuses it."""
    content_hash: str | None = Field(default=None, sa_column=Column(String(64)))
    """Normalized content hash; None on rows from before revision 0007."""
    normal_hash: str | None = Field(default=None, sa_column=Column(String(64)))
    """For a message without a Message-ID: sha256 of its raw bytes as any server keeps them
    (``desk/mailstate.transport_normalized``), which finds it again re-encoded (0031)."""
    outcome: str = Field(sa_column=Column(String(20), nullable=False))
    ticket_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("ticket.id", ondelete="SET NULL"))
    )
    message_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("message.id", ondelete="SET NULL"))
    )
    raw_message_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("raw_message.id", ondelete="SET NULL"))
    )
    mailbox: str | None = Field(default=None, sa_column=Column(String(40)))
    uidvalidity: int | None = Field(default=None, sa_column=Column(BigInteger))
    uid: int | None = Field(default=None, sa_column=Column(BigInteger))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class QuarantinedMail(Table, table=True):
    """A message that could not be processed: its raw bytes and why, until it is retried."""

    __tablename__ = "mail_quarantine"
    __table_args__ = (
        Index("ix_mail_quarantine_open", "resolved_at", "id"),
        Index("ix_mail_quarantine_raw_message", "raw_message_id"),
        reference_index("ix_mail_quarantine_ticket", "ticket_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    raw_message_id: int = Field(
        sa_column=Column(ForeignKey("raw_message.id", ondelete="CASCADE"), nullable=False)
    )
    reason: str = Field(sa_column=Column(Text, nullable=False))
    mailbox: str | None = Field(default=None, sa_column=Column(String(40)))
    from_hint: str | None = Field(default=None, sa_column=Column(String(320)))
    subject_hint: str | None = Field(default=None, sa_column=Column(String(500)))
    attempts: int = Field(default=1, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    resolved_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    """Set when a retry turned it into a ticket (or follow-up)."""
    ticket_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("ticket.id", ondelete="SET NULL"))
    )


class SpamMail(Table, table=True):
    """A message held as spam (X-Spam-Flag or block list) instead of reaching the queue."""

    __tablename__ = "mail_spam"
    __table_args__ = (
        Index("ix_mail_spam_open", "released_at", "id"),
        Index("ix_mail_spam_raw_message", "raw_message_id"),
        reference_index("ix_mail_spam_ticket", "ticket_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    raw_message_id: int = Field(
        sa_column=Column(ForeignKey("raw_message.id", ondelete="CASCADE"), nullable=False)
    )
    reason: str = Field(sa_column=Column(String(200), nullable=False))
    mailbox: str | None = Field(default=None, sa_column=Column(String(40)))
    from_address: str | None = Field(default=None, sa_column=Column(String(320)))
    subject: str = Field(default="", sa_column=Column(String(500), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    released_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    released_by: str | None = Field(default=None, sa_column=Column(String(100)))
    ticket_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("ticket.id", ondelete="SET NULL"))
    )


class MachineMail(Table, table=True):
    """Machine mail that matched no ticket: a bounce, read receipt, report or auto-reply."""

    __tablename__ = "mail_machine"
    __table_args__ = (
        Index("ix_mail_machine_open", "released_at", "id"),
        Index("ix_mail_machine_raw_message", "raw_message_id"),
        reference_index("ix_mail_machine_ticket", "ticket_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    raw_message_id: int = Field(
        sa_column=Column(ForeignKey("raw_message.id", ondelete="CASCADE"), nullable=False)
    )
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    """``bounce``, ``receipt``, ``report``, ``auto_reply`` or ``own_address``."""
    reason: str = Field(sa_column=Column(String(500), nullable=False))
    mailbox: str | None = Field(default=None, sa_column=Column(String(40)))
    from_address: str | None = Field(default=None, sa_column=Column(String(320)))
    subject: str = Field(default="", sa_column=Column(String(500), nullable=False))
    status: str | None = Field(default=None, sa_column=Column(String(20)))
    """A delivery report's ``Status`` (``5.1.1``)."""
    diagnostic: str | None = Field(default=None, sa_column=Column(Text))
    """A delivery report's ``Diagnostic-Code``."""
    about_message_id: str | None = Field(default=None, sa_column=Column(String(998)))
    """The Message-ID the report is about, when it names one."""
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    released_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    """Set when an agent let it through as a person's mail (a ticket or follow-up)."""
    released_by: str | None = Field(default=None, sa_column=Column(String(100)))
    ticket_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("ticket.id", ondelete="SET NULL"))
    )


class AckSent(Table, table=True):
    """One acknowledgement queued to one address: the rate limit counts these."""

    __tablename__ = "mail_ack"
    __table_args__ = (Index("ix_mail_ack_address_at", "address", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(sa_column=Column(String(320), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class BouncedAddress(Table, table=True):
    """An address mail to which bounced for good (migration ``0030``): the last hard bounce
    a delivery report gave for it, whether it named one of our mails or only the address.
    ``desk/outbox`` holds surveys to it for a while after (``BOUNCE_HOLDS_SURVEYS``)."""

    __tablename__ = "mail_bounced_address"

    address: str = Field(sa_column=Column(String(320), primary_key=True))
    """Lower-case."""
    dsn_status: str | None = Field(default=None, sa_column=Column(String(20)))
    """The report's ``Status`` (``5.1.1``), when it gave one."""
    bounced_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
