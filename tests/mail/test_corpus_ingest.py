"""The shared real-world corpus, every message accounted for.

Read in place from ../shared/mail-corpus/ (never copied into this repository); missing, it
fails under CI and skips elsewhere. Each message must end as exactly one of: a ticket, a
follow-up, machine mail (on a ticket or held apart, or our own mail), spam, quarantine — or
a duplicate of one that did, byte for byte or with the same content.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from helpdesk_tui.desk import machine, quarantine, spam
from helpdesk_tui.desk.mailstate import key_hash
from helpdesk_tui.mail.ingest import IngestConfig, ingest, read_message
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import Outcome, ProcessedMail
from helpdesk_tui.storage.models import Contact, Message, RawMessage, Ticket
from tests.conftest import need

from .mailbuild import config_for, mail_settings, on_sqlite_only, server_settings, sqlite_database
from .servers import ImapAccount
from .test_poller import append_all, poller

FOLDERS = ("mail-parser", "email-reply-parser")
CATEGORY = {
    Outcome.TICKET: "ticket",
    Outcome.FOLLOW_UP: "follow-up",
    Outcome.BOUNCE: "machine mail",
    Outcome.MACHINE_NOTE: "machine mail",
    Outcome.MACHINE: "machine mail",
    Outcome.OWN: "machine mail",
    Outcome.SPAM: "spam",
    Outcome.QUARANTINE: "quarantine",
}


@pytest.fixture
def sqlite_db(tmp_path: Path, _migrated_sqlite: Path) -> Iterator[Database]:
    yield from sqlite_database(tmp_path, _migrated_sqlite)


def corpus(root: Path) -> list[Path]:
    files = [
        path
        for name in FOLDERS
        if (root / name).is_dir()
        for path in sorted((root / name).iterdir())
        if path.is_file()
    ]
    if not files:
        need(f"messages in {root}")
    return files


def account(db: Database, config: IngestConfig, raws: list[bytes]) -> Counter[str]:
    """What became of each message (in the order read); every check on the way.

    A message's processed row is found by its dedupe key; the first message with that key
    is the one kept, every later one is a duplicate of it.
    """
    with db.read() as session:
        rows = {row.key_hash: row for row in session.exec(select(ProcessedMail))}
        quarantined = {e.raw_message_id: e for e in quarantine.list_held(session)}
        spammed = {e.raw_message_id: e for e in spam.list_held(session)}
        held = {e.raw_message_id: e for e in machine.list_held(session, limit=10_000)}
        ticket_ids = set(session.exec(select(Ticket.id)).all())
        kept_raw = {r.id: r.content for r in session.exec(select(RawMessage))}
        thread_raws = {m.raw_message_id for m in session.exec(select(Message)) if m.raw_message_id}
    first: dict[str, bytes] = {}
    found: Counter[str] = Counter()
    for raw in raws:
        item = read_message(raw, None, config)
        row = rows[key_hash(item.key)]
        if item.key in first:
            earlier = first[item.key]
            same = earlier == raw or read_message(earlier, None, config).key == item.key
            assert same, "a duplicate is byte-identical or has the same content"
            found["duplicate"] += 1
            continue
        first[item.key] = raw
        outcome = Outcome(row.outcome)
        found[CATEGORY[outcome]] += 1
        assert row.raw_message_id is not None and kept_raw[row.raw_message_id]
        if outcome is Outcome.QUARANTINE:
            assert quarantined[row.raw_message_id].reason.strip()
        elif outcome is Outcome.SPAM:
            assert row.raw_message_id in spammed
        elif outcome is Outcome.MACHINE:
            assert held[row.raw_message_id].kind
        elif outcome is not Outcome.OWN:
            assert row.ticket_id in ticket_ids and row.raw_message_id in thread_raws
    assert len(rows) == len(first), "one processed row per distinct message, no more"
    assert sum(found.values()) == len(raws)
    return found


@pytest.mark.usefixtures("admin")
def test_every_corpus_message_is_accounted_for(db: Database, mail_corpus: Path) -> None:
    files = corpus(mail_corpus)
    config = config_for(mail_settings(max_attachment_bytes=100_000))
    raws = [path.read_bytes() for path in files]
    raws += raws[:3]  # the same messages read again (a second folder, a crash before MOVE)
    for raw in raws:
        with db.write() as session:
            ingest(session, raw, config)

    found = account(db, config, raws)

    assert found["duplicate"] >= 3
    assert found["ticket"] > 0
    seen_by_agents(db)


_MOJIBAKE = re.compile(r"(?:[ÐÑ][\x80-\xbf\u0400-\u04ff ]?){4}|Ã[\x80-\xbf]")


def seen_by_agents(db: Database) -> None:
    """What an agent reads of the corpus's tickets: subjects, requester names and texts
    decoded (no encoded words, no mojibake, no raw MIME parts), a name that is no other
    address than its requester's, and no status moved by machine mail."""
    with db.read() as session:
        for ticket in session.exec(select(Ticket)):
            assert "=?" not in ticket.subject and "\ufffd" not in ticket.subject, ticket.subject
            assert ticket.status == "new", (ticket.number, ticket.status)
            requester = session.get(Contact, ticket.requester_id) if ticket.requester_id else None
            if requester is not None and "@" in requester.name:
                assert requester.name.lower() == (requester.email or "").lower(), requester.name
        for message in session.exec(select(Message).where(Message.kind == "customer")):
            body = message.body or ""
            assert "Content-Transfer-Encoding:" not in body, body[:200]
            assert not _MOJIBAKE.search(body), _MOJIBAKE.search(body)


