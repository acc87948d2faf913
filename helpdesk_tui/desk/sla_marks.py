"""Which tickets a transaction must recompute the SLA clocks of before it commits: the
marks an event leaves (:func:`touch`) and the hooks that settle them (``sla_clock``).

Kept apart from the clocks' rules: a write whose events move no clock (a note, an
assignment, a tag) marks nothing and so never imports ``sla_clock`` or ``sla`` (≈ 10 ms of
a CLI write's start); the first mark's recompute imports them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from helpdesk_tui.storage.database import connection_of

if TYPE_CHECKING:
    from helpdesk_tui.desk.ticket_record import TicketRecord
    from helpdesk_tui.storage.database import Reader

CLOCK_EVENTS = frozenset(
    {
        "created",
        "reply",
        "customer_message",
        "phone_call",
        "status",
        "priority",
        "type",
        "category",
        "requester",
        "merged",
    }
)
"""Event kinds after which a ticket's clocks are recomputed."""
MARKED = "helpdesk_sla_marked"
BORN = "helpdesk_sla_born"
"""Tickets this transaction inserted with their clocks set (:func:`born`)."""
RULES = "helpdesk_sla_rules"
"""The rules ``sla_clock.set_new_dues`` read, kept for the recompute at the same commit."""


def touch(reader: Reader, ticket_id: int | None, kind: str) -> None:
    """Mark the ticket for a recompute before this transaction commits (if ``kind`` matters).

    The marks are kept on the transaction's connection, so an ORM writer and a Core one
    (``session.connection()`` or ``Database.write_rows``) share them; :func:`settle` reads
    them, at the latest when the connection commits (the ``commit`` hook below). The
    ``created`` event of a ticket :func:`born` in this transaction marks nothing.
    """
    if ticket_id is None or kind not in CLOCK_EVENTS:
        return
    info = connection_of(reader).info
    if kind == "created" and ticket_id in info.get(BORN, ()):
        return
    info.setdefault(MARKED, set()).add(ticket_id)


def born(reader: Reader, ticket_ids: Iterable[int]) -> None:
    """Tickets just inserted with the clocks ``sla_clock.set_new_dues`` gave them: their
    ``created`` events need no recompute (a write of every index of the new row again)."""
    connection_of(reader).info.setdefault(BORN, set()).update(ticket_ids)


def touch_rows(reader: Reader, events: Iterable[dict[str, Any]]) -> None:
    """:func:`touch` for event rows written in bulk (the intake's)."""
    for row in events:
        touch(reader, row.get("ticket_id"), str(row.get("kind")))


def settle(reader: Reader) -> int:
    """Recompute the clocks of the tickets this transaction marked (:func:`touch`), now;
    how many changed. Called by the ``commit`` hook, and by a writer that reads its
    ticket's row back before committing (so the row shows the new due times)."""
    conn = connection_of(reader)
    marked: set[int] | None = conn.info.pop(MARKED, None)
    rules = conn.info.pop(RULES, None)
    if not marked:
        return 0
    from helpdesk_tui.desk.sla_clock import refresh

    return refresh(conn, sorted(marked), rules)


def settle_record(reader: Reader, record: TicketRecord) -> None:
    """Recompute the clocks of a ticket its writer is about to save, into its record, if
    this transaction marked it (``ticket_record.save``: one UPDATE writes both). A mark
    made after that save is settled at the commit as any other."""
    marked: set[int] | None = connection_of(reader).info.get(MARKED)
    if not marked or record.id not in marked:
        return
    from helpdesk_tui.desk.sla_clock import set_dues

    set_dues(reader, record)
    marked.discard(record.id)


@event.listens_for(Engine, "commit")
def _before_commit(conn: Connection) -> None:
    """Every writer's marked tickets are recomputed in the transaction that marked them,
    whether it commits an ORM session (flushed by then) or a Core connection."""
    if MARKED in conn.info:
        settle(conn)
    conn.info.pop(RULES, None)
    conn.info.pop(BORN, None)


@event.listens_for(Engine, "rollback")
def _after_rollback(conn: Connection) -> None:
    if conn.invalidated:
        # The server dropped the connection (restarted, stopped, ended it): its info went
        # with it, and reading ``conn.info`` here would raise SQLAlchemy's "Can't reconnect
        # until invalid transaction is rolled back" in place of the database's own error.
        return
    conn.info.pop(MARKED, None)
    conn.info.pop(RULES, None)
    conn.info.pop(BORN, None)
