"""Machine mail held apart: bounces, read receipts, reports and auto-replies that matched
no ticket.

Machines are not customers: such mail never opens a ticket in the queue. What refers to a
ticket is recorded on it as a system note by intake; the rest waits here, raw, with what
the report said (a bounce's Status and Diagnostic-Code), for an agent to look at.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import InvalidTransition, NotFound
from helpdesk_tui.storage.mail_models import MachineMail
from helpdesk_tui.storage.models import RawMessage, utcnow


def list_held(
    session: Session,
    *,
    kind: str | None = None,
    include_released: bool = False,
    limit: int = 200,
) -> list[MachineMail]:
    """Held machine mail, newest first; only one ``kind`` when given."""
    statement = select(MachineMail)
    if not include_released:
        statement = statement.where(col(MachineMail.released_at).is_(None))
    if kind is not None:
        statement = statement.where(MachineMail.kind == kind)
    return list(session.exec(statement.order_by(col(MachineMail.id).desc()).limit(limit)))


def get(session: Session, entry_id: int) -> tuple[MachineMail, bytes]:
    """One held message and its raw bytes."""
    entry = session.get(MachineMail, entry_id)
    if entry is None:
        raise NotFound(f"no machine mail {entry_id}")
    raw = session.get(RawMessage, entry.raw_message_id)
    if raw is None:
        raise NotFound(f"machine mail {entry_id} has lost its raw bytes")
    return entry, raw.content


def open_entry(session: Session, entry_id: int) -> tuple[MachineMail, bytes]:
    """A held message and its bytes; refuses one that was released already."""
    entry, raw = get(session, entry_id)
    if entry.released_at is not None:
        raise InvalidTransition(f"machine mail {entry_id} was released already")
    return entry, raw


def mark_released(
    session: Session, entry: MachineMail, actor: Actor, ticket_id: int | None
) -> None:
    entry.released_at = utcnow()
    entry.released_by = actor.name
    entry.ticket_id = ticket_id
    session.add(entry)