def test_corpus_through_dovecot_and_the_poller(
    sqlite_db: Database, dovecot: ImapAccount, mail_corpus: Path
) -> None:
    files = corpus(mail_corpus)
    settings = server_settings(dovecot, max_attachment_bytes=100_000)
    append_all(dovecot, [path.read_bytes() for path in files])
    # What the server holds (it may have changed line ends): what the poller reads.
    raws = [dovecot.fetch_raw("INBOX", uid) for uid in dovecot.list_uids("INBOX")]

    imported = poller(sqlite_db, settings).run_once()

    assert imported == len(files)
    assert dovecot.list_uids("INBOX") == []
    found = account(sqlite_db, config_for(settings), raws)
    assert found["ticket"] > 0
    print("corpus through Dovecot:", dict(sorted(found.items())))


def _reencoded(raw: bytes) -> bytes:
    """The message as another server writes it: the other line ends, every header unfolded
    and folded again at another place, one more newline at the end."""
    crlf = b"\r\n" in raw
    text = raw.replace(b"\r\n", b"\n")
    head, _, body = text.partition(b"\n\n")
    lines = []
    for line in re.sub(rb"\n[ \t]+", b" ", head).split(b"\n"):
        if len(line) > 40 and b" " in line[30:]:
            cut = line.index(b" ", 30)
            line = line[:cut] + b"\n\t" + line[cut + 1 :]
        lines.append(line)
    out = b"\n".join(lines) + b"\n\n" + body + b"\n"
    return out if crlf else out.replace(b"\n", b"\r\n")


def _as_if_hashed_by_an_older_version(db: Database) -> None:
    """Every processed row under a key and content hash this version does not make."""
    with db.write() as session:
        for row in session.exec(select(ProcessedMail)).all():
            row.key_hash = hashlib.sha256(b"older " + row.key_hash.encode()).hexdigest()
            row.content_hash = "older-content-hash"
            session.add(row)


RE_ENCODED = on_sqlite_only(
    "tests/mail/test_quarantine_copies.py::"
    "test_a_quarantined_message_re_encoded_by_the_server_is_not_quarantined_again"
)
"""Where the corpus is read again as another server would write it: what finds each message
again is the mail code's normalising of its bytes (``_reencoded``, ``transport_normalized``)
into the key and hash the desk looks up by equality, the look-up every ingest makes.
tests/mail/test_quarantine_copies.py makes that look-up on PostgreSQL for a message
re-encoded with a Message-ID and without one, and tests/storage/test_migrations.py for
rows hashed before 0031; the corpus itself goes into PostgreSQL in
``test_every_corpus_message_is_accounted_for``."""


