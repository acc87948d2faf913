"""A message read again as a server re-encoded it (line ends, headers folded elsewhere) is
the one taken before: one quarantine entry for a message that cannot be parsed, one ticket
for a message without a Message-ID."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import select

from helpdesk_tui.desk.intake import ingest_batch
from helpdesk_tui.mail.ingest import read_message
from helpdesk_tui.mail.parse import header_message_id
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import Outcome, ProcessedMail, QuarantinedMail

from .mailbuild import config_for, email, mail_settings, new_id, server_settings, tickets
from .servers import ImapAccount
from .test_corpus_ingest import _as_if_hashed_by_an_older_version, _reencoded
from .test_ingest_quarantine import nested_too_deep
from .test_poller import poller

pytestmark = pytest.mark.usefixtures("admin")


def _unparseable(message_id: str, body: str = "core") -> bytes:
    """Nested too deep to parse, with a Message-ID and a subject long enough to fold."""
    raw = nested_too_deep(levels=45).replace(b"core", body.encode())
    return raw.replace(
        b"Subject: Russian dolls\r\n",
        b"Subject: Russian dolls, one inside the other, all the way down to the last\r\n"
        + f"Message-ID: {message_id}\r\n".encode(),
    )


def _entries(db: Database) -> list[QuarantinedMail]:
    with db.read() as session:
        return list(session.exec(select(QuarantinedMail)))


def test_a_quarantined_message_re_encoded_by_the_server_is_not_quarantined_again(
    db: Database, dovecot: ImapAccount
) -> None:
    """The server re-encoded its mailbox (headers folded elsewhere, other line ends) and the
    desk read the folder again: the message it could not parse was quarantined a second
    time, as parse failure was checked before the copy was looked for. Another unparseable
    message under the same Message-ID, with another body, is still its own."""
    settings = server_settings(dovecot)
    message_id = new_id()
    raw = _unparseable(message_id)
    dovecot.append("INBOX", raw)
    assert poller(db, settings).run_once() == 1
    [first] = _entries(db)
    assert "nested" in first.reason

    dovecot.append("INBOX", _reencoded(raw))
    assert poller(db, settings).run_once() == 1
    assert [e.id for e in _entries(db)] == [first.id], "one entry for one message"
    with db.read() as session:
        outcomes = [row.outcome for row in session.exec(select(ProcessedMail))]
    assert outcomes == [Outcome.QUARANTINE]

    dovecot.append("INBOX", _reencoded(_unparseable(message_id, body="another core")))
    assert poller(db, settings).run_once() == 1
    assert len(_entries(db)) == 2, "other content under the same Message-ID is kept"


def test_a_message_read_before_and_unparseable_after_an_upgrade_is_a_duplicate(
    db: Database,
) -> None:
    """Read by an older version that could parse it (a ticket), re-encoded by the server,
    refused by this version's parser: it is that ticket's message, not a quarantine entry."""
    config = config_for(mail_settings())
    raw = email(
        message_id=new_id(),
        subject="The printer on the third floor is on fire again, as it was last week",
    )
    with db.write() as session:
        [first] = ingest_batch(session, [read_message(raw, None, config)], config.desk)
    assert first.outcome is Outcome.TICKET

    again = _reencoded(raw)
    item = read_message(again, None, config)
    refused = dataclasses.replace(
        item, content_hash=item.sha, failure="cannot be parsed: a stricter parser"
    )
    with db.write() as session:
        [result] = ingest_batch(session, [refused], config.desk)
    assert (result.outcome, result.ticket_number, result.duplicate) == (
        Outcome.TICKET,
        first.ticket_number,
        True,
    )
    assert _entries(db) == [] and len(tickets(db)) == 1


def test_the_message_id_of_an_unparseable_message_is_read_from_its_header() -> None:
    raw = _unparseable("<a.b@example.org>")
    assert header_message_id(raw) == "<a.b@example.org>"
    assert header_message_id(_reencoded(raw)) == "<a.b@example.org>"
    assert header_message_id(b"Subject: x\r\n Message-ID: <no@example.org>\r\n\r\n") is None
    assert header_message_id(b"Hi folks\n\nMessage-ID: <body@example.org>\n") is None
    assert header_message_id(b"Message-ID:\r\n <folded@example.org>\r\n\r\n") == (
        "<folded@example.org>"
    )
    assert header_message_id(b"\xff\xfe\x00Message-ID: <x@y>\r\n\r\n") is None
    assert header_message_id(b"X: " + b"a" * 1_000_000) is None
    assert header_message_id(bytearray(b"message-id: <lower@example.org>\n\n")) == (
        "<lower@example.org>"
    )


def test_a_message_without_a_message_id_re_encoded_after_an_upgrade_is_not_a_second_ticket(
    db: Database, dovecot: ImapAccount
) -> None:
    """A web form's mail has no Message-ID; the server re-encoded the mailbox, and the
    desk, upgraded meanwhile (another content hash), read the folder again: nothing found
    it, and the customer's request became a second ticket."""
    settings = server_settings(dovecot)
    raw = email(
        message_id=None,
        sender="Web Form <noreply@forms.example.org>",
        subject="Contact form: the printer on the third floor is on fire again",
        headers=["Reply-To: Ann Customer <ann@example.org>"],
    )
    dovecot.append("INBOX", raw)
    assert poller(db, settings).run_once() == 1
    [ticket] = tickets(db)
    _as_if_hashed_by_an_older_version(db)

    dovecot.append("INBOX", _reencoded(raw))
    assert poller(db, settings).run_once() == 1
    assert [t.number for t in tickets(db)] == [ticket.number]
    with db.read() as session:
        assert len(session.exec(select(ProcessedMail)).all()) == 1
