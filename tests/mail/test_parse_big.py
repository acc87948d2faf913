"""Big messages: parsed without their base64 text, stored a chunk at a time, read the same.

Every test here compares the big-message path (``parse_message(..., big_over=0,
run_bytes=1)`` forces it on any message) with the ordinary one; ``test_parse.py`` does the
same for each message it parses, through its ``parsed`` helper.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from sqlmodel import select

from helpdesk_tui.desk.blobs import Chunked, as_bytes
from helpdesk_tui.mail.ingest import content_hash, ingest, read_message
from helpdesk_tui.mail.parse import BIG_MESSAGE_BYTES, parse_message
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Attachment, RawMessage

from .big_path import both_ways, materialized
from .mailbuild import config_for, mail_settings, tickets
from .test_corpus_ingest import corpus

LIMIT = 64 * 1024 * 1024


def with_attachment(
    payload: bytes,
    *,
    encoded: bytes | None = None,
    content_type: str = "application/pdf",
    wrap: bool = False,
) -> bytes:
    """A text part and one base64 attachment (its text given, or encoded from ``payload``);
    ``wrap`` puts the attachment inside an attached message."""
    text = encoded if encoded is not None else base64.encodebytes(payload)
    text = text.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    part = (
        f"Content-Type: {content_type}\r\n"
        'Content-Disposition: attachment; filename="scan.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + text
    if wrap:
        part = (
            b"Content-Type: message/rfc822\r\n\r\n"
            b"From: inner@example.org\r\nSubject: The scan\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="inner"\r\n\r\n'
            b"--inner\r\n" + part + b"--inner--\r\n"
        )
    return (
        b"From: Ann <ann@example.org>\r\nTo: support@desk.example\r\n"
        b"Subject: The scan\r\nMessage-ID: <scan@example.org>\r\n"
        b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        b"--outer\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe scan is attached.\r\n"
        b"--outer\r\n" + part + b"--outer--\r\n"
    )


def test_every_corpus_message_reads_the_same_through_the_big_path(mail_corpus: Path) -> None:
    streamed = 0
    for path in corpus(mail_corpus):
        raw = path.read_bytes()
        both_ways(raw, max_attachment_bytes=LIMIT)
        try:
            big = parse_message(raw, max_attachment_bytes=LIMIT, big_over=0, run_bytes=1)
        except Exception:
            continue
        streamed += sum(isinstance(a.content, Chunked) for a in big.attachments)
    assert streamed >= 10, "the corpus has base64 attachments the big path streams"


def test_a_big_message_streams_its_attachment_from_the_raw_bytes() -> None:
    payload = os.urandom(BIG_MESSAGE_BYTES)
    raw = bytearray(with_attachment(payload))

    parsed = parse_message(raw, max_attachment_bytes=LIMIT)

    [attachment] = parsed.attachments
    assert isinstance(attachment.content, Chunked)
    assert attachment.size == attachment.content.size == len(payload)
    assert as_bytes(attachment.content) == payload
    assert all(len(chunk) <= 1 << 20 for chunk in attachment.content.chunks())
    ordinary = parse_message(bytes(raw), max_attachment_bytes=LIMIT, big_over=len(raw))
    assert materialized(parsed) == ordinary
    config = config_for(mail_settings(max_attachment_bytes=LIMIT))
    assert read_message(raw, None, config).content_hash == content_hash(ordinary)


@pytest.mark.parametrize(
    ("case", "encoded"),
    [
        ("padding in the middle", b"QUJD\r\nRA==\r\n" + base64.encodebytes(b"x" * 3000)),
        ("padding missing", base64.encodebytes(b"x" * 3000).rstrip(b"=\n") + b"\n"),
        ("one character too many", base64.encodebytes(b"x" * 3000) + b"Q\n"),
        ("junk between the lines", b"QUJD\n*** \nRA==\n"),
        ("not ASCII", b"QUJD\n\xe9\xe9\nRA==\n" + base64.encodebytes(b"y" * 3000)),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_broken_base64_reads_as_the_library_repairs_it(case: str, encoded: bytes) -> None:
    both_ways(with_attachment(b"", encoded=encoded), max_attachment_bytes=LIMIT)


@pytest.mark.parametrize(
    ("content_type", "wrap"),
    [("text/plain", False), ("text/html", False), ("application/pdf", True)],
)
def test_text_and_attached_messages_get_their_text_back(content_type: str, wrap: bool) -> None:
    raw = with_attachment(b"Hello\n" * 2000, content_type=content_type, wrap=wrap)
    parsed = both_ways(raw, max_attachment_bytes=LIMIT)
    assert not isinstance(parsed, str)
    assert all(not isinstance(a.content, Chunked) for a in parsed.attachments)


def test_an_attachment_over_the_limit_is_skipped_with_its_size() -> None:
    payload = os.urandom(100_000)
    parsed = both_ways(with_attachment(payload), max_attachment_bytes=50_000)
    assert not isinstance(parsed, str)
    assert [(s.filename, s.size) for s in parsed.skipped_attachments] == [
        ("scan.pdf", len(payload))
    ]


@pytest.mark.usefixtures("admin")
def test_a_big_message_is_stored_whole(db: Database) -> None:
    payload = os.urandom(BIG_MESSAGE_BYTES)
    raw = bytearray(with_attachment(payload))
    config = config_for(mail_settings(max_attachment_bytes=LIMIT))

    with db.write() as session:
        ingest(session, raw, config)

    [ticket] = tickets(db)
    with db.read() as session:
        assert session.exec(select(RawMessage.content)).all() == [bytes(raw)]
        [stored] = session.exec(select(Attachment)).all()
        assert (stored.filename, stored.size, stored.content) == (
            "scan.pdf",
            len(payload),
            payload,
        )
    assert ticket.subject == "The scan"
