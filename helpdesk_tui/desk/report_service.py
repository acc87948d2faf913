"""`ReportService`: the reports area of the desk facade.

A report reads ``report_ticket`` / ``report_reply`` (one row of figures per ticket, one per
agent reply) with a handful of GROUP BY queries — or, without filters, their rollups
(:mod:`report_rollups`) — then :func:`reports.build_result` makes the figures. Those tables
are a cache of the event history, caught up from a watermark (the last event id read):
every ticket number with a newer event is replayed by :func:`reports.ticket_figures`,
whichever writer recorded the event (an agent, intake's batch writer, the demo loader), and
a deleted ticket's row goes. Catching up costs what changed since the last catch-up, not the
size of the desk; the demo loader and the mail service's SLA worker catch up after they
write (:meth:`ReportService.report_catch_up`), so a report seldom finds much to do.

The demo loader writes its finished tickets' rows itself, in the transaction that adds
them, computed by the same rule (:meth:`Rules.figures`, :func:`counted_reply`,
``report_rollups.ticket_keys``) from the stories it has in memory; it hands the catch-up a
:class:`Written` per batch, and the catch-up skips those tickets until they change again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlmodel import Session, col

from helpdesk_tui.desk import report_rollups
from helpdesk_tui.desk.report_reads import WATERMARK, ReportReads
from helpdesk_tui.desk.report_reads import Rules as Rules
from helpdesk_tui.desk.report_reads import Written as Written
from helpdesk_tui.desk.report_reads import pending as pending
from helpdesk_tui.desk.reports import (
    HistoryEvent,
    TicketFigures,
    TicketNow,
    day_number,
)
from helpdesk_tui.desk.satisfaction_service import SatisfactionService
from helpdesk_tui.storage.models import (
    Contact,
    Event,
    Organization,
    Ticket,
)
from helpdesk_tui.storage.report_models import ReportReply, ReportState, ReportTicket

CHUNK = 500
BULK_REPLAY = 20_000
"""A catch-up replaying this many tickets refreshes the planner's statistics after it."""


def _in_chunks(values: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def replay_everything(session: Session) -> None:
    """Have the next catch-up replay every ticket: the SLA policies or calendars changed,
    and with them due times met and business minutes, which no event records."""
    _lock_state(session).value = 0


def _lock_state(session: Session) -> ReportState:
    """The watermark row under its lock: one catch-up at a time writes the report tables."""
    state = session.execute(
        select(ReportState).where(col(ReportState.name) == WATERMARK).with_for_update()
    ).scalar()
    if state is None:  # made by migration 0012; a desk that lost it gets it back
        state = ReportState(name=WATERMARK, value=0)
        session.add(state)
        session.flush()
    return state


def counted_reply(kind: str, agent_id: int | None) -> bool:
    """Whether an event is an agent's reply (a ``report_reply`` row)."""
    return kind == "reply" and agent_id is not None


REPORT_TICKET_COLUMNS = tuple(TicketFigures.__dataclass_fields__)
REPORT_REPLY_COLUMNS = ("event_id", "number", "agent_id", "day")


def replay(session: Session, numbers: Sequence[int], rules: Rules) -> None:
    """Recompute the report rows of these ticket numbers from their events, and move the
    rollups by the difference (minus each ticket's old rows, plus its new ones).

    Plain rows through the connection, not ORM objects: a bulk load replays every ticket
    it added, and building and tracking an object per ticket cost more than the replay."""
    conn = session.connection()
    found = conn.execute(
        select(*_NOW_COLUMNS, col(Ticket.merged_into_id), col(Organization.name))
        .join(Contact, col(Contact.id) == col(Ticket.requester_id), isouter=True)
        .join(Organization, col(Organization.id) == col(Contact.organization_id), isouter=True)
        .where(col(Ticket.number).in_(numbers))
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
        session, {t.ticket_id for t in tickets.values() if t.ticket_id is not None}, merged_into
    )
    history: dict[int, list[HistoryEvent]] = {}
    replies: list[dict[str, Any]] = []
    rows = conn.execute(
        select(
            col(Event.id),
            col(Event.ticket_number),
            col(Event.kind),
            col(Event.field),
            col(Event.old_value),
            col(Event.new_value),
            col(Event.actor_agent_id),
            col(Event.created_at),
        )
        .where(col(Event.ticket_id).in_(holders))
        .order_by(col(Event.id))
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
    rt, rr = ReportTicket.__table__, ReportReply.__table__  # type: ignore[attr-defined]
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
_NOW_COLUMNS = tuple(
    col(getattr(Ticket, "id" if name == "ticket_id" else name)) for name in _NOW_FIELDS
)
"""The ticket's columns :class:`TicketNow` is made of (``merged`` comes from another)."""


def _holders(session: Session, ids: set[int], merged_into: dict[int, int]) -> set[int]:
    """The ids of the tickets whose events these tickets' histories are under: their own
    (``ids``), and, for a merged ticket, the ticket its events moved to (merges followed to
    the end). Events are read by ``ticket_id`` (indexed) and told apart by ``ticket_number``."""
    holders = set(ids)
    targets = set(merged_into.values())
    while targets - holders:
        new = targets - holders
        holders |= new
        rows = session.execute(
            select(col(Ticket.merged_into_id)).where(
                col(Ticket.id).in_(new), col(Ticket.merged_into_id).is_not(None)
            )
        )
        targets = {target for target in rows.scalars() if target is not None}
    return holders


class ReportService(ReportReads, SatisfactionService):
    """Reports: every figure a support lead runs the team on (read: ``ReportReads``), and
    the ratings they count."""
