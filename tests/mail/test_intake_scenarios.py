"""Every intake rule through the one writer, with realistic messages, on SQLite and PostgreSQL.

Each scenario hands raw mail to the same entry the poller uses (``ingest_batch`` over
``read_message``), so decide() and the Writer are what is tested, batched or one at a time.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlmodel import select

from helpdesk_tui.desk import fields, machine, relations, thread
from helpdesk_tui.desk import outbox as desk_outbox
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.inbound import ReportedRecipient
from helpdesk_tui.desk.outbox import OutboxStatus
from helpdesk_tui.mail.ingest import (
    IngestConfig,
    IngestResult,
    ingest_batch,
    read_message,
    release_machine,
)
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import AckSent, MachineMail, Outcome, ProcessedMail
from helpdesk_tui.storage.models import (
    Attachment,
    Contact,
    Event,
    RawMessage,
    Ticket,
    utcnow,
)
from helpdesk_tui.storage.survey_models import DeskSetting

from .mailbuild import (
    DESK,
    config_for,
    email,
    mail_settings,
    messages,
    new_id,
    on_sqlite_only,
    outbox,
    tickets,
)
from .test_ingest import assign_outgoing_ids

pytestmark = pytest.mark.usefixtures("admin")

# How a message is classified (person, list, no-reply address, auto-reply, report) is the
# mail code's reading of it; the desk then writes what it writes for every message of that
# kind, on PostgreSQL in the test each of these names.
A_TICKET = on_sqlite_only(
    "tests/mail/test_intake_scenarios.py::test_a_person_opens_a_ticket_and_is_acknowledged"
)
A_REPLY_ADDRESS = on_sqlite_only(
    "tests/mail/test_intake_scenarios.py::test_acknowledgement_and_replies_go_to_reply_to"
)
A_MACHINE_NOTE = on_sqlite_only(
    "tests/mail/test_intake_scenarios.py::test_out_of_office_is_a_note_that_changes_nothing"
)
A_BOUNCE_NOTE = on_sqlite_only(
    "tests/mail/test_intake_scenarios.py::"
    "test_a_bounce_of_our_mail_is_noted_with_status_and_diagnostic"
)
HELD = on_sqlite_only(
    "tests/mail/test_intake_scenarios.py::test_an_unmatched_bounce_is_held_with_its_reason"
)


@pytest.fixture
def config() -> IngestConfig:
    return config_for(mail_settings())


def receive(db: Database, config: IngestConfig, *raws: bytes) -> list[IngestResult]:
    """One poller batch: read each message, then decide and write them together."""
    items = [read_message(raw, None, config) for raw in raws]
    with db.write() as session:
        return ingest_batch(session, items, config)


def one(db: Database, config: IngestConfig, raw: bytes) -> IngestResult:
    [result] = receive(db, config, raw)
    return result


def received(
    db: Database, config: IngestConfig, raws: Sequence[bytes], batched: bool
) -> list[IngestResult]:
    """The messages in one poller batch (``batched``), or each in a batch of its own."""
    if batched:
        return receive(db, config, *raws)
    return [one(db, config, raw) for raw in raws]


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


def status_of(db: Database, number: int) -> str:
    with db.read() as session:
        return session.exec(select(Ticket.status).where(Ticket.number == number)).one()


def events(db: Database, kind: str) -> list[Event]:
    with db.read() as session:
        return list(session.exec(select(Event).where(Event.kind == kind)))


def held(db: Database) -> list[MachineMail]:
    with db.read() as session:
        return machine.list_held(session)


def ack_id(db: Database) -> str:
    """The Message-ID our acknowledgement went out with."""
    assign_outgoing_ids(db)
    [ack] = outbox(db, "ack")
    assert ack.email_message_id
    return ack.email_message_id


def out_of_office(in_reply_to: str, subject: str = "Printer on fire") -> bytes:
    return crlf(
        "From: Ann Customer <ann@example.org>\n"
        f"To: {DESK}\n"
        f"Subject: Abwesenheitsnotiz: {subject}\n"
        f"Message-ID: {new_id()}\n"
        f"In-Reply-To: {in_reply_to}\n"
        "Auto-Submitted: auto-replied\n"
        "X-Auto-Response-Suppress: All\n"
        "Date: Tue, 24 Nov 2026 08:00:00 +0100\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "\n"
        "Ich bin bis zum 30. November nicht im Büro.\n"
    )


def delivery_report(
    original_id: str, recipient: str = "typo@exmaple.org", action: str = "failed"
) -> bytes:
    return crlf(
        "From: Mail Delivery System <MAILER-DAEMON@mx.desk.test>\n"
        f"To: {DESK}\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        f"Message-ID: {new_id('mx.desk.test')}\n"
        "Auto-Submitted: auto-replied\n"
        "Date: Tue, 24 Nov 2026 08:00:00 +0000\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\n'
        "\n"
        "--b1\n"
        "Content-Type: text/plain\n"
        "\n"
        f"I'm sorry to have to inform you that your message could not be delivered to\n"
        f"<{recipient}>: host exmaple.org not found.\n"
        "--b1\n"
        "Content-Type: message/delivery-status\n"
        "\n"
        "Reporting-MTA: dns; mx.desk.test\n"
        "\n"
        f"Final-Recipient: rfc822; {recipient}\n"
        f"Action: {action}\n"
        "Status: 5.1.2\n"
        "Diagnostic-Code: X-Postfix; Host or domain name not found. Name service error\n"
        "    for name=exmaple.org type=MX: Host not found\n"
        "--b1\n"
        "Content-Type: text/rfc822-headers\n"
        "\n"
        f"From: {DESK}\n"
        f"Message-ID: {original_id}\n"
        "Subject: [#1] Received: Printer on fire\n"
        "--b1--\n"
    )


def read_receipt(original_id: str) -> bytes:
    return crlf(
        "From: Ann Customer <ann@example.org>\n"
        f"To: {DESK}\n"
        "Subject: Read: Printer on fire\n"
        f"Message-ID: {new_id()}\n"
        "Date: Tue, 24 Nov 2026 09:00:00 +0000\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="m"\n'
        "\n"
        "--m\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "\n"
        "Your message was displayed on Tue, 24 Nov 2026.\n"
        "--m\n"
        "Content-Type: message/disposition-notification\n"
        "\n"
        "Reporting-UA: ann-laptop; Thunderbird 128\n"
        "Final-Recipient: rfc822;ann@example.org\n"
        f"Original-Message-ID: {original_id}\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\n"
        "--m--\n"
    )


def abuse_report(about: str = "<never-seen@elsewhere.example>") -> bytes:
    return crlf(
        "From: Abuse Desk <abuse@bigmail.example>\n"
        f"To: {DESK}\n"
        "Subject: FW: Complaint about message from 192.0.2.25\n"
        f"Message-ID: {new_id('bigmail.example')}\n"
        "Date: Tue, 24 Nov 2026 10:00:00 +0000\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="f"\n'
        "\n"
        "--f\n"
        "Content-Type: text/plain\n"
        "\n"
        "This is an email abuse report for an email message received from IP 192.0.2.25.\n"
        "--f\n"
        "Content-Type: message/feedback-report\n"
        "\n"
        "Feedback-Type: abuse\n"
        "User-Agent: BigMail-FBL/1.0\n"
        "Version: 1\n"
        "Source-IP: 192.0.2.25\n"
        "--f\n"
        "Content-Type: text/rfc822-headers\n"
        "\n"
        "From: someone@elsewhere.example\n"
        f"Message-ID: {about}\n"
        "--f--\n"
    )


# --- people -----------------------------------------------------------------------------------


def test_a_person_opens_a_ticket_and_is_acknowledged(db: Database, config: IngestConfig) -> None:
    result = one(db, config, email(subject="Printer on fire"))

    assert (result.outcome, result.acknowledged) == (Outcome.TICKET, True)
    [ack] = outbox(db, "ack")
    assert ack.to_addresses == "ann@example.org"


def test_no_acknowledgement_is_queued_to_an_address_that_bounced_for_good(
    db: Database, config: IngestConfig
) -> None:
    """Mail to ann bounced for good: her new ticket's acknowledgement was queued, counted
    toward her hourly limit, and withdrawn by the sender later. Intake decides it with the
    sender's rule: none queued, none counted, the history says why as the sender would."""
    with db.write() as session:
        bounced = [ReportedRecipient("ann@example.org", "failed", "5.1.1")]
        desk_outbox.record_hard_bounces(session, bounced, now=utcnow())

    result = one(db, config, email(subject="Printer on fire"))

    assert (result.outcome, result.acknowledged) == (Outcome.TICKET, False)
    assert outbox(db) == []
    with db.read() as session:
        assert session.exec(select(AckSent)).all() == []
    said = [e.new_value for e in events(db, "acknowledgement")]
    assert said == ["not sent: mail to ann@example.org bounced (5.1.1)"]


