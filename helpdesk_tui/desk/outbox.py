"""Queueing outgoing mail in the caller's transaction; the mail layer sends it later."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from helpdesk_tui.desk.subjects import reply_subject
from helpdesk_tui.storage.models import Outbox, OutboxStatus, Ticket, utcnow


def ticket_subject(ticket: Ticket) -> str:
    """The subject every outgoing mail carries, with the token that threads replies."""
    return reply_subject(ticket.subject, ticket.number)


def queue_mail(
    session: Session,
    ticket: Ticket,
    *,
    kind: str,
    to: Sequence[str],
    body: str,
    subject: str | None = None,
    message_id: int | None = None,
    cc: Sequence[str] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> Outbox:
    row = Outbox(
        ticket_id=ticket.id,
        message_id=message_id,
        kind=kind,
        to_addresses=", ".join(to),
        cc_addresses=", ".join(cc) or None,
        subject=subject or ticket_subject(ticket),
        body=body,
        in_reply_to=in_reply_to,
        references=" ".join(references) or None,
        status=OutboxStatus.PENDING,
        next_attempt_at=utcnow(),
        created_at=utcnow(),
    )
    session.add(row)
    return row
