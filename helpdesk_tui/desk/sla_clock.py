"""Keeping each ticket's SLA due columns equal to what its history and the policies say.

This is the one writer of ``response_due_at`` / ``resolution_due_at`` / ``reply_due_at`` /
``reply_started_at`` (the database derives ``sla_due_at``, the earliest pending one, from
them), and of ``sla_alert_at``, when the ticket's next SLA alert is due
(:func:`next_alert_at`: the SLA pass reads only the tickets whose time came, and writes it
again after alerting them, by the same rule). Whatever changes a ticket in a way a clock
cares about records an event (``history.record``, or the intake's batch rows); the event
marks the ticket
(``sla_marks``), and just before that transaction commits the marked tickets' clocks are
recomputed from their history (:func:`refresh`) — in the same transaction, so the stored
due times never disagree with the history that explains them. A policy or calendar change
recomputes every open ticket in batches (:func:`open_ticket_batches`, :func:`refresh`),
then records one event if any ticket's times moved (:func:`record_recompute`).

The stored due times depend on the history only, never on the time of computation; the
next alert's time on the history and the alerts given (``sla_notice``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select, text, update

from helpdesk_tui.desk import sla
from helpdesk_tui.desk.settings import record_desk_event
from helpdesk_tui.desk.statuses import OPEN_STATUSES
from helpdesk_tui.storage.core_tables import (
    Contact,
    Event,
    Organization,
    SlaNotice,
    Ticket,
    contact,
    organization,
    ticket,
)
from helpdesk_tui.storage.database import connection_of
from helpdesk_tui.storage.enums import utcnow

if TYPE_CHECKING:
    from helpdesk_tui.desk.actors import Actor
    from helpdesk_tui.desk.ticket_record import TicketRecord
    from helpdesk_tui.storage.database import Reader
    from helpdesk_tui.storage.sla_models import SlaPolicy
from helpdesk_tui.desk.sla_marks import RULES
from helpdesk_tui.desk.sla_reads import calendar_of as calendar_of
from helpdesk_tui.desk.sla_reads import load_calendars as load_calendars
from helpdesk_tui.desk.sla_reads import load_rules as load_rules

_FACT_KINDS = {"reply": "reply", "customer_message": "customer", "phone_call": "customer"}
Rules = tuple[list[sla.Policy], dict[str, sla.Calendar]]


def set_new_dues(reader: Reader, rows: Sequence[dict[str, Any]]) -> None:
    """Fill the due columns of ticket rows about to be inserted, as :func:`refresh` would
    once they were (a new ticket's clocks depend on its fields and requester only: its
    history is its ``created`` event). Saves writing each new row twice, which costs the
    ticket table's every index; the caller marks them ``sla_marks.born`` once inserted, so
    their ``created`` events mark nothing to recompute."""
    if not rows:
        return
    conn = connection_of(reader)
    policies, calendars = conn.info[RULES] = load_rules(conn)  # for the commit's too
    organizations = _organizations(
        conn, policies, {r["requester_id"] for r in rows if r.get("requester_id") is not None}
    )
    now = utcnow()
    for row in rows:
        requester = row.get("requester_id")
        facts_of_row = sla.TicketFacts(
            created_at=row["created_at"],
            status=str(row["status"]),
            priority=str(row["priority"]),
            type=str(row["type"]),
            category=row.get("category"),
            organization=organizations.get(requester) if requester is not None else None,
        )
        explained = sla.explain(facts_of_row, policies, calendars, now, dues_only=True)
        row["response_due_at"] = explained.response_due_at
        row["resolution_due_at"] = explained.resolution_due_at
        row["reply_due_at"] = explained.reply_due_at
        row["reply_started_at"] = explained.reply_started_at
        row["sla_alert_at"] = next_alert_at(explained)  # (a new ticket: no alert given)


Alerted = Collection[tuple[str, datetime, str]]
"""The alerts a ticket was given: ``(clock, run start, level)`` of its ``sla_notice`` rows."""
Given = set[tuple[str, datetime, str]]


def next_alert_at(explained: sla.Explanation, alerted: Alerted = ()) -> datetime | None:
    """When the ticket's next SLA alert is due (its ``sla_alert_at``): the earliest, over its
    running clocks, of the warning time while that run's warning was not given, else of the
    due time while its breach was not. ``None``: no alert can come until the ticket changes
    (every clock stopped, paused or alerted to the end). A time past is an alert owed: the
    SLA pass gives it (``sla_alerts``) and stores the next by this same rule."""
    moments = []
    for clock in explained.current():
        if clock.stopped_at is not None or clock.due_at is None:
            continue  # (stopped or paused: nothing to alert)
        run = (clock.kind.value, clock.started_at)
        if clock.warn_at is not None and (*run, "warning") not in alerted:
            moments.append(clock.warn_at)
        elif (*run, "breach") not in alerted:
            moments.append(clock.due_at)
    return min(moments, default=None)


def warn_times(reader: Reader, ticket_id: int) -> tuple[datetime | None, datetime | None]:
    """When the ticket's pending reply and its resolution turn nearly due: each running
    clock's warning time, its policy's warning share of the target in business time (when
    its "SLA nearly due" alert goes). ``None`` for a clock not running (none pending,
    stopped or paused). Due times hang on the history only, so ``now`` does not matter."""
    found = facts(reader, [ticket_id]).get(ticket_id)
    if found is None:
        return None, None
    policies, calendars = load_rules(reader)
    explained = sla.explain(found, policies, calendars, utcnow(), dues_only=True)
    *responses, resolution = explained.clocks
    pending = [c for c in responses if c.stopped_at is None and c.due_at is not None]
    reply = pending[-1].warn_at if pending else None
    running = resolution.stopped_at is None and resolution.due_at is not None
    return reply, resolution.warn_at if running else None


def _running(explained: sla.Explanation) -> bool:
    return any(c.stopped_at is None and c.due_at is not None for c in explained.current())


_ALERTS_GIVEN = (
    text("SELECT ticket_id, clock, started_at, level FROM sla_notice WHERE ticket_id IN :ids")
    .bindparams(bindparam("ids", expanding=True))
    .columns(SlaNotice.ticket_id, SlaNotice.clock, SlaNotice.started_at, SlaNotice.level)
)
"""As SQL text made once, as :data:`_EVENT_FACTS` (a write that moves a running clock reads
it)."""


def alerts_given(reader: Reader, ticket_ids: Collection[int]) -> dict[int, Given]:
    """The alerts these tickets were given (their ``sla_notice`` rows), by ticket id."""
    given: dict[int, Given] = {i: set() for i in ticket_ids}
    if not ticket_ids:
        return given
    rows = connection_of(reader).execute(_ALERTS_GIVEN, {"ids": sorted(ticket_ids)})
    for ticket_id, clock, started_at, level in rows:
        given[ticket_id].add((clock, started_at, level))
    return given


def event_fact(kind: str, new_value: str | None, at: datetime) -> sla.Fact | None:
    """What an event tells a ticket's clocks; None for an event that moves none."""
    if kind == "status":
        return sla.Fact(at, "status", new_value)
    moved = _FACT_KINDS.get(kind)
    return None if moved is None else sla.Fact(at, moved)


