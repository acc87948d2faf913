"""What the poller has imported, per mailbox folder, and which messages were already seen.

``last_uid`` only moves in the transaction that stores the messages up to it, so "UID ≤
last_uid" always means "the database has it". The processed table is the second line of
defence: a message read again (UIDVALIDITY changed, a crash before the IMAP move, a copy in
two folders) finds its dedupe key and changes nothing.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from helpdesk_tui.desk.blobs import chunks_of
from helpdesk_tui.storage.driver_rows import insert_rows
from helpdesk_tui.storage.mail_models import MailFolderState, Outcome, ProcessedMail
from helpdesk_tui.storage.models import utcnow

_PROCESSED = ProcessedMail.__table__  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=4096)
def key_hash(dedupe_key: str) -> str:
    """The stored form of a dedupe key (or Message-ID); remembered, as a batch asks for
    each message's several times."""
    return hashlib.sha256(dedupe_key.encode("utf-8", "surrogatepass")).hexdigest()


_LINE_ENDS = re.compile(rb"\r\n|\r")
_FOLD = re.compile(rb"\n(?=[ \t])")
_BLANKS = re.compile(rb"[ \t]+")
_WHITE = b" \t\n"
_NEWLINES = b"\n" * (1 << 16)


def _header_lines(head: bytes) -> bytes:
    """Header text unfolded, each run of blanks one space, no blanks at a line's end."""
    head = _BLANKS.sub(b" ", _FOLD.sub(b"", head))
    return b"\n".join(line.rstrip(b" ") for line in head.split(b"\n"))


def _white_tail(tail: bytes) -> bytes:
    """A header's trailing blanks and line ends (no blank line among them) as they count
    whatever follows: unfolded and one space, but for a last line end (what follows
    decides whether it is a fold, a field's end or the header's)."""
    last = tail[-1:] == b"\n"
    return _BLANKS.sub(b" ", _FOLD.sub(b"", tail[:-1] if last else tail)) + (b"\n" if last else b"")


class _Normalizer:
    """:func:`transport_normalized`, a piece at a time: fed pieces of a message's bytes in
    order, it gives pieces of the same result, holding at most a piece and a few bytes (a
    ``\\r`` that may start a ``\\r\\n``, the header's trailing white space, the body's
    trailing line ends as a count)."""

    def __init__(self) -> None:
        self._cr = False
        self._in_head = True
        self._head = b""
        """Header text not given out yet: the white space after its last other byte."""
        self._newlines = 0
        """Line ends at the body's end so far: given out when anything follows them."""

    def feed(self, data: bytes | bytearray | memoryview) -> Iterator[bytes]:
        piece = bytes(data)
        if self._cr:
            piece = b"\r" + piece
        self._cr = piece.endswith(b"\r")
        if self._cr:
            piece = piece[:-1]
        return self._text(_LINE_ENDS.sub(b"\n", piece))

    def end(self) -> Iterator[bytes]:
        if self._cr:
            self._cr = False
            yield from self._text(b"\n")
        if self._in_head:  # no blank line: all of it is the header, and the body empty
            yield _header_lines(self._head) + b"\n\n\n"
        else:
            yield b"\n"

    def _text(self, text: bytes) -> Iterator[bytes]:
        if self._in_head:
            pending = self._head + text
            end = pending.find(b"\n\n")
            if end < 0:
                stable = len(pending.rstrip(_WHITE))
                if stable:
                    yield _header_lines(pending[:stable])
                self._head = _white_tail(pending[stable:])
                return
            yield _header_lines(pending[:end]) + b"\n\n"
            self._in_head, self._head = False, b""
            text = pending[end + 2 :]
        body = text.rstrip(b"\n")
        if not body:
            self._newlines += len(text)
            return
        while self._newlines:
            count = min(self._newlines, len(_NEWLINES))
            yield _NEWLINES[:count]
            self._newlines -= count
        yield body
        self._newlines = len(text) - len(body)


def transport_normalized_pieces(
    pieces: Iterable[bytes | bytearray | memoryview],
) -> Iterator[bytes]:
    """:func:`transport_normalized` of the message whose bytes are these pieces, in
    pieces: memory bounded by a piece, whatever the message's size."""
    normalizer = _Normalizer()
    for piece in pieces:
        for out in normalizer.feed(piece):
            if out:
                yield out
    for out in normalizer.end():
        if out:
            yield out


def transport_normalized(raw: bytes | bytearray) -> bytes:
    """A message's bytes as any mail server keeps them apart from how it writes them: line
    ends as ``\\n``, the header block unfolded with each run of blanks one space and no
    blanks at a field's end, and no blank lines after the body's last. What a server that
    re-encodes a stored message changes (CRLF or LF, folding long headers at another
    place, a final newline) goes; every character of every header value and of the body
    stays, so two messages that differ in anything a person wrote or reads stay apart
    (the body keeps its blanks: ``format=flowed`` means something by them). Made a piece
    at a time (:func:`transport_normalized_pieces`); compare two messages so with
    :func:`same_when_normalized`, hash one with :func:`normal_hash`."""
    return b"".join(transport_normalized_pieces(chunks_of(raw)))


