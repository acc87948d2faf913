"""The test servers' ports (``tests/ports.py``): never one the kernel hands out by itself, and
never given to two test processes at once, so a server a test stopped finds its port free
to start again, and meanwhile refuses connections there instead of another's greeting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.mail.servers import free_port
from tests.pg_cluster import _free_port as cluster_port
from tests.ports import WORKER_SLICES, closed_port, reserve

ROOT = Path(__file__).resolve().parent.parent


def test_no_test_servers_port_is_one_the_kernel_hands_out() -> None:
    """bind(0) and every client socket's own end take ports from the ephemeral range: a mail
    server's port came from there, free for anyone while a test had the server stopped."""
    low, _high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    given = [free_port() for _ in range(5)] + [cluster_port(), closed_port()]
    assert all(port < low for port in given), given
    assert len(set(given)) == len(given), "never handed out twice"


def test_a_port_one_test_process_has_is_given_to_no_other() -> None:
    """(Two suites' workers have the same names: the slices alone do not keep them apart.)"""
    ports = range(9_900, 9_900 + WORKER_SLICES)  # (one port in each worker's slice)
    reserve(ports)
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from tests.ports import reserve; reserve(range({ports.start}, {ports.stop}))",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert other.returncode == 1 and "OSError: no free port in 99" in other.stderr, other.stderr
