"""Keeping each ticket's SLA due columns equal to what its history and the policies say.

This is the one writer of ``response_due_at`` / ``resolution_due_at`` / ``reply_due_at`` /
``reply_started_at`` (the database derives ``sla_due_at``, the earliest pending one, from
them). Whatever changes a ticket in a way a clock cares about records an event
(``history.record``, or the intake's batch rows); the event marks the ticket, and just
before that transaction commits the marked tickets' clocks are recomputed from their history
(:func:`refresh`) — in the same transaction, so the stored due times never disagree with
the history that explains them. A policy or calendar change recomputes every open ticket in batches
(:func:`open_ticket_batches`, :func:`refresh`).

The stored due times depend on the history only, never on the time of computation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, bindparam, event, func, or_, update
from sqlalchemy import select as select_rows
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select

from helpdesk_tui.desk import sla
from helpdesk_tui.desk.statuses import OPEN_STATUSES
from helpdesk_tui.storage.models import Contact, Event, Organization, Ticket, utcnow

if TYPE_CHECKING:
    from helpdesk_tui.storage.sla_models import SlaPolicy
from helpdesk_tui.desk.sla_reads import calendar_of as calendar_of
from helpdesk_tui.desk.sla_reads import load_calendars as load_calendars
from helpdesk_tui.desk.sla_reads import load_rules as load_rules

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
_FACT_KINDS = {"reply": "reply", "customer_message": "customer", "phone_call": "customer"}
_MARKED = "sla_marked"
_RULES = "sla_rules"
"""The rules :func:`set_new_dues` read, kept for the recompute at the same commit."""


def touch(session: Session, ticket_id: int | None, kind: str) -> None:
    """Mark the ticket for a recompute before this transaction commits (if ``kind`` matters)."""
    if ticket_id is not None and kind in CLOCK_EVENTS:
        session.info.setdefault(_MARKED, set()).add(ticket_id)


def touch_rows(
    session: Session, events: Iterable[dict[str, Any]], born: Iterable[int] = ()
) -> None:
    """:func:`touch` for event rows written in bulk (the intake's). The ``created`` events
    of tickets in ``born`` are passed over: :func:`set_new_dues` gave them their clocks."""
    skip = set(born)
    for row in events:
        ticket_id = row.get("ticket_id")
        if ticket_id in skip and row.get("kind") == "created":
            continue
        touch(session, ticket_id, str(row.get("kind")))


def set_new_dues(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Fill the due columns of ticket rows about to be inserted, as :func:`refresh` would
    once they were (a new ticket's clocks depend on its fields and requester only: its
    history is its ``created`` event). Saves writing each new row twice, which costs the
    ticket table's every index; the caller leaves their ``created`` events untouched
    (:func:`touch_rows`)."""
    if not rows:
        return
    policies, calendars = session.info[_RULES] = load_rules(session)  # for the commit's too
    requesters = sorted({r["requester_id"] for r in rows if r.get("requester_id") is not None})
    organizations: dict[int | None, str | None] = {}
    if requesters:
        organizations = {
            contact_id: name
            for contact_id, name in session.connection().execute(
                select_rows(col(Contact.id), col(Organization.name))
                .join(Organization, col(Organization.id) == col(Contact.organization_id))
                .where(col(Contact.id).in_(requesters))
            )
        }
    now = utcnow()
    for row in rows:
        requester = row.get("requester_id")
        ticket = sla.TicketFacts(
            created_at=row["created_at"],
            status=str(row["status"]),
            priority=str(row["priority"]),
            type=str(row["type"]),
            category=row.get("category"),
            organization=organizations.get(requester) if requester is not None else None,
        )
        explained = sla.explain(ticket, policies, calendars, now, dues_only=True)
        row["response_due_at"] = explained.response_due_at
        row["resolution_due_at"] = explained.resolution_due_at
        row["reply_due_at"] = explained.reply_due_at
        row["reply_started_at"] = explained.reply_started_at


@event.listens_for(OrmSession, "before_commit")
def _before_commit(session: OrmSession) -> None:
    marked: set[int] | None = session.info.pop(_MARKED, None)
    rules = session.info.pop(_RULES, None)
    if marked:
        session.flush()
        refresh(session, sorted(marked), rules)  # type: ignore[arg-type]


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_MARKED, None)
    session.info.pop(_RULES, None)


def event_fact(kind: str, new_value: str | None, at: datetime) -> sla.Fact | None:
    """What an event tells a ticket's clocks; None for an event that moves none."""
    if kind == "status":
        return sla.Fact(at, "status", new_value)
    moved = _FACT_KINDS.get(kind)
    return None if moved is None else sla.Fact(at, moved)


