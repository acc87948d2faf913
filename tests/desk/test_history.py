"""How ``desk.history.describe`` words events for people (history view, CLI, conflicts)."""

from __future__ import annotations

from helpdesk_tui.desk import fields, relations
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database
from tests.desk.conftest import on_sqlite_only


def _new(db: Database, actor: Actor, subject: str) -> int:
    with db.write() as s:
        return create_ticket(
            s, actor, subject=subject, body="It smokes.", requester_email="ann@example.com"
        ).number


def _lines(db: Database, number: int) -> list[str]:
    with db.read() as s:
        return [event.text for event in ticket_detail(s, number).events]


@on_sqlite_only(
    "tests/desk/test_history.py::"
    "test_a_merged_tickets_history_says_which_ticket_each_change_was_made_on"
)
def test_events_say_statuses_types_and_merges_as_the_rest_of_the_ui_does(
    db: Database, admin: Actor
) -> None:
    target, source, other = (_new(db, admin, s) for s in ("original", "dup", "later"))
    with db.write() as s:
        fields.set_status(s, admin, target, "in_progress")
        fields.set_type(s, admin, target, "service_request")
        fields.set_category(s, admin, target, "on_site_visit")
        relations.link(s, admin, target, other, kind="follow_up")
        relations.merge(s, admin, source, target)
    lines = _lines(db, target)
    assert "ada: status new → in progress" in lines
    assert "ada: type question → service request" in lines
    assert "ada: category — → on_site_visit" in lines  # a name someone chose stays as is
    assert f"ada: linked follow up #{other}" in lines
    assert f"ada: #{source} merged in" in lines
    assert f"ada: merged into #{target}" in _lines(db, source)
    assert not [line for line in lines if "in_progress" in line or "merged #" in line]


def test_a_merged_tickets_history_says_which_ticket_each_change_was_made_on(
    db: Database, admin: Actor
) -> None:
    """A merge moves the source's history to the target: its escalation read as the
    target's (tier 1 → 2 on a ticket still at tier 1), its creation as a second one. Each
    moved line says the ticket it was made on; the target's own lines are as they were."""
    target, source = (_new(db, admin, s) for s in ("original", "dup"))
    with db.write() as s:
        fields.escalate(s, admin, source)
        fields.set_status(s, admin, target, "in_progress")
        relations.merge(s, admin, source, target)
    lines = _lines(db, target)
    assert f"ada: escalated from tier 1 to tier 2, manual — on #{source}" in lines
    assert f"ada: created via manual — on #{source}" in lines
    assert "ada: created via manual" in lines and "ada: status new → in progress" in lines
    assert f"ada: #{source} merged in" in lines
    assert [line for line in lines if "escalated" in line and "— on #" not in line] == []
    with db.read() as s:
        shown = ticket_detail(s, target).as_json()["history"]
    assert isinstance(shown, list)
    assert [e.get("on_ticket") for e in shown if e["kind"] == "escalated"] == [source]
    assert not [e for e in shown if e["kind"] == "merged" and "on_ticket" in e]
