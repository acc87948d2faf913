from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from helpdesk_tui.desk import fields
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.queue import (
    SORT_ORDER,
    QueueQuery,
    first_page,
    last_page,
    neighbour,
    page_after,
    page_before,
    page_from,
    position,
)
from helpdesk_tui.desk.queue_values import TicketFilter
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.desk.views import builtin_views, custom_view
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Ticket


def _seed(db: Database, actor: Actor, count: int) -> list[int]:
    numbers = []
    with db.write() as s:
        for i in range(count):
            ticket = create_ticket(
                s,
                actor,
                subject=f"Ticket {i:02d}",
                body="x",
                requester_email=f"c{i % 3}@example.com",
                requester_name=f"Customer {i % 3}",
                priority=["low", "normal", "high", "urgent"][i % 4],
            )
            numbers.append(ticket.number)
    return numbers


def _walk(db: Database, query: QueueQuery) -> None:
    with db.read() as s:
        everything = [r.number for r in first_page(s, query, 100).rows]
        pages, page = [], first_page(s, query, 4)
        while True:
            pages += [r.number for r in page.rows]
            if not page.more_after:
                break
            page = page_after(s, query, position(query, page.rows[-1]), 4)
        assert pages == everything
        backwards, page = [], last_page(s, query, 4)
        while True:
            backwards = [r.number for r in page.rows] + backwards
            if not page.more_before:
                break
            page = page_before(s, query, position(query, page.rows[0]), 4)
        assert backwards == everything
        middle = page_from(s, query, position(query, first_page(s, query, 4).rows[2]), 3)
        assert [r.number for r in middle.rows] == everything[2:5]


def test_paging_by_key_matches_one_big_page(db: Database, admin: Actor) -> None:
    _seed(db, admin, 11)
    for sort in SORT_ORDER:
        for descending in (False, True):
            _walk(db, QueueQuery(sort=sort, descending=descending))


def test_sorts_put_rows_in_the_expected_order(db: Database, admin: Actor) -> None:
    _seed(db, admin, 8)
    with db.read() as s:
        by_priority = first_page(s, QueueQuery(sort="priority"), 8).rows
        assert [r.priority for r in by_priority[:2]] == ["urgent", "urgent"]
        by_requester = first_page(s, QueueQuery(sort="requester", descending=False), 8).rows
        assert by_requester[0].requester_name == "Customer 0"
        assert by_requester[-1].requester_name == "Customer 2"


def test_neighbour_walks_the_current_order(db: Database, admin: Actor) -> None:
    numbers = _seed(db, admin, 5)
    query = QueueQuery(sort="number", descending=False)
    with db.read() as s:
        assert neighbour(s, query, numbers[2], 1) == numbers[3]
        assert neighbour(s, query, numbers[2], -1) == numbers[1]
        assert neighbour(s, query, numbers[2], 2) == numbers[4]
        assert neighbour(s, query, numbers[4], 1) is None
        assert neighbour(s, query, numbers[0], -1) is None
        assert neighbour(s, query, 9999, 1) is None


def test_builtin_views(db: Database, admin: Actor, agent_bob: Actor) -> None:
    mine, waiting, other = _seed(db, admin, 3)
    with db.write() as s:
        fields.assign(s, admin, mine, agent="ada")
        fields.set_status(s, admin, waiting, "waiting")
        fields.set_status(s, admin, other, "resolved")
    views = {v.name: v for v in builtin_views("ada")}
    assert list(views) == ["mine", "unassigned", "open", "waiting", "on_hold", "resolved", "all"]
    with db.read() as s:

        def shown(name: str) -> list[int]:
            return sorted(r.number for r in first_page(s, views[name].query, 50).rows)

        assert shown("mine") == [mine]
        assert shown("unassigned") == [waiting]
        assert shown("open") == [mine, waiting]
        assert shown("waiting") == [waiting]
        assert shown("on_hold") == []
        assert shown("resolved") == [other]
        assert shown("all") == sorted([mine, waiting, other])


