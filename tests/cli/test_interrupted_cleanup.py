"""A Ctrl-C that a library's cleanup turns into another error still ends as a Ctrl-C.

SQLAlchemy's ``Transaction.close`` asserts that the transaction ended; a KeyboardInterrupt
landing while it closes one (a command's last read, as it closes the desk) leaves it open,
and the AssertionError raised "during handling of the above exception" replaced the
interrupt: a traceback and status 1, not "Aborted!" and an interrupted command's status
(found by sending SIGINT at each step of a command in turn).
"""

from __future__ import annotations

import click
import pytest

from helpdesk_tui.cli.root import HelpdeskGroup
from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.storage.database import Database


@click.command()
def closing() -> None:
    try:
        raise KeyboardInterrupt  # (the Ctrl-C, landing in the cleanup's first step)
    finally:
        raise AssertionError  # (SQLAlchemy's: the transaction is still active)


@click.command()
def buggy() -> None:
    raise AssertionError("a bug")


def _group() -> HelpdeskGroup:
    group = HelpdeskGroup(lazy_subcommands={}, lazy_help={})
    group.add_command(closing)
    group.add_command(buggy)
    return group


def test_an_error_raised_while_a_ctrl_c_is_handled_ends_as_aborted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as ended:
        _group().main(args=["closing"], prog_name="helpdesk")
    assert ended.value.code == 130  # (128 + SIGINT: an interrupted command's)
    assert capsys.readouterr().err == "\nAborted!\n"


def test_a_bug_still_shows_its_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        _group().main(args=["buggy"], prog_name="helpdesk")
    assert ended.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback") and err.endswith("AssertionError: a bug\n")


def test_a_ctrl_c_after_a_change_was_committed_says_it_is_saved(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Ctrl-C in a command after it committed a change (its output, say): "Aborted!"
    alone would have the user make the change again."""

    @click.command()
    def writing() -> None:
        with db.write() as session:
            add_agent(session, None, "ada", name="Ada Admin", role="admin")
        raise KeyboardInterrupt  # (the Ctrl-C, as it says what it did)

    group = _group()
    group.add_command(writing)
    with pytest.raises(SystemExit) as ended:
        group.main(args=["writing"], prog_name="helpdesk")
    assert ended.value.code == 130
    assert capsys.readouterr().err == "\nAborted! What it changed before the Ctrl-C is saved.\n"
    with pytest.raises(SystemExit):
        _group().main(args=["closing"], prog_name="helpdesk")  # (the next command: its own)
    assert capsys.readouterr().err == "\nAborted!\n"
