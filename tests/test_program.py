"""The command a hint names: ``helpdesk`` only where that name on the PATH is this program."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk_tui.program import command_name


def _program(where: Path) -> Path:
    where.mkdir(parents=True)
    program = where / "helpdesk"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    return program


def test_helpdesk_on_the_path_is_named_helpdesk(tmp_path: Path) -> None:
    program = _program(tmp_path / "venv" / "bin")
    found = str(program)
    assert command_name(str(program), which=lambda _: found, home=tmp_path) == "helpdesk"


def test_a_program_off_the_path_is_named_by_its_path(tmp_path: Path) -> None:
    """The README's install (``.venv/bin/helpdesk``): hints said ``helpdesk demo``, a
    command the shell does not know."""
    program = _program(tmp_path / "home" / "me" / "hd" / ".venv" / "bin")
    other = _program(tmp_path / "usr" / "bin")  # another helpdesk on the PATH is not it
    home = tmp_path / "home" / "me"
    assert command_name(str(program), which=lambda _: None, home=home) == (
        "~/hd/.venv/bin/helpdesk"
    )
    assert command_name(str(program), which=lambda _: str(other), home=home) == (
        "~/hd/.venv/bin/helpdesk"
    )
    spaced = _program(tmp_path / "My Tools" / "bin")
    assert command_name(str(spaced), which=lambda _: None, home=home) == (
        f"'{tmp_path}/My Tools/bin/helpdesk'"
    )


def test_a_relative_path_is_named_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = _program(tmp_path / "hd" / ".venv" / "bin")
    monkeypatch.chdir(tmp_path / "hd")
    named = command_name(".venv/bin/helpdesk", which=lambda _: None, home=tmp_path / "away")
    assert named == str(program)


def test_started_otherwise_it_is_helpdesk() -> None:
    assert command_name("/x/helpdesk_tui/__main__.py", which=lambda _: None) == "helpdesk"
