"""The warm command server: the same commands, outputs and exit statuses as in-process.

Real processes and sockets: ``python -m helpdesk_tui`` (the program's own start,
``cli.run``) with the server on or off, against one desk. A test that kills, stops, breaks
or starts servers has its own desk and socket directory (``XDG_RUNTIME_DIR`` under /tmp: a
socket's path has a length limit), and stops its servers at teardown (``warm``); a test
that leaves its server running as it found it uses the module's one server, desk and
socket directory (``shared``), and counts only the commands it sent. Waits are on a pipe
or the socket, with deadlines that only fail.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpdesk_tui.cli import main, warm_client, warm_socket
from helpdesk_tui.cli.init import DATABASE_FILE
from helpdesk_tui.cli.server import servers
from tests.cli.conftest import Invoke, code_stamp, skip_if_the_code_changed
from tests.cli.import_probe import ImportProbe
from tests.clocks import local_zone
from tests.conftest import HANG_SECONDS, need
from tests.os_users import PortablePython, accounts, can_make_accounts

pytestmark = pytest.mark.slow

ACT_SECONDS = 20.0
"""How long a command or a server that runs already may take to act on a signal, a pipe's
end or a stop (milliseconds as a rule) before the test calls it hung: a hang fails in
seconds. :data:`HANG_SECONDS` (two minutes) stays for what starts a Python process and
imports the desk (a command, a server), which a loaded machine may slow a hundredfold."""

PROGRAM = [sys.executable, "-m", "helpdesk_tui"]
SERVE = "from helpdesk_tui.cli.warm_server import serve; serve()"


@dataclass
class Warm:
    runtime: Path
    cwd: Path
    stamp: str = field(default_factory=code_stamp)
    """The package's code as the test began (:meth:`served`)."""
    served_before: int = 0
    """Commands the servers had served when the test began (the module's server's)."""

    @property
    def sockets(self) -> Path:
        return self.runtime / "helpdesk-tui"

    def env(self, server: str = "on", **extra: str) -> dict[str, str]:
        return {**os.environ, "HELPDESK_CLI_SERVER": server, **extra}

    def run(
        self, *args: str, server: str = "on", input: str | None = None, **kwargs: object
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*PROGRAM, *args],
            input=input,
            capture_output=True,
            text=True,
            env=self.env(server),
            cwd=self.cwd,
            timeout=HANG_SECONDS,
            **kwargs,  # type: ignore[call-overload]
        )

    def key(self, **extra: str) -> str:
        """The key a client run with this environment computes (in a process like it)."""
        code = "from helpdesk_tui.cli.warm_socket import server_key; print(server_key())"
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=self.env(**extra),
            check=True,
            timeout=HANG_SECONDS,
        )
        return done.stdout.strip()

    def start(self, **extra: str) -> None:
        """Start a server as a client does, and wait until it says it listens."""
        server = subprocess.Popen(
            [sys.executable, "-P", "-c", SERVE],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            env={**self.env(**extra), warm_socket.STARTED_FOR: self.key(**extra)},
            start_new_session=True,
        )
        assert server.stdout is not None
        ready, _, _ = select.select([server.stdout], [], [], HANG_SECONDS)
        assert ready, "the server did not start listening"
        assert server.stdout.readline() == b"listening\n"
        server.stdout.close()

    def served(self) -> int:
        """Commands served by this test's servers so far. (Skipped where the package's
        code changed since the test began, as outside CI an edit beside the run does: its
        commands then ran cold, as they must, ``skip_if_the_code_changed``.)"""
        skip_if_the_code_changed(self.stamp)
        return sum(info["served"] for info in servers()) - self.served_before


def _wait_gone(pid: int) -> None:
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        ready, _, _ = select.select([pidfd], [], [], ACT_SECONDS)
        assert ready, f"server {pid} did not stop"
    finally:
        os.close(pidfd)


def _wait_for_a_server(count: int = 1) -> None:
    """Until the server started detached (by a command run in-process) answers on its
    socket: ``count`` servers in all."""
    deadline = time.monotonic() + HANG_SECONDS
    while len(servers()) < count:  # it imports, then listens
        assert time.monotonic() < deadline, "no server was started"
        select.select([], [], [], 0.05)


def _stop_all() -> None:
    for info in servers(b"stop"):
        _wait_gone(info["pid"])


def _stop_all_and_wait_for_their_files(sockets: Path) -> None:
    """Stop every server and wait until their files are gone. A server that did not answer
    the stop within the client's 5 s (a loaded machine: CI once saw a server's socket and
    lock left after one round) is asked again; one that leaves its files after stopping
    fails here."""
    deadline = time.monotonic() + HANG_SECONDS
    while True:
        _stop_all()
        left = list(sockets.iterdir()) if sockets.is_dir() else []
        if not left:
            return
        assert time.monotonic() < deadline, f"a server left its files: {left}"
        select.select([], [], [], 0.05)


