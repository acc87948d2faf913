"""Ingest rules, one raw message at a time, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import select

from helpdesk_tui.desk import fields, sla_clock, thread
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.outbox import OutboxStatus
from helpdesk_tui.desk.relations import linked_numbers
from helpdesk_tui.mail.ingest import IngestConfig, IngestResult, ingest, release_spam
from helpdesk_tui.mail.message_ids import MessageIdSigner
from helpdesk_tui.mail.outbox_sender import OutboxSender
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import MachineMail, Outcome, ProcessedMail, SpamMail
from helpdesk_tui.storage.models import (
    Attachment,
    Contact,
    Event,
    Organization,
    RawMessage,
    Ticket,
    utcnow,
)

from .mailbuild import (
    DESK,
    SECRET,
    config_for,
    email,
    mail_settings,
    messages,
    new_id,
    on_sqlite_only,
    outbox,
    tickets,
)

pytestmark = pytest.mark.usefixtures("admin")

# How a message is classified (its headers, its sender) and worded is the mail code's; the
# desk then writes what it writes for every message of that kind, on PostgreSQL in the test
# each of these names.
A_TICKET = on_sqlite_only(
    "tests/mail/test_ingest.py::test_new_mail_makes_a_ticket_a_contact_and_an_acknowledgement"
)
HELD = on_sqlite_only(
    "tests/mail/test_ingest.py::test_mail_from_our_address_that_we_did_not_send_is_held_not_lost"
)
SPAM = on_sqlite_only("tests/mail/test_ingest.py::test_released_spam_becomes_a_normal_ticket")


@pytest.fixture
def config() -> IngestConfig:
    return config_for(mail_settings())


def receive(db: Database, config: IngestConfig, raw: bytes, **kw: object) -> IngestResult:
    with db.write() as session:
        return ingest(session, raw, config, **kw)  # type: ignore[arg-type]


def assign_outgoing_ids(db: Database) -> None:
    """What the outbox sender does before sending: give every queued mail its Message-ID."""
    settings = mail_settings(smtp={"host": "127.0.0.1", "port": 1, "security": "none"})
    OutboxSender(db, settings, config_for(settings).signer).claim(utcnow())


# --- new conversations --------------------------------------------------------------------


def test_new_mail_makes_a_ticket_a_contact_and_an_acknowledgement(
    db: Database, config: IngestConfig
) -> None:
    original = new_id()
    result = receive(db, config, email(message_id=original, subject="Printer on fire"))

    assert (result.outcome, result.acknowledged) == (Outcome.TICKET, True)
    [ticket] = tickets(db)
    assert (ticket.number, ticket.subject, ticket.channel) == (
        result.ticket_number,
        "Printer on fire",
        "email",
    )
    with db.read() as session:
        contact = session.get(Contact, ticket.requester_id)
    assert contact is not None and (contact.email, contact.name) == (
        "ann@example.org",
        "Ann Customer",
    )
    [message] = messages(db, ticket.number)
    assert (message.kind, message.email_message_id, message.body.strip()) == (
        "customer",
        original,
        "It is still burning.",
    )
    [ack] = outbox(db)
    assert ack.kind == "ack" and ack.to_addresses == "ann@example.org"
    assert f"[#{ticket.number}]" in ack.subject and f"#{ticket.number}" in ack.body
    assert ack.in_reply_to == original and original in (ack.references or "")


@pytest.mark.parametrize(
    ("sender", "greeting"),
    [
        ('"Dvorak, Jiri" <jiri@example.cz>', "Hello Jiri Dvorak,"),  # Outlook's Last, First
        ('"Acme, Inc." <orders@acme.example>', "Hello Acme, Inc.,"),  # no person's name
        ("Ann Customer <ann@example.org>", "Hello Ann Customer,"),
    ],
)
@A_TICKET
def test_the_acknowledgement_greets_a_last_first_name_first_name_first(
    db: Database, config: IngestConfig, sender: str, greeting: str
) -> None:
    """Found on a walk: Outlook's "Dvořák, Jiří" was greeted "Hello Dvořák, Jiří,"."""
    receive(db, config, email(sender=sender))
    [ack] = outbox(db)
    assert ack.body.startswith(greeting + "\n")


