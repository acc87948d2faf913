"""Mail from the desk's own address that the desk did not send, read from a real Dovecot.

Two everyday cases: a colleague answers a customer from a mail client with the shared
address (the answer belongs on the ticket), and a web form sends as the desk with the
visitor in ``Reply-To`` (a request nobody may lose). Both were dropped unseen as "our own
mail"; now the first is a note on its ticket and the second is held as machine mail that
an agent can release into a ticket for the visitor. Neither opens a ticket on its own,
changes a status or gets an answer.
"""

from __future__ import annotations

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.mail.ingest import IngestConfig, release_machine
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import Outcome
from helpdesk_tui.storage.models import Contact

from .mailbuild import (
    DESK,
    config_for,
    email,
    messages,
    new_id,
    outbox,
    server_settings,
    tickets,
)
from .servers import ImapAccount
from .test_intake_scenarios import held
from .test_poller import poller


def test_a_colleagues_answer_from_the_shared_address_is_noted_on_its_ticket(
    db: Database, dovecot: ImapAccount
) -> None:
    settings = server_settings(dovecot)
    first = new_id()
    dovecot.append("INBOX", email(message_id=first, subject="Printer on fire"))
    assert poller(db, settings).run_once() == 1
    [ticket] = tickets(db)

    dovecot.append(
        "INBOX",
        email(
            sender=f"ACME Support <{DESK}>",
            to="ann@example.org",
            subject=f"Re: Printer on fire [#{ticket.number}]",
            in_reply_to=first,
            body="A technician comes at 3 pm.",
        ),
    )
    assert poller(db, settings).run_once() == 1

    [after] = tickets(db)
    assert (after.status, len(tickets(db))) == (ticket.status, 1), "no status change"
    note = messages(db, ticket.number)[-1]
    assert note.kind == "system"
    assert f"Mail from our own address {DESK}, not sent by this desk" in note.body
    assert "A technician comes at 3 pm." in note.body
    assert [m.kind for m in outbox(db)] == ["ack"], "the customer's ack only"
    assert held(db) == []
    assert dovecot.list_uids("INBOX") == []


def test_a_web_form_sending_as_the_desk_is_held_and_released_for_the_visitor(
    db: Database, dovecot: ImapAccount, admin: Actor
) -> None:
    settings = server_settings(dovecot)
    dovecot.append(
        "INBOX",
        email(
            sender=f"ACME Website <{DESK}>",
            subject="Contact form: cannot log in",
            headers=["Reply-To: Wanda Web <wanda@example.net>"],
            body="Name: Wanda\nMessage: I cannot log in since this morning.",
        ),
    )

    assert poller(db, settings).run_once() == 1

    assert tickets(db) == [] and outbox(db) == []
    [entry] = held(db)
    assert entry.kind == "own_address" and entry.subject == "Contact form: cannot log in"
    assert dovecot.list_uids("INBOX") == []

    config: IngestConfig = config_for(settings)
    with db.write() as session:
        result = release_machine(session, admin, entry.id or 0, config)

    assert result.outcome is Outcome.TICKET and not result.acknowledged
    [ticket] = tickets(db)
    with db.read() as session:
        requester = session.get(Contact, ticket.requester_id)
    assert requester is not None and requester.email == "wanda@example.net"
    assert ticket.reply_to is None
    assert "cannot log in" in messages(db, ticket.number)[0].body
