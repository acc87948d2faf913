"""The Desk's ticket operations: each one transaction, each returning the row as stored."""

from __future__ import annotations

import pytest

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.enums import Status
from helpdesk_tui.desk.errors import Conflict, NotFound, PermissionDenied
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.queries import TicketFilter
from helpdesk_tui.desk.queue import QueueQuery
from helpdesk_tui.storage.database import Database


def test_a_ticket_worked_through_the_desk(db: Database, admin: Actor, agent_bob: Actor) -> None:
    desk = Desk(db, agent_bob)
    row = desk.tickets_create(
        subject="Printer on fire", body="Help", requester_email="ann@example.org"
    )
    number = row.number
    assert (row.status, row.version) == (Status.NEW, 1)

    row = desk.tickets_reply(number, body="Unplug it.", status_after=Status.WAITING)
    assert row.status == Status.WAITING
    row = desk.tickets_note(number, body="Asked facilities too", expected_version=row.version)
    row = desk.tickets_log_call(number, body="Ann called back")
    row = desk.tickets_set_priority(number, "high")
    row = desk.tickets_set_type(number, "incident")
    row = desk.tickets_set_category(number, "Hardware")
    row = desk.tickets_set_tier(number, "2")
    row = desk.tickets_assign(number, agent="bob", team="Support")
    row = desk.tickets_set_tags(number, add=["printer"])
    assert (row.priority, row.type, row.category, row.tier) == ("high", "incident", "Hardware", 2)
    assert (row.assignee, row.team) == ("bob", "Support")

    detail = desk.tickets_show(number)
    assert detail.tags == ["printer"]
    assert [m.kind for m in detail.messages][:2] == ["customer", "reply"]
    assert [d.to for d in detail.outgoing] == ["ann@example.org"]


def test_a_stale_version_is_refused(db: Database, agent_bob: Actor) -> None:
    desk = Desk(db, agent_bob)
    row = desk.tickets_create(subject="Printer", body="Help")
    desk.tickets_note(row.number, body="first")
    with pytest.raises(Conflict):
        desk.tickets_note(row.number, body="second", expected_version=row.version)


def test_merge_link_and_delete(db: Database, admin: Actor, agent_bob: Actor) -> None:
    desk = Desk(db, agent_bob)
    first = desk.tickets_create(subject="One", body="a", requester_email="ann@example.org")
    second = desk.tickets_create(subject="Two", body="b", requester_email="ann@example.org")
    third = desk.tickets_create(subject="Three", body="c", requester_email="cy@example.org")

    assert not desk.tickets_merge_plan(second.number, first.number).different_requesters
    merged = desk.tickets_merge(second.number, first.number)
    assert merged.number == first.number
    drafts = desk.tickets_for_drafts([second.number])
    assert drafts[second.number].merged_into == first.number

    assert desk.tickets_link(third.number, first.number).number == third.number
    with pytest.raises(PermissionDenied):
        desk.tickets_delete(third.number)
    Desk(db, admin).tickets_delete(third.number)
    with pytest.raises(NotFound):
        desk.tickets_show(third.number)


def test_rows_page_through_the_whole_list(
    db: Database, agent_bob: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("helpdesk_tui.desk.tickets_cli_service.PAGE", 2)
    desk = Desk(db, agent_bob)
    numbers = [desk.tickets_create(subject=f"T{i}", body="x").number for i in range(5)]
    query = QueueQuery(TicketFilter(), sort="number", descending=False)
    assert [row.number for row in desk.tickets_rows(query, limit=0)] == numbers
    assert [row.number for row in desk.tickets_rows(query, limit=3)] == numbers[:3]
