"""Which modules a ``helpdesk`` command imports, each run in a process of its own.

A check of what a verb imports must start from an interpreter that has imported no more
than a fresh one running ``from helpdesk_tui.cli import main``. It used to start exactly
that, a fresh interpreter, for every check: ≈ 85 in ``test_root``, each paying Python's
start and the CLI's import (click and the root group; about a quarter of a verb's CPU)
before the verb itself. :class:`ImportProbe` starts that interpreter once per test session
(per xdist worker) and forks a child from it for each check: every child starts from the
same untouched state (the server never runs a command), with the test's environment and
working directory, and runs ``main(ARGS)`` as the fresh interpreter did. The server itself
imports nothing but what ``helpdesk_tui.cli`` does (``ast``, ``os`` and ``sys`` among them),
which :class:`ImportProbe` checks when it starts: its modules are a fresh interpreter's
after that import, name for name.

:meth:`ImportProbe.run` forks the same way for a test that needs a verb in a process of
its own, cold (holding no connection from one run to the next, ending as the installed
script's process ends), but not the interpreter's start: the outage tests. Their probe
also imports, once, the libraries every verb on a desk imports first (``preload``:
SQLAlchemy's Core and the dialects, psycopg; none of the package's own modules, which read
the environment as they import): what a verb's process does with the database is the
same, without some 0.2 s of imports each.

A probe that preloaded serves :meth:`ImportProbe.loaded_by` too, for the names it is not
blind to (:meth:`ImportProbe.blind_to`): a module the preload did not import is imported
by a command in its child exactly as in a fresh interpreter's (importing is deterministic:
had the preload's imports led to it, it would be among them), so the command's imports of
the names asked about are the same; only the preload's own part of its start is gone
(SQLAlchemy's Core, some 0.15 s of each of ``test_root``'s forks).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

FRESH = "import sys\nfrom helpdesk_tui.cli import main\nprint(sorted(sys.modules))"
"""What a fresh interpreter has imported when a check used to run its command."""

SERVER = r"""
import ast, importlib, os, sys
from helpdesk_tui.cli import main

