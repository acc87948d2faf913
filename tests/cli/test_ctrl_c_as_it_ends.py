"""A Ctrl-C that comes after a command did its work, as the process ends, ends it as an
interrupted command: status 130 and one line on stderr, which says whether its changes
are saved (a user who sees only "Aborted!" would do them again).

It ended with status 0 when it came while the exit handlers ran (``atexit``: Python drops
the KeyboardInterrupt there with an "Exception ignored" traceback) and as "Aborted!" with
status 1 when it came while the desk was closed (SQLAlchemy's pool disposal), with the
ticket made. Each test runs the real program in a process of its own, which sends itself
SIGINT from a hook at that step: the signal comes exactly there, not after some sleep.
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys

import pytest

from tests.cli.conftest import Invoke, lines, on_sqlite_only
from tests.conftest import HANG_SECONDS

CTRL_C_AT = """
import atexit, os, signal, sys

from helpdesk_tui.storage.database import Database

def ctrl_c():
    os.kill(os.getpid(), signal.SIGINT)  # (the handler runs at this process's next step)

where = sys.argv[1]
if where == "closing":  # the command's desk closed, its connections going
    dispose = Database.dispose

    def disposing(self):
        ctrl_c()
        dispose(self)

    Database.dispose = disposing
else:  # registered first, so the last of the exit handlers to run
    atexit.register(ctrl_c)
sys.argv = ["helpdesk", *sys.argv[2:]]
from helpdesk_tui.cli import run

run()
"""


def _run_with_ctrl_c_at(where: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CTRL_C_AT, where, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HELPDESK_CLI_SERVER": "off"},
        timeout=HANG_SECONDS,
    )


INTERRUPTED = 128 + signal.SIGINT
SAVED = "Interrupted as it ended: the command had finished, and its changes are saved."
FINISHED = "Interrupted as it ended: the command had finished."


@on_sqlite_only
@pytest.mark.parametrize("where", ["closing", "exit handlers"])
def test_a_ctrl_c_after_a_change_says_it_is_saved(use_db: str, invoke: Invoke, where: str) -> None:
    done = _run_with_ctrl_c_at(
        where, "ticket", "new", "--subject", "Toner", "--from", "ann@example.com", "--body", "x"
    )
    assert (done.returncode, lines(done.stderr)) == (INTERRUPTED, [SAVED]), done.stderr
    assert "Toner" in invoke("ticket", "list").stdout  # (it is: the line tells the truth)


@on_sqlite_only
@pytest.mark.parametrize("where", ["closing", "exit handlers"])
def test_a_ctrl_c_after_a_read_says_it_had_finished(use_db: str, where: str) -> None:
    done = _run_with_ctrl_c_at(where, "agent", "list")
    assert (done.returncode, lines(done.stderr)) == (INTERRUPTED, [FINISHED]), done.stderr
    assert pwd.getpwuid(os.getuid()).pw_name in done.stdout  # (written before it came)
