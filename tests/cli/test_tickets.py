from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from helpdesk_tui.desk.actors import Actor, os_login
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Outbox
from tests.cli.conftest import Invoke, lines, numbers_of, on_sqlite_only, one_error_line


def _new(invoke: Invoke, subject: str = "Printer on fire", *extra: str) -> int:
    result = invoke(
        "ticket", "new", "--subject", subject, "--from", "ann@example.com", "--body", "It smokes.",
        "--json", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output + result.stderr
    return int(json.loads(result.stdout)["number"])


def _list(invoke: Invoke, *args: str) -> list[dict[str, object]]:
    result = invoke("ticket", "list", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return list(json.loads(result.stdout))


def _show(invoke: Invoke, number: int) -> dict[str, object]:
    result = invoke("ticket", "show", str(number), "--json")
    assert result.exit_code == 0, result.stderr
    [detail] = json.loads(result.stdout)
    return dict(detail)


def test_new_then_list_on_each_engine(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke)
    [row] = _list(invoke)
    assert (row["number"], row["subject"], row["requester_email"]) == (
        number,
        "Printer on fire",
        "ann@example.com",
    )
    assert row["status"] == "new"


def test_new_then_list_on_the_default_sqlite_file(invoke: Invoke, tmp_path: Path) -> None:
    assert invoke("init").exit_code == 0
    number = _new(invoke)
    assert numbers_of(_list(invoke)) == [number]
    assert (tmp_path / "data" / "helpdesk.db").is_file()


def test_only_init_makes_a_desk_and_its_runner_admin(invoke: Invoke, no_desk_yet: str) -> None:
    refused = invoke("ticket", "list")
    assert refused.exit_code == 1
    assert "create one with `helpdesk init`" in one_error_line(refused.stderr)
    result = invoke("init")
    assert result.exit_code == 0
    assert "created the helpdesk schema" in result.stdout
    assert f"made {os_login()} the first admin" in result.stdout
    agents = json.loads(invoke("agent", "list", "--json").stdout)
    assert [(a["login"], a["role"]) for a in agents] == [(os_login(), "admin")]


def test_new_takes_every_field(invoke: Invoke, use_db: str) -> None:
    number = _new(
        invoke, "VPN down", "--name", "Ann Lee", "--channel", "phone", "--priority", "high",
        "--type", "incident", "--category", "Network", "--tag", "vpn", "--tag", "Remote Work",
    )  # fmt: skip
    detail = _show(invoke, number)
    assert detail["priority"] == "high" and detail["type"] == "incident"
    assert detail["category"] == "Network" and detail["requester_name"] == "Ann Lee"
    assert detail["tags"] == ["remote-work", "vpn"]
    assert detail["messages"][0]["channel"] == "phone"  # type: ignore[index]


# SQLite only: the stdin read; its ticket new and show run on PostgreSQL in
# test_new_takes_every_field.
@on_sqlite_only
def test_new_reads_the_body_from_stdin(invoke: Invoke, use_db: str) -> None:
    result = invoke("ticket", "new", "--subject", "Piped", "--json", input="From a pipe.\n")
    assert result.exit_code == 0, result.stderr
    number = json.loads(result.stdout)["number"]
    assert _show(invoke, number)["messages"][0]["body"] == "From a pipe.\n"  # type: ignore[index]


def test_list_filters_sorts_and_limits(invoke: Invoke, use_db: str) -> None:
    first = _new(invoke, "One", "--priority", "low", "--tag", "vpn")
    second = _new(invoke, "Two", "--priority", "urgent", "--type", "incident")
    third = _new(invoke, "Three", "--category", "Hardware")
    assert invoke("ticket", "status", str(third), "resolved").exit_code == 0
    assert numbers_of(_list(invoke, "--priority", "urgent")) == [second]
    assert numbers_of(_list(invoke, "--priority", "urgent", "--priority", "low")) == [second, first]
    assert numbers_of(_list(invoke, "--tag", "vpn")) == [first]
    assert numbers_of(_list(invoke, "--type", "incident")) == [second]
    assert numbers_of(_list(invoke, "--category", "Hardware")) == [third]
    assert numbers_of(_list(invoke, "--status", "resolved")) == [third]
    assert numbers_of(_list(invoke, "--open", "--sort", "number", "--asc")) == [first, second]
    assert numbers_of(_list(invoke, "--sort", "priority")) == [second, third, first]
    assert numbers_of(_list(invoke, "--sort", "number", "--limit", "2")) == [third, second]
    assert numbers_of(_list(invoke, "--unassigned", "--limit", "0")) == [third, second, first]
    assert invoke("ticket", "assign", str(first), "--me").exit_code == 0
    assert numbers_of(_list(invoke, "--assignee", os_login())) == [first]
    ids = invoke("ticket", "list", "--ids", "--sort", "number", "--asc")
    assert ids.stdout.split() == [str(first), str(second), str(third)]


def test_list_pages_through_more_than_one_page(
    invoke: Invoke, use_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("helpdesk_tui.desk.tickets_cli_service.PAGE", 2)
    made = [_new(invoke, f"T{i}") for i in range(5)]
    listed = invoke("ticket", "list", "--ids", "--sort", "number", "--asc", "--limit", "0")
    assert [int(n) for n in listed.stdout.split()] == made
    limited = invoke("ticket", "list", "--ids", "--sort", "number", "--limit", "3")
    assert [int(n) for n in limited.stdout.split()] == made[::-1][:3]


def test_numbers_from_stdin_change_each_ticket(invoke: Invoke, use_db: str) -> None:
    numbers = [_new(invoke, f"T{i}") for i in range(3)]
    piped = "\n".join(str(n) for n in numbers[:2]) + "\n"
    assert invoke("ticket", "status", "-", "waiting", input=piped).exit_code == 0
    waiting = invoke("ticket", "list", "--ids", "--status", "waiting").stdout
    result = invoke("ticket", "status", "-", "open", input=waiting)
    assert result.exit_code == 0, result.stderr
    assert len(lines(result.stdout)) == 2
    assert sorted(numbers_of(_list(invoke, "--status", "open"))) == numbers[:2]
    assert numbers_of(_list(invoke, "--status", "new")) == [numbers[2]]


def test_a_failing_ticket_is_reported_and_the_others_still_change(
    invoke: Invoke, use_db: str
) -> None:
    number = _new(invoke)
    result = invoke("ticket", "priority", "99999", f"#{number}", "high")
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == "error: no ticket #99999"
    assert result.stdout.strip() == f"#{number} priority high"
    assert _show(invoke, number)["priority"] == "high"


# SQLite only: wording; the same look-up by number runs on PostgreSQL in test_new_takes_every_field.
@on_sqlite_only
def test_unknown_ticket_is_one_line(invoke: Invoke, use_db: str) -> None:
    result = invoke("ticket", "show", "99999")
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == "error: no ticket #99999"
    assert result.stdout == ""


# SQLite only: refused before any SQL; status changes run on PostgreSQL in
# test_numbers_from_stdin_change_each_ticket.
@on_sqlite_only
def test_a_bad_value_is_refused_once_before_any_ticket(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke)
    result = invoke("ticket", "status", str(number), "99999", "bogus")
    assert result.exit_code == 1
    assert one_error_line(result.stderr).startswith("error: unknown status 'bogus'; allowed:")


def test_stale_expected_version_is_a_conflict_naming_who(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke)
    assert invoke("ticket", "priority", str(number), "high", "--expect-version", "1").exit_code == 0
    result = invoke("ticket", "type", str(number), "incident", "--expect-version", "1")
    assert result.exit_code == 1
    message = one_error_line(result.stderr)
    assert f"#{number} was changed by {os_login()}" in message and "priority" in message
    assert _show(invoke, number)["type"] == "question"


def test_reply_note_and_call_take_body_from_option_or_stdin(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke)
    assert invoke("ticket", "reply", str(number), "--body", "On our way.").exit_code == 0
    assert invoke("ticket", "note", str(number), input="Check the toner.\n").exit_code == 0
    result = invoke("ticket", "call", str(number), "--body", "Called: fire is out.", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["version"] == 4
    messages = _show(invoke, number)["messages"]
    assert [(m["kind"], m["channel"], m["body"]) for m in messages] == [  # type: ignore[attr-defined]
        ("customer", "manual", "It smokes."),
        ("reply", "email", "On our way."),
        ("note", "manual", "Check the toner.\n"),
        ("customer", "phone", "Called: fire is out."),
    ]
    # Who wrote each, as the TUI's thread says "Reply · bob" (the customer's address is hers).
    assert [m["author"] for m in messages] == [  # type: ignore[index]
        *("ann@example.com", os_login(), os_login(), os_login())  # (who took the call)
    ]
    shown = invoke("ticket", "show", str(number)).stdout
    assert "── customer via manual · ann@example.com · 20" in shown
    assert f"── reply via email · {os_login()} · 20" in shown
    assert f"── note via manual · {os_login()} · 20" in shown


def test_reply_sets_status_and_copies(invoke: Invoke, use_db: str, db_url: str) -> None:
    number = _new(invoke)
    result = invoke(
        "ticket", "reply", str(number), "--body", "Fixed?", "--status", "waiting",
        "--cc", "boss@example.com",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert _show(invoke, number)["status"] == "waiting"
    db = Database(db_url)
    try:
        with db.read() as session:
            [mail] = session.exec(select(Outbox)).all()
        assert "boss@example.com" in str(mail.cc_addresses)
    finally:
        db.dispose()


# SQLite only: refused before any SQL; replies, notes and calls run on PostgreSQL in
# test_reply_note_and_call_take_body_from_option_or_stdin.
@on_sqlite_only
def test_empty_body_is_refused(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke)
    for verb in ("reply", "note", "call"):
        result = invoke("ticket", verb, str(number), input="  \n")
        assert result.exit_code == 1
        assert one_error_line(result.stderr).startswith("error: an empty ")
    assert len(_show(invoke, number)["messages"]) == 1  # type: ignore[arg-type]


# SQLite only: the editor's text; the note is saved on PostgreSQL in
# test_reply_note_and_call_take_body_from_option_or_stdin.
@on_sqlite_only
def test_body_from_editor(
    invoke: Invoke, use_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "Written in the editor.\\n$(cat "$1")" > "$1"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    number = _new(invoke)
    result = invoke("ticket", "note", str(number), "--edit")
    assert result.exit_code == 0, result.stderr
    assert _show(invoke, number)["messages"][-1]["body"] == "Written in the editor."  # type: ignore[index]


# SQLite only: refused before any SQL (test_reply_note_and_call_take_body_from_option_or_stdin runs
# replies on PostgreSQL).
@on_sqlite_only
def test_editor_closed_without_saving_saves_nothing(
    invoke: Invoke, use_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", "true")
    monkeypatch.delenv("VISUAL", raising=False)
    number = _new(invoke)
    result = invoke("ticket", "reply", str(number), "--edit")
    assert result.exit_code == 1
    assert "not saved" in one_error_line(result.stderr)


# SQLite only: an argument error; a note to numbers from stdin runs on PostgreSQL in
# test_reply_note_and_call_take_body_from_option_or_stdin.
@on_sqlite_only
def test_body_with_numbers_on_stdin_must_come_from_an_option(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke)
    result = invoke("ticket", "note", "-", input=f"{number}\n")
    assert result.exit_code == 1
    assert "--body" in one_error_line(result.stderr)
    assert (
        invoke("ticket", "note", "-", "--body", "All of them.", input=f"{number}\n").exit_code == 0
    )


def test_field_verbs(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke)
    n = str(number)
    assert invoke("team", "add", "Network").exit_code == 0
    for args in (
        ("priority", n, "urgent"),
        ("type", n, "incident"),
        ("category", n, "VPN"),
        ("tier", n, "2"),
        ("escalate", n, "--team", "Network"),
        ("assign", n, "--me"),
        ("tag", n, "--add", "vpn", "--add", "outage"),
        ("tag", n, "--remove", "outage"),
    ):
        result = invoke("ticket", *args)
        assert result.exit_code == 0, (args, result.stderr)
    detail = _show(invoke, number)
    assert (detail["priority"], detail["type"], detail["category"]) == ("urgent", "incident", "VPN")
    assert (detail["tier"], detail["team"], detail["assignee"]) == (3, "Network", os_login())
    assert detail["tags"] == ["vpn"]
    history = invoke("ticket", "show", n).stdout
    assert f"{os_login()}: escalated from tier 2 to tier 3 (Network), manual" in history
    assert invoke("ticket", "assign", n, "--unassign").exit_code == 0
    assert invoke("ticket", "category", n, "").exit_code == 0
    detail = _show(invoke, number)
    assert detail["assignee"] is None and detail["category"] is None


# SQLite only: argument errors and wording; the agent look-up runs on PostgreSQL in
# test_field_verbs.
@on_sqlite_only
def test_assign_needs_a_whom(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke)
    result = invoke("ticket", "assign", str(number))
    assert result.exit_code == 1 and "--to" in one_error_line(result.stderr)
    result = invoke("ticket", "assign", str(number), "--me", "--unassign")
    assert result.exit_code == 1
    result = invoke("ticket", "assign", str(number), "--to", "nobody")
    assert (
        one_error_line(result.stderr)
        == f"error: #{number}: no agent 'nobody'; see: helpdesk agent list"
    )


def test_merge_link_and_delete(invoke: Invoke, use_db: str) -> None:
    source, target, other = _new(invoke, "Dup"), _new(invoke, "Main"), _new(invoke, "Other")
    result = invoke("ticket", "merge", str(source), str(target), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)[0]["number"] == target
    assert _show(invoke, source)["merged_into"] == target
    assert invoke("ticket", "link", str(target), str(other)).exit_code == 0
    assert _show(invoke, other)["links"] == [{"kind": "related", "number": target}]
    result = invoke("ticket", "delete", str(other), input="y\n")  # no terminal: not asked
    assert result.exit_code != 0 and "pass --yes" in result.stderr
    assert invoke("ticket", "delete", str(other), "--yes").exit_code == 0
    assert invoke("ticket", "show", str(other)).exit_code == 1
    result = invoke("ticket", "delete", str(source), "--yes", "--json")
    assert json.loads(result.stdout) == [{"number": source, "deleted": True}]


def test_delete_is_for_admins_only(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke)
    assert invoke("agent", "add", "ada", "--role", "admin").exit_code == 0
    assert invoke("agent", "set-role", os_login(), "agent").exit_code == 0
    result = invoke("ticket", "delete", str(number), "--yes")
    assert result.exit_code == 1
    assert one_error_line(result.stderr).startswith("error: only an admin may delete a ticket")
    assert _show(invoke, number)["number"] == number


# SQLite only: the output's cleaning; new, list and show run on PostgreSQL in
# test_list_filters_sorts_and_limits.
@on_sqlite_only
def test_text_output_never_carries_escape_sequences(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke, "Printer \x1b]52;c;ZXZpbA==\x07on \x1b[31mfire\x9b2J")
    listed = invoke("ticket", "list").stdout
    shown = invoke("ticket", "show", str(number)).stdout
    for text in (listed, shown):
        assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
        assert "Printer on fire" in text
    raw = invoke("ticket", "list", "--json").stdout
    assert "\x1b" not in raw and "\\u001b" in raw


def test_search_by_words_number_requester_and_domain(
    invoke: Invoke, use_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("helpdesk_tui.desk.tickets_cli_service.PAGE", 2)
    printers = _new(invoke, "Printers jammed")
    printer = _new(invoke, "Printer on fire")
    other = invoke(
        "ticket", "new", "--subject", "VPN drops", "--from", "bo@acme-widgets.test",
        "--name", "Bo Lindqvist",
        "--body", "Since the printer update.", "--json",
    )  # fmt: skip
    vpn = int(json.loads(other.stdout)["number"])
    assert invoke("ticket", "status", str(printer), "closed", "--yes").exit_code == 0

    def search(*args: str) -> list[int]:
        result = invoke("ticket", "search", "--json", *args)
        assert result.exit_code == 0, result.stderr
        return numbers_of(json.loads(result.stdout))

    # whole word in a subject, then in a message, then word starts; closed tickets too
    assert search("printer") == [printer, vpn, printers]
    assert search("printer", "--open") == [vpn, printers]
    assert search(f"#{vpn}") == [vpn]
    assert search("lindqvist") == [vpn]
    assert search("acme") == [vpn]  # the requester's email domain
    assert search("nothing-like-it") == []
    ids = invoke("ticket", "search", "--ids", "print")
    assert ids.stdout.split() == [str(printer), str(printers), str(vpn)]


QUOTED_MAIL = (
    "Still smoking after the restart.\n"
    "\n"
    "On Mon, 1 Dec 2026 at 09:00, Helpdesk <help@example.com> wrote:\n"
    "> Please restart it.\n"
    "> Regards, the helpdesk\n"
)


# SQLite only: the show's folding; new from stdin and show run on PostgreSQL in
# test_reply_note_and_call_take_body_from_option_or_stdin.
@on_sqlite_only
def test_show_folds_quoted_history_as_the_terminal_ui_does(invoke: Invoke, use_db: str) -> None:
    """The thread's rule (``split_reply``, as ``widgets.thread`` folds): the new text, then
    one line for the quote; ``--unfold`` prints it whole; ``--json`` keeps it whole."""
    from helpdesk_tui.mail.quotes import split_reply

    result = invoke("ticket", "new", "--subject", "Printer", "--json", input=QUOTED_MAIL)
    assert result.exit_code == 0, result.stderr
    number = str(json.loads(result.stdout)["number"])
    visible, folded = split_reply(QUOTED_MAIL)
    assert "Please restart it." in folded and "Please restart it." not in visible

    shown = invoke("ticket", "show", number)
    assert shown.exit_code == 0, shown.stderr
    assert "Still smoking after the restart." in shown.stdout
    assert "Please restart it." not in shown.stdout and " wrote:" not in shown.stdout
    assert "… 3 quoted lines folded (--unfold shows)" in shown.stdout

    whole = invoke("ticket", "show", number, "--unfold")
    assert whole.exit_code == 0, whole.stderr
    assert "> Please restart it.\n> Regards, the helpdesk" in whole.stdout
    assert "folded" not in whole.stdout
    assert _show(invoke, int(number))["messages"][0]["body"] == QUOTED_MAIL  # type: ignore[index]


def test_a_reply_to_an_address_that_bounced_warns_on_stderr_and_goes(
    invoke: Invoke, use_db: str, db_url: str
) -> None:
    """Mail to ann bounced for good last week: `ticket reply` sent without a word. The
    reply still goes (the agent decides), with one line on stderr naming the bounce."""
    from datetime import UTC, datetime

    from helpdesk_tui.desk import outbox
    from helpdesk_tui.desk.inbound import ReportedRecipient

    number = _new(invoke)
    db = Database(db_url)
    try:
        with db.write() as session:
            bounced = [ReportedRecipient("Ann@Example.com", "failed", "5.1.1")]
            at = datetime.now(UTC) - timedelta(days=6, hours=1)  # (6 d ago for 23 h)
            outbox.record_hard_bounces(session, bounced, now=at)
        result = invoke("ticket", "reply", str(number), "--body", "On our way.")
        assert result.exit_code == 0, result.stderr
        assert lines(result.stderr) == [
            f"warning: #{number}: mail to ann@example.com bounced for good 6 d ago (5.1.1); "
            "the reply goes all the same"
        ]
        with db.read() as session:
            [mail] = session.exec(select(Outbox)).all()
        assert (mail.kind, mail.to_addresses) == ("reply", "ann@example.com")
    finally:
        db.dispose()


def test_a_reply_while_a_colleague_is_replying_is_refused_unless_anyway(
    invoke: Invoke, use_db: str, db_url: str
) -> None:
    """Ann has #N open in her composer: the terminal warns ("ann is replying"), and
    `ticket reply` went on without a word. It refuses with one line naming her and how to
    go ahead; --anyway replies; a note never collides."""
    from datetime import UTC, datetime

    from helpdesk_tui.desk.agents import add_agent
    from helpdesk_tui.desk.facade import Desk
    from helpdesk_tui.desk.kinds import Activity

    number = _new(invoke)
    db = Database(db_url)
    try:
        with db.write() as session:
            ann = add_agent(session, None, "ann", name="Ann Lee")
            actor = Actor(name=ann.login, agent_id=ann.id, role=ann.role)
        later = datetime.now(UTC) + timedelta(hours=1)  # live through the test, whatever its pace
        Desk(db, actor, clock=lambda: later).presence_beat("ann-term", number, Activity.REPLYING)
        result = invoke("ticket", "reply", str(number), "--body", "On our way.")
        assert result.exit_code == 1
        assert one_error_line(result.stderr) == (
            f"error: Ann Lee (ann) is replying to #{number} right now; "
            "to reply as well, run it again with --anyway"
        )
        assert invoke("ticket", "note", str(number), "--body", "Seen.").exit_code == 0
        result = invoke("ticket", "reply", str(number), "--anyway", "--body", "On our way.")
        assert result.exit_code == 0, result.stderr
        messages = _show(invoke, number)["messages"]
        assert [m["kind"] for m in messages] == ["customer", "note", "reply"]  # type: ignore[attr-defined]
    finally:
        db.dispose()
