"""A read receipt sent as an ordinary message ("Read: <subject>", no MDN), read from Dovecot.

Outlook and other clients send one when they are not set up to send MDNs. It named the
ticket in its subject and came from the requester, so it was taken as the customer writing
again: a waiting ticket opened, its SLA clock ran again, and the agent found "Your message
was read" as the customer's answer. It is a machine's now: a note, the status stays.
"""

from __future__ import annotations

from helpdesk_tui.desk import fields
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Status

from .mailbuild import email, messages, new_id, outbox, server_settings, tickets
from .servers import ImapAccount
from .test_poller import poller


def test_a_read_receipt_by_subject_leaves_a_waiting_ticket_waiting(
    db: Database, admin: Actor, dovecot: ImapAccount
) -> None:
    settings = server_settings(dovecot)
    dovecot.append("INBOX", email(message_id=new_id(), subject="Printer on fire"))
    assert poller(db, settings).run_once() == 1
    [ticket] = tickets(db)
    with db.write() as session:
        fields.set_status(session, admin, ticket.number, "waiting")

    dovecot.append(
        "INBOX",
        email(
            subject=f"Read: Re: Printer on fire [#{ticket.number}]",
            message_id=None,
            body=(
                "Your message\n\n  To: ann@example.org\n"
                f"  Subject: Re: Printer on fire [#{ticket.number}]\n\n"
                "was read on Sunday, December 6, 2026 2:00 PM."
            ),
        ),
    )
    assert poller(db, settings).run_once() == 1

    [after] = tickets(db)
    assert after.status == Status.WAITING
    note = messages(db, ticket.number)[-1]
    assert note.kind == "system" and note.body.startswith("Read receipt from ann@example.org")
    assert [m.kind for m in outbox(db)] == ["ack"]
    assert dovecot.list_uids("INBOX") == []
