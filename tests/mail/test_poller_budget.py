"""Poller batches are bounded by bytes as well as by count (real Dovecot)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlmodel import select

from helpdesk_tui.mail import poller as poller_module
from helpdesk_tui.mail.ingest import Source, read_message
from helpdesk_tui.mail.poller import MailboxPoller, _Fetched, _Readers, _WorkerSlot
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import RawMessage

from .mailbuild import config_for, email, mail_settings, on_sqlite_only, server_settings, tickets
from .servers import ImapAccount
from .test_poller import append_all, poller

MIB = 1024 * 1024
ON_SQLITE_ONLY = on_sqlite_only(
    "tests/mail/test_poller.py::test_poll_imports_then_marks_seen_and_moves (a poll's "
    "batches written), tests/mail/test_parse_big.py::test_a_big_message_is_stored_whole "
    "(4 MiB of raw message and attachment stored and read back byte for byte)"
)
"""What these check is the poller's batching and fetching from IMAP; what the desk writes
of a batch goes through the same intake writer on either engine."""


class _Recording(MailboxPoller):
    """The real poller, noting each batch it fetches: (UIDs, bytes) or "later"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batches: list[tuple[list[int], int] | str] = []

    def _fetch(
        self, client: object, after_uid: int, uidvalidity: int, budget: int
    ) -> _Fetched | None:
        fetched = super()._fetch(client, after_uid, uidvalidity, budget)  # type: ignore[arg-type]
        if fetched is not None:
            self.batches.append((list(fetched.uids), fetched.size) if fetched.uids else "later")
        return fetched


