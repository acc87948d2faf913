"""Macros: one change (one version, one group of events), refused when stale — also when two
agents apply one at the same moment from two processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from multiprocessing.synchronize import Barrier
from typing import Any

import pytest
from sqlmodel import col, select

from helpdesk_tui.desk.actors import MAIL, Actor, agent_actor
from helpdesk_tui.desk.errors import Conflict, InvalidTransition, InvalidValue, PermissionDenied
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.macros import MacroSpec
from helpdesk_tui.desk.tags import ticket_tags
from helpdesk_tui.desk.tickets import create_ticket, load_ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Event, Message, MessageKind, Outbox
from tests import processes
from tests.desk.conftest import on_sqlite_only

JOIN_SECONDS = 120

WAIT = MacroSpec(
    name="Ask for logs",
    body="Hi {{requester.first_name}}, please send the logs for #{{ticket.number}}.",
    status="waiting",
    priority="high",
    tags_add=("needs-logs",),
    tags_remove=("new-lead",),
    assignee="bob",
    team="Support",
)


def _ticket(db: Database) -> int:
    with db.write() as s:
        return create_ticket(
            s,
            MAIL,
            subject="VPN drops",
            body="help",
            requester_email="ann@example.org",
            requester_name="Ann Smith",
            tags=["new-lead"],
        ).number


def _version(db: Database, number: int) -> int:
    with db.read() as s:
        return load_ticket(s, number).version


def test_a_macro_is_one_change(db: Database, admin: Actor, agent_bob: Actor) -> None:
    Desk(db, admin).macro_save(WAIT)
    number = _ticket(db)
    seen = _version(db, number)
    result = Desk(db, agent_bob).macro_apply(
        number, "ask for logs", expected_version=seen, desk_name="Acme"
    )
    assert result.version == seen + 1
    with db.read() as s:
        ticket = load_ticket(s, number)
        events = s.exec(select(Event).where(col(Event.ticket_id) == ticket.id)).all()
        replies = s.exec(select(Message).where(col(Message.kind) == MessageKind.REPLY)).all()
        mail = s.exec(select(Outbox)).all()
        tags = ticket_tags(s, ticket.id or 0)
    assert (ticket.status, ticket.priority, ticket.assignee_sort) == ("waiting", "high", "bob")
    assert tags == ["needs-logs"]
    group = sorted(e.kind for e in events if e.ticket_version == seen + 1)
    assert group == [
        "assignee", "macro", "priority", "reply", "status", "tag_added", "tag_removed", "team",
    ]  # fmt: skip
    assert not [e for e in events if (e.ticket_version or 0) > seen + 1]
    expected = f"Hi Ann, please send the logs for #{number}."
    assert [r.body for r in replies] == [expected]
    assert [m.body for m in mail] == [expected]


def test_a_macro_from_a_composer_of_its_kind_leaves_its_text_to_the_draft(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """From a reply being written (``draft_kind="reply"``) a reply macro writes no reply of
    its own: its text comes back rendered for the draft, the fields change as one change.
    From a note being written the same macro's reply is written and sent as before."""
    Desk(db, admin).macro_save(WAIT)
    number = _ticket(db)
    seen = _version(db, number)
    result = Desk(db, agent_bob).macro_apply(
        number, "ask for logs", expected_version=seen, desk_name="Acme", draft_kind="reply"
    )
    assert result.draft_text == f"Hi Ann, please send the logs for #{number}."
    assert "reply text into your draft" in result.changes and result.version == seen + 1
    with db.read() as s:
        ticket = load_ticket(s, number)
        events = s.exec(select(Event).where(col(Event.ticket_id) == ticket.id)).all()
        replies = s.exec(select(Message).where(col(Message.kind) == MessageKind.REPLY)).all()
        mail = s.exec(select(Outbox)).all()
    assert (ticket.status, ticket.priority, ticket.assignee_sort) == ("waiting", "high", "bob")
    assert replies == [] and mail == []
    assert "reply" not in {e.kind for e in events if e.ticket_version == seen + 1}
    other = _ticket(db)
    again = Desk(db, agent_bob).macro_apply(
        other, "ask for logs", expected_version=None, desk_name="Acme", draft_kind="note"
    )
    assert again.draft_text == ""
    with db.read() as s:
        assert len(s.exec(select(Message).where(col(Message.kind) == MessageKind.REPLY)).all()) == 1


