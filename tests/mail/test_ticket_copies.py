"""The people a customer copies stay on the conversation: intake keeps the To/Cc of a new
ticket's mail and of each follow-up as the ticket's copies (not ours, not the requester,
not a list's, not a machine's), and an agent's reply goes Cc them. Before, a colleague in
Cc got neither the acknowledgement nor the reply."""

from __future__ import annotations

import pytest
from sqlmodel import select

from helpdesk_tui.desk import agents, copies, thread
from helpdesk_tui.desk import outbox as desk_outbox
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.inbound import ReportedRecipient
from helpdesk_tui.desk.tickets_service import TicketsService
from helpdesk_tui.mail.ingest import IngestConfig
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Event, utcnow

from .mailbuild import DESK, config_for, email, mail_settings, new_id, outbox, tickets
from .test_intake_scenarios import received

LIST = [
    "List-Id: Wiki users <users.lists.example.org>",
    "List-Post: <mailto:users@lists.example.org>",
]


@pytest.fixture
def config() -> IngestConfig:
    return config_for(mail_settings())


def _copies(db: Database, number: int) -> list[str]:
    [ticket] = [t for t in tickets(db) if t.number == number]
    assert ticket.id is not None
    with db.read() as session:
        return copies.copies_of(session, ticket.id)


@pytest.mark.parametrize("batched", [True, False], ids=["one batch", "one by one"])
def test_intake_keeps_copies_and_leaves_out_ours_lists_and_machines(
    db: Database, admin: Actor, config: IngestConfig, batched: bool
) -> None:
    first = new_id()
    opening = email(
        message_id=first,
        to=f"{DESK}, Petra <Petra@Acme.test>, help@desk.test",
        headers=[
            "Cc: Li <li@acme.test>, noreply@acme.test, bounces+x=y@lists.example.org, "
            "users@lists.example.org, Ann <ann@example.org>, ada@desk.test",
            *LIST,
        ],
    )
    follow_up = email(
        sender="Petra <petra@acme.test>",
        subject="Re: Printer on fire",
        in_reply_to=first,
        headers=["Cc: ann@example.org, Zed <zed@acme.test>, li@acme.test"],
    )
    with db.write() as session:  # an agent's address is ours too
        agents.set_details(session, admin, "ada", email="ada@desk.test")
    received(db, config, [opening, follow_up], batched)
    [ticket] = tickets(db)
    assert _copies(db, ticket.number) == ["petra@acme.test", "li@acme.test", "zed@acme.test"]
    with db.read() as session:
        added = session.exec(
            select(Event.new_value).where(Event.kind == "copy_added").order_by(Event.id)
        ).all()
    assert added == ["petra@acme.test", "li@acme.test", "zed@acme.test"]


def test_the_reply_copies_them_less_a_hard_bounced_one(
    db: Database, admin: Actor, config: IngestConfig
) -> None:
    opening = email(headers=["Cc: petra@acme.test, li@acme.test"])
    received(db, config, [opening], True)
    [ticket] = tickets(db)
    [ack] = outbox(db, "ack")  # the acknowledgement: the requester alone
    assert (ack.to_addresses, ack.cc_addresses) == ("ann@example.org", None)
    with db.write() as session:
        bounced = [ReportedRecipient("li@acme.test", "failed", "5.1.1")]
        desk_outbox.record_hard_bounces(session, bounced, now=utcnow())
    desk = TicketsService(db, admin)
    said = desk.reply_recipients(ticket.number)
    assert (said.to, said.cc) == ("ann@example.org", ("petra@acme.test",))
    assert [b.address for b in said.bounced] == ["li@acme.test"]
    with db.write() as session:
        thread.reply(session, admin, ticket.number, body="On it.", cc=["boss@acme.test"])
    [reply] = outbox(db, "reply")
    assert (reply.to_addresses, reply.cc_addresses) == (
        "ann@example.org",
        "petra@acme.test, boss@acme.test",
    )
    assert _copies(db, ticket.number) == ["petra@acme.test", "li@acme.test"]  # (kept)


def test_someone_an_agent_copied_writes_into_the_ticket_by_its_number(
    db: Database, admin: Actor, config: IngestConfig
) -> None:
    received(db, config, [email(subject="VPN down")], True)
    [ticket] = tickets(db)
    TicketsService(db, admin).ticket_copies(ticket.number, add=["petra@acme.test"])
    hers = email(sender="Petra <petra@acme.test>", subject=f"Re: VPN down [#{ticket.number}]")
    [result] = received(db, config, [hers], True)
    assert (result.outcome, result.ticket_number) == ("follow_up", ticket.number)
