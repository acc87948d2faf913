"""``--attach`` on ``ticket reply`` and ``ticket note``: limits, clean names, nothing half-saved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke, one_error_line


def _ticket(invoke: Invoke) -> int:
    result = invoke(
        "ticket", "new", "--subject", "Logs", "--from", "ann@example.com", "--body", "x", "--json"
    )
    assert result.exit_code == 0, result.stderr
    return int(json.loads(result.stdout)["number"])


def _attachments(invoke: Invoke, number: int) -> list[dict[str, object]]:
    [detail] = json.loads(invoke("ticket", "show", str(number), "--json").stdout)
    return [a for m in detail["messages"] for a in m.get("attachments", [])]


def test_note_with_a_hostile_file_name(invoke: Invoke, use_db: str, tmp_path: Path) -> None:
    number = _ticket(invoke)
    hostile = tmp_path / ".\x1b[31mred\x07 [bold]x.log"
    hostile.write_bytes(b"log line\n")
    result = invoke("ticket", "note", str(number), "--body", "see log", "--attach", str(hostile))
    assert result.exit_code == 0, result.stderr
    shown = invoke("ticket", "show", str(number))
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    assert "red [bold]x.log" in shown.stdout


def test_over_the_limit_or_not_a_file_saves_nothing(
    invoke: Invoke, use_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPDESK_LIMITS__MAX_ATTACHMENT_BYTES", "2048")
    number = _ticket(invoke)
    (tmp_path / "big.bin").write_bytes(b"\x00" * 4096)
    (tmp_path / "ok.txt").write_bytes(b"fine")
    for target in ("big.bin", ".", "missing.txt"):
        result = invoke(
            "ticket", "reply", str(number), "--body", "here", "--attach",
            str(tmp_path / "ok.txt"), "--attach", str(tmp_path / target),
        )  # fmt: skip
        assert result.exit_code == 1
        error = one_error_line(result.stderr)
        assert target.strip(".") in error or "regular file" in error
    [detail] = json.loads(invoke("ticket", "show", str(number), "--json").stdout)
    assert [m["kind"] for m in detail["messages"]] == ["customer"]
    assert "over the 2.0 KB limit" in one_error_line(
        invoke(
            "ticket", "note", str(number), "--body", "x", "--attach", str(tmp_path / "big.bin")
        ).stderr
    )