def facts(session: Session, ticket_ids: Sequence[int]) -> dict[int, sla.TicketFacts]:
    """What the clocks of these tickets are computed from: fields and the events that matter."""
    rows = (
        session.connection()
        .execute(
            select_rows(
                col(Ticket.id),
                col(Ticket.number),
                col(Ticket.created_at),
                col(Ticket.status),
                col(Ticket.priority),
                col(Ticket.type),
                col(Ticket.category),
                col(Organization.name),
            )
            .join(Contact, col(Contact.id) == col(Ticket.requester_id), isouter=True)
            .join(Organization, col(Organization.id) == col(Contact.organization_id), isouter=True)
            .where(col(Ticket.id).in_(ticket_ids))
        )
        .all()
    )
    numbers = {int(row[0] or 0): row[1] for row in rows}
    found: dict[int, list[sla.Fact]] = {ticket_id: [] for ticket_id in numbers}
    events = (
        session.connection()
        .execute(
            select_rows(
                col(Event.ticket_id),
                col(Event.ticket_number),
                col(Event.kind),
                col(Event.new_value),
                col(Event.created_at),
            )
            .where(
                col(Event.ticket_id).in_(ticket_ids),
                col(Event.kind).in_(["status", *_FACT_KINDS]),
            )
            .order_by(col(Event.created_at), col(Event.id))
        )
        .all()
    )
    for ticket_id, number, kind, new, at in events:
        # Events a merge brought in keep their old ticket's number: that ticket's history.
        fact = event_fact(kind, new, at)
        if fact is not None and ticket_id is not None and number == numbers.get(ticket_id):
            found[ticket_id].append(fact)
    return {
        int(row[0] or 0): sla.TicketFacts(
            created_at=row[2],
            status=row[3],
            priority=row[4],
            type=row[5],
            category=row[6],
            organization=row[7],
            facts=tuple(found[int(row[0] or 0)]),
        )
        for row in rows
    }


_STORE = (
    update(Ticket)
    .where(col(Ticket.id) == bindparam("ticket_id"))
    .values(
        response_due_at=bindparam("response_due"),
        resolution_due_at=bindparam("resolution_due"),
        reply_due_at=bindparam("reply_due"),
        reply_started_at=bindparam("reply_started"),
    )
)


def refresh(
    session: Session,
    ticket_ids: Sequence[int],
    rules: tuple[list[sla.Policy], dict[str, sla.Calendar]] | None = None,
) -> int:
    """Recompute and store these tickets' due columns; how many changed."""
    policies, calendars = rules or load_rules(session)
    now = utcnow()  # only the clocks' states use it; nothing stored depends on it
    current = {
        row[0]: tuple(row[1:])
        for row in session.connection()
        .execute(
            select_rows(
                col(Ticket.id),
                col(Ticket.response_due_at),
                col(Ticket.resolution_due_at),
                col(Ticket.reply_due_at),
                col(Ticket.reply_started_at),
            ).where(col(Ticket.id).in_(ticket_ids))
        )
        .all()
    }
    changes = []
    for ticket_id, ticket in facts(session, ticket_ids).items():
        explained = sla.explain(ticket, policies, calendars, now, dues_only=True)
        due = (
            explained.response_due_at,
            explained.resolution_due_at,
            explained.reply_due_at,
            explained.reply_started_at,
        )
        if current.get(ticket_id) != due:
            changes.append(
                {
                    "ticket_id": ticket_id,
                    "response_due": due[0],
                    "resolution_due": due[1],
                    "reply_due": due[2],
                    "reply_started": due[3],
                }
            )
    if changes:
        session.connection().execute(
            _STORE, changes, execution_options={"synchronize_session": False}
        )
        for change in changes:
            loaded = session.identity_map.get(identity_key(Ticket, change["ticket_id"]))
            if loaded is not None:
                set_committed_value(loaded, "response_due_at", change["response_due"])
                set_committed_value(loaded, "resolution_due_at", change["resolution_due"])
                set_committed_value(loaded, "reply_due_at", change["reply_due"])
                set_committed_value(loaded, "reply_started_at", change["reply_started"])
                session.expire(loaded, ["sla_due_at"])
    return len(changes)


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
            parts.append(col(Ticket.priority) == self.priority)
        if self.type is not None:
            parts.append(col(Ticket.type) == self.type)
        if self.category is not None:
            parts.append(col(Ticket.category) == self.category)
        if self.organization_id is not None:
            members = select_rows(col(Contact.id)).where(
                col(Contact.organization_id) == self.organization_id
            )
            parts.append(col(Ticket.requester_id).in_(members))
        return and_(*parts) if parts else None


def open_ticket_batches(
    session: Session,
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
    where: list[ColumnElement[bool]] = [col(Ticket.status).in_(OPEN_STATUSES)]
    if narrowed and len(narrowed) == len(conditions):
        where.append(or_(*narrowed))
    after = 0
    among: list[Any] = []
    if numbers is not None:
        # Their ids' range (read off the number's index): a walk of those rows only.
        low, high = session.exec(
            select(func.min(Ticket.id), func.max(Ticket.id)).where(
                col(Ticket.number).between(*numbers)
            )
        ).one()
        if low is None:
            return
        after, among = low - 1, [col(Ticket.number).between(*numbers), col(Ticket.id) <= high]
    while True:
        ids = list(
            session.exec(
                select(Ticket.id)
                .where(*where, col(Ticket.id) > after, *among)
                .order_by(col(Ticket.id))
                .limit(size)
            ).all()
        )
        if not ids:
            return
        yield [int(i) for i in ids if i is not None]
        after = int(ids[-1] or 0)
