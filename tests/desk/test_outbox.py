"""The outbox life cycle as the desk owns it: every move between states, on both engines.

SMTP itself is exercised in ``tests/mail/test_outbox.py``; here the sender's moves are made
directly (claim, a failed try, giving up), then what agents do and see.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from helpdesk_tui.desk import fields, mail_reads, outbox, relations, thread
from helpdesk_tui.desk.actors import MAIL, Actor
from helpdesk_tui.desk.errors import InvalidTransition, NotFound
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.inbound import ACK_KIND, ReportedRecipient
from helpdesk_tui.desk.outbox import OutboxStatus
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.desk.ticket_view import load_view
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Event, Outbox, Status, Ticket, utcnow

NOW = (utcnow() + timedelta(hours=1)).replace(microsecond=0)
"""A fixed clock after every row was written, so each is due."""


def _reply(db: Database, actor: Actor) -> tuple[int, int]:
    """A ticket from ann with one reply queued: (ticket number, outbox id)."""
    with db.write() as s:
        ticket = create_ticket(
            s, MAIL, subject="Printer on fire", body="Help", requester_email="ann@example.org"
        )
        number = ticket.number
    with db.write() as s:
        thread.reply(s, actor, number, body="Unplug it.")
    with db.read() as s:
        row = s.exec(select(Outbox)).one()
    assert row.id is not None and row.status == OutboxStatus.QUEUED
    return number, row.id


def _claim(db: Database) -> list[int]:
    with db.write() as s:
        return outbox.claim_due(s, NOW, lambda number: f"<out.{number}@desk.test>")


def _fail(db: Database, outbox_id: int, error: str, *, final: bool = False) -> str:
    with db.write() as s:
        return outbox.record_failure(
            s,
            outbox_id,
            error,
            final=final,
            max_attempts=2,
            backoff=lambda attempts: timedelta(seconds=30 * attempts),
            now=NOW,
        )


def _row(db: Database, outbox_id: int) -> Outbox:
    with db.read() as s:
        row = s.get(Outbox, outbox_id)
        assert row is not None
        return row


def test_queued_sending_retrying_failed_each_with_its_reason(db: Database, admin: Actor) -> None:
    number, outbox_id = _reply(db, admin)

    assert _claim(db) == [outbox_id]
    row = _row(db, outbox_id)
    assert (row.status, row.attempts) == (OutboxStatus.SENDING, 1)
    assert row.email_message_id == f"<out.{number}@desk.test>"

    assert _fail(db, outbox_id, "421 4.3.2 try later") == OutboxStatus.RETRYING
    row = _row(db, outbox_id)
    assert row.last_error == "421 4.3.2 try later"
    assert row.next_attempt_at == NOW + timedelta(seconds=30)
    assert _claim(db) == [], "not due before the backoff"

    with db.write() as s:
        later = outbox.claim_due(s, row.next_attempt_at, lambda n: "<unused@desk.test>")
    assert later == [outbox_id]
    assert _fail(db, outbox_id, "421 4.3.2 try later") == OutboxStatus.FAILED
    row = _row(db, outbox_id)
    assert row.last_error == "gave up: 421 4.3.2 try later"
    assert row.email_message_id == f"<out.{number}@desk.test>", "the Message-ID never changes"

    with db.read() as s:
        [delivery] = outbox.ticket_outbox(s, row.ticket_id or 0)
        [problem] = mail_reads.undelivered(s)
        assert mail_reads.outbox_counts(s) == {"failed": 1}
    assert delivery == problem
    assert delivery.resendable and delivery.ticket_number == number
    assert delivery.describe() == "failed after 2 tries: gave up: 421 4.3.2 try later"


def test_a_final_refusal_fails_at_once(db: Database, admin: Actor) -> None:
    _number, outbox_id = _reply(db, admin)
    _claim(db)
    assert _fail(db, outbox_id, "550 5.1.1 no such user", final=True) == OutboxStatus.FAILED
    assert _row(db, outbox_id).last_error == "550 5.1.1 no such user"


def test_a_bounce_keeps_the_dsn_status_and_diagnostic_code(db: Database, admin: Actor) -> None:
    number, outbox_id = _reply(db, admin)
    _claim(db)
    with db.write() as s:
        outbox.record_sent(s, outbox_id, note=None, now=NOW)

    with db.write() as s:
        bounce = outbox.record_bounce(
            s,
            f"<out.{number}@desk.test>",
            dsn_status="5.1.1",
            diagnostic="smtp; 550 5.1.1 <ann@example.org>:\r\n  user unknown",
            now=NOW,
        )
        assert outbox.record_bounce(s, "<nobody@else>", dsn_status="5.0.0", diagnostic=None) is None

    row = _row(db, outbox_id)
    assert bounce == outbox.Bounce(outbox_id, row.ticket_id, row.message_id, OutboxStatus.SENT)
    assert (row.status, row.dsn_status, row.bounced_at) == (OutboxStatus.BOUNCED, "5.1.1", NOW)
    assert row.dsn_diagnostic == "smtp; 550 5.1.1 <ann@example.org>: user unknown", "one line"
    with db.read() as s:
        view = load_view(s, number)
    [reply] = [e for e in view.entries if e.delivery is not None]
    assert reply.delivery is not None and reply.delivery.status == OutboxStatus.BOUNCED
    assert reply.delivery.describe() == (
        "bounced: 5.1.1 smtp; 550 5.1.1 <ann@example.org>: user unknown"
    )


@pytest.mark.parametrize("how", ["failed", "bounced"])
def test_an_agent_resends_undelivered_mail_and_the_history_says_who(
    db: Database, admin: Actor, agent_bob: Actor, how: str
) -> None:
    number, outbox_id = _reply(db, admin)
    _claim(db)
    if how == "failed":
        _fail(db, outbox_id, "550 5.7.1 rejected", final=True)
    else:
        with db.write() as s:
            outbox.record_sent(s, outbox_id, note=None, now=NOW)
            outbox.record_bounce(s, f"<out.{number}@desk.test>", dsn_status="5.2.2", diagnostic="x")
    with db.read() as s:
        version = ticket_detail(s, number).row.version

    with db.write() as s:
        delivery = outbox.resend(s, agent_bob, outbox_id, now=NOW)

    assert (delivery.status, delivery.attempts, delivery.last_error) == ("queued", 0, None)
    assert (delivery.dsn_status, delivery.next_attempt_at) == (None, NOW)
    assert _claim(db) == [outbox_id], "due at once"
    with db.read() as s:
        detail = ticket_detail(s, number)
    assert detail.row.version == version, "re-sending changes no field of the ticket"
    [event] = [e for e in detail.events if e.kind == "resent"]
    assert event.text == f"bob: delivery {how} → queued"


def test_only_undelivered_mail_is_resent(db: Database, admin: Actor) -> None:
    _number, outbox_id = _reply(db, admin)
    with db.write() as s, pytest.raises(InvalidTransition, match="is queued"):
        outbox.resend(s, admin, outbox_id)
    with db.write() as s, pytest.raises(NotFound):
        outbox.resend(s, admin, outbox_id + 100)


def _survey_events(db: Database, ticket_id: int) -> list[str | None]:
    with db.read() as s:
        return [
            e.new_value
            for e in s.exec(select(Event).where(Event.ticket_id == ticket_id))
            if e.kind == "survey"
        ]


def test_a_survey_waits_for_the_resolving_reply_and_is_not_sent_when_it_failed(
    db: Database, admin: Actor
) -> None:
    """The survey went out beside the reply that resolved the ticket, even when that reply
    never reached the customer ("how did we do?" after no answer)."""
    with db.write() as s:
        number = create_ticket(
            s, MAIL, subject="Printer", body="Help", requester_email="ann@example.org"
        ).number
    with db.write() as s:
        thread.reply(s, admin, number, body="Unplug it.", status_after=Status.RESOLVED)
    with db.read() as s:
        reply, survey = s.exec(select(Outbox).order_by(Outbox.id)).all()
    assert (reply.kind, survey.kind) == ("reply", "survey")
    assert reply.id is not None and survey.id is not None and survey.ticket_id is not None

    assert _claim(db) == [reply.id], "the survey waits while the reply has not gone"
    assert _fail(db, reply.id, "421 4.3.2 try later") == OutboxStatus.RETRYING
    assert _claim(db) == [], "nor while the reply waits for its next try"
    assert _row(db, survey.id).status == OutboxStatus.QUEUED
    assert _fail(db, reply.id, "550 5.7.1 refused", final=True) == OutboxStatus.FAILED

    assert _claim(db) == []
    row = _row(db, survey.id)
    assert row.status == OutboxStatus.WITHDRAWN
    assert row.last_error == "the reply before it was not delivered (failed)"
    assert _survey_events(db, survey.ticket_id) == [
        "not sent: the reply before it was not delivered (failed)"
    ]


def test_a_survey_waits_until_the_reply_was_sent_then_goes(db: Database, admin: Actor) -> None:
    with db.write() as s:
        number = create_ticket(
            s, MAIL, subject="Printer", body="Help", requester_email="ann@example.org"
        ).number
    with db.write() as s:
        thread.reply(s, admin, number, body="Unplug it.", status_after=Status.RESOLVED)
    with db.read() as s:
        reply_id, survey_id = s.exec(select(Outbox.id).order_by(Outbox.id)).all()
    assert _claim(db) == [reply_id]
    with db.write() as s:
        outbox.record_sent(s, reply_id, note=None, now=NOW)
    assert _claim(db) == [survey_id]


def test_no_survey_to_an_address_that_bounced_for_good(db: Database, admin: Actor) -> None:
    number, reply_id = _reply(db, admin)
    assert _claim(db) == [reply_id]
    with db.write() as s:
        outbox.record_sent(s, reply_id, note=None, now=NOW)
        assert outbox.record_bounce(
            s, f"<out.{number}@desk.test>", dsn_status="5.1.1", diagnostic="User unknown"
        )
    with db.write() as s:  # resolved without a reply: the survey alone
        fields.set_status(s, admin, number, "resolved")
    assert _claim(db) == []
    [survey] = [row for row in _rows(db) if row.kind == "survey"]
    assert survey.status == OutboxStatus.WITHDRAWN
    assert survey.last_error == "mail to ann@example.org bounced (5.1.1)"
    assert survey.ticket_id is not None
    assert _survey_events(db, survey.ticket_id) == [
        "not sent: mail to ann@example.org bounced (5.1.1)"
    ]


def test_a_withdrawn_survey_is_no_undelivered_mail(db: Database, admin: Actor) -> None:
    """A survey the desk decided not to send was listed, counted and re-sendable as failed
    mail ("1 not delivered" on the status line, R re-sends it to the bounced address)."""
    number, reply_id = _reply(db, admin)
    assert _claim(db) == [reply_id]
    with db.write() as s:
        outbox.record_sent(s, reply_id, note=None, now=NOW)
        assert outbox.record_bounce(
            s, f"<out.{number}@desk.test>", dsn_status="5.1.1", diagnostic="User unknown"
        )
    with db.write() as s:
        fields.set_status(s, admin, number, "resolved")
    assert _claim(db) == []
    [survey] = [row for row in _rows(db) if row.kind == "survey"]
    assert survey.id is not None
    with db.read() as s:
        state = mail_reads.MailState([], mail_reads.outbox_counts(s), [])
        listed = mail_reads.undelivered(s)
        [shown] = [d for d in ticket_detail(s, number).outgoing if d.kind == "survey"]
    assert [d.kind for d in listed] == ["reply"], "the bounced reply only"
    assert state.undelivered_count == 1
    assert state.outbox["withdrawn"] == 1
    assert not shown.resendable
    assert shown.describe() == "withdrawn, not sent: mail to ann@example.org bounced (5.1.1)"
    with db.write() as s, pytest.raises(InvalidTransition):
        outbox.resend(s, admin, survey.id)


def _rows(db: Database) -> list[Outbox]:
    with db.read() as s:
        return list(s.exec(select(Outbox).order_by(Outbox.id)))


def _waiting_survey(db: Database, admin: Actor) -> tuple[int, int, int]:
    """ann's ticket: a reply sent, then resolved; its survey claimed once and failed for now
    (``retrying``). (ticket number, the reply's outbox id, the survey's)."""
    number, reply_id = _reply(db, admin)
    assert _claim(db) == [reply_id]
    with db.write() as s:
        outbox.record_sent(s, reply_id, note=None, now=NOW)
        fields.set_status(s, admin, number, "resolved")
    [survey] = [row for row in _rows(db) if row.kind == "survey"]
    assert survey.id is not None
    with db.write() as s:
        assert outbox.claim_due(s, NOW, lambda n: f"<survey.{n}@desk.test>") == [survey.id]
    assert _fail(db, survey.id, "421 4.3.2 try later") == OutboxStatus.RETRYING
    return number, reply_id, survey.id


@pytest.mark.parametrize("dsn", ["5.1.1", None])
def test_a_hard_bounce_withdraws_the_survey_waiting_to_go(
    db: Database, admin: Actor, dsn: str | None
) -> None:
    """The reply's bounce came back while the survey waited for its next try: the survey
    was only stopped if the sender claimed it again (and went if it was being sent)."""
    number, _, survey_id = _waiting_survey(db, admin)
    with db.write() as s:
        assert outbox.record_bounce(
            s, f"<out.{number}@desk.test>", dsn_status=dsn, diagnostic="User unknown"
        )
    row = _row(db, survey_id)
    why = "mail to ann@example.org bounced" + (f" ({dsn})" if dsn else "")
    assert (row.status, row.last_error) == (OutboxStatus.WITHDRAWN, why)
    assert row.ticket_id is not None
    assert _survey_events(db, row.ticket_id) == [f"not sent: {why}"]


def test_a_delay_report_leaves_the_waiting_survey(db: Database, admin: Actor) -> None:
    number, _, survey_id = _waiting_survey(db, admin)
    with db.write() as s:
        assert outbox.record_bounce(
            s, f"<out.{number}@desk.test>", dsn_status="4.4.1", diagnostic="no answer"
        )
    assert _row(db, survey_id).status == OutboxStatus.RETRYING


def test_a_bounce_naming_no_mail_of_ours_withdraws_surveys_to_its_recipient(
    db: Database, admin: Actor
) -> None:
    _, _, survey_id = _waiting_survey(db, admin)
    with db.write() as s:
        assert (
            outbox.record_bounce(
                s,
                "<elsewhere@example.org>",
                dsn_status="5.1.1",
                diagnostic=None,
                recipient="Ann@Example.org",
            )
            is None
        )
    row = _row(db, survey_id)
    assert (row.status, row.last_error) == (
        OutboxStatus.WITHDRAWN,
        "mail to Ann@Example.org bounced (5.1.1)",
    )


_IDS = itertools.count()


def _unique_id(number: int | None) -> str:
    return f"<out.u{next(_IDS)}.{number}@desk.test>"


def _resolved_with_survey(
    db: Database, admin: Actor, number: int, at: datetime = NOW
) -> tuple[int, list[int]]:
    """ann's ticket ``number`` resolved by a reply, which is sent, and the sender's claim at
    ``at`` after it: (the survey's outbox id, what that claimed)."""
    with db.write() as s:
        thread.reply(s, admin, number, body="Done.", status_after=Status.RESOLVED)
    with db.read() as s:
        rows = s.exec(select(Outbox).order_by(Outbox.id.desc()).limit(2)).all()  # type: ignore[union-attr]
    [reply] = [r for r in rows if r.kind == "reply"]
    [survey] = [r for r in rows if r.kind == "survey"]
    assert reply.id is not None and survey.id is not None
    with db.write() as s:
        assert outbox.claim_due(s, at, _unique_id) == [reply.id], "the survey waits for it"
        outbox.record_sent(s, reply.id, note=None, now=at)
    with db.write() as s:
        return survey.id, outbox.claim_due(s, at, _unique_id)


@pytest.mark.parametrize("named", ["recipient", "our mail"])
def test_a_survey_queued_after_a_hard_bounce_is_withdrawn_within_the_window(
    db: Database, admin: Actor, named: str
) -> None:
    """A bounce that named only the recipient withdrew the surveys waiting then; one queued
    later to the same address went out. Either way a hard bounce holds later surveys to the
    address for ``BOUNCE_HOLDS_SURVEYS``; after that the address is asked again."""
    number, reply_id = _reply(db, admin)
    assert _claim(db) == [reply_id]
    with db.write() as s:
        outbox.record_sent(s, reply_id, note=None, now=NOW)
        if named == "recipient":
            assert (
                outbox.record_bounce(
                    s,
                    "<elsewhere@example.org>",
                    dsn_status="5.1.1",
                    diagnostic=None,
                    recipient="Ann@Example.org",
                    now=NOW,
                )
                is None
            )
        else:
            outbox.record_bounce(
                s, f"<out.{number}@desk.test>", dsn_status="5.1.1", diagnostic="x", now=NOW
            )
    survey_id, claimed = _resolved_with_survey(db, admin, number)

    assert survey_id not in claimed, "not sent"
    row = _row(db, survey_id)
    assert (row.status, row.last_error) == (
        OutboxStatus.WITHDRAWN,
        "mail to ann@example.org bounced (5.1.1)",
    )
    assert _survey_events(db, row.ticket_id or 0) == [
        "not sent: mail to ann@example.org bounced (5.1.1)"
    ]

    # A month later the address is asked again (fixed since, or it bounces anew).
    with db.write() as s:
        other = create_ticket(
            s, MAIL, subject="Scanner", body="Help", requester_email="ann@example.org"
        ).number
    later = NOW + outbox.BOUNCE_HOLDS_SURVEYS + timedelta(minutes=1)
    later_survey, claimed = _resolved_with_survey(db, admin, other, later)
    assert later_survey in claimed


def test_a_soft_bounce_holds_no_later_survey(db: Database, admin: Actor) -> None:
    number, reply_id = _reply(db, admin)
    assert _claim(db) == [reply_id]
    with db.write() as s:
        outbox.record_sent(s, reply_id, note=None, now=NOW)
        outbox.record_bounce(
            s,
            "<elsewhere@example.org>",
            dsn_status="4.2.2",
            diagnostic=None,
            recipient="ann@example.org",
            now=NOW,
        )
    survey_id, claimed = _resolved_with_survey(db, admin, number)
    assert survey_id in claimed


@pytest.mark.parametrize("blocks", [False, True], ids=["no blocks", "per-recipient blocks"])
def test_a_hard_bounce_looks_for_the_surveys_to_withdraw_once(
    db: Database, admin: Actor, blocks: bool
) -> None:
    """The bounced reply's address was looked for twice (as a hard bounce, then again as
    the bounced reply's): one read of the waiting surveys withdraws what it must, each
    once, whether the report names its recipients or only the mail."""
    number, _, survey_id = _waiting_survey(db, admin)
    reads: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        flat = " ".join(statement.lower().split())
        if flat.startswith("select") and "outbox.kind = " in flat.partition(" where ")[2]:
            reads.append(flat)

    recipients = [ReportedRecipient("ann@example.org", "failed", "5.1.1")] if blocks else []
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.write() as s:
            assert outbox.record_bounce(
                s,
                f"<out.{number}@desk.test>",
                dsn_status="5.1.1",
                diagnostic="User unknown",
                recipients=recipients,
                now=NOW,
            )
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(reads) == 1, reads
    row = _row(db, survey_id)
    assert (row.status, row.last_error) == (
        OutboxStatus.WITHDRAWN,
        "mail to ann@example.org bounced (5.1.1)",
    )
    assert _survey_events(db, row.ticket_id or 0) == [
        "not sent: mail to ann@example.org bounced (5.1.1)"
    ]


def test_a_failed_reply_merged_into_another_ticket_shows_there_and_resends(
    db: Database, admin: Actor
) -> None:
    """ann's reply could not be sent, then her ticket was merged into her other one: the
    reply is on the target's thread with its delivery state (it showed none there, and R
    on the target found no failed mail to send again)."""
    number, reply_id = _reply(db, admin)
    _fail(db, reply_id, "550 no such user", final=True)
    with db.write() as s:
        other = create_ticket(
            s, MAIL, subject="Printer smokes", body="Still", requester_email="ann@example.org"
        ).number
    with db.write() as s:
        relations.merge(s, admin, number, other)
    with db.read() as s:
        view = load_view(s, other)
    [reply] = [entry for entry in view.entries if entry.kind == "reply"]
    assert reply.delivery is not None and reply.delivery.id == reply_id
    assert [d.id for d in view.outgoing if d.resendable] == [reply_id]
    with db.write() as s:
        delivery = outbox.resend(s, admin, reply_id, now=NOW)
    assert delivery.ticket_number == other
    with db.read() as s:  # (said where the reply now is, not on the closed merged ticket)
        assert [e.kind for e in ticket_detail(s, other).events].count("resent") == 1
        assert "resent" not in [e.kind for e in ticket_detail(s, number).events]


def test_a_bounce_of_a_reply_merged_into_another_ticket_names_that_ticket(
    db: Database, admin: Actor
) -> None:
    """ann's ticket was answered and merged into her other one; then the answer bounced.
    The bounce and the list of undelivered mail name the ticket the reply is on now, not
    the merged, closed one its outbox row keeps."""
    number, reply_id = _reply(db, admin)
    _claim(db)
    with db.write() as s:
        outbox.record_sent(s, reply_id, note=None, now=NOW)
        other = create_ticket(
            s, MAIL, subject="Printer smokes", body="Still", requester_email="ann@example.org"
        )
        other_id, other_number = other.id, other.number
    with db.write() as s:
        relations.merge(s, admin, number, other_number)
    with db.write() as s:
        bounce = outbox.record_bounce(
            s, f"<out.{number}@desk.test>", dsn_status="5.1.1", diagnostic="no such user", now=NOW
        )
    assert bounce is not None and bounce.outbox_id == reply_id
    assert bounce.ticket_id == other_id != _row(db, reply_id).ticket_id
    with db.read() as s:
        [shown] = mail_reads.undelivered(s)
    assert (shown.id, shown.status, shown.ticket_number) == (
        reply_id,
        OutboxStatus.BOUNCED,
        other_number,
    )


def test_a_reply_a_merge_moved_is_listed_on_its_ticket_now_and_not_on_the_merged_one(
    db: Database, admin: Actor
) -> None:
    """ann's ticket was answered and merged into her other one: the ticket screen of the
    merged, closed ticket still listed the reply's mail as its own (its outbox row keeps
    that ticket's id), beside the target's, where the reply is now. Each mail is listed on
    one ticket: the one it is on now; the merged ticket keeps its own automatic mail."""
    number, reply_id = _reply(db, admin)
    with db.write() as s:
        fields.set_status(s, admin, number, "resolved")  # its survey: automatic mail
        other = create_ticket(
            s, MAIL, subject="Printer smokes", body="Still", requester_email="ann@example.org"
        )
        other_id, other_number = other.id or 0, other.number
    with db.write() as s:
        relations.merge(s, admin, number, other_number)
    with db.read() as s:
        merged_id = s.exec(select(Ticket.id).where(Ticket.number == number)).one()
        on_merged = outbox.ticket_outbox(s, merged_id)
        on_target = outbox.ticket_outbox(s, other_id)
    survey_id = next(row.id for row in _rows(db) if row.kind == "survey")
    assert [(d.id, d.ticket_number) for d in on_merged] == [(survey_id, number)]
    assert [(d.id, d.ticket_number) for d in on_target] == [(reply_id, other_number)]


def test_a_bounce_of_a_reply_a_merge_moved_withdraws_the_survey_after_it_there(
    db: Database, admin: Actor
) -> None:
    """ann's answer on one ticket went out; the ticket was merged into her other one (at
    her home address), which was then resolved and its survey queued; then the answer
    bounced. The survey after a reply that did not arrive is withdrawn on the ticket the
    reply is on now; it was looked for on the merged ticket, which has none, and went."""
    number, reply_id = _reply(db, admin)
    _claim(db)
    with db.write() as s:
        outbox.record_sent(s, reply_id, note=None, now=NOW)
        other = create_ticket(
            s, MAIL, subject="Printer smokes", body="Still", requester_email="ann@home.example"
        ).number
    with db.write() as s:  # (her two addresses: the agent confirmed)
        relations.merge(s, admin, number, other, different_requesters=True)
    with db.write() as s:
        fields.set_status(s, admin, other, "resolved")
    [survey] = [row for row in _rows(db) if row.kind == "survey"]
    assert survey.to_addresses == "ann@home.example" and (survey.id or 0) > reply_id
    with db.write() as s:
        bounce = outbox.record_bounce(
            s, f"<out.{number}@desk.test>", dsn_status="5.1.1", diagnostic="no such user", now=NOW
        )
    assert bounce is not None and bounce.outbox_id == reply_id
    row = _row(db, survey.id or 0)
    why = "the reply before it was not delivered (bounced)"
    assert (row.status, row.last_error) == (OutboxStatus.WITHDRAWN, why)
    assert _survey_events(db, row.ticket_id or 0) == [f"not sent: {why}"]


def test_a_survey_waiting_when_its_ticket_is_merged_away_is_withdrawn(
    db: Database, admin: Actor
) -> None:
    """The agent resolved ann's ticket with a reply, then saw it was her second mail about
    one problem and merged it into the first, still open: the survey ("your request has
    been resolved, how did we do?") went out all the same, about a request still being
    worked on in the other ticket. It is withdrawn, and the ticket's history says why."""
    number, reply_id = _reply(db, admin)
    with db.write() as s:
        other = create_ticket(
            s, MAIL, subject="Printer smokes", body="Still", requester_email="ann@example.org"
        ).number
    with db.write() as s:
        thread.reply(s, admin, number, body="Unplug it again.", status_after=Status.RESOLVED)
    [survey] = [row for row in _rows(db) if row.kind == "survey"]
    with db.write() as s:
        relations.merge(s, admin, number, other)

    with db.write() as s:
        claimed = outbox.claim_due(s, NOW, _unique_id)
    assert survey.id not in claimed and reply_id in claimed
    row = _row(db, survey.id or 0)
    why = f"#{number} was merged into #{other}"
    assert (row.status, row.last_error) == (OutboxStatus.WITHDRAWN, why)
    assert _survey_events(db, row.ticket_id or 0) == [f"not sent: {why}"]


def test_a_survey_waiting_when_its_ticket_is_opened_again_is_withdrawn_and_asked_later(
    db: Database, admin: Actor
) -> None:
    """The reply that resolved ann's ticket was still waiting to go (the mail server was
    down) when she wrote again and the ticket opened: the survey went out behind the reply
    all the same, asking how we did on a request open again. It is withdrawn; resolved
    again, the ticket asks then."""
    number, reply_id = _reply(db, admin)
    with db.write() as s:
        thread.reply(s, admin, number, body="Unplug it again.", status_after=Status.RESOLVED)
    [survey] = [row for row in _rows(db) if row.kind == "survey"]
    with db.write() as s:
        fields.set_status(s, admin, number, "open")

    with db.write() as s:
        claimed = outbox.claim_due(s, NOW, _unique_id)
    assert survey.id not in claimed and reply_id in claimed
    row = _row(db, survey.id or 0)
    why = f"#{number} was opened again"
    assert (row.status, row.last_error) == (OutboxStatus.WITHDRAWN, why)
    assert _survey_events(db, row.ticket_id or 0) == [f"not sent: {why}"]

    with db.write() as s:
        for outbox_id in claimed:
            outbox.record_sent(s, outbox_id, note=None, now=NOW)
        fields.set_status(s, admin, number, "resolved")
    [_, again] = [row for row in _rows(db) if row.kind == "survey"]
    with db.write() as s:
        assert outbox.claim_due(s, NOW, _unique_id) == [again.id]


def test_a_bounce_naming_only_a_copied_recipient_leaves_the_customers_survey(
    db: Database, admin: Actor
) -> None:
    """The resolving reply went to ann with a copy to her colleague bob, whose address is
    gone: the report names bob alone as failed. ann's survey was withdrawn as if mail to
    her had bounced ("mail to ann@example.org bounced"); it waits and goes, and only bob
    is kept as bounced for good."""
    number, reply_id = _reply(db, admin)
    assert _claim(db) == [reply_id]
    with db.write() as s:
        outbox.record_sent(s, reply_id, note=None, now=NOW)
        thread.reply(
            s, admin, number, body="Done.", cc=["bob@example.org"], status_after=Status.RESOLVED
        )
    rows = _rows(db)
    [survey] = [row for row in rows if row.kind == "survey"]
    resolving = rows[-2]
    assert resolving.kind == "reply" and resolving.cc_addresses
    with db.write() as s:
        assert outbox.claim_due(s, NOW, _unique_id) == [resolving.id]
    sent = _row(db, resolving.id or 0)
    with db.write() as s:
        outbox.record_sent(s, sent.id or 0, note=None, now=NOW)
        outbox.record_bounce(
            s,
            sent.email_message_id or "",
            dsn_status="5.1.1",
            diagnostic="User unknown",
            recipients=[ReportedRecipient("bob@example.org", "failed", "5.1.1")],
            now=NOW,
        )
    assert _row(db, survey.id or 0).status == OutboxStatus.QUEUED
    assert _survey_events(db, survey.ticket_id or 0) == []
    with db.write() as s:
        assert outbox.claim_due(s, NOW, _unique_id) == [survey.id]
        assert s.get(outbox.BouncedAddress, "bob@example.org") is not None
        assert s.get(outbox.BouncedAddress, "ann@example.org") is None


def test_machine_mail_to_agents_more_than_a_day_old_is_withdrawn_not_sent(
    db: Database, admin: Actor
) -> None:
    """A rating concern's mail sent days late (the sender was down) is noise, as an SLA
    alert's is: both are withdrawn with a one-line reason once more than a day old, what
    is younger goes, and mail to customers (a reply, an acknowledgement) goes however
    late."""
    number, _ = _reply(db, admin)
    kinds = ("rating_concern", "sla_alert", "ack", "rating_concern")
    with db.write() as s:
        ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
        for kind in kinds:
            outbox.queue_mail(s, ticket, now=NOW, kind=kind, to=["bob@example.com"], body="x")
        rows = s.exec(select(Outbox).order_by(col(Outbox.id))).all()
        for row in rows[:-1]:  # all but the last rating concern: queued two days before
            row.created_at = NOW - timedelta(days=2)
            row.next_attempt_at = NOW
    claimed = _claim(db)
    with db.read() as s:
        rows = s.exec(select(Outbox).order_by(col(Outbox.id))).all()
    assert [(r.kind, r.status, r.id in claimed) for r in rows] == [
        ("reply", "sending", True),
        ("rating_concern", "withdrawn", False),
        ("sla_alert", "withdrawn", False),
        ("ack", "sending", True),
        ("rating_concern", "sending", True),
    ]
    assert rows[1].last_error == rows[2].last_error == outbox.STALE_ALERT_MAIL
    assert "\n" not in outbox.STALE_ALERT_MAIL and "SLA" not in outbox.STALE_ALERT_MAIL


def test_no_acknowledgement_to_an_address_that_bounced_but_an_agents_reply_goes(
    db: Database, admin: Actor
) -> None:
    """The acknowledgement (and a rule's canned reply, which takes its row) is automatic
    mail like the survey: withdrawn at claim when its address bounced for good lately; the
    agent's own reply to the same address goes, as before."""
    number, reply_id = _reply(db, admin)
    with db.write() as s:
        outbox.record_hard_bounces(
            s, [ReportedRecipient("ann@example.org", "failed", "5.1.1")], now=NOW
        )
        ticket = s.exec(select(Ticket).where(col(Ticket.number) == number)).one()
        ack_id = outbox.queue_mail(
            s, ticket, now=NOW, kind=ACK_KIND, to=["Ann@Example.org"], body="We have your mail."
        )
    assert _claim(db) == [reply_id]
    ack = _row(db, ack_id)
    why = "mail to Ann@Example.org bounced (5.1.1)"
    assert (ack.status, ack.last_error) == (OutboxStatus.WITHDRAWN, why)
    with db.read() as s:
        events = s.exec(
            select(Event.new_value).where(
                col(Event.ticket_id) == ticket.id, col(Event.kind) == "acknowledgement"
            )
        ).all()
    assert events == [f"not sent: {why}"]


def test_the_reply_warning_says_how_long_ago_the_address_bounced(
    db: Database, admin: Actor
) -> None:
    """ann's mail bounced at 23:30 UTC; an agent in Tokyo replies an hour later, at 09:30
    his time the next day, and read that it bounced "on 2026-12-01": the UTC date, a day
    before his. The warning says how long ago, as the TUI words every time, by the desk's
    clock, so that it holds in any zone."""
    number, _ = _reply(db, admin)
    at = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    with db.write() as s:
        bounced = [ReportedRecipient("ann@example.org", "failed", "5.1.1")]
        outbox.record_hard_bounces(s, bounced, now=at)

    soon = Desk(db, admin, clock=lambda: at + timedelta(hours=1)).reply_bounce(number)
    later = Desk(db, admin, clock=lambda: at + timedelta(days=3, hours=2)).reply_bounce(number)

    assert soon is not None and later is not None
    assert soon.warning() == "mail to ann@example.org bounced for good 1 h ago (5.1.1)"
    assert later.warning(address_width=7) == "mail to ann…org bounced for good 3 d ago (5.1.1)"


@pytest.mark.parametrize("waiting", ["queued", "retrying"])
def test_a_hard_bounce_withdraws_the_acknowledgement_waiting_to_go_at_once(
    db: Database, admin: Actor, waiting: str
) -> None:
    """An acknowledgement waiting (queued, or retrying while the mail server is out) when
    ann's hard bounce arrives was withdrawn only when the sender came to claim it: the
    outbox said it would go until then. It is withdrawn as the bounce is recorded, with
    the history line the sender's check writes; an agent's reply waiting too still goes."""
    number, reply_id = _reply(db, admin)
    with db.write() as s:
        ticket = s.exec(select(Ticket).where(col(Ticket.number) == number)).one()
        ack_id = outbox.queue_mail(
            s, ticket, now=NOW, kind=ACK_KIND, to=["Ann@Example.org"], body="We have your mail."
        )
    if waiting == "retrying":
        assert sorted(_claim(db)) == sorted([reply_id, ack_id])
        _fail(db, ack_id, "421 4.3.2 try later")
        _fail(db, reply_id, "421 4.3.2 try later")
    with db.write() as s:
        outbox.record_hard_bounces(
            s, [ReportedRecipient("ann@example.org", "failed", "5.1.1")], now=NOW
        )
    ack = _row(db, ack_id)
    why = "mail to ann@example.org bounced (5.1.1)"
    assert (ack.status, ack.last_error) == (OutboxStatus.WITHDRAWN, why)
    assert _row(db, reply_id).status == OutboxStatus(waiting)
    with db.read() as s:
        events = s.exec(
            select(Event.new_value).where(
                col(Event.ticket_id) == ticket.id, col(Event.kind) == "acknowledgement"
            )
        ).all()
    assert events == [f"not sent: {why}"]
