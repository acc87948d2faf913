"""``helpdesk mail run`` in a process of its own, forked from the race tests' fork server.

A recovery test starts the mail service as a deployment does, as a process the test kills
(SIGKILL mid-batch) or stops (SIGTERM) and then starts again. Each used to be a fresh
interpreter (``python -m helpdesk_tui mail run``) that imported SQLAlchemy, psycopg and the
desk before its first poll: about a second of CPU per run, eight runs in the recovery
tests. It is forked instead from the server of ``tests/processes.py``, which imported them
once (its ``PRELOAD``): still a process of its own with its own pid, connections, leases
and signal handlers, the test's environment and ``sys.argv``, which runs
``helpdesk_tui.cli.run`` as ``python -m helpdesk_tui`` does; only the imports are done.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from multiprocessing.process import BaseProcess
from pathlib import Path

from tests import processes


def _run(log: str, hook: str | None) -> None:
    """The child: stdout to ``/dev/null`` and stderr to ``log`` (appended), as the test's
    ``Popen`` gave them; the gated run's ``sitecustomize`` (``hook``) run first, as its
    interpreter ran it at its start; then the command, which ends the process."""
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.dup2(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), 2)
    if hook is not None:
        runpy.run_path(hook, run_name="sitecustomize")
    sys.argv = ["helpdesk", "mail", "run"]
    from helpdesk_tui.cli import run

    run(prog_name="helpdesk")


class MailRun:
    """A started ``helpdesk mail run``: what the tests used of its ``Popen``."""

    def __init__(self, process: BaseProcess) -> None:
        self._process = process

    @property
    def pid(self) -> int:
        pid = self._process.pid
        assert pid is not None
        return pid

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def wait(self, timeout: float) -> int:
        """Its exit status (negative: the signal that ended it), once it ended."""
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(["helpdesk", "mail", "run"], timeout)
        return self._process.exitcode


def start(env: dict[str, str], log: Path, hook: Path | None = None) -> MailRun:
    """``helpdesk mail run`` with the environment ``env``, its stderr appended to ``log``."""
    child = processes.start(_run, env, str(log), None if hook is None else str(hook))
    return MailRun(child)
