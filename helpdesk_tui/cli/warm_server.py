"""A user's warm command server: the data layer imported once, one forked child per command.

The fork-server model (dmypy, nailgun, Android's zygote). Started detached by a client
(``warm_client.start_server``) with its key in its environment
(:data:`warm_socket.STARTED_FOR`, never on its command line: see there), the server:

1. exits at once if its key (``warm_socket.server_key``) is not the one it was started for,
   if the socket directory is not safe, or if another server holds the key's lock (two
   clients started one at the same moment: one wins);
2. imports click, SQLAlchemy, psycopg, the dialects and the commands a client may send
   (:data:`PRELOAD`) without opening any database connection or starting any thread, then
   ``gc.freeze()`` so the children share those pages; binds the socket (replacing a dead
   server's file) only then, so a client never waits on the imports, and says
   ``listening`` on its stdout;
3. serves: for each connection from its own uid (``SO_PEERCRED``) it reads the command, its
   stdin/stdout/stderr and working directory (``SCM_RIGHTS``), forks a child that adopts
   them (:func:`_become`) and runs ``root.main`` as the ``helpdesk`` process would (the
   child itself sends the client its pid before it runs anything: a client that has the pid
   knows the command runs there, one that has none knows it never ran, whatever becomes of
   the server meanwhile); passes on the signals the client sends (below), kills the child
   if the client goes away, and sends the child's exit status when it ends (a pidfd says
   when);
4. exits after :func:`warm_socket.idle_seconds` without a command, when its key goes stale
   (the code under the package was changed) or its socket was removed, and on
   ``helpdesk server stop`` (``stop``) or SIGTERM, once the running commands have ended.

Signals. After its request the client sends one byte per signal it gets (its number). The
child is not in the terminal's foreground process group, nor in any the shell knows: it is
in the server's, which is *orphaned* (the server's parent is not in its session), where the
kernel discards SIGTSTP, SIGTTIN and SIGTTOU. So:

- SIGINT, SIGTERM, SIGHUP, SIGQUIT (``warm_socket.FORWARDED``) are sent to the child as they are;
- SIGTSTP, SIGTTIN, SIGTTOU (``warm_socket.STOPS``: Ctrl-Z; a background job's terminal read or
  write) stop the child with SIGSTOP (the client then stops itself by the signal it got,
  and the shell says "Stopped"); SIGCONT (the shell's ``fg``/``bg``, which continues the
  client) continues it;
- the other way round, a stop of the child the client did not ask for (someone's ``kill
  -STOP`` of its pid) is told to the client (``STOPPED``), which stops too, so that the
  shell shows the job stopped rather than a command waiting for no visible reason; a
  continue the client did not ask for (``kill -CONT`` of the child) continues the client
  (``SIGCONT`` to its pid, from ``SO_PEERCRED``), as does the end of a child whose client
  was left stopped. SIGCHLD (through the wakeup socket) says when a child stops or
  continues.
- SIGWINCH is not passed on: the child writes to the client's terminal itself and nothing
  in a warm command keeps the terminal's size (click reads it when it formats a usage
  error; the verbs' output does not depend on it).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import gc
import importlib
import io
import json
import os
import selectors
import signal
import socket
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from helpdesk_tui.cli import warm_socket

PRELOAD = (
    "click",
    "sqlalchemy",
    "psycopg",
    "sqlalchemy.dialects.postgresql.psycopg",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "helpdesk_tui.config",
    "helpdesk_tui.storage.database",
    "helpdesk_tui.desk.facade",
    "helpdesk_tui.cli.root",
    "helpdesk_tui.cli.runtime",
    "helpdesk_tui.cli.ticket",
    "helpdesk_tui.cli.ticket.create",
    "helpdesk_tui.cli.ticket.read",
    "helpdesk_tui.cli.ticket.show",
    "helpdesk_tui.cli.ticket.thread",
    "helpdesk_tui.cli.ticket.fields",
    "helpdesk_tui.cli.ticket.relations",
    "helpdesk_tui.cli.ticket.rate",
    "helpdesk_tui.cli.report",
    "helpdesk_tui.cli.agents",
    "helpdesk_tui.cli.kb",
    "helpdesk_tui.cli.canned",
    "helpdesk_tui.cli.sla",
    "helpdesk_tui.cli.survey",
    "helpdesk_tui.cli.rules",
    "helpdesk_tui.cli.drafts",
    "helpdesk_tui.cli.server",
)
"""What the commands ``warm_client.goes_warm`` lets through import (none of these opens a
connection or starts a thread when imported)."""

FORKS_KEPT = 50
CHECK_EVERY = 30.0
"""Seconds between checks that the key is still current and the socket still ours."""
READ_TIMEOUT = 5.0
"""A client sends its whole request at once; one that stalls is dropped."""


@dataclass
class _Command:
    conn: socket.socket
    pid: int
    pidfd: int
    client_pid: int
    held: bool = False
    """The client asked for the child to be stopped and has not asked for it to go on."""
    told: bool = False
    """The client was told the child stopped (by someone else), and it was not continued."""


@dataclass
class _Server:
    key: str
    path: str
    listener: socket.socket
    lock_fd: int
    wakeup: socket.socket
    """Where SIGCHLD and SIGTERM say they came (``signal.set_wakeup_fd``)."""
    bound: tuple[int, int]
    """The socket file's device and inode, as bound."""
    selector: selectors.DefaultSelector = field(default_factory=selectors.DefaultSelector)
    commands: dict[int, _Command] = field(default_factory=dict)
    """Running children by pid."""
    served: int = 0
    children_cpu: float = 0.0
    """User + system seconds of the children that ended (``os.wait4``)."""
    stopping: bool = False
    forks: list[float] = field(default_factory=list)
    """How long the last forks took, in the server (seconds), for ``status``."""


