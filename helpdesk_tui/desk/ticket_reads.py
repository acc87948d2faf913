"""What ``ticket show`` reads besides the row, on Core tables (``storage/core_tables``):
tags, links, outgoing mail, files, the rating, and the history's words.

Kept apart from the modules that write these (tags, relations, outbox, attachments,
satisfaction, history re-export them), so showing a ticket imports neither the ORM nor
SQLModel; each runs on an ORM session's transaction as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from sqlalchemy import func, or_, select

from helpdesk_tui.desk.errors import NotFound
from helpdesk_tui.desk.escalation import TierMove
from helpdesk_tui.desk.kinds import RATED as RATED
from helpdesk_tui.desk.kinds import SLA_ALERT_KINDS
from helpdesk_tui.desk.statuses import words
from helpdesk_tui.storage.core_tables import (
    Attachment,
    Event,
    Message,
    Outbox,
    Tag,
    Ticket,
    TicketLink,
    TicketTag,
    attachment,
    message,
    outbox,
    ticket,
    ticket_tag,
)
from helpdesk_tui.storage.enums import MessageKind, OutboxStatus
from helpdesk_tui.timefmt import clock_time, stamp

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

    from helpdesk_tui.storage.database import Reader


UNDELIVERED = (OutboxStatus.FAILED, OutboxStatus.BOUNCED)
"""States in which the mail did not reach its recipient and nothing will try again."""
RESENDABLE = frozenset(UNDELIVERED)
DUE = (OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.RETRYING)
"""Outgoing mail the sender has still to send (or is sending)."""


class TicketKeys(Protocol):
    """A ticket's id and number: an ORM row or :func:`ticket_keys`' answer."""

    @property
    def id(self) -> int | None: ...

    @property
    def number(self) -> int: ...


class Keys(NamedTuple):
    id: int
    number: int
    merged_into_id: int | None


def ticket_keys(session: Reader, number: int) -> Keys:
    """The ticket's id and what it was merged into (:class:`NotFound` when there is none)."""
    found = session.execute(
        select(Ticket.id, Ticket.number, Ticket.merged_into_id).where(Ticket.number == number)
    ).first()
    if found is None:
        raise NotFound(f"no ticket #{number}")
    return Keys(*found)


# -- history ---------------------------------------------------------------------------------

_WORDED_FIELDS = frozenset({"status", "type", "priority"})
"""Fields whose values are the desk's own words (``in_progress``), read with spaces."""


def _value(field: str, value: str | None) -> str:
    if value is None:
        return "—"
    return words(value) if field in _WORDED_FIELDS else value


_SLA_ALERTS = frozenset(SLA_ALERT_KINDS.values())


def describe(event: Any) -> str:
    """One line a person reads: ``bob: status open → in progress``, ``bob: #12 merged in``.

    Names people chose (categories, tags, teams) are left as they were written. ``event``:
    an event row (ORM or Core).
    """
    move = TierMove.from_event(event.kind, event.field, event.old_value, event.new_value)
    if move is not None:  # "escalated from tier 1 (Support) to tier 2 (Network), manual"
        return f"{event.actor}: {move.describe()}"
    if event.field and (event.old_value is not None or event.new_value is not None):
        old, new = (_value(event.field, v) for v in (event.old_value, event.new_value))
        return f"{event.actor}: {event.field} {old} → {new}"
    if event.kind == "merged" and event.new_value:
        return f"{event.actor}: {event.new_value}"  # "#12 merged in" already says what happened
    if event.kind in _SLA_ALERTS:  # "SLA: reply nearly due (due 13:40 CET)"; the actor is "sla"
        return f"SLA: {event.new_value or words(event.kind)}"
    if event.kind == "reopened":  # the reason a supervisor gave
        return f"{event.actor}: reopened: {event.new_value or ''}"
    detail = event.new_value or ""
    if event.kind == "linked":  # the desk's own words: "follow_up #12"
        detail = words(detail)
    return f"{event.actor}: {words(event.kind)}{' ' if detail else ''}{detail}"


