"""The real ``helpdesk`` on a SQLite desk that goes away, is made unreadable or stays
locked, cold and warm (while the warm server runs): one line on stderr, nothing on stdout,
status 1; never a traceback. (The PostgreSQL outages: ``test_outage.py``.)"""

from __future__ import annotations

import json
import os
import pwd
import select
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpdesk_tui.cli import warm_socket
from helpdesk_tui.cli.server import servers
from tests.cli.conftest import Invoke, code_stamp, helpdesk_script, skip_if_the_code_changed
from tests.cli.import_probe import ImportProbe
from tests.cli.test_outage import _one_line, _wait_gone
from tests.conftest import HANG_SECONDS, need
from tests.os_users import PortablePython, accounts, can_make_accounts

pytestmark = pytest.mark.slow

LOCKED = "another process holds the desk's lock; try again once it lets go"


def _run(*args: str, warm: bool) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [helpdesk_script(), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HELPDESK_CLI_SERVER": "on" if warm else "off"},
    )


def _done(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    stdout, stderr = process.communicate(timeout=HANG_SECONDS)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _ok(*args: str, warm: bool) -> str:
    done = _done(_run(*args, warm=warm))
    assert (done.returncode, done.stderr) == (0, ""), (args, done.stderr)
    return done.stdout


SHORT_BUSY_TIMEOUT_MS = 200


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``helpdesk`` processes (cold, and the warm server a first verb starts) wait
    ``SHORT_BUSY_TIMEOUT_MS`` for a locked desk instead of SQLite's busy timeout of 30 s
    (``short_busy_timeout/sitecustomize.py``); requested before ``desk``, which starts the
    server. This process's own timeout stays as it is."""
    here = Path(__file__).with_name("short_busy_timeout")
    monkeypatch.setenv("TEST_SQLITE_BUSY_TIMEOUT_MS", str(SHORT_BUSY_TIMEOUT_MS))
    paths = [str(here), *filter(None, [os.environ.get("PYTHONPATH")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))


@pytest.fixture
def desk(private_desk: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The user's SQLite desk with ticket #1, and a socket directory for their warm server
    (``_serve`` starts it); the server stopped after."""
    if not warm_socket.supported():
        need("Linux (SO_PEERCRED, pidfds) for the warm command server")
    made = invoke(
        "ticket", "new", "--subject", "Printer", "--from", "a@example.com", "--body", "Ink."
    )
    assert made.exit_code == 0, made.stderr
    runtime = Path(tempfile.mkdtemp(prefix="hdo-", dir="/tmp"))  # (a socket's path is short)
    runtime.chmod(0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("HELPDESK_CLI_SERVER_IDLE", "120")  # (if a teardown failed)
    try:
        yield private_desk
    finally:
        for info in servers(b"stop"):
            _wait_gone(info["pid"])
        shutil.rmtree(runtime, ignore_errors=True)


def _serve() -> None:
    """The user's warm server, started by a first verb (as it ends), once it answers."""
    _ok("ticket", "list", warm=True)
    deadline = time.monotonic() + HANG_SECONDS
    while not servers():  # (it imports, then listens)
        assert time.monotonic() < deadline, "no server was started"
        select.select([], [], [], 0.05)


VERBS = [
    ("ticket", "list"),
    ("ticket", "show", "1"),
    ("ticket", "reply", "1", "--body", "Try the tray."),
    ("report",),
    ("agent", "list"),
]


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_a_desk_removed_under_the_warm_server_is_one_line(
    desk: Path, warm: bool, _preloaded_probe: ImportProbe, tmp_path: Path
) -> None:
    """Cold, each verb runs as the installed script's run in a process of its own, forked
    by the worker's ``ImportProbe`` that imported SQLAlchemy and the drivers first (the
    script itself, its interpreter's start and all, for the last, which must say the
    same), with no warm server running: a cold verb does not reach it, nor does the
    server hold the desk open (it forks each verb's child before the desk is opened)."""
    if warm:
        _serve()
    served, stamp = sum(info["served"] for info in servers()), code_stamp()

    def run(*verb: str) -> subprocess.CompletedProcess[str]:
        if warm:
            return _done(_run(*verb, warm=True))
        env = {**os.environ, "HELPDESK_CLI_SERVER": "off"}
        return _preloaded_probe.run(list(verb), env, Path.cwd(), tmp_path)

    away = desk.with_name("moved.db")
    desk.rename(away)
    for verb in VERBS:
        done = run(*verb)
        line = _one_line(done)
        assert line == f"error: no desk at {desk}; create one with `helpdesk init`", verb
    if not warm:
        script = _done(_run(*VERBS[-1], warm=False))
        assert (script.returncode, script.stdout, script.stderr) == (1, "", done.stderr)
    assert not desk.exists()  # (nothing made in its place)
    away.rename(desk)
    for verb in VERBS:
        done = run(*verb)
        assert (done.returncode, done.stderr) == (0, ""), (verb, done.stderr)
        assert done.stdout, verb
    if warm:
        skip_if_the_code_changed(stamp)
        assert sum(info["served"] for info in servers()) == served + 2 * len(VERBS)


def test_a_desk_locked_past_the_busy_timeout_is_one_line_and_nothing_saved(
    short_busy_timeout: None, desk: Path, _preloaded_probe: ImportProbe, tmp_path: Path
) -> None:
    """Another writer holds the desk's lock longer than the busy timeout (30 s; here
    ``SHORT_BUSY_TIMEOUT_MS``, in both processes): a reply, cold and warm, says so in
    one line with what to do, and saves nothing; lists read on meanwhile (WAL). Run again
    once the lock is let go, the reply is there once (shown by a process the worker's
    ``ImportProbe`` forks). (The replies wait side by side.)"""
    _serve()
    holder = sqlite3.connect(desk, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("UPDATE ticket SET subject = subject")
        replies = [_run("ticket", "reply", "1", "--body", "Once.", warm=w) for w in (False, True)]
        for warm in (False, True):
            assert "Printer" in _ok("ticket", "list", warm=warm)
        for reply in replies:
            line = _one_line(_done(reply))
            assert line == f"error: #1: database error at {desk}: database is locked; {LOCKED}"
    finally:
        holder.rollback()
        holder.close()
    _ok("ticket", "reply", "1", "--body", "Once.", warm=True)
    env = {**os.environ, "HELPDESK_CLI_SERVER": "off"}
    shown = _preloaded_probe.run(["ticket", "show", "1"], env, Path.cwd(), tmp_path)
    assert (shown.returncode, shown.stderr) == (0, ""), shown.stderr
    assert shown.stdout.count("Once.") == 1


def test_a_desk_made_unreadable_under_the_warm_server_is_one_line(_migrated_sqlite: Path) -> None:
    """An agent's own desk whose mode an admin changed to 0000 while the agent's warm
    server runs: each verb, warm and cold, says which file and the fix in one line (root
    reads anything: so a throw-away user, running the real ``helpdesk``, the script's run
    in processes their own interpreter forks: ``PortablePython.forked``); mended, the
    verbs work again, warm. (Their ``init`` runs on a copy of the worker's migrated desk,
    theirs as the file it would make, as ``private_desk``'s does: every migration was a
    quarter of this test's CPU.)"""
    missing = can_make_accounts()
    if missing:
        need(missing)
    root = Path(tempfile.mkdtemp(prefix="hdu-"))
    root.chmod(0o755)
    (root / "home").mkdir(mode=0o755)
    try:
        with accounts(root) as made:
            python = PortablePython(root / "python")
            python.root.mkdir()
            ann = made.user("ann")
            try:
                python.prepare(ann)
            except RuntimeError as error:
                need(str(error))
            home = made.home(ann)
            database = home / "desk" / "helpdesk.db"
            url = {"HELPDESK_DATABASE_URL": f"sqlite:///{database}"}

            def run(*args: str, warm: bool = True) -> subprocess.CompletedProcess[str]:
                switch = {"HELPDESK_CLI_SERVER": "on" if warm else "off"}
                return python.forked(ann, *args, home=home, env={**url, **switch})

            def served() -> int:
                status = run("server", "status", "--json", warm=False)
                assert status.returncode == 0, status.stderr
                return sum(info["served"] for info in json.loads(status.stdout))

            database.parent.mkdir()
            shutil.copy(_migrated_sqlite, database)
            account = pwd.getpwnam(ann)
            for path in (database.parent, database):
                os.chown(path, account.pw_uid, account.pw_gid)
            try:
                for args in (
                    ("init",),
                    ("ticket", "new", "--subject", "Ink", "--from", "a@example.com", "--body", "."),
                ):
                    done = run(*args, warm=False)
                    assert done.returncode == 0, done.stderr
                assert run("ticket", "list").returncode == 0  # (starts the server as it ends)
                deadline = time.monotonic() + HANG_SECONDS
                while run("server", "status", "--json", warm=False).stdout.strip() == "[]":
                    assert time.monotonic() < deadline, "no server was started"
                    select.select([], [], [], 0.05)
                database.chmod(0)
                before = served()
                for warm in (True, False):
                    for verb in VERBS:
                        line = _one_line(run(*verb, warm=warm))
                        assert line.startswith(
                            f"error: cannot read and write {database} (owner {ann}, "
                        ), line
                        assert "mode 0000" in line, line
                assert served() == before + len(VERBS)
                database.chmod(0o600)
                for verb in VERBS:
                    done = run(*verb)
                    assert (done.returncode, done.stderr) == (0, ""), (verb, done.stderr)
                assert served() == before + 2 * len(VERBS)
            finally:
                run("server", "stop", warm=False)
                python.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
