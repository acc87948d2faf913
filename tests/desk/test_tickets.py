from __future__ import annotations

import pytest
from sqlmodel import select

from helpdesk_tui.desk import fields, relations, sla_clock, sla_marks, thread
from helpdesk_tui.desk.activity import since, watermark
from helpdesk_tui.desk.actors import MAIL, Actor
from helpdesk_tui.desk.agents import ensure_team
from helpdesk_tui.desk.errors import (
    Conflict,
    InvalidTransition,
    InvalidValue,
    NotFound,
    PermissionDenied,
)
from helpdesk_tui.desk.queries import ticket_detail, ticket_row
from helpdesk_tui.desk.queue import QueueQuery, first_page, page_after, page_before, position
from helpdesk_tui.desk.queue_values import TicketFilter
from helpdesk_tui.desk.ticket_rows import rows_by_id
from helpdesk_tui.desk.ticket_rows import ticket_row as rows_ticket_row
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Event, Outbox, Ticket
from tests.desk.conftest import on_sqlite_only


def _new(db: Database, actor: Actor, subject: str = "Printer on fire", **kw: object) -> int:
    with db.write() as s:
        return create_ticket(
            s, actor, subject=subject, body="It smokes.", requester_email="ann@example.com", **kw
        ).number


def test_create_numbers_are_sequential_and_event_written(db: Database, admin: Actor) -> None:
    first, second = _new(db, admin), _new(db, admin, "Second")
    assert second == first + 1
    with db.read() as s:
        detail = ticket_detail(s, first)
    assert detail.row.requester_email == "ann@example.com"
    assert detail.row.status == "new" and detail.row.version == 1
    assert [e.kind for e in detail.events] == ["created"]
    assert detail.messages[0].body == "It smokes."


@pytest.mark.parametrize("priority", ["urgent", "low"])
def test_a_new_tickets_clocks_are_written_with_it_not_recomputed_after(
    db: Database, admin: Actor, priority: str
) -> None:
    """Its due times are those a recompute from its history gives, and its ``created``
    event leaves nothing for the commit to recompute (no second write of the new row)."""
    with db.write_rows() as conn:
        new = create_ticket(
            conn, admin, subject="Printer", body="x", requester_email="ann@example.com",
            priority=priority,
        )  # fmt: skip
        assert sla_marks.MARKED not in conn.info
        assert sla_clock.refresh(conn, [new.id]) == 0
        due = conn.execute(select(Ticket.response_due_at).where(Ticket.id == new.id)).scalar()
    assert due is not None


def test_change_bumps_version_and_records_old_and_new(db: Database, admin: Actor) -> None:
    number = _new(db, admin)
    with db.write() as s:
        ticket = fields.set_priority(s, admin, number, "urgent", expected_version=1)
        assert ticket.version == 2
    with db.write() as s:
        fields.set_priority(s, admin, number, "urgent", expected_version=2)  # no change
    with db.read() as s:
        detail = ticket_detail(s, number)
    assert detail.row.version == 2
    last = detail.events[-1]
    assert (last.actor, last.field, last.old_value, last.new_value) == (
        "ada",
        "priority",
        "normal",
        "urgent",
    )