def facts(reader: Reader, ticket_ids: Sequence[int]) -> dict[int, sla.TicketFacts]:
    """What the clocks of these tickets are computed from: fields and the events that matter."""
    return {
        ticket_id: found for ticket_id, (found, _) in _facts_and_dues(reader, ticket_ids).items()
    }


Dues = tuple[datetime | None, datetime | None, datetime | None, datetime | None, datetime | None]
"""A ticket's stored ``response_due_at``, ``resolution_due_at``, ``reply_due_at``,
``reply_started_at``, ``sla_alert_at``."""


def _facts_and_dues(
    reader: Reader, ticket_ids: Sequence[int]
) -> dict[int, tuple[sla.TicketFacts, Dues]]:
    """:func:`facts`, with each ticket's stored due columns read by the same statement (a
    recompute compares them)."""
    conn = connection_of(reader)
    rows = conn.execute(
        select(
            Ticket.id,
            Ticket.number,
            Ticket.created_at,
            Ticket.status,
            Ticket.priority,
            Ticket.type,
            Ticket.category,
            Organization.name,
            Ticket.response_due_at,
            Ticket.resolution_due_at,
            Ticket.reply_due_at,
            Ticket.reply_started_at,
            Ticket.sla_alert_at,
        )
        .select_from(ticket)
        .outerjoin(contact, Contact.id == Ticket.requester_id)
        .outerjoin(organization, Organization.id == Contact.organization_id)
        .where(Ticket.id.in_(ticket_ids))
    ).all()
    found = _event_facts(conn, {int(row[0] or 0): row[1] for row in rows})
    return {
        int(row[0] or 0): (
            sla.TicketFacts(
                created_at=row[2],
                status=row[3],
                priority=row[4],
                type=row[5],
                category=row[6],
                organization=row[7],
                facts=tuple(found[int(row[0] or 0)]),
            ),
            (row[8], row[9], row[10], row[11], row[12]),
        )
        for row in rows
    }