# -- tags and links --------------------------------------------------------------------------


def ticket_tags(session: Reader, ticket_id: int) -> list[str]:
    rows = session.execute(
        select(Tag.name)
        .join(ticket_tag, TicketTag.tag_id == Tag.id)
        .where(TicketTag.ticket_id == ticket_id)
        .order_by(Tag.name)
    ).scalars()
    return list(rows)


def linked_numbers(session: Reader, ticket_id: int) -> list[tuple[str, int]]:
    """(kind, number) of every ticket linked to this one, either way."""
    rows = session.execute(
        select(TicketLink.kind, Ticket.number)
        .join(
            ticket,
            or_(
                (TicketLink.to_ticket_id == Ticket.id) & (TicketLink.from_ticket_id == ticket_id),
                (TicketLink.from_ticket_id == Ticket.id) & (TicketLink.to_ticket_id == ticket_id),
            ),
        )
        .order_by(Ticket.number)
    ).all()
    return [(kind, number) for kind, number in rows]


# -- files -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    message_id: int
    filename: str
    content_type: str
    size: int
    inline: bool


def list_attachments(session: Reader, number: int) -> list[AttachmentInfo]:
    """Every attachment in the ticket's thread, in thread order, without their contents."""
    ticket_id = ticket_keys(session, number).id
    rows = session.execute(
        select(
            Attachment.id,
            Attachment.message_id,
            Attachment.filename,
            Attachment.content_type,
            Attachment.size,
            Attachment.inline,
        )
        .select_from(attachment)
        .join(message, Message.id == Attachment.message_id)
        .where(Message.ticket_id == ticket_id)
        .order_by(Message.created_at, Message.id, Attachment.id)
    ).all()
    return [AttachmentInfo(*row) for row in rows]


# -- outgoing mail ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """How one outgoing mail went: what the ticket, ``ticket show`` and ``mail status`` show."""

    id: int
    ticket_number: int | None
    message_id: int | None
    """The thread entry (an agent's reply) this mail carries; None for automatic mail."""
    kind: str
    to: str
    subject: str
    status: OutboxStatus
    attempts: int
    last_error: str | None
    """The last SMTP error (retrying), why it was given up (failed) or withdrawn."""
    next_attempt_at: datetime
    sent_at: datetime | None
    dsn_status: str | None = None
    dsn_diagnostic: str | None = None
    bounced_at: datetime | None = None
    cc: str | None = None

    @property
    def resendable(self) -> bool:
        return self.status in RESENDABLE

    def describe(self) -> str:
        """The state in one line of words (outside text included: clean it before printing)."""
        status = self.status
        if status == OutboxStatus.SENT:
            when = f" {stamp(self.sent_at)}" if self.sent_at else ""
            return f"sent{when}" + (f" ({self.last_error})" if self.last_error else "")
        if status == OutboxStatus.RETRYING:
            return (
                f"retrying after {self.attempts} {_tries(self.attempts)}, next "
                f"{clock_time(self.next_attempt_at)}; last error: {self.last_error or '?'}"
            )
        if status == OutboxStatus.FAILED:
            return (
                f"failed after {self.attempts} {_tries(self.attempts)}: "
                f"{self.last_error or 'no reason given'}"
            )
        if status == OutboxStatus.BOUNCED:
            parts = [p for p in (self.dsn_status, self.dsn_diagnostic) if p]
            return "bounced: " + (" ".join(parts) or self.last_error or "no reason given")
        if status == OutboxStatus.WITHDRAWN:
            return f"withdrawn, not sent: {self.last_error or 'no reason given'}"
        return status  # queued, sending


def _tries(count: int) -> str:
    return "try" if count == 1 else "tries"


