from __future__ import annotations

import json

import pytest

from helpdesk_tui.desk.actors import Actor, os_login
from helpdesk_tui.storage.database import Database
from tests.cli.conftest import Invoke, as_login, on_sqlite_only, one_error_line


def test_agent_add_list_and_set_role(invoke: Invoke, use_db: str) -> None:
    assert invoke("init").exit_code == 0
    assert invoke("team", "add", "Network").exit_code == 0
    assert invoke("team", "add", "Support").exit_code == 0
    result = invoke(
        "agent", "add", "bob", "--name", "Bob Agent", "--email", "bob@example.com",
        "--team", "Support", "--team", "Network",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "added bob as agent"
    assert (
        invoke("agent", "set-role", "bob", "supervisor").stdout.strip() == "bob is now supervisor"
    )
    agents = {a["login"]: a for a in json.loads(invoke("agent", "list", "--json").stdout)}
    assert agents["bob"] == {
        "login": "bob",
        "name": "Bob Agent",
        "email": "bob@example.com",
        "role": "supervisor",
        "active": True,
        "teams": ["Network", "Support"],
    }
    assert agents[os_login()]["role"] == "admin"
    text = invoke("agent", "list").stdout
    assert "bob" in text and "[Network, Support]" in text


def test_an_agents_name_and_address_change_by_themselves_or_an_admin(
    invoke: Invoke, use_db: str
) -> None:
    """An agent added without an address had no way to get one (alerts reached nobody)."""
    assert invoke("agent", "add", "bob").exit_code == 0
    assert invoke("agent", "add", "carol").exit_code == 0
    bob = as_login("bob")
    said = bob("agent", "set", "bob", "--name", "Bob Agent", "--email", "bob@example.com")
    assert said.stdout.strip() == "bob: Bob Agent <bob@example.com>", said.stderr
    refused = bob("agent", "set", "carol", "--email", "bob@example.com")
    assert refused.exit_code == 1
    assert one_error_line(refused.stderr) == (
        "error: only an admin may change another agent's name or address; bob is agent"
    )
    assert invoke("agent", "set", "carol", "--email", "carol@example.com").exit_code == 0
    assert invoke("agent", "set", "bob", "--no-email").stdout.strip() == (
        "bob: Bob Agent (no email address)"
    )
    bad = invoke("agent", "set", "carol", "--email", "not an address")
    assert bad.exit_code != 0 and "address" in one_error_line(bad.stderr)
    agents = {a["login"]: a for a in json.loads(invoke("agent", "list", "--json").stdout)}
    assert (agents["bob"]["email"], agents["carol"]["email"]) == (None, "carol@example.com")
    assert invoke("agent", "set", "carol").exit_code == 2  # nothing to change: usage


def test_agent_errors_are_one_line(invoke: Invoke, use_db: str) -> None:
    assert invoke("agent", "add", "bob").exit_code == 0
    result = invoke("agent", "add", "bob")
    assert (
        one_error_line(result.stderr) == "error: bob is already an agent; see: helpdesk agent list"
    )
    result = invoke("agent", "set-role", "nobody", "admin")
    assert result.exit_code == 1
    result = invoke("agent", "set-role", os_login(), "agent")
    assert "last admin" in one_error_line(result.stderr)


def test_teams(invoke: Invoke, use_db: str) -> None:
    assert invoke("team", "add", "Network", "--description", "VPN and Wi-Fi").exit_code == 0
    assert invoke("team", "add", "Support").exit_code == 0
    assert invoke("team", "list").stdout.splitlines() == ["Network  VPN and Wi-Fi", "Support"]
    teams = json.loads(invoke("team", "list", "--json").stdout)
    assert [t["name"] for t in teams] == ["Network", "Support"]


def test_an_agents_teams_are_set_read_and_cleared(invoke: Invoke, use_db: str) -> None:
    assert invoke("team", "add", "Network").exit_code == 0
    assert invoke("team", "add", "Support").exit_code == 0
    assert invoke("agent", "add", "bob", "--team", "Network").exit_code == 0
    assert invoke("agent", "teams", "bob").stdout == "bob: Network\n"
    result = invoke("agent", "teams", "bob", "support", "Network")  # (any case: the desk's)
    assert (result.exit_code, result.stdout) == (0, "bob: Network, Support\n"), result.stderr
    assert invoke("agent", "teams", "bob", "Support").stdout == "bob: Support\n"
    agents = {a["login"]: a for a in json.loads(invoke("agent", "list", "--json").stdout)}
    assert agents["bob"]["teams"] == ["Support"]
    assert invoke("agent", "teams", "bob", "--none").stdout == "bob: no team\n"
    assert invoke("agent", "teams", "bob").stdout == "bob: no team\n"


def test_a_typo_in_a_team_changes_nothing_and_makes_no_team(invoke: Invoke, use_db: str) -> None:
    assert invoke("team", "add", "Network").exit_code == 0
    assert invoke("agent", "add", "bob", "--team", "Network").exit_code == 0
    result = invoke("agent", "teams", "bob", "Netwrok")
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        "error: no team 'Netwrok' (teams: Network); helpdesk team add NAME makes one"
    )
    assert invoke("team", "list").stdout == "Network\n"
    assert invoke("agent", "teams", "bob").stdout == "bob: Network\n"
    result = invoke("agent", "teams", "nobody", "Network")
    assert one_error_line(result.stderr) == "error: no agent 'nobody'; see: helpdesk agent list"
    assert invoke("agent", "teams", "nobody").exit_code == 1
    assert invoke("agent", "teams", "bob", "Network", "--none").exit_code == 2