_EVENT_FACTS = (
    text(
        "SELECT ticket_id, ticket_number, kind, new_value, created_at FROM event"
        " WHERE ticket_id IN :ids AND kind IN :kinds ORDER BY created_at, id"
    )
    .bindparams(bindparam("ids", expanding=True), bindparam("kinds", expanding=True))
    .columns(Event.ticket_id, Event.ticket_number, Event.kind, Event.new_value, Event.created_at)
)
"""The events that move the clocks, as SQL text: every clock-moving write reads them, and
SQLAlchemy compiled the Core statement anew in every command (≈ 0.6 ms)."""


def _event_facts(reader: Reader, numbers: dict[int, int]) -> dict[int, list[sla.Fact]]:
    """What the events of these tickets (id → number) tell their clocks, oldest first."""
    found: dict[int, list[sla.Fact]] = {ticket_id: [] for ticket_id in numbers}
    events = connection_of(reader).execute(
        _EVENT_FACTS, {"ids": list(numbers), "kinds": ["status", *_FACT_KINDS]}
    )
    for ticket_id, number, kind, new, at in events:
        # Events a merge brought in keep their old ticket's number: that ticket's history.
        fact = event_fact(kind, new, at)
        if fact is not None and ticket_id is not None and number == numbers.get(ticket_id):
            found[ticket_id].append(fact)
    return found


def _organizations(
    reader: Reader, policies: Sequence[sla.Policy], requesters: set[int]
) -> dict[int, str]:
    """The organization's name of each of these requesters that has one, read only when a
    ticket's organization can choose its policy (an admin's policy names one; no built-in
    one does): otherwise none is needed, and none is read."""
    if not requesters or all(policy.organization is None for policy in policies):
        return {}
    return {
        contact_id: name
        for contact_id, name in connection_of(reader).execute(
            select(Contact.id, Organization.name)
            .join(organization, Organization.id == Contact.organization_id)
            .where(Contact.id.in_(sorted(requesters)))
        )
    }


def set_dues(reader: Reader, record: TicketRecord) -> None:
    """Recompute the due columns of a ticket a writer holds into its record, as
    :func:`refresh` would from the stored row (``sla_marks.settle_record``: the writer's
    one UPDATE stores them with its other changes)."""
    conn = connection_of(reader)
    rules: Rules = conn.info.get(RULES) or load_rules(conn)
    conn.info[RULES] = rules  # for the commit's recompute of any other ticket
    policies, calendars = rules
    requester = record.requester_id
    organization_name = None
    if requester is not None:
        organization_name = _organizations(conn, policies, {requester}).get(requester)
    ticket_facts = sla.TicketFacts(
        created_at=record.created_at,
        status=str(record.status),
        priority=str(record.priority),
        type=str(record.type),
        category=record.category,
        organization=organization_name,
        facts=tuple(_event_facts(conn, {record.id: record.number})[record.id]),
    )
    explained = sla.explain(ticket_facts, policies, calendars, utcnow(), dues_only=True)
    record.response_due_at = explained.response_due_at
    record.resolution_due_at = explained.resolution_due_at
    record.reply_due_at = explained.reply_due_at
    record.reply_started_at = explained.reply_started_at
    alerted = alerts_given(conn, [record.id])[record.id] if _running(explained) else ()
    record.sla_alert_at = next_alert_at(explained, alerted)


_STORE = (
    update(ticket)
    .where(Ticket.id == bindparam("ticket_id"))
    .values(
        response_due_at=bindparam("response_due"),
        resolution_due_at=bindparam("resolution_due"),
        reply_due_at=bindparam("reply_due"),
        reply_started_at=bindparam("reply_started"),
        sla_alert_at=bindparam("alert_at"),
    )
)


