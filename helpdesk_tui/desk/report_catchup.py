"""The one writer of the report tables: replaying changed tickets into ``report_ticket`` /
``report_reply`` and their rollups, on Core tables (``storage/core_tables``).

A report that finds changes since the last catch-up (any ticket write since) replays them
before it reads; on Core tables that costs no import of the ORM, SQLModel or pydantic
(≈ a third of a CLI verb's start). The demo loader takes its report columns and its
reply rule from here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update

from helpdesk_tui.desk import report_rollups
from helpdesk_tui.desk.report_figures import HistoryEvent, TicketFigures, TicketNow
from helpdesk_tui.desk.report_reads import WATERMARK
from helpdesk_tui.desk.reports import day_number
from helpdesk_tui.storage.core_tables import (
    Contact,
    Event,
    Organization,
    ReportState,
    Ticket,
    report_reply,
    report_state,
    report_ticket,
)
from helpdesk_tui.storage.core_tables import contact as contact_table
from helpdesk_tui.storage.core_tables import organization as organization_table
from helpdesk_tui.storage.core_tables import ticket as ticket_table

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from helpdesk_tui.desk.report_reads import Rules

CHUNK = 500
BULK_REPLAY = 20_000
"""A catch-up replaying this many tickets refreshes the planner's statistics after it."""

REPORT_TICKET_COLUMNS = tuple(TicketFigures.__dataclass_fields__)
REPORT_REPLY_COLUMNS = ("event_id", "number", "agent_id", "day")


def in_chunks(values: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def lock_state(conn: Connection) -> int:
    """The watermark under its row's lock (one catch-up at a time writes the report
    tables): the last event id the report tables include."""
    value = conn.execute(
        select(ReportState.value).where(ReportState.name == WATERMARK).with_for_update()
    ).scalar()
    if value is None:  # made by migration 0012; a desk that lost it gets it back
        conn.execute(insert(report_state).values(name=WATERMARK, value=0))
        return 0
    return int(value)


def set_watermark(conn: Connection, value: int) -> None:
    """Move the watermark (its row locked by :func:`lock_state` in this transaction)."""
    conn.execute(update(report_state).where(ReportState.name == WATERMARK).values(value=value))


def counted_reply(kind: str, agent_id: int | None) -> bool:
    """Whether an event is an agent's reply (a ``report_reply`` row)."""
    return kind == "reply" and agent_id is not None


def replay(conn: Connection, numbers: Sequence[int], rules: Rules) -> None:
    """Recompute the report rows of these ticket numbers from their events, and move the
    rollups by the difference (minus each ticket's old rows, plus its new ones).

    Plain rows, not ORM objects: a bulk load replays every ticket it added, and building
    and tracking an object per ticket cost more than the replay."""
    found = conn.execute(
        select(*_NOW_COLUMNS, Ticket.merged_into_id, Organization.name)
        .select_from(
            ticket_table.outerjoin(contact_table, Contact.id == Ticket.requester_id).outerjoin(
                organization_table, Organization.id == Contact.organization_id
            )
        )
        .where(Ticket.number.in_(numbers))
    ).all()
    tickets: dict[int, TicketNow] = {}
    organizations: dict[int, str | None] = {}
    merged_into: dict[int, int] = {}
    for *values, merged_into_id, organization in found:
        now = TicketNow(
            **dict(zip(_NOW_FIELDS, values, strict=True)), merged=merged_into_id is not None
        )
        tickets[now.number] = now
        organizations[now.number] = organization
        if merged_into_id is not None:
            merged_into[now.number] = merged_into_id
    holders = _holders(
        conn, {t.ticket_id for t in tickets.values() if t.ticket_id is not None}, merged_into
    )
    history: dict[int, list[HistoryEvent]] = {}
    replies: list[dict[str, Any]] = []
    rows = conn.execute(
        select(
            Event.id,
            Event.ticket_number,
            Event.kind,
            Event.field,
            Event.old_value,
            Event.new_value,
            Event.actor_agent_id,
            Event.created_at,
        )
        .where(Event.ticket_id.in_(holders))
        .order_by(Event.id)
    )
    for event_id, number, kind, field, old, new, agent_id, at in rows:
        if number not in tickets:
            continue
        history.setdefault(number, []).append(HistoryEvent(kind, field, old, new, agent_id, at))
        if counted_reply(kind, agent_id):
            replies.append(
                {
                    "event_id": event_id,
                    "number": number,
                    "agent_id": agent_id,
                    "day": day_number(at),
                }
            )
    rt, rr = report_ticket, report_reply
    old_tickets = [row._mapping for row in conn.execute(select(rt).where(rt.c.number.in_(numbers)))]
    old_replies = [row._mapping for row in conn.execute(select(rr).where(rr.c.number.in_(numbers)))]
    conn.execute(delete(rt).where(rt.c.number.in_(numbers)))
    conn.execute(delete(rr).where(rr.c.number.in_(numbers)))
    figures = [
        vars(rules.figures(now, history.get(number, ()), organizations[number]))
        for number, now in tickets.items()
    ]
    if figures:
        conn.execute(insert(rt), figures)
    if replies:
        conn.execute(insert(rr), replies)
    report_rollups.apply(conn, report_rollups.delta(old_tickets, figures, old_replies, replies))


_NOW_FIELDS = tuple(name for name in TicketNow.__dataclass_fields__ if name != "merged")
_NOW_COLUMNS = tuple(Ticket["id" if name == "ticket_id" else name] for name in _NOW_FIELDS)
"""The ticket's columns :class:`TicketNow` is made of (``merged`` comes from another)."""


def _holders(conn: Connection, ids: set[int], merged_into: dict[int, int]) -> set[int]:
    """The ids of the tickets whose events these tickets' histories are under: their own
    (``ids``), and, for a merged ticket, the ticket its events moved to (merges followed to
    the end). Events are read by ``ticket_id`` (indexed) and told apart by ``ticket_number``."""
    holders = set(ids)
    targets = set(merged_into.values())
    while targets - holders:
        new = targets - holders
        holders |= new
        rows = conn.execute(
            select(Ticket.merged_into_id).where(
                Ticket.id.in_(new), Ticket.merged_into_id.is_not(None)
            )
        )
        targets = {target for target in rows.scalars() if target is not None}
    return holders
