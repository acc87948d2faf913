"""A bad ``[ui.keymap]`` entry stops ``helpdesk`` with one line, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.config import user_config_file
from tests.cli.conftest import Invoke


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('"queue.search" = "ctrl+bananas"', "not a key: 'ctrl+bananas'"),
        ('"queue.search" = "f"', "f is queue.filter's key too"),
    ],
)
def test_the_cli_says_so_in_one_line_without_a_traceback(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str, problem: str
) -> None:
    config = user_config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"[ui.keymap]\n{entry}\n")
    config.chmod(0o600)
    started: list[HelpdeskApp] = []
    monkeypatch.setattr(HelpdeskApp, "run", lambda self: started.append(self))
    result = invoke()
    assert result.exit_code == 2 and not started
    last = result.stderr.strip().splitlines()[-1]  # (after the first start's desk set-up)
    assert last == f"error: bad value for 'ui.keymap.queue.search' in {config}: {problem}"
    assert "Traceback" not in result.stderr
