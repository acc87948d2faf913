"""Intake's statements write what the ORM rules write: the same rows, the same history.

The mail poller takes :class:`~helpdesk_tui.desk.intake.Intake` for common messages and the
ORM functions (``create_ticket``, ``add_customer_message``, ``queue_mail``) for the rest;
the rule lives in both, so this keeps the two from drifting apart.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from helpdesk_tui.desk import fields
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.contacts import find_or_create_contact
from helpdesk_tui.desk.intake import Intake
from helpdesk_tui.desk.outbox import queue_mail
from helpdesk_tui.desk.thread import add_customer_message
from helpdesk_tui.desk.tickets import EmailMeta, NewAttachment, create_ticket, load_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import (
    Attachment,
    Channel,
    Event,
    Message,
    MessageKind,
    Outbox,
    Ticket,
)

_NOT_COMPARED = {"id", "ticket_id", "message_id", "number", "ticket_number", "created_at"}
_NOT_COMPARED |= {"updated_at", "next_attempt_at", "email_message_id", "subject"}


def _meta(message_id: str) -> EmailMeta:
    return EmailMeta(
        message_id=message_id,
        from_address="ann@example.org",
        to=("support@desk.example",),
        subject="Printer on fire",
        attachments=(NewAttachment("photo.jpg", b"\xff\xd8jpeg", "image/jpeg"),),
    )


def _rows(db: Database, number: int) -> dict[str, Any]:
    """Every row a ticket has, without what differs by nature (ids, numbers, times)."""

    def plain(row: Any) -> dict[str, Any]:
        return {k: v for k, v in row.model_dump().items() if k not in _NOT_COMPARED}

    with db.read() as s:
        ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
        messages = s.exec(select(Message).where(Message.ticket_id == ticket.id)).all()
        ids = [m.id for m in messages]
        attachments = s.exec(select(Attachment).where(Attachment.message_id.in_(ids))).all()  # type: ignore[union-attr]
        events = s.exec(select(Event).where(Event.ticket_id == ticket.id).order_by(Event.id)).all()  # type: ignore[arg-type]
        outbox = s.exec(select(Outbox).where(Outbox.ticket_id == ticket.id)).all()
        return {
            "ticket": plain(ticket),
            "messages": [plain(m) for m in messages],
            "attachments": [plain(a) for a in attachments],
            "events": [plain(e) for e in events],
            "outbox": [plain(o) for o in outbox],
        }


def _by_orm(db: Database, actor: Actor) -> int:
    with db.write() as s:
        contact = find_or_create_contact(s, "ann@example.org", "Ann")
        ticket = create_ticket(
            s,
            actor,
            subject="Printer on fire",
            body="It smokes.",
            channel=Channel.EMAIL,
            requester=contact,
            email=_meta("<a@example.org>"),
        )
        queue_mail(s, ticket, kind="ack", to=["ann@example.org"], subject="Got it", body="#")
        return ticket.number


def _by_intake(db: Database, actor: Actor) -> int:
    with db.write() as s:
        contact = find_or_create_contact(s, "ann@example.org", "Ann")
        intake = Intake(s)
        ticket = intake.open_ticket(
            actor, subject="Printer on fire", channel=Channel.EMAIL, requester_id=contact.id
        )
        intake.append_message(
            actor,
            ticket,
            kind=MessageKind.CUSTOMER,
            body="It smokes.",
            channel=Channel.EMAIL,
            author_contact_id=contact.id,
            email=_meta("<b@example.org>"),
        )
        intake.queue_mail(ticket, kind="ack", to=["ann@example.org"], subject="Got it", body="#")
        intake.flush()
        return ticket.number


def test_a_new_ticket_from_mail_is_the_same_either_way(db: Database, admin: Actor) -> None:
    orm, statements = _by_orm(db, admin), _by_intake(db, admin)
    reference = _rows(db, orm)
    assert [e["kind"] for e in reference["events"]] == ["created"]
    assert len(reference["attachments"]) == len(reference["outbox"]) == 1
    assert _rows(db, statements) == reference


def test_a_follow_up_that_reopens_is_the_same_either_way(db: Database, admin: Actor) -> None:
    orm, statements = _by_orm(db, admin), _by_intake(db, admin)
    for number in (orm, statements):
        with db.write() as s:
            fields.set_status(s, admin, number, "waiting")
    with db.write() as s:
        add_customer_message(s, admin, orm, body="Still smoking.", email=_meta("<c@example.org>"))
    with db.write() as s:
        intake = Intake(s)
        ticket_id = load_ticket(s, statements).id
        assert ticket_id is not None
        target = intake.lock_open_ticket(ticket_id)
        assert target is not None
        intake.customer_follow_up(
            admin,
            target,
            body="Still smoking.",
            channel=Channel.EMAIL,
            author_contact_id=None,
            email=_meta("<d@example.org>"),
        )
        intake.flush()
    reference = _rows(db, orm)
    assert reference["ticket"]["status"] == "open"
    assert [e["kind"] for e in reference["events"]][-2:] == ["customer_message", "status"]
    assert _rows(db, statements) == reference
