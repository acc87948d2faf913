"""A long message is read in parts, on both engines (issue 8, item 7)."""

from __future__ import annotations

from helpdesk_tui.desk import thread
from helpdesk_tui.desk.activity import BODY_START, since, watermark
from helpdesk_tui.desk.actors import MAIL, Actor
from helpdesk_tui.desk.ticket_view import FIRST_PART, NEXT_PART, load_view, more_text
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database


def test_the_view_reads_the_first_part_and_more_on_demand(db: Database, admin: Actor) -> None:
    body = "".join(f"line {i:07} é€😀\n" for i in range(12_000))  # ≈ 250,000 characters
    with db.write() as session:
        number = create_ticket(
            session, admin, subject="Huge log", body=body, requester_email="ann@example.com"
        ).number
        thread.add_customer_message(session, MAIL, number, body="short one")
    with db.read() as session:
        view = load_view(session, number)
    first, short = (e for e in view.entries if e.message_id is not None)
    assert first.body == body[:FIRST_PART] and first.length == len(body)
    assert first.more == len(body) - FIRST_PART
    assert (short.body, short.more) == ("short one", 0)
    with db.read() as session:
        second = more_text(session, first)
        assert second.body == body[: FIRST_PART + NEXT_PART]
        whole = more_text(session, more_text(session, second))
    assert whole.body == body and whole.more == 0
    with db.read() as session:
        assert more_text(session, whole) is whole


def test_what_arrived_while_writing_brings_only_the_start_of_a_long_message(
    db: Database, admin: Actor
) -> None:
    with db.write() as session:
        number = create_ticket(
            session, admin, subject="VPN", body="It broke.", requester_email="ann@example.com"
        ).number
    with db.read() as session:
        mark = watermark(session, number)
    with db.write() as session:
        thread.add_customer_message(session, MAIL, number, body="z" * 300_000)
    with db.read() as session:
        [arrival] = since(session, mark, excluding=admin).arrivals
    assert arrival.body == "z" * BODY_START