def test_known_contact_is_reused(db: Database, config: IngestConfig) -> None:
    receive(db, config, email())
    receive(db, config, email(sender="ANN@Example.org", subject="Another thing"))
    with db.read() as session:
        assert len(session.exec(select(Contact)).all()) == 1
    assert len(tickets(db)) == 2


def test_raw_message_is_kept_byte_for_byte(db: Database, config: IngestConfig) -> None:
    raw = email(body="Exact bytes.\r\n\tindented")
    receive(db, config, raw)
    [message] = messages(db, tickets(db)[0].number)
    with db.read() as session:
        kept = session.get(RawMessage, message.raw_message_id)
    assert kept is not None and kept.content == raw


def test_attachments_are_stored_and_an_over_limit_one_leaves_a_note(
    db: Database, config: IngestConfig
) -> None:
    small = "c21hbGwgZmlsZQ=="  # "small file"
    big = "QUFB" * 4000  # 12,000 bytes decoded, over the 10,000 limit
    raw = (
        "From: ann@example.org\r\nTo: support@desk.test\r\nSubject: Files\r\n"
        "Message-ID: <files-1@example.org>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        "--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment;"
        " filename*=UTF-8''r%C3%A9sum%C3%A9.txt\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{small}\r\n"
        "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;"
        ' filename="huge.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        f"{big}\r\n--b--\r\n"
    ).encode()
    result = receive(db, config, raw)

    assert result.outcome is Outcome.TICKET
    first, note = messages(db, result.ticket_number or 0)
    with db.read() as session:
        [attachment] = session.exec(select(Attachment).where(Attachment.message_id == first.id))
    assert (attachment.filename, attachment.content) == ("résumé.txt", b"small file")
    assert note.kind == "system" and "huge.pdf" in note.body and "limit" in note.body


# --- threading ------------------------------------------------------------------------------


def test_reply_threads_by_in_reply_to_and_by_references(db: Database, config: IngestConfig) -> None:
    first = new_id()
    number = receive(db, config, email(message_id=first)).ticket_number
    second = new_id()
    by_header = receive(
        db,
        config,
        email(sender="ann@example.org", subject="Re: x", message_id=second, in_reply_to=first),
    )
    by_references = receive(
        db,
        config,
        email(sender="someone@else.example", subject="fwd", references=[new_id(), second]),
    )

    assert (by_header.outcome, by_header.ticket_number) == (Outcome.FOLLOW_UP, number)
    assert (by_references.outcome, by_references.ticket_number) == (Outcome.FOLLOW_UP, number)
    assert len(tickets(db)) == 1 and len(messages(db, number or 0)) == 3
    assert len(outbox(db, "ack")) == 1, "a follow-up is not acknowledged"


def test_reply_to_our_sent_mail_threads_by_its_message_id(
    db: Database, config: IngestConfig, admin: Actor
) -> None:
    number = receive(db, config, email()).ticket_number or 0
    with db.write() as session:
        thread.reply(session, admin, number, body="Unplug it.")
    assign_outgoing_ids(db)
    reply_row = outbox(db, "reply")[0]
    assert reply_row.email_message_id and reply_row.email_message_id.endswith("@desk.test>")

    result = receive(
        db,
        config,
        email(subject="Re: Printer on fire", in_reply_to=reply_row.email_message_id),
    )
    assert (result.outcome, result.ticket_number) == (Outcome.FOLLOW_UP, number)


def test_subject_token_threads_only_for_the_requester_or_a_participant(
    db: Database, config: IngestConfig
) -> None:
    number = receive(
        db, config, email(to=f"{DESK}, boss@example.org", subject="Printer")
    ).ticket_number
    from_requester = receive(db, config, email(subject=f"Re: Printer [#{number}]"))
    from_participant = receive(
        db, config, email(sender="boss@example.org", subject=f"Also [#{number}]")
    )

    assert (from_requester.outcome, from_requester.ticket_number) == (Outcome.FOLLOW_UP, number)
    assert (from_participant.outcome, from_participant.ticket_number) == (
        Outcome.FOLLOW_UP,
        number,
    )


