"""Actions people can undo or must confirm: reopening, merging across requesters, replies
that have nowhere to go. Desk rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from helpdesk_tui.desk import fields, relations, thread
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.desk.errors import (
    InvalidTransition,
    InvalidValue,
    NeedsConfirmation,
    NoAddress,
    PermissionDenied,
)
from helpdesk_tui.desk.merge_plan import read_merge_plan
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.desk.statuses import asks_before, may_reopen, parse_status
from helpdesk_tui.desk.ticket_record import save
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Contact, Event, Message, Outbox, Status
from tests.desk.conftest import on_sqlite_only


@pytest.fixture
def supervisor(db: Database, admin: Actor) -> Actor:
    with db.write() as s:
        agent = add_agent(s, admin, "sue", name="Sue Super", role="supervisor")
        return Actor(name=agent.login, agent_id=agent.id, role=agent.role)


def _new(db: Database, actor: Actor, email: str | None = "ann@example.com") -> int:
    with db.write() as s:
        return create_ticket(
            s, actor, subject="Printer on fire", body="It smokes.", requester_email=email
        ).number


def _closed(db: Database, actor: Actor) -> int:
    number = _new(db, actor)
    with db.write() as s:
        fields.set_status(s, actor, number, "closed")
    return number


def test_closing_is_the_status_that_asks_first() -> None:
    assert asks_before(parse_status("closed"))
    assert not any(asks_before(s) for s in Status if s is not Status.CLOSED)


def test_supervisor_reopens_a_closed_ticket_and_the_event_says_who_and_why(
    db: Database, admin: Actor, supervisor: Actor
) -> None:
    number = _closed(db, admin)
    with db.write() as s:
        ticket = fields.reopen(s, supervisor, number, reason="  customer  still stuck ")
        assert ticket.closed_at is None
    with db.read() as s:
        detail = ticket_detail(s, number)
        reopened = s.exec(
            select(Event).where(Event.ticket_number == number, Event.kind == "reopened")
        ).one()
    assert detail.row.status == "open"
    assert (reopened.actor, reopened.new_value) == ("sue", "customer still stuck")
    status_events = [(e.old_value, e.new_value) for e in detail.events if e.field == "status"]
    assert status_events[-1] == ("closed", "open")


def test_admin_reopens_but_an_agent_cannot(db: Database, admin: Actor, agent_bob: Actor) -> None:
    assert not may_reopen(agent_bob) and may_reopen(admin)
    number = _closed(db, admin)
    with pytest.raises(PermissionDenied, match="supervisor or an admin"), db.write() as s:
        fields.reopen(s, agent_bob, number, reason="please")
    with db.write() as s:
        fields.reopen(s, admin, number, reason="closed by mistake")
    with db.read() as s:
        assert ticket_detail(s, number).row.status == "open"


def test_reopen_needs_a_reason_a_closed_ticket_and_no_merge(db: Database, admin: Actor) -> None:
    number = _closed(db, admin)
    with pytest.raises(InvalidValue, match="reason"), db.write() as s:
        fields.reopen(s, admin, number, reason="   ")
    still_open = _new(db, admin)
    with pytest.raises(InvalidTransition, match="not closed"), db.write() as s:
        fields.reopen(s, admin, still_open, reason="why not")
    merged = _new(db, admin)
    with db.write() as s:
        relations.merge(s, admin, merged, still_open)
    with pytest.raises(InvalidTransition, match=f"merged into #{still_open}"), db.write() as s:
        fields.reopen(s, admin, merged, reason="undo the merge")


def test_a_closed_ticket_still_refuses_plain_status_changes_pointing_to_reopen(
    db: Database, admin: Actor
) -> None:
    number = _closed(db, admin)
    with pytest.raises(InvalidTransition, match="reopen"), db.write() as s:
        fields.set_status(s, admin, number, "open")


def test_merging_different_requesters_needs_confirmation(db: Database, admin: Actor) -> None:
    ann = _new(db, admin, "ann@example.com")
    ben = _new(db, admin, "ben@example.com")
    with db.read() as s:
        plan = read_merge_plan(s, ann, ben)
    assert plan.different_requesters
    assert "ann@example.com" in plan.warning and "ben@example.com" in plan.warning
    with pytest.raises(NeedsConfirmation, match=r"ben@example\.com"), db.write() as s:
        relations.merge(s, admin, ann, ben)
    with db.read() as s:
        assert ticket_detail(s, ann).row.status == "new"  # nothing happened
    with db.write() as s:
        relations.merge(s, admin, ann, ben, different_requesters=True)
    with db.read() as s:
        assert ticket_detail(s, ann).row.status == "closed"


def test_merging_the_same_requester_asks_nothing(db: Database, admin: Actor) -> None:
    first, second = _new(db, admin), _new(db, admin)
    nobody = _new(db, admin, None)
    with db.read() as s:
        assert not read_merge_plan(s, first, second).different_requesters
        assert not read_merge_plan(s, nobody, second).different_requesters
        assert read_merge_plan(s, nobody, second).source_requester == "no requester"
    with db.write() as s:
        relations.merge(s, admin, first, second)


def test_reply_without_an_address_is_refused_and_nothing_is_saved(
    db: Database, admin: Actor
) -> None:
    number = _new(db, admin, None)
    with pytest.raises(NoAddress, match="no requester email address") as caught, db.write() as s:
        thread.reply(s, admin, number, body="Fixed it.")
    assert caught.value.number == number
    with db.read() as s:
        assert s.exec(select(Outbox)).all() == []
        assert ticket_detail(s, number).row.version == 1
        kinds = s.exec(select(Message.kind).where(col(Message.body) == "Fixed it.")).all()
        assert kinds == []


def test_reply_to_another_address_queues_mail_there(db: Database, admin: Actor) -> None:
    number = _new(db, admin, None)
    with db.write() as s:
        thread.reply(s, admin, number, body="Fixed it.", to=" Ann@Example.com ")
    with db.read() as s:
        outbox = s.exec(select(Outbox)).one()
        detail = ticket_detail(s, number)
    assert outbox.to_addresses == "ann@example.com"
    assert [e.new_value for e in detail.events if e.kind == "reply"] == ["to ann@example.com"]
    with pytest.raises(InvalidValue, match="not an email address"), db.write() as s:
        thread.reply(s, admin, number, body="Again.", to="nobody")


def test_requester_gets_an_address_and_replies_then_reach_them(db: Database, admin: Actor) -> None:
    number = _new(db, admin, None)
    with db.write() as s:
        fields.set_requester_email(s, admin, number, "cara@example.com", expected_version=1)
    with db.write() as s:
        thread.reply(s, admin, number, body="Fixed it.")
    with db.read() as s:
        assert s.exec(select(Outbox.to_addresses)).one() == "cara@example.com"
        detail = ticket_detail(s, number)
    assert detail.row.requester_email == "cara@example.com"
    requester = [(e.old_value, e.new_value) for e in detail.events if e.field == "requester"]
    assert requester == [(None, "cara@example.com")]


def test_a_nameless_requester_keeps_their_contact_when_given_an_address(
    db: Database, admin: Actor
) -> None:
    number = _new(db, admin, None)
    with db.write() as s:
        contact = Contact(name="Dan on the phone")
        s.add(contact)
        s.flush()
        ticket = fields.set_tags(s, admin, number)  # load it the desk's way
        ticket.requester_id = contact.id
        save(s, ticket)
    with db.write() as s:
        fields.set_requester_email(s, admin, number, "dan@example.com")
    with db.read() as s:
        row = ticket_detail(s, number).row
    assert (row.requester_name, row.requester_email) == ("Dan on the phone", "dan@example.com")


def test_an_address_already_known_makes_that_contact_the_requester(
    db: Database, admin: Actor
) -> None:
    _new(db, admin, "ann@example.com")
    number = _new(db, admin, "old@example.com")
    with db.write() as s:
        fields.set_requester_email(s, admin, number, "ann@example.com")
    with db.write() as s:
        fields.set_requester_email(s, admin, number, "ann@example.com")  # no change, no event
    with db.read() as s:
        detail = ticket_detail(s, number)
    assert detail.row.requester_email == "ann@example.com" and detail.row.version == 2
    with pytest.raises(InvalidValue), db.write() as s:
        fields.set_requester_email(s, admin, number, "not an address")


@pytest.mark.parametrize(
    "typed",
    [
        "ann@example.com, eve@example.com",
        "ann@example.com;eve@example.com",
        "Ann <ann@example.com>",
        "ann@example.com\r\nBcc: eve@example.com",
        "ann@example.com\x1b[2J",
        "ann@eve@example.com",
        "ann\u200b@example.com",
    ],
)
@on_sqlite_only(
    "tests/desk/test_undo.py::test_requester_gets_an_address_and_replies_then_reach_them"
)
def test_a_typed_address_is_one_mailbox_and_nothing_more(
    db: Database, admin: Actor, typed: str
) -> None:
    number = _new(db, admin, None)
    with pytest.raises(InvalidValue, match=r"not an? .*address"), db.write() as s:
        thread.reply(s, admin, number, body="Hi", to=typed)
    with pytest.raises(InvalidValue, match=r"not an? .*address"), db.write() as s:
        fields.set_requester_email(s, admin, number, typed)
    with db.read() as s:
        assert s.exec(select(Outbox)).all() == []
