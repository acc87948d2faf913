"""Completing statuses, agents, teams and tags without loading the verb (issue 10)."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from helpdesk_tui import completion_cache
from helpdesk_tui.cli.fast_complete import FIXED, VERBS, fast_completions
from helpdesk_tui.cli.ticket import ticket
from helpdesk_tui.desk.kinds import Priority, Status, TicketType
from tests.cli.conftest import Invoke


def test_the_fixed_values_are_the_desks() -> None:
    assert FIXED["status"] == tuple(Status)
    assert FIXED["priority"] == tuple(Priority)
    assert FIXED["type"] == tuple(TicketType)


@pytest.mark.parametrize("verb", sorted(name for _, name in VERBS))
def test_the_table_says_what_the_verbs_take(verb: str) -> None:
    """Each option named in the table is the verb's; a last argument is its VALUE; the
    option names offered after the numbers are all the verb's options."""
    spec = VERBS[("ticket", verb)]
    command = ticket.get_command(click.Context(ticket), verb)
    assert command is not None
    options = {
        name
        for param in command.params
        if isinstance(param, click.Option)
        for name in param.opts
        if name.startswith("--")
    }
    assert set(spec.options) <= options
    if spec.option_names:
        assert set(spec.option_names) == options - {"--help"}
    if spec.last_argument:
        assert isinstance(command.params[1], click.Argument)
        assert [p.name for p in command.params[:2]] == ["numbers", "value"]


def _plain(items: list | None) -> list[str] | None:  # type: ignore[type-arg]
    return None if items is None else [item.value for item in items]


def test_what_each_tab_offers() -> None:
    completion_cache.remember(
        {"agent": ["ada", "bob"], "team": ["Billing", "Support"], "tag": ["vpn", "vip"]},
        sqlite_path=None,
    )
    assert _plain(fast_completions(["ticket", "assign", "12"], "")) == list(
        VERBS[("ticket", "assign")].option_names
    )
    assert _plain(fast_completions(["ticket", "assign", "12", "--to"], "")) == ["ada", "bob"]
    assert _plain(fast_completions(["ticket", "assign", "12", "--team"], "S")) == ["Support"]
    assert _plain(fast_completions(["ticket", "tag", "12", "--add"], "vi")) == ["vip"]
    assert _plain(fast_completions(["ticket", "list", "--tag"], "")) == ["vip", "vpn"]
    assert _plain(fast_completions(["ticket", "list", "--assignee"], "b")) == ["bob"]
    assert _plain(fast_completions(["ticket", "status", "12", "13"], "w")) == ["waiting"]
    assert _plain(fast_completions(["ticket", "priority", "#12"], "")) == list(FIXED["priority"])
    # Not the table's: click works them out (a number, an option name, another verb).
    assert fast_completions(["ticket", "status"], "") is None
    assert fast_completions(["ticket", "list"], "--st") is None
    assert fast_completions(["ticket", "show", "12"], "") is None
    assert fast_completions(["agent", "add"], "") is None


def test_names_of_a_desk_out_of_reach_are_not_offered(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The names are kept with the desk's file; once the user cannot read it (moved away,
    permissions taken), completion offers none of them."""
    desk = tmp_path / "desk.db"
    desk.write_bytes(b"")
    completion_cache.remember({"agent": ["ada"]}, sqlite_path=desk)
    assert completion_cache.recall("agent") == ["ada"]
    assert completion_cache.cache_file().stat().st_mode & 0o777 == 0o600
    desk.unlink()
    assert completion_cache.recall("agent") == []


def test_commands_keep_the_names_and_a_tab_reads_them_without_the_data_layer(
    use_db: str, invoke: Invoke
) -> None:
    assert invoke("team", "add", "Billing").exit_code == 0
    assert invoke("agent", "add", "bob", "--team", "Billing").exit_code == 0
    number = invoke("ticket", "new", "--subject", "VPN", "--from", "a@x.org", "--body", "x")
    assert number.exit_code == 0, number.stderr
    assert invoke("ticket", "tag", "1", "--add", "vpn").exit_code == 0
    kept = json.loads(completion_cache.cache_file().read_text())
    assert "bob" in kept["agent"] and kept["team"] == ["Billing"] and kept["tag"] == ["vpn"]
    code = (
        "import os, sys\n"
        "os.environ.update(_HELPDESK_COMPLETE='bash_complete',"
        " COMP_WORDS='helpdesk ticket assign 12 --to ', COMP_CWORD='5')\n"
        "from helpdesk_tui.cli import main\n"
        "try:\n"
        "    main(prog_name='helpdesk')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('textual', 'sqlalchemy',"
        " 'sqlmodel', 'pydantic') or m.startswith('helpdesk_tui.cli.ticket.')]\n"
        "print('loaded:', sorted(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "plain,bob" in result.stdout.split()
    assert "loaded: []" in result.stdout