def test_subject_token_from_a_stranger_opens_a_new_ticket_that_mentions_it(
    db: Database, config: IngestConfig
) -> None:
    number = receive(db, config, email()).ticket_number or 0
    result = receive(
        db,
        config,
        email(sender="mallory@evil.example", subject=f"Re: [#{number}] give me the data"),
    )

    assert result.outcome is Outcome.TICKET and result.ticket_number != number
    assert len(messages(db, number)) == 1, "nothing was added to the victim's ticket"
    note = messages(db, result.ticket_number or 0)[-1]
    assert (
        note.kind == "system" and f"#{number}" in note.body and "mallory@evil.example" in note.body
    )


def test_forged_message_id_in_our_format_does_not_thread(
    db: Database, config: IngestConfig
) -> None:
    number = receive(db, config, email()).ticket_number or 0
    genuine = MessageIdSigner(SECRET, "desk.test").new(number)
    forged = MessageIdSigner("not-our-secret-at-all-xx", "desk.test").new(number)

    by_forged = receive(db, config, email(sender="mallory@evil.example", in_reply_to=forged))
    by_genuine = receive(db, config, email(sender="ann@example.org", in_reply_to=genuine))

    assert by_forged.outcome is Outcome.TICKET and by_forged.ticket_number != number
    assert (by_genuine.outcome, by_genuine.ticket_number) == (Outcome.FOLLOW_UP, number)


def test_reply_to_a_waiting_or_resolved_ticket_reopens_it(
    db: Database, config: IngestConfig, admin: Actor
) -> None:
    first = new_id()
    number = receive(db, config, email(message_id=first)).ticket_number or 0
    for status in ("waiting", "resolved"):
        with db.write() as session:
            fields.set_status(session, admin, number, status)
        receive(db, config, email(in_reply_to=first))
        assert tickets(db)[0].status == "open"


def test_reply_to_a_closed_ticket_opens_a_new_linked_ticket(
    db: Database, config: IngestConfig, admin: Actor
) -> None:
    first = new_id()
    number = receive(db, config, email(message_id=first)).ticket_number or 0
    with db.write() as session:
        fields.set_status(session, admin, number, "closed")

    result = receive(db, config, email(in_reply_to=first, body="It burns again."))

    assert result.outcome is Outcome.FOLLOW_UP and result.ticket_number not in (None, number)
    with db.read() as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == result.ticket_number)).one()
        assert linked_numbers(session, ticket.id or 0) == [("follow_up", number)]
    assert tickets(db)[0].status == "closed"
    assert result.acknowledged, "the customer learns the new ticket's number"


# --- dedupe ---------------------------------------------------------------------------------


def test_a_copy_of_a_message_is_stored_once(db: Database, config: IngestConfig) -> None:
    message_id = new_id()
    first = receive(db, config, email(message_id=message_id))
    relayed = b"Received: from mx2.example.org by desk.test\r\n" + email(message_id=message_id)
    again = receive(db, config, relayed)

    assert (again.duplicate, again.ticket_number) == (True, first.ticket_number)
    assert len(tickets(db)) == 1 and len(outbox(db)) == 1


def test_another_message_under_a_used_message_id_is_kept(
    db: Database, config: IngestConfig
) -> None:
    message_id = new_id()
    first = receive(db, config, email(message_id=message_id))
    other = receive(db, config, email(message_id=message_id, body="resent, other words"))

    assert not other.duplicate and other.outcome is Outcome.TICKET
    assert other.ticket_number != first.ticket_number and len(tickets(db)) == 2
    [kept] = messages(db, other.ticket_number or 0)
    assert kept.body.strip() == "resent, other words" and kept.email_message_id is None
    with db.read() as session:
        events = session.exec(select(Event).where(Event.kind == "message_id_reused")).all()
    assert [e.ticket_number for e in events] == [other.ticket_number]
    assert message_id in (events[0].new_value or "")


def test_without_message_id_the_raw_bytes_decide(db: Database, config: IngestConfig) -> None:
    raw = email(message_id=None)
    receive(db, config, raw)
    assert receive(db, config, raw).duplicate
    assert not receive(db, config, email(message_id=None, body="different")).duplicate
    assert len(tickets(db)) == 2


# --- noise ----------------------------------------------------------------------------------

