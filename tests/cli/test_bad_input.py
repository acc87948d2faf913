"""Bad input on the command line is one ``error:`` line naming the field, and stores nothing.

NUL bytes, invalid UTF-8 (stdin, argv, the config file), numbers out of range, address
lists and header injection, bodies over the size limit (issue 8, items 7 and 8).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from helpdesk_tui.cli import main
from tests.cli.conftest import Forked, Invoke, one_error_line, write_toml

NEW = ("ticket", "new", "--subject", "Printer on fire", "--from", "ann@example.com")


pytestmark = pytest.mark.usefixtures("private_desk")
"""Every test has the default desk in its data directory, as ``helpdesk init`` makes it."""


def _stored(invoke: Invoke) -> list[object]:
    result = invoke("ticket", "list", "--json")
    assert result.exit_code == 0, result.stderr
    return list(json.loads(result.stdout))


def _bytes_in(*args: str, input: bytes) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


def _refused(result: Result, *words: str) -> str:
    assert result.exit_code != 0, result.stdout
    line = one_error_line(result.stderr)
    for word in words:
        assert word in line, line
    return line


def test_nul_bytes_name_the_field_on_each_engine(invoke: Invoke, use_db: str) -> None:
    _refused(invoke("ticket", "new", "--subject", "Print\x00er", "--body", "x"), "subject", "NUL")
    _refused(invoke(*NEW, "--name", "Ann\x00"), "name", "NUL")
    _refused(invoke(*NEW, "--tag", "a\x00"), "tag", "NUL")
    _refused(_bytes_in(*NEW, input=b"It\x00smokes"), "message text", "NUL")
    assert _stored(invoke) == []
    _refused(invoke(*NEW, "--body", "ok", "--category", "x\x00"), "category", "NUL")
    assert _stored(invoke) == []


def test_nul_in_a_reply_or_note_stores_nothing(invoke: Invoke, use_db: str) -> None:
    assert invoke(*NEW, "--body", "It smokes.").exit_code == 0
    _refused(invoke("ticket", "note", "1", "--body", "a\x00b"), "NUL")
    _refused(_bytes_in("ticket", "reply", "1", input=b"Hi\x00"), "NUL")
    shown = json.loads(invoke("ticket", "show", "1", "--json").stdout)[0]
    assert len(shown["messages"]) == 1 and shown["version"] == 1


def test_invalid_utf8_on_stdin_is_one_line(invoke: Invoke) -> None:
    _refused(_bytes_in(*NEW, input=b"caf\xe9 au lait"), "stdin", "not valid UTF-8", "byte 3")
    _refused(_bytes_in("ticket", "show", "-", input=b"1 \xff"), "stdin", "not valid UTF-8")
    assert _stored(invoke) == []


def test_invalid_utf8_in_argv_is_one_line(run_forked: Forked) -> None:
    bad = os.fsdecode(b"Caf\xe9")  # what Python makes of argv bytes that are not UTF-8
    result = run_forked("ticket", "new", "--subject", bad, "--from", "a@example.com", "--body", "x")
    assert result.returncode == 1
    assert "subject is not valid UTF-8" in one_error_line(result.stderr)


def test_invalid_utf8_in_the_config_file_is_one_line(tmp_path: Path, run_forked: Forked) -> None:
    config = write_toml(tmp_path / "config" / "config.toml", "")
    config.write_bytes(b'desk_name = "Caf\xe9"\n')
    result = run_forked("ticket", "list")
    assert result.returncode == 2
    assert "not valid UTF-8" in one_error_line(result.stderr)


@pytest.mark.parametrize("number", [str(2**63), str(2**70), "#-4", "\u0663"])
def test_ticket_numbers_out_of_range_are_one_line(invoke: Invoke, use_db: str, number: str) -> None:
    _refused(invoke("ticket", "show", number), "not a ticket number")
    _refused(invoke("ticket", "priority", number, "high"), "not a ticket number")


def test_negative_and_huge_versions_are_usage_errors(invoke: Invoke) -> None:
    for version in ("-1", str(2**64)):
        result = invoke("ticket", "priority", "1", "high", "--expect-version", version)
        assert result.exit_code == 2 and "Traceback" not in result.stderr
        assert "--expect-version" in result.stderr


@pytest.mark.parametrize(
    "address",
    [
        "ann@example.com, eve@evil.example",
        "ann@example.com\r\nBcc: eve@evil.example",
        "ann@example.com\x1b]0;x\x07",
        "Ann <ann@example.com>",
    ],
)
def test_from_takes_one_plain_address(invoke: Invoke, address: str) -> None:
    result = invoke("ticket", "new", "--subject", "S", "--from", address, "--body", "x")
    _refused(result, "not an email address")
    assert _stored(invoke) == []


def test_cc_takes_one_plain_address_each(invoke: Invoke) -> None:
    assert invoke(*NEW, "--body", "It smokes.").exit_code == 0
    result = invoke("ticket", "reply", "1", "--body", "Hi", "--cc", "a@example.com,b@example.com")
    _refused(result, "--cc")


def test_bodies_over_the_limit_are_refused(
    invoke: Invoke, use_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPDESK_LIMITS__MAX_BODY_BYTES", "2048")
    _refused(invoke(*NEW, "--body", "x" * 2049), "2.0 KB limit")
    _refused(_bytes_in(*NEW, input=b"y" * 5000), "stdin", "over the 2.0 KB limit")
    assert _stored(invoke) == []
    assert invoke(*NEW, "--body", "é" * 1024).exit_code == 0  # 2,048 bytes: at the limit
    _refused(invoke("ticket", "note", "1", "--body", "é" * 1025), "note", "limit")


@pytest.mark.parametrize("option", ["--category", "--assignee", "--team", "--tag"])
def test_nul_in_a_list_filter_is_one_line(invoke: Invoke, use_db: str, option: str) -> None:
    _refused(invoke("ticket", "list", option, "x\x00"), "NUL")


def test_nul_in_an_assignee_is_one_line(invoke: Invoke, use_db: str) -> None:
    assert invoke(*NEW, "--body", "It smokes.").exit_code == 0
    _refused(invoke("ticket", "assign", "1", "--to", "x\x00"), "NUL")


def test_invalid_utf8_from_the_editor_is_one_line(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "caf\\351 au lait\\n" > "$1"\n')
    editor.chmod(0o700)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    result = invoke(*NEW, "--edit")
    _refused(result, "request written in the editor", "not valid UTF-8", "byte 3")
    assert _stored(invoke) == []


def test_text_from_the_editor_is_kept_as_written(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "\\357\\273\\277Caf\\303\\251\\r\\nau lait\\n" > "$1"\n')
    editor.chmod(0o700)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    result = invoke(*NEW, "--edit", "--json")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(invoke("ticket", "show", "1", "--json").stdout)[0]
    assert shown["messages"][0]["body"] == "Café\nau lait"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HELPDESK_DESK_NAME", b"Caf\xe9"),
        ("HELPDESK_DATABASE_URL", b"postgresql+psycopg://desk:s3cr\xe9t@localhost:1/desk"),
        ("HELPDESK_MAIL__SMTP__HOST", b"smtp.\xff.example"),
        ("HELPDESK_CONFIG_DIR", b"/tmp/conf\xe9"),
        ("helpdesk_desk_name", b"\xe9"),
    ],
)
def test_invalid_utf8_in_an_environment_variable_is_one_line(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, name: str, value: bytes
) -> None:
    monkeypatch.setenv(name, os.fsdecode(value))
    result = invoke("ticket", "list")
    assert result.exit_code == 2
    line = _refused(result, f"environment variable {name}", "not valid UTF-8")
    assert "s3cr" not in result.stderr, line


def test_invalid_utf8_in_an_environment_variable_name_is_one_line(run_forked: Forked) -> None:
    result = run_forked("ticket", "list", env={os.fsdecode(b"HELPDESK_N\xe9"): "1"})
    assert result.returncode == 2
    assert "its name is not valid UTF-8" in one_error_line(result.stderr)


def test_a_nested_setting_that_is_not_json_is_one_line(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPDESK_MAIL", "{smtp: nope")
    result = invoke("config", "show")
    assert result.exit_code == 2
    _refused(result, "environment variable HELPDESK_MAIL", "not valid JSON")


@pytest.mark.parametrize(
    "verb",
    [
        ("ticket", "show", "1" * 5000),
        ("ticket", "show", "0" * 5000 + "7"),
        ("mail", "resend", str(2**63)),
        ("mail", "machine", "show", str(2**63)),
        ("mail", "machine", "release", str(2**63)),
        ("demo", "--tickets", str(2**63)),
    ],
    ids=lambda verb: " ".join(verb)[:24],
)
def test_numbers_past_any_limit_are_one_line_in_every_family(
    invoke: Invoke, use_db: str, verb: tuple[str, ...]
) -> None:
    result = invoke(*verb)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code == 2:  # a usage error: click's lines, naming the argument
        assert "Invalid value" in result.stderr and "Traceback" not in result.stderr
    else:
        assert result.exit_code == 1
        assert "#7" in one_error_line(result.stderr) or "not a ticket number" in result.stderr


def test_a_search_for_a_number_past_the_range_is_a_text_search(invoke: Invoke, use_db: str) -> None:
    assert invoke(*NEW, "--body", f"Order {2**63} lost").exit_code == 0
    result = invoke("ticket", "search", str(2**63), "--json")
    assert result.exit_code == 0, result.stderr
    assert [row["number"] for row in json.loads(result.stdout)] == [1]


@pytest.mark.parametrize(
    "verb", [("set-role", "{}", "admin"), ("deactivate", "{}"), ("reactivate", "{}")]
)
def test_an_agent_login_that_is_not_utf8_is_one_line(
    invoke: Invoke, use_db: str, verb: tuple[str, ...]
) -> None:
    login = os.fsdecode(b"Caf\xe9")
    result = invoke("agent", *(login if part == "{}" else part for part in verb))
    _refused(result, "login is not valid UTF-8")
