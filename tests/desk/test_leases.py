"""Leases: exactly one holder at a time, on both engines, even when many race for it."""

from __future__ import annotations

import threading
from datetime import timedelta

from helpdesk_tui.desk import leases
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