SUBJECTS = ("Printer jam on floor 2", "VPN drops", "New laptop")


LONG_STORY = " ".join(["It jams on every page, though the tray was emptied."] * 50)
"""More of ticket #1's body (≈ 2.6 KB): a few dozen shows of it fill a pipe (``FULL_PIPE``)."""


def _new_ticket(subject: str) -> list[str]:
    body = f"{subject}, please help" + (f" {LONG_STORY}" if subject == SUBJECTS[0] else "")
    return ["ticket", "new", "--subject", subject, "--from", "ann@example.com",
            "--body", body]  # fmt: skip


@pytest.fixture
def warm(
    private_desk: Path, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Warm]:
    """A desk of three tickets (#1-#3) and a socket directory of this test's own."""
    if not warm_socket.supported():
        need("Linux (SO_PEERCRED, pidfds) for the warm command server")
    for subject in SUBJECTS:
        made = invoke(*_new_ticket(subject))
        assert made.exit_code == 0, made.stderr
    runtime = Path(tempfile.mkdtemp(prefix="hdw-", dir="/tmp"))
    runtime.chmod(0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("HELPDESK_CLI_SERVER_IDLE", "120")  # (if a teardown failed)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    try:
        yield Warm(runtime, cwd)
        _stop_all_and_wait_for_their_files(runtime / "helpdesk-tui")
    finally:
        _stop_all()
        shutil.rmtree(runtime, ignore_errors=True)


SHARED_DIRS = ("config", "site-config", "data", "cache")


@pytest.fixture(scope="module")
def _shared_server(
    _migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The module's desk of three tickets (#1-#3), as ``warm``'s, and its server, started
    once, with core dumps off (``test_ctrl_backslash_ends_the_command_by_sigquit``): the
    environment a test sets to use them (``shared``). Starting a server (a Python process
    importing the desk) and making a desk for each test that leaves the server running
    was most of those tests' time."""
    if not warm_socket.supported():
        need("Linux (SO_PEERCRED, pidfds) for the warm command server")
    home = tmp_path_factory.mktemp("warm-shared")
    runtime = Path(tempfile.mkdtemp(prefix="hdw-", dir="/tmp"))
    runtime.chmod(0o700)
    env = {
        f"HELPDESK_{name.upper().replace('-', '_')}_DIR": str(home / name) for name in SHARED_DIRS
    }
    env.update(XDG_RUNTIME_DIR=str(runtime), HELPDESK_CLI_SERVER_IDLE="120")
    try:
        with pytest.MonkeyPatch.context() as patch, local_zone("UTC"):
            for name in list(os.environ):
                if name.startswith("HELPDESK_"):
                    patch.delenv(name)
            for name, value in {**env, "HELPDESK_CLI_SERVER": "off"}.items():
                patch.setenv(name, value)
            desk = home / "data" / DATABASE_FILE
            desk.parent.mkdir(parents=True)
            shutil.copy(_migrated_sqlite, desk)
            for args in (["init"], *(_new_ticket(subject) for subject in SUBJECTS)):
                made = CliRunner().invoke(main, args)
                assert made.exit_code == 0, (args, made.stderr)
            soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
            resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
            try:
                Warm(runtime, home).start()
            finally:
                resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))
        yield env
    finally:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("XDG_RUNTIME_DIR", str(runtime))
            try:
                _stop_all_and_wait_for_their_files(runtime / "helpdesk-tui")
            finally:
                _stop_all()
                shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def shared(_shared_server: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Warm:
    """The module's desk and running server (``_shared_server``), a working directory of
    this test's own; :meth:`Warm.served` counts this test's commands."""
    for name, value in _shared_server.items():
        monkeypatch.setenv(name, value)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    warm = Warm(Path(_shared_server["XDG_RUNTIME_DIR"]), cwd)
    running = servers()
    assert len(running) == 1, f"the module's server is not the one running: {running}"
    warm.served_before = running[0]["served"]
    return warm


def _same(a: subprocess.CompletedProcess[str], b: subprocess.CompletedProcess[str]) -> None:
    assert (a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr)


def test_commands_run_warm_exactly_as_in_process(
    shared: Warm, _preloaded_probe: ImportProbe, tmp_path: Path
) -> None:
    """Outputs and exit statuses are the in-process ones; a reader gone before the first
    line ends the command as in-process; terminal commands (``--help``) and the opt-out
    (``HELPDESK_CLI_SERVER=off``) stay in-process. (One server for the three: they were
    three tests, each starting its own.) Each case's in-process run is the program's run
    in a process forked for it by the worker's preloaded ``ImportProbe`` (``cli.run``, as
    ``python -m helpdesk_tui`` runs it, without the interpreter's start and SQLAlchemy's
    import); the opt-out and the closed pipe are ``python -m helpdesk_tui`` itself."""

    def in_process(*args: str) -> subprocess.CompletedProcess[str]:
        return _preloaded_probe.run(list(args), shared.env("off"), shared.cwd, tmp_path)

    cases = [
        ("ticket", "list"),
        ("ticket", "list", "--json", "--limit", "3"),
        ("ticket", "show", "1", "--json"),
        ("ticket", "search", "printer"),
        ("report", "--json"),
        ("agent", "list"),
        ("ticket", "show", "99999"),  # an error: one line, status 1
        ("report", "--bogus"),  # click's usage error: status 2
        ("ticket", "note", "1", "--body", "   "),  # refused: empty
    ]
    for args in cases:
        _same(in_process(*args), shared.run(*args))
    assert shared.served() == len(cases)

    assert shared.run("ticket", "list", server="off").returncode == 0
    assert shared.run("--help").returncode == 0
    assert shared.served() == len(cases), "a terminal command or the opt-out went warm"

    results = []
    for server in ("off", "on"):
        reader, writer = os.pipe()
        os.close(reader)  # the reader went away before the first line
        try:
            done = subprocess.run(
                [*PROGRAM, "ticket", "list"],
                stdout=writer,
                stderr=subprocess.PIPE,
                text=True,
                env=shared.env(server),
                timeout=HANG_SECONDS,
            )
        finally:
            os.close(writer)
        results.append((done.returncode, done.stderr))
    assert results[0] == results[1], "a closed stdout pipe"
    assert shared.served() == len(cases) + 1


def test_writes_and_stdin_warm(shared: Warm) -> None:
    """Writes and stdin go warm; the child works where the client was: a relative
    ``--attach`` path is found there. (One server for both: they were two tests.)"""
    here = shared.run("ticket", "note", "1", "--body", "checked the printer", server="off")
    there = shared.run("ticket", "note", "2", "--body", "checked the printer")
    assert (here.returncode, there.returncode) == (0, 0), there.stderr
    assert here.stdout.startswith("#1 ") and "Printer jam" in here.stdout
    assert there.stdout.startswith("#2 ") and "VPN drops" in there.stdout
    assert (here.stderr, there.stderr) == ("", "")
    piped = shared.run("ticket", "note", "3", input="from stdin\n")
    assert piped.returncode == 0, piped.stderr
    numbers = shared.run("ticket", "priority", "-", "high", input="1 2\n")
    assert numbers.returncode == 0, numbers.stderr
    shown = json.loads(shared.run("ticket", "show", "1", "2", "3", "--json").stdout)
    assert "from stdin" in shown[2]["messages"][-1]["body"]
    assert [row["priority"] for row in shown[:2]] == ["high", "high"]
    assert shared.served() == 4

    (shared.cwd / "notes.txt").write_text("attached\n")
    done = shared.run("ticket", "note", "1", "--body", "see file", "--attach", "notes.txt")
    assert done.returncode == 0, done.stderr
    assert shared.served() == 5


FULL_PIPE = ["ticket", "show", *["1"] * 30]
"""≈ 90 KB of output: ticket #1 (its long body) shown 30 times. (It was shown 300 times, with
a short body: the desk's reads, 0.7 s of a child's CPU each time the command ran through.)"""


@contextlib.contextmanager
def _writing_to_a_full_pipe(
    warm: Warm, server: str, stderr: int = subprocess.DEVNULL
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A command writing ≈ 90 KB (``FULL_PIPE``) into a pipe of 4 KiB nobody reads yet, once
    it waits on it; and the pipe's reading end. The command is a job of its own, as a shell
    starts one (a process group of its own, in this session: not orphaned, so a stop signal
    stops it), working in the test's directory (a core file would go there). On leaving, the reading
    end and a piped stderr are closed and a command still running is killed."""
    reader, writer = os.pipe()
    fcntl.fcntl(writer, fcntl.F_SETPIPE_SZ, 4096)
    process = subprocess.Popen(
        [*PROGRAM, *FULL_PIPE],
        stdout=writer,
        stderr=stderr,
        env=warm.env(server),
        cwd=warm.cwd,
        process_group=0,
    )
    os.close(writer)
    try:
        ready, _, _ = select.select([reader], [], [], HANG_SECONDS)
        assert ready and os.read(reader, 100)  # it runs the command, and waits on the pipe
        yield process, reader
    finally:
        os.close(reader)
        if process.poll() is None:
            process.kill()
        if process.stderr is not None:
            process.stderr.close()


def _drain(reader: int) -> int:
    """Read the pipe to its end (every writer gone): how many bytes came."""
    deadline = time.monotonic() + ACT_SECONDS
    read = 0
    while True:
        ready, _, _ = select.select([reader], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, "the pipe did not end"
        chunk = os.read(reader, 65536)
        if not chunk:
            return read
        read += len(chunk)


def _state(pid: int) -> str:
    """A process's state letter (``T``: stopped), from /proc; '' once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return ""
    return stat.rpartition(b")")[2].split()[0].decode()


def _until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; the deadline only fails."""
    deadline = time.monotonic() + ACT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, what
        select.select([], [], [], 0.01)


def _children_of(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_bytes().rpartition(b")")[2].split()
            except OSError:
                continue  # gone meanwhile
            if int(fields[1]) == parent:
                children.append(int(entry.name))
    return children


def _the_child() -> int:
    """The pid of the one command this test's server runs (a child of the server)."""
    (info,) = servers()
    (child,) = _children_of(info["pid"])
    return child


def _where(pids: list[int]) -> str:
    """What each process waits in and its signals (pending, blocked, ignored, caught), from
    /proc: a hang's failure message says where the Ctrl-C stopped."""
    lines = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            wchan = Path(f"/proc/{pid}/wchan").read_text()
        except OSError:
            lines.append(f"{pid}: gone")
            continue
        keep = ("State", "PPid", "SigQ", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt")
        fields = [line for line in status.splitlines() if line.split(":")[0] in keep]
        lines.append(f"{pid}: wchan {wchan} " + " ".join(f.replace(chr(9), "") for f in fields))
    return "\n".join(lines)


def _family(client: int) -> list[int]:
    """The client, this test's servers and their children (the commands they run)."""
    servers_ = [info["pid"] for info in servers()]
    return [client, *servers_, *(child for pid in servers_ for child in _children_of(pid))]


def _interrupted(warm: Warm, server: str) -> tuple[int, str]:
    """Ctrl-C (SIGINT to the program) while the command writes to a full pipe."""
    with _writing_to_a_full_pipe(warm, server, stderr=subprocess.PIPE) as (process, reader):
        process.send_signal(signal.SIGINT)
        # The pipe is drained only once the command says it stopped: drained at once, a
        # warm child could write everything before the forwarded signal reached it.
        assert process.stderr is not None
        said = b""
        while not said.endswith(b"Aborted!\n"):
            ready, _, _ = select.select([process.stderr], [], [], ACT_SECONDS)
            where = _where(_family(process.pid)) if not ready else ""
            assert ready, f"the command was not interrupted ({said!r} said):\n{where}"
            chunk = os.read(process.stderr.fileno(), 4096)
            assert chunk, said
            said += chunk
        while os.read(reader, 65536):
            pass
        return process.wait(ACT_SECONDS), (said + process.stderr.read()).decode()


def test_ctrl_c_is_forwarded_to_the_child(shared: Warm) -> None:
    assert _interrupted(shared, "off") == _interrupted(shared, "on") == (130, "\nAborted!\n")
    assert shared.served() == 1


EARLY_CTRL_C = """
import os, signal
from helpdesk_tui.cli import warm_server, warm_socket

signal.pthread_sigmask(signal.SIG_BLOCK, warm_socket.FORWARDED)  # as the server forks
os.kill(os.getpid(), signal.SIGINT)  # forwarded before the child's handler: it waits
fds = [os.dup(0), os.dup(1), os.dup(2), os.open(".", os.O_PATH | os.O_DIRECTORY)]
warm_server._command([b"run", b"helpdesk", b"18", b"2", b"helpdesk", b"--version"], fds)
"""


def test_a_ctrl_c_forwarded_before_the_childs_handler_ends_it_by_sigint() -> None:
    """The client's Ctrl-C racing the fork reaches the child before it has its handler; it
    lands as the child takes on the command (``_become``). The child ends by SIGINT, as a
    command interrupted at its start does, and its client by it in turn (it ended with
    status 1 and a traceback written to the server's /dev/null). Run as a server's child
    runs it, in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-c", EARLY_CTRL_C], capture_output=True, timeout=HANG_SECONDS
    )
    assert (done.returncode, done.stdout, done.stderr) == (-signal.SIGINT, b"", b"")


def _terminated(warm: Warm, server: str) -> int:
    """SIGTERM to the program while the command waits on a full pipe: its return code."""
    with _writing_to_a_full_pipe(warm, server) as (process, _reader):
        process.send_signal(signal.SIGTERM)
        return process.wait(ACT_SECONDS)  # (the pipe still full: killed, not finished)


def test_a_command_ended_by_a_signal_ends_its_client_by_it(shared: Warm) -> None:
    """A parent (a shell, a script) sees the signal, as from a command run in-process."""
    assert _terminated(shared, "off") == _terminated(shared, "on") == -signal.SIGTERM
    assert shared.served() == 1


@pytest.mark.parametrize("stop", [signal.SIGTSTP, signal.SIGTTIN])
def test_ctrl_z_stops_the_child_and_fg_continues_it(
    shared: Warm, stop: int, _preloaded_probe: ImportProbe, tmp_path: Path
) -> None:
    """The job stops whole (the child first, then the client by the same signal, as the
    shell sees it), and the shell's ``fg`` (SIGCONT to the job) continues both: the whole
    output comes, status 0, as from a command run in-process (the program's run forked
    by the preloaded ``ImportProbe``)."""
    off = _preloaded_probe.run(FULL_PIPE, shared.env("off"), shared.cwd, tmp_path)
    expected = off.stdout.encode()
    with _writing_to_a_full_pipe(shared, "on") as (process, reader):
        child = _the_child()
        process.send_signal(stop)
        _until(lambda: _state(process.pid) == "T", "the client did not stop")
        _until(lambda: _state(child) == "T", "the child was not stopped")
        os.killpg(process.pid, signal.SIGCONT)  # fg
        _until(lambda: _state(child) not in ("T", ""), "the child was not continued")
        assert 100 + _drain(reader) == len(expected)
        assert process.wait(ACT_SECONDS) == 0
    assert shared.served() == 1


def test_a_child_stopped_by_someone_else_stops_its_client(shared: Warm) -> None:
    """``kill -STOP`` of the child's pid stops the job as it stops a command run in-process
    (the client would otherwise wait, its job "running", for no visible reason); a ``kill
    -CONT`` of the child continues the client; so does ``fg`` the child."""
    with _writing_to_a_full_pipe(shared, "on") as (process, reader):
        child = _the_child()
        os.kill(child, signal.SIGSTOP)
        _until(lambda: _state(process.pid) == "T", "the client did not stop")
        os.kill(child, signal.SIGCONT)
        _until(lambda: _state(process.pid) not in ("T", ""), "the client was not continued")
        os.kill(child, signal.SIGSTOP)
        _until(lambda: _state(process.pid) == "T", "the client did not stop again")
        os.killpg(process.pid, signal.SIGCONT)  # fg
        _until(lambda: _state(child) not in ("T", ""), "the child was not continued")
        _drain(reader)
        assert process.wait(ACT_SECONDS) == 0
    assert shared.served() == 1


def _quit(warm: Warm, server: str) -> int:
    """Ctrl-\\ (SIGQUIT to the program) while the command waits on a full pipe."""
    with _writing_to_a_full_pipe(warm, server) as (process, _reader):
        process.send_signal(signal.SIGQUIT)
        return process.wait(ACT_SECONDS)


def test_ctrl_backslash_ends_the_command_by_sigquit(shared: Warm) -> None:
    """Forwarded, and the client ends by it (no core from either: the limit is 0 here)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, hard))  # (the server started below too)
    try:
        assert _quit(shared, "off") == _quit(shared, "on") == -signal.SIGQUIT
    finally:
        resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))
    assert not list(shared.cwd.iterdir())
    assert shared.served() == 1


