"""How ``desk.history.describe`` words events for people (history view, CLI, conflicts)."""

from __future__ import annotations

from helpdesk_tui.desk import fields, relations
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database


def _new(db: Database, actor: Actor, subject: str) -> int:
    with db.write() as s:
        return create_ticket(
            s, actor, subject=subject, body="It smokes.", requester_email="ann@example.com"
        ).number


def _lines(db: Database, number: int) -> list[str]:
    with db.read() as s:
        return [event.text for event in ticket_detail(s, number).events]


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
