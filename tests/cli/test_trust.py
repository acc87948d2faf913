"""Who may do what: only ``init`` makes a desk, every verb family checks its caller's role,
deactivated agents stop, and a database password is never printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpdesk_tui.desk.actors import os_login
from tests.cli.conftest import Invoke, as_login, on_engines, one_error_line, write_toml

NOT_AN_AGENT = "mallory is not an agent on this helpdesk"

# Every verb family that reads or changes the desk, with arguments that would otherwise work.
AGENT_VERBS = [
    ("ticket", "list"),
    ("ticket", "show", "1"),
    ("agent", "list"),
    ("team", "list"),
    ("db", "status"),
    ("mail", "status"),
    ("mail", "check"),
    ("mail", "run"),
    ("mail", "quarantine", "list"),
    ("mail", "quarantine", "show", "1"),
    ("mail", "quarantine", "retry", "1"),
    ("mail", "spam", "list"),
    ("mail", "spam", "release", "1"),
    ("mail", "machine", "list"),
    ("mail", "machine", "show", "1"),
    ("mail", "machine", "release", "1"),
    ("mail", "resend", "1"),
    ("drafts",),
    ("ticket", "merge", "1", "2"),
    ("ticket", "rate", "1", "4"),
    ("report",),
    ("survey", "status"),
]
ADMIN_VERBS = [
    (("db", "upgrade"), "only an admin may upgrade the database"),
    (("db", "backup", "{tmp}/copy.db"), "only an admin may back up the desk"),
    (("db", "restore", "{tmp}/copy.db"), "only an admin may restore the desk"),
    (("agent", "add", "carol"), "only an admin may add agents"),
    (("agent", "set-role", "bob", "admin"), "only an admin may change roles"),
    (("agent", "deactivate", "bob"), "only an admin may deactivate or reactivate agents"),
    (("agent", "reactivate", "bob"), "only an admin may deactivate or reactivate agents"),
    (("team", "add", "Network"), "only an admin may add teams"),
    (("demo", "--tickets", "1"), "only an admin may fill the desk with demo data"),
    (("ticket", "delete", "1", "--yes"), "only an admin may delete a ticket"),
    (("survey", "off"), "only an admin may switch satisfaction surveys"),
]


@pytest.fixture
def desk(invoke: Invoke, use_db: str) -> str:
    """A desk whose admin is this login, with bob as an agent and one ticket."""
    assert invoke("agent", "add", "bob").exit_code == 0
    made = invoke("ticket", "new", "--subject", "One", "--from", "a@example.com", "--body", "x")
    assert made.exit_code == 0, made.stderr
    return use_db


# The refusals below are the desk's (``desk/actors``): one statement reads the caller
# (``_AGENT_BY_LOGIN``, the same SQL text for every verb), the role is compared in Python.
# On PostgreSQL a verb of each door runs (``on_engines``): the facade's (ticket), the
# database's (db), the mail layer's, the reports'; the admin verbs' also the backup's, the
# admin service's and a ticket's delete. The others differ in wording only.


@pytest.mark.parametrize(
    ("db_url", "verb"),
    on_engines(
        [(verb,) for verb in AGENT_VERBS], {0, 4, 5, 20}, ids=lambda case: " ".join(case[0])
    ),
    indirect=["db_url"],
)
def test_every_verb_family_refuses_a_login_that_is_not_an_agent(
    desk: str, verb: tuple[str, ...]
) -> None:
    result = as_login("mallory")(*verb)
    assert result.exit_code == 1
    assert one_error_line(result.stderr).startswith(f"error: {NOT_AN_AGENT}")


@pytest.mark.parametrize(
    ("db_url", "verb", "refusal"),
    on_engines(ADMIN_VERBS, {0, 1, 3, 9}, ids=lambda case: " ".join(case[0])[:30]),
    indirect=["db_url"],
)
def test_admin_verbs_refuse_an_agent(
    desk: str, invoke: Invoke, tmp_path: Path, verb: tuple[str, ...], refusal: str
) -> None:
    args = [part.format(tmp=tmp_path) for part in verb]
    result = as_login("bob")(*args)
    assert result.exit_code == 1
    assert one_error_line(result.stderr).startswith(f"error: {refusal}; bob is agent")
    assert not (tmp_path / "copy.db").exists()
    assert json.loads(invoke("ticket", "list", "--json").stdout)[0]["number"] == 1


def test_a_merge_shows_no_requester_to_a_login_that_is_not_an_agent(
    desk: str, invoke: Invoke
) -> None:
    made = invoke("ticket", "new", "--subject", "Two", "--from", "b@example.com", "--body", "x")
    assert made.exit_code == 0, made.stderr
    result = as_login("mallory")("ticket", "merge", "1", "2", "--yes")
    assert one_error_line(result.stderr).startswith(f"error: {NOT_AN_AGENT}")
    result = as_login("mallory")("ticket", "merge", "1", "2")
    assert one_error_line(result.stderr).startswith(f"error: {NOT_AN_AGENT}")
    shown = result.stderr + result.stdout
    assert "a@example.com" not in shown and "b@example.com" not in shown


def test_agents_may_use_the_agent_verbs(desk: str) -> None:
    bob = as_login("bob")
    for verb in (("ticket", "list"), ("agent", "list"), ("db", "status"), ("mail", "status")):
        assert bob(*verb).exit_code == 0, (verb, bob(*verb).stderr)


def test_a_deactivated_agent_cannot_act_and_keeps_their_history(desk: str, invoke: Invoke) -> None:
    bob = as_login("bob")
    assert bob("ticket", "note", "1", "--body", "Mine.").exit_code == 0
    assert invoke("agent", "deactivate", "bob").stdout.startswith("bob is deactivated")
    for verb in (("ticket", "list"), ("ticket", "note", "1", "--body", "Again."), ("db", "status")):
        result = bob(*verb)
        assert one_error_line(result.stderr) == (
            "error: bob is deactivated on this helpdesk; an admin can run: "
            "helpdesk agent reactivate bob"
        )
    history = json.loads(invoke("ticket", "show", "1", "--json").stdout)[0]["history"]
    assert ("bob", "note") in [(event["actor"], event["kind"]) for event in history]
    listed = {a["login"]: a for a in json.loads(invoke("agent", "list", "--json").stdout)}
    assert listed["bob"]["active"] is False
    assigned = invoke("ticket", "assign", "1", "--to", "bob")
    assert one_error_line(assigned.stderr) == (
        "error: #1: bob is deactivated; assign to an active agent"
    )
    assert invoke("agent", "reactivate", "bob").exit_code == 0
    assert bob("ticket", "list").exit_code == 0


def test_an_agent_who_leaves_hands_their_open_tickets_back(desk: str, invoke: Invoke) -> None:
    """Deactivating an agent says which open tickets they still hold (no one else's "My
    open" shows them); ``--unassign`` puts those back in their teams' unassigned queues,
    each with an ``assignee`` event by the admin, and leaves a closed ticket as it was."""
    for subject in ("Two", "Three"):
        assert invoke("ticket", "new", "--subject", subject, "--body", "x").exit_code == 0
    for number in ("1", "2", "3"):
        assert invoke("ticket", "assign", number, "--to", "bob").exit_code == 0
    assert invoke("ticket", "status", "3", "closed", "--yes").exit_code == 0

    told = invoke("agent", "deactivate", "bob")
    assert told.stdout.splitlines() == [
        "bob is deactivated; helpdesk agent reactivate undoes it",
        "bob still holds 2 open tickets (#1, #2), in no one else's queue of their own; "
        "hand them back with: helpdesk agent deactivate bob --unassign",
    ]
    handed = invoke("agent", "deactivate", "bob", "--unassign")
    assert handed.stdout.splitlines()[1] == (
        "unassigned 2 open tickets (#1, #2) of bob; they wait in their teams' unassigned queues"
    )
    assert invoke("ticket", "list", "--assignee", "bob", "--ids").stdout.split() == ["3"]
    assert invoke("ticket", "list", "--unassigned", "--ids").stdout.split() == ["2", "1"]
    history = json.loads(invoke("ticket", "show", "1", "--json").stdout)[0]["history"]
    assert (os_login(), "assignee", "bob", None) in [
        (e["actor"], e["field"], e["old"], e["new"]) for e in history
    ]


def test_the_last_active_admin_cannot_be_deactivated(desk: str, invoke: Invoke) -> None:
    result = invoke("agent", "deactivate", os_login())
    assert result.exit_code == 1
    assert "is the last admin" in one_error_line(result.stderr)


MISTYPED = [
    (),  # the terminal UI
    ("ticket", "list"),
    ("ticket", "new", "--subject", "x", "--from", "a@example.com", "--body", "x"),
    ("agent", "add", "bob"),
    ("agent", "list"),
    ("mail", "status"),
    ("db", "status"),
    ("db", "upgrade"),
    ("demo", "--tickets", "1"),
]


@pytest.mark.parametrize("verb", MISTYPED, ids=lambda v: " ".join(v) or "tui")
def test_a_mistyped_database_url_creates_nothing(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verb: tuple[str, ...]
) -> None:
    from helpdesk_tui.app import HelpdeskApp

    monkeypatch.setattr(HelpdeskApp, "run", lambda self: pytest.fail("the app started"))
    typo = tmp_path / "srv" / "hepldesk" / "helpdesk.db"
    write_toml(tmp_path / "config" / "config.toml", f'database_url = "sqlite:///{typo}"\n')
    result = invoke(*verb)
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        f"error: no desk at {typo}; create one with `helpdesk init`"
    )
    assert not (tmp_path / "srv").exists()
    assert "first admin" not in result.output + result.stderr


def test_an_existing_empty_file_is_no_desk_either(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    monkeypatch.setenv("HELPDESK_DATABASE_URL", f"sqlite:///{empty}")
    result = invoke("ticket", "list")
    assert one_error_line(result.stderr) == (
        f"error: no desk at {empty}; create one with `helpdesk init`"
    )
    assert empty.read_bytes() == b""


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "sqlite:///helpdesk.db", "sqlite:///./x.db"]
)
def test_in_memory_and_relative_urls_are_one_line(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELPDESK_DATABASE_URL", url)
    result = invoke("init")
    assert result.exit_code == 2
    assert "HELPDESK_DATABASE_URL" in one_error_line(result.stderr)
    assert list(tmp_path.iterdir()) == []


def test_a_database_password_is_never_printed(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_toml(
        tmp_path / "config" / "config.toml",
        'database_url = "postgresql+psycopg://desk:Sup3rS3cret@127.0.0.1:1/nodesk"\n',
        mode=0o644,
    )
    for verb in (("config", "show"), ("config", "show", "--json"), ("db", "status")):
        result = invoke(*verb)
        assert "Sup3rS3cret" not in result.output + result.stderr, verb
        assert f"warning: {config} holds database_url and others can read it" in result.stderr
    shown = invoke("config", "show").stdout
    assert 'database_url = "postgresql+psycopg://desk:***@127.0.0.1:1/nodesk"' in shown