def test_a_bounce_holds_the_acknowledgement_of_a_new_mail_after_it_in_one_batch(
    db: Database, config: IngestConfig
) -> None:
    """Our acknowledgement to a mistyped address bounced; the report and a new mail from
    that address came in one poller batch. The batch's lookups were read before the report
    was recorded, so the new ticket's acknowledgement was queued (and counted) all the same,
    to be withdrawn by the sender. What the batch records decides: none queued."""
    one(db, config, email(sender="typo@exmaple.org"))

    results = receive(
        db,
        config,
        delivery_report(ack_id(db)),
        email(sender="typo@exmaple.org", subject="Anyone there?"),
    )

    assert [r.outcome for r in results] == [Outcome.BOUNCE, Outcome.TICKET]
    assert not results[1].acknowledged
    assert [a.status for a in outbox(db, "ack")] == [OutboxStatus.BOUNCED]
    with db.read() as session:
        assert len(session.exec(select(AckSent)).all()) == 1  # the first ticket's
    said = [e.new_value for e in events(db, "acknowledgement")]
    assert said == ["not sent: mail to typo@exmaple.org bounced (5.1.2)"]


def test_a_reply_is_a_follow_up_that_reopens_a_waiting_ticket(
    db: Database, config: IngestConfig, admin: Actor
) -> None:
    first = new_id()
    number = one(db, config, email(message_id=first)).ticket_number or 0
    with db.write() as session:
        fields.set_status(session, admin, number, "waiting")

    result = one(db, config, email(subject="Re: Printer on fire", in_reply_to=first))

    assert (result.outcome, result.ticket_number) == (Outcome.FOLLOW_UP, number)
    assert status_of(db, number) == "open"


@A_TICKET
def test_a_human_at_postmaster_is_a_person_not_a_bounce(db: Database, config: IngestConfig) -> None:
    raw = email(
        sender="Jo Admin <postmaster@example.org>",
        subject="Your SPF record rejects our mail",
        body="Hello, our server rejects your mail since Tuesday. Can you check your SPF?",
    )
    result = one(db, config, raw)

    assert result.outcome is Outcome.TICKET and not result.acknowledged
    assert held(db) == []


@A_TICKET
def test_a_list_post_makes_a_ticket_without_an_acknowledgement(
    db: Database, config: IngestConfig
) -> None:
    raw = email(
        sender="Bea <bea@example.org>",
        to="printers@lists.example.org",
        headers=["List-Id: Printer users <printers.lists.example.org>", "Precedence: list"],
    )
    result = one(db, config, raw)

    assert result.outcome is Outcome.TICKET and not result.acknowledged
    assert outbox(db) == []


