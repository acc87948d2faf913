"""Who gets an acknowledgement, through real Dovecot and SMTP: a post to the desk and to a
mailing list at once (the list's copy first, then the customer's own), and a new mail whose
subject is an autoresponder's."""

from __future__ import annotations

from email import message_from_bytes, policy

from helpdesk_tui.config import IntakeOptions
from helpdesk_tui.desk.tags import ticket_tags
from helpdesk_tui.mail.service import MailService
from helpdesk_tui.storage.database import Database

from .mailbuild import DESK, email, messages, new_id, outbox, server_settings, tickets
from .servers import ImapAccount, SmtpServer
from .test_poller import wait_until


def test_her_own_copy_after_the_list_s_brings_her_acknowledgement_and_a_machine_none(
    db: Database, dovecot: ImapAccount, smtp_server: SmtpServer
) -> None:
    """The list's copy (its ``[users]`` tag, its From) opened the ticket and got no
    acknowledgement, as a list's mail must not; ann's own copy made her the requester
    and still brought none, and the ticket kept the list's tag. Now: her subject, and one
    acknowledgement, to her. An autoresponder without a reply's headers ("Out of office
    until Monday") got one: now its ticket is tagged ``auto-reply`` and gets none. (One
    mail service for both: the suite's CPU.)"""
    message_id = new_id()
    listed = email(
        message_id=message_id,
        sender="Ann Customer via users <users@lists.example.org>",
        subject="[users] Wiki is down",
        to=f"{DESK}, users@lists.example.org",
        body="The wiki is down.\n\n--\nusers mailing list",
        headers=[
            "List-Id: Wiki users <users.lists.example.org>",
            "List-Post: <mailto:users@lists.example.org>",
            "Reply-To: users@lists.example.org",
        ],
    )
    direct = email(
        message_id=message_id, subject="Wiki is down", to=f"{DESK}, users@lists.example.org"
    )
    direct = direct.replace(b"It is still burning.", b"The wiki is down.")
    away = email(
        sender="Jane Doe <jane@example.org>",
        subject="Out of office until Monday",
        body="I am on vacation until Monday and will read your mail then.",
    )
    service = MailService(db, IntakeOptions(server_settings(dovecot, smtp_server)))
    service.start()
    try:
        dovecot.append("INBOX", away)
        dovecot.append("INBOX", listed)
        wait_until(lambda: len(tickets(db)) == 2, what="the two tickets")
        dovecot.append("INBOX", direct)
        [ack] = smtp_server.wait_for(1)
        wait_until(lambda: dovecot.list_uids("INBOX") == [], what="both read")
        wait_until(lambda: all(o.status == "sent" for o in outbox(db)), what="all sent")
    finally:
        service.stop()
    assert len(smtp_server.messages) == 1
    assert ack.rcpt_tos == ("ann@example.org",)
    subject = str(message_from_bytes(ack.raw, policy=policy.default)["Subject"])
    machine, ticket = tickets(db)
    assert ticket.subject == "Wiki is down"
    assert "[users]" not in subject and "Wiki is down" in subject
    assert len(messages(db, ticket.number)) == 1
    assert machine.subject == "Out of office until Monday"
    with db.read() as session:
        assert list(ticket_tags(session, machine.id or 0)) == ["auto-reply"]
