"""A message read again as a server re-encoded it is found by comparing its bytes with the
earlier messages' under its Message-ID, as any server keeps them: a piece at a time, so a
big message costs a piece of memory, not several copies of itself, and another message
under the same Message-ID is told apart at its first difference. The decision is the one
the whole-message normaliser gives, on the corpus and on what hostile mail writes."""

from __future__ import annotations

import base64
import hashlib
import importlib
import random
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, text

from helpdesk_tui.desk import intake_rows
from helpdesk_tui.desk.intake_rows import Lookups, stored_pieces
from helpdesk_tui.desk.mailstate import (
    key_hash,
    same_when_normalized,
    transport_normalized,
    transport_normalized_pieces,
)
from helpdesk_tui.storage.database import Database

from .conftest import MAIL_CORPUS
from .test_corpus_ingest import _reencoded

# The whole-message normaliser as 0031 froze it: the pieces must give exactly its bytes.
WHOLE = importlib.import_module(
    "helpdesk_tui.storage.migrations.versions.0031_processed_normal_hash"
)
MESSAGE_ID = "<big.1@example.org>"
BIG = 16 * 1024 * 1024


def _whole(raw: bytes) -> bytes:
    text = WHOLE._LINE_ENDS.sub(b"\n", raw)
    end = WHOLE._HEADER_END.search(text)
    head, body = (text[: end.start()], text[end.end() :]) if end else (text, b"")
    head = WHOLE._BLANKS.sub(b" ", WHOLE._FOLD.sub(b"", head))
    head = b"\n".join(line.rstrip(b" ") for line in head.split(b"\n"))
    return head + b"\n\n" + body.rstrip(b"\n") + b"\n"


def _split(raw: bytes, rng: random.Random) -> Iterator[bytes]:
    start = 0
    while start < len(raw):
        size = rng.choice((1, 1, 2, 3, 7, 64, 4096))
        yield raw[start : start + size]
        start += size


def _hostile(rng: random.Random) -> bytes:
    parts = (b"a", b"X:", b" ", b"\t", b"\r", b"\n", b"\r\n", b"  ", b"\n\n", b"\r\r")
    return b"".join(rng.choice(parts) for _ in range(rng.randint(0, 16)))


def test_the_pieces_give_the_whole_normaliser_bytes() -> None:
    """Cut anywhere (inside a CRLF, a fold, a run of blanks, the blank line, the body's
    last line ends), the pieces make the same bytes, and compare as those bytes do."""
    rng = random.Random(28)
    raws = [p.read_bytes() for p in sorted(MAIL_CORPUS.rglob("*")) if p.is_file()]
    raws += [_reencoded(raw) for raw in raws]
    raws += [_hostile(rng) for _ in range(20_000)]
    for raw in raws:
        expected = _whole(raw)
        assert transport_normalized(raw) == expected
        assert b"".join(transport_normalized_pieces(_split(raw, rng))) == expected
        assert WHOLE.normal_hash(raw) == hashlib.sha256(expected).hexdigest()
    for _ in range(20_000):
        one, other = _hostile(rng), _hostile(rng)
        same = same_when_normalized(_split(one, rng), _split(other, rng))
        assert same == (_whole(one) == _whole(other)), (one, other)


def _big(body: bytes = b"Here it is.") -> bytes:
    payload = base64.encodebytes(random.Random(1).randbytes(BIG * 3 // 4))
    return (
        b"From: Ann Customer <ann@example.org>\r\nTo: support@desk.test\r\n"
        b"Subject: the logs, with a subject long enough for a server to fold it elsewhere\r\n"
        b"Message-ID: " + MESSAGE_ID.encode() + b"\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n"
        b"\r\n" + body + b"\r\n--b\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + payload.replace(b"\n", b"\r\n")
        + b"--b--\r\n"
    )


def test_a_big_copy_is_compared_a_piece_at_a_time(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 16 MB message came before under this Message-ID (stored, another content hash):
    its re-encoded copy is found, another message under the same Message-ID is not,
    and neither comparison holds as much memory as the message itself (the stored bytes
    were read whole and both normalised whole: about four times its size). The other
    message differs in its first lines: only the stored message's first piece is read."""
    read: list[int] = []

    def counted(conn: Connection, raw_id: int) -> Iterator[bytes]:
        for piece in stored_pieces(conn, raw_id):
            read.append(len(piece))
            yield piece

    monkeypatch.setattr(intake_rows, "stored_pieces", counted)
    stored = _big()
    with db.write() as session:
        conn = session.connection()
        conn.execute(
            text(
                "INSERT INTO raw_message (id, sha256, received_at, content)"
                " VALUES (1, :sha, :when, :content)"
            ),
            {"sha": "1" * 64, "when": datetime.now(UTC), "content": stored},
        )
        conn.execute(
            text(
                "INSERT INTO mail_processed (key_hash, dedupe_key, message_key, content_hash,"
                " outcome, raw_message_id, created_at)"
                " VALUES ('k', 'd', :key, 'c', 'ticket', 1, :when)"
            ),
            {"key": key_hash(MESSAGE_ID), "when": datetime.now(UTC)},
        )
        assert b"".join(stored_pieces(conn, 1)) == stored
        assert list(stored_pieces(conn, 2)) == []
    copy, other = _reencoded(stored), _reencoded(_big(body=b"Here it is!"))
    del stored
    with db.read() as session:
        lookups = Lookups(session, datetime.now(UTC))
        for raw, found in ((copy, True), (other, False)):
            read.clear()
            tracemalloc.start()
            seen = lookups.transport_copy(MESSAGE_ID, raw)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            assert (seen is not None) is found
            assert peak < BIG, f"{peak >> 20} MiB held to compare a {BIG >> 20} MiB message"
        assert len(read) == 1, "read up to the first difference only"