# --- addresses ----------------------------------------------------------------------------------


def test_web_form_mail_belongs_to_the_person_in_reply_to(
    db: Database, config: IngestConfig, admin: Actor
) -> None:
    raw = email(
        sender="Contact form <noreply@forms.example.net>",
        subject="Contact form: printer on fire",
        headers=["Reply-To: Carla Client <carla@example.com>"],
    )
    result = one(db, config, raw)

    assert result.acknowledged
    [ticket] = tickets(db)
    with db.read() as session:
        requester = session.get(Contact, ticket.requester_id)
    assert requester is not None and requester.email == "carla@example.com"
    assert outbox(db, "ack")[0].to_addresses == "carla@example.com"
    with db.write() as session:
        thread.reply(session, admin, ticket.number, body="We are on it.")
    assert outbox(db, "reply")[0].to_addresses == "carla@example.com"


def test_acknowledgement_and_replies_go_to_reply_to(
    db: Database, config: IngestConfig, admin: Actor
) -> None:
    raw = email(
        sender="Ann Customer <ann@example.org>",
        headers=["Reply-To: IT team <it-team@example.org>"],
    )
    number = one(db, config, raw).ticket_number or 0

    [ticket] = tickets(db)
    assert ticket.reply_to == "it-team@example.org"
    assert outbox(db, "ack")[0].to_addresses == "it-team@example.org"
    with db.write() as session:
        thread.reply(session, admin, number, body="Unplug it.")
    assert outbox(db, "reply")[0].to_addresses == "it-team@example.org"


LIST = "printers@lists.example.org"
LIST_HEADERS = [
    "List-Id: Printer users <printers.lists.example.org>",
    f"List-Post: <mailto:{LIST}>",
]


@pytest.mark.parametrize(
    ("sender", "reply_to"),
    [
        ("Bea <bea@example.org>", f"Printer users <{LIST}>"),  # the list answers to itself
        (f"Bea via printers <{LIST}>", "Bea <bea@example.org>"),  # From rewritten (DMARC)
    ],
)
@A_REPLY_ADDRESS
def test_a_list_post_is_answered_to_its_poster_never_to_the_list(
    db: Database, config: IngestConfig, admin: Actor, sender: str, reply_to: str
) -> None:
    """A post through a mailing list names the list in Reply-To or in From: the agent's
    reply went to every subscriber. The list's posting address (List-Post) is never the
    requester or the reply address while the poster's is given."""
    raw = email(sender=sender, to=LIST, headers=[*LIST_HEADERS, f"Reply-To: {reply_to}"])
    number = one(db, config, raw).ticket_number or 0

    [ticket] = tickets(db)
    with db.read() as session:
        requester = session.get(Contact, ticket.requester_id)
    assert requester is not None and requester.email == "bea@example.org"
    assert ticket.reply_to is None
    with db.write() as session:
        thread.reply(session, admin, number, body="Which printer?")
    assert outbox(db, "reply")[0].to_addresses == "bea@example.org"


@pytest.mark.parametrize(
    "sender",
    ["no-reply@shop.example", "DoNotReply@bank.example", "bounces+1234@mailer.example"],
)
@A_TICKET
def test_no_acknowledgement_to_noreply_style_addresses(
    db: Database, config: IngestConfig, sender: str
) -> None:
    result = one(db, config, email(sender=sender, subject="Your order #5512 shipped"))

    assert result.outcome is Outcome.TICKET and not result.acknowledged
    assert outbox(db) == []


@A_REPLY_ADDRESS
def test_no_acknowledgement_when_reply_to_is_our_own_address(
    db: Database, config: IngestConfig
) -> None:
    raw = email(headers=[f"Reply-To: {DESK}"])
    result = one(db, config, raw)

    assert result.acknowledged
    assert outbox(db, "ack")[0].to_addresses == "ann@example.org"
    assert tickets(db)[0].reply_to is None


# --- identity -----------------------------------------------------------------------------------


def test_a_copy_is_a_duplicate_within_a_batch_and_after_it(
    db: Database, config: IngestConfig
) -> None:
    message_id = new_id()
    raw = email(message_id=message_id)
    relayed = b"Received: from mx2.example.org by mx.desk.test; Tue, 24 Nov 2026\r\n" + raw
    first, copy = receive(db, config, raw, relayed)
    [later] = receive(db, config, raw)

    assert (first.duplicate, copy.duplicate, later.duplicate) == (False, True, True)
    assert copy.ticket_number == later.ticket_number == first.ticket_number
    assert len(tickets(db)) == 1


def test_the_mailing_list_copy_of_a_message_the_desk_has_is_a_duplicate(
    db: Database, config: IngestConfig
) -> None:
    """ann wrote to the desk and to a mailing list at once: the list's copy (same
    Message-ID, a ``[users]`` subject tag, a footer, the list's From and Reply-To) came
    second and opened a second ticket, whose reply would have gone to the whole list. It
    is the message the desk has, in a batch or later, as a transport copy is; a list post
    with another text under that Message-ID still is a message of its own."""
    message_id = new_id()
    direct = email(
        message_id=message_id,
        subject="Wiki is down",
        to=f"{DESK}, users@lists.example.org",
        body="The wiki is down.",
    )
    listed = email(
        message_id=message_id,
        sender="Ann Customer via users <users@lists.example.org>",
        subject="[users] Wiki is down",
        to=f"{DESK}, users@lists.example.org",
        body="The wiki is down.\n\n--\nusers mailing list\nhttps://lists.example.org/users",
        headers=[
            "List-Id: <users.lists.example.org>",
            "Precedence: list",
            "Reply-To: users@lists.example.org",
        ],
    )
    first, copy = receive(db, config, direct, listed)
    [later] = receive(db, config, listed.replace(b"[users]", b"[users-digest]"))

    assert (first.duplicate, copy.duplicate, later.duplicate) == (False, True, True)
    assert copy.ticket_number == later.ticket_number == first.ticket_number
    [ticket] = tickets(db)
    with db.read() as session:
        requester = session.get(Contact, ticket.requester_id)
    assert requester is not None and requester.email == "ann@example.org"
    assert ticket.reply_to is None
    assert events(db, "message_id_reused") == []

    other = listed.replace(b"The wiki is down.", b"Who moved my stapler?")
    [reuse] = receive(db, config, other)
    assert not reuse.duplicate, "another text under a reused Message-ID is its own message"


