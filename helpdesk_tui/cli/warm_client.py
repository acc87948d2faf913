"""The ``helpdesk`` program's first step: run the command in a warm server's child if it can.

A verb spends most of its quarter second importing click, SQLAlchemy, the driver and the
desk. A warm per-user server (``warm_server``) has imported them once; for each command it
forks a child that adopts this process's stdin, stdout and stderr (passed over a Unix
socket), arguments, environment, working directory and umask, and runs the same ``main``.
This process waits and exits with the child's status (or by the same signal, if a signal
ended it). The terminal's signals come to this process (the shell's job; the child is in
no process group the shell knows) and are passed on (``_Forwarder``): Ctrl-C, Ctrl-\\,
SIGTERM and SIGHUP reach the child as they are; Ctrl-Z stops the child, then this process
by the same signal, and the shell's ``fg``/``bg`` continues both; a child stopped by
someone else stops this process too (the protocol: ``warm_server``'s docstring).

Only commands that never need the controlling terminal go warm (:func:`goes_warm`): a child
has none, so no editor, no confirmation prompt, no TUI. With no server (or a refusal, any
failure before the child starts, a server that does not answer: it is killed) the command
runs here as it always did, and a server is started, detached, as this process ends, for
the next command. A server that dies while its child runs: the child is ended, and this
process says so (status 1). ``HELPDESK_CLI_SERVER=off`` turns all of it off.

Imported before click and before anything heavy: standard library only, decided in a
millisecond or two.
"""

from __future__ import annotations

# The C modules under ``signal`` and ``socket`` (their Python halves import enum: ≈ 3 ms).
import _signal
import atexit
import os
import sys
from _socket import SCM_RIGHTS, SHUT_RD, SOL_SOCKET, socket

from helpdesk_tui.cli import warm_socket

_READS = {
    "ticket": frozenset(("list", "search", "show", "sla")),
    "agent": frozenset(("list",)),
    "team": frozenset(("list",)),
    "kb": frozenset(("search", "show")),
    "canned": frozenset(("list", "show")),
    "macro": frozenset(("list",)),
    "survey": frozenset(("status",)),
    "rules": frozenset(("list",)),
    "contact": frozenset(("show", "export", "forgotten")),
}
"""Verbs that read and print; none of them asks anything or opens an editor."""
_ALWAYS = frozenset(("report", "drafts"))
"""Whole commands (any arguments) that only read and print."""
_SUBGROUP_READS = {
    ("sla", "policy"): frozenset(("list",)),
    ("sla", "calendar"): frozenset(("list",)),
}
_TEXT_WRITES = frozenset(("new", "reply", "note", "call"))
"""Ticket verbs that take a text: ``--body``, else stdin when it is not a terminal, else
``$EDITOR`` (which needs the terminal: those runs stay here)."""
_FIELD_WRITES = frozenset(
    (
        "assign",
        "status",
        "reopen",
        "requester",
        "priority",
        "type",
        "category",
        "tier",
        "escalate",
        "deescalate",
        "tag",
        "link",
        "rate",
        "followed-up",
    )
)
"""Ticket verbs that change fields; only ``status`` (and ``reply --status``) may ask first."""
_HERE_ALWAYS = frozenset(("-h", "--help", "-V", "--version", "--edit"))
"""Help and the version are answered at once without the data layer; ``--edit`` is an editor."""


def _given(argv: list[str], option: str) -> bool:
    return any(word == option or word.startswith(option + "=") for word in argv)


