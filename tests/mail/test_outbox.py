"""The outbox sender against a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import time_machine
from sqlalchemy import update

from helpdesk_tui.config import IntakeOptions
from helpdesk_tui.desk import fields, leases, sla_alerts, thread
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.mail_reads import OUTBOX_LEASE
from helpdesk_tui.desk.outbox import OutboxStatus, resend
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.mail.api import desk_jobs, mail_service
from helpdesk_tui.mail.ingest import ingest
from helpdesk_tui.mail.message_ids import Origin
from helpdesk_tui.mail.outbox_sender import OutboxSender
from helpdesk_tui.mail.service import MailService
from helpdesk_tui.mail_settings import MailSettings
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.enums import clock_of
from helpdesk_tui.storage.models import Outbox, utcnow
from tests.clocks import SetClock, local_zone

from .mailbuild import (
    DESK,
    config_for,
    email,
    mail_settings,
    messages,
    new_id,
    on_sqlite_only,
    outbox,
)
from .servers import SmtpServer
from .test_poller import wait_until

MONDAY = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
"""The desk's clock in these tests: 10:00 in Berlin, the day after clocks went forward."""


def smtp_settings(smtp: SmtpServer, **overrides: object) -> MailSettings:
    return mail_settings(
        smtp={"host": smtp.host, "port": smtp.port, "security": "none", "timeout": 5},
        **overrides,
    )


def sender(
    db: Database, settings: MailSettings, clock: Callable[[], datetime] = utcnow
) -> OutboxSender:
    return OutboxSender(db, settings, config_for(settings).signer, clock=clock)


def parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def new_ticket_with_reply(
    db: Database, settings: MailSettings, admin: Actor, clock: Callable[[], datetime] = utcnow
) -> tuple[int, str]:
    """A customer's mail (acknowledged) and an agent's reply: two rows in the outbox,
    queued at ``clock``'s time."""
    customer_id = new_id()
    with clock_of(clock), db.write() as session:
        number = ingest(session, email(message_id=customer_id), config_for(settings)).ticket_number
    assert number is not None
    with clock_of(clock), db.write() as session:
        thread.reply(session, admin, number, body="Unplug it, then call us.")
    return number, customer_id


def test_reply_and_acknowledgement_go_out_threaded_and_marked(
    db: Database, admin: Actor, smtp_server: SmtpServer
) -> None:
    settings = smtp_settings(smtp_server)
    number, customer_id = new_ticket_with_reply(db, settings, admin)

    report = asyncio.run(sender(db, settings).send_due())

    assert (report.sent, report.failed) == (2, 0)
    ack_mail, reply_mail = (parsed(m.raw) for m in smtp_server.wait_for(2))
    ack_row, reply_row = outbox(db)
    for mail, row in ((ack_mail, ack_row), (reply_mail, reply_row)):
        assert row.status == OutboxStatus.SENT and row.sent_at is not None
        assert mail["Message-ID"] == row.email_message_id
        checked = config_for(settings).signer.check(row.email_message_id or "")
        assert (checked.origin, checked.ticket_number) == (Origin.OURS, number)
        assert f"[#{number}]" in mail["Subject"]
        assert mail["In-Reply-To"] == customer_id and customer_id in mail["References"]
        assert mail["From"] == f"Desk Support <{DESK}>" and mail["Reply-To"] == DESK
        assert mail["X-Helpdesk-Loop"] == DESK
        assert mail["To"] == "ann@example.org"
    assert ack_mail["Auto-Submitted"] == "auto-replied"
    assert reply_mail["Auto-Submitted"] is None, "an agent's reply is not automatic mail"
    assert "Unplug it" in reply_mail.get_content()
    reply_message = messages(db, number)[-1]
    assert reply_message.email_message_id == reply_row.email_message_id, "stored on the thread"


