"""Quarantine: a message that cannot be processed is kept raw with its reason, and retried."""

from __future__ import annotations

import pytest
from sqlmodel import select

from helpdesk_tui.desk import quarantine
from helpdesk_tui.desk.errors import InvalidTransition
from helpdesk_tui.desk.intake_rows import Intake
from helpdesk_tui.mail.ingest import IngestConfig, ingest, retry_quarantined
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import Outcome, ProcessedMail
from helpdesk_tui.storage.models import Contact

from .mailbuild import config_for, email, mail_settings, tickets

pytestmark = pytest.mark.usefixtures("admin")


@pytest.fixture
def config() -> IngestConfig:
    return config_for(mail_settings())


def nested_too_deep(levels: int = 60) -> bytes:
    head = "From: ann@example.org\r\nSubject: Russian dolls\r\nMIME-Version: 1.0\r\n"
    parts = [head]
    for level in range(levels):
        parts.append(f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n')
    parts.append("Content-Type: text/plain\r\n\r\ncore\r\n")
    for level in reversed(range(levels)):
        parts.append(f"--b{level}--\r\n")
    return "".join(parts).encode()


def test_unparseable_message_is_quarantined_with_raw_and_reason(
    db: Database, config: IngestConfig
) -> None:
    raw = nested_too_deep()
    with db.write() as session:
        result = ingest(session, raw, config)

    assert result.outcome is Outcome.QUARANTINE and "nested" in (result.reason or "")
    assert tickets(db) == []
    with db.read() as session:
        [entry] = quarantine.list_held(session)
        held, content = quarantine.get(session, entry.id or 0)
        [processed] = session.exec(select(ProcessedMail))
    assert content == raw and "nested" in held.reason
    assert processed.outcome == Outcome.QUARANTINE

    with db.write() as session:
        again = retry_quarantined(session, entry.id or 0, config)
    assert again.outcome is Outcome.QUARANTINE
    with db.read() as session:
        [entry] = quarantine.list_held(session)
    assert entry.attempts == 2, "a failed retry keeps the entry, counting the tries"


def test_a_failure_inside_the_desk_is_rolled_back_quarantined_and_retryable(
    db: Database, config: IngestConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = Intake.open_ticket

    def broken_open(*args: object, **kwargs: object) -> object:
        real_open(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("the ticket store is having a bad day")

    monkeypatch.setattr(Intake, "open_ticket", broken_open)
    with db.write() as session:
        first = ingest(session, email(sender="one@example.org", subject="before"), config)
    monkeypatch.setattr(Intake, "open_ticket", real_open)

    assert first.outcome is Outcome.QUARANTINE and "bad day" in (first.reason or "")
    assert tickets(db) == [], "the half-made ticket was rolled back"
    with db.read() as session:
        assert session.exec(select(Contact)).all() == []
        [entry] = quarantine.list_held(session)

    with db.write() as session:
        result = retry_quarantined(session, entry.id or 0, config)

    assert result.outcome is Outcome.TICKET and result.acknowledged
    [ticket] = tickets(db)
    with db.read() as session:
        assert quarantine.list_held(session) == []
        [resolved] = quarantine.list_held(session, include_resolved=True)
    assert resolved.ticket_id == ticket.id and resolved.resolved_at is not None
    with pytest.raises(InvalidTransition), db.write() as session:
        retry_quarantined(session, entry.id or 0, config)


def test_a_bad_message_does_not_block_the_rest_of_its_batch(
    db: Database, config: IngestConfig
) -> None:
    with db.write() as session:
        outcomes = [
            ingest(session, raw, config).outcome
            for raw in (email(subject="first"), nested_too_deep(), email(subject="third"))
        ]
    assert outcomes == [Outcome.TICKET, Outcome.QUARANTINE, Outcome.TICKET]
    assert [t.subject for t in tickets(db)] == ["first", "third"]


def test_the_same_bad_message_is_quarantined_once(db: Database, config: IngestConfig) -> None:
    raw = nested_too_deep()
    for _ in range(2):
        with db.write() as session:
            ingest(session, raw, config)
    with db.read() as session:
        [entry] = quarantine.list_held(session)
    assert entry.attempts == 1
