"""Creating and loading tickets; handing out their numbers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import insert, text

from helpdesk_tui.desk import history, sla_marks, ticket_record
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.blobs import as_bytes
from helpdesk_tui.desk.contacts import ContactRow, find_or_create_contact
from helpdesk_tui.desk.email_meta import EmailMeta as EmailMeta
from helpdesk_tui.desk.email_meta import NewAttachment as NewAttachment
from helpdesk_tui.desk.errors import InvalidValue, NotFound
from helpdesk_tui.desk.tags import apply_tags
from helpdesk_tui.desk.ticket_record import TicketRecord, TicketState
from helpdesk_tui.desk.values import parse_number as parse_number
from helpdesk_tui.desk.values import parse_priority, parse_type, text_value
from helpdesk_tui.storage.core_tables import attachment, message
from helpdesk_tui.storage.core_text import insert_returning_id
from helpdesk_tui.storage.database import connection_of
from helpdesk_tui.storage.enums import PRIORITY_RANK, Channel, MessageKind, Status, utcnow

if TYPE_CHECKING:
    from sqlmodel import Session

    from helpdesk_tui.storage.database import Reader
    from helpdesk_tui.storage.models import Ticket

_NEXT_NUMBER = text(
    "UPDATE counter SET value = value + 1 WHERE name = 'ticket_number' RETURNING value"
)
_TAKE_NUMBERS = text(
    "UPDATE counter SET value = value + :count WHERE name = 'ticket_number' RETURNING value"
)
_RETURN_NUMBERS = text("UPDATE counter SET value = value - :count WHERE name = 'ticket_number'")


def next_number(session: Reader) -> int:
    """The next ticket number, taken under the counter row's write lock.

    The increment and the read are one statement, so concurrent creators on PostgreSQL
    queue on the row lock and SQLite's writers queue on the database lock: no two
    transactions that both commit can receive the same number.
    """
    value = connection_of(session).execute(_NEXT_NUMBER).scalar_one()
    return int(value)


def take_numbers(session: Reader, count: int) -> range:
    """``count`` consecutive ticket numbers at once, under the same lock as :func:`next_number`.

    The transaction holds the counter's lock from here to its end, so it may hand back the
    unused top of the range with :func:`return_numbers` before anyone else takes a number.
    """
    last = int(connection_of(session).execute(_TAKE_NUMBERS, {"count": count}).scalar_one())
    return range(last - count + 1, last + 1)


def return_numbers(session: Reader, count: int) -> None:
    """Give back the ``count`` highest numbers of this transaction's :func:`take_numbers`."""
    if count:
        connection_of(session).execute(_RETURN_NUMBERS, {"count": count})


def load_ticket(session: Session, number: int, *, for_update: bool = False) -> Ticket:
    """Ticket ``number`` as an ORM object, for the writers still on the ORM (the facade's
    own writes load a :class:`~helpdesk_tui.desk.ticket_record.TicketRecord`)."""
    from sqlmodel import select

    from helpdesk_tui.storage.models import Ticket

    statement = select(Ticket).where(Ticket.number == number)
    if for_update:
        statement = statement.with_for_update()
    found = session.exec(statement).first()
    if found is None:
        raise NotFound(f"no ticket #{number}")
    return found


def message_values(
    ticket_id: object,
    actor: Actor,
    *,
    kind: MessageKind,
    body: str,
    channel: str,
    author_contact_id: object = None,
    email: EmailMeta,
) -> dict[str, object]:
    """A thread entry's row values: :func:`add_message` writes it, and the batch intake
    (``intake_rows``) keeps it for its one insert, with keys for a ticket or contact not
    yet inserted in place of ids."""
    return {
        "ticket_id": ticket_id,
        "kind": kind,
        "channel": channel,
        "author_agent_id": actor.agent_id,
        "author_contact_id": author_contact_id,
        "subject": email.subject,
        "body": body,
        "body_html": email.body_html,
        "from_address": email.from_address,
        "to_addresses": ", ".join(email.to) or None,
        "cc_addresses": ", ".join(email.cc) or None,
        "email_message_id": email.message_id,
        "in_reply_to": email.in_reply_to,
        "references": " ".join(email.references) or None,
        "raw_message_id": email.raw_message_id,
        "created_at": utcnow(),
    }


def add_message(
    reader: Reader,
    actor: Actor,
    ticket: TicketState,
    *,
    kind: MessageKind,
    body: str,
    channel: str,
    author_contact_id: int | None = None,
    email: EmailMeta | None = None,
) -> int:
    """Append one entry to the thread (no version bump: callers decide what else changes);
    the message's id."""
    email = email or EmailMeta()
    body = text_value(body, "message text")
    assert ticket.id is not None
    conn = connection_of(reader)
    values = message_values(
        ticket.id,
        actor,
        kind=kind,
        body=body,
        channel=channel,
        author_contact_id=author_contact_id,
        email=email,
    )
    # (SQL text made once: ``storage/core_text``)
    statement = insert_returning_id(conn.dialect, message, tuple(values))
    message_id = int(conn.execute(statement, values).scalar_one())
    if email.attachments:
        conn.execute(
            insert(attachment),
            [
                item.row(message_id) | {"content": as_bytes(item.content)}
                for item in email.attachments
            ],
        )
    return message_id


def create_ticket(
    reader: Reader,
    actor: Actor,
    *,
    subject: str,
    body: str,
    channel: str = Channel.MANUAL,
    requester_email: str | None = None,
    requester_name: str = "",
    requester: ContactRow | None = None,
    priority: str = "normal",
    ticket_type: str = "question",
    category: str | None = None,
    tags: Iterable[str] = (),
    email: EmailMeta | None = None,
) -> TicketRecord:
    """A new ticket with its first message, from any channel (under a write lock, as
    :func:`~helpdesk_tui.desk.ticket_record.add` gives it)."""
    subject = " ".join(text_value(subject, "subject", single_line=True).split())
    requester_name = text_value(requester_name, "requester's name", single_line=True)
    body = text_value(body, "message text")
    category = text_value(category, "category", single_line=True) if category else None
    if not subject:
        raise InvalidValue("a ticket needs a subject")
    channel = Channel(channel)
    conn = connection_of(reader)
    if requester is None and requester_email:
        requester = find_or_create_contact(conn, requester_email, requester_name)
    priority_value = parse_priority(priority)
    now = utcnow()
    values = {
        "number": next_number(conn),
        "subject": subject[:500],
        "requester_id": requester.id if requester else None,
        "status": Status.NEW,
        "priority": priority_value,
        "priority_rank": PRIORITY_RANK[priority_value],
        "type": parse_type(ticket_type),
        "category": category or None,
        "channel": channel,
        "tier": 1,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    # Its clocks are written with it, as intake writes its new tickets': not recomputed
    # from its history after (two reads, and an UPDATE through each of the ticket's indexes).
    from helpdesk_tui.desk.sla_clock import set_new_dues

    set_new_dues(conn, [values])
    new = ticket_record.add(conn, **values)
    sla_marks.born(conn, [new.id])
    history.record(conn, actor, new, "created", new=f"via {channel.value}")
    if body or email:
        add_message(
            conn,
            actor,
            new,
            kind=MessageKind.CUSTOMER,
            body=body,
            channel=channel,
            author_contact_id=requester.id if requester else None,
            email=email,
        )
    apply_tags(conn, actor, new, add=tags, bump=False)
    return new
