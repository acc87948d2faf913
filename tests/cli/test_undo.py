"""Closing asks, supervisors reopen, merges across requesters ask, replies need an address,
drafts are listed: the CLI side, in process and (for the questions) on a real terminal."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from helpdesk_tui.desk.actors import os_login
from tests.cli.conftest import Invoke, Terminal, on_sqlite_only, one_error_line
from tests.draft_places import editor_drafts, load_draft, save_draft


def _new(invoke: Invoke, subject: str = "Printer on fire", *extra: str) -> int:
    result = invoke(
        "ticket", "new", "--subject", subject, "--body", "It smokes.", "--json", *extra
    )  # fmt: skip
    assert result.exit_code == 0, result.output + result.stderr
    return int(json.loads(result.stdout)["number"])


def _status(invoke: Invoke, number: int) -> str:
    result = invoke("ticket", "show", str(number), "--json")
    assert result.exit_code == 0, result.stderr
    return str(json.loads(result.stdout)[0]["status"])


# -- closing ---------------------------------------------------------------------------------


# SQLite only: the CLI's question; closing with --yes and reopening run on PostgreSQL in
# test_admin_reopens_with_a_reason_and_history_says_why.
@on_sqlite_only
def test_closing_without_a_terminal_is_refused_with_a_hint(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke, "Printer", "--from", "ann@example.com")
    result = invoke("ticket", "status", str(number), "closed")
    assert result.exit_code == 1
    assert "pass --yes" in one_error_line(result.stderr)
    assert _status(invoke, number) == "new"
    result = invoke("ticket", "status", "-", "closed", input=f"{number}\n")
    assert "pass --yes" in one_error_line(result.stderr)
    result = invoke("ticket", "status", str(number), "closed", "--yes")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"#{number} status closed"
    assert invoke("ticket", "status", str(number), "open").exit_code == 1


# SQLite only: the CLI's question; status changes run on PostgreSQL in
# tests/cli/test_tickets.py::test_numbers_from_stdin_change_each_ticket.
@on_sqlite_only
def test_other_statuses_do_not_ask(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke)
    assert invoke("ticket", "status", str(number), "resolved").exit_code == 0
    assert _status(invoke, number) == "resolved"


@on_sqlite_only
def test_closing_on_a_terminal_asks_and_names_a_kept_draft(
    invoke: Invoke, use_db: str, in_terminal: Terminal
) -> None:
    number = _new(invoke)
    save_draft(None, number, "reply", "Dear Ann,")
    code, shown = in_terminal("ticket", "status", str(number), "closed", answer="n")
    assert code == 1 and "Aborted" in shown
    assert f"Close #{number}?" in shown and f"drafts on #{number} are kept" in shown
    assert _status(invoke, number) == "new"
    code, shown = in_terminal("ticket", "status", str(number), "closed", answer="y")
    assert code == 0, shown
    assert _status(invoke, number) == "closed"
    assert load_draft(None, number, "reply") == "Dear Ann,"


# SQLite only: the CLI's question; a reply that sets the status runs on PostgreSQL in
# tests/cli/test_tickets.py::test_reply_sets_status_and_copies.
@on_sqlite_only
def test_reply_that_closes_asks_too(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke, "Printer", "--from", "ann@example.com")
    result = invoke("ticket", "reply", str(number), "--body", "Done.", "--status", "closed")
    assert "pass --yes" in one_error_line(result.stderr)
    result = invoke(
        "ticket", "reply", str(number), "--body", "Done.", "--status", "closed", "--yes"
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert _status(invoke, number) == "closed"


# -- reopening -------------------------------------------------------------------------------


def test_admin_reopens_with_a_reason_and_history_says_why(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke)
    assert invoke("ticket", "status", str(number), "closed", "--yes").exit_code == 0
    result = invoke("ticket", "reopen", str(number))
    assert result.exit_code == 2 and "--reason" in result.stderr
    result = invoke("ticket", "reopen", str(number), "--reason", "closed by mistake")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"#{number} reopened: status open"
    events = json.loads(invoke("ticket", "show", str(number), "--json").stdout)[0]["history"]
    assert [e["new"] for e in events if e["kind"] == "reopened"] == ["closed by mistake"]
    assert [e["actor"] for e in events if e["kind"] == "reopened"] == [os_login()]


def test_an_agent_cannot_reopen(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke)
    assert invoke("ticket", "status", str(number), "closed", "--yes").exit_code == 0
    assert invoke("agent", "add", "ada", "--role", "admin").exit_code == 0
    assert invoke("agent", "set-role", os_login(), "agent").exit_code == 0
    result = invoke("ticket", "reopen", str(number), "--reason", "please")
    assert result.exit_code == 1
    assert "only a supervisor or an admin can reopen" in one_error_line(result.stderr)
    assert _status(invoke, number) == "closed"


# -- deleting --------------------------------------------------------------------------------


# SQLite only: the CLI's question; deleting runs on PostgreSQL in
# tests/cli/test_tickets.py::test_merge_link_and_delete.
@on_sqlite_only
def test_deleting_without_a_terminal_is_refused_with_a_hint(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke)
    for result in (
        invoke("ticket", "delete", str(number), input="y\n"),
        invoke("ticket", "delete", "-", input=f"{number}\n"),
    ):
        assert result.exit_code == 1
        assert "pass --yes" in one_error_line(result.stderr)
        assert _status(invoke, number) == "new"
    result = invoke("ticket", "delete", "-", "--yes", input=f"{number}\n")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"deleted #{number}"


@on_sqlite_only
def test_deleting_on_a_terminal_asks(invoke: Invoke, use_db: str, in_terminal: Terminal) -> None:
    number = _new(invoke)
    code, shown = in_terminal("ticket", "delete", str(number), answer="n")
    assert code == 1 and f"delete #{number} for good?" in shown and "Aborted" in shown
    assert _status(invoke, number) == "new"
    code, shown = in_terminal("ticket", "delete", str(number), answer="y")
    assert code == 0, shown
    assert invoke("ticket", "show", str(number)).exit_code == 1


# -- merging ---------------------------------------------------------------------------------


def test_merging_different_requesters_refuses_without_a_terminal(
    invoke: Invoke, use_db: str
) -> None:
    ann = _new(invoke, "Dup", "--from", "ann@example.com")
    ben = _new(invoke, "Main", "--from", "ben@example.com")
    result = invoke("ticket", "merge", str(ann), str(ben))
    assert result.exit_code == 1
    assert "pass --yes" in one_error_line(result.stderr)
    assert "ann@example.com" in result.stderr and "ben@example.com" in result.stderr
    assert _status(invoke, ann) == "new"
    result = invoke("ticket", "merge", str(ann), str(ben), "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    assert _status(invoke, ann) == "closed"


def test_merging_the_same_requester_does_not_ask_and_drafts_follow(
    invoke: Invoke, use_db: str
) -> None:
    first = _new(invoke, "Dup", "--from", "ann@example.com")
    second = _new(invoke, "Main", "--from", "ann@example.com")
    save_draft(None, first, "reply", "Dear Ann,")
    result = invoke("ticket", "merge", str(first), str(second))
    assert result.exit_code == 0, result.stderr
    assert f"your reply draft on #{first} moved to #{second}" in result.stderr
    assert load_draft(None, second, "reply") == "Dear Ann,"


@on_sqlite_only
def test_merging_different_requesters_on_a_terminal_warns_and_asks(
    invoke: Invoke, use_db: str, in_terminal: Terminal
) -> None:
    ann = _new(invoke, "Dup", "--from", "ann@example.com")
    ben = _new(invoke, "Main", "--from", "ben@example.com")
    code, shown = in_terminal("ticket", "merge", str(ann), str(ben), answer="n")
    assert code == 1 and "warning:" in shown and "ben@example.com" in shown
    assert _status(invoke, ann) == "new"
    code, shown = in_terminal("ticket", "merge", str(ann), str(ben), answer="y")
    assert code == 0, shown
    assert f"merged into #{ben}" in shown


# -- replies with no address -----------------------------------------------------------------


def test_reply_to_a_requester_without_address_is_refused_then_sent_two_ways(
    invoke: Invoke, use_db: str
) -> None:
    number = _new(invoke)
    result = invoke("ticket", "reply", str(number), "--body", "Fixed.")
    assert result.exit_code == 1
    error = one_error_line(result.stderr)
    assert "no requester email address" in error and "--to" in error
    assert "helpdesk ticket requester" in error
    assert "sent" not in result.stdout
    result = invoke("ticket", "reply", str(number), "--body", "Fixed.", "--to", "ann@example.com")
    assert result.exit_code == 0, result.stderr
    result = invoke("ticket", "requester", str(number), "--email", "ann@example.com")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"#{number} requester ann@example.com"
    assert invoke("ticket", "reply", str(number), "--body", "Again.").exit_code == 0
    result = invoke("ticket", "requester", str(number), "--email", "nobody")
    assert "not an email address" in one_error_line(result.stderr)


# -- drafts ----------------------------------------------------------------------------------


def test_drafts_lists_mine_with_the_state_of_their_tickets(invoke: Invoke, use_db: str) -> None:
    result = invoke("drafts")
    assert result.exit_code == 0 and result.stderr.strip() == "no drafts"
    open_one, closed_one = _new(invoke, "Open one"), _new(invoke, "Closed one")
    assert invoke("ticket", "status", str(closed_one), "closed", "--yes").exit_code == 0
    save_draft(None, open_one, "note", "Checked the toner\nmore")
    save_draft(None, closed_one, "reply", "Dear Ann,")
    result = invoke("drafts")
    assert result.exit_code == 0, result.stderr
    assert "Open one" in result.stdout and "Checked the toner" in result.stdout
    assert "more" not in result.stdout
    assert "closed: a supervisor or an admin can reopen it" in result.stdout
    rows = json.loads(invoke("drafts", "--json").stdout)
    assert {(r["number"], r["kind"], r["status"]) for r in rows} == {
        (open_one, "note", "new"),
        (closed_one, "reply", "closed"),
    }


# SQLite only: the warning's cleaning; the merge plan runs on PostgreSQL in
# test_merging_different_requesters_refuses_without_a_terminal.
@on_sqlite_only
def test_the_merge_warning_shows_hostile_names_as_plain_text(invoke: Invoke, use_db: str) -> None:
    from helpdesk_tui.desk.actors import SYSTEM
    from helpdesk_tui.desk.tickets import create_ticket
    from helpdesk_tui.storage.database import Database

    assert invoke("ticket", "list").exit_code == 0  # the desk exists
    db = Database(use_db)
    try:
        with db.write() as s:
            numbers = [
                create_ticket(
                    s, SYSTEM, subject="Hi", body="x", requester_email=email, requester_name=name
                ).number
                for email, name in (
                    ("eve@example.com", "Eve \x1b]52;c;aGk=\x07\x1b[2J\u202eevil"),
                    ("ann@example.com", "Ann\x9b31m"),
                )
            ]
    finally:
        db.dispose()
    result = invoke("ticket", "merge", *map(str, numbers))
    assert result.exit_code == 1
    for stream in (result.stdout, result.stderr):
        assert not any(ch in stream for ch in ("\x1b", "\x07", "\x9b", "\u202e"))
    assert "Eve" in result.stderr and "eve@example.com" in result.stderr


# SQLite only: the draft file; the refused reply runs on PostgreSQL in
# test_reply_to_a_requester_without_address_is_refused_then_sent_two_ways.
@on_sqlite_only
def test_a_refused_reply_written_in_the_editor_is_kept_as_a_draft(
    invoke: Invoke, use_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "Written in the editor.\\n$(cat "$1")" > "$1"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    number = _new(invoke)  # no requester address
    result = invoke("ticket", "reply", str(number), "--edit")
    assert result.exit_code == 1
    assert "no requester email address" in one_error_line(result.stderr)
    assert f"your reply is kept as a draft on #{number}" in result.stderr
    assert load_draft(None, number, "reply") == "Written in the editor."
    result = invoke("ticket", "reply", str(number), "--body", "From a script.")
    assert result.exit_code == 1 and "kept as a draft" not in result.stderr
    assert load_draft(None, number, "reply") == "Written in the editor."


# SQLite only: draft files; the drafts' tickets are read on PostgreSQL in
# test_drafts_lists_mine_with_the_state_of_their_tickets.
@on_sqlite_only
def test_drafts_lists_articles_and_canned_responses_being_written(
    invoke: Invoke, use_db: str
) -> None:
    """An article or canned response kept from the terminal UI's editors is listed too (none
    is stranded out of sight), as its title or name; a file that is not a draft is not."""
    assert invoke("ticket", "list").exit_code == 0  # the desk exists
    store = editor_drafts(None).store  # (the desk's, as the editors keep them)
    store.save_fields("kb", None, {"title": "Guest Wi-Fi\x1b[2J", "body": "Ask reception."})
    store.save_fields("canned", 4, {"name": "Welcome", "body": "Hello", "shared": False}, "4-1")
    (store.root / "kb-x.json").write_text("{}")
    result = invoke("drafts")
    assert result.exit_code == 0, result.stderr
    assert "new article" in result.stdout and "Guest Wi-Fi" in result.stdout
    assert "\x1b" not in result.stdout
    assert "canned response 4" in result.stdout and "Welcome" in result.stdout
    rows = json.loads(invoke("drafts", "--json").stdout)
    assert {(r["kind"], r["item"], r["number"]) for r in rows} == {
        ("kb", None, None),
        ("canned", 4, None),
    }
