"""Loopback ports for the tests' servers (PostgreSQL clusters, Dovecot, SMTP), and ports where
nothing listens.

A port is never one the kernel hands out by itself: the ranges lie below Linux's ephemeral
range (32768-60999 by default), from which ``bind((host, 0))`` and every client socket's own
end are taken. Each xdist worker picks in a slice of its own, and a port once handed out is
this process's until it ends: a lock on a file named after it (``PORT_LOCKS``) keeps it from
every other test process on the machine, of this suite or another one running beside it
(two worktrees' suites: their workers have the same names). So a server stopped by a test
(an outage, a restart on the same port) finds its port free when it starts again, and the
test meanwhile meets "Connection refused" there, never another server's greeting.

Each was seen: a stopped PostgreSQL cluster's port answered by a mail server (CI, session
29); a mail server's port taken while it was stopped would fail its restart, or answer as
another worker's server.
"""

from __future__ import annotations

import fcntl
import os
import random
import socket
from pathlib import Path

HOST = "127.0.0.1"
MAIL_PORTS = range(10_000, 20_000)
"""Where the test mail servers listen, and where a test finds a port nothing listens on."""
CLUSTER_PORTS = range(20_000, 32_000)
"""Where the tests' PostgreSQL clusters listen (``tests/pg_cluster.py``)."""
WORKER_SLICES = 8
PORT_LOCKS = Path("/tmp/helpdesk-test-ports")
"""One file per port handed out, locked (``flock``) by the process that has it: the lock
goes with the process, however it ends."""

_held: dict[int, int | None] = {}
"""The ports this process has, each with the descriptor that holds its lock (None: no lock
could be taken here, e.g. a read-only /tmp; the slices still keep xdist workers apart)."""


def _slice(ports: range) -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    size = len(ports) // WORKER_SLICES
    first = ports.start + (int(worker) if worker.isdigit() else 0) % WORKER_SLICES * size
    return range(first, first + size)


def _lock(port: int) -> tuple[bool, int | None]:
    """(whether the port may be this process's, the descriptor that holds its lock)."""
    try:
        PORT_LOCKS.mkdir(mode=0o777, exist_ok=True)
        fd = os.open(PORT_LOCKS / str(port), os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        return True, None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False, None
    return True, fd


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def reserve(ports: range = MAIL_PORTS) -> int:
    """A loopback port of this worker's slice of ``ports`` that nothing listens on now and
    that no other test process has: this process's until it ends."""
    where = _slice(ports)
    candidates = [port for port in where if port not in _held]
    random.shuffle(candidates)
    for port in candidates:
        free, fd = _lock(port)
        if not free:
            continue
        if not _bindable(port):
            if fd is not None:
                os.close(fd)
            continue
        _held[port] = fd
        return port
    raise OSError(f"no free port in {where.start}-{where.stop - 1}")


def closed_port() -> int:
    """A loopback port where nothing listens, for as long as this process runs: no test
    server is given it, in this process or any other."""
    return reserve(MAIL_PORTS)
