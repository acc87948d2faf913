"""The Desk's admin operations: agents, teams, schema, backups; roles checked on each."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.admin_service import (
    AgentView,
    BackupFailed,
    TeamView,
    actor_of,
    ensure_first_admin,
    has_agents,
)
from helpdesk_tui.desk.errors import InvalidValue, PermissionDenied, UnknownAgent
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.opening import DeskUnavailable, connect, open_database
from helpdesk_tui.desk.queue import QueueQuery
from helpdesk_tui.desk.queue_values import TicketFilter
from helpdesk_tui.desk.service import AgentSeen
from helpdesk_tui.storage.database import Database
from tests.desk.conftest import on_sqlite_only


def test_agents_and_teams_come_back_as_views(db: Database, admin: Actor) -> None:
    desk = Desk(db, admin)
    assert desk.teams_add("Network") == TeamView("Network", "")
    with pytest.raises(InvalidValue, match="no team 'Netwrk'"):  # (a typo makes no team)
        desk.agents_add("carl", teams=["Netwrk"])
    added = desk.agents_add("carl", name="Carl", email="carl@example.org", teams=["network"])
    assert added == AgentView("carl", "Carl", "carl@example.org", "agent", True, ("Network",))

    assert desk.agents_set_role("carl", "supervisor").role == "supervisor"
    assert desk.agents_deactivate("carl").active is False
    assert desk.agents_reactivate("carl").active is True

    listed = {agent.login: agent for agent in desk.agents_list()}
    assert listed["carl"].teams == ("Network",) and listed["ada"].role == "admin"
    assert desk.teams_add("Billing", "Invoices") == TeamView("Billing", "Invoices")
    assert [team.name for team in desk.teams_list()] == ["Billing", "Network", "Support"]


@on_sqlite_only("tests/desk/test_admin_service.py::test_agents_and_teams_come_back_as_views")
def test_only_an_admin_runs_the_desk(db: Database, agent_bob: Actor, tmp_path: Path) -> None:
    desk = Desk(db, agent_bob)
    with pytest.raises(PermissionDenied):
        desk.agents_add("eve")
    with pytest.raises(PermissionDenied):
        desk.admin_backup(tmp_path / "copy")
    with pytest.raises(PermissionDenied):
        desk.admin_upgrade()
    assert [agent.login for agent in desk.agents_list()] == ["ada", "bob"], "reading is for all"


def test_the_schema_is_up_to_date_and_upgrading_changes_nothing(db: Database, admin: Actor) -> None:
    desk = Desk(db, admin)
    before = desk.admin_schema_state()
    assert before.is_latest
    assert desk.admin_upgrade() == before


def test_restore_refuses_a_desk_that_holds_tickets(
    db: Database, admin: Actor, tmp_path: Path
) -> None:
    desk = Desk(db, admin)
    desk.ticket_create(subject="Printer", body="on fire")
    with pytest.raises(BackupFailed, match="is not empty"):
        desk.admin_restore(tmp_path / "backup")


def test_a_sqlite_backup_restores_into_a_new_desk(tmp_path: Path) -> None:
    say: list[str] = []
    source = open_database(f"sqlite:///{tmp_path / 'a.db'}", create=True, say=say.append)
    target = open_database(f"sqlite:///{tmp_path / 'b.db'}", create=True, say=say.append)
    try:
        assert ensure_first_admin(source, "ada", name="Ada") and ensure_first_admin(target, "ada")
        assert not ensure_first_admin(source, "eve"), "only an empty desk gets a first admin"
        Desk(source, actor_of(source, "ada")).ticket_create(subject="Kept", body="safe")
        Desk(source, actor_of(source, "ada")).admin_backup(tmp_path / "copy.db")

        with pytest.raises(BackupFailed, match="not a helpdesk backup"):
            Desk(target, actor_of(target, "ada")).admin_restore(tmp_path / "nothing")
        Desk(target, actor_of(target, "ada")).admin_restore(tmp_path / "copy.db")
        [row] = Desk(target, actor_of(target, "ada")).tickets_rows(_everything(), limit=0)
        assert row.subject == "Kept"
    finally:
        source.dispose()
        target.dispose()
    made = [
        f"created the helpdesk schema in sqlite:///{tmp_path / name}" for name in ("a.db", "b.db")
    ]
    assert say == made


def _everything() -> QueueQuery:
    return QueueQuery(TicketFilter())


def test_before_an_actor_the_desk_knows_its_agents(db: Database, admin: Actor) -> None:
    assert has_agents(db)
    assert actor_of(db, "ada") == admin
    with pytest.raises(UnknownAgent):
        actor_of(db, "mallory")


def test_a_missing_desk_is_one_desk_error(tmp_path: Path) -> None:
    with pytest.raises(DeskUnavailable, match=r"no desk at .*helpdesk init"):
        connect(f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}")
    with pytest.raises(DeskUnavailable, match="cannot use database URL"):
        connect("postgresql+nosuchdriver://u:secret@h/db")


def test_a_terminal_open_for_hours_acts_as_the_desk_has_its_agent_now(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """Bob's terminal UI, opened before an admin changed him (a team's audit at 80x24 on
    PostgreSQL: a deactivated agent's open app still added notes the CLI refused). Each of
    its writes reads his agent row again: given the supervisor's role he reopens a closed
    ticket; deactivated he can no longer act, in the CLI's words; reactivated he can."""
    admins = Desk(db, admin)
    bobs = Desk(db, agent_bob, actor_may_change=True)
    number = bobs.ticket_create(
        subject="Printer", body="It smokes.", requester_email="ann@example.com"
    ).row.number
    bobs.ticket_set_status(number, "closed")
    with pytest.raises(PermissionDenied):
        bobs.ticket_reopen(number, "still smokes")
    admins.agents_set_role("bob", "supervisor")
    bobs.ticket_reopen(number, "still smokes")
    admins.agents_deactivate("bob")
    version = admins.ticket_row(number).version
    with pytest.raises(UnknownAgent, match=r"^bob is deactivated on this helpdesk; an admin"):
        bobs.ticket_note(number, "after the deactivation")
    assert admins.ticket_row(number).version == version  # (nothing written)
    admins.agents_reactivate("bob")
    bobs.ticket_note(number, "back again")