def become(environ, cwd, output, errors, terminal, umask):
    os.chdir(cwd)
    if umask is not None:
        os.umask(umask)
    os.environ.clear()
    os.environ.update(environ)
    if terminal:  # (``output`` is the terminal's path: its stdin, stdout and stderr)
        tty = os.open(output, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(tty, fd)
        os.close(tty)
        # The standard streams as Python makes them on a terminal as it starts: stdout's
        # and stderr's lines written out as they end, stderr's unencodable escaped.
        sys.stdin = sys.__stdin__ = open(0, closefd=False)
        sys.stdout = sys.__stdout__ = open(1, "w", buffering=1, closefd=False)
        sys.stderr = sys.__stderr__ = open(
            2, "w", buffering=1, errors="backslashreplace", closefd=False
        )
        return
    null = os.open(os.devnull, os.O_RDONLY)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    written = os.open(output, flags, 0o600)
    os.dup2(null, 0)
    os.dup2(written, 1)
    os.dup2(written if errors is None else os.open(errors, flags, 0o600), 2)
    sys.stdin = open(0, closefd=False)

print(sorted(sys.modules), flush=True)
for name in sys.argv[1:]:  # (``ImportProbe``'s preload, after the modules were told)
    importlib.import_module(name)
print(sorted(sys.modules), flush=True)
for line in sys.stdin:
    args, unused, environ, cwd, output, errors, terminal, umask = ast.literal_eval(line)
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0 and errors is not None:
        # The installed script's run: it ends this process as it ends its own (a quick
        # exit, or Python's, finalization and all, by the SystemExit leaving this loop).
        become(environ, cwd, output, errors, terminal, umask)
        sys.argv = ["helpdesk", *args]
        from helpdesk_tui.cli import run
        run()
        raise SystemExit(0)
    if child == 0:
        try:  # (never back into this loop: the child ends here, whatever happens)
            become(environ, cwd, output, None, False, umask)
            try:
                main(args, prog_name="helpdesk")
            except SystemExit:
                pass
            print(sorted(m for m in sys.modules for u in unused
                         if m == u or m.startswith(u.rstrip(".") + ".")))
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            import traceback
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(child, 0)
    print(os.waitstatus_to_exitcode(status), flush=True)
"""


PRELOAD = (
    "sqlalchemy",
    "psycopg",
    "sqlalchemy.dialects.postgresql.psycopg",
    "sqlalchemy.dialects.sqlite.pysqlite",
)
"""What the outage tests' probe imports before it forks (the libraries' part of the warm
server's ``PRELOAD``)."""


class ImportProbe:
    """One interpreter that imported ``helpdesk_tui.cli`` (and the modules ``preload``
    names); :meth:`loaded_by` forks from it."""

    def __init__(
        self,
        preload: tuple[str, ...] = (),
        python: tuple[str, ...] = (sys.executable,),
        cwd: Path | None = None,
    ) -> None:
        """``python``: the command that starts the interpreter, before its ``-c``, in the
        working directory ``cwd`` (another user's, as :class:`tests.os_users.PortablePython`
        runs it, its environment with it); by default this one's, in this process's
        environment and working directory."""
        self.preload = preload
        self.process = subprocess.Popen(
            [*python, "-c", SERVER, *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
            cwd=cwd,
        )
        assert self.process.stdout is not None
        served = self.process.stdout.readline()
        fresh = subprocess.run(
            [*python, "-c", FRESH], capture_output=True, text=True, check=True, cwd=cwd
        ).stdout
        assert ast.literal_eval(served) == ast.literal_eval(fresh), (served, fresh)
        after = self.process.stdout.readline()
        self.preloaded = frozenset(ast.literal_eval(after)) - set(ast.literal_eval(served))
        """The modules the preload imported (none without one)."""

    def blind_to(self, unused: tuple[str, ...]) -> list[str]:
        """The names of ``unused`` (as :meth:`loaded_by` reads them) that cover a module
        this probe imported before it forks: of those it cannot tell whether a command
        imports them."""
        return sorted(
            {
                u
                for u in unused
                for m in self.preloaded
                if m == u or m.startswith(u.rstrip(".") + ".")
            }
        )

    def loaded_by(self, args: list[str], unused: tuple[str, ...], output: Path) -> list[str]:
        """The modules of ``unused`` that running ``helpdesk ARGS`` imported: a name and what
        is inside it (a name ending in "." only what is inside). The command's stdout and
        stderr go to ``output`` (one file, as a pipe would take them: not a terminal)."""
        blind = self.blind_to(unused)
        assert not blind, f"{blind}: imported before the fork ({self.preload}); ask a fresh probe"
        request = (args, unused, dict(os.environ), os.getcwd(), str(output), None, False, None)
        status = self._forked(request)
        assert status == 0, f"the child ended with {status}: {output.read_text()}"
        return list(ast.literal_eval(output.read_text().splitlines()[-1]))

    def run(
        self,
        args: list[str],
        env: dict[str, str],
        cwd: Path,
        outputs: Path,
        umask: int | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """``helpdesk ARGS`` as the installed script runs it (``helpdesk_tui.cli.run``),
        cold: in a process forked for it, with the environment ``env``, stdin
        ``/dev/null`` and stdout and stderr to files in ``outputs`` (as pipes would take
        them: not a terminal); it ends as the script's process ends. What a fresh
        interpreter adds is its start and the import of ``helpdesk_tui.cli``, which is the
        same for every command: a test about a command's own process (its connections,
        its exit) meets it here the same way, some 0.3 s of CPU sooner. ``umask``: the
        child's (else the probe's)."""
        return self.start(args, env, cwd, outputs, umask)()

    def start(
        self,
        args: list[str],
        env: dict[str, str],
        cwd: Path,
        outputs: Path,
        umask: int | None = None,
    ) -> Callable[[], subprocess.CompletedProcess[str]]:
        """:meth:`run`'s command started, not waited for: what it returns waits for it to
        end and gives what :meth:`run` does (to be called before the next request)."""
        stdout, stderr = outputs / "stdout", outputs / "stderr"
        self._send(([*args], (), env, str(cwd), str(stdout), str(stderr), False, umask))

        def ended() -> subprocess.CompletedProcess[str]:
            status = self.ended()
            return subprocess.CompletedProcess(
                ["helpdesk", *args], status, stdout.read_text(), stderr.read_text()
            )

        return ended

    def on_terminal(self, args: list[str], env: dict[str, str], cwd: Path, terminal: str) -> None:
        """Start ``helpdesk ARGS`` as :meth:`run` does, but on the terminal whose path is
        ``terminal`` (its stdin, stdout and stderr; the standard streams made as Python
        makes them on a terminal as it starts); :meth:`ended` is its exit status, once
        :attr:`ends` (a pipe to ``select`` on) is ready."""
        self._send(([*args], (), env, str(cwd), terminal, terminal, True, None))

    @property
    def ends(self) -> IO[str]:
        """What the exit status of the child running the last request comes on."""
        assert self.process.stdout is not None
        return self.process.stdout

    def ended(self) -> int:
        """The exit status of the child that ran the last request (waiting for it)."""
        return int(self.ends.readline())

    def _forked(self, request: tuple[object, ...]) -> int:
        """Send a request; the exit status of the child that ran it."""
        self._send(request)
        return self.ended()

    def _send(self, request: tuple[object, ...]) -> None:
        stdin: IO[str] | None = self.process.stdin
        assert stdin is not None
        stdin.write(repr(request) + "\n")
        stdin.flush()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)