def goes_warm(argv: list[str], stdin_is_terminal: bool) -> bool:
    """Whether the command ``argv`` (without the program's name) may run in a warm child.

    An allow-list, read from each verb's code: everything else (the TUI, ``init``, ``mail``,
    ``db``, ``demo``, ``merge``, ``delete``, an editor, a prompt) runs in this process.
    """
    if not argv or _HERE_ALWAYS.intersection(argv):
        return False
    group, rest = argv[0], argv[1:]
    if group == "ticket" and stdin_is_terminal and "-" in rest:
        # Ticket numbers typed at the terminal: a read of it (stopped by SIGTTIN in the
        # background, where a child with no controlling terminal would read the shell's input).
        return False
    if group in _ALWAYS:
        return True
    if not rest:
        return False
    verb = rest[0]
    if verb in _READS.get(group, ()):
        return True
    if len(rest) > 1 and rest[1] in _SUBGROUP_READS.get((group, verb), ()):
        return True
    if group != "ticket":
        return False
    # A question (closing asks first) is asked only on a terminal, without --yes.
    asks = stdin_is_terminal and not _given(rest, "--yes")
    if verb in _TEXT_WRITES:
        if asks and verb == "reply" and _given(rest, "--status"):
            return False
        return _given(rest, "--body") or not stdin_is_terminal
    if verb in _FIELD_WRITES:
        return not (asks and verb == "status")
    return False


def _request(prog_name: str | None) -> bytes:
    """The command for the server: NUL-separated fields (none of them can hold a NUL)."""
    umask = os.umask(0o022)
    os.umask(umask)
    fields = [
        b"run",
        os.fsencode(prog_name or ""),
        b"%d" % umask,
        b"%d" % len(sys.argv),
        *map(os.fsencode, sys.argv),
        *(name + b"=" + value for name, value in os.environb.items()),
    ]
    payload = b"\0".join(fields)
    return warm_socket.REQUEST_HEADER.pack(len(payload)) + payload


class _Forwarder:
    """Signal handlers that pass the signal on to the child, through the server.

    Installed before the request is sent, so no Ctrl-C is lost between the child's start
    and its pid's arrival (the server forwards what came with the request once the child
    runs; what comes while the request is being sent is held until it is all sent, never
    sent in its middle). If the command does not start there after all, :meth:`restore`
    puts the handlers back and delivers what came to this process, to act here as it
    always did.
    """

    def __init__(self, sock: socket) -> None:
        self.sock = sock
        self.pid = 0
        """The child's, once the server said it."""
        self.pending: bytearray | None = bytearray()
        """What came while the request is being sent (None once it is)."""
        self.received: list[int] = []
        handlers = [(warm_socket.FORWARDED, self.forward), (warm_socket.STOPS, self.stop)]
        self.previous = {
            number: _signal.signal(number, handler)
            for numbers, handler in handlers
            for number in numbers
        }

    def forward(self, number: int, _frame: object) -> None:
        self.received.append(number)
        self.send(number)

    def send(self, number: int) -> None:
        if self.pending is not None:
            self.pending.append(number)
            return
        # (no contextlib here: imported before everything, this module imports little)
        try:  # noqa: SIM105
            self.sock.send(bytes((number,)))
        except OSError:
            pass  # the server is gone; its child's status will not come either

    def request_sent(self) -> None:
        """Send what came meanwhile; from now on each signal goes when it comes."""
        pending, self.pending = self.pending, None
        for number in pending or b"":
            self.send(number)

    def stop(self, number: int, _frame: object) -> None:
        """Ctrl-Z: the child is stopped (by the server, with SIGSTOP) before this process
        stops by the same signal, so that nothing is written to the terminal after the
        shell said "Stopped"; continued (``fg``, ``bg``), this process continues the child."""
        self.send(number)
        _wait_stopped(self.pid)
        _signal.signal(number, _signal.SIG_DFL)
        # Stops here until a SIGCONT. (In an orphaned process group the kernel discards it:
        # then this goes on at once, as the command run here would not have stopped.)
        os.kill(os.getpid(), number)
        _signal.signal(number, self.stop)
        self.send(_signal.SIGCONT)

    def stopped_elsewhere(self) -> None:
        """The child was stopped by someone else (``STOPPED``): stop as its own process
        would have been, by SIGSTOP; continued, continue it."""
        os.kill(os.getpid(), _signal.SIGSTOP)
        self.send(_signal.SIGCONT)

    def restore(self) -> None:
        for number, handler in self.previous.items():
            _signal.signal(number, handler)
        for number in self.received:
            os.kill(os.getpid(), number)


