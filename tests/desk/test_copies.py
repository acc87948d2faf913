"""A ticket's copies (``desk/copies``): an agent changes them, a merge keeps the union, and
``contact forget`` takes the address off every ticket's copies and their history."""

from __future__ import annotations

import pytest
from sqlmodel import select

from helpdesk_tui.desk import copies, privacy, relations
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.desk.tickets_service import TicketsService
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Event, Ticket

PETRA = "petra@acme.test"


def _new(db: Database, admin: Actor, requester: str, *cc: str) -> int:
    with db.write() as s:
        number = create_ticket(s, admin, subject="VPN", body="b", requester_email=requester).number
    if cc:
        TicketsService(db, admin).ticket_copies(number, add=cc)
    return number


def _copies(db: Database, number: int) -> list[str]:
    with db.read() as s:
        ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
        assert ticket.id is not None
        return copies.copies_of(s, ticket.id)


def test_an_agent_adds_and_removes_copies_checked_and_versioned(db: Database, admin: Actor) -> None:
    number = _new(db, admin, "ann@example.org")
    desk = TicketsService(db, admin)
    changed = desk.ticket_copies(number, add=[" Petra@ACME.test ", "li@acme.test"])
    assert changed.copies == (PETRA, "li@acme.test") and changed.added == changed.copies
    again = desk.ticket_copies(number, add=[PETRA])  # nothing new: no change, no event
    assert (again.added, again.version) == ((), changed.version)
    with pytest.raises(InvalidValue, match="desk's own"):
        desk.ticket_copies(number, add=["support@desk.test"], ours=["support@desk.test"])
    with pytest.raises(InvalidValue, match="requester"):
        desk.ticket_copies(number, add=["ANN@example.org"])
    with pytest.raises(InvalidValue, match="not an address to copy"):
        desk.ticket_copies(number, add=["Petra <petra@acme.test>"], remove=["li@acme.test"])
    assert _copies(db, number) == [PETRA, "li@acme.test"]  # (a refusal changes nothing)
    removed = desk.ticket_copies(number, remove=["li@acme.test"])
    assert removed.copies == (PETRA,) and removed.version == changed.version + 1


def test_a_merge_keeps_the_union_and_the_other_requester(db: Database, admin: Actor) -> None:
    source = _new(db, admin, "carl@acme.test", PETRA, "li@acme.test")
    target = _new(db, admin, "ann@example.org", "li@acme.test", "zed@acme.test")
    with db.write() as s:
        relations.merge(s, admin, source, target, different_requesters=True)
    assert _copies(db, target) == ["li@acme.test", "zed@acme.test", PETRA, "carl@acme.test"]


def test_forget_takes_the_address_off_every_ticket_s_copies(db: Database, admin: Actor) -> None:
    one = _new(db, admin, "ann@example.org", PETRA, "li@acme.test")
    two = _new(db, admin, "bob@example.org", PETRA)
    with db.read() as s:  # her card lists the tickets that copy her
        card = privacy.contact_card(s, PETRA, copies=True)
    assert [(t.number, t.role) for t in card.tickets] == [(one, "copy"), (two, "copy")]
    with db.write() as s:
        result = privacy.forget_contact(s, admin, PETRA)
    assert result.tickets_scrubbed == (one, two)
    assert (_copies(db, one), _copies(db, two)) == (["li@acme.test"], [])
    with db.read() as s:
        values = s.exec(select(Event.new_value).where(Event.kind == "copy_added")).all()
    assert PETRA not in values and "[forgotten]" in values


def test_a_deleted_ticket_takes_its_copies_with_it(db: Database, admin: Actor) -> None:
    number = _new(db, admin, "ann@example.org", PETRA)
    with db.write() as s:
        relations.delete_ticket(s, admin, number)
    with db.read() as s:
        assert copies.tickets_copying(s, PETRA) == set()
