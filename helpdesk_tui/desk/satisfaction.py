"""Customer satisfaction: ratings on tickets, and the survey that asks for them.

A rating is an event (``rated``, the score 1 to 5 as its value) on the ticket, with the
customer's comment, if any, as a system entry in the thread; the report reads the last
rating of each ticket. A rating never changes the ticket's status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from helpdesk_tui.desk import history
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.reports import RATED
from helpdesk_tui.desk.tickets import add_message
from helpdesk_tui.storage.models import Channel, Event, Message, MessageKind, Ticket

MAX_COMMENT = 2000


@dataclass(frozen=True)
class Rating:
    """A ticket's satisfaction rating as shown on the ticket."""

    score: int
    by: str
    """Who recorded it: ``mail`` for a survey answer, else the agent who took it by phone."""
    comment: str | None


def check_score(score: int) -> int:
    if not 1 <= score <= 5:
        raise InvalidValue(f"a rating is 1 to 5, not {score}")
    return score


def record_rating(
    session: Session,
    actor: Actor,
    ticket: Ticket,
    score: int,
    comment: str | None,
    *,
    channel: str = Channel.EMAIL,
) -> None:
    """Record ``score`` (and the comment) on ``ticket``; its status stays as it is."""
    check_score(score)
    comment = " ".join((comment or "").split())[:MAX_COMMENT] or None
    history.bump(ticket)
    history.record(session, actor, ticket, RATED, new=str(score))
    shown = f"Satisfaction rating {score}/5"
    add_message(
        session,
        actor,
        ticket,
        kind=MessageKind.SYSTEM,
        body=f"{shown}: {comment}" if comment else shown,
        channel=channel,
    )


_COMMENT = re.compile(r"^Satisfaction rating \d/5: (.*)$", re.DOTALL)


def ticket_rating(session: Session, ticket: Ticket) -> Rating | None:
    """The ticket's latest rating (its own events only, not those a merge brought in)."""
    event = session.exec(
        select(Event)
        .where(
            col(Event.ticket_id) == ticket.id,
            col(Event.ticket_number) == ticket.number,
            col(Event.kind) == RATED,
        )
        .order_by(col(Event.id).desc())
    ).first()
    if event is None or not (event.new_value or "").isdigit():
        return None
    note = session.exec(
        select(Message.body)
        .where(
            col(Message.ticket_id) == ticket.id,
            col(Message.kind) == MessageKind.SYSTEM,
            col(Message.body).startswith(f"Satisfaction rating {event.new_value}/5"),
        )
        .order_by(col(Message.id).desc())
    ).first()
    match = _COMMENT.match(note or "")
    return Rating(int(event.new_value or 0), event.actor, match.group(1) if match else None)