def test_the_child_goes_when_the_client_dies(shared: Warm) -> None:
    """Killed (no signal to forward), the client's end of the socket closes: the server
    kills the child, and the pipe the child was writing to ends (nobody holds it any more)."""
    with _writing_to_a_full_pipe(shared, "on") as (process, reader):
        process.kill()
        process.wait(ACT_SECONDS)
        deadline = time.monotonic() + ACT_SECONDS
        read = 100
        while True:  # what the pipe holds, then its end (only the child held it still)
            ready, _, _ = select.select([reader], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, "the child kept the pipe open"
            chunk = os.read(reader, 65536)
            if not chunk:
                break
            read += len(chunk)
        shows = len(FULL_PIPE) - 2
        assert read < shows * len(LONG_STORY)  # it did not write everything: it was killed
    assert shared.served() == 1


def test_another_key_is_another_server(shared: Warm) -> None:
    """A client whose import-time environment differs never reaches this server."""
    (this,) = servers()
    done = subprocess.run(
        [*PROGRAM, "ticket", "list"],
        capture_output=True,
        env=shared.env(HELPDESK_SOME_SETTING="changed"),
        timeout=HANG_SECONDS,
    )
    assert done.returncode == 0
    assert shared.served() == 0
    _wait_for_a_server(2)  # it started one for its own key
    (other,) = (info for info in servers() if info["pid"] != this["pid"])
    os.kill(other["pid"], signal.SIGTERM)  # (the module's server goes on)
    _wait_gone(other["pid"])
    assert [info["pid"] for info in servers()] == [this["pid"]]


def test_an_unsafe_directory_means_in_process(shared: Warm) -> None:
    """A socket directory open to others, or a symlink: commands run in-process and
    ``server status`` says why. (Both, one after the other, beside one server.)"""
    for problem in ("open to others", "a symlink"):
        if problem == "open to others":
            shared.sockets.chmod(0o755)
        else:
            real = shared.runtime / "elsewhere"
            shared.sockets.rename(real)
            shared.sockets.symlink_to(real)
        done = shared.run("ticket", "list")
        assert done.returncode == 0, (problem, done.stderr)
        assert warm_socket.server_dir() is None, problem
        said = "a symlink" if problem == "a symlink" else "mode 0755"
        status = shared.run("server", "status").stdout  # (it said "no private socket dir yet")
        assert f"{shared.sockets} is not a directory only you can open (" in status, problem
        assert f"{said}), so no server is used" in status, problem
        if problem == "open to others":
            shared.sockets.chmod(0o700)
        else:
            shared.sockets.unlink()
            (shared.runtime / "elsewhere").rename(shared.sockets)
        assert shared.served() == 0, problem


def test_a_cold_command_starts_the_server_for_the_next_without_a_runtime_dir_nor_its_key_shown(
    warm: Warm, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold command starts the server the next one uses (the same output).

    No ``$XDG_RUNTIME_DIR`` (``su``, some SSH set-ups): the socket directory is made in
    the user's cache directory, which no other user can make first (as they could
    ``/tmp/helpdesk-tui-<uid>``, turning the user's server off); commands go warm there.

    Any user on the machine reads a process's arguments; the key checksums the client's
    environment, a database URL's password too (a team's audit: two agents on one server,
    ``ps`` showed each server's key). It is passed in the server's environment instead,
    which only its owner reads. (One command's server for the three: they were three
    tests; a command started in the runtime directory starts its server the same way in
    ``test_a_server_killed_mid_command_ends_its_client_its_child_and_leaves_a_dead_socket``.)"""
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    cache = warm.runtime / "cache"  # (a short path: a socket's has a length limit)
    monkeypatch.setenv("HELPDESK_CACHE_DIR", str(cache))
    secret = {"HELPDESK_DATABASE_PASSWORD_FOR_THE_TEST": "s3cret"}
    key = warm.key(**secret)
    run = [*PROGRAM, "ticket", "list"]
    env = warm.env(**secret)
    first = subprocess.run(run, capture_output=True, text=True, env=env, timeout=HANG_SECONDS)
    assert first.returncode == 0 and "Printer jam" in first.stdout
    _wait_for_a_server()
    (info,) = servers()
    command_line = Path(f"/proc/{info['pid']}/cmdline").read_bytes()
    assert key.encode() not in command_line and b"s3cret" not in command_line
    again = subprocess.run(run, capture_output=True, text=True, env=env, timeout=HANG_SECONDS)
    _same(first, again)
    assert warm.served() == 1
    assert [path.parent for path in cache.glob("*/*.sock")] == [cache / "server"]
    assert f"sockets in {cache / 'server'}" in warm.run("server", "status").stdout
    assert not warm.sockets.exists()


def test_a_server_killed_mid_command_ends_its_client_its_child_and_leaves_a_dead_socket(
    warm: Warm,
) -> None:
    """The client says so at once (status 1), and the child does not go on writing to the
    terminal after the shell's prompt. The dead server's socket is left behind: the next
    command runs in-process and starts a new server (binding over the dead one's file),
    which the one after it uses. (One killed server for both: they were two tests.)"""
    warm.start()
    with _writing_to_a_full_pipe(warm, "on", stderr=subprocess.PIPE) as (process, reader):
        (info,) = servers()
        os.kill(info["pid"], signal.SIGKILL)
        _, stderr = process.communicate(timeout=ACT_SECONDS)
        assert process.returncode == 1
        assert stderr == b"helpdesk: the command server went away before the command ended\n"
        _drain(reader)  # to its end: the child, its last writer, is gone too
    _wait_gone(info["pid"])
    assert list(warm.sockets.glob("*.sock"))  # left behind
    done = warm.run("ticket", "list")
    assert done.returncode == 0 and "Printer jam" in done.stdout
    _wait_for_a_server()  # the one the command above started binds over the dead one's file
    _same(done, warm.run("ticket", "list"))
    assert warm.served() == 1


def test_a_request_dropped_unread_or_a_server_that_does_not_answer_means_in_process_once(
    warm: Warm,
) -> None:
    """A server that closes (or dies) with the request unread: the client's read of the pid
    fails (ECONNRESET) with no pid come, so the command never ran there and runs here (and
    starts a server as it ends).

    A stopped (or hung) server, that one: after the pid's wait (cut short here) the client
    kills it and runs the command in-process (once: the server never ran it), and the next
    command uses the server that one started. (One started server for both: they were two
    tests.)"""
    expected = warm.run("ticket", "list", server="off")
    warm.sockets.mkdir(mode=0o700)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path = warm_socket.socket_path(str(warm.sockets), warm.key())
    listener.bind(path)
    listener.listen(1)
    process = subprocess.Popen(
        [*PROGRAM, "ticket", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=warm.env(),
        cwd=warm.cwd,
    )
    try:
        ready, _, _ = select.select([listener], [], [], HANG_SECONDS)
        assert ready, "the client did not connect"
        conn, _ = listener.accept()
        ready, _, _ = select.select([conn], [], [], HANG_SECONDS)
        assert ready, "no request came"
        conn.close()  # unread
        listener.close()
        stdout, stderr = process.communicate(timeout=HANG_SECONDS)
    finally:
        listener.close()
        if process.poll() is None:
            process.kill()
    assert (process.returncode, stdout, stderr) == (0, expected.stdout, expected.stderr)
    _wait_for_a_server()  # the one it started as it ended (over the closed listener's file)

    (info,) = servers()
    code = (
        "import sys\n"
        "from helpdesk_tui.cli import warm_client\n"
        "warm_client.PID_WAIT = 0.2\n"
        "warm_client.run('helpdesk')\n"
    )
    os.kill(info["pid"], signal.SIGSTOP)
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, "ticket", "note", "1", "--body", "only once"],
            capture_output=True,
            text=True,
            env=warm.env(),
            timeout=HANG_SECONDS,
        )
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(info["pid"], signal.SIGCONT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("#1 ")
    assert done.stderr == "helpdesk: the command server did not answer; the command runs here\n"
    _wait_gone(info["pid"])
    _wait_for_a_server()
    shown = json.loads(warm.run("ticket", "show", "1", "--json").stdout)
    assert [m["body"] for m in shown[0]["messages"]].count("only once") == 1
    assert warm.served() == 1


def test_two_servers_started_at_once_one_serves_and_sigterm_stops_it_once_its_commands_ended(
    warm: Warm,
) -> None:
    """Two commands that each start a server: the second takes no lock and exits quietly.
    SIGTERM (as ``helpdesk server stop``) to the one that serves: no new command, the
    running one ends as it would have. (One server for both: they were two tests.)"""
    key = warm.key()
    starts = [
        subprocess.Popen(
            [sys.executable, "-P", "-c", SERVE],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env={**warm.env(), warm_socket.STARTED_FOR: key},
        )
        for _ in range(2)
    ]
    outputs = []
    for start in starts:
        assert start.stdout is not None and start.stderr is not None
        ready, _, _ = select.select([start.stdout], [], [], HANG_SECONDS)
        assert ready
        outputs.append(start.stdout.readline())
        start.stdout.close()
    assert sorted(outputs) == [b"", b"listening\n"]
    loser = starts[outputs.index(b"")]
    assert loser.wait(HANG_SECONDS) == 0
    assert loser.stderr is not None and loser.stderr.read() == b""
    for start in starts:
        if start.stderr is not None:
            start.stderr.close()
    assert len(servers()) == 1
    assert warm.run("ticket", "list").returncode == 0
    assert warm.served() == 1

    with _writing_to_a_full_pipe(warm, "on") as (process, reader):
        (info,) = servers()
        os.kill(info["pid"], signal.SIGTERM)
        _until(lambda: not list(warm.sockets.glob("*.sock")), "the server still listens")
        assert _state(info["pid"]) not in ("", "Z")  # it waits for its command
        _drain(reader)
        assert process.wait(ACT_SECONDS) == 0
    _wait_gone(info["pid"])


def test_an_idle_server_exits_by_itself(warm: Warm) -> None:
    warm.start(HELPDESK_CLI_SERVER_IDLE="0.2")
    (info,) = servers()
    _wait_gone(info["pid"])  # (a deadline that only fails)
    assert not list(warm.sockets.iterdir())


def test_config_show_says_whether_the_server_is_used(invoke: Invoke) -> None:
    shown = invoke("config", "show")
    assert shown.exit_code == 0
    assert "# cli server: off (HELPDESK_CLI_SERVER)" in shown.stdout


def test_a_server_started_for_another_key_does_not_serve(warm: Warm) -> None:
    server = subprocess.run(
        [sys.executable, "-P", "-c", SERVE],
        capture_output=True,
        env={**warm.env(), warm_socket.STARTED_FOR: "0123456789abcdef"},
        timeout=HANG_SECONDS,
    )
    assert server.returncode == 0 and server.stdout == b""
    assert not list(warm.sockets.glob("*.sock"))


def test_the_key_follows_the_code_and_the_environment(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    module = tmp_path / "pkg" / "m.py"
    module.write_text("x = 1\n")
    before = warm_socket.code_stamp(str(tmp_path))
    later = module.stat().st_mtime_ns + 10**9
    os.utime(module, ns=(later, later))  # an edit in place
    edited = warm_socket.code_stamp(str(tmp_path))
    assert edited != before
    (tmp_path / "pkg" / "__pycache__").mkdir()  # Python's first import of it: no edit
    (tmp_path / "pkg" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"")
    os.utime(tmp_path / "pkg", ns=(later + 10**9, later + 10**9))
    assert warm_socket.code_stamp(str(tmp_path)) == edited
    (tmp_path / "pkg" / "m.py").rename(tmp_path / "pkg" / "n.py")  # its time unchanged
    assert warm_socket.code_stamp(str(tmp_path)) != edited
    base = {"HOME": "/home/a", "PATH": "/bin"}
    key = warm_socket.server_key(base)
    assert warm_socket.server_key({**base, "PATH": "/usr/bin"}) == key  # not read at import
    assert warm_socket.server_key({**base, "HELPDESK_CLI_SERVER": "on"}) == key
    assert warm_socket.server_key({**base, "HOME": "/home/b"}) != key
    assert warm_socket.server_key({**base, "HELPDESK_DATA_DIR": "/d"}) != key


@pytest.mark.parametrize(
    ("argv", "terminal", "warm"),
    [
        (["ticket", "list"], True, True),
        (["report", "--csv"], True, True),
        (["sla", "policy", "list"], True, True),
        (["drafts", "--json"], True, True),
        (["ticket", "note", "1"], True, False),  # $EDITOR
        (["ticket", "note", "1"], False, True),  # the text from stdin
        (["ticket", "note", "1", "--body", "x"], True, True),
        (["ticket", "note", "1", "--body=x", "--edit"], False, False),
        (["ticket", "status", "1", "closed"], True, False),  # asks first
        (["ticket", "status", "1", "closed", "--yes"], True, True),
        (["ticket", "status", "1", "closed"], False, True),  # refuses as in-process
        (["ticket", "reply", "1", "--body", "x", "--status", "closed"], True, False),
        (["ticket", "delete", "1", "--yes"], False, False),
        (["contact", "show", "ann@example.com"], True, True),
        (["contact", "forget", "ann@example.com"], True, False),  # asks first
        (["ticket", "merge", "1", "2"], False, False),
        (["mail", "poll"], False, False),
        (["init"], False, False),
        ([], True, False),  # the terminal UI
        (["ticket", "list", "--help"], True, False),
        (["ticket", "show", "-"], True, False),  # numbers typed at the terminal
        (["ticket", "priority", "-", "high"], True, False),
        (["ticket", "show", "-"], False, True),  # numbers piped
    ],
)
def test_which_commands_go_warm(argv: list[str], terminal: bool, warm: bool) -> None:
    assert warm_client.goes_warm(argv, terminal) is warm


def test_another_user_cannot_reach_the_server(shared: Warm) -> None:
    missing = can_make_accounts()
    if missing:
        need(missing)
    (sock,) = shared.sockets.glob("*.sock")
    shared.runtime.chmod(0o755)  # even with the runtime directory open, its own stays closed
    root = Path(tempfile.mkdtemp(prefix="hdw-users-"))
    root.chmod(0o755)
    try:
        with accounts(root) as made:
            python = PortablePython(root / "python")
            python.root.mkdir()
            other = made.user("other")
            try:
                python.prepare(other)
            except RuntimeError as error:
                need(str(error))
            code = (
                "import socket, sys\n"
                "s = socket.socket(socket.AF_UNIX)\n"
                "try:\n"
                "    s.connect(sys.argv[1])\n"
                "except PermissionError:\n"
                "    print('refused')\n"
            )
            done = python.run(other, "-c", code, str(sock))
            assert done.stdout.strip() == "refused", done.stderr
    finally:
        shared.runtime.chmod(0o700)
        shutil.rmtree(root, ignore_errors=True)
    assert shared.served() == 0


def test_the_client_imports_nothing_heavy() -> None:
    """It decides and connects before click (or typing, enum) is imported."""
    code = (
        "import sys\n"
        "from helpdesk_tui.cli import warm_client\n"
        "warm_client.goes_warm(['ticket', 'list'], False)\n"
        "warm_client.warm_socket.server_key()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('click', 'sqlalchemy', 'typing', 'enum', 'socket', 'signal', 'hashlib')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"
