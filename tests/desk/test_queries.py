from __future__ import annotations

from helpdesk_tui.desk import fields
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.queries import has_tickets
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database


def test_has_tickets_counts_every_status(db: Database, admin: Actor) -> None:
    with db.read() as s:
        assert not has_tickets(s)
    with db.write() as s:
        number = create_ticket(
            s, admin, subject="Hi", body="x", requester_email="ann@example.com"
        ).number
    with db.write() as s:
        fields.set_status(s, admin, number, "resolved")
    with db.read() as s:
        assert has_tickets(s)  # a desk with only resolved tickets is not a new, empty desk
