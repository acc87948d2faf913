"""Queueing a mail in the outbox, in the caller's transaction, on Core tables: the one
writer of a new outbox row (``desk/outbox.py`` owns every later move of it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from helpdesk_tui.desk.subjects import reply_subject
from helpdesk_tui.storage.core_tables import outbox
from helpdesk_tui.storage.core_text import insert_returning_id
from helpdesk_tui.storage.database import connection_of
from helpdesk_tui.storage.enums import OutboxStatus, utcnow

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader

SURVEY_KIND = "survey"
"""Outbox kind of a satisfaction survey (automatic mail: ``Auto-Submitted: auto-generated``);
the sender holds it back behind the reply before it (``desk/outbox.claim_due``)."""


class Subject(Protocol):
    """What a mail about a ticket needs of it."""

    @property
    def id(self) -> int | None: ...
    @property
    def number(self) -> int: ...
    @property
    def subject(self) -> str: ...


def ticket_subject(ticket: Subject) -> str:
    """The subject every outgoing mail carries, with the token that threads replies."""
    return reply_subject(ticket.subject, ticket.number)


def queue_mail(
    reader: Reader,
    ticket: Subject,
    *,
    kind: str,
    to: Sequence[str],
    body: str,
    subject: str | None = None,
    message_id: int | None = None,
    cc: Sequence[str] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> int:
    """Queue one mail about ``ticket`` (sent by the outbox's sender); the row's id."""
    now = utcnow()
    values = {
        "ticket_id": ticket.id,
        "message_id": message_id,
        "kind": kind,
        "to_addresses": ", ".join(to),
        "cc_addresses": ", ".join(cc) or None,
        "subject": subject or ticket_subject(ticket),
        "body": body,
        "in_reply_to": in_reply_to,
        "references": " ".join(references) or None,
        "status": OutboxStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    # (SQL text made once: ``storage/core_text``)
    conn = connection_of(reader)
    statement = insert_returning_id(conn.dialect, outbox, tuple(values))
    row_id = conn.execute(statement, values).scalar_one()
    return int(row_id)