@pytest.mark.parametrize("batched", [False, True], ids=["later", "in_a_batch"])
def test_the_direct_copy_after_the_list_copy_gives_the_ticket_its_requester(
    db: Database, config: IngestConfig, admin: Actor, batched: bool
) -> None:
    """The list's copy came first and opened the ticket with the list as its requester
    (the list's From and Reply-To, no List-Post to tell it by); ann's own copy, coming
    next, was a duplicate, and the agent's reply went to every subscriber. The direct copy
    is still the same message, and it makes ann the requester while nobody has answered.
    In the batch the list names ann in Reply-To (DMARC): the ticket's reply address was
    hers, and is none once she is the requester."""
    message_id = new_id()
    list_reply_to = "Ann <ann@example.org>" if batched else "users@lists.example.org"
    direct = email(
        message_id=message_id,
        subject="Wiki is down",
        to=f"{DESK}, users@lists.example.org",
        body="The wiki is down.",
    )
    listed = email(
        message_id=message_id,
        sender="Ann Customer via users <users@lists.example.org>",
        subject="[users] Wiki is down",
        to=f"{DESK}, users@lists.example.org",
        body="The wiki is down.\n\n--\nusers mailing list\nhttps://lists.example.org/users",
        headers=[
            "List-Id: <users.lists.example.org>",
            "Precedence: list",
            f"Reply-To: {list_reply_to}",
        ],
    )
    first, copy = received(db, config, [listed, direct], batched)

    assert (first.duplicate, copy.duplicate) == (False, True)
    assert copy.ticket_number == first.ticket_number
    [ticket] = tickets(db)
    with db.read() as session:
        requester = session.get(Contact, ticket.requester_id)
    assert requester is not None
    assert (requester.email, requester.name) == ("ann@example.org", "Ann Customer")
    assert ticket.reply_to is None
    [changed] = events(db, "requester")
    assert (changed.old_value, changed.new_value) == ("users@lists.example.org", "ann@example.org")
    moved = [(e.old_value, e.new_value) for e in events(db, "reply_to")]
    assert moved == ([("ann@example.org", None)] if batched else [])
    number = ticket.number
    with db.write() as session:
        thread.reply(session, admin, number, body="Which page?")
    assert outbox(db, "reply")[0].to_addresses == "ann@example.org"
    if batched:
        return
    # once an agent has answered the list, its requester stays: the copy is a duplicate
    again = new_id()
    one(db, config, listed.replace(message_id.encode(), again.encode()))
    with db.write() as session:
        thread.reply(session, admin, number + 1, body="Which page?")
    late = one(db, config, direct.replace(message_id.encode(), again.encode()))
    assert late.duplicate and late.ticket_number == number + 1
    assert len(tickets(db)) == 2 and len(events(db, "requester")) == 1


def _list_copy_then_hers(message_id: str, subject: str = "Wiki is down") -> tuple[bytes, bytes]:
    """ann's post to the desk and to a list at once: the list's copy (its tag in the
    subject, its footer, its From and Reply-To), and her own copy."""
    listed = email(
        message_id=message_id,
        sender="Ann Customer via users <users@lists.example.org>",
        subject=f"[users] {subject}",
        to=f"{DESK}, users@lists.example.org",
        body="The wiki is down.\n\n--\nusers mailing list\nhttps://lists.example.org/users",
        headers=[
            "List-Id: Wiki users <users.lists.example.org>",
            "List-Post: <mailto:users@lists.example.org>",
            "Reply-To: users@lists.example.org",
        ],
    )
    direct = email(
        message_id=message_id,
        subject=subject,
        to=f"{DESK}, users@lists.example.org",
        body="The wiki is down.",
    )
    return listed, direct


@pytest.mark.parametrize("batched", [False, True], ids=["later", "in_a_batch"])
def test_her_copy_after_the_list_copy_gets_her_the_acknowledgement_once(
    db: Database, config: IngestConfig, batched: bool
) -> None:
    """The list's copy came first: the ticket's subject kept the list's ``[users]`` tag,
    and ann got no acknowledgement (a list's mail gets none), not even when her own copy
    made her the requester. Now the ticket's subject is hers, and her copy brings the
    acknowledgement she would have had: once, to her, never to the list."""
    listed, direct = _list_copy_then_hers(new_id())
    first, copy = received(db, config, [listed, direct], batched)
    [again] = receive(db, config, direct)  # her copy once more (a second mailbox)

    assert not first.acknowledged and copy.acknowledged and copy.duplicate
    assert again.duplicate and not again.acknowledged
    [ticket] = tickets(db)
    assert ticket.subject == "Wiki is down"
    [ack] = outbox(db, "ack")
    assert ack.to_addresses == "ann@example.org"
    assert "[users]" not in ack.subject and "Wiki is down" in ack.subject
    assert [m.subject for m in messages(db, ticket.number)] == ["[users] Wiki is down"]


