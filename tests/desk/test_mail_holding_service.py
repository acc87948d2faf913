"""The Desk's mail holding area: held mail as frozen views, the outbox, the mail state.

The messages are held by ingest itself (the mail layer's door, ``mail.api``, runs retry
and release); the views must say what the rows say, on both engines.
"""

from __future__ import annotations

import dataclasses

import pytest

from helpdesk_tui.config import IntakeOptions
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import InvalidTransition, NotFound
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.mail_holding_service import HeldArea, HeldQuarantine, HeldSpam
from helpdesk_tui.desk.outbox import OutboxStatus
from helpdesk_tui.mail import api
from helpdesk_tui.mail.ingest import ingest
from helpdesk_tui.storage.database import Database
from tests.mail.mailbuild import config_for, email, mail_settings

SETTINGS = mail_settings(
    blocked=["@spammy.example"], smtp={"host": "127.0.0.1", "port": 1, "security": "none"}
)
UNPARSEABLE = (
    "From: ann@example.org\r\nSubject: Russian dolls\r\nMIME-Version: 1.0\r\n"
    + "".join(
        f'Content-Type: multipart/mixed; boundary="b{n}"\r\n\r\n--b{n}\r\n' for n in range(60)
    )
    + "Content-Type: text/plain\r\n\r\ncore\r\n"
).encode()


def _receive(db: Database, raw: bytes) -> None:
    with db.write() as session:
        ingest(session, raw, config_for(SETTINGS))


def test_held_mail_comes_as_frozen_views(db: Database, agent_bob: Actor) -> None:
    _receive(db, UNPARSEABLE)
    _receive(db, email(sender="seller@spammy.example", subject="Cheap pens"))
    _receive(db, email(sender="Dana <dana@example.org>", headers=["Precedence: bulk"]))
    desk = Desk(db, agent_bob)

    [held] = desk.mail_quarantine_list()
    assert isinstance(held, HeldQuarantine) and held.is_open and "nested" in held.reason
    with pytest.raises(dataclasses.FrozenInstanceError):
        held.reason = "changed"  # type: ignore[misc]
    entry, content = desk.mail_quarantine_show(held.id)
    assert entry == held and content == UNPARSEABLE
    assert held.as_json()["id"] == held.id and held.as_json()["attempts"] == 1

    [spam] = desk.mail_spam_list()
    assert isinstance(spam, HeldSpam) and spam.subject == "Cheap pens" and spam.is_open
    assert desk.mail_spam_show(spam.id)[0] == spam

    [machine] = desk.mail_machine_list()
    assert machine.from_address == "dana@example.org" and desk.mail_machine_count() == 1
    assert desk.mail_machine_list(kind="bounce") == []
    assert desk.mail_machine_show(machine.id)[0] == machine

    state = desk.mail_state(["mail.outbox"])
    assert (state.quarantined, state.spam, state.machine) == (1, 1, 1)
    assert [lease.holder for lease in state.leases] == [None]
    with pytest.raises(NotFound):
        desk.mail_quarantine_show(held.id + 100)


def test_release_through_the_mail_door_shows_in_the_views(db: Database, admin: Actor) -> None:
    _receive(db, email(sender="seller@spammy.example", subject="Not spam, honest"))
    desk = Desk(db, admin)
    [spam] = desk.mail_spam_list()

    result = api.run_again(desk, HeldArea.SPAM, spam.id, IntakeOptions(SETTINGS, desk_name="Desk"))

    assert result.ticket_number is not None
    assert api.result_text(result) == f"ticket: now in #{result.ticket_number}"
    assert desk.mail_spam_list() == []
    [released] = desk.mail_spam_list(include_released=True)
    assert released.released_by == "ada" and not released.is_open


def test_mail_not_ready_is_a_desk_error(db: Database, admin: Actor) -> None:
    with pytest.raises(api.MailNotReady, match="not configured"):
        api.run_again(
            Desk(db, admin),
            HeldArea.QUARANTINE,
            1,
            IntakeOptions(mail_settings(mailboxes={}, smtp=None, addresses=[]), desk_name="D"),
        )


def test_resend_queues_undelivered_mail_again(db: Database, agent_bob: Actor) -> None:
    from helpdesk_tui.desk import outbox
    from helpdesk_tui.storage.models import utcnow

    desk = Desk(db, agent_bob)
    row = desk.ticket_create(subject="Printer", body="Help", requester_email="ann@example.org").row
    desk.ticket_reply(row.number, body="Unplug it.")
    with db.write() as session:
        [claimed] = outbox.claim_due(session, utcnow(), lambda _n: "<x@desk.test>")
        outbox.record_failure(
            session,
            claimed,
            "550 no",
            final=True,
            max_attempts=3,
            backoff=None,
            now=utcnow(),  # type: ignore[arg-type]
        )
    state = desk.mail_state([])
    assert state.undelivered_count == 1 and state.outbox == {OutboxStatus.FAILED: 1}

    delivery = desk.mail_outbox_resend(claimed)
    assert delivery.status is OutboxStatus.QUEUED
    assert desk.mail_state([]).outbox_backlog == 1
    with pytest.raises(InvalidTransition):
        desk.mail_outbox_resend(claimed)