MACHINE = [
    ["Auto-Submitted: auto-replied"],
    ["Auto-Submitted: auto-generated"],
    ["Precedence: bulk"],
    ["Precedence: junk"],
    ["Precedence: auto_reply"],
    ["X-Autoreply: yes"],
    ["X-Autorespond: yes"],
]
NO_ACK = [
    ["Precedence: list"],
    ["List-Id: Users <users.lists.example.org>"],
    ["X-Auto-Response-Suppress: All"],
    ["Return-Path: <>"],
]


@pytest.mark.parametrize("headers", MACHINE, ids=lambda h: h[0])
@HELD
def test_unmatched_automatic_mail_is_held_as_machine_mail(
    db: Database, config: IngestConfig, headers: list[str]
) -> None:
    result = receive(db, config, email(headers=headers))
    assert result.outcome is Outcome.MACHINE and not result.acknowledged
    assert tickets(db) == [] and outbox(db) == []


@pytest.mark.parametrize("headers", NO_ACK, ids=lambda h: h[0])
@A_TICKET
def test_list_and_null_sender_mail_makes_a_ticket_without_an_acknowledgement(
    db: Database, config: IngestConfig, headers: list[str]
) -> None:
    result = receive(db, config, email(headers=headers))
    assert result.outcome is Outcome.TICKET and not result.acknowledged
    assert outbox(db) == []


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.org", "postmaster@example.org"])
@A_TICKET
def test_a_person_writing_from_a_mail_system_address_gets_a_ticket_not_an_answer(
    db: Database, config: IngestConfig, sender: str
) -> None:
    result = receive(db, config, email(sender=sender))
    assert result.outcome is Outcome.TICKET and outbox(db) == []


@A_TICKET
def test_auto_submitted_no_is_a_person(db: Database, config: IngestConfig) -> None:
    assert receive(db, config, email(headers=["Auto-Submitted: no"])).acknowledged


def test_delivery_report_attaches_to_the_ticket_whose_mail_bounced(
    db: Database, config: IngestConfig
) -> None:
    number = receive(db, config, email(sender="typo@exmaple.org")).ticket_number or 0
    assign_outgoing_ids(db)
    [ack] = outbox(db, "ack")
    report = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.desk.test>\r\n"
        f"To: {DESK}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.desk.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nHost exmaple.org not found.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.desk.test\r\n\r\nFinal-Recipient: rfc822; typo@exmaple.org\r\n"
        "Action: failed\r\nStatus: 5.1.2\r\n\r\n"
        "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {DESK}\r\nMessage-ID: {ack.email_message_id}\r\nSubject: {ack.subject}\r\n"
        "--r--\r\n"
    ).encode()

    result = receive(db, config, report)

    assert (result.outcome, result.ticket_number) == (Outcome.BOUNCE, number)
    assert len(tickets(db)) == 1
    bounce = messages(db, number)[-1]
    assert bounce.kind == "system" and "not found" in bounce.body
    [ack] = outbox(db, "ack")
    assert ack.status == OutboxStatus.BOUNCED
    assert len(outbox(db)) == 1, "no acknowledgement of a bounce"


def test_our_own_mail_never_becomes_a_customer_message(db: Database, config: IngestConfig) -> None:
    """Mail we sent (our mark on it) coming back: its copy is on the ticket already."""
    raw = email(sender="other-helpdesk@example.net", headers=["X-Helpdesk-Loop: support@desk.test"])
    result = receive(db, config, raw)
    assert result.outcome is Outcome.OWN
    assert tickets(db) == [] and outbox(db) == []
    with db.read() as session:
        [processed] = session.exec(select(ProcessedMail))
        assert processed.raw_message_id is not None
        assert list(session.exec(select(MachineMail))) == []