def same_when_normalized(
    one: Iterable[bytes | bytearray | memoryview], other: Iterable[bytes | bytearray | memoryview]
) -> bool:
    """Whether two messages, given as pieces of their bytes, are the same message but for
    how a server wrote them (equal :func:`transport_normalized` bytes), read a piece at a
    time and only as far as the first difference."""
    first, second = transport_normalized_pieces(one), transport_normalized_pieces(other)
    a = b = b""
    while True:
        if not a:
            a = next(first, b"")
        if not b:
            b = next(second, b"")
        if not a or not b:
            return not a and not b
        size = min(len(a), len(b))
        if a[:size] != b[:size]:
            return False
        a, b = a[size:], b[size:]


def normal_hash(raw: bytes | bytearray) -> str:
    """sha256 of :func:`transport_normalized` bytes: the same for a message however a
    server wrote it. Kept for messages without a Message-ID (nothing else finds them again
    once an upgrade changed their content hash)."""
    digest = hashlib.sha256()
    for piece in transport_normalized_pieces(chunks_of(raw)):
        digest.update(piece)
    return digest.hexdigest()


def folder_state(session: Session, mailbox: str, folder: str) -> MailFolderState:
    """The folder's state row, created at UID 0 on first use."""
    state = session.get(MailFolderState, (mailbox, folder))
    if state is None:
        state = MailFolderState(mailbox=mailbox, folder=folder)
        session.add(state)
        session.flush()
    return state


def check_uidvalidity(session: Session, mailbox: str, folder: str, uidvalidity: int) -> int:
    """The last imported UID, from 0 again when the server renumbered the folder."""
    state = folder_state(session, mailbox, folder)
    if state.uidvalidity != uidvalidity:
        state.uidvalidity = uidvalidity
        state.last_uid = 0
    return state.last_uid


def advance(session: Session, mailbox: str, folder: str, uid: int) -> None:
    state = folder_state(session, mailbox, folder)
    state.last_uid = max(state.last_uid, uid)


def record_poll(
    session: Session,
    mailbox: str,
    folder: str,
    *,
    backlog: int | None = None,
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    """A finished poll (clears the last error) or a failed one (keeps the last good time)."""
    now = now or utcnow()
    state = folder_state(session, mailbox, folder)
    if error is None:
        state.last_poll_at = now
        state.last_error = None
        state.last_error_at = None
        if backlog is not None:
            state.backlog = backlog
    else:
        state.last_error = error[:2000]
        state.last_error_at = now


def mark_processed(
    session: Session,
    dedupe_key: str,
    outcome: Outcome,
    *,
    seen_before: bool,
    ticket_id: int | None = None,
    message_id: int | None = None,
    raw_message_id: int | None = None,
    mailbox: str | None = None,
    uidvalidity: int | None = None,
    uid: int | None = None,
) -> None:
    """Record what became of a message, or update the record on a retry or release.

    ``seen_before`` says whether the caller found a record (it always looks first), so the
    common case is one INSERT. Core statements: this runs once per incoming message.
    """
    if seen_before:
        values: dict[str, object] = {
            "outcome": str(outcome),
            "ticket_id": ticket_id,
            "message_id": message_id,
        }
        if raw_message_id is not None:
            values["raw_message_id"] = raw_message_id
        if mailbox is not None:
            values.update(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid)
        digest = key_hash(dedupe_key)
        session.execute(update(_PROCESSED).where(_PROCESSED.c.key_hash == digest).values(values))
    else:
        insert_processed(
            session,
            [
                processed_row(
                    dedupe_key,
                    outcome,
                    ticket_id=ticket_id,
                    message_id=message_id,
                    raw_message_id=raw_message_id,
                    mailbox=mailbox,
                    uidvalidity=uidvalidity,
                    uid=uid,
                )
            ],
        )


def processed_row(
    dedupe_key: str,
    outcome: Outcome,
    *,
    ticket_id: int | None = None,
    message_id: int | None = None,
    raw_message_id: int | None = None,
    mailbox: str | None = None,
    uidvalidity: int | None = None,
    uid: int | None = None,
) -> dict[str, object]:
    """The processed row of a message seen for the first time, for :func:`insert_processed`."""
    return {
        "key_hash": key_hash(dedupe_key),
        "dedupe_key": dedupe_key,
        "outcome": str(outcome),
        "ticket_id": ticket_id,
        "message_id": message_id,
        "raw_message_id": raw_message_id,
        "mailbox": mailbox,
        "uidvalidity": uidvalidity,
        "uid": uid,
        "created_at": utcnow(),
    }


def insert_processed(session: Session, rows: Sequence[dict[str, object]]) -> None:
    """First-time processed rows, in one statement."""
    insert_rows(session.connection(), _PROCESSED, rows)


def outcomes_by_uid(
    session: Session, mailbox: str, uidvalidity: int, uids: Sequence[int]
) -> dict[int, str]:
    """For messages the database has but the server still shows: what became of each."""
    if not uids:
        return {}
    rows = session.exec(
        select(ProcessedMail.uid, ProcessedMail.outcome).where(
            ProcessedMail.mailbox == mailbox,
            ProcessedMail.uidvalidity == uidvalidity,
            col(ProcessedMail.uid).in_(list(uids)),
        )
    ).all()
    return {int(uid): outcome for uid, outcome in rows if uid is not None}