@RE_ENCODED
@pytest.mark.usefixtures("admin")
def test_a_corpus_message_re_encoded_and_read_after_an_upgrade_is_a_duplicate(
    db: Database, mail_corpus: Path
) -> None:
    """A server that re-encodes what it stores (CRLF or LF, headers folded elsewhere) gave
    the message other raw bytes; read again after an upgrade changed the content hash, it
    matched neither its key nor its bytes and was kept a second time. A message that
    differs in its body (one character) still is its own."""
    config = config_for(mail_settings(max_attachment_bytes=100_000))
    raws = []
    for path in corpus(mail_corpus):
        raw = path.read_bytes()
        item = read_message(raw, None, config)
        if item.message_id and item.failure is None and _reencoded(raw) != raw:
            raws.append(raw)
    assert len(raws) >= 10
    first = {}
    for raw in raws:
        with db.write() as session:
            first[raw] = ingest(session, raw, config)
    _as_if_hashed_by_an_older_version(db)
    with db.read() as session:
        tickets_before = len(session.exec(select(Ticket)).all())

    for raw in raws:
        with db.write() as session:
            again = ingest(session, _reencoded(raw), config)
        assert again.duplicate, read_message(raw, None, config).message_id
        assert (again.outcome, again.ticket_number) == (
            first[raw].outcome,
            first[raw].ticket_number,
        )
    with db.read() as session:
        assert len(session.exec(select(Ticket)).all()) == tickets_before

    changed = 0
    for raw in raws:
        head, sep, body = (
            raw.partition(b"\n\n") if b"\r\n" not in raw else raw.partition(b"\r\n\r\n")
        )
        if not body.strip():
            continue
        edited = head + sep + body.replace(body.strip()[:1], b"#", 1)
        if edited == raw or b"\nlist-id:" in head.lower():
            continue  # (a list's mail with its text unchanged is a list's copy of it)
        with db.write() as session:
            result = ingest(session, _reencoded(edited), config)
        assert not result.duplicate, read_message(raw, None, config).message_id
        changed += 1
    assert changed >= 10


def test_only_how_a_server_writes_a_message_is_normalized() -> None:
    from helpdesk_tui.desk.mailstate import transport_normalized as normal

    crlf = b"Subject: a long\r\n subject\r\nX:  y \r\n\r\nHello  \r\nworld\r\n"
    assert normal(crlf) == normal(b"Subject: a long subject\nX: y\n\nHello  \nworld\n\n")
    for other in (
        b"Subject: a long subject\nX: y\n\nHello \nworld\n",  # the body's blanks count
        b"Subject: a long subject\nX: y\n\nHello  \n\nworld\n",
        b"Subject: a longer subject\nX: y\n\nHello  \nworld\n",
        b"Subject: a long subject\nX: y\n\n Hello  \nworld\n",
    ):
        assert normal(crlf) != normal(other), other


@RE_ENCODED
@pytest.mark.usefixtures("admin")
def test_a_corpus_message_without_a_message_id_re_encoded_after_an_upgrade_is_a_duplicate(
    db: Database, mail_corpus: Path
) -> None:
    """Without a Message-ID nothing but the content hash and the exact bytes found a
    message again: re-encoded by a server and read after an upgrade changed the content
    hash, it was a second ticket (or quarantine entry). Its normalised hash finds it now;
    one with a body character changed is still its own."""
    config = config_for(mail_settings(max_attachment_bytes=100_000))
    raws = []
    for path in corpus(mail_corpus):
        raw = path.read_bytes()
        if read_message(raw, None, config).message_id is None and _reencoded(raw) != raw:
            raws.append(raw)
    assert len(raws) >= 10
    first = {}
    for raw in raws:
        with db.write() as session:
            first[raw] = ingest(session, raw, config)
    _as_if_hashed_by_an_older_version(db)
    with db.read() as session:
        before = (len(session.exec(select(Ticket)).all()), len(quarantine.list_held(session)))

    for raw in raws:
        with db.write() as session:
            again = ingest(session, _reencoded(raw), config)
        assert again.duplicate, raw[:60]
        assert (again.outcome, again.ticket_number) == (
            first[raw].outcome,
            first[raw].ticket_number,
        )
    with db.read() as session:
        after = (len(session.exec(select(Ticket)).all()), len(quarantine.list_held(session)))
    assert after == before

    changed = 0
    for raw in raws:
        edited = raw.replace(raw.strip()[-1:], b"#", 1) if raw.strip() else raw
        if edited == raw:
            continue
        with db.write() as session:
            result = ingest(session, _reencoded(edited), config)
        assert not result.duplicate, raw[:60]
        changed += 1
    assert changed >= 10
