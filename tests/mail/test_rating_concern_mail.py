"""A rating that needs follow-up reaches its assignee (unassigned: the team's supervisors)
by mail, through the outbox to a real SMTP server on loopback, as an SLA alert's mail does;
on a desk that sends no mail the alert line alone tells. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import select

from helpdesk_tui.desk import fields, leases
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.mail_reads import OUTBOX_LEASE
from helpdesk_tui.desk.satisfaction import RATING_CONCERN_KIND, survey_token
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.mail.ingest import ingest
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.enums import OutboxStatus
from helpdesk_tui.storage.models import Outbox, utcnow

from .mailbuild import config_for, email, on_sqlite_only
from .servers import SmtpServer
from .test_outbox import parsed, sender, smtp_settings


def _resolved(db: Database, admin: Actor, subject: str, **where: str) -> int:
    with db.write() as session:
        number = create_ticket(
            session, admin, subject=subject, body="x", requester_email="ann@example.org"
        ).number
        fields.assign(session, admin, number, **where)
        fields.set_status(session, admin, number, "resolved")
    return number


def _concerns(db: Database) -> list[Outbox]:
    with db.read() as session:
        rows = session.exec(select(Outbox).where(Outbox.kind == RATING_CONCERN_KIND))
        return sorted(rows.all(), key=lambda row: row.id or 0)


def test_a_rating_concern_is_mailed_to_the_assignee_or_the_team_s_supervisors(
    db: Database, admin: Actor, smtp_server: SmtpServer
) -> None:
    """ "4 stars but the VPN is still down" showed in the assignee's alert line and sent
    no mail: an agent not at a terminal never heard of it, where an SLA breach mails them."""
    settings = smtp_settings(smtp_server)
    now = utcnow()
    with db.write() as session:
        add_agent(session, admin, "bob", name="Bob", email="bob@example.com", teams=["Support"])
        add_agent(session, admin, "sue", name="Sue", email="sue@example.com",
                  role="supervisor", teams=["Support"])  # fmt: skip
        add_agent(session, admin, "max", name="Max", email="max@example.com",
                  role="supervisor", teams=["Network"])  # fmt: skip
        # an outbox sender (a mail service with SMTP) holds its lease: the desk sends mail
        assert leases.acquire(session, OUTBOX_LEASE, "mailer", ttl=timedelta(minutes=1), now=now)
    by_bob = _resolved(db, admin, "VPN drops", agent="bob")
    unassigned = _resolved(db, admin, "Printer", team="Support")
    praised = _resolved(db, admin, "Wiki", agent="bob")
    by_mail = _resolved(db, admin, "Laptop", agent="bob")
    desk = Desk(db, admin, clock=lambda: now)
    desk.satisfaction_rate(by_bob, 4, comment="but the VPN is still down")
    desk.satisfaction_rate(unassigned, 2, comment="slow")
    desk.satisfaction_rate(praised, 5, comment="great, it works again")
    with db.write() as session:
        token = survey_token(session, by_mail)
        answer = email(
            subject=f"Re: How did we do? (survey {token}) [#{by_mail}]",
            body="3\n\nthe laptop broke again",
        )
        ingest(session, answer, config_for(settings), now=now)

    report = asyncio.run(sender(db, settings).send_due())

    assert (report.sent, report.failed) == (7, 0)  # and the four tickets' surveys
    every = [(m.rcpt_tos, parsed(m.raw)) for m in smtp_server.wait_for(7)]
    mails = [(to, mail) for to, mail in every if "Customer rating" in str(mail["Subject"])]
    assert len(mails) == 3
    said = {(to, str(mail["Subject"])): mail.get_content() for to, mail in mails}
    assert set(said) == {
        (("bob@example.com",), f"Customer rating: follow up [#{by_bob}]"),
        (("sue@example.com",), f"Customer rating: follow up [#{unassigned}]"),
        (("bob@example.com",), f"Customer rating: follow up [#{by_mail}]"),
    }
    texts = sorted(said.values())
    assert any("rated 4/5, the comment reports a problem" in t and "VPN" in t for t in texts)
    assert any("rated 2/5, low rating" in t for t in texts)
    assert any("laptop broke again" in t for t in texts)
    assert all(mail["Auto-Submitted"] == "auto-generated" for _, mail in mails)
    assert all(row.status == OutboxStatus.SENT for row in _concerns(db))


def test_a_desk_that_sends_no_mail_queues_none_for_a_rating_concern(
    db: Database, admin: Actor
) -> None:
    """No outbox sender ever ran: mail queued would never go (and would all go at once
    the day SMTP is set up), so the alert line alone tells, as for SLA alerts."""
    with db.write() as session:
        add_agent(session, admin, "bob", name="Bob", email="bob@example.com", teams=["Support"])
    number = _resolved(db, admin, "VPN drops", agent="bob")
    desk = Desk(db, admin, clock=utcnow)
    desk.satisfaction_rate(number, 1, comment="nobody called")
    assert _concerns(db) == []
    [alert] = desk.sla_alerts_since(0)
    assert (alert.number, alert.title) == (number, "Customer rating")


@on_sqlite_only(
    "tests/mail/test_rating_concern_mail.py::"
    "test_a_rating_concern_is_mailed_to_the_assignee_or_the_team_s_supervisors"
)  # (the alert's wording)
def test_a_comment_s_own_full_stop_ends_the_alert_s_sentence(db: Database, admin: Actor) -> None:
    """Found on a walk: "2 - it took a week and the printer still squeaks." was mailed to
    the assignee as "…: it took a week and the printer still squeaks..", a stop added to
    the customer's own."""
    now = utcnow()
    with db.write() as session:
        add_agent(session, admin, "bob", name="Bob", email="bob@example.com")
        assert leases.acquire(session, OUTBOX_LEASE, "mailer", ttl=timedelta(minutes=1), now=now)
    squeaks = _resolved(db, admin, "Printer", agent="bob")
    slow = _resolved(db, admin, "Laptop", agent="bob")
    desk = Desk(db, admin, clock=lambda: now)
    desk.satisfaction_rate(squeaks, 2, comment="the printer still squeaks.")
    desk.satisfaction_rate(slow, 1, comment="slow")
    bodies = [row.body for row in _concerns(db)]
    assert bodies == [
        f'#{squeaks} "Printer": rated 2/5, low rating — follow up: the printer still squeaks.\n',
        f'#{slow} "Laptop": rated 1/5, low rating — follow up: slow.\n',
    ]
