"""The conversation on a ticket: customer messages, agent replies, internal notes, calls.

The writers that take a ticket number load it as a Core
:class:`~helpdesk_tui.desk.ticket_record.TicketRecord` and save it before returning (see
``desk/fields.py`` for a caller on the ORM); the status rules take any
:class:`~helpdesk_tui.desk.ticket_record.TicketState`, an ORM ``Ticket`` included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from helpdesk_tui.desk import copies, history
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.contacts import ContactRow, contact_row
from helpdesk_tui.desk.errors import InvalidTransition, InvalidValue, NoAddress
from helpdesk_tui.desk.outbox_rows import REPLY_KIND, queue_mail, thread_headers
from helpdesk_tui.desk.statuses import REOPENED_BY_CUSTOMER, check_reopen, check_transition
from helpdesk_tui.desk.ticket_record import TicketRecord, TicketState, load_for_update, save
from helpdesk_tui.desk.tickets import EmailMeta, NewAttachment, add_message, create_ticket
from helpdesk_tui.desk.values import parse_address
from helpdesk_tui.storage.core_tables import Message, Ticket, ticket_link
from helpdesk_tui.storage.database import connection_of
from helpdesk_tui.storage.enums import Channel, MessageKind, Status, utcnow

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader


def _require_body(body: str, what: str) -> str:
    if not body.strip():
        raise InvalidValue(f"an empty {what} was not saved")
    return body


def _set_status(session: Reader, actor: Actor, ticket: TicketState, new: Status) -> None:
    old = Status(ticket.status)
    if old is new:
        return
    ticket.status = new
    now = utcnow()
    if new is Status.RESOLVED:
        ticket.resolved_at = now
        # (the survey's module, its settings and hashing: only a resolution sends one)
        from helpdesk_tui.desk.satisfaction import queue_survey

        queue_survey(session, ticket)
    elif new is Status.CLOSED:
        ticket.closed_at = now
    elif old in (Status.RESOLVED, Status.CLOSED):
        ticket.resolved_at = None
    history.record(session, actor, ticket, "status", field="status", old=old, new=new)


def change_status(session: Reader, actor: Actor, ticket: TicketState, new: Status) -> None:
    """Check the transition, then record it (no version bump: the caller bumps once).

    A status the ticket already has is nothing to do: no check, no event. So a macro or a
    reply that also sets "waiting" on a waiting ticket does the rest of what it says (as
    ``fields.set_status`` to the status a ticket has does nothing, and refuses nothing).
    """
    if Status(ticket.status) is new:
        return
    check_transition(ticket.number, Status(ticket.status), new)
    _set_status(session, actor, ticket, new)


def reopen(session: Reader, actor: Actor, ticket: TicketState, reason: str) -> None:
    """A supervisor or admin takes a closed ticket back to open, saying why.

    A merged ticket stays closed: its conversation lives on in the ticket it was merged into.
    (No version bump: the caller bumps once.)
    """
    reason = " ".join(reason.split())[:500]
    if not reason:
        raise InvalidValue(f"say why #{ticket.number} is reopened (a reason is required)")
    check_reopen(actor, ticket.number, Status(ticket.status))
    if ticket.merged_into_id is not None:
        into = (
            connection_of(session)
            .execute(select(Ticket.number).where(Ticket.id == ticket.merged_into_id))
            .scalar()
        )
        where = f"#{into}" if into is not None else "another ticket"
        raise InvalidTransition(
            f"#{ticket.number} was merged into {where}; its conversation continues there"
        )
    _set_status(session, actor, ticket, Status.OPEN)
    ticket.closed_at = None
    history.record(session, actor, ticket, "reopened", new=reason)


def final_ticket(reader: Reader, ticket: TicketRecord) -> TicketRecord:
    """Follow merges to the ticket that now holds the conversation (under a write lock)."""
    conn = connection_of(reader)
    seen = {ticket.id}
    while ticket.merged_into_id is not None and ticket.merged_into_id not in seen:
        number = conn.execute(select(Ticket.number).where(Ticket.id == ticket.merged_into_id))
        found = number.scalar()
        if found is None:
            break
        ticket = load_for_update(conn, int(found))
        seen.add(ticket.id)
    return ticket


def add_customer_message(
    reader: Reader,
    actor: Actor,
    number: int,
    *,
    body: str,
    channel: str = Channel.EMAIL,
    author: ContactRow | None = None,
    email: EmailMeta | None = None,
) -> tuple[TicketRecord, int]:
    """A message from the customer on an existing ticket.

    Waiting or resolved tickets open again; on a closed ticket the message starts a new
    ticket linked to the old one. Returns the ticket that received the message (saved) and
    the message's id.
    """
    conn = connection_of(reader)
    ticket = final_ticket(conn, load_for_update(conn, number))
    requester = author or contact_row(conn, ticket.requester_id)
    if ticket.status == Status.CLOSED:
        follow_up = create_ticket(
            conn,
            actor,
            subject=ticket.subject,
            body=body,
            channel=channel,
            requester=requester,
            priority=ticket.priority,
            ticket_type=ticket.type,
            category=ticket.category,
            email=email,
        )
        follow_up.team_id = ticket.team_id
        if ticket.team_id is not None:  # its team's tier, as any ticket given to a team
            from helpdesk_tui.desk.tiers import tier_given_to

            follow_up.tier = tier_given_to(conn, ticket.team_id, follow_up.tier)
        save(conn, follow_up)
        conn.execute(
            insert(ticket_link).values(
                from_ticket_id=follow_up.id,
                to_ticket_id=ticket.id,
                kind="follow_up",
                created_at=utcnow(),
            )
        )
        history.record(conn, actor, follow_up, "linked", new=f"follow-up of #{ticket.number}")
        history.bump(ticket)
        history.record(
            conn, actor, ticket, "linked", new=f"customer wrote again in #{follow_up.number}"
        )
        save(conn, ticket)
        first = conn.execute(
            select(Message.id).where(Message.ticket_id == follow_up.id).order_by(Message.id)
        ).scalar()
        assert first is not None
        return follow_up, int(first)
    history.bump(ticket)
    message_id = add_message(
        conn,
        actor,
        ticket,
        kind=MessageKind.CUSTOMER,
        body=body,
        channel=channel,
        author_contact_id=requester.id if requester else None,
        email=email,
    )
    history.record(conn, actor, ticket, "customer_message", new=f"via {channel}")
    if Status(ticket.status) in REOPENED_BY_CUSTOMER:
        _set_status(conn, actor, ticket, Status.OPEN)
    save(conn, ticket)
    return ticket, message_id


def reply(
    session: Reader,
    actor: Actor,
    number: int,
    *,
    body: str,
    expected_version: int | None = None,
    cc: Sequence[str] = (),
    status_after: Status | None = None,
    to: str | None = None,
    attachments: Sequence[NewAttachment] = (),
    with_copies: bool = True,
) -> int:
    """An agent's answer to the customer; its email is queued in this same transaction.

    It goes to the requester's address, or to ``to`` when given (this reply only). With
    neither there is nothing to send, so nothing is saved: :class:`NoAddress`. It goes Cc
    the ticket's copies (``copies.reply_copies``: less those that bounced for good) and
    ``cc``; with ``with_copies`` off, Cc ``cc`` alone (the composer's Cc, edited for this
    reply). ``attachments`` are kept on the reply like incoming ones and go out as MIME
    parts.
    """
    _require_body(body, "reply")
    address = parse_address(to) if to is not None else None
    cc = [parse_address(address, "address to copy (--cc)") for address in cc]
    ticket = load_for_update(session, number)
    history.check_version(session, ticket, expected_version)
    if ticket.status == Status.CLOSED:
        raise InvalidTransition(f"#{number} is closed; a closed ticket takes no replies")
    if address is None:
        address = reply_address(session, ticket)
    if not address:
        raise NoAddress(
            f"#{number} has no requester email address, so the reply was not sent; "
            f"add one (helpdesk ticket requester {number} --email ADDRESS) "
            f"or send to an address (--to ADDRESS)",
            number=number,
        )
    if with_copies:
        kept, _ = copies.reply_copies(session, ticket.id, utcnow())
        cc = [*kept, *cc]
    cc = [a for a in dict.fromkeys(cc) if a != address.lower()]
    history.bump(ticket)
    message_id = add_message(
        session,
        actor,
        ticket,
        kind=MessageKind.REPLY,
        body=body,
        channel=Channel.EMAIL,
        email=EmailMeta(attachments=tuple(attachments)) if attachments else None,
    )
    history.record(session, actor, ticket, "reply", new=f"to {address}" if to else None)
    if ticket.first_response_at is None:
        ticket.first_response_at = (
            connection_of(session)
            .execute(select(Message.created_at).where(Message.id == message_id))
            .scalar_one()
        )
    in_reply_to, references = thread_headers(session, ticket.id)
    # The reply is queued before the status changes: resolving queues the survey, and the
    # outbox sends in the order mail was queued, so the customer reads the answer first.
    queue_mail(
        session,
        ticket,
        now=utcnow(),
        kind=REPLY_KIND,
        to=[address],
        cc=cc,
        body=body,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
    )
    if status_after is not None:
        change_status(session, actor, ticket, status_after)
    if ticket.status == Status.NEW:  # (an answered ticket is no longer new)
        _set_status(session, actor, ticket, Status.OPEN)
    save(session, ticket)
    return message_id


def reply_address(reader: Reader, ticket: TicketState) -> str | None:
    """Where mail about the ticket goes: the ``Reply-To`` the customer gave, else the requester."""
    if ticket.reply_to:
        return ticket.reply_to
    requester = contact_row(reader, ticket.requester_id)
    return requester.email if requester is not None and requester.email else None


def add_note(
    session: Reader,
    actor: Actor,
    number: int,
    *,
    body: str,
    expected_version: int | None = None,
    attachments: Sequence[NewAttachment] = (),
) -> int:
    """An internal note: visible to agents, never sent (nor are its ``attachments``)."""
    _require_body(body, "note")
    ticket = load_for_update(session, number)
    history.check_version(session, ticket, expected_version)
    history.bump(ticket)
    message_id = add_message(
        session,
        actor,
        ticket,
        kind=MessageKind.NOTE,
        body=body,
        channel=Channel.MANUAL,
        email=EmailMeta(attachments=tuple(attachments)) if attachments else None,
    )
    history.record(session, actor, ticket, "note")
    save(session, ticket)
    return message_id


def log_call(
    session: Reader,
    actor: Actor,
    number: int,
    *,
    body: str,
    expected_version: int | None = None,
) -> int:
    """A phone call an agent took or made, written down in the thread (not emailed)."""
    _require_body(body, "call log")
    ticket = load_for_update(session, number)
    history.check_version(session, ticket, expected_version)
    history.bump(ticket)
    message_id = add_message(
        session, actor, ticket, kind=MessageKind.CUSTOMER, body=body, channel=Channel.PHONE
    )
    history.record(session, actor, ticket, "phone_call")
    if Status(ticket.status) in REOPENED_BY_CUSTOMER:
        _set_status(session, actor, ticket, Status.OPEN)
    save(session, ticket)
    return message_id