def _wait_stopped(pid: int) -> None:
    """Until the process ``pid`` is stopped or gone (``/proc/PID/stat``), for at most
    :data:`STOP_WAIT` seconds (a process in an uninterruptible wait stops when it leaves it)."""
    if not pid:
        return  # its pid has not come: the server stops it once it forked it
    import time  # (built in: no file read; only here)

    path = f"/proc/{pid}/stat"
    deadline = time.monotonic() + STOP_WAIT
    while time.monotonic() < deadline:
        try:
            with open(path, "rb") as stat:
                state = stat.read().rpartition(b")")[2][1:2]
        except OSError:
            return
        if state in (b"T", b"t", b"Z", b"X"):
            return
        time.sleep(0.0005)


STOP_WAIT = 0.5
"""How long Ctrl-Z waits for the child to stop before this process stops anyway."""
PID_WAIT = 5.0
"""How long the client waits for the child's pid (≈ 2 ms as a rule) before it gives the
server up and runs the command itself (:func:`_last_look`)."""


def run_warm(key: str, prog_name: str | None) -> int | None:
    """The exit status of the command run by the server for ``key``; None when it did not
    start there (no server, a refusal, any failure, no answer), for the caller to run it here."""
    sock = warm_socket.connect(key, timeout=5.0)
    if sock is None:
        return None
    try:
        cwd = os.open(".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        sock.close()
        return None
    # No timeout while the request goes: a command run by a slow server and again here
    # would be two. The server answers with the pid or closes (a refusal).
    sock.settimeout(None)
    forwarder = _Forwarder(sock)
    try:
        data = _request(prog_name)
        sent = sock.sendmsg([data], [(SOL_SOCKET, SCM_RIGHTS, _fds(0, 1, 2, cwd))])
        if sent < len(data):  # (an empty send to a server done already is EPIPE)
            sock.sendall(data[sent:])
        forwarder.request_sent()
    except OSError:
        # Not all of it went: the server runs nothing for a short request.
        sock.close()
        forwarder.restore()
        return None
    finally:
        os.close(cwd)
    # Sent: the server refuses by closing without a pid (then the command runs here), or
    # forks a child that sends its pid before it runs anything: no pid, however the
    # connection ended, means the command never ran there. After the pid it never runs here.
    # (A server that does not answer at all: see _last_look.)
    sock.settimeout(PID_WAIT)
    try:
        started = warm_socket.read_message(sock)
    except TimeoutError:
        started = _last_look(sock)
    except OSError:
        # (ECONNRESET: the server closed, or died, with the request unread. A socket
        # reports its error only once what came before it is read: no pid had come.)
        started = None
    if started is None:
        sock.close()
        forwarder.restore()
        return None
    sock.settimeout(None)
    ended = None
    child = None
    if started[0] == warm_socket.PID:
        forwarder.pid = started[1]
        child = _pidfd(started[1])  # (None if it ended already)
        while True:
            try:
                ended = warm_socket.read_message(sock)
            except OSError:
                ended = None
            if ended is None or ended[0] != warm_socket.STOPPED:
                break
            forwarder.stopped_elsewhere()
    if ended is None or ended[0] != warm_socket.STATUS:
        # (a child left alone would go on writing to the terminal after the shell's prompt)
        if child is not None:
            try:  # noqa: SIM105
                _signal.pidfd_send_signal(child, _signal.SIGKILL)
            except OSError:
                pass  # it ended
        os.write(2, b"helpdesk: the command server went away before the command ended\n")
        return 1
    status = ended[1]
    if status < 0:
        _end_by_signal(-status)
        return 128 - status
    return status


def _last_look(sock: socket) -> tuple[bytes, int] | None:
    """No pid after :data:`PID_WAIT` seconds (a server stopped or hung): the pid if it came
    meanwhile, else None (the command then runs here). Shut for reading first, the socket
    takes no pid from then on: a child forked later could not send it and would exit
    without running anything, so the command never runs twice. (A pid that came just
    before the shutdown: the command runs there, but its status can no longer come; the
    client then ends it and says the server went away.)

    A server that does not answer is killed (it is ours): the descriptors passed to it
    (stdout: maybe a pipe whose reader waits for its end) sit in its socket's queue as
    long as it lives, and it holds its key's lock, so that no new server would start."""
    try:
        server_pid = warm_socket.peer(sock)[0]
        sock.shutdown(SHUT_RD)
        message = warm_socket.read_message(sock)
    except OSError:
        return None
    if message is None:
        try:  # noqa: SIM105
            os.kill(server_pid, _signal.SIGKILL)
        except OSError:
            pass
        os.write(2, b"helpdesk: the command server did not answer; the command runs here\n")
    return message


def _pidfd(pid: int) -> int | None:
    """A pidfd of the child (the server's, not ours: to end it if the server goes away)."""
    try:
        return os.pidfd_open(pid)
    except OSError:
        return None


_CORE_SIGNALS = frozenset(
    (
        _signal.SIGQUIT,
        _signal.SIGILL,
        _signal.SIGTRAP,
        _signal.SIGABRT,
        _signal.SIGBUS,
        _signal.SIGFPE,
        _signal.SIGSEGV,
        _signal.SIGXCPU,
        _signal.SIGXFSZ,
        _signal.SIGSYS,
    )
)
"""Signals whose default action writes a core file."""


def _end_by_signal(number: int) -> None:
    """End this process by the signal that ended the child, as a command run here would
    have ended (a shell or a parent sees the signal, not a status); returns if it did not.

    A signal that dumps core ends this process without a core of its own: it would tell
    nothing (a process waiting on a socket) and, named ``core`` in the same directory,
    would replace the child's. So a shell says "Quit", not "Quit (core dumped)", when the
    child dumped one."""
    if number in _CORE_SIGNALS:
        import resource  # (≈ 0.2 ms, only here)

        _soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
        resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
    try:
        _signal.signal(number, _signal.SIG_DFL)
        _signal.pthread_sigmask(_signal.SIG_UNBLOCK, (number,))
        os.kill(os.getpid(), number)
    except (OSError, ValueError):
        pass


def _fds(*fds: int) -> bytes:
    return b"".join(fd.to_bytes(4, sys.byteorder, signed=True) for fd in fds)


def start_server(key: str) -> None:
    """Start this user's server for ``key``, detached (its own session, stdio on /dev/null,
    no other descriptor of ours); it exits at once if another one won the race."""
    try:
        keep = {0, 1, 2}
        fds = [int(name) for name in os.listdir("/proc/self/fd") if int(name) not in keep]
        actions: list[tuple[int, ...] | tuple[int, int, str, int, int]] = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDWR, 0),
            (os.POSIX_SPAWN_DUP2, 0, 1),
            (os.POSIX_SPAWN_DUP2, 0, 2),
            *((os.POSIX_SPAWN_CLOSE, fd) for fd in fds),
        ]
        code = "from helpdesk_tui.cli.warm_server import serve; serve()"
        os.posix_spawn(
            sys.executable,
            [sys.executable, "-P", "-c", code],
            {**os.environ, warm_socket.STARTED_FOR: key},
            file_actions=actions,
            setsid=True,
        )
    except OSError:
        pass  # no server this time: the next command runs here again and tries again


def run(prog_name: str | None = None) -> None:
    """Run the command line in ``sys.argv``: warm if it may and a server answers, else here
    (and start a server as this process ends, when the command could have gone warm)."""
    argv = sys.argv[1:]
    if (
        warm_socket.enabled()
        and warm_socket.supported()
        and "_HELPDESK_COMPLETE" not in os.environ
        and goes_warm(argv, os.isatty(0))
    ):
        key = warm_socket.server_key()
        status = run_warm(key, prog_name)
        if status is not None:
            sys.exit(status)
        if warm_socket.server_dir() is not None:
            atexit.register(start_server, key)
    from helpdesk_tui.cli.root import main

    if prog_name is None:
        main()
    else:
        main(prog_name=prog_name)
