"""Which ticket an incoming message continues, if any.

In order: In-Reply-To and References against every Message-ID we stored or sent (and our
own signed IDs, which name their ticket); then the ``[#1042]`` subject tokens, newest ticket first
(:func:`~helpdesk_tui.desk.subjects.tokens_newest_first`), each only from the ticket's
requester or someone already on its thread. A token from anyone else does not thread — a
stranger quoting a number must not write into another customer's ticket — and is reported
as a mention instead (the newest such ticket) when no other token threads.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from helpdesk_tui.desk.subjects import tokens_newest_first
from helpdesk_tui.mail.message_ids import MessageIdSigner, Origin
from helpdesk_tui.mail.parse import ParsedMessage
from helpdesk_tui.storage.models import Contact, Message, Outbox, Ticket

_MAX_IDS = 50


@dataclass(frozen=True)
class ThreadMatch:
    number: int | None
    """The ticket to add the message to; None for a new ticket."""
    how: str
    """``headers``, ``token`` or ``none``."""
    mentioned: int | None = None
    """A ticket named by subject token that the sender may not write into."""


def match_thread(session: Session, parsed: ParsedMessage, signer: MessageIdSigner) -> ThreadMatch:
    number = _by_headers(session, parsed, signer)
    if number is not None:
        return ThreadMatch(number, "headers")
    mentioned: int | None = None
    for number in tokens_newest_first(parsed.subject):
        ticket = session.exec(select(Ticket).where(Ticket.number == number)).first()
        if ticket is None:
            continue
        if parsed.from_address and parsed.from_address in participants(session, ticket):
            return ThreadMatch(ticket.number, "token")
        mentioned = mentioned or ticket.number
    return ThreadMatch(None, "none", mentioned=mentioned)


def wanted_ids(parsed: ParsedMessage) -> list[str]:
    """The Message-IDs a message answers, most direct first: In-Reply-To, then References."""
    wanted: list[str] = []
    for message_id in [parsed.in_reply_to, *reversed(parsed.references)]:
        if message_id and message_id not in wanted:
            wanted.append(message_id)
    return wanted[:_MAX_IDS]


def _by_headers(session: Session, parsed: ParsedMessage, signer: MessageIdSigner) -> int | None:
    wanted = wanted_ids(parsed)
    if not wanted:
        return None
    found: dict[str, int] = {}
    for column, owner in (
        (Message.email_message_id, Message.ticket_id),
        (Outbox.email_message_id, Outbox.ticket_id),
    ):
        rows = session.exec(select(column, owner).where(col(column).in_(wanted))).all()
        found.update({mid: tid for mid, tid in rows if mid and tid is not None})
    for message_id in wanted:
        checked = signer.check(message_id)
        if checked.origin is Origin.FORGED:
            continue
        if message_id in found:
            ticket = session.get(Ticket, found[message_id])
            if ticket is not None:
                return ticket.number
        if checked.origin is Origin.OURS and checked.ticket_number is not None:
            exists = session.exec(
                select(Ticket.number).where(Ticket.number == checked.ticket_number)
            ).first()
            if exists is not None:
                return checked.ticket_number
    return None


def participants(session: Session, ticket: Ticket) -> set[str]:
    """Addresses that may thread by token: the requester and everyone on the thread."""
    found: set[str] = set()
    if ticket.requester_id is not None:
        requester = session.get(Contact, ticket.requester_id)
        if requester is not None and requester.email:
            found.add(requester.email.lower())
    rows = session.exec(
        select(Message.from_address, Message.to_addresses, Message.cc_addresses).where(
            Message.ticket_id == ticket.id
        )
    ).all()
    outbox = session.exec(
        select(Outbox.to_addresses, Outbox.cc_addresses).where(Outbox.ticket_id == ticket.id)
    ).all()
    for values in [*rows, *outbox]:
        for value in values:
            found.update(a.strip().lower() for a in (value or "").split(",") if a.strip())
    return found