def _posted(sender: str, subject: str, list_id: str = "<helpdesk.lists.example.com>") -> bytes:
    """A post as a list delivers it: its List-Id, its Precedence, a footer."""
    return email(
        sender=sender,
        subject=subject,
        to="it-support@lists.example.com",
        body=f"{subject}\n\n--\nIT support list\nhttps://lists.example.com/it-support",
        headers=[f"List-Id: {list_id}", "Precedence: list"],
    )


@pytest.mark.parametrize("batched", [False, True], ids=["later", "in_a_batch"])
def test_a_list_s_copy_keeps_a_tag_that_is_not_the_list_s(
    db: Database, config: IngestConfig, batched: bool
) -> None:
    """A customer's own "[URGENT] printer down" through a list whose headers name no tag
    lost its "[URGENT]": the first leading tag went as the list's. Only a tag the list's
    headers name, or that led the same list's posts on three subjects from two senders in
    a row, is the list's: the list's "[IT-Support]" goes from its third post on, another
    list's and a one-off "[URGENT]" stay."""
    posts = [
        _posted("Ann <ann@example.org>", "[URGENT] printer down"),
        _posted("Bob <bob@example.org>", "[IT-Support] VPN drops"),
        _posted("Cid <cid@example.org>", "[IT-Support] [URGENT] Wiki is down"),
        _posted("Dee <dee@example.org>", "[IT-Support] Mail is slow", "<other.example.com>"),
        _posted("Eve <eve@example.org>", "Re: [IT-Support] Printer"),
    ]
    received(db, config, posts, batched)

    assert sorted(ticket.subject for ticket in tickets(db)) == sorted(
        [
            "[URGENT] printer down",
            "[IT-Support] VPN drops",
            "[IT-Support] [URGENT] Wiki is down",
            "[IT-Support] Mail is slow",
            "Re: Printer",
        ]
    )
    # the message keeps the subject it came with
    [cid] = [t for t in tickets(db) if "Wiki" in t.subject]
    assert [m.subject for m in messages(db, cid.number)] == ["[IT-Support] [URGENT] Wiki is down"]


@pytest.mark.parametrize("batched", [False, True], ids=["later", "in_a_batch"])
def test_a_list_s_tag_is_learnt_from_its_posts_not_from_customers_tags(
    db: Database, config: IngestConfig, batched: bool
) -> None:
    """A list with no tag of its own whose customers (one, or two in a row) wrote "[URGENT]"
    lost it from the second such post on: a first tag two senders carried was taken for
    the list's; then (mail12) from the third subject two senders carried in a row. A
    list's own tag leads every post, whoever sends it and whatever about: a tag goes once
    it led three subjects from three senders in a row (their address however written),
    and an untagged post from the list says it has none (any more)."""
    tagless, tagged = "<users.lists.example.com>", "<it.lists.example.com>"
    posts = [
        _posted("Ann <ann@example.org>", "[URGENT] printer down", tagless),
        _posted("Cid <cid@example.org>", "[IT-Support] VPN drops", tagged),
        _posted("Bob <bob@example.org>", "[URGENT] scanner down too", tagless),
        _posted("Fay <fay@example.org>", "[IT-Support] VPN drops again", tagged),
        _posted("Ann <ANN@example.org>", "[URGENT] and the fax", tagless),
        _posted("Eve <eve@example.org>", "Lunch on Friday", tagless),
        _posted("Dee <dee@example.org>", "[IT-Support] Mail is slow", tagged),
        _posted("Cid <cid@example.org>", "[IT-Support] Wiki is down", tagged),
        _posted("Dee <dee@example.org>", "Printer again", tagged),  # (the list dropped it)
        _posted("Cid <cid@example.org>", "[IT-Support] Fax", tagged),
    ]
    received(db, config, posts, batched)

    assert sorted(ticket.subject for ticket in tickets(db)) == sorted(
        [
            "[URGENT] printer down",
            "[URGENT] scanner down too",
            "Lunch on Friday",
            "[URGENT] and the fax",
            "[IT-Support] VPN drops",
            "[IT-Support] VPN drops again",
            "Mail is slow",
            "Wiki is down",
            "Printer again",
            "[IT-Support] Fax",
        ]
    )
    with db.read() as session:
        kept = session.exec(select(DeskSetting.value)).all()
    assert not any("@" in value for value in kept), "a hash of the sender, not the address"


def test_her_copy_after_the_list_copy_keeps_the_hourly_cap(db: Database) -> None:
    """The acknowledgement her copy brings is a new ticket's: within the hourly cap and the
    no-acknowledgement rules (here: one an hour, which her first ticket took)."""
    config = config_for(mail_settings(ack_limit_per_hour=1))
    assert one(db, config, email(subject="VPN broken")).acknowledged
    listed, direct = _list_copy_then_hers(new_id())
    one(db, config, listed)
    copy = one(db, config, direct)

    assert copy.duplicate and not copy.acknowledged
    assert [ack.subject for ack in outbox(db, "ack")] == ["Re: VPN broken [#1]"]
    assert tickets(db)[1].subject == "Wiki is down"


