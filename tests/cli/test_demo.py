from __future__ import annotations

import json
import re

from helpdesk_tui.desk.actors import os_login
from tests.cli.conftest import Invoke, one_error_line


def test_demo_fills_a_fresh_desk_and_prints_its_rate(invoke: Invoke, use_db: str) -> None:
    result = invoke("demo", "--tickets", "40", "--seed", "7")
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(
        r"added 40 demo tickets \(\d+ messages, \d+ events, \d+ new contacts\) to .+ "
        r"in \d+\.\d s: [\d,]+ tickets/s",
        result.stdout.strip(),
    ), result.stdout
    listed = invoke("ticket", "list", "--ids", "--limit", "0").stdout.split()
    assert len(listed) == 40
    assert len(json.loads(invoke("agent", "list", "--json").stdout)) > 1


def test_demo_is_for_admins(invoke: Invoke, use_db: str) -> None:
    assert invoke("agent", "add", "ada", "--role", "admin").exit_code == 0
    assert invoke("agent", "set-role", os_login(), "agent").exit_code == 0
    result = invoke("demo", "--tickets", "5")
    assert result.exit_code == 1
    assert one_error_line(result.stderr).startswith("error: only an admin may fill the desk")
    assert invoke("ticket", "list", "--ids").stdout == ""