def serve() -> None:
    """The server's main: ``_HELPDESK_CLI_SERVER_KEY=KEY python -c '…serve()'`` (see the
    module's doc)."""
    os.chdir("/")
    key = os.environ.pop(warm_socket.STARTED_FOR, "")
    if not key or not (warm_socket.enabled() and warm_socket.supported()):
        return
    directory = warm_socket.server_dir()
    if directory is None or warm_socket.server_key() != key:
        return
    lock_fd = os.open(
        warm_socket.lock_path(directory, key), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
    )
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(lock_fd)
        return  # another server has this key
    wakeup = _wakeup()  # (before the imports: a SIGTERM during them is kept for the loop)
    _preload()
    path = warm_socket.socket_path(directory, key)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # a dead server's: the live one would hold the lock
    listener.bind(path)
    # The file as bound, read before anyone is told: its directory may be moved the moment
    # the starter hears "listening" (a stat then failed, and the server died leaving its
    # lock and socket files behind).
    bound = os.stat(path)
    listener.listen(64)
    os.write(1, b"listening\n")  # (to /dev/null, unless its starter waits on a pipe for it)
    server = _Server(key, path, listener, lock_fd, wakeup, (bound.st_dev, bound.st_ino))
    try:
        _loop(server)
    finally:
        _unlink_if_ours(server)
        # Still holding the lock: a server starting now makes a new lock file.
        with contextlib.suppress(OSError):
            os.unlink(warm_socket.lock_path(directory, key))


def _wakeup() -> socket.socket:
    """SIGCHLD and SIGTERM wake the loop: their numbers come on the socket returned."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.detach(), warn_on_full_buffer=False)
    for number in (signal.SIGCHLD, signal.SIGTERM):
        signal.signal(number, _noted)
    return reader


def _noted(_number: int, _frame: object) -> None:
    """A handler that does nothing: the signal's number is on the wakeup socket."""


def _preload() -> None:
    for name in PRELOAD:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()