def test_the_direct_copy_of_a_list_post_already_hers_is_a_duplicate(
    db: Database, config: IngestConfig
) -> None:
    """The list's copy came first, From rewritten to the list (DMARC) with ann in Reply-To
    and the list's List-Post: the ticket is ann's from the start. Her own copy next is
    that message: no second ticket."""
    message_id = new_id()
    direct = email(message_id=message_id, to=f"{DESK}, {LIST}", body="The printer is on fire.")
    listed = email(
        message_id=message_id,
        sender=f"Ann Customer via printers <{LIST}>",
        to=f"{DESK}, {LIST}",
        body="The printer is on fire.\n\n--\nprinters mailing list",
        headers=[*LIST_HEADERS, "Reply-To: Ann <ann@example.org>"],
    )
    first, copy = one(db, config, listed), one(db, config, direct)

    assert (first.duplicate, copy.duplicate) == (False, True)
    assert copy.ticket_number == first.ticket_number
    [ticket] = tickets(db)
    with db.read() as session:
        requester = session.get(Contact, ticket.requester_id)
    assert requester is not None and requester.email == "ann@example.org"
    assert events(db, "requester") == []


def test_a_reused_message_id_with_other_content_is_kept_and_noted(
    db: Database, config: IngestConfig
) -> None:
    reused = "<1@localhost>"  # a broken mailer numbers every message from 1
    first_raw = email(message_id=reused, subject="Printer on fire")
    second_raw = email(message_id=reused, subject="Scanner jammed", body="Paper everywhere.")
    first, second = receive(db, config, first_raw, second_raw)

    assert (first.outcome, second.outcome) == (Outcome.TICKET, Outcome.TICKET)
    assert not second.duplicate and second.ticket_number != first.ticket_number
    [event] = events(db, "message_id_reused")
    assert event.ticket_number == second.ticket_number and reused in (event.new_value or "")


def test_a_reused_message_id_in_a_reply_threads_normally(
    db: Database, config: IngestConfig
) -> None:
    first = new_id()
    number = one(db, config, email(message_id=first)).ticket_number
    again = one(
        db,
        config,
        email(message_id=first, subject="Re: Printer on fire", in_reply_to=first, body="Still."),
    )

    assert (again.outcome, again.ticket_number, again.duplicate) == (
        Outcome.FOLLOW_UP,
        number,
        False,
    )
    assert len(events(db, "message_id_reused")) == 1


# --- machines -----------------------------------------------------------------------------------


def test_out_of_office_is_a_note_that_changes_nothing(
    db: Database, config: IngestConfig, admin: Actor
) -> None:
    number = one(db, config, email()).ticket_number or 0
    acknowledgement = ack_id(db)
    with db.write() as session:
        fields.set_status(session, admin, number, "waiting")

    result = one(db, config, out_of_office(acknowledgement))

    assert (result.outcome, result.ticket_number) == (Outcome.MACHINE_NOTE, number)
    assert status_of(db, number) == "waiting", "an auto-reply does not reopen"
    note = messages(db, number)[-1]
    assert note.kind == "system" and "nicht im Büro" in note.body
    assert len(outbox(db)) == 1, "no acknowledgement of an auto-reply"
    assert [e.ticket_number for e in events(db, "auto_reply")] == [number]


@pytest.mark.parametrize("batched", [False, True], ids=["alone", "in_a_batch"])
def test_a_new_mail_in_an_auto_reply_s_form_is_a_tagged_ticket_without_acknowledgement(
    db: Database, config: IngestConfig, batched: bool
) -> None:
    """An autoresponder without a reply's headers, answering nothing ("Out of office until
    Monday") opened a ticket and got an acknowledgement. It may be a person's, so it is a
    ticket still, but no acknowledgement goes out and it is tagged for the queue's filter;
    the question about out-of-office next to it is acknowledged as before."""
    away = email(sender="Jane Doe <jane@example.org>", subject="Out of office until Monday")
    asking = email(subject="Out of office not working in Outlook")
    first, second = received(db, config, [away, asking], batched)

    assert first.outcome is Outcome.TICKET and not first.acknowledged
    assert second.outcome is Outcome.TICKET and second.acknowledged
    assert [ack.to_addresses for ack in outbox(db, "ack")] == ["ann@example.org"]
    assert [e.ticket_number for e in events(db, "tag_added")] == [first.ticket_number]
    [tagged] = events(db, "tag_added")
    assert tagged.new_value == "auto-reply"


def test_out_of_office_on_a_closed_ticket_starts_nothing(
    db: Database, config: IngestConfig, admin: Actor
) -> None:
    number = one(db, config, email()).ticket_number or 0
    acknowledgement = ack_id(db)
    with db.write() as session:
        fields.set_status(session, admin, number, "closed")

    result = one(db, config, out_of_office(acknowledgement))

    assert (result.outcome, result.ticket_number) == (Outcome.MACHINE_NOTE, number)
    assert len(tickets(db)) == 1 and status_of(db, number) == "closed"


@A_MACHINE_NOTE
def test_out_of_office_by_subject_alone_with_a_ticket_token(
    db: Database, config: IngestConfig
) -> None:
    number = one(db, config, email()).ticket_number or 0
    raw = email(subject=f"Réponse automatique : Re: Printer on fire [#{number}]", body="Absent.")

    result = one(db, config, raw)

    assert (result.outcome, result.ticket_number) == (Outcome.MACHINE_NOTE, number)


@HELD
def test_an_unmatched_auto_reply_is_held_not_queued(db: Database, config: IngestConfig) -> None:
    result = one(db, config, out_of_office("<unknown@elsewhere.example>"))

    assert result.outcome is Outcome.MACHINE and tickets(db) == []
    [entry] = held(db)
    assert entry.kind == "auto_reply" and entry.from_address == "ann@example.org"


