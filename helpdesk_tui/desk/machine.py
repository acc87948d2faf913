"""Machine mail held apart: bounces, read receipts, reports and auto-replies that matched
no ticket.

Machines are not customers: such mail never opens a ticket in the queue. What refers to a
ticket is recorded on it as a system note by intake; the rest waits here, raw, with what
the report said (a bounce's Status and Diagnostic-Code), for an agent to look at.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from helpdesk_tui.desk.errors import NotFound
from helpdesk_tui.storage.mail_models import MachineMail
from helpdesk_tui.storage.models import RawMessage


def list_held(session: Session, *, kind: str | None = None, limit: int = 200) -> list[MachineMail]:
    """Held machine mail, newest first; only one ``kind`` when given."""
    statement = select(MachineMail)
    if kind is not None:
        statement = statement.where(MachineMail.kind == kind)
    return list(session.exec(statement.order_by(col(MachineMail.id).desc()).limit(limit)))


def count_held(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(MachineMail)).one())


def get(session: Session, entry_id: int) -> tuple[MachineMail, bytes]:
    """One held message and its raw bytes."""
    entry = session.get(MachineMail, entry_id)
    if entry is None:
        raise NotFound(f"no machine mail {entry_id}")
    raw = session.get(RawMessage, entry.raw_message_id)
    if raw is None:
        raise NotFound(f"machine mail {entry_id} has lost its raw bytes")
    return entry, raw.content
