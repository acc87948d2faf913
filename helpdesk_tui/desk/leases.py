"""Named leases: at most one live holder per job (the mail poller, the outbox sender).

A lease is a row with an expiry. Taking it is one conditional UPDATE ("mine already, or
expired") or, for a name never used, an INSERT that loses cleanly to a concurrent one; both
engines serialize the two writers on the row (PostgreSQL) or the database (SQLite), so two
processes can never both believe they hold it. A holder that dies simply stops renewing,
and the lease passes on when it expires.

A row also names the holder's host and process id. A process on the same host that finds
the holder's pid gone (``os.kill(pid, 0)`` raises ``ProcessLookupError``) takes the lease at
once instead of waiting out the expiry: a SIGKILLed ``helpdesk mail run`` restarted by
systemd picks the work up in its first try. Holders on other hosts (whose pids mean nothing
here) still pass the lease on by expiry only. Two machines must therefore not share a host
name; a pid reused by another process only makes the takeover wait for the expiry.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, case, update
from sqlalchemy import select as sa_select
from sqlmodel import Session

from helpdesk_tui.desk.mail_reads import current_holder as current_holder
from helpdesk_tui.storage.database import upsert_insert
from helpdesk_tui.storage.models import Lease, utcnow

# Core statements on the table: their rowcount is what the database reports.
_LEASE = Lease.__table__  # type: ignore[attr-defined]


class Reason(StrEnum):
    """How a lease was taken."""

    FREE = "free"
    """Nobody held it (a name never used)."""
    OURS = "ours"
    """This holder had it already (a renewal through acquire)."""
    EXPIRED = "expired"
    """The holder stopped renewing and its time ran out, or it released the lease."""
    DEAD_HOLDER = "dead holder"
    """The holder's process on this host is gone: taken before the expiry."""


@dataclass(frozen=True)
class Taken:
    """A lease now held (truthy); ``previous`` names who had it, if anyone."""

    reason: Reason
    previous: str | None = None


@dataclass(frozen=True)
class Process:
    """Who holds a lease: a host and a process on it."""

    host: str
    pid: int

    @classmethod
    def this(cls) -> Process:
        return cls(socket.gethostname(), os.getpid())

    def is_gone(self) -> bool:
        """True only when this is our host and no process has the pid (never a guess)."""
        if self.host != socket.gethostname() or self.pid <= 0 or self.pid == os.getpid():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, someone else's
            return False
        return False


def acquire(
    session: Session,
    name: str,
    holder: str,
    *,
    ttl: timedelta,
    now: datetime | None = None,
    process: Process | None = None,
) -> Taken | None:
    """Take or renew ``name`` for ``holder`` until ``now + ttl``; None while another holds it.

    ``process`` (this one by default) is written on the row so that others on this host can
    tell when it dies.
    """
    now = now or utcnow()
    process = process or Process.this()
    expires = now + ttl
    current = session.execute(
        sa_select(_LEASE.c.holder, _LEASE.c.expires_at, _LEASE.c.host, _LEASE.c.pid).where(
            _LEASE.c.name == name
        )
    ).first()
    if current is None:
        insert = upsert_insert(session.get_bind().dialect.name)
        created = session.execute(
            insert(_LEASE)
            .values(
                name=name,
                holder=holder,
                acquired_at=now,
                expires_at=expires,
                host=process.host,
                pid=process.pid,
            )
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(_LEASE.c.name)
        ).first()
        return Taken(Reason.FREE) if created is not None else None
    previous, expires_at, host, pid = current
    if previous == holder:
        reason = Reason.OURS
    elif expires_at <= now:
        reason = Reason.EXPIRED
    elif host is not None and pid is not None and Process(host, pid).is_gone():
        reason = Reason.DEAD_HOLDER
    else:
        return None
    # Compare and swap on what was seen: a racing taker that got there first wins, and an
    # expired holder that renews meanwhile keeps its lease (a dead one cannot renew).
    still = {
        Reason.OURS: _LEASE.c.holder == holder,
        Reason.EXPIRED: and_(_LEASE.c.holder == previous, _LEASE.c.expires_at <= now),
        Reason.DEAD_HOLDER: and_(_LEASE.c.holder == previous, _LEASE.c.pid == pid),
    }[reason]
    taken = session.execute(
        update(_LEASE)
        .where(_LEASE.c.name == name, still)
        .values(
            holder=holder,
            expires_at=expires,
            acquired_at=case((_LEASE.c.holder == holder, _LEASE.c.acquired_at), else_=now),
            host=process.host,
            pid=process.pid,
        )
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return Taken(reason, None if reason is Reason.OURS else previous)


def renew(
    session: Session,
    name: str,
    holder: str,
    *,
    ttl: timedelta,
    now: datetime | None = None,
) -> bool:
    """Extend a lease this holder still has; False when it has passed to someone else."""
    now = now or utcnow()
    result = session.execute(
        update(_LEASE)
        .where(and_(_LEASE.c.name == name, _LEASE.c.holder == holder))
        .values(expires_at=now + ttl)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def release(session: Session, name: str, holder: str, *, now: datetime | None = None) -> None:
    """Give the lease up at once (a clean shutdown), if this holder has it: it expires now,
    so the next taker has it at once, and the row keeps when the job last ran (whether the
    desk sends mail: ``mail_reads.sends_mail``)."""
    session.execute(
        update(_LEASE)
        .where(_LEASE.c.name == name, _LEASE.c.holder == holder)
        .values(expires_at=now or utcnow())
    )