def test_stale_version_is_refused_naming_who_changed_what(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    number = _new(db, admin)
    with db.write() as s:
        fields.set_status(s, agent_bob, number, "waiting", expected_version=1)
    with pytest.raises(Conflict) as caught, db.write() as s:
        fields.set_priority(s, admin, number, "high", expected_version=1)
    assert "bob" in str(caught.value) and "status new → waiting" in str(caught.value)
    with db.read() as s:
        assert ticket_detail(s, number).row.priority == "normal"


@on_sqlite_only("tests/desk/test_tickets.py::test_change_bumps_version_and_records_old_and_new")
def test_status_transitions_are_checked(db: Database, admin: Actor) -> None:
    number = _new(db, admin)
    with db.write() as s:
        fields.set_status(s, admin, number, "closed")
    with pytest.raises(InvalidTransition, match="closed"), db.write() as s:
        fields.set_status(s, admin, number, "open")
    with pytest.raises(InvalidValue, match="allowed"), db.write() as s:
        fields.set_status(s, admin, number, "bogus")


def test_reply_queues_outbox_in_same_transaction_and_opens(db: Database, admin: Actor) -> None:
    number = _new(db, admin)
    with db.write() as s:
        thread.reply(s, admin, number, body="We are on it.")
    with db.read() as s:
        outbox = s.exec(select(Outbox)).all()
        ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
    assert [o.to_addresses for o in outbox] == ["ann@example.com"]
    assert f"[#{number}]" in outbox[0].subject
    assert ticket.status == "open" and ticket.first_response_at is not None


def test_failed_transaction_leaves_no_outbox(db: Database, admin: Actor) -> None:
    number = _new(db, admin)
    with pytest.raises(RuntimeError), db.write() as s:
        thread.reply(s, admin, number, body="Lost?")
        raise RuntimeError("crash after reply")
    with db.read() as s:
        assert s.exec(select(Outbox)).all() == []


def test_note_never_queues_mail(db: Database, admin: Actor) -> None:
    number = _new(db, admin)
    with db.write() as s:
        thread.add_note(s, admin, number, body="Internal only")
    with db.read() as s:
        assert s.exec(select(Outbox)).all() == []
        assert ticket_detail(s, number).messages[-1].kind == "note"


@pytest.mark.parametrize("status", ["waiting", "resolved"])
def test_customer_message_reopens(db: Database, admin: Actor, status: str) -> None:
    number = _new(db, admin)
    with db.write() as s:
        fields.set_status(s, admin, number, status)
    with db.write() as s:
        ticket, _ = thread.add_customer_message(s, MAIL, number, body="Still broken")
        assert ticket.number == number and ticket.status == "open"


def test_customer_message_on_closed_opens_linked_ticket(db: Database, admin: Actor) -> None:
    number = _new(db, admin)
    with db.write() as s:
        fields.set_status(s, admin, number, "closed")
    with db.write() as s:
        ticket, _ = thread.add_customer_message(s, MAIL, number, body="Again!")
        new_number = ticket.number
    assert new_number != number
    with db.read() as s:
        detail = ticket_detail(s, new_number)
        old = ticket_detail(s, number)
    assert ("follow_up", number) in detail.links
    assert detail.messages[0].body == "Again!"
    assert old.row.status == "closed"


def test_assign_tags_tier_escalate(db: Database, admin: Actor, agent_bob: Actor) -> None:
    number = _new(db, admin, tags=["printer"])
    with db.write() as s:
        ensure_team(s, "Network")
        fields.assign(s, admin, number, agent="bob", team="Support")
        fields.set_tags(s, admin, number, add=["Fire Hazard"], remove=["printer"])
        fields.escalate(s, admin, number, team="Network")
    with db.read() as s:
        detail = ticket_detail(s, number)
    assert detail.tags == ["fire-hazard"]
    assert detail.row.tier == 2 and detail.row.team == "Network" and detail.row.assignee is None
    kinds = [(e.kind, e.field, e.old_value, e.new_value) for e in detail.events if e.field]
    assert ("assignee", "assignee", None, "bob") in kinds
    # The escalation is one event of its own kind: tier and team before and after, and why
    # (the assign above is the only team event; no separate tier or assignee-cleared ones).
    assert kinds[-1] == ("escalated", "manual", "tier 1, Support", "tier 2, Network")
    assert [k[0] for k in kinds].count("team") == 1 and "tier" not in [k[0] for k in kinds]
    assert [k for k in kinds if k[0] == "assignee"] == [("assignee", "assignee", None, "bob")]
    assert detail.events[-1].text == (
        "ada: escalated from tier 1 (Support) to tier 2 (Network), manual"
    )


def test_escalate_needs_a_known_team(db: Database, admin: Actor) -> None:
    number = _new(db, admin)
    with pytest.raises(NotFound, match="no team"), db.write() as s:
        fields.escalate(s, admin, number, team="Nowhere")


def test_merge_moves_messages_and_history(db: Database, admin: Actor) -> None:
    source, target = _new(db, admin, "dup"), _new(db, admin, "original")
    with db.write() as s:
        relations.merge(s, admin, source, target)
    with db.read() as s:
        merged = ticket_detail(s, target)
        closed = ticket_detail(s, source)
    assert len(merged.messages) == 2
    assert closed.row.status == "closed" and closed.merged_into == target
    assert any(e.kind == "merged" for e in merged.events)
    with pytest.raises(InvalidTransition, match="already merged"), db.write() as s:
        relations.merge(s, admin, target, source)


def test_merged_in_history_is_not_news_to_a_stale_write(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """Events moved in by a merge keep the source's versions; a conflict names only the new."""
    source, target = _new(db, admin, "dup"), _new(db, admin, "original")
    with db.write() as s:
        for tag in ("a", "b", "c", "d"):
            fields.set_tags(s, admin, source, add=[tag])
        relations.merge(s, admin, source, target)
    with db.read() as s:
        mark = watermark(s, target)
    with db.write() as s:
        fields.set_status(s, agent_bob, target, "waiting", expected_version=mark.version)
    with pytest.raises(Conflict) as caught, db.write() as s:
        fields.set_priority(s, admin, target, "high", expected_version=mark.version)
    assert caught.value.changes == ["bob: status new → waiting"]
    with db.read() as s:
        assert [a.what for a in since(s, mark).arrivals] == ["status new → waiting"]


def test_only_admin_deletes_and_event_remains(db: Database, admin: Actor, agent_bob: Actor) -> None:
    number = _new(db, admin)
    with pytest.raises(PermissionDenied), db.write() as s:
        relations.delete_ticket(s, agent_bob, number)
    with db.write() as s:
        relations.delete_ticket(s, admin, number)
    with db.read() as s:
        events = s.exec(select(Event).where(Event.ticket_number == number)).all()
        assert "deleted" in [e.kind for e in events]
    with pytest.raises(NotFound), db.read() as s:
        ticket_detail(s, number)


def test_a_deleted_ticket_takes_its_mail_along(db: Database, admin: Actor) -> None:
    """A customer asks to be forgotten: deleting their ticket deletes the raw mail it came
    from and the mail it caused (the acknowledgement, a reply still queued: never sent),
    not only its messages; the record that the mail was read stays, so it is not read
    again, and so does the ``deleted`` event."""
    from helpdesk_tui.config import IntakeOptions
    from helpdesk_tui.mail.ingest import IngestConfig, ingest
    from helpdesk_tui.storage.mail_models import ProcessedMail
    from helpdesk_tui.storage.models import RawMessage, utcnow
    from tests.mail.mailbuild import email, mail_settings

    config = IngestConfig.from_options(IntakeOptions(mail_settings(), "Desk Support"))
    raw = email(sender="Ann <ann@example.com>", subject="Forget me", message_id="<f@example.com>")
    with db.write() as s:
        number = ingest(s, raw, config, now=utcnow()).ticket_number
    assert number is not None
    with db.write() as s:
        thread.reply(s, admin, number, body="Done, Ann.")
    with db.read() as s:
        assert len(s.exec(select(Outbox)).all()) == 2  # the acknowledgement and the reply
        assert len(s.exec(select(RawMessage)).all()) == 1
    with db.write() as s:
        relations.delete_ticket(s, admin, number)
    with db.read() as s:
        assert s.exec(select(Outbox)).all() == []
        assert s.exec(select(RawMessage)).all() == []
        assert len(s.exec(select(ProcessedMail)).all()) == 1
        events = s.exec(select(Event).where(Event.ticket_number == number)).all()
        assert ("deleted", "Forget me") in [(e.kind, e.old_value) for e in events]


def test_a_tickets_row_by_number_is_the_listers_row(db: Database, admin: Actor) -> None:
    """``ticket_row`` (every write's answer, SQL text) reads the row the lister's Core query
    does: the same columns, joins and types, with and without a requester's name, an
    assignee, a team and pending clocks."""
    plain = _new(db, admin, "Plain")
    with db.write() as s:
        named = create_ticket(
            s, admin, subject="Named", body="b", requester_email="bo@example.com",
            requester_name="Bo Brown", priority="urgent",
        ).number  # fmt: skip
        fields.assign(s, admin, named, agent=admin.name, team="Support")
        fields.set_status(s, admin, plain, "waiting")
    with db.read() as s:
        for number in (plain, named):
            row = rows_ticket_row(s, number)
            assert row is not None
            assert rows_by_id(s, [row.id]) == [row]
        assert rows_ticket_row(s, named + 1) is None
    assert row.assignee == admin.name and row.team == "Support"
    assert row.requester_name == "Bo Brown" and row.created_at.tzinfo is not None


def test_list_filters_and_keyset_pages(db: Database, admin: Actor) -> None:
    numbers = [_new(db, admin, f"T{i}") for i in range(7)]
    with db.write() as s:
        fields.set_status(s, admin, numbers[0], "waiting")
    by_number = QueueQuery(sort="number", descending=False)
    with db.read() as s:
        waiting = first_page(s, QueueQuery(TicketFilter(statuses=["waiting"])), 50)
        assert [r.number for r in waiting.rows] == [numbers[0]]
        seen: list[int] = []
        page = first_page(s, by_number, 3)
        while True:
            seen += [r.number for r in page.rows]
            if not page.more_after:
                break
            page = page_after(s, by_number, position(by_number, page.rows[-1]), 3)
        assert seen == numbers
        last = ticket_row(s, numbers[6])
        assert last is not None
        back = page_before(s, by_number, position(by_number, last), 3)
        assert [r.number for r in back.rows] == numbers[3:6]
