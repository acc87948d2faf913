"""A customer's data on SQLite and PostgreSQL: ``contact show`` (any agent), ``export`` and
``forget`` (admins), and the one lister's ``requester`` filter."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select as core_select
from sqlmodel import SQLModel, select

from helpdesk_tui.desk import fields, privacy, thread
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import InvalidValue, NotFound, PermissionDenied
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.outbox_rows import SURVEY_KIND
from helpdesk_tui.desk.queue import QueueQuery
from helpdesk_tui.desk.queue_values import TicketFilter
from helpdesk_tui.desk.satisfaction import set_opt_out
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import AckSent, BouncedAddress, ProcessedMail
from helpdesk_tui.storage.models import Contact, Event, Message, Outbox, RawMessage, Ticket, utcnow
from helpdesk_tui.storage.survey_models import SurveyOptOutHash

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
ANN = "ann@example.com"
NAME = "Ann Example"


def _ingest(db: Database, raw: bytes) -> int:
    from helpdesk_tui.config import IntakeOptions
    from helpdesk_tui.mail.ingest import IngestConfig, ingest
    from tests.mail.mailbuild import mail_settings

    config = IngestConfig.from_options(IntakeOptions(mail_settings(), "Desk Support"))
    with db.write() as s:
        number = ingest(s, raw, config, now=utcnow()).ticket_number
    assert number is not None
    return number


def _ann_and_bob(db: Database, admin: Actor) -> tuple[int, int]:
    """Ann's own ticket (by mail: raw mail, processed mark, acknowledgement), Bob's ticket
    with Ann in copy and in its text, a reply to Ann from Bob's ticket, Ann's opt-out and a
    hard bounce of her address."""
    from tests.mail.mailbuild import email

    own = _ingest(
        db,
        email(
            sender=f"{NAME} <{ANN}>",
            subject="Forget me",
            message_id="<forget-me@example.com>",
            body="My number is 555-0100.",
        ),
    )
    other = _ingest(
        db,
        email(
            sender="Bob <bob@example.com>",
            subject="Printer",
            headers=[f"Cc: {NAME} <{ANN}>, Carl <carl@example.com>"],
            body=f"{NAME} ({ANN.upper()}) saw it too.",
        ),
    )
    follow_up = email(
        sender=f"{NAME} <{ANN}>",
        subject=f"Re: Printer [#{other}]",
        body="Still smoking here. -- Ann Example",
    )
    assert _ingest(db, follow_up) == other  # (Ann writes on Bob's ticket)
    with db.write() as s:
        thread.reply(s, admin, other, body="Thanks for the hint.", to=ANN)
        contact = s.exec(select(Contact).where(Contact.email == ANN)).one()
        assert contact.id is not None
        set_opt_out(s, contact.id, True)
        s.add(BouncedAddress(address=ANN, dsn_status="5.1.1", bounced_at=NOW))
    return own, other


def _every_text(db: Database) -> list[str]:
    """Every value of every table the models know, as text (lower-case)."""
    import helpdesk_tui.storage.mail_models
    import helpdesk_tui.storage.survey_models  # noqa: F401

    found = []
    with db.read() as s:
        for table in SQLModel.metadata.sorted_tables:
            for row in s.execute(core_select(table)):
                found += [str(value).lower() for value in row if value is not None]
    return found


def test_forget_leaves_nothing_naming_them_and_an_honest_history(
    db: Database, admin: Actor
) -> None:
    own, other = _ann_and_bob(db, admin)
    with db.read() as s:
        processed = len(s.exec(select(ProcessedMail)).all())
        assert s.exec(select(AckSent).where(AckSent.address == ANN)).all()
    assert any(ANN in text for text in _every_text(db))

    result = Desk(db, admin, clock=lambda: NOW).contact_forget(ANN.upper())

    assert result.tickets_deleted == (own,) and result.tickets_scrubbed == (other,)
    assert result.opt_out_kept
    texts = _every_text(db)
    assert not [t for t in texts if ANN in t]
    assert not [t for t in texts if NAME.lower() in t]
    assert not [t for t in texts if "forget-me@example.com" in t]
    with db.read() as s:
        assert s.exec(select(Contact).where(Contact.email == ANN)).first() is None
        assert s.exec(select(Ticket).where(Ticket.number == own)).first() is None
        # Bob's ticket keeps its thread; Carl stays in copy, Ann is gone from it.
        bob = s.exec(select(Ticket).where(Ticket.number == other)).one()
        [first, hers, *_] = s.exec(
            select(Message).where(Message.ticket_id == bob.id).order_by(Message.id)
        ).all()
        assert (hers.from_address, hers.author_contact_id) == (None, None)
        assert hers.body.strip() == "Still smoking here. -- [forgotten]"
        assert first.cc_addresses == "carl@example.com"
        assert first.body.strip() == "[forgotten] ([forgotten]) saw it too."
        # The reply to Ann alone, still queued, is withdrawn; the mark of her mail stays.
        assert not [o for o in s.exec(select(Outbox)) if o.to_addresses == "[forgotten]"]
        assert len(s.exec(select(ProcessedMail)).all()) == processed
        assert len(s.exec(select(RawMessage)).all()) == 0  # Ann's and the one naming her
        assert s.exec(select(SurveyOptOutHash)).all()
        deleted = s.exec(select(Event).where(Event.ticket_number == own)).all()
        assert "deleted" in [e.kind for e in deleted]
        assert all(e.old_value is None for e in deleted if e.kind == "deleted")
        [record] = s.exec(select(Event).where(Event.kind == privacy.FORGOTTEN_KIND)).all()
        assert record.actor == admin.name and record.created_at == NOW
        assert record.new_value == f"1 ticket deleted (#{own}); named on 1 other ticket"
    [entry] = Desk(db, admin).contacts_forgotten()
    assert entry.text.startswith(f"{admin.name}: contact forgotten 1 ticket deleted")


def test_mail_from_them_again_is_read_and_no_survey_goes(db: Database, admin: Actor) -> None:
    """Forgetting keeps the "processed" mark (the same mail is not read again) and the
    opt-out, as hashes: their new mail makes a new ticket, resolved without a survey."""
    from tests.mail.mailbuild import email

    own, _other = _ann_and_bob(db, admin)
    Desk(db, admin).contact_forget(ANN)
    again = _ingest(db, email(sender=f"{NAME} <{ANN}>", subject="Me again"))
    assert again != own
    with db.write() as s:
        fields.set_status(s, admin, again, "resolved")
    with db.read() as s:
        assert not s.exec(select(Outbox).where(Outbox.kind == SURVEY_KIND)).all()
        assert s.exec(select(Contact).where(Contact.email == ANN)).one()
    # An admin's "surveys to them again" takes the kept opt-out away too.
    Desk(db, admin).satisfaction_opt_out(ANN, False)
    with db.write() as s:
        fields.set_status(s, admin, again, "open")
    with db.write() as s:
        fields.set_status(s, admin, again, "resolved")
    with db.read() as s:
        assert len(s.exec(select(Outbox).where(Outbox.kind == SURVEY_KIND)).all()) == 1


def test_only_an_admin_forgets_or_exports_and_a_failure_changes_nothing(
    db: Database, admin: Actor, agent_bob: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    own, _other = _ann_and_bob(db, admin)
    before = sorted(_every_text(db))
    with pytest.raises(PermissionDenied, match="only an admin may forget a contact"):
        Desk(db, agent_bob).contact_forget(ANN)
    with pytest.raises(PermissionDenied, match="only an admin may export"):
        Desk(db, agent_bob).contact_export(ANN)

    def fail(*_args: Any) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(privacy, "_summary", fail)  # (the very last step)
    with pytest.raises(Exception, match="disk full"):
        Desk(db, admin).contact_forget(ANN)
    assert sorted(_every_text(db)) == before
    with db.read() as s:
        assert s.exec(select(Ticket).where(Ticket.number == own)).one()


def test_show_says_who_they_are_and_what_the_desk_keeps(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    own, other = _ann_and_bob(db, admin)
    card = Desk(db, agent_bob).contact_show(f" {ANN.upper()} ", copies=True)
    assert (card.address, card.name) == (ANN, NAME)
    assert [(t.number, t.role) for t in card.tickets] == [(own, "requester"), (other, "copy")]
    assert card.survey_opt_out and card.bounce_status == "5.1.1"
    assert card.acknowledgements == 1
    assert card.as_json()["tickets"][0]["subject"] == "Forget me"
    # By keys only (at once on any desk): the same, Bob's ticket found by the people it
    # copies (``ticket_copy``), the messages naming her elsewhere not looked for.
    quick = Desk(db, agent_bob).contact_show(ANN)
    assert [(t.number, t.role) for t in quick.tickets] == [(own, "requester"), (other, "copy")]
    assert not quick.copies_read
    assert (quick.survey_opt_out, quick.bounce_status, quick.acknowledgements) == (
        True,
        "5.1.1",
        1,
    )
    # Carl, in copy of Bob's mail, has no contact row: only the ticket copying him, found
    # by keys too.
    carl = Desk(db, agent_bob).contact_show("carl@example.com")
    assert (carl.name, [(t.number, t.role) for t in carl.tickets]) == (None, [(other, "copy")])
    assert Desk(db, agent_bob).contact_show("carl@example.com", copies=True).tickets == carl.tickets
    assert Desk(db, admin).contact_forget("carl@example.com").tickets_scrubbed == (other,)
    with pytest.raises(NotFound):
        Desk(db, agent_bob).contact_show("carl@example.com", copies=True)
    assert Desk(db, agent_bob).contact_show(ANN, copies=True).tickets == card.tickets
    with pytest.raises(NotFound, match=r"keeps nothing about nobody@example\.com \(other"):
        Desk(db, agent_bob).contact_show("nobody@example.com")
    with pytest.raises(InvalidValue, match="not an email address"):
        Desk(db, agent_bob).contact_show("ann@example.com\x1b[2J")


BIG = ("message", "event", "outbox", "ticket")
HELD = ("mail_spam", "mail_machine", "mail_quarantine")


def _whole_reads(
    db: Database, action: Callable[[], object], tables: Sequence[str], *, newest: bool = False
) -> list[str]:
    """The plan lines of the statements ``action`` sends that read one of ``tables`` whole
    (a scan, or an index walked with no condition: PostgreSQL's way when told not to scan).
    With ``newest``, the desk's change mark is not counted: its newest 100 events and
    outgoing mail, a walk back from the newest id that stops there (``queue.newest_ids``)."""
    from sqlalchemy import event as sa_event

    sent: list[tuple[str, Any]] = []

    def remember(_c: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        sent.append((statement, params))

    sa_event.listen(db.engine, "before_cursor_execute", remember)
    try:
        action()
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", remember)
    lines: list[str] = []
    with db.engine.connect() as conn:
        if not db.is_sqlite:
            conn.exec_driver_sql("SET enable_seqscan = off")
        explain = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
        for statement, params in sent:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            if newest and re.search(r"ORDER BY (event|outbox)\.id DESC[^;]*LIMIT", statement):
                continue
            rows = conn.exec_driver_sql(explain + statement, params).all()
            lines += [str(row[-1] if db.is_sqlite else row[0]).strip() for row in rows]
    if db.is_sqlite:
        return [line for line in lines if line.split(" ")[:2] in (["SCAN", t] for t in tables)]
    return [
        line
        for line, after in zip(lines, [*lines[1:], ""], strict=True)
        if "Scan" in line
        and any(f" on {t} " in line or line.endswith(f" on {t}") for t in tables)
        and not after.startswith(("Index Cond", "Recheck Cond"))
    ]


def test_show_reads_by_keys_only_and_copies_read_the_desk(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """``contact show`` answers at once on a desk of a million tickets: every statement
    it sends walks an index, held mail's too (migration 0040); ``copies`` reads the desk."""
    _ann_and_bob(db, admin)
    _hold_mail_from_ann(db)
    desk = Desk(db, agent_bob)
    assert desk.contact_show(ANN).held_mail == 3
    assert not _whole_reads(db, lambda: desk.contact_show(ANN), (*BIG, *HELD))
    assert _whole_reads(db, lambda: desk.contact_show(ANN, copies=True), BIG)  # (asked for)


def test_export_reads_the_history_by_keys(db: Database, admin: Actor) -> None:
    """The export read every event of the desk (12 s at a million tickets) for the ones
    naming them: it reads the events of the tickets that name them, by ticket id."""
    _ann_and_bob(db, admin)
    desk = Desk(db, admin)
    assert desk.contact_export(ANN)["events_elsewhere"]
    assert not _whole_reads(db, lambda: desk.contact_export(ANN), ("event", *HELD))


def _hold_mail_from_ann(db: Database) -> None:
    from helpdesk_tui.storage.mail_models import MachineMail, QuarantinedMail, SpamMail

    with db.write() as s:
        raw = RawMessage(sha256="0" * 64, content=b"x")
        s.add(raw)
        s.flush()
        assert raw.id is not None
        s.add(SpamMail(raw_message_id=raw.id, reason="block list", from_address=ANN.upper()))
        s.add(MachineMail(raw_message_id=raw.id, kind="receipt", reason="r", from_address=ANN))
        s.add(QuarantinedMail(raw_message_id=raw.id, reason="bad", from_hint=ANN))


def test_a_ticket_they_were_requester_of_once_is_scrubbed_too(db: Database, admin: Actor) -> None:
    """A ticket whose requester (or ``Reply-To``) was them and was changed away names them
    in its history alone: export shows those events, forget scrubs them (found by key)."""
    with db.write() as s:
        moved = create_ticket(s, admin, subject="Moved", body="b", requester_email=ANN).number
        fields.set_requester_email(s, admin, moved, "bob@example.com")
        other = create_ticket(s, admin, subject="Re", body="b", requester_email="dee@x.org")
        fields.set_reply_to(s, admin, other.number, ANN)
        fields.set_reply_to(s, admin, other.number, None)
    data = Desk(db, admin).contact_export(ANN)
    named = [(e["ticket"], e["field"]) for e in data["events_elsewhere"]]
    assert named == [(moved, "requester"), *[(other.number, "reply_to")] * 2]
    Desk(db, admin).contact_forget(ANN)
    assert not [t for t in _every_text(db) if ANN in t]


def test_forget_does_what_the_plan_read_for_the_question(db: Database, admin: Actor) -> None:
    """``contact forget`` without ``--yes`` read the whole desk for the question and again
    for the work: the plan's read is carried out, the forget itself reads by keys — the
    "processed" marks of their mail too (an OR of three lookups read them all)."""
    own, other = _ann_and_bob(db, admin)
    desk = Desk(db, admin)
    plan = desk.contact_forget_plan(ANN)
    result: list[privacy.ForgetResult] = []
    forget = lambda: result.append(desk.contact_forget(ANN, plan))  # noqa: E731
    assert not _whole_reads(db, forget, (*BIG, "mail_processed"), newest=True)
    assert (result[0].tickets_deleted, result[0].tickets_scrubbed) == ((own,), (other,))
    assert not [t for t in _every_text(db) if ANN in t]


def test_what_came_after_the_plan_is_forgotten_too(db: Database, admin: Actor) -> None:
    """Mail from them, or naming them, filed between the question and the answer moves the
    desk's change mark: the forget reads the desk again and takes it too."""
    from tests.mail.mailbuild import email

    own, other = _ann_and_bob(db, admin)
    desk = Desk(db, admin)
    plan = desk.contact_forget_plan(ANN)
    late = _ingest(db, email(sender=f"{NAME} <{ANN}>", subject="Meanwhile"))
    copied = _ingest(db, email(sender="Dee <dee@example.com>", headers=[f"Cc: {ANN}"]))
    result = desk.contact_forget(ANN, plan)
    assert (result.tickets_deleted, result.tickets_scrubbed) == ((own, late), (other, copied))
    assert not [t for t in _every_text(db) if ANN in t]
    # Mail of no ticket writes no event: the newest outgoing mail moves the mark alone.
    plan = desk.contact_forget_plan("carl@example.com")
    with db.write() as s:
        _mail_of_no_ticket(s, "carl@example.com")
    assert desk.contact_forget("carl@example.com", plan).mail_scrubbed == 1
    assert not [t for t in _every_text(db) if "carl@example.com" in t]


def _mail_of_no_ticket(session: Any, to: str) -> None:
    """An outgoing mail of no ticket, sent (kept, scrubbed by a forget), and no event."""
    session.add(
        Outbox(kind="notice", to_addresses=to, subject="s", body="b", status="sent", created_at=NOW)
    )


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_mail_committed_late_after_the_plan_is_forgotten_too(db: Database, admin: Actor) -> None:
    """On PostgreSQL a transaction that took an outbox id before another may commit after
    it: the plan's newest outgoing mail did not move, and a mail of no ticket to them (no
    event) committed after the question kept their address. The mark counts the newest
    mail within ``queue.LATE_COMMITS`` of it, as it counts the events."""
    from sqlmodel import Session

    _ann_and_bob(db, admin)
    desk = Desk(db, admin)
    with Session(db.engine) as early:
        _mail_of_no_ticket(early, ANN)
        early.flush()  # (its id taken, not committed)
        with db.write() as s:
            _mail_of_no_ticket(s, "dee@example.com")  # (a later id, committed first)
        plan = desk.contact_forget_plan(ANN)
        early.commit()
    desk.contact_forget(ANN, plan)
    assert not [t for t in _every_text(db) if ANN in t]


def test_a_forget_stopped_between_two_statements_ends_there_and_changes_nothing(
    db: Database, admin: Actor
) -> None:
    """A stop that came between two statements was lost (SQLite's interrupt when none
    runs, PostgreSQL's cancel of an idle connection; SQLite's progress handler looks only
    every 100k steps, which a short statement never takes): the rest of the forget ran.
    Stopped right after its first delete, no statement of it runs after the stop."""
    from sqlalchemy import event as sa_event

    from helpdesk_tui.desk.read_stop import ReadStop, ReadStopped

    _ann_and_bob(db, admin)
    before = sorted(_every_text(db))
    stop = ReadStop()
    ran_after: list[str] = []

    def after(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if stop.stopped:
            ran_after.append(statement.split("\n")[0])
        elif statement.lstrip().startswith("DELETE"):
            stop.stop()  # (the statement done, the next one not begun)

    sa_event.listen(db.engine, "after_cursor_execute", after)
    try:
        with pytest.raises(ReadStopped):
            Desk(db, admin).contact_forget(ANN, stop=stop)
    finally:
        sa_event.remove(db.engine, "after_cursor_execute", after)
    assert sorted(_every_text(db)) == before
    assert ran_after == []


def test_export_holds_their_tickets_and_what_names_them_elsewhere(
    db: Database, admin: Actor
) -> None:
    own, other = _ann_and_bob(db, admin)
    data = Desk(db, admin).contact_export(ANN)
    assert data["contact"]["name"] == NAME
    [ticket] = data["tickets"]
    assert ticket["number"] == own
    assert "555-0100" in ticket["messages"][0]["body"]
    assert [m["ticket"] for m in data["messages_elsewhere"]] == [other, other]
    assert "Still smoking" in data["messages_elsewhere"][1]["body"]
    assert [m["to"] for m in data["mail_elsewhere"]] == [ANN]
    # (Bob's mail had her in Cc: she is one of the people his ticket copies)
    assert [e["new"] for e in data["events_elsewhere"]] == [ANN, f"to {ANN}"]
    assert len(data["acknowledgements"]) == 1


def test_the_lister_lists_one_requesters_tickets_by_address(db: Database, admin: Actor) -> None:
    with db.write() as s:
        mine = [
            create_ticket(s, admin, subject=f"T{n}", body="b", requester_email=ANN).number
            for n in range(3)
        ]
        create_ticket(s, admin, subject="Other", body="b", requester_email="bob@example.com")
    desk = Desk(db, admin)

    def listed(address: str, **more: Any) -> list[int]:
        query = QueueQuery(TicketFilter(requester=address, **more), sort="number")
        return [row.number for row in desk.tickets_rows(query, limit=0)]

    assert listed(ANN.upper()) == sorted(mine, reverse=True)
    assert listed(ANN, statuses=("closed",)) == []
    assert listed("nobody@example.com") == []
    with pytest.raises(InvalidValue, match="not an email address"):
        listed("ann@example.com, bob@example.com")


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_ticket_the_poller_makes_meanwhile_is_forgotten_too(db: Database, admin: Actor) -> None:
    """The poller files new mail from them while an admin forgets them: the forget waits
    for the poller's transaction and takes its ticket too (it read theirs before)."""
    import threading

    from sqlalchemy import text

    from tests.mail.mailbuild import email

    own, _other = _ann_and_bob(db, admin)
    results: list[object] = []

    def forget() -> None:
        try:
            results.append(Desk(db, admin).contact_forget(ANN))
        except Exception as error:  # (reported by the assert below)
            results.append(error)

    from helpdesk_tui.config import IntakeOptions
    from helpdesk_tui.mail.ingest import IngestConfig, ingest
    from tests.mail.mailbuild import mail_settings

    config = IngestConfig.from_options(IntakeOptions(mail_settings(), "Desk Support"))
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    with db.write() as s:
        late = ingest(s, email(sender=f"{NAME} <{ANN}>", subject="Meanwhile"), config, now=NOW)
        assert late.ticket_number is not None and late.ticket_number != own
        worker = threading.Thread(target=forget)
        worker.start()
        with db.engine.connect() as watch:
            blocked = threading.Event()
            for _ in range(3000):  # until the forget waits on the poller's locks (≤ 30 s)
                seen = watch.execute(waiting).scalar_one()
                # (each look its own transaction: PostgreSQL keeps one snapshot of
                # pg_stat_activity for a transaction, so a first look taken before the forget
                # began to wait was all the later ones saw; it failed under load)
                watch.rollback()
                if seen:
                    break
                blocked.wait(0.01)
            else:
                pytest.fail(f"the forget did not wait for the poller: {results}")
    worker.join(timeout=60)
    [result] = results
    assert isinstance(result, privacy.ForgetResult), result
    assert result.tickets_deleted == (own, late.ticket_number)
    assert not [t for t in _every_text(db) if ANN in t]


def test_a_customer_called_like_a_team_leaves_the_desk_s_words_as_they_were(
    db: Database, admin: Actor
) -> None:
    """A contact named "Support" scrubbed the team Support out of every ticket's history
    (its name was matched in every event of the desk): their name now goes only from the
    tickets that name them, and never from a value of the desk's own words."""
    from tests.mail.mailbuild import email

    own = _ingest(db, email(sender="Support <help@acme.example>", subject="Forget us", body="x"))
    copied = _ingest(
        db,
        email(
            sender="Bob <bob@example.com>",
            subject="Printer",
            headers=["Cc: Support <help@acme.example>"],
            body="Support said to restart it.",
        ),
    )
    unrelated = _ingest(db, email(sender="Dee <dee@example.com>", subject="VPN", body="y"))
    with db.write() as s:
        for number in (copied, unrelated):
            fields.assign(s, admin, number, team="Support")
    Desk(db, admin, clock=lambda: NOW).contact_forget("help@acme.example")
    with db.read() as s:
        teams = {
            t.number: s.exec(
                select(Event.new_value).where(Event.ticket_id == t.id, Event.field == "team")
            ).all()
            for t in s.exec(select(Ticket).where(Ticket.number.in_([copied, unrelated])))
        }
        body = s.exec(select(Message.body).where(Message.body.contains("restart"))).one()
    assert teams == {copied: ["Support"], unrelated: ["Support"]}
    assert body.strip() == "[forgotten] said to restart it."
    assert own not in teams