def refresh(reader: Reader, ticket_ids: Sequence[int], rules: Rules | None = None) -> int:
    """Recompute and store these tickets' due columns; how many changed.

    On Core tables: an ORM object of one of these tickets loaded before keeps its old due
    times (a writer re-reads the ticket's row; the write sessions end at their commit).
    """
    conn = connection_of(reader)
    policies, calendars = rules or load_rules(conn)
    now = utcnow()  # only the clocks' states use it; nothing stored depends on it
    changes = []
    found = _facts_and_dues(conn, ticket_ids)
    explained_all = {
        ticket_id: sla.explain(ticket_facts, policies, calendars, now, dues_only=True)
        for ticket_id, (ticket_facts, _) in found.items()
    }
    alerted = alerts_given(conn, [i for i, e in explained_all.items() if _running(e)])
    for ticket_id, (_, current) in found.items():
        explained = explained_all[ticket_id]
        due = (
            explained.response_due_at,
            explained.resolution_due_at,
            explained.reply_due_at,
            explained.reply_started_at,
            next_alert_at(explained, alerted.get(ticket_id, ())),
        )
        if current != due:
            changes.append(
                {
                    "ticket_id": ticket_id,
                    "response_due": due[0],
                    "resolution_due": due[1],
                    "reply_due": due[2],
                    "reply_started": due[3],
                    "alert_at": due[4],
                }
            )
    if changes:
        conn.execute(_STORE, changes)
    return len(changes)


RECOMPUTED = "sla_recomputed"
"""The event a recompute that changed tickets' due times records (on no ticket)."""


def record_recompute(reader: Reader, actor: Actor, changed: int) -> None:
    """Say that ``changed`` tickets' SLA times were recomputed (a policy or calendar edit):
    an event on no ticket, which moves the desk's change mark, so the SLA worker's probe and
    the open queues look again."""
    record_desk_event(reader, actor, utcnow(), RECOMPUTED, new=f"{changed} ticket(s)")


_STORE_ALERT = (
    update(ticket)
    .where(Ticket.id == bindparam("ticket_id"))
    .values(sla_alert_at=bindparam("alert_at"))
)


def store_next_alerts(reader: Reader, times: dict[int, datetime | None]) -> None:
    """Store these tickets' next alert times (ticket id → :func:`next_alert_at`), as the SLA
    pass worked them out after alerting them (the rest of their clocks is unchanged)."""
    if times:
        connection_of(reader).execute(
            _STORE_ALERT, [{"ticket_id": i, "alert_at": at} for i, at in times.items()]
        )


@dataclass(frozen=True)
class Scope:
    """Which tickets a policy can apply to (``None``: any value), as a SQL condition."""

    priority: str | None = None
    type: str | None = None
    category: str | None = None
    organization_id: int | None = None

    @classmethod
    def of(cls, row: SlaPolicy) -> Scope:
        return cls(row.priority, row.type, row.category, row.organization_id)

    def condition(self) -> ColumnElement[bool] | None:
        """``None`` when the policy may apply to every ticket."""
        parts: list[ColumnElement[bool]] = []
        if self.priority is not None:
            parts.append(Ticket.priority == self.priority)
        if self.type is not None:
            parts.append(Ticket.type == self.type)
        if self.category is not None:
            parts.append(Ticket.category == self.category)
        if self.organization_id is not None:
            members = select(Contact.id).where(Contact.organization_id == self.organization_id)
            parts.append(Ticket.requester_id.in_(members))
        return and_(*parts) if parts else None


def open_ticket_batches(
    reader: Reader,
    size: int,
    scopes: Sequence[Scope] | None = None,
    numbers: tuple[int, int] | None = None,
) -> Iterator[list[int]]:
    """Ids of open tickets (numbered ``numbers``, first to last, if given), ``size`` at a
    time, in id order (a keyset walk).

    ``scopes``: only tickets one of these policies can apply to. A policy change cannot move
    the clocks of a ticket that neither its old nor its new version matches (the ticket's
    policy stays the one it was), so only those are recomputed.
    """
    conditions = [scope.condition() for scope in scopes or ()]
    narrowed = [c for c in conditions if c is not None]
    where: list[ColumnElement[bool]] = [Ticket.status.in_(OPEN_STATUSES)]
    if narrowed and len(narrowed) == len(conditions):
        where.append(or_(*narrowed))
    conn = connection_of(reader)
    after = 0
    among: list[Any] = []
    if numbers is not None:
        # Their ids' range (read off the number's index): a walk of those rows only.
        low, high = conn.execute(
            select(func.min(Ticket.id), func.max(Ticket.id)).where(Ticket.number.between(*numbers))
        ).one()
        if low is None:
            return
        after, among = low - 1, [Ticket.number.between(*numbers), Ticket.id <= high]
    while True:
        ids = list(
            conn.scalars(
                select(Ticket.id)
                .where(*where, Ticket.id > after, *among)
                .order_by(Ticket.id)
                .limit(size)
            ).all()
        )
        if not ids:
            return
        yield [int(i) for i in ids if i is not None]
        after = int(ids[-1] or 0)