def test_mail_to_agents_is_a_message_of_its_own_and_mail_to_the_customer_answers_theirs(
    db: Database, admin: Actor, smtp_server: SmtpServer
) -> None:
    """An SLA alert read "Re: SLA breached: first response [#N]", a rating concern "Re:
    Customer rating: follow up [#N]": a reply to a mail the agent never got. Only mail that
    answers the customer's (an agent's reply, an acknowledgement) says "Re:"; the token
    stays on all of it, so a reply to any threads onto its ticket."""
    settings = smtp_settings(smtp_server)
    now = utcnow()
    with db.write() as session:
        add_agent(session, admin, "bob", name="Bob", email="bob@example.com",
                  role="supervisor", teams=["Support"])  # fmt: skip
        # an outbox sender (a mail service with SMTP) holds its lease: the desk sends mail
        assert leases.acquire(session, OUTBOX_LEASE, "mailer", ttl=timedelta(minutes=1), now=now)
    desk = Desk(db, admin, clock=lambda: now)
    desk.sla_set_calendar("allday", days="mon-sun", hours="00:00-24:00")
    desk.sla_set_policy(
        "urgent", priority="urgent", first_response="1h", next_response="1h",
        resolution="2000h", calendar="allday",
    )  # fmt: skip
    answered, _ = new_ticket_with_reply(db, settings, admin)  # its acknowledgement, a reply
    with time_machine.travel(now - timedelta(hours=2), tick=False), db.write() as session:
        late = create_ticket(
            session, admin, subject="Payroll failed", body="x", requester_email="kim@example.com",
            priority="urgent",
        ).number  # fmt: skip
        fields.assign(session, admin, late, agent="bob", team="Support")
    assert [a.level for a in sla_alerts.check(db, now)] == ["breach"]
    with db.write() as session:
        fields.escalate(session, admin, late)  # the team hears of it by mail
        fields.set_status(session, admin, answered, "resolved")
    desk.satisfaction_rate(answered, 2, comment="slow")  # a concern mailed to bob

    report = asyncio.run(sender(db, settings).send_due())

    assert report.failed == 0
    mails = [parsed(m.raw) for m in smtp_server.wait_for(report.sent)]
    assert sorted((str(m["To"]), str(m["Subject"]), str(m["Auto-Submitted"])) for m in mails) == [
        # to the customer: the acknowledgement and the reply answer their mail
        ("ann@example.org", f"Re: Printer on fire [#{answered}]", "None"),
        ("ann@example.org", f"Re: Printer on fire [#{answered}]", "auto-replied"),
        # to agents: each a message of its own
        ("bob@example.com", f"Customer rating: follow up [#{answered}]", "auto-generated"),
        ("bob@example.com", f"SLA breached: first response [#{late}]", "auto-generated"),
        ("bob@example.com", f"escalated to tier 2 [#{late}]", "auto-generated"),
    ]  # (the survey, withdrawn by the rating, has no "Re:" either: test_survey_roundtrip)


def test_smtp_down_means_retries_with_backoff_then_exactly_one_delivery(
    db: Database, admin: Actor, smtp_server: SmtpServer
) -> None:
    settings = smtp_settings(smtp_server, ack_enabled=False, retry_base=30, retry_max=60)
    clock = SetClock(MONDAY)
    new_ticket_with_reply(db, settings, admin, clock)
    smtp_server.stop()
    worker = sender(db, settings, clock)

    report = asyncio.run(worker.send_due())
    [row] = outbox(db)
    assert report.retrying == 1
    assert (row.status, row.attempts) == (OutboxStatus.RETRYING, 1)
    assert "SMTP" in (row.last_error or "")
    assert row.next_attempt_at == MONDAY + timedelta(seconds=30)
    first_id = row.email_message_id
    clock.now += timedelta(seconds=29)
    assert asyncio.run(worker.send_due()).retrying == 0, "not due again before the backoff"

    smtp_server.start()
    clock.now = row.next_attempt_at
    assert asyncio.run(worker.send_due()).sent == 1
    assert asyncio.run(worker.send_due()).sent == 0
    [delivered] = smtp_server.wait_for(1)
    assert len(smtp_server.messages) == 1
    assert parsed(delivered.raw)["Message-ID"] == first_id, "every try uses the same Message-ID"
    [row] = outbox(db)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 2, None)


def test_a_permanent_refusal_fails_at_once_with_the_servers_reason(
    db: Database, admin: Actor, smtp_server: SmtpServer
) -> None:
    settings = smtp_settings(smtp_server, ack_enabled=False)
    number, _ = new_ticket_with_reply(db, settings, admin)
    smtp_server.respond_with = "554 5.7.1 Message rejected as spam"

    report = asyncio.run(sender(db, settings).send_due())

    [row] = outbox(db)
    assert report.failed == 1 and row.status == OutboxStatus.FAILED
    assert row.last_error == "554 5.7.1 Message rejected as spam"
    with db.read() as session:
        [delivery] = ticket_detail(session, number).deliveries.values()
    assert (delivery.status, delivery.last_error) == ("failed", row.last_error), (
        "what the ticket screen shows on the reply"
    )
    assert messages(db, number)[-1].id == row.message_id