def test_saved_view_from_config_is_checked() -> None:
    view = custom_view(
        "urgent", "ada", assignee="me", priorities=["Urgent"], sort="priority", search="vpn"
    )
    assert view.title == "urgent"
    assert view.query.filter == TicketFilter(assignee="ada", priorities=("urgent",))
    assert view.query.text == "vpn"
    with pytest.raises(InvalidValue, match="view 'bad': unknown status 'opened'"):
        custom_view("bad", "ada", statuses=["opened"])
    with pytest.raises(InvalidValue, match="view 'bad': unknown sort 'age'"):
        custom_view("bad", "ada", sort="age")


def test_sla_sort_follows_the_deadline_still_running(db: Database, admin: Actor) -> None:
    """The earliest pending target: a reply's (first or next) or the fix's; none once resolved."""
    numbers = _seed(db, admin, 4)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with db.write() as s:
        for offset, number in enumerate(numbers):
            ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
            ticket.response_due_at = start + timedelta(hours=1 + offset)
            ticket.reply_due_at = ticket.response_due_at  # (the clock writer is bypassed)
            ticket.resolution_due_at = start + timedelta(hours=10 - offset)
            s.add(ticket)
        replied = s.exec(select(Ticket).where(Ticket.number == numbers[0])).one()
        replied.first_response_at = start  # its reply deadline is met: the fix's is next
        replied.reply_due_at = None
        done = s.exec(select(Ticket).where(Ticket.number == numbers[1])).one()
        done.status = "resolved"  # nothing left to keep
        followed_up = s.exec(select(Ticket).where(Ticket.number == numbers[3])).one()
        followed_up.first_response_at = start  # answered, then the customer wrote again:
        followed_up.reply_due_at = start + timedelta(hours=5)  # a next response is due first
        s.add_all([replied, done, followed_up])
    with db.read() as s:
        rows = first_page(s, QueueQuery(sort="sla", descending=False), 10).rows
    due = {r.number: r.next_due for r in rows}
    assert due[numbers[0]] == start + timedelta(hours=10)
    assert due[numbers[1]] is None
    assert due[numbers[2]] == start + timedelta(hours=3)
    assert due[numbers[3]] == start + timedelta(hours=5)  # before its fix's (7 h)
    assert [r.number for r in rows] == [numbers[2], numbers[3], numbers[0], numbers[1]]
    _walk(db, QueueQuery(sort="sla", descending=True))


def test_requester_and_assignee_orders_follow_renames_and_reassignment(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """The sort keys kept on the ticket (migration 0009's triggers) follow every change."""
    with db.write() as s:
        nameless = create_ticket(s, admin, subject="A", body="x", requester_email="z@ex.test")
        named = create_ticket(
            s, admin, subject="B", body="x", requester_email="m@ex.test", requester_name="Mia"
        )
    by_requester = QueueQuery(sort="requester", descending=False)
    with db.read() as s:
        rows = first_page(s, by_requester, 10).rows
        assert [r.number for r in rows] == [nameless.number, named.number]  # "" before "Mia"
    with db.write() as s:  # the contact gets its name from a later message
        create_ticket(s, admin, subject="C", body="x", requester_email="z@ex.test",
                      requester_name="Zoe")  # fmt: skip
        fields.assign(s, admin, named.number, agent="bob")
        fields.assign(s, admin, nameless.number, agent="ada")
    with db.read() as s:
        rows = first_page(s, by_requester, 10).rows
        assert [r.requester_name for r in rows] == ["Mia", "Zoe", "Zoe"]
        by_assignee = first_page(s, QueueQuery(sort="assignee", descending=False), 10).rows
        assert [r.assignee for r in by_assignee] == [None, "ada", "bob"]
        stored = s.exec(select(Ticket.requester_sort, Ticket.assignee_sort)).all()
        assert sorted(stored) == [("Mia", "bob"), ("Zoe", ""), ("Zoe", "ada")]