@pytest.fixture
def small_big_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """A big message is one over 256 KiB here, fetched 64 KiB at a time (the poller's 4 MiB
    and 1 MiB, a sixteenth): the same fetching, batching and writing, with a sixteenth of
    the bytes through IMAP, the parser and the desk (some 15 MB of them were ≈ 1.5 s of a
    worker's CPU and Dovecot's). The parser's own big path keeps its 4 MiB: what it does
    with a big message is tests/mail/test_parse_big.py's."""
    monkeypatch.setattr(poller_module, "_BIG_BYTES", poller_module._BIG_BYTES // 16)
    monkeypatch.setattr(poller_module, "_FETCH_PART_BYTES", poller_module._FETCH_PART_BYTES // 16)


def sized(subject: str, size: int) -> bytes:
    """A message of about ``size`` bytes (a body of short lines)."""
    line = "x" * 76
    return email(subject=subject, body="\n".join([line] * (size // 78)))


def uids_of(batches: Sequence[tuple[list[int], int] | str]) -> list[list[int] | str]:
    return [b if isinstance(b, str) else b[0] for b in batches]


@ON_SQLITE_ONLY
def test_batches_stop_at_the_byte_budget_and_a_big_message_comes_alone(
    db: Database, dovecot: ImapAccount
) -> None:
    sizes = [400_000, 400_000, 1_500_000, 100_000, 100_000]
    append_all(dovecot, [sized(f"Message {n}", size) for n, size in enumerate(sizes)])
    recording = poller(db, server_settings(dovecot, batch_bytes=MIB), _Recording)

    assert recording.run_once() == 5

    assert uids_of(recording.batches) == [
        [1, 2],  # the third would pass 1 MiB
        "later",  # read ahead: the 1.5 MB message does not fit beside the first two
        [3],  # alone, over the budget by itself
        "later",  # nothing fits beside it
        [4, 5],
    ]
    first, _, alone, _, last = recording.batches
    assert isinstance(first, tuple) and isinstance(alone, tuple) and isinstance(last, tuple)
    assert first[1] <= MIB < alone[1] and last[1] <= MIB
    assert [t.subject for t in tickets(db)] == [f"Message {n}" for n in range(5)]
    assert dovecot.list_uids("INBOX") == []


@ON_SQLITE_ONLY
def test_small_messages_are_batched_by_count_and_read_ahead(
    db: Database, dovecot: ImapAccount
) -> None:
    append_all(dovecot, [email(subject=f"Small {n}") for n in range(5)])
    recording = poller(db, server_settings(dovecot, batch_size=2, batch_bytes=MIB), _Recording)

    assert recording.run_once() == 5

    assert uids_of(recording.batches) == [[1, 2], [3, 4], [5]], "each read while one commits"
    assert [t.subject for t in tickets(db)] == [f"Small {n}" for n in range(5)]


@ON_SQLITE_ONLY
def test_big_messages_are_fetched_in_parts_byte_for_byte(
    db: Database, dovecot: ImapAccount, small_big_messages: None
) -> None:
    part = poller_module._FETCH_PART_BYTES
    parts = poller_module._BIG_BYTES // part + 1
    exact = sized("Parts exactly", parts * part - 200)
    exact = exact[:-2] + b"y" * (parts * part - len(exact)) + b"\r\n"  # the last comes back empty
    raws = [sized("Small", 10_000), sized("Nine and a half parts", 9 * part + part // 2), exact]
    assert len(exact) == parts * part > poller_module._BIG_BYTES
    append_all(dovecot, raws)
    recording = poller(db, server_settings(dovecot, batch_bytes=64 * MIB), _Recording)

    assert recording.run_once() == 3

    with db.read() as session:
        stored = session.exec(select(RawMessage.content).order_by(RawMessage.id)).all()
    assert stored == raws


def test_a_batch_read_by_the_reader_thread_reads_as_here() -> None:
    config = config_for(mail_settings())
    raws: list[tuple[bytes | bytearray, Source]] = [
        (email(subject=f"Message {n}", body=f"Line {n}\n" * n), Source("support", 7, n))
        for n in range(12)
    ]
    fetched = _Fetched(uids=list(range(12)), backlog=3, raws=list(raws), size=10_000)
    with _Readers("support", config, _WorkerSlot("support", config)) as readers:
        reading = readers.late(fetched)
        assert reading is not None
        assert fetched.raws == [], "the reading took the raw messages over"
        assert reading.result() == [read_message(raw, source, config) for raw, source in raws]


@ON_SQLITE_ONLY
def test_small_messages_adding_up_to_more_than_a_big_one_all_come_in(
    db: Database, dovecot: ImapAccount, small_big_messages: None
) -> None:
    size = poller_module._BIG_BYTES // 4
    append_all(dovecot, [sized(f"Quarter {n}", size) for n in range(6)])
    recording = poller(db, server_settings(dovecot, batch_bytes=64 * MIB), _Recording)

    assert recording.run_once() == 6

    assert uids_of(recording.batches) == [[1, 2, 3, 4, 5, 6]]
    assert [t.subject for t in tickets(db)] == [f"Quarter {n}" for n in range(6)]
    assert dovecot.list_uids("INBOX") == []


@ON_SQLITE_ONLY
def test_mail_arriving_during_a_poll_comes_in_with_it(db: Database, dovecot: ImapAccount) -> None:
    append_all(dovecot, [email(subject=f"Early {n}") for n in range(3)])

    class MailArrives(_Recording):
        def _fetch(
            self, client: object, after_uid: int, uidvalidity: int, budget: int
        ) -> _Fetched | None:
            if len(self.batches) == 1:  # the first batch's sizes (with the others') are known
                append_all(dovecot, [email(subject=f"Late {n}") for n in range(2)])
            return super()._fetch(client, after_uid, uidvalidity, budget)

    recording = poller(db, server_settings(dovecot, batch_size=2, batch_bytes=MIB), MailArrives)

    assert recording.run_once() == 5, "searched again once the UIDs it knew were fetched"

    assert uids_of(recording.batches) == [[1, 2], [3], [4, 5]]
    assert dovecot.list_uids("INBOX") == []
