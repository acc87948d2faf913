"""Mail from the desk's own address that the desk did not send, read from a real Dovecot.

Two everyday cases: a colleague answers a customer from a mail client with the shared
address (the answer belongs on the ticket), and a web form sends as the desk with the
visitor in ``Reply-To`` (a request nobody may lose). Both were dropped unseen as "our own
mail"; now the first is an agent's reply on its ticket, sent outside the desk (a note at
first), and the second is held as machine mail that an agent can release into a ticket for
the visitor. Neither opens a ticket on its own,
changes a status or gets an answer — except a colleague's answer that matches no ticket and
is clearly one (a reply's subject, quoted text, to an outside address): it opens a ticket
for that customer, answered and waiting on them, where it was held.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.mail.ingest import IngestConfig, release_machine
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import Outcome
from helpdesk_tui.storage.models import Contact, Event, Status

from .mailbuild import (
    DESK,
    config_for,
    email,
    messages,
    new_id,
    on_sqlite_only,
    outbox,
    server_settings,
    tickets,
)
from .servers import ImapAccount
from .test_intake_scenarios import held
from .test_poller import poller

A_QUOTE_READ = on_sqlite_only(
    "tests/mail/test_own_address_mail.py::"
    "test_an_answered_ticket_keeps_the_customers_quoted_words_and_name"
)
"""How a colleague's answer's quote is read (its date, whose words, the name's text): the
ticket and messages made of it are written as that test's are, on PostgreSQL too."""


def test_a_colleagues_answer_from_the_shared_address_is_a_reply_on_its_ticket(
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
    # The customer got an answer: an agent's reply, sent outside the desk (it was a note).
    reply = messages(db, ticket.number)[-1]
    assert (reply.kind, reply.body.strip()) == ("reply", "A technician comes at 3 pm.")
    assert reply.from_address == DESK
    assert [m.kind for m in outbox(db)] == ["ack"], "not queued to the customer again"
    assert ticket.first_response_at is None and after.first_response_at is not None
    assert after.first_response_at == reply.created_at
    assert ticket.reply_due_at is not None and after.reply_due_at is None, "SLA: responded"
    with db.read() as session:
        [event] = session.exec(
            select(Event).where(Event.ticket_id == ticket.id, Event.kind == "reply")
        )
    assert event.new_value == f"sent outside the desk, from {DESK}"
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


_COLLEAGUE_ANSWER = (
    "Yes, the spare toner is in the second drawer.\n\n"
    "On Mon, 23 Nov 2026 at 09:00, Carl Client <carl@example.net> wrote:\n"
    "> Where do we keep the toner?\n"
)


def test_a_colleagues_answer_matching_no_ticket_opens_an_answered_ticket(
    db: Database, dovecot: ImapAccount
) -> None:
    """Carl wrote to a colleague, who answered from the shared address: no ticket knows
    Carl's mail, and the answer was held as machine mail, out of the queue, so Carl's next
    message started a ticket that did not show the answer he had."""
    settings = server_settings(dovecot)
    answer_id = new_id("desk.test")
    dovecot.append(
        "INBOX",
        email(
            sender=f"ACME Support <{DESK}>",
            to="Carl Client <carl@example.net>",
            subject="RE: Toner",
            message_id=answer_id,
            in_reply_to=new_id("example.net"),
            body=_COLLEAGUE_ANSWER,
        ),
    )
    assert poller(db, settings).run_once() == 1

    assert held(db) == []
    [ticket] = tickets(db)
    assert (ticket.subject, ticket.status) == ("Toner", Status.WAITING)
    with db.read() as session:
        requester = session.get(Contact, ticket.requester_id)
        assert requester is not None and requester.email == "carl@example.net"
        events = {
            e.kind: e.new_value
            for e in session.exec(select(Event).where(Event.ticket_id == ticket.id))
        }
    question, reply, note = messages(db, ticket.number)
    assert (question.kind, question.body) == ("customer", "Where do we keep the toner?")
    assert requester.name == "Carl Client"
    assert (reply.kind, reply.from_address) == ("reply", DESK)
    assert reply.body.startswith("Yes, the spare toner")
    assert note.kind == "system" and "outside the desk" in note.body
    assert ticket.first_response_at == reply.created_at
    assert ticket.reply_due_at is None, "SLA: responded"
    assert events["reply"] == f"sent outside the desk, from {DESK}"
    assert events["status"] == "waiting"
    assert outbox(db) == [], "no acknowledgement, nothing queued"

    # Carl's answer to it threads into the ticket and opens it again.
    dovecot.append(
        "INBOX",
        email(
            sender="Carl Client <carl@example.net>",
            subject="Re: RE: Toner",
            in_reply_to=answer_id,
            body="Found it, thanks.",
        ),
    )
    assert poller(db, settings).run_once() == 1
    [after] = tickets(db)
    assert after.status == Status.OPEN
    assert messages(db, ticket.number)[-1].body.strip() == "Found it, thanks."


def test_mail_from_the_shared_address_that_is_not_clearly_an_answer_stays_held(
    db: Database, dovecot: ImapAccount
) -> None:
    """No quote, no reply's subject, or an automatic sender: held as before."""
    settings = server_settings(dovecot)
    sender = f"ACME Support <{DESK}>"
    for raw in (
        email(sender=sender, to="carl@example.net", subject="Re: Toner", body="In the drawer."),
        email(sender=sender, to="carl@example.net", subject="Toner", body=_COLLEAGUE_ANSWER),
        email(
            sender=sender,
            to="carl@example.net",
            subject="Re: Toner",
            body=_COLLEAGUE_ANSWER,
            headers=["Auto-Submitted: auto-replied"],
        ),
        email(sender=sender, to=DESK, subject="Re: Toner", body=_COLLEAGUE_ANSWER),
        email(
            sender=sender,
            to="noreply@example.net",
            subject="Re: Toner",
            body=_COLLEAGUE_ANSWER,
        ),
    ):
        dovecot.append("INBOX", raw)
    assert poller(db, settings).run_once() == 5

    assert tickets(db) == []
    assert [entry.kind for entry in held(db)] == ["own_address"] * 5


def test_an_answered_ticket_keeps_the_customers_quoted_words_and_name(
    db: Database, dovecot: ImapAccount
) -> None:
    """The ticket a colleague's answer opens showed the answer only, to a nameless
    requester: the customer's question (quoted in the answer) and the name in To were
    thrown away. Now the question is the ticket's first message, the customer's, dated as
    the quote's attribution says; the answer follows as an agent's reply."""
    settings = server_settings(dovecot)
    dovecot.append(
        "INBOX",
        email(
            sender=f"ACME Support <{DESK}>",
            to='"Jane Roe" <jane@example.net>',
            subject="Re: VPN drops every hour",
            in_reply_to=new_id("example.net"),
            body=(
                "Please update the client to 4.2; that fixes it.\n\n"
                "On Mon, 23 Nov 2026 at 08:15, Jane Roe <jane@example.net> wrote:\n"
                "> Hello,\n"
                "> my VPN drops every hour since Friday.\n"
                ">\n"
                "> Jane\n"
            ),
        ),
    )
    assert poller(db, settings).run_once() == 1

    [ticket] = tickets(db)
    with db.read() as session:
        requester = session.get(Contact, ticket.requester_id)
    assert requester is not None
    assert (requester.email, requester.name) == ("jane@example.net", "Jane Roe")
    question, reply, note = messages(db, ticket.number)
    assert (question.kind, question.author_contact_id) == ("customer", requester.id)
    assert question.body == "Hello,\nmy VPN drops every hour since Friday.\n\nJane"
    assert question.from_address == "jane@example.net"
    assert question.created_at == datetime(2026, 11, 23, 8, 15, tzinfo=UTC)
    assert (reply.kind, reply.from_address) == ("reply", DESK)
    assert reply.body.startswith("Please update the client")
    assert "quoted in a colleague's answer" in note.body
    assert "attribution line" in note.body
    assert ticket.first_response_at == reply.created_at
    with db.read() as session:
        events = {
            e.kind: e.new_value
            for e in session.exec(select(Event).where(Event.ticket_id == ticket.id))
        }
    assert events["reply"] == f"sent outside the desk, from {DESK}"
    assert (ticket.status, outbox(db)) == (Status.WAITING, [])


@A_QUOTE_READ
def test_an_outlook_quote_without_a_date_and_a_hostile_name(
    db: Database, dovecot: ImapAccount
) -> None:
    """An Outlook answer (history under a header block, a date written with slashes that
    cannot be told) keeps the quoted text, dated when the answer came, with the note saying
    so; a display name full of escape sequences and markup is kept as plain, cut text."""
    settings = server_settings(dovecot)
    hostile = "=?utf-8?q?Jane_=1B[31mRoe[bold]x=1B]0;pwn=07?= " + "A" * 300
    dovecot.append(
        "INBOX",
        email(
            sender=f"ACME Support <{DESK}>",
            to=f'"{hostile}" <jane@example.net>',
            subject="RE: Invoice copy",
            body=(
                "Attached is the copy.\n\n"
                "-----Original Message-----\n"
                "From: Jane Roe <jane@example.net>\n"
                "Sent: 11/23/26 8:15\n"
                "To: ACME Support\n"
                "Subject: Invoice copy\n\n"
                "Could you send me a copy of invoice 4711?\n"
            ),
        ),
    )
    assert poller(db, settings).run_once() == 1

    [ticket] = tickets(db)
    with db.read() as session:
        requester = session.get(Contact, ticket.requester_id)
    assert requester is not None and requester.email == "jane@example.net"
    assert requester.name.startswith("Jane Roe[bold]x A"), "escape sequences gone, text kept"
    assert not any(ord(c) < 32 or ord(c) == 127 for c in requester.name)
    assert len(requester.name) <= 200
    question, reply, note = messages(db, ticket.number)
    assert question.kind == "customer"
    assert question.body == "Could you send me a copy of invoice 4711?"
    assert question.created_at <= reply.created_at
    assert "quoted in a colleague's answer" in note.body
    assert "its date is not in the quote" in note.body


@A_QUOTE_READ
def test_a_quote_of_someone_else_is_not_taken_for_the_customers(
    db: Database, dovecot: ImapAccount
) -> None:
    """The answer quotes a colleague's internal note, not the customer: no customer
    message is made up from it."""
    settings = server_settings(dovecot)
    dovecot.append(
        "INBOX",
        email(
            sender=f"ACME Support <{DESK}>",
            to="Jane Roe <jane@example.net>",
            subject="Re: Access",
            body=(
                "You have access now.\n\n"
                "On Mon, 23 Nov 2026 at 08:15, Bob Admin <bob@desk.test> wrote:\n"
                "> Granted.\n"
            ),
        ),
    )
    assert poller(db, settings).run_once() == 1
    [ticket] = tickets(db)
    reply, note = messages(db, ticket.number)
    assert reply.kind == "reply" and "not in the desk" in note.body