def test_a_person_held_as_machine_mail_is_released_into_a_ticket(
    db: Database, config: IngestConfig, admin: Actor
) -> None:
    raw = email(
        sender="Dana <dana@example.org>",
        subject="Out of office tomorrow, please fix my laptop today",
        headers=["Precedence: bulk"],
    )
    assert one(db, config, raw).outcome is Outcome.MACHINE
    [entry] = held(db)

    with db.write() as session:
        result = release_machine(session, admin, entry.id or 0, config)

    assert result.outcome is Outcome.TICKET and not result.acknowledged
    [ticket] = tickets(db)
    assert held(db) == []
    with db.read() as session:
        [released] = machine.list_held(session, include_released=True)
    assert (released.released_by, released.ticket_id) == ("ada", ticket.id)
    assert one(db, config, raw).duplicate, "read again, it is the released message"


def test_a_bounce_of_our_mail_is_noted_with_status_and_diagnostic(
    db: Database, config: IngestConfig
) -> None:
    number = one(db, config, email(sender="typo@exmaple.org")).ticket_number or 0
    acknowledgement = ack_id(db)

    result = one(db, config, delivery_report(acknowledgement))

    assert (result.outcome, result.ticket_number) == (Outcome.BOUNCE, number)
    note = messages(db, number)[-1]
    assert note.kind == "system"
    assert "Status: 5.1.2" in note.body and "Diagnostic-Code: X-Postfix; Host or" in note.body
    [event] = events(db, "bounce")
    assert "5.1.2" in (event.new_value or "")
    [ack] = outbox(db, "ack")
    assert (ack.status, ack.dsn_status) == (OutboxStatus.BOUNCED, "5.1.2")
    assert "Host or domain name not found" in (ack.dsn_diagnostic or "")
    assert status_of(db, number) == "new" and len(tickets(db)) == 1


def test_a_bounce_of_a_reply_a_merge_moved_is_noted_where_the_reply_now_is(
    db: Database, config: IngestConfig, admin: Actor
) -> None:
    """ann's first ticket was answered, then merged into her second; the answer bounced.
    The report is noted on the second ticket, whose thread holds the reply, and says so
    there: the outbox row keeps the merged ticket's id, which is closed."""
    first = one(db, config, email(sender="typo@exmaple.org", subject="VPN")).ticket_number or 0
    second = one(db, config, email(sender="typo@exmaple.org", subject="Wi-Fi")).ticket_number
    assert second is not None
    with db.write() as session:
        thread.reply(session, admin, first, body="Restart it.")
    assign_outgoing_ids(db)
    with db.write() as session:
        relations.merge(session, admin, first, second)
    [reply] = outbox(db, "reply")
    assert reply.email_message_id is not None

    result = one(db, config, delivery_report(reply.email_message_id))

    assert (result.outcome, result.ticket_number) == (Outcome.BOUNCE, second)
    assert "Status: 5.1.2" in messages(db, second)[-1].body
    assert messages(db, first) == []
    [event] = events(db, "bounce")
    assert event.ticket_number == second
    assert outbox(db, "reply")[0].status == OutboxStatus.BOUNCED


@A_BOUNCE_NOTE
def test_a_delay_notice_is_noted_but_the_mail_is_not_failed(
    db: Database, config: IngestConfig
) -> None:
    number = one(db, config, email(sender="slow@example.org")).ticket_number or 0
    acknowledgement = ack_id(db)

    result = one(db, config, delivery_report(acknowledgement, action="delayed"))

    assert (result.outcome, result.ticket_number) == (Outcome.BOUNCE, number)
    assert messages(db, number)[-1].body.startswith("Delivery delayed to typo@exmaple.org")
    assert outbox(db, "ack")[0].status != OutboxStatus.FAILED


def test_an_unmatched_bounce_is_held_with_its_reason(db: Database, config: IngestConfig) -> None:
    result = one(db, config, delivery_report("<backscatter@spammer.example>"))

    assert result.outcome is Outcome.MACHINE and tickets(db) == [] and outbox(db) == []
    [entry] = held(db)
    assert (entry.kind, entry.status) == ("bounce", "5.1.2")
    assert entry.diagnostic and "Host not found" in entry.diagnostic
    assert entry.about_message_id == "<backscatter@spammer.example>"


def test_a_read_receipt_is_noted_on_the_ticket_of_our_reply(
    db: Database, config: IngestConfig, admin: Actor
) -> None:
    number = one(db, config, email()).ticket_number or 0
    with db.write() as session:
        thread.reply(session, admin, number, body="Unplug it.")
    assign_outgoing_ids(db)
    reply_id = outbox(db, "reply")[0].email_message_id or ""
    before = status_of(db, number)

    result = one(db, config, read_receipt(reply_id))

    assert (result.outcome, result.ticket_number) == (Outcome.MACHINE_NOTE, number)
    assert status_of(db, number) == before
    assert "displayed" in messages(db, number)[-1].body
    assert len(outbox(db, "ack")) == 1


@HELD
def test_an_unmatched_receipt_and_an_abuse_report_are_held(
    db: Database, config: IngestConfig
) -> None:
    receipt, report = receive(db, config, read_receipt("<gone@desk.test>"), abuse_report())

    assert (receipt.outcome, report.outcome) == (Outcome.MACHINE, Outcome.MACHINE)
    assert sorted(e.kind for e in held(db)) == ["receipt", "report"]
    assert tickets(db) == [] and outbox(db) == []


def test_an_abuse_report_about_our_mail_is_noted_on_its_ticket(
    db: Database, config: IngestConfig
) -> None:
    number = one(db, config, email()).ticket_number or 0
    acknowledgement = ack_id(db)

    result = one(db, config, abuse_report(about=acknowledgement))

    assert (result.outcome, result.ticket_number) == (Outcome.MACHINE_NOTE, number)
    assert "Feedback report from abuse@bigmail.example (abuse)" in messages(db, number)[-1].body
    assert status_of(db, number) == "new" and held(db) == []


