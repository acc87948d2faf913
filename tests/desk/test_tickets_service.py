"""The ticket side of the `Desk` facade, on SQLite and PostgreSQL: what the TUI and the CLI call."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event

from helpdesk_tui.desk import thread
from helpdesk_tui.desk.actors import MAIL, Actor
from helpdesk_tui.desk.errors import Conflict, InvalidTransition, NotFound, PermissionDenied
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.kinds import Activity, Priority, Status
from helpdesk_tui.desk.queue import QueueQuery
from helpdesk_tui.desk.queue_values import QueueWindow, TicketFilter
from helpdesk_tui.desk.tickets import EmailMeta, NewAttachment, create_ticket
from helpdesk_tui.desk.tickets_service import Recipient
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.enums import clock_of

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _at_now() -> Iterator[None]:
    """What the tests write beside the desk (a customer's mail) is written at the desk's
    clock too: at the wall's, it came months after the desk's replies to it."""
    with clock_of(lambda: NOW):
        yield


def _desk(db: Database, actor: Actor) -> Desk:
    return Desk(db, actor, clock=lambda: NOW)


def _tickets(db: Database, actor: Actor, *subjects: str) -> list[int]:
    with db.write() as s:
        return [
            create_ticket(
                s,
                actor,
                subject=subject,
                body=f"About {subject}",
                requester_email="ann@example.com",
            ).number
            for subject in subjects
        ]


def _frozen_all_the_way(value: object) -> None:
    """A value the facade returns is a frozen dataclass (or plain data), never an ORM row."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        assert type(value).__dataclass_params__.frozen, type(value)  # type: ignore[attr-defined]
        for item in dataclasses.fields(value):
            _frozen_all_the_way(getattr(value, item.name))
    elif isinstance(value, list | tuple):
        for item in value:
            _frozen_all_the_way(item)
    elif isinstance(value, dict):
        for item in value.values():
            _frozen_all_the_way(item)
    else:
        assert value is None or isinstance(value, str | int | float | datetime), type(value)


def test_the_lister_pages_searches_and_steps(db: Database, admin: Actor) -> None:
    numbers = _tickets(db, admin, "Printer jam", "Toner low", "VPN down")
    desk = _desk(db, admin)
    query = QueueQuery(sort="number", descending=False)
    first = desk.list_page(query, 2)
    assert [r.number for r in first.rows] == numbers[:2] and first.more_after
    rest = desk.list_page(query, 2, kind="after", start=first.positions[-1])
    assert [r.number for r in rest.rows] == numbers[2:] and not rest.more_after
    last = desk.list_page(query, 1, kind="last")
    assert [r.number for r in last.rows] == numbers[2:]
    assert [r.number for r in desk.search("toner", 10).rows] == [numbers[1]]
    assert desk.neighbour(query, numbers[0], 1) == numbers[1]
    assert desk.neighbour(query, numbers[0], -1) is None
    _frozen_all_the_way(first)


def test_find_tickets_by_number_then_words(db: Database, admin: Actor) -> None:
    numbers = _tickets(db, admin, "Printer jam", "Toner low")
    desk = _desk(db, admin)
    assert [r.number for r in desk.find_tickets(f"#{numbers[1]}")] == [numbers[1]]
    assert [r.number for r in desk.find_tickets("printer")] == [numbers[0]]
    assert desk.find_tickets("#99999") == []
    assert len(desk.find_tickets("")) == 2
    assert len(desk.find_tickets("", limit=1)) == 1


def test_open_a_ticket_as_value_objects(db: Database, admin: Actor, agent_bob: Actor) -> None:
    [number] = _tickets(db, admin, "Printer jam")
    with db.write() as s:
        files = (NewAttachment("jam.jpg", b"12345"),)
        thread.add_customer_message(
            s, MAIL, number, body="photo", email=EmailMeta(attachments=files)
        )
    desk = _desk(db, agent_bob)
    view = desk.ticket_open(number)
    desk.ticket_set_priority(number, Priority.HIGH, expected_version=view.row.version)
    view = desk.ticket_open(number)
    assert view.row.priority == "high"
    assert view.history[-1].text == "bob: priority normal → high"
    assert [e.kind for e in view.entries][:2] == ["customer", "customer"]
    _frozen_all_the_way(view)
    assert desk.ticket_more(view.entries[0]) == view.entries[0]  # short: nothing more to read


def test_changes_check_the_version_seen(db: Database, admin: Actor, agent_bob: Actor) -> None:
    [number] = _tickets(db, admin, "Printer jam")
    desk = _desk(db, agent_bob)
    seen = desk.ticket_open(number).row.version
    desk.ticket_assign(number, agent="bob", expected_version=seen)
    with pytest.raises(Conflict):
        desk.ticket_set_status(number, Status.WAITING, expected_version=seen)
    version = desk.ticket_open(number).row.version
    desk.ticket_assign(number, team="Support", expected_version=version)
    version = desk.ticket_open(number).row.version
    desk.ticket_set_type(number, "incident", expected_version=version)
    version = desk.ticket_open(number).row.version
    desk.ticket_set_category(number, "Hardware", expected_version=version)
    version = desk.ticket_open(number).row.version
    desk.ticket_tag(number, add=["vip", "printer"], expected_version=version)
    version = desk.ticket_open(number).row.version
    desk.ticket_tag(number, remove=["vip"], expected_version=version)
    version = desk.ticket_open(number).row.version
    desk.ticket_escalate(number, expected_version=version)
    view = desk.ticket_open(number)
    row = view.row
    assert (row.assignee, row.team, row.type, row.category, row.tier) == (
        "bob",
        "Support",
        "incident",
        "Hardware",
        2,
    )
    assert view.tags == ["printer"]


def test_status_reopen_rules(db: Database, admin: Actor, agent_bob: Actor) -> None:
    [number] = _tickets(db, admin, "Printer jam")
    bob = _desk(db, agent_bob)
    bob.ticket_set_status(number, Status.CLOSED, expected_version=None)
    with pytest.raises(InvalidTransition):
        bob.ticket_set_status(number, Status.OPEN, expected_version=None)
    with pytest.raises(PermissionDenied):
        bob.ticket_reopen(number, "asked again", expected_version=None)
    _desk(db, admin).ticket_reopen(number, "asked again", expected_version=None)
    assert bob.ticket_open(number).row.status == "open"


def test_write_refuses_when_something_arrived(db: Database, admin: Actor) -> None:
    [number] = _tickets(db, admin, "Printer jam")
    desk = _desk(db, admin)
    mark = desk.ticket_open(number).watermark
    with db.write() as s:
        thread.add_customer_message(s, MAIL, number, body="Any news?")
    news = desk.ticket_write(number, "reply", "On our way", mark)
    assert news is not None and [a.body for a in news.arrivals] == ["Any news?"]
    assert desk.ticket_write(number, "reply", "On our way", news.current) is None
    # One's own writing since the mark is no news: the note goes in (at the version now).
    assert desk.ticket_write(number, "note", "Called the vendor", news.current) is None
    assert desk.ticket_write(number, "call", "She is fine", mark) is not None
    current = desk.ticket_open(number).watermark
    assert desk.ticket_write(number, "call", "She is fine", current) is None
    desk.ticket_reply(number, "Fixed", expected_version=desk.ticket_open(number).row.version)
    kinds = [(e.kind, e.channel) for e in desk.ticket_open(number).entries if e.message_id]
    assert kinds[-1] == ("reply", "email")
    assert kinds[-4:-1] == [("reply", "email"), ("note", "manual"), ("customer", "phone")]


def test_reply_to_an_address_kept_on_the_requester(db: Database, admin: Actor) -> None:
    with db.write() as s:
        number = create_ticket(s, admin, subject="Walk-in", body="No email").number
    desk = _desk(db, admin)
    mark = desk.ticket_open(number).watermark
    assert (
        desk.ticket_write(number, "reply", "Done", mark, to=Recipient("w@example.com", True))
        is None
    )
    assert desk.ticket_open(number).row.requester_email == "w@example.com"


def test_merge_link_and_take_next(db: Database, admin: Actor, agent_bob: Actor) -> None:
    first, second, third = _tickets(db, admin, "Printer jam", "Printer again", "VPN down")
    desk = _desk(db, agent_bob)
    plan = desk.ticket_merge_plan(first, second)
    assert (plan.source, plan.target, plan.different_requesters) == (first, second, False)
    assert desk.ticket_merge(first, second, expected_version=None).number == second
    assert desk.ticket_open(first).merged_into == second
    desk.ticket_link(second, third)
    assert ("related", third) in desk.ticket_open(second).links
    taken = desk.ticket_take_next()
    assert desk.ticket_open(taken).row.assignee == "bob"


def test_pickers_drafts_and_attachments(
    db: Database, admin: Actor, agent_bob: Actor, tmp_path: Path
) -> None:
    [number] = _tickets(db, admin, "Printer jam")
    with db.write() as s:
        files = (NewAttachment("jam.jpg", b"12345"),)
        thread.add_customer_message(
            s, MAIL, number, body="photo", email=EmailMeta(attachments=files)
        )
    desk = _desk(db, agent_bob)
    assert {a.login: a.teams for a in desk.agents_list()} == {
        "ada": ("Support",),
        "bob": ("Support",),
    }
    assert [t.name for t in desk.teams_list()] == ["Support"]
    drafts = desk.drafts_tickets([number, 99999])
    assert drafts[number].note == "" and drafts[99999].note == "the ticket is gone"
    [attachment] = desk.ticket_open(number).attachments
    saved = desk.ticket_save_attachment(number, attachment.id, tmp_path / "photo.jpg")
    assert saved.read_bytes() == b"12345"


def test_queue_window_and_changes(db: Database, admin: Actor, agent_bob: Actor) -> None:
    empty = _desk(db, admin).list_window(QueueQuery(), 10)
    assert empty.new_desk and empty.page.rows == []
    [number] = _tickets(db, admin, "Printer jam")
    ada, bob = _desk(db, admin), _desk(db, agent_bob)
    query = QueueQuery(TicketFilter(open_only=True))
    window = ada.list_window(query, 10, session_id="ada-term")
    assert [r.number for r in window.page.rows] == [number] and not window.new_desk
    assert ada.list_changes(window.mark, [number]).mark == window.mark
    bob.presence_beat("bob-term", number, Activity.VIEWING)
    check = ada.list_changes(window.mark, [number], session_id="ada-term")
    assert check.mark.events == window.mark.events
    assert check.on is not None and [e.login for e in check.on[number]] == ["bob"]
    version = ada.ticket_open(number).row.version
    ada.ticket_set_status(number, Status.IN_PROGRESS, expected_version=version)
    moved = ada.list_changes(check.mark, [number])
    assert moved.mark.events != window.mark.events and moved.on is None


def test_the_queue_s_read_is_two_statements_unless_someone_is_on_a_ticket(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """The change mark, then the page with its rows; who is on which ticket is read only
    when the mark says a presence row is live. Statements counted as the engine sends them."""
    numbers = _tickets(db, admin, "Printer jam", "VPN down")
    ada, bob = _desk(db, admin), _desk(db, agent_bob)
    query = QueueQuery(TicketFilter(open_only=True))
    sent: list[str] = []

    def count(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        if sql.lstrip().upper().startswith("SELECT"):
            sent.append(sql)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        window = ada.list_window(query, 10, session_id="ada-term")
        assert len(sent) == 2 and window.on == {}
        assert [row.number for row in window.page.rows] == numbers[::-1]
        bob.presence_beat("bob-term", numbers[0], Activity.VIEWING)
        sent.clear()
        window = ada.list_window(query, 10, session_id="ada-term")
        assert len(sent) == 3
        assert [e.login for e in window.on[numbers[0]]] == ["bob"]
        assert ada.list_window(query, 10, session_id="bob-term").on == {}  # (its own terminal)
        sent.clear()
        check = ada.list_changes(window.mark, numbers)
        assert len(sent) == 1 and check.mark == window.mark and check.on is None
        bob.presence_leave("bob-term")
        sent.clear()
        check = ada.list_changes(window.mark, numbers, session_id="ada-term")
        assert check.on == {} and len(sent) == 1  # presence moved, and nobody is on any
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_search_in_a_view_counts_the_view_once_per_change_mark(
    db: Database, admin: Actor
) -> None:
    """A search inside a view (new or resolved tickets: counted before the search on both
    engines, ``queue.kept_small_view``) counts the view on its first page, and not again on
    the pages after it while the change mark stays (one statement fewer per page); a change
    to a ticket moves the mark, and the next page counts the view again and shows it."""
    numbers = _tickets(db, admin, "Printer jam", "Printer toner", "Printer fire", "VPN down")
    desk = _desk(db, admin)
    query = QueueQuery(TicketFilter(statuses=("new", "resolved")), text="printer")
    sent: list[str] = []

    def grab(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        sent.append(sql)

    def pages(window: QueueWindow) -> Iterator[tuple[list[int], int]]:
        """Each page after ``window``'s (PageDown), and the view's counts read for it."""
        while window.page.more_after:
            sent.clear()
            window = desk.list_window(query, 1, kind="after", start=window.page.positions[-1])
            yield [r.number for r in window.page.rows], sum("count(*)" in s for s in sent)

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        first = desk.list_window(query, 1)
        assert sum("count(*)" in s for s in sent) == 1
        assert list(pages(first)) == [([numbers[1]], 0), ([numbers[0]], 0)]
        desk.ticket_set_status(numbers[1], Status.OPEN)  # (it leaves the view)
        assert list(pages(first)) == [([numbers[0]], 1)]
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    assert [r.number for r in first.page.rows] == [numbers[2]]


def test_a_ticket_worked_through_the_desk(db: Database, admin: Actor, agent_bob: Actor) -> None:
    desk = Desk(db, agent_bob)
    created = desk.ticket_create(
        subject="Printer on fire", body="Help", requester_email="ann@example.org"
    )
    row = created.row
    assert created.routed is None
    number = row.number
    assert (row.status, row.version) == (Status.NEW, 1)

    row = desk.ticket_reply(number, body="Unplug it.", status_after=Status.WAITING)
    assert row.status == Status.WAITING
    row = desk.ticket_note(number, body="Asked facilities too", expected_version=row.version)
    row = desk.ticket_log_call(number, body="Ann called back")
    row = desk.ticket_set_priority(number, "high")
    row = desk.ticket_set_type(number, "incident")
    row = desk.ticket_set_category(number, "Hardware")
    row = desk.ticket_set_tier(number, "2")
    row = desk.ticket_assign(number, agent="bob", team="Support")
    row = desk.ticket_tag(number, add=["printer"])
    assert (row.priority, row.type, row.category, row.tier) == ("high", "incident", "Hardware", 2)
    assert (row.assignee, row.team) == ("bob", "Support")

    detail = desk.ticket_show(number)
    assert detail.tags == ["printer"]
    assert [m.kind for m in detail.messages][:2] == ["customer", "reply"]
    assert [d.to for d in detail.outgoing] == ["ann@example.org"]


def test_show_returns_values_all_the_way_down(db: Database, admin: Actor) -> None:
    [number] = _tickets(db, admin, "Printer jam")
    with db.write() as s:
        files = (NewAttachment("jam.jpg", b"12345"),)
        thread.add_customer_message(
            s, MAIL, number, body="photo", email=EmailMeta(attachments=files)
        )
    desk = _desk(db, admin)
    version = desk.ticket_open(number).row.version
    desk.ticket_reply(number, body="Unplug it.", expected_version=version)
    desk.ticket_set_priority(number, Priority.HIGH)
    detail = desk.ticket_show(number)
    _frozen_all_the_way(detail)
    assert detail.messages[-1].body == "Unplug it." and detail.messages[-1].author == "ada"
    assert detail.events[-1].text == "ada: priority normal → high"
    assert detail.attachments and detail.outgoing


def test_a_stale_version_is_refused(db: Database, agent_bob: Actor) -> None:
    desk = Desk(db, agent_bob)
    row = desk.ticket_create(subject="Printer", body="Help").row
    desk.ticket_note(row.number, body="first")
    with pytest.raises(Conflict):
        desk.ticket_note(row.number, body="second", expected_version=row.version)


def test_merge_link_and_delete(db: Database, admin: Actor, agent_bob: Actor) -> None:
    desk = Desk(db, agent_bob)
    first = desk.ticket_create(subject="One", body="a", requester_email="ann@example.org").row
    second = desk.ticket_create(subject="Two", body="b", requester_email="ann@example.org").row
    third = desk.ticket_create(subject="Three", body="c", requester_email="cy@example.org").row

    assert not desk.ticket_merge_plan(second.number, first.number).different_requesters
    merged = desk.ticket_merge(second.number, first.number)
    assert merged.number == first.number
    drafts = desk.drafts_tickets([second.number])
    assert drafts[second.number].merged_into == first.number

    assert desk.ticket_link(third.number, first.number).number == third.number
    with pytest.raises(PermissionDenied):
        desk.ticket_delete(third.number)
    Desk(db, admin).ticket_delete(third.number)
    with pytest.raises(NotFound):
        desk.ticket_show(third.number)


def test_rows_page_through_the_whole_list(
    db: Database, agent_bob: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("helpdesk_tui.desk.tickets_cli_service.PAGE", 2)
    desk = Desk(db, agent_bob)
    numbers = [desk.ticket_create(subject=f"T{i}", body="x").row.number for i in range(5)]
    query = QueueQuery(TicketFilter(), sort="number", descending=False)
    assert [row.number for row in desk.tickets_rows(query, limit=0)] == numbers
    assert [row.number for row in desk.tickets_rows(query, limit=3)] == numbers[:3]
