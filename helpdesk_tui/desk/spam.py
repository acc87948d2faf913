"""Mail held as spam (X-Spam-Flag, block list): out of the queue, kept raw, releasable.

Releasing runs ingest again on the kept bytes with the spam verdict overruled, so the
message becomes the normal ticket (or follow-up) it would have been.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import InvalidTransition, NotFound
from helpdesk_tui.storage.mail_models import SpamMail
from helpdesk_tui.storage.models import RawMessage, utcnow


def hold(
    session: Session,
    raw_message_id: int,
    reason: str,
    *,
    mailbox: str | None = None,
    from_address: str | None = None,
    subject: str = "",
) -> SpamMail:
    entry = SpamMail(
        raw_message_id=raw_message_id,
        reason=reason[:200],
        mailbox=mailbox,
        from_address=(from_address or "")[:320] or None,
        subject=subject[:500],
        created_at=utcnow(),
    )
    session.add(entry)
    session.flush()
    return entry


def list_held(
    session: Session, *, include_released: bool = False, limit: int = 200
) -> list[SpamMail]:
    """Spam, newest first."""
    statement = select(SpamMail)
    if not include_released:
        statement = statement.where(col(SpamMail.released_at).is_(None))
    return list(session.exec(statement.order_by(col(SpamMail.id).desc()).limit(limit)))


def get(session: Session, entry_id: int) -> tuple[SpamMail, bytes]:
    entry = session.get(SpamMail, entry_id)
    if entry is None:
        raise NotFound(f"no spam message {entry_id}")
    raw = session.get(RawMessage, entry.raw_message_id)
    if raw is None:
        raise NotFound(f"spam message {entry_id} has lost its raw bytes")
    return entry, raw.content


def open_entry(session: Session, entry_id: int) -> tuple[SpamMail, bytes]:
    """A held spam message and its bytes; refuses one that was released already."""
    entry, raw = get(session, entry_id)
    if entry.released_at is not None:
        raise InvalidTransition(f"spam message {entry_id} was released already")
    return entry, raw


def mark_released(session: Session, entry: SpamMail, actor: Actor, ticket_id: int | None) -> None:
    entry.released_at = utcnow()
    entry.released_by = actor.name
    entry.ticket_id = ticket_id
    session.add(entry)
