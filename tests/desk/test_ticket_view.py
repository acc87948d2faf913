from __future__ import annotations

import re

from sqlalchemy import event
from sqlmodel import select

from helpdesk_tui.desk import fields, thread
from helpdesk_tui.desk.actors import MAIL, Actor
from helpdesk_tui.desk.ticket_view import find_tickets, load_view
from helpdesk_tui.desk.tickets import EmailMeta, NewAttachment, create_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Outbox


def test_view_of_a_ticket_with_its_thread_and_context(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    with db.write() as s:
        first = create_ticket(
            s,
            admin,
            subject="Printer jam",
            body="Paper stuck",
            requester_email="ann@example.com",
            requester_name="Ann",
        ).number
        other = create_ticket(
            s, admin, subject="Toner low", body="Grey prints", requester_email="ann@example.com"
        ).number
    with db.write() as s:
        files = (NewAttachment("jam.jpg", b"12345"),)
        thread.add_customer_message(
            s, MAIL, first, body="photo", email=EmailMeta(attachments=files)
        )
        thread.add_note(s, agent_bob, first, body="on it")
        fields.set_priority(s, agent_bob, first, "high")
    with db.read() as s:
        view = load_view(s, first)
    assert [(e.kind, e.author) for e in view.entries] == [
        ("customer", "Ann"),
        ("customer", "Ann"),
        ("note", "bob"),
        ("system", "bob"),
    ]
    assert view.entries[-1].body == "bob: priority normal → high"
    assert [(a.filename, a.size) for a in view.entries[1].attachments] == [("jam.jpg", 5)]
    assert [row.number for row in view.other_tickets] == [other]
    assert view.watermark.version == view.row.version == 4
    assert view.watermark.last_message_id == max(e.message_id or 0 for e in view.entries)


def test_find_tickets_by_number_or_words(db: Database, admin: Actor) -> None:
    with db.write() as s:
        number = create_ticket(s, admin, subject="VPN tunnel drops", body="since Monday").number
        create_ticket(s, admin, subject="Printer", body="jam")
    with db.read() as s:
        assert [r.number for r in find_tickets(s, f"#{number}")] == [number]
        assert [r.number for r in find_tickets(s, str(number))] == [number]
        assert find_tickets(s, "#99999") == []
        assert [r.number for r in find_tickets(s, "tunnel")] == [number]
        assert len(find_tickets(s, "")) == 2


def test_each_reply_carries_how_its_email_went(db: Database, admin: Actor) -> None:
    with db.write() as s:
        number = create_ticket(
            s, admin, subject="Printer jam", body="Paper stuck", requester_email="ann@example.com"
        ).number
    with db.write() as s:
        thread.reply(s, admin, number, body="Open the tray.")
        second = thread.reply(s, admin, number, body="Did it help?")
        thread.add_note(s, admin, number, body="never mailed")
    with db.write() as s:
        row = s.exec(select(Outbox).where(Outbox.message_id == second)).one()
        row.status, row.attempts, row.last_error = "failed", 8, "550 no such user"
        s.add(row)
    with db.read() as s:
        view = load_view(s, number)
    by_body = {e.body: e.delivery for e in view.entries}
    assert by_body["Open the tray."] is not None and by_body["Open the tray."].status == "queued"
    failed = by_body["Did it help?"]
    assert failed is not None and (failed.status, failed.last_error) == (
        "failed",
        "550 no such user",
    )
    assert by_body["never mailed"] is None and by_body["Paper stuck"] is None


def test_opening_a_ticket_reads_the_agents_once(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """The thread's authors come from one read of the agents, passed along (not one per
    message, nor a second list for the view)."""
    with db.write() as s:
        number = create_ticket(s, admin, subject="VPN", body="down").number
        thread.add_note(s, agent_bob, number, body="looking")
        thread.add_note(s, admin, number, body="me too")
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with db.read() as s:
            view = load_view(s, number)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert [e.author for e in view.entries if e.kind == "note"] == ["bob", "ada"]
    assert len([q for q in statements if re.search(r"\bFROM agent\b", q)]) == 1


def test_a_long_tickets_newest_changes_are_an_index_walk(db: Database, admin: Actor) -> None:
    """The screen's first read of a ticket's newest changes walks ``ix_event_ticket_id``
    back from the newest and stops: no sort of all the ticket's events (a temporary B-tree
    on SQLite, a Sort on PostgreSQL, with sorts and sequential scans costed out there as
    in test_queue_plans), whatever order a merge left their versions in."""
    with db.write() as s:
        number = create_ticket(s, admin, subject="VPN", body="down").number
    for priority in ("high", "low", "urgent"):
        with db.write() as s:
            fields.set_priority(s, admin, number, priority)
    sent: list[tuple[str, object]] = []

    def seen(_c: object, _cursor: object, statement: str, params: object, *_: object) -> None:
        if re.search(r"\bFROM event\b", statement) and "LIMIT" in statement:
            sent.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with db.read() as s:
            view = load_view(s, number, latest=2)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert [line.text for line in view.history] == [
        "ada: priority high → low",
        "ada: priority low → urgent",
    ]
    ((statement, params),) = sent
    with db.engine.connect() as conn:
        if db.is_sqlite:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            plan = " | ".join(str(row[-1]) for row in rows)
            assert "USING INDEX ix_event_ticket_id" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
            return
        for setting in ("seqscan", "bitmapscan", "sort"):
            conn.exec_driver_sql(f"SET enable_{setting} = off")
        plan = " | ".join(
            str(row[0]) for row in conn.exec_driver_sql("EXPLAIN " + statement, params)
        )
        assert "ix_event_ticket_id" in plan, plan
        assert "Sort" not in plan and "Seq Scan" not in plan, plan