def test_temporary_refusals_fail_after_the_last_try(
    db: Database, admin: Actor, smtp_server: SmtpServer
) -> None:
    settings = smtp_settings(smtp_server, ack_enabled=False, send_attempts=3, retry_base=0.01)
    clock = SetClock(MONDAY)
    new_ticket_with_reply(db, settings, admin, clock)
    smtp_server.respond_with = "451 4.3.0 Mailbox temporarily unavailable"
    worker = sender(db, settings, clock)
    for _ in range(3):
        clock.now += timedelta(minutes=1)  # (each retry is due)
        asyncio.run(worker.send_due())

    [row] = outbox(db)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 3)
    assert row.last_error == "gave up: 451 4.3.0 Mailbox temporarily unavailable"
    assert smtp_server.messages == []


def test_mail_given_up_after_eight_tries_is_resent_and_delivered(
    db: Database, admin: Actor, smtp_server: SmtpServer
) -> None:
    """The default schedule: eight tries over about an hour, then an agent re-sends it."""
    settings = smtp_settings(smtp_server, ack_enabled=False, send_attempts=8)
    settings = settings.model_copy(update={"retry_base": 30.0, "retry_max": 3600.0})
    clock = SetClock(MONDAY)
    number, _ = new_ticket_with_reply(db, settings, admin, clock)
    smtp_server.respond_with = "451 4.3.0 Mailbox temporarily unavailable"
    worker = sender(db, settings, clock)
    for _ in range(7):
        asyncio.run(worker.send_due())
        [row] = outbox(db)
        assert row.status == OutboxStatus.RETRYING
        clock.now = row.next_attempt_at  # (the next try is due then, not before)
    asyncio.run(worker.send_due())
    [row] = outbox(db)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 8)
    assert clock.now - MONDAY == timedelta(seconds=30 + 60 + 120 + 240 + 480 + 960 + 1920)
    assert 60 * 60 <= (clock.now - MONDAY).total_seconds() <= 64 * 60, "63 minutes"
    clock.now += timedelta(days=1)
    assert asyncio.run(worker.send_due()).sent == 0, "given up: no ninth try"

    with clock_of(clock), db.write() as session:
        again = resend(session, admin, row.id or 0)
    assert (again.status, again.attempts, again.last_error) == (OutboxStatus.QUEUED, 0, None)
    smtp_server.respond_with = None
    assert asyncio.run(worker.send_due()).sent == 1
    [mail] = smtp_server.wait_for(1)
    assert parsed(mail.raw)["Message-ID"] == row.email_message_id, "the same Message-ID"
    [row] = outbox(db)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)
    with db.read() as session:
        detail = ticket_detail(session, number)
    [event] = [e for e in detail.events if e.kind == "resent"]
    assert (event.actor, event.old_value, event.new_value) == (admin.name, "failed", "queued")


def test_a_row_interrupted_while_sending_is_sent_after_a_restart(
    db: Database, admin: Actor, smtp_server: SmtpServer
) -> None:
    settings = smtp_settings(smtp_server, ack_enabled=False)
    new_ticket_with_reply(db, settings, admin)
    # The previous sender claimed the row (Message-ID made, marked sending) and died.
    sender(db, settings).claim(utcnow())
    [claimed] = outbox(db)
    assert claimed.status == OutboxStatus.SENDING

    report = asyncio.run(sender(db, settings).send_due())

    assert report.sent == 1
    [mail] = smtp_server.wait_for(1)
    assert parsed(mail.raw)["Message-ID"] == claimed.email_message_id
    assert asyncio.run(sender(db, settings).send_due()).sent == 0
    assert len(smtp_server.messages) == 1


@on_sqlite_only(
    "tests/mail/test_outbox.py::test_a_permanent_refusal_fails_at_once_with_the_servers_reason"
)  # (the mail code refuses to build it; the row is failed by the desk call that test makes)
def test_header_injection_in_a_header_fails_the_row_not_the_sender(
    db: Database, admin: Actor, smtp_server: SmtpServer
) -> None:
    # (A ticket's subject is rebuilt on one line by reply_subject, so it cannot inject.)
    settings = smtp_settings(smtp_server, ack_enabled=False)
    new_ticket_with_reply(db, settings, admin)
    with db.write() as session:
        session.execute(
            update(Outbox).values(in_reply_to="<a@example.org>\r\nBcc: victim@example.org")
        )

    report = asyncio.run(sender(db, settings).send_due())

    [row] = outbox(db)
    assert report.failed == 1 and "cannot build" in (row.last_error or "")
    assert smtp_server.messages == []


