"""Mail that could not be processed: kept raw with the reason until someone retries it.

The mail layer puts a message here instead of raising, so one bad message never blocks
the inbox; a retry (after a fix, or because the cause was passing) runs ingest again on
the kept bytes.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from helpdesk_tui.desk.errors import InvalidTransition, NotFound
from helpdesk_tui.storage.mail_models import QuarantinedMail
from helpdesk_tui.storage.models import RawMessage, utcnow


def hold(
    session: Session,
    raw_message_id: int,
    reason: str,
    *,
    mailbox: str | None = None,
    from_hint: str | None = None,
    subject_hint: str | None = None,
) -> QuarantinedMail:
    """Quarantine a stored raw message; a message already held just gets the new reason."""
    now = utcnow()
    entry = session.exec(
        select(QuarantinedMail).where(
            QuarantinedMail.raw_message_id == raw_message_id,
            col(QuarantinedMail.resolved_at).is_(None),
        )
    ).first()
    if entry is None:
        entry = QuarantinedMail(
            raw_message_id=raw_message_id,
            reason=reason[:4000],
            mailbox=mailbox,
            from_hint=(from_hint or "")[:320] or None,
            subject_hint=(subject_hint or "")[:500] or None,
            created_at=now,
            updated_at=now,
        )
    else:
        entry.reason = reason[:4000]
        entry.attempts += 1
        entry.updated_at = now
    session.add(entry)
    session.flush()
    return entry


def list_held(
    session: Session, *, include_resolved: bool = False, limit: int = 200
) -> list[QuarantinedMail]:
    """Quarantined mail, newest first."""
    statement = select(QuarantinedMail)
    if not include_resolved:
        statement = statement.where(col(QuarantinedMail.resolved_at).is_(None))
    return list(session.exec(statement.order_by(col(QuarantinedMail.id).desc()).limit(limit)))


def get(session: Session, entry_id: int) -> tuple[QuarantinedMail, bytes]:
    """One quarantined message and its raw bytes."""
    entry = session.get(QuarantinedMail, entry_id)
    if entry is None:
        raise NotFound(f"no quarantined message {entry_id}")
    raw = session.get(RawMessage, entry.raw_message_id)
    if raw is None:
        raise NotFound(f"quarantined message {entry_id} has lost its raw bytes")
    return entry, raw.content


def open_entry(session: Session, entry_id: int) -> tuple[QuarantinedMail, bytes]:
    """Like :func:`get`, but refuses an entry a retry already resolved."""
    entry, raw = get(session, entry_id)
    if entry.resolved_at is not None:
        raise InvalidTransition(f"quarantined message {entry_id} was already retried successfully")
    return entry, raw


def resolve(session: Session, entry: QuarantinedMail, ticket_id: int | None) -> None:
    """A retry got through: the entry stays for the record, no longer open."""
    entry.resolved_at = utcnow()
    entry.updated_at = entry.resolved_at
    entry.ticket_id = ticket_id
    session.add(entry)
