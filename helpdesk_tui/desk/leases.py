"""Named leases: at most one live holder per job (the mail poller, the outbox sender).

A lease is a row with an expiry. Taking it is one conditional UPDATE ("mine already, or
expired") or, for a name never used, an INSERT that loses cleanly to a concurrent one; both
engines serialize the two writers on the row (PostgreSQL) or the database (SQLite), so two
processes can never both believe they hold it. A holder that dies simply stops renewing,
and the lease passes on when it expires.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from helpdesk_tui.storage.models import Lease, utcnow

# Core statements on the table: their rowcount is what the database reports.
_LEASE = Lease.__table__  # type: ignore[attr-defined]


def acquire(
    session: Session,
    name: str,
    holder: str,
    *,
    ttl: timedelta,
    now: datetime | None = None,
) -> bool:
    """Take or renew ``name`` for ``holder`` until ``now + ttl``; False while another holds it."""
    now = now or utcnow()
    expires = now + ttl
    taken = session.execute(
        update(_LEASE)
        .where(
            _LEASE.c.name == name,
            or_(_LEASE.c.holder == holder, _LEASE.c.expires_at <= now),
        )
        .values(
            holder=holder,
            expires_at=expires,
            acquired_at=case((_LEASE.c.holder == holder, _LEASE.c.acquired_at), else_=now),
        )
    )
    if taken.rowcount == 1:  # type: ignore[attr-defined]
        return True
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    created = session.execute(
        insert(_LEASE)
        .values(name=name, holder=holder, acquired_at=now, expires_at=expires)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(_LEASE.c.name)
    ).first()
    return created is not None


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
    return result.rowcount == 1  # type: ignore[attr-defined]


def release(session: Session, name: str, holder: str) -> None:
    """Give the lease up at once (a clean shutdown), if this holder has it."""
    session.execute(delete(_LEASE).where(_LEASE.c.name == name, _LEASE.c.holder == holder))


def current_holder(session: Session, name: str, *, now: datetime | None = None) -> Lease | None:
    """The live lease on ``name``, or None when it is free or expired."""
    now = now or utcnow()
    return session.exec(
        select(Lease).where(col(Lease.name) == name, col(Lease.expires_at) > now)
    ).first()
