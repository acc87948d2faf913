"""Mail over the size limits is stored cut, with a note; the raw message keeps it all.

Names and subjects lose invisible characters at the parse boundary (issue 8, items 7, 8).
"""

from __future__ import annotations

import pytest

from helpdesk_tui.mail.ingest import ingest
from helpdesk_tui.mail.parse import parse_message
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import RawMessage

from .mailbuild import config_for, email, mail_settings, messages, tickets


def test_a_body_over_the_limit_is_cut_with_a_note_at_its_top() -> None:
    body = "é" * 3000  # 6,000 bytes
    parsed = parse_message(email(body=body), max_attachment_bytes=10, max_body_bytes=2048)
    note, _, kept = parsed.body_text.partition("\n\n")
    assert note.startswith("[This message was cut to the first 2.0 KB of its 5.9 KB")
    assert "raw message keeps it all" in note
    assert kept == "é" * 1024


def test_a_body_within_the_limit_is_unchanged() -> None:
    parsed = parse_message(email(body="x" * 2047), max_attachment_bytes=10, max_body_bytes=2048)
    assert parsed.body_text == "x" * 2047 + "\n"


def test_invisible_characters_leave_subject_and_sender_name() -> None:
    raw = email(
        sender="=?utf-8?q?A=E2=80=8Bnn_=E2=80=AEX?= <ann@example.org>",
        subject="=?utf-8?q?Invoice_=E2=80=8Bpaid=EF=BB=BF?=",
    )
    parsed = parse_message(raw, max_attachment_bytes=10)
    assert parsed.subject == "Invoice paid"
    assert parsed.from_name == "Ann X"


@pytest.mark.usefixtures("admin")
def test_mail_over_the_limit_is_stored_cut_and_its_raw_source_whole(db: Database) -> None:
    config = config_for(mail_settings(max_body_bytes=4096))
    raw = email(body="\n".join(f"log line {i:06}" for i in range(2000)))
    with db.write() as session:
        ingest(session, raw, config)
    [ticket] = tickets(db)
    [message] = messages(db, ticket.number)
    assert message.body.startswith("[This message was cut to the first 4.0 KB")
    assert len(message.body.encode()) < 4096 + 200
    with db.read() as session:
        kept = session.get(RawMessage, message.raw_message_id)
    assert kept is not None and kept.content == raw