def _unlink_if_ours(server: _Server) -> None:
    if _socket_is_ours(server):
        with contextlib.suppress(OSError):
            os.unlink(server.path)


def _socket_is_ours(server: _Server) -> bool:
    """Whether the socket's file is still the one this server bound (not removed, not a
    newer server's)."""
    try:
        info = os.stat(server.path)
    except OSError:
        return False
    return (info.st_dev, info.st_ino) == server.bound


def _loop(server: _Server) -> None:
    selector = server.selector
    selector.register(server.listener, selectors.EVENT_READ, None)
    selector.register(server.wakeup, selectors.EVENT_READ, None)
    idle = warm_socket.idle_seconds()
    last_used = checked = time.monotonic()
    while True:
        now = time.monotonic()
        if not server.commands and (server.stopping or now - last_used >= idle):
            return
        if now - checked >= CHECK_EVERY:
            checked = now
            if not _socket_is_ours(server) or warm_socket.server_key() != server.key:
                _stop_accepting(server)
        if server.commands:  # (woken by their ends; no idle deadline while they run)
            timeout = CHECK_EVERY
        else:
            timeout = min(CHECK_EVERY, max(0.0, idle - (now - last_used)))
        for key, _events in selector.select(timeout):
            if key.fileobj is server.listener:
                _accept(server)
                last_used = time.monotonic()
            elif key.fileobj is server.wakeup:
                _signals(server)
            elif isinstance(key.data, _Command) and key.fileobj is key.data.conn:
                _from_client(server, key.data)
            elif isinstance(key.data, _Command):
                _ended(server, key.data)
                last_used = time.monotonic()


def _signals(server: _Server) -> None:
    """SIGTERM: stop as ``stop`` does; SIGCHLD: a child stopped or continued (or ended: its
    pidfd says that)."""
    try:
        numbers = server.wakeup.recv(256)
    except OSError:
        return
    if signal.SIGTERM in numbers:
        _stop_accepting(server)
    if signal.SIGCHLD in numbers:
        for command in list(server.commands.values()):
            _stopped_or_continued(command)


def _stopped_or_continued(command: _Command) -> None:
    """Mirror on the client a stop or a continue of the child that it did not ask for."""
    try:
        info = os.waitid(os.P_PID, command.pid, os.WSTOPPED | os.WCONTINUED | os.WNOHANG)
    except ChildProcessError:
        return
    if info is None:
        return
    if info.si_code == os.CLD_STOPPED and not (command.held or command.told):
        command.told = True
        with contextlib.suppress(OSError):
            command.conn.sendall(warm_socket.MESSAGE.pack(warm_socket.STOPPED, info.si_status))
    elif info.si_code == os.CLD_CONTINUED and (command.held or command.told):
        # (the client, continued, says so with a SIGCONT of its own: :func:`_forward` takes
        # that one for a no-op, as neither is set)
        command.held = command.told = False
        _kill(command.client_pid, signal.SIGCONT)


def _stop_accepting(server: _Server) -> None:
    """No new command; the running ones end first."""
    if not server.stopping:
        server.stopping = True
        server.selector.unregister(server.listener)
        _unlink_if_ours(server)


def _accept(server: _Server) -> None:
    try:
        conn, _ = server.listener.accept()
    except OSError:
        return
    try:
        conn.settimeout(READ_TIMEOUT)
        client_pid, uid = warm_socket.peer(conn)
        if uid != os.getuid():
            conn.close()  # another user's process (root can reach the directory)
            return
        fields, fds, early = _read_request(conn)
    except (OSError, ValueError):
        conn.close()
        return
    try:
        what = fields[0] if fields else b""
        if what == b"run" and len(fds) == 4 and not server.stopping:
            _start(server, conn, client_pid, fields, fds, early)
            return
        if what == b"status":
            _answer(conn, server)
        elif what == b"stop":
            _answer(conn, server)
            _stop_accepting(server)
        conn.close()  # a refusal: the client runs the command itself
    finally:
        for fd in fds:
            os.close(fd)