def test_agent_add_with_a_typo_in_a_team_adds_nobody_and_makes_no_team(
    invoke: Invoke, use_db: str
) -> None:
    """``agent add bob --team Netwrk`` made a team Netwrk (which routing may then give
    tickets nobody watches), where ``agent teams`` refuses the same typo."""
    assert invoke("team", "add", "Network").exit_code == 0
    result = invoke("agent", "add", "bob", "--team", "Netwrk")
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        "error: no team 'Netwrk' (teams: Network); helpdesk team add NAME makes one"
    )
    assert invoke("team", "list").stdout == "Network\n"
    assert "bob" not in invoke("agent", "list").stdout
    result = invoke("agent", "add", "bob", "--team", "network")  # (any case: the desk's)
    assert result.exit_code == 0, result.stderr
    assert invoke("agent", "teams", "bob").stdout == "bob: Network\n"


def test_only_admins_add_agents_and_teams(invoke: Invoke, use_db: str) -> None:
    assert invoke("agent", "add", "ada", "--role", "admin").exit_code == 0
    assert invoke("agent", "set-role", os_login(), "agent").exit_code == 0
    for args in (("agent", "add", "eve"), ("team", "add", "Sneaky")):
        result = invoke(*args)
        assert result.exit_code == 1
        assert one_error_line(result.stderr).startswith("error: only an admin may add ")
    result = invoke("agent", "teams", "ada", "--none")
    assert one_error_line(result.stderr).startswith("error: only an admin may change ")
    assert invoke("agent", "teams", "ada").exit_code == 0  # (reading them is for agents)


# SQLite only: the wording; the caller's look-up that finds no agent runs on PostgreSQL in
# tests/cli/test_trust.py::test_every_verb_family_refuses_a_login_that_is_not_an_agent.
@on_sqlite_only
def test_an_os_user_who_is_not_an_agent_is_told_what_to_run(
    invoke: Invoke, db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPDESK_DATABASE_URL", db.url)
    result = invoke("ticket", "list")
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        f"error: {os_login()} is not an agent on this helpdesk; an admin can run: "
        f"helpdesk agent add {os_login()} --name 'Full Name' --email {os_login()}@example.com"
    )