def delivery_of(row: Any, number: int | None) -> Delivery:
    """The delivery of an outbox row (ORM or Core)."""
    assert row.id is not None
    return Delivery(
        id=row.id,
        ticket_number=number,
        message_id=row.message_id,
        kind=row.kind,
        to=row.to_addresses,
        subject=row.subject,
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        dsn_status=row.dsn_status,
        dsn_diagnostic=row.dsn_diagnostic,
        bounced_at=row.bounced_at,
        cc=row.cc_addresses,
    )


MAIL_WITH_MESSAGE = outbox.outerjoin(message, Message.id == Outbox.message_id)
"""The outbox with each mail's message (a reply's; automatic mail has none): what
:data:`MAIL_TICKET` reads."""
MAIL_TICKET: ColumnElement[int] = func.coalesce(Message.ticket_id, Outbox.ticket_id)
"""The one rule for the ticket a mail is on now, over :data:`MAIL_WITH_MESSAGE`: its
message's, which a merge moves to the ticket merged into (the outbox row keeps the merged,
closed ticket's id), else the row's own. The ticket's outgoing mail
(:func:`ticket_outbox`), the undelivered mail (``mail_reads.undelivered``) and the
outbox's moves (``outbox.ticket_of_mail``: a bounce, a re-send, the surveys a bounce
stops) read it."""


def ticket_outbox(session: Reader, ticket_id: int) -> list[Delivery]:
    """Every mail a ticket sent or will send (replies and automatic mail), oldest first:
    the mail whose ticket is this one now (:data:`MAIL_TICKET`). A reply a merge moved
    here is listed here, and not under the merged ticket its row stays on (it showed no
    delivery state here, and R found no failed mail to send again; the merged ticket
    listed it as its own)."""
    number = session.execute(select(Ticket.number).where(Ticket.id == ticket_id)).scalar()
    # (two reads, each an index's: one OR over both columns scanned the outbox)
    rows = list(
        session.execute(
            select(outbox)
            .select_from(MAIL_WITH_MESSAGE)
            .where(Outbox.ticket_id == ticket_id, MAIL_TICKET == ticket_id)  # noqa: SIM300
            .order_by(Outbox.id)
        )
    )
    # the rows kept under another ticket whose message is here: MAIL_TICKET == ticket_id
    # read by the message's index (a coalesce is no index's)
    moved = session.execute(
        select(outbox)
        .join(message, Message.id == Outbox.message_id)
        .where(Message.ticket_id == ticket_id, Outbox.ticket_id != ticket_id)
    ).all()
    if moved:
        rows = sorted([*rows, *moved], key=lambda row: row.id)
    return [delivery_of(row, number) for row in rows]


# -- satisfaction ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rating:
    """A ticket's satisfaction rating as shown on the ticket."""

    score: int
    by: str
    """Who recorded it: ``mail`` for a survey answer, else the agent who took it by phone."""
    comment: str | None


_COMMENT = re.compile(r"^Satisfaction rating \d/5: (.*)$", re.DOTALL)


def ticket_rating(session: Reader, ticket: TicketKeys) -> Rating | None:
    """The ticket's latest rating (its own events only, not those a merge brought in)."""
    event = session.execute(
        select(Event.new_value, Event.actor)
        .where(
            Event.ticket_id == ticket.id,
            Event.ticket_number == ticket.number,
            Event.kind == RATED,
        )
        .order_by(Event.id.desc())
    ).first()
    if event is None or not (event.new_value or "").isdigit():
        return None
    note = session.execute(
        select(Message.body)
        .where(
            Message.ticket_id == ticket.id,
            Message.kind == MessageKind.SYSTEM,
            Message.body.startswith(f"Satisfaction rating {event.new_value}/5"),
        )
        .order_by(Message.id.desc())
    ).scalar()
    match = _COMMENT.match(note or "")
    return Rating(int(event.new_value or 0), event.actor, match.group(1) if match else None)
