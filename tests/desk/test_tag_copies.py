"""``ticket_tag`` keeps copies of its ticket's status, update time and assignee (migration
0017: a tag filter walks them in the views' order); whichever writer changes the ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.queue import QueueQuery
from helpdesk_tui.desk.queue_values import TicketFilter
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _out_of_step(db: Database) -> list[tuple[object, ...]]:
    """Tag rows whose copies differ from their ticket's values."""
    with db.read() as session:
        return list(
            session.execute(
                text(
                    "SELECT ticket_tag.ticket_id, ticket_tag.status, ticket.status, "
                    "ticket_tag.updated_at, ticket.updated_at, ticket_tag.assignee_id, "
                    "ticket.assignee_id FROM ticket_tag JOIN ticket ON ticket.id = ticket_id "
                    "WHERE ticket_tag.status IS DISTINCT FROM ticket.status "
                    "OR ticket_tag.updated_at IS DISTINCT FROM ticket.updated_at "
                    "OR ticket_tag.assignee_id IS DISTINCT FROM ticket.assignee_id"
                )
            )
        )


def test_tag_copies_follow_the_ticket(db: Database, admin: Actor, agent_bob: Actor) -> None:
    with db.write() as session:
        number = create_ticket(
            session, admin, subject="Printer jam", body="x", requester_email="a@example.com"
        ).number
    moments = iter(NOW + timedelta(minutes=m) for m in range(100))
    desk = Desk(db, admin, clock=lambda: next(moments))
    desk.ticket_tag(number, add=["printer", "vip"])
    assert _out_of_step(db) == []
    desk.ticket_assign(number, agent=agent_bob.name)
    desk.ticket_set_status(number, "in_progress")
    assert _out_of_step(db) == []
    desk.ticket_note(number, "checked the tray")
    desk.ticket_tag(number, add=["hardware"], remove=["vip"])
    desk.ticket_assign(number, unassign=True)
    desk.ticket_set_status(number, "resolved")
    assert _out_of_step(db) == []
    with db.read() as session:
        tags = session.execute(
            text("SELECT count(*) FROM ticket_tag JOIN ticket ON ticket.id = ticket_id")
        ).scalar_one()
    assert tags == 2
    resolved = QueueQuery(TicketFilter(statuses=("resolved",), tag="printer"))
    assert [r.number for r in desk.list_page(resolved, 10).rows] == [number]
    still_open = QueueQuery(TicketFilter(open_only=True, tag="printer"))
    assert desk.list_page(still_open, 10).rows == []


def test_the_demo_writes_the_copies_itself(demo_db: Database) -> None:
    """The demo's loader writes each tag row's copies with its ticket: ``demo_db`` is the
    session's load (300 tickets), read here, where this test loaded 200 more of its own."""
    assert _out_of_step(demo_db) == []
    with demo_db.read() as session:
        assert session.execute(text("SELECT count(*) FROM ticket_tag")).scalar_one() > 50
