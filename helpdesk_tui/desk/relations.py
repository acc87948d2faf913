"""Tickets and each other: links, merges, and an admin's delete."""

from __future__ import annotations

from sqlalchemy import delete, exists, or_, update
from sqlmodel import Session, col, select

from helpdesk_tui.desk import copies, history
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import InvalidTransition, InvalidValue, NeedsConfirmation
from helpdesk_tui.desk.merge_plan import MergeSide, plan_of, refuse_itself
from helpdesk_tui.desk.tags import apply_tags, ticket_tags
from helpdesk_tui.desk.ticket_reads import linked_numbers as linked_numbers
from helpdesk_tui.desk.tickets import load_ticket
from helpdesk_tui.storage.models import (
    Contact,
    Event,
    Message,
    Role,
    Status,
    Ticket,
    TicketLink,
    utcnow,
)

LINK_KINDS = ("related", "follow_up", "merged")


def _lock_pair(session: Session, first: int, second: int) -> tuple[Ticket, Ticket]:
    """Lock two tickets in number order, so two agents locking the same pair queue, not deadlock."""
    refuse_itself(first, second)
    locked = {n: load_ticket(session, n, for_update=True) for n in sorted((first, second))}
    return locked[first], locked[second]


def link(
    session: Session, actor: Actor, number: int, other: int, *, kind: str = "related"
) -> TicketLink:
    if kind not in LINK_KINDS:
        raise InvalidValue(f"unknown link kind {kind!r}; allowed: {', '.join(LINK_KINDS)}")
    ticket, target = _lock_pair(session, number, other)
    existing = session.exec(
        select(TicketLink).where(
            or_(
                (col(TicketLink.from_ticket_id) == ticket.id)
                & (col(TicketLink.to_ticket_id) == target.id),
                (col(TicketLink.from_ticket_id) == target.id)
                & (col(TicketLink.to_ticket_id) == ticket.id),
            ),
            TicketLink.kind == kind,
        )
    ).first()
    if existing is not None:
        return existing
    assert ticket.id is not None and target.id is not None
    row = TicketLink(
        from_ticket_id=ticket.id, to_ticket_id=target.id, kind=kind, created_at=utcnow()
    )
    session.add(row)
    for one, two in ((ticket, target), (target, ticket)):
        history.bump(one)
        history.record(session, actor, one, "linked", new=f"{kind} #{two.number}")
    return row


def _side(session: Session, ticket: Ticket) -> MergeSide:
    contact = session.get(Contact, ticket.requester_id) if ticket.requester_id else None
    return MergeSide(
        ticket.number,
        ticket.requester_id,
        contact.name if contact else None,
        contact.email if contact else None,
    )


def merge(
    session: Session,
    actor: Actor,
    source_number: int,
    target_number: int,
    *,
    expected_version: int | None = None,
    different_requesters: bool = False,
) -> Ticket:
    """Merge ``source`` into ``target``: its messages, history and tags move, its copies
    and requester join the target's copies (``copies.merge``); it closes.

    Both rows are locked before anything is checked, so of two agents merging the same
    pair in opposite directions at once, the second finds the first's merge and is refused.
    Tickets of two different requesters merge only when ``different_requesters`` says a
    person confirmed it (:class:`NeedsConfirmation` otherwise).
    """
    source, target = _lock_pair(session, source_number, target_number)
    history.check_version(session, source, expected_version)
    for ticket in (source, target):
        if ticket.merged_into_id is not None:
            into = session.get(Ticket, ticket.merged_into_id)
            where = f"#{into.number}" if into else "another ticket"
            raise InvalidTransition(f"#{ticket.number} was already merged into {where}")
    if target.status == Status.CLOSED:
        raise InvalidTransition(f"#{target.number} is closed; merge into an open ticket")
    plan = plan_of(_side(session, source), _side(session, target))
    if plan.different_requesters and not different_requesters:
        raise NeedsConfirmation(f"{plan.warning}; confirm to merge anyway")
    session.execute(
        update(Message).where(col(Message.ticket_id) == source.id).values(ticket_id=target.id)
    )
    session.execute(
        update(Event).where(col(Event.ticket_id) == source.id).values(ticket_id=target.id)
    )
    assert source.id is not None and target.id is not None
    history.bump(target)
    apply_tags(session, actor, target, add=ticket_tags(session, source.id), bump=False)
    copies.merge(session, actor, source, target)
    history.record(session, actor, target, "merged", new=f"#{source.number} merged in")
    history.bump(source)
    source.merged_into_id = target.id
    if source.status != Status.CLOSED:
        history.record(
            session, actor, source, "status", field="status", old=source.status, new=Status.CLOSED
        )
        source.status = Status.CLOSED
        source.closed_at = utcnow()
    history.record(session, actor, source, "merged_into", new=f"#{target.number}")
    session.add(
        TicketLink(
            from_ticket_id=source.id, to_ticket_id=target.id, kind="merged", created_at=utcnow()
        )
    )
    return target


def delete_ticket(session: Session, actor: Actor, number: int) -> None:
    """Only an admin may delete; the event trail keeps the number and who did it.

    What the ticket holds goes with it: its messages and attachments, the mail it caused
    in the outbox (a reply still queued is not sent), the raw mail its messages came from
    (unless something else still holds it) and the held mail released into it. What
    remains is the ``deleted`` event (number, subject, who, when), the requester's
    contact, and the record that the mail was read (so it is not read again)."""
    from helpdesk_tui.storage.mail_models import MachineMail, QuarantinedMail, SpamMail
    from helpdesk_tui.storage.models import Outbox, RawMessage

    actor.require(Role.ADMIN, "delete a ticket")
    ticket = load_ticket(session, number, for_update=True)
    subject = ticket.subject
    raw_ids = [
        raw_id
        for raw_id in session.exec(
            select(Message.raw_message_id).where(
                Message.ticket_id == ticket.id, col(Message.raw_message_id).is_not(None)
            )
        )
        if raw_id is not None
    ]
    session.execute(delete(Outbox).where(col(Outbox.ticket_id) == ticket.id))
    for held in (MachineMail, QuarantinedMail, SpamMail):
        session.execute(delete(held).where(col(held.ticket_id) == ticket.id))
    session.delete(ticket)
    session.flush()
    if raw_ids:
        still_held = [
            exists().where(col(model.raw_message_id) == RawMessage.id)
            for model in (Message, MachineMail, QuarantinedMail, SpamMail)
        ]
        session.execute(
            delete(RawMessage).where(
                col(RawMessage.id).in_(raw_ids), *(~held for held in still_held)
            )
        )
    session.add(
        Event(
            ticket_id=None,
            ticket_number=number,
            actor_agent_id=actor.agent_id,
            actor=actor.name,
            kind="deleted",
            old_value=subject,
            created_at=utcnow(),
        )
    )
