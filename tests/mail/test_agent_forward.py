"""An agent forwards a customer's mail from their own mailbox to the desk (read from a real
Dovecot): the customer is the requester, and the ticket says which agent forwarded it.
The agent became the requester (and got the acknowledgement). No acknowledgement goes to the
customer unless ``mail.ack_forwards`` says so; a forward that threads into a ticket is noted
there too."""

from __future__ import annotations

import pytest
from sqlmodel import select

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Contact

from .mailbuild import email, messages, new_id, on_sqlite_only, outbox, server_settings, tickets
from .servers import ImapAccount
from .test_poller import poller

_INLINE = (
    "Can you look at this?\n\n"
    "---------- Forwarded message ---------\n"
    "From: Ann Customer <ann@example.org>\n"
    "Date: Mon, 23 Nov 2026 at 09:12\n"
    "Subject: VPN broken\n"
    "To: Bob Agent <bob@acme.test>\n\n"
    "The VPN drops every ten minutes.\n"
)


def _attached(sender: str) -> bytes:
    return (
        f"From: Bob Agent <{sender}>\r\nTo: support@desk.test\r\nSubject: WG: VPN broken\r\n"
        f"Message-ID: {new_id('acme.test')}\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nSiehe unten.\r\n"
        "--b\r\nContent-Type: message/rfc822\r\n\r\n"
        "From: Ann Customer <ann@example.org>\r\nTo: bob@acme.test\r\nSubject: VPN broken\r\n"
        "Message-ID: <orig-1@example.org>\r\n\r\nThe VPN drops every ten minutes.\r\n"
        "--b--\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("db_url", "kind"),
    [
        ("sqlite", "inline"),
        ("sqlite", "attached"),
        # The forward's two forms differ in the mail code's reading only: the desk's calls
        # (the agent found by address whatever its case, the requester made) are one set,
        # on PostgreSQL once.
        pytest.param("postgres", "attached", marks=pytest.mark.postgres),
    ],
    indirect=["db_url"],
)
def test_an_agents_forward_makes_the_original_sender_the_requester(
    db: Database, admin: Actor, dovecot: ImapAccount, kind: str
) -> None:
    with db.write() as session:
        add_agent(session, admin, "bob", name="Bob Agent", email="Bob@acme.test")
    raw = (
        email(sender="Bob Agent <bob@acme.test>", subject="Fwd: VPN broken", body=_INLINE)
        if kind == "inline"
        else _attached("bob@acme.test")
    )
    dovecot.append("INBOX", raw)
    assert poller(db, server_settings(dovecot)).run_once() == 1

    [ticket] = tickets(db)
    with db.read() as session:
        requester = session.get(Contact, ticket.requester_id)
        assert requester is not None
        assert (requester.email, requester.name) == ("ann@example.org", "Ann Customer")
        assert session.exec(select(Contact).where(Contact.email == "bob@acme.test")).all() == []
    note = messages(db, ticket.number)[-1]
    assert note.kind == "system"
    assert note.body == (
        "Forwarded by bob (bob@acme.test); the requester is the original sender, ann@example.org."
    )
    assert outbox(db, "ack") == [], "ann wrote to bob, maybe days ago: no 'we received it'"


@on_sqlite_only(
    "tests/mail/test_agent_forward.py::"
    "test_an_agents_forward_makes_the_original_sender_the_requester"
)
def test_a_forward_from_someone_who_is_no_agent_keeps_its_sender(
    db: Database, dovecot: ImapAccount
) -> None:
    """A customer forwarding a colleague's mail is still the one who asks."""
    dovecot.append(
        "INBOX",
        email(sender="Carl Client <carl@example.net>", subject="Fwd: VPN broken", body=_INLINE),
    )
    assert poller(db, server_settings(dovecot)).run_once() == 1
    [ticket] = tickets(db)
    with db.read() as session:
        requester = session.get(Contact, ticket.requester_id)
        assert requester is not None and requester.email == "carl@example.net"
    assert all("Forwarded by" not in m.body for m in messages(db, ticket.number))


def test_an_agents_mail_that_is_no_forward_keeps_the_agent(
    db: Database, admin: Actor, dovecot: ImapAccount
) -> None:
    with db.write() as session:
        add_agent(session, admin, "bob", name="Bob Agent", email="bob@acme.test")
    dovecot.append(
        "INBOX",
        email(sender="Bob Agent <bob@acme.test>", subject="My laptop is slow", body=_INLINE),
    )
    assert poller(db, server_settings(dovecot)).run_once() == 1
    [ticket] = tickets(db)
    with db.read() as session:
        requester = session.get(Contact, ticket.requester_id)
        assert requester is not None and requester.email == "bob@acme.test"


def test_a_forward_is_acknowledged_when_the_desk_says_so(
    db: Database, admin: Actor, dovecot: ImapAccount
) -> None:
    with db.write() as session:
        add_agent(session, admin, "bob", name="Bob Agent", email="bob@acme.test")
    dovecot.append("INBOX", _attached("bob@acme.test"))
    assert poller(db, server_settings(dovecot, ack_forwards=True)).run_once() == 1
    assert [row.to_addresses for row in outbox(db, "ack")] == ["ann@example.org"]


def test_an_agents_forward_into_an_existing_ticket_says_who_forwarded_it(
    db: Database, admin: Actor, dovecot: ImapAccount
) -> None:
    """Ann wrote to bob directly about her ticket ("Re: VPN broken [#n]"); bob forwards it
    to the desk: it threads into ann's ticket as her message, and the ticket says bob
    forwarded it (it said nothing, as if ann had written to the desk)."""
    with db.write() as session:
        add_agent(session, admin, "bob", name="Bob Agent", email="bob@acme.test")
    dovecot.append("INBOX", email(subject="VPN broken", body="The VPN drops."))
    settings = server_settings(dovecot)
    assert poller(db, settings).run_once() == 1
    [ticket] = tickets(db)
    dovecot.append(
        "INBOX",
        email(
            sender="Bob Agent <bob@acme.test>",
            subject=f"Fwd: Re: VPN broken [#{ticket.number}]",
            body=_INLINE.replace(
                "Subject: VPN broken", f"Subject: Re: VPN broken [#{ticket.number}]"
            ),
        ),
    )
    assert poller(db, settings).run_once() == 1

    assert len(tickets(db)) == 1
    *_, forwarded, note = messages(db, ticket.number)
    assert (forwarded.kind, note.kind) == ("customer", "system")
    with db.read() as session:
        author = session.get(Contact, forwarded.author_contact_id)
        assert author is not None and author.email == "ann@example.org"
    assert note.body == (
        "Forwarded by bob (bob@acme.test); the message is the original sender's, ann@example.org."
    )


def test_an_agents_forward_from_a_known_customer_opens_a_ticket(
    db: Database, admin: Actor, dovecot: ImapAccount
) -> None:
    """The customer was a contact already: the forward was quarantined ("cannot be stored:
    UNIQUE constraint failed: contact.email"), the contact was made a second time."""
    with db.write() as session:
        add_agent(session, admin, "bob", name="Bob Agent", email="bob@acme.test")
    dovecot.append("INBOX", email(subject="Printer jammed", body="Paper stuck."))
    settings = server_settings(dovecot)
    assert poller(db, settings).run_once() == 1
    dovecot.append("INBOX", _attached("bob@acme.test"))
    assert poller(db, settings).run_once() == 1

    first, forwarded = tickets(db)
    assert forwarded.subject == "WG: VPN broken"
    assert forwarded.requester_id == first.requester_id
