"""Holding a database lease from a worker thread: take it, renew it in time, notice losing it."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from helpdesk_tui.desk import leases
from helpdesk_tui.storage.database import Database

log = logging.getLogger(__name__)


class LeaseKeeper:
    """One named lease for one holder. :meth:`ok` is cheap enough to call in every loop."""

    def __init__(self, db: Database, name: str, holder: str, seconds: float) -> None:
        self.db = db
        self.name = name
        self.holder = holder
        self.ttl = timedelta(seconds=seconds)
        self._renew_every = seconds / 3
        self._renewed_at: float | None = None

    @property
    def held(self) -> bool:
        return self._renewed_at is not None

    def acquire(self) -> bool:
        with self.db.write() as session:
            taken = leases.acquire(session, self.name, self.holder, ttl=self.ttl)
        self._renewed_at = time.monotonic() if taken else None
        if taken is not None and taken.reason is not leases.Reason.OURS:
            was = f" from {taken.previous}" if taken.previous else ""
            log.info("took lease %s as %s (%s%s)", self.name, self.holder, taken.reason, was)
        return taken is not None

    def ok(self) -> bool:
        """True while the lease is ours; renews it when a third of its time has passed."""
        if self._renewed_at is None:
            return False
        if time.monotonic() - self._renewed_at < self._renew_every:
            return True
        with self.db.write() as session:
            kept = leases.renew(session, self.name, self.holder, ttl=self.ttl)
        if kept:
            self._renewed_at = time.monotonic()
        else:
            log.warning("lost lease %s", self.name)
            self._renewed_at = None
        return kept

    def release(self) -> None:
        if self._renewed_at is None:
            return
        self._renewed_at = None
        with self.db.write() as session:
            leases.release(session, self.name, self.holder)