@HELD
def test_a_real_world_bounce_from_the_corpus_is_held(
    db: Database, config: IngestConfig, mail_corpus: Path
) -> None:
    raw = (mail_corpus / "mail-parser" / "mail_malformed_2").read_bytes()

    result = one(db, config, raw)

    assert result.outcome is Outcome.MACHINE and tickets(db) == []
    [entry] = held(db)
    assert entry.kind == "bounce" and (entry.status or "").startswith("4.2.2")


# --- the rest of the rules, batched together ------------------------------------------------------


def test_one_batch_through_every_rule(db: Database, admin: Actor) -> None:
    config = config_for(mail_settings(blocked=["@spammy.example"]))
    first = new_id()
    results = receive(
        db,
        config,
        email(message_id=first, subject="Printer on fire"),
        email(subject="Re: Printer on fire", in_reply_to=first, body="And smoke."),
        out_of_office(first),
        email(sender="seller@spammy.example", subject="Cheap toner"),
        email(sender=f"Desk <{DESK}>", subject="Our own mail"),
        b"not a message at all",
        email(message_id=first, subject="Printer on fire"),
        delivery_report("<nobody@nowhere.example>"),
    )

    assert [(r.outcome, r.duplicate) for r in results] == [
        (Outcome.TICKET, False),
        (Outcome.FOLLOW_UP, False),
        (Outcome.MACHINE_NOTE, False),
        (Outcome.SPAM, False),
        (Outcome.MACHINE, False),
        (Outcome.QUARANTINE, False),
        (Outcome.TICKET, True),
        (Outcome.MACHINE, False),
    ]
    number = results[0].ticket_number or 0
    assert {r.ticket_number for r in results[:3]} == {number}
    assert [m.kind for m in messages(db, number)] == ["customer", "customer", "system"]
    assert len(tickets(db)) == 1 and len(outbox(db, "ack")) == 1


def test_only_the_requester_moves_the_reply_address(db: Database, config: IngestConfig) -> None:
    first = new_id()
    one(db, config, email(message_id=first, to=f"{DESK}, boss@example.org"))
    one(
        db,
        config,
        email(sender="boss@example.org", in_reply_to=first, headers=["Reply-To: pa@example.org"]),
    )
    assert tickets(db)[0].reply_to is None
    one(db, config, email(in_reply_to=first, headers=["Reply-To: ann.home@example.net"]))
    assert tickets(db)[0].reply_to == "ann.home@example.net"


def test_big_raw_message_and_attachments_are_stored_whole_and_in_order(db: Database) -> None:
    """Over 1 MiB, SQLite gets the bytes through a blob handle; the result must not differ."""
    big, small = hashlib.sha256(b"a").digest() * 70_000, b"%PDF-1.4 small"
    parts = []
    for name, data in (("big.bin", big), ("small.pdf", small)):
        encoded = base64.encodebytes(data).decode().replace("\n", "\r\n")
        parts.append(
            "--b\r\nContent-Type: application/octet-stream\r\n"
            f'Content-Disposition: attachment; filename="{name}"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}"
        )
    raw = (
        crlf(
            f"From: Ann Customer <ann@example.org>\nTo: {DESK}\nSubject: Scans\n"
            f"Message-ID: {new_id()}\nDate: Mon, 23 Nov 2026 10:00:00 +0000\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n'
            "Two scans.\n"
        )
        + "".join(parts).encode()
        + b"--b--\r\n"
    )
    config = config_for(mail_settings(max_attachment_bytes=4 * 1024 * 1024))

    result = one(db, config, raw)

    assert result.ticket_number is not None
    with db.read() as session:
        stored = session.exec(select(Attachment).order_by(Attachment.id)).all()
        raws = session.exec(select(RawMessage.content)).all()
    assert [(a.filename, a.size, a.content) for a in stored] == [
        ("big.bin", len(big), big),
        ("small.pdf", len(small), small),
    ]
    assert raws == [raw]


@pytest.mark.parametrize("echo", [True, False], ids=["our_reply_s_copy", "another_message"])
def test_mail_under_our_reply_s_message_id_is_its_copy_once_or_kept_as_its_own(
    db: Database, config: IngestConfig, admin: Actor, echo: bool
) -> None:
    """Mail from outside under the Message-ID our reply went out with (held by the reply,
    not by a processed row) was taken for a duplicate after two failed writes and left no
    processed row: read again, it was decided and failed twice again, every time; and a
    message of other content under it (a reused Message-ID) was lost. A list's copy of our
    reply is its duplicate, once (read again: at once); another message is kept."""
    number = one(db, config, email(subject="Printer on fire")).ticket_number or 0
    with db.write() as session:
        thread.reply(session, admin, number, body="Unplug it and wait an hour, please.")
    assign_outgoing_ids(db)
    [reply] = outbox(db, "reply")
    body = (
        "Unplug it and wait an hour, please.\n\n--\nusers list"
        if echo
        else "Thanks, but it is still smoking after two hours. What now?"
    )
    raw = email(
        message_id=reply.email_message_id,
        sender="Ann via users <users@lists.example.org>",
        subject="Re: Printer on fire",
        body=body,
        headers=["List-Id: <users.lists.example.org>", "Reply-To: ann@example.org"],
    )
    first = one(db, config, raw)
    with db.read() as session:
        processed = len(session.exec(select(ProcessedMail)).all())
    again = one(db, config, raw)

    assert (first.duplicate, again.duplicate) == (echo, True)
    with db.read() as session:
        assert len(session.exec(select(ProcessedMail)).all()) == processed == 2
    texts = [m.body.strip() for t in tickets(db) for m in messages(db, t.number)]
    assert texts.count(body) == (0 if echo else 1)
    assert len(events(db, "message_id_reused")) == (0 if echo else 1)