def _read_request(conn: socket.socket) -> tuple[list[bytes], list[int], bytes]:
    """The request's fields, its descriptors, and what came after it (signals to forward)."""
    data, fds, _flags, _address = socket.recv_fds(conn, 65536, 4)
    try:
        header = warm_socket.receive(conn, data, warm_socket.REQUEST_HEADER.size)
        if header is None:
            raise ValueError("a short request")
        (length,) = warm_socket.REQUEST_HEADER.unpack_from(header)
        if length > warm_socket.MAX_REQUEST:
            raise ValueError("a request too long")
        whole = warm_socket.receive(conn, header[warm_socket.REQUEST_HEADER.size :], length)
        if whole is None:
            raise ValueError("a short request")
        data = whole
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return data[:length].split(b"\0"), fds, data[length:]


def _answer(conn: socket.socket, server: _Server) -> None:
    info = {
        "pid": os.getpid(),
        "key": server.key,
        "socket": server.path,
        "served": server.served,
        "running": len(server.commands),
        "children_cpu": server.children_cpu,
        "rss_kb": _rss_kb(),
        "fork_seconds": statistics.median(server.forks) if server.forks else 0.0,
    }
    conn.sendall(
        warm_socket.MESSAGE.pack(warm_socket.INFO, os.getpid()) + json.dumps(info).encode() + b"\n"
    )


def _rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _start(
    server: _Server,
    conn: socket.socket,
    client_pid: int,
    fields: list[bytes],
    fds: list[int],
    early: bytes,
) -> None:
    # Signals wait (pending) until the child has its own handlers, then act there.
    signal.pthread_sigmask(signal.SIG_BLOCK, warm_socket.FORWARDED)
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        _child(server, conn, fields, fds)  # never returns
    server.forks.append(time.perf_counter() - started)
    del server.forks[:-FORKS_KEPT]
    signal.pthread_sigmask(signal.SIG_UNBLOCK, warm_socket.FORWARDED)
    server.served += 1
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        conn.close()
        return
    command = _Command(conn, pid, pidfd, client_pid)
    server.commands[pid] = command
    conn.settimeout(None)
    server.selector.register(conn, selectors.EVENT_READ, command)
    server.selector.register(pidfd, selectors.EVENT_READ, command)
    _forward(command, early)


def _from_client(server: _Server, command: _Command) -> None:
    """Signals to forward (one byte each), or the end of the client: the child goes too."""
    try:
        data = command.conn.recv(64)
    except OSError:
        data = b""
    if not data:
        server.selector.unregister(command.conn)
        _kill(command.pid, signal.SIGKILL)
        return
    _forward(command, data)


def _forward(command: _Command, signals: bytes) -> None:
    for number in signals:
        if number in warm_socket.FORWARDED:
            _kill(command.pid, number)
        elif number in warm_socket.STOPS:
            command.held = True
            _kill(command.pid, signal.SIGSTOP)
        elif number == signal.SIGCONT and (command.held or command.told):
            # (not otherwise: a client continued because its child was, by someone else,
            # says so too, and that must not undo a stop of the child that came since)
            command.held = command.told = False
            _kill(command.pid, signal.SIGCONT)


def _kill(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)


def _ended(server: _Server, command: _Command) -> None:
    _pid, status, usage = os.wait4(command.pid, 0)
    server.children_cpu += usage.ru_utime + usage.ru_stime
    server.selector.unregister(command.pidfd)
    os.close(command.pidfd)
    with contextlib.suppress(KeyError):  # (unless the client went away before)
        server.selector.unregister(command.conn)
    try:
        code = os.waitstatus_to_exitcode(status)
        command.conn.sendall(warm_socket.MESSAGE.pack(warm_socket.STATUS, code))
    except OSError:
        pass
    command.conn.close()
    del server.commands[command.pid]
    if command.held or command.told:
        _kill(command.client_pid, signal.SIGCONT)  # left stopped: it has its status to end by