def test_the_agent_as_the_latest_write_read_them(
    db: Database, admin: Actor, agent_bob: Actor
) -> None:
    """What a terminal's keys follow (``Desk.agent_seen``): the agent as the latest of its
    writes' reads found them, in the order the reads began; a heartbeat that read him before
    the deactivation and ended after a refused note does not undo what the note found."""
    admins = Desk(db, admin)
    bobs = Desk(db, agent_bob, actor_may_change=True)
    assert bobs.agent_seen is None
    number = bobs.ticket_create(
        subject="Printer", body="It smokes.", requester_email="ann@example.com"
    ).row.number
    first = bobs.agent_seen
    assert first is not None and first.refused is None and first.actor.role == "agent"
    admins.agents_set_role("bob", "supervisor")
    bobs.ticket_note(number, "as a supervisor")
    assert bobs.agent_seen is not None and bobs.agent_seen.actor.role == "supervisor"
    admins.agents_deactivate("bob")
    with pytest.raises(UnknownAgent):
        bobs.ticket_note(number, "after the deactivation")
    refused = bobs.agent_seen
    assert refused is not None and refused.refused is not None
    assert refused.refused.startswith("bob is deactivated on this helpdesk")
    bobs._seen(AgentSeen(first.check, first.actor, None))  # (an older read ending late)
    assert bobs.agent_seen is refused
    admins.agents_reactivate("bob")
    bobs.ticket_note(number, "back again")
    assert bobs.agent_seen is not None and bobs.agent_seen.refused is None