def test_service_sends_a_reply_queued_while_smtp_was_down_exactly_once(
    db: Database, admin: Actor, smtp_server: SmtpServer
) -> None:
    # Retries as often as the sender looks (``outbox_interval``, 0.1 s), with tries enough for
    # four seconds of them: the second failed try, and the send once SMTP is back, come
    # at its next look, not after waits of 0.2 and 0.3 s (eight tries: two seconds).
    settings = smtp_settings(
        smtp_server, ack_enabled=False, retry_base=0.02, retry_max=0.05, send_attempts=40
    )
    customer_id = new_id()
    with db.write() as session:
        number = ingest(session, email(message_id=customer_id), config_for(settings)).ticket_number
    assert number is not None
    smtp_server.stop()
    service = MailService(db, IntakeOptions(settings))
    service.start()
    try:
        with db.write() as session:
            thread.reply(session, admin, number, body="We are on it.")
        # A claimed attempt shows as "sending" until its failure is recorded: wait for a
        # recorded one. The sender keeps retrying meanwhile, so the row is judged as read
        # in that one moment, never read again (a later read may catch the next attempt).
        seen: list[Outbox] = []

        def retried() -> bool:
            [row] = outbox(db)
            seen.append(row)
            return row.attempts >= 2 and row.status != OutboxStatus.SENDING

        wait_until(retried, what="retries while SMTP is down")
        assert seen[-1].status == OutboxStatus.RETRYING
        smtp_server.start()
        wait_until(lambda: outbox(db)[0].status == OutboxStatus.SENT, what="sent after restart")
        [mail] = smtp_server.wait_for(1)
    finally:
        service.stop()  # joins the sender: a second copy, were one sent, has arrived now
    assert len(smtp_server.messages) == 1
    sent = parsed(mail.raw)
    assert sent["In-Reply-To"] == customer_id and f"[#{number}]" in sent["Subject"]


def test_mail_is_dated_sent_and_retried_by_the_desks_clock(
    db: Database, admin: Actor, smtp_server: SmtpServer
) -> None:
    """A desk on a fixed clock: its mail says that time in the Date header (RFC 5322, in the
    local zone with its offset: CEST in Berlin after the change), the row says it was sent
    then, and a failed try is due again by that clock (the wall's said 2026-12 before)."""
    settings = smtp_settings(smtp_server, ack_enabled=False, retry_base=30, retry_max=60)
    clock = SetClock(MONDAY)
    new_ticket_with_reply(db, settings, admin, clock)
    smtp_server.stop()
    worker = sender(db, settings, clock)
    asyncio.run(worker.send_due())
    [row] = outbox(db)
    assert row.next_attempt_at == MONDAY + timedelta(seconds=30)
    smtp_server.start()
    clock.now = MONDAY + timedelta(seconds=31)

    with local_zone("Europe/Berlin"):
        assert asyncio.run(worker.send_due()).sent == 1

    [mail] = smtp_server.wait_for(1)
    assert parsed(mail.raw)["Date"] == "Mon, 30 Mar 2026 10:00:31 +0200"
    assert outbox(db)[0].sent_at == clock.now
    with local_zone("America/New_York"):
        assert worker.build(row, None)["Date"] == "Mon, 30 Mar 2026 04:00:31 -0400"


def test_the_mail_service_sends_on_the_clock_of_the_desk_it_was_made_for(
    db: Database, admin: Actor, smtp_server: SmtpServer
) -> None:
    settings = smtp_settings(smtp_server, ack_enabled=False)
    clock = SetClock(MONDAY)
    new_ticket_with_reply(db, settings, admin, clock)
    service = mail_service(Desk(db, admin, clock=clock), IntakeOptions(settings))
    with local_zone("UTC"):
        service.start()
        try:
            [mail] = smtp_server.wait_for(1)
        finally:
            service.stop()
    assert parsed(mail.raw)["Date"] == "Mon, 30 Mar 2026 08:00:00 +0000"
    assert outbox(db)[0].sent_at == MONDAY
    jobs = desk_jobs(Desk(db, admin, clock=clock), IntakeOptions(settings))
    assert jobs.clock is clock, "the SLA pass alone reads it too"
