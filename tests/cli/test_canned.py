"""``helpdesk canned`` and ``helpdesk macro`` on each engine, as the admin and as an agent."""

from __future__ import annotations

import json

from sqlmodel import col, select

from helpdesk_tui.desk.actors import os_login
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Event, Outbox
from tests.cli.conftest import Invoke, as_login, lines, on_sqlite_only, one_error_line


def _ticket(invoke: Invoke) -> int:
    result = invoke(
        "ticket", "new", "--subject", "VPN drops", "--from", "ann@example.com",
        "--name", "Ann Smith", "--body", "It drops.", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return int(json.loads(result.stdout)["number"])


def test_canned_round_trip(invoke: Invoke, use_db: str) -> None:
    body = "Hi {{requester.first_name}}, #{{ticket.number}} is fixed. -- {{desk.name}}"
    assert invoke("canned", "add", "Fixed", "--shared", "--body", body).exit_code == 0
    assert invoke("canned", "add", "Mine", "--body", "personal [b]x[/b]").exit_code == 0
    listed = json.loads(invoke("canned", "list", "--json").stdout)
    assert [(c["name"], c["scope"]) for c in listed] == [("Fixed", "shared"), ("Mine", "personal")]
    assert invoke("canned", "show", "fixed").stdout.splitlines()[1] == body
    number = _ticket(invoke)
    rendered = invoke("canned", "render", "Fixed", str(number))
    assert rendered.exit_code == 0, rendered.stderr
    assert rendered.stdout == f"Hi Ann, #{number} is fixed. -- Helpdesk\n"
    # The desk's own name, an admin's, wins over every config's desk_name.
    assert invoke("desk", "name", "Walk4 Desk").stdout == "the desk is named Walk4 Desk\n"
    assert invoke("desk", "name").stdout == "Walk4 Desk\n"
    rendered = invoke("canned", "render", "Fixed", str(number))
    assert rendered.stdout == f"Hi Ann, #{number} is fixed. -- Walk4 Desk\n"
    assert invoke("desk", "name", "--clear").exit_code == 0
    assert invoke("desk", "name").stdout == "Helpdesk\n"
    edited = invoke("canned", "edit", "Mine", "--rename", "Mine too")
    assert edited.exit_code == 0, edited.stderr
    assert json.loads(invoke("canned", "show", "Mine too", "--json").stdout)["body"] == (
        "personal [b]x[/b]"
    )
    assert invoke("canned", "delete", "Mine too").exit_code == 0
    assert len(lines(invoke("canned", "list").stdout)) == 1


# SQLite only: refused before any SQL; a response is added on PostgreSQL in test_canned_round_trip.
@on_sqlite_only
def test_unknown_placeholder_is_one_error_naming_it(invoke: Invoke, use_db: str) -> None:
    result = invoke("canned", "add", "Bad", "--body", "Dear {{customer}}")
    assert result.exit_code == 1
    assert "{{customer}}" in one_error_line(result.stderr)


def test_agents_manage_only_their_own(invoke: Invoke, use_db: str) -> None:
    assert invoke("agent", "add", "bob", "--name", "Bob").exit_code == 0
    assert invoke("canned", "add", "Shared", "--shared", "--body", "x").exit_code == 0
    bob = as_login("bob")
    refused = bob("canned", "add", "Team", "--shared", "--body", "x")
    assert refused.exit_code == 1
    assert "supervisor" in one_error_line(refused.stderr)
    assert bob("canned", "delete", "Shared").exit_code == 1
    assert bob("canned", "add", "Shared", "--body", "bob's own").exit_code == 0
    assert bob("canned", "show", "Shared").stdout.splitlines()[1] == "bob's own"


def test_macro_applies_as_one_change(invoke: Invoke, use_db: str) -> None:
    number = _ticket(invoke)
    added = invoke(
        "macro", "add", "Wait for logs", "--body", "Hi {{requester.name}}, please send logs.",
        "--status", "waiting", "--priority", "high", "--tag", "needs-logs",
        "--assignee", os_login(),
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    assert "status → waiting" in invoke("macro", "list").stdout
    before = json.loads(invoke("ticket", "show", str(number), "--json").stdout)[0]["version"]
    applied = invoke("macro", "apply", str(number), "wait for logs", "--json")
    assert applied.exit_code == 0, applied.stderr
    result = json.loads(applied.stdout)
    assert result["version"] == before + 1
    stale = invoke("macro", "apply", str(number), "Wait for logs", "--expect-version", str(before))
    assert stale.exit_code == 1
    assert "since you loaded it" in one_error_line(stale.stderr)
    db = Database(use_db)
    try:
        with db.read() as s:
            events = s.exec(select(Event).where(col(Event.ticket_version) == before + 1)).all()
            mail = s.exec(select(Outbox)).all()
    finally:
        db.dispose()
    kinds = sorted(e.kind for e in events)
    assert kinds == ["assignee", "macro", "priority", "reply", "status", "tag_added"]
    assert [m.body for m in mail] == ["Hi Ann Smith, please send logs."]


# SQLite only: the wording; the lists are read on PostgreSQL in test_canned_round_trip.
@on_sqlite_only
def test_an_empty_list_says_how_to_add_one(invoke: Invoke, use_db: str) -> None:
    listed = invoke("canned", "list")
    assert listed.exit_code == 0 and listed.stdout == ""
    assert "no canned responses yet; add one with helpdesk canned add NAME" in listed.stderr
    assert json.loads(invoke("canned", "list", "--json").stdout) == []
    macros = invoke("macro", "list")
    assert macros.stdout == "" and "no macros yet; add one with helpdesk macro add" in macros.stderr


# SQLite only: the list's formatting; responses are added and listed on PostgreSQL in
# test_canned_round_trip.
@on_sqlite_only
def test_the_list_shows_what_each_response_says(invoke: Invoke, use_db: str) -> None:
    """Not its greeting: most responses open with "Hi {{requester.first_name}}," and the
    list showed that line alone for each."""
    body = "Hi {{requester.first_name}},\n\nPlease restart the VPN client\nand try again.\n"
    made = invoke("canned", "add", "vpn-restart", "--shared", "--body", body)
    assert made.exit_code == 0, made.stderr
    long = "Thanks for the logs. " * 10
    assert invoke("canned", "add", "logs", "--shared", "--body", long).exit_code == 0
    listed = {row.split()[1]: row for row in lines(invoke("canned", "list").stdout)}
    assert listed["vpn-restart"].endswith("Please restart the VPN client and try again.")
    assert listed["logs"].endswith(" Thanks for the logs. Thanks for the logs. Thanks for the lo…")
