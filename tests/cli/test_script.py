"""The installed ``helpdesk`` script in real processes: what a person at a shell sees. (The
script itself in a shell's pipeline; elsewhere its run in processes the worker's
``ImportProbe`` forks, ``run_forked``: the interpreter's start is not what they check.)"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from helpdesk_tui.config import data_dir, user_config_file
from helpdesk_tui.desk.actors import Actor, os_login
from helpdesk_tui.storage.database import Database
from tests.cli.conftest import (
    Forked,
    Invoke,
    helpdesk_script,
    on_sqlite_only,
    one_error_line,
    write_toml,
)

pytestmark = [on_sqlite_only, pytest.mark.slow]  # a process per command


def test_must_show_flow(use_db: str, run_forked: Forked) -> None:
    created = run_forked(
        "ticket", "new", "--subject", "Printer on fire", "--from", "ann@example.com",
        "--body", "It smokes.",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    listed = run_forked("ticket", "list", "--json")
    [row] = json.loads(listed.stdout)
    assert (row["subject"], row["requester_email"]) == ("Printer on fire", "ann@example.com")


def test_pipeline_through_a_shell(use_db: str, invoke: Invoke) -> None:
    for subject in ("One", "Two"):
        made = invoke("ticket", "new", "--subject", subject, "--body", "x", "--json")
        number = json.loads(made.stdout)["number"]
        assert invoke("ticket", "status", str(number), "waiting").exit_code == 0
    helpdesk = helpdesk_script()
    piped = subprocess.run(
        f"'{helpdesk}' ticket list --ids --status waiting | '{helpdesk}' ticket status - open",
        shell=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    assert piped.returncode == 0, piped.stderr
    assert len(piped.stdout.splitlines()) == 2
    statuses = {row["status"] for row in json.loads(invoke("ticket", "list", "--json").stdout)}
    assert statuses == {"open"}


def test_bad_config_value_unknown_agent_unknown_ticket(
    db: Database, admin: Actor, tmp_path: Path, run_forked: Forked
) -> None:
    write_toml(user_config_file(), 'database_url = "mysql://db/desk"\n')
    bad = run_forked("ticket", "list")
    assert bad.returncode == 2
    assert "'database_url'" in one_error_line(bad.stderr)
    assert str(user_config_file()) in bad.stderr

    not_agent = run_forked("ticket", "list", env={"HELPDESK_DATABASE_URL": db.url})
    assert not_agent.returncode == 1
    assert one_error_line(not_agent.stderr).startswith(
        f"error: {os_login()} is not an agent on this helpdesk; an admin can run: "
        f"helpdesk agent add {os_login()}"
    )

    user_config_file().unlink()
    missing = run_forked("ticket", "show", "99999")
    assert missing.returncode == 1
    assert one_error_line(missing.stderr) == (
        f"error: no desk at {data_dir() / 'helpdesk.db'}; create one with `helpdesk init`"
    )
    assert not data_dir().exists()
