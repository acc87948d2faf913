"""Leases: exactly one holder at a time, on both engines, even when many race for it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from datetime import timedelta

from helpdesk_tui.desk import leases
from helpdesk_tui.desk.leases import Process, Reason
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import utcnow

TTL = timedelta(seconds=30)


def test_one_holder_until_release(db: Database) -> None:
    with db.write() as s:
        assert leases.acquire(s, "mail.outbox", "a", ttl=TTL)
    with db.write() as s:
        assert not leases.acquire(s, "mail.outbox", "b", ttl=TTL)
    with db.write() as s:
        assert leases.acquire(s, "mail.outbox", "a", ttl=TTL), "the holder may take it again"
        assert leases.renew(s, "mail.outbox", "a", ttl=TTL)
        assert not leases.renew(s, "mail.outbox", "b", ttl=TTL)
    with db.read() as s:
        holder = leases.current_holder(s, "mail.outbox")
    assert holder is not None and holder.holder == "a"

    with db.write() as s:
        leases.release(s, "mail.outbox", "b")  # not b's to release
        assert not leases.acquire(s, "mail.outbox", "b", ttl=TTL)
    with db.write() as s:
        leases.release(s, "mail.outbox", "a")
    with db.write() as s:
        assert leases.acquire(s, "mail.outbox", "b", ttl=TTL)


def test_an_expired_lease_passes_on_and_the_old_holder_cannot_renew(db: Database) -> None:
    now = utcnow()
    with db.write() as s:
        assert leases.acquire(s, "job", "dead", ttl=TTL, now=now)
    later = now + TTL + timedelta(seconds=1)
    with db.read() as s:
        assert leases.current_holder(s, "job", now=later) is None
    with db.write() as s:
        assert leases.acquire(s, "job", "alive", ttl=TTL, now=later)
    with db.write() as s:
        assert not leases.renew(s, "job", "dead", ttl=TTL, now=later)


def test_names_are_independent(db: Database) -> None:
    with db.write() as s:
        assert leases.acquire(s, "mail.poll.a", "x", ttl=TTL)
        assert leases.acquire(s, "mail.poll.b", "y", ttl=TTL)


def test_racing_acquirers_get_exactly_one_winner(db: Database) -> None:
    for round_number in range(3):
        name = f"race-{round_number}"
        winners: list[str] = []
        start = threading.Barrier(8)

        def contend(
            holder: str,
            name: str = name,
            start: threading.Barrier = start,
            winners: list[str] = winners,
        ) -> None:
            start.wait()
            with db.write() as s:
                if leases.acquire(s, name, holder, ttl=TTL):
                    winners.append(holder)

        threads = [threading.Thread(target=contend, args=(f"h{i}",)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(winners) == 1, winners


def _dead_pid() -> int:
    """The pid of a process of ours that has exited and been reaped."""
    command = [sys.executable, "-c", "import os; print(os.getpid())"]
    child = subprocess.run(command, capture_output=True, text=True, check=True)
    return int(child.stdout)


HERE = socket.gethostname()


def test_a_dead_holder_on_this_host_is_replaced_at_once(db: Database) -> None:
    now = utcnow()
    with db.write() as s:
        assert leases.acquire(
            s, "job", "killed", ttl=TTL, now=now, process=Process(HERE, _dead_pid())
        )
    with db.write() as s:
        taken = leases.acquire(s, "job", "restarted", ttl=TTL, now=now)
    assert taken == leases.Taken(Reason.DEAD_HOLDER, "killed"), "no wait for the expiry"
    with db.read() as s:
        lease = leases.current_holder(s, "job", now=now)
    assert lease is not None
    assert (lease.holder, lease.host, lease.pid) == ("restarted", HERE, os.getpid())
    assert lease.acquired_at == now


def test_a_live_holder_or_one_on_another_host_keeps_the_lease_until_it_expires(
    db: Database,
) -> None:
    now = utcnow()
    with subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    ) as alive:
        with db.write() as s:
            assert leases.acquire(
                s, "a", "alive", ttl=TTL, now=now, process=Process(HERE, alive.pid)
            )
            gone_elsewhere = Process("elsewhere.example", _dead_pid())
            assert leases.acquire(s, "b", "remote", ttl=TTL, now=now, process=gone_elsewhere)
        with db.write() as s:
            assert leases.acquire(s, "a", "other", ttl=TTL, now=now) is None
            assert leases.acquire(s, "b", "other", ttl=TTL, now=now) is None
        assert alive.stdin is not None
        alive.stdin.close()
    later = now + TTL
    with db.write() as s:
        assert leases.acquire(s, "b", "other", ttl=TTL, now=later) == leases.Taken(
            Reason.EXPIRED, "remote"
        )
        assert leases.acquire(s, "b", "other", ttl=TTL, now=later) == leases.Taken(Reason.OURS)