def test_a_macro_setting_the_status_a_ticket_has_does_the_rest(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """Ask for logs on a ticket already waiting: the reply, tags, priority, assignee and
    team apply as one change; the status, already the ticket's, is nothing to do (no event,
    no refusal "waiting to waiting"). So with a note macro and a macro of fields only."""
    desk = Desk(db, admin)
    desk.macro_save(WAIT)
    desk.macro_save(MacroSpec(name="Park", status="waiting", body="Parked", body_kind="note"))
    desk.macro_save(MacroSpec(name="Hold", status="waiting", priority="low"))
    number = _ticket(db)
    seen = desk.ticket_set_status(number, "waiting").version
    result = Desk(db, agent_bob).macro_apply(
        number, "ask for logs", expected_version=seen, desk_name="Acme"
    )
    assert result.version == seen + 1
    for name in ("Park", "Hold"):
        desk.macro_apply(number, name, expected_version=None, desk_name="Acme")
    with db.read() as s:
        ticket = load_ticket(s, number)
        events = s.exec(select(Event).where(col(Event.ticket_id) == ticket.id)).all()
        mail = s.exec(select(Outbox)).all()
        tags = ticket_tags(s, ticket.id or 0)
    assert (ticket.status, ticket.priority, ticket.assignee_sort) == ("waiting", "low", "bob")
    assert tags == ["needs-logs"] and len(mail) == 1 and ticket.version == seen + 3
    group = sorted(e.kind for e in events if e.ticket_version == seen + 1)
    assert group == [
        "assignee", "macro", "priority", "reply", "tag_added", "tag_removed", "team",
    ]  # fmt: skip
    assert sorted(e.kind for e in events if e.ticket_version == seen + 2) == ["macro", "note"]
    assert sorted(e.kind for e in events if e.ticket_version == seen + 3) == ["macro", "priority"]


def test_a_stale_or_refused_macro_saves_nothing(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    desk = Desk(db, admin)
    desk.macro_save(WAIT)
    desk.macro_save(MacroSpec(name="Close", status="closed", body="Bye", body_kind="note"))
    number = _ticket(db)
    seen = _version(db, number)
    desk.macro_apply(number, "Close", expected_version=seen, desk_name="Acme")
    with pytest.raises(Conflict):
        desk.macro_apply(number, "Ask for logs", expected_version=seen, desk_name="Acme")
    with pytest.raises(InvalidTransition):
        desk.macro_apply(number, "Ask for logs", expected_version=None, desk_name="Acme")
    assert _version(db, number) == seen + 1


@on_sqlite_only("tests/desk/test_macros.py::test_a_macro_is_one_change")
def test_only_supervisors_manage_macros(db: Database, admin: Actor, agent_bob: Actor) -> None:
    with pytest.raises(PermissionDenied):
        Desk(db, agent_bob).macro_save(WAIT)
    with pytest.raises(InvalidValue, match="change nothing"):
        Desk(db, admin).macro_save(MacroSpec(name="Empty"))
    with pytest.raises(InvalidValue, match="unknown placeholder"):
        Desk(db, admin).macro_save(MacroSpec(name="Typo", body="{{ticket.numbr}}"))


def _apply_in_child(
    url: str, login: str, number: int, seen: int, barrier: Barrier, results: Any
) -> None:
    db = Database(url)
    try:
        with db.read() as session:
            actor = agent_actor(session, login)
        barrier.wait(timeout=60)
        Desk(db, actor).macro_apply(number, "Ask for logs", expected_version=seen, desk_name="A")
        results.put(("ok", login))
    except Conflict as conflict:
        results.put(("conflict", str(conflict)))
    except BaseException as error:  # anything else is reported, never swallowed
        results.put(("error", repr(error)))
    finally:
        db.dispose()


def _assert_applied_once(db: Database, number: int, seen: int, outcomes: list[str]) -> None:
    assert sorted(outcomes) == ["conflict", "ok"], outcomes
    with db.read() as s:
        ticket = load_ticket(s, number)
        macro_events = s.exec(
            select(Event).where(col(Event.ticket_id) == ticket.id, col(Event.kind) == "macro")
        ).all()
        mail = s.exec(select(Outbox)).all()
    assert ticket.version == seen + 1
    assert len(macro_events) == 1 and len(mail) == 1


@pytest.mark.slow
def test_two_processes_apply_at_once_the_ticket_changes_once(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    Desk(db, admin).macro_save(WAIT)
    number = _ticket(db)
    seen = _version(db, number)
    barrier = processes.barrier(2)
    args = [(db.url, who, number, seen, barrier) for who in ("ada", "bob")]
    outcomes = processes.run_children(_apply_in_child, args, JOIN_SECONDS)
    _assert_applied_once(db, number, seen, [outcome for outcome, _ in outcomes])


def test_two_threads_apply_at_once_the_ticket_changes_once(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    Desk(db, admin).macro_save(WAIT)
    number = _ticket(db)
    seen = _version(db, number)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def apply(actor: Actor) -> None:
        desk = Desk(db, actor)
        barrier.wait(timeout=60)
        try:
            desk.macro_apply(number, "Ask for logs", expected_version=seen, desk_name="A")
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=apply, args=(who,)) for who in (admin, agent_bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    _assert_applied_once(db, number, seen, outcomes)