def _child(server: _Server, conn: socket.socket, fields: list[bytes], fds: list[int]) -> None:
    """Become the client's command and run it; ends the process with its exit status."""
    try:
        try:
            conn.setblocking(True)
            conn.sendall(warm_socket.MESSAGE.pack(warm_socket.PID, os.getpid()))
        except OSError:
            os._exit(1)  # the client is gone: the command never starts
        conn.close()
        os.close(signal.set_wakeup_fd(-1))  # (the server's; SIGTERM is blocked till _become)
        server.wakeup.close()
        server.listener.close()
        server.selector.close()
        os.close(server.lock_fd)  # (a child holding the lock would outlive the server's)
        for command in server.commands.values():
            command.conn.close()
            os.close(command.pidfd)
    except BaseException:
        traceback.print_exc()
        os._exit(1)
    _command(fields, fds)


def _command(fields: list[bytes], fds: list[int]) -> None:
    """Become the client's command (the forwarded signals blocked till then) and run it; ends
    the process with its exit status.

    A Ctrl-C outside the command's own handling (click's "Aborted!") ends the process by
    SIGINT, as Python ends on a KeyboardInterrupt nobody caught, and the client by it in
    turn: one forwarded before the child's handler was installed (the client's Ctrl-C
    racing the fork) lands as :func:`_become` unblocks it; one may land after the command,
    on its way out. (It ended the child with status 1 and a traceback written to the
    server's /dev/null: the shell saw a failed command, not an interrupted one.)"""
    code = 1
    try:
        prog_name = _become(fields, fds)
        code = _run(prog_name)
    except KeyboardInterrupt:
        _end_by_sigint()
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code & 0xFF)


def _end_by_sigint() -> None:
    with contextlib.suppress(OSError, ValueError):
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, (signal.SIGINT,))
        os.kill(os.getpid(), signal.SIGINT)


def _become(fields: list[bytes], fds: list[int]) -> str | None:
    """Take the client's streams, working directory, umask, arguments and environment."""
    for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, warm_socket.FORWARDED)
    stdin, stdout, stderr, cwd = fds
    for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
        os.dup2(fd, target)
    os.fchdir(cwd)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    _what, prog_name, umask, count, *rest = fields
    os.umask(int(umask))
    argc = int(count)
    sys.argv = [os.fsdecode(word) for word in rest[:argc]]
    environ = dict(item.partition(b"=")[::2] for item in rest[argc:] if b"=" in item)
    os.environb.clear()
    os.environb.update(environ)
    _standard_streams()
    return os.fsdecode(prog_name) or None


def _standard_streams() -> None:
    """New ``sys.stdin/stdout/stderr`` on the adopted descriptors, made as Python makes them
    at start (the server's were made for /dev/null: stdout line-buffered only on a terminal)."""
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        old = getattr(sys, name)
        raw = io.FileIO(fd, "rb" if fd == 0 else "wb", closefd=False)
        raw.name = f"<{name}>"  # type: ignore[misc]
        buffered: io.BufferedReader | io.BufferedWriter = (
            io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
        )
        stream = io.TextIOWrapper(
            buffered,
            encoding=old.encoding,
            errors=old.errors,
            newline="\n",
            line_buffering=fd == 2 or (fd == 1 and raw.isatty()),
        )
        stream.mode = "r" if fd == 0 else "w"  # type: ignore[misc]
        # (the originals too: what Python made at start is what these replace)
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _run(prog_name: str | None) -> int:
    """``helpdesk``'s own run of the command (``cli.run``'s fallback) and its exit status."""
    from helpdesk_tui.cli.root import main

    try:
        if prog_name is None:
            main()
        else:
            main(prog_name=prog_name)
        code: Any = None
    except SystemExit as done:
        code = done.code
    status = _exit_status(code)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return 120  # as Python ends when its last flush fails
    return status


def _exit_status(code: Any) -> int:
    """The status Python gives ``sys.exit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
