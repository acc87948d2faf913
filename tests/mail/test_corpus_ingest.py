"""Every message of the shared mail-parser corpus ends as a ticket, as spam, or quarantined.

Read in place from ../shared/mail-corpus/mail-parser/ (never copied into this repository);
missing, it fails under CI and skips elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from helpdesk_tui.desk import quarantine
from helpdesk_tui.mail.ingest import ingest
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import Outcome, ProcessedMail
from helpdesk_tui.storage.models import Ticket
from tests.conftest import need

from .mailbuild import (
    config_for,
    mail_settings,
    server_settings,
    sqlite_database,
)
from .servers import ImapAccount
from .test_poller import append_all, poller

ENDINGS = {Outcome.TICKET, Outcome.FOLLOW_UP, Outcome.BOUNCE, Outcome.SPAM, Outcome.QUARANTINE}


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    yield from sqlite_database(tmp_path)


def corpus(root: Path) -> list[Path]:
    folder = root / "mail-parser"
    files = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    if not files:
        need(f"messages in {folder}")
    return files


def check_endings(db: Database, expected: int) -> None:
    with db.read() as session:
        processed = session.exec(select(ProcessedMail)).all()
        held = {entry.raw_message_id: entry for entry in quarantine.list_held(session)}
        ticket_ids = set(session.exec(select(Ticket.id)).all())
    assert len(processed) == expected
    for row in processed:
        assert row.outcome in ENDINGS, row.dedupe_key
        if row.outcome == Outcome.QUARANTINE:
            assert held[row.raw_message_id].reason.strip()
        elif row.outcome != Outcome.SPAM:
            assert row.ticket_id in ticket_ids


@pytest.mark.usefixtures("admin")
def test_every_corpus_message_is_ingested_without_a_crash(db: Database, mail_corpus: Path) -> None:
    files = corpus(mail_corpus)
    config = config_for(mail_settings(max_attachment_bytes=100_000))
    keys = set()
    for path in files:
        raw = path.read_bytes()
        with db.write() as session:
            result = ingest(session, raw, config)
        assert result.outcome in ENDINGS, path.name
        if not result.duplicate:
            keys.add(path.name)
    check_endings(db, len(keys))


def test_corpus_through_dovecot_and_the_poller(
    sqlite_db: Database, dovecot: ImapAccount, mail_corpus: Path
) -> None:
    files = corpus(mail_corpus)
    settings = server_settings(dovecot, max_attachment_bytes=100_000)
    append_all(dovecot, [path.read_bytes() for path in files])

    imported = poller(sqlite_db, settings).run_once()

    assert imported == len(files)
    assert dovecot.list_uids("INBOX") == []
    with sqlite_db.read() as session:
        distinct = len(session.exec(select(ProcessedMail)).all())
    check_endings(sqlite_db, distinct)
