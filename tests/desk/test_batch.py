"""One change to many tickets (``desk.batch``), on SQLite and PostgreSQL: the queue's marks
and the CLI's ``ticket status -`` go through it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.batch import FieldChange, Target, change_all
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.macros import MacroSpec
from helpdesk_tui.desk.opening import DatabaseUnreachable
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Outbox

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_each_ticket_by_its_writer_refusals_named_the_others_changed(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    with db.write() as s:
        numbers = [
            create_ticket(s, admin, subject=f"Printer {i}", body="jam").number for i in range(4)
        ]
    ada, bob = Desk(db, admin, clock=lambda: NOW), Desk(db, agent_bob, clock=lambda: NOW)
    seen = {n: ada.ticket_row(n).version for n in numbers}
    moved, closed = numbers[1], numbers[3]
    ada.ticket_set_status(closed, "closed")
    seen[closed] = ada.ticket_row(closed).version
    bob.ticket_set_priority(moved, "low", expected_version=seen[moved])  # meanwhile

    result = ada.tickets_change(
        [Target(n, seen[n]) for n in numbers], FieldChange("priority", "high")
    )

    assert [row.number for row in result.changed] == [numbers[0], numbers[2]]
    assert [o.number for o in result.refused] == [moved, closed]
    assert result.summary() == f"2 changed; 2 not: #{moved} changed meanwhile, #{closed} is closed"
    assert ada.ticket_row(moved).priority == "low"  # bob's change stands
    assert ada.ticket_row(closed).priority == "normal"
    for number in (numbers[0], numbers[2]):  # each ticket's own history, as one at a time
        assert ada.ticket_open(number).history[-1].text == "ada: priority normal → high"
    tags = ada.tickets_change(
        [Target(numbers[0], None), Target("#x", None)], FieldChange("tags", add=("vip",))
    )
    assert ada.ticket_open(numbers[0]).tags == ["vip"]
    assert tags.summary().startswith("1 changed; 1 not: #x: ")


def test_once_the_database_does_not_answer_the_rest_are_refused_untried() -> None:
    tried: list[int] = []

    def change(number: int, _version: int | None) -> None:
        tried.append(number)
        raise DatabaseUnreachable("database error at db.example: connection refused")

    result = change_all([Target(n) for n in (4, 5, 6)], change)
    assert tried == [4]  # (not a connection timeout for each of a million tickets)
    assert [o.refusal for o in result.refused][1:] == [
        "#5: database error at db.example: connection refused",
        "#6: database error at db.example: connection refused",
    ]


def test_a_macro_on_many_tickets_changes_fields_and_notes_never_writes_a_reply(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    ada, bob = Desk(db, admin, clock=lambda: NOW), Desk(db, agent_bob, clock=lambda: NOW)
    escalated = ada.macro_save(MacroSpec(name="Escalated", priority="urgent", tags_add=("esc",)))
    logs = ada.macro_save(
        MacroSpec(name="Ask for logs", body="Please send the logs.", status="waiting")
    )
    outage = ada.macro_save(MacroSpec(name="Outage", body="INC-7", body_kind="note"))
    with db.write() as s:
        numbers = [
            create_ticket(s, admin, subject=f"VPN {i}", body="drops").number for i in range(3)
        ]
    seen = [Target(n, ada.ticket_row(n).version) for n in numbers]
    bob.ticket_set_priority(numbers[1], "low")  # meanwhile

    refused = bob.tickets_macro(seen, logs, desk_name="Acme")  # whole, before any ticket
    assert refused.summary() == (
        "Macro Ask for logs writes a reply: apply it on one ticket at a time"
    )
    assert refused.outcomes == ()
    with pytest.raises(InvalidValue):  # nor one by one, as the bulk path applies each
        bob.macro_apply(numbers[0], "Ask for logs", expected_version=None, desk_name="Acme",
                        bulk=logs)  # fmt: skip
    with db.read() as s:
        assert not s.exec(select(Outbox)).all()
    assert [ada.ticket_row(n).status for n in numbers] == ["new"] * 3

    result = bob.tickets_macro(seen, escalated, desk_name="Acme")
    assert result.summary() == f"2 changed; 1 not: #{numbers[1]} changed meanwhile"
    assert [ada.ticket_row(n).priority for n in numbers] == ["urgent", "low", "urgent"]
    assert ada.ticket_open(numbers[0]).tags == ["esc"]

    noted = bob.tickets_macro([Target(n) for n in numbers], outage, desk_name="Acme")
    assert noted.summary() == "3 changed"  # a note is internal: the same on each
    for number in numbers:
        assert [e.body for e in ada.ticket_open(number).entries if e.kind == "note"] == ["INC-7"]
    with db.read() as s:
        assert not s.exec(select(Outbox)).all()


def test_a_macro_changed_or_deleted_since_the_question_applies_nowhere(
    db: Database, admin: Actor
) -> None:
    """The macro the agent was asked about, or nothing: checked before the batch and again
    inside each ticket's apply (a change between two tickets stops the rest)."""
    ada = Desk(db, admin, clock=lambda: NOW)
    seen = ada.macro_save(MacroSpec(name="Escalated", priority="urgent"))
    with db.write() as s:
        numbers = [create_ticket(s, admin, subject=f"VPN {i}", body="x").number for i in range(2)]
    ada.macro_save(MacroSpec(name="Escalated", priority="low"), macro_id=seen.id)
    changed = ada.tickets_macro([Target(n) for n in numbers], seen, desk_name="Acme")
    assert changed.summary() == "Macro Escalated changed meanwhile: nothing applied"
    with pytest.raises(InvalidValue, match="changed meanwhile"):
        ada.macro_apply(numbers[0], "Escalated", expected_version=None, desk_name="Acme",
                        bulk=seen)  # fmt: skip
    ada.macro_delete("Escalated")
    deleted = ada.tickets_macro([Target(n) for n in numbers], seen, desk_name="Acme")
    assert deleted.summary() == "Macro Escalated was deleted meanwhile: nothing applied"
    assert [ada.ticket_row(n).priority for n in numbers] == ["normal", "normal"]