@pytest.mark.parametrize(
    ("db_url", "raw"),
    [
        ("sqlite", email(sender=f"Desk <{DESK}>", subject="Our own mail")),
        pytest.param(
            "postgres",
            email(sender=f"Desk <{DESK}>", subject="Our own mail"),
            marks=pytest.mark.postgres,
        ),
        # Which of the desk's addresses it came from is the mail code's reading (HELD):
        # the desk holds it by the same calls.
        ("sqlite", email(sender="help@desk.test", subject="Our other address")),
    ],
    ids=["sqlite-own-address", "postgres-own-address", "sqlite-second-own-address"],
    indirect=["db_url"],
)
def test_mail_from_our_address_that_we_did_not_send_is_held_not_lost(
    db: Database, config: IngestConfig, raw: bytes
) -> None:
    """No ticket, no answer, but an agent can see it (and release it): it was dropped unseen."""
    result = receive(db, config, raw)
    assert result.outcome is Outcome.MACHINE
    assert tickets(db) == [] and outbox(db) == []
    with db.read() as session:
        [entry] = session.exec(select(MachineMail))
        assert entry.kind == "own_address" and "not sent by this desk" in entry.reason


def test_acknowledgements_are_rate_limited_per_sender(db: Database) -> None:
    config = config_for(mail_settings(ack_limit_per_hour=2))
    results = [receive(db, config, email(subject=f"Problem {n}")) for n in range(4)]
    other = receive(db, config, email(sender="bob@example.org"))

    assert [r.acknowledged for r in results] == [True, True, False, False]
    assert other.acknowledged
    assert len(tickets(db)) == 5, "every message is still a ticket"


# --- spam -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (email(headers=["X-Spam-Flag: YES"]), "X-Spam-Flag"),
        (email(sender="seller@spammy.example"), "block list"),
        (email(sender="Bad <bad@example.com>"), "block list"),
    ],
    ids=["spam-flag", "blocked-domain", "blocked-address"],
)
@SPAM
def test_spam_is_held_out_of_the_queue(db: Database, raw: bytes, reason: str) -> None:
    config = config_for(mail_settings(blocked=["@spammy.example", "BAD@example.com"]))
    result = receive(db, config, raw)

    assert result.outcome is Outcome.SPAM and reason in (result.reason or "")
    assert tickets(db) == [] and outbox(db) == []
    with db.read() as session:
        [held] = session.exec(select(SpamMail))
    assert held.released_at is None


def test_released_spam_becomes_a_normal_ticket(db: Database, admin: Actor) -> None:
    config = config_for(mail_settings(blocked=["ann@example.org"]))
    receive(db, config, email(subject="Not spam, honest"))
    with db.read() as session:
        [held] = session.exec(select(SpamMail))

    with db.write() as session:
        result = release_spam(session, admin, held.id or 0, config)

    assert result.outcome is Outcome.TICKET and result.acknowledged
    [ticket] = tickets(db)
    assert ticket.subject == "Not spam, honest"
    with db.read() as session:
        released = session.get(SpamMail, held.id)
    assert released is not None and released.released_by == "ada"
    assert released.ticket_id == ticket.id


# --- long values ----------------------------------------------------------------------------


def test_overlong_subject_is_cut_not_refused(db: Database, config: IngestConfig) -> None:
    result = receive(db, config, email(subject="x" * 900))
    assert result.outcome is Outcome.TICKET
    [message] = messages(db, result.ticket_number or 0)
    assert message.subject == "x" * 500 and tickets(db)[0].subject == "x" * 500


def test_a_new_tickets_clocks_are_set_as_a_recompute_would_set_them(
    db: Database, config: IngestConfig, admin: Actor
) -> None:
    with db.write() as session:
        session.add(Organization(name="Example", domain="example.org"))
    desk = Desk(db, admin)
    desk.sla_set_calendar("Office", days="mon-fri", hours="09:00-17:00")
    desk.sla_set_policy(
        "Example customers",
        first_response="2h",
        next_response="4h",
        resolution="30h",
        organization="Example",
        calendar="Office",
    )
    numbers = [
        receive(db, config, email(sender=sender, subject=f"Help {n}")).ticket_number
        for n, sender in enumerate(["Ann <ann@example.org>", "Bo <bo@elsewhere.test>"])
    ]

    with db.write() as session:
        tickets = [session.exec(select(Ticket).where(Ticket.number == n)).one() for n in numbers]
        dues = [(t.response_due_at, t.resolution_due_at) for t in tickets]
        assert all(response and resolution for response, resolution in dues)
        assert dues[0] != dues[1], "the organization's policy applies to Ann's ticket only"
        assert sla_clock.refresh(session, [t.id for t in tickets if t.id is not None]) == 0
