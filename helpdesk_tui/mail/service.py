"""The mail service: a poller per mailbox and the outbox sender, each in a thread under a lease.

The same object runs headless (``helpdesk mail run``) and inside the TUI: every terminal
may start one, and the database leases make sure exactly one poller per mailbox and one
outbox sender work at any time. The others wait and take over at their next try (every
few seconds) when the holder's process on this host is gone, or within ``lease_seconds``
of a holder on another host going silent.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from helpdesk_tui.desk import machine, outbox, quarantine, spam
from helpdesk_tui.desk.leases import current_holder
from helpdesk_tui.desk.mailstate import FolderStatus, folder_statuses
from helpdesk_tui.desk.outbox import Delivery
from helpdesk_tui.mail.ingest import IngestConfig
from helpdesk_tui.mail.lease_keeper import LeaseKeeper
from helpdesk_tui.mail.outbox_sender import OutboxSender
from helpdesk_tui.mail.poller import MailboxPoller
from helpdesk_tui.mail.settings import MailSettings
from helpdesk_tui.storage.database import Database

log = logging.getLogger(__name__)

OUTBOX_LEASE = "mail.outbox"


def poller_lease(mailbox: str) -> str:
    return f"mail.poll.{mailbox}"


def new_holder() -> str:
    """Names this process in lease rows: host, pid, and a nonce for two services in one."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class LeaseInfo:
    name: str
    holder: str | None
    expires_at: datetime | None


@dataclass(frozen=True)
class MailStatus:
    """What the TUI's status line and ``helpdesk mail status`` show."""

    folders: list[FolderStatus]
    outbox: dict[str, int]
    leases: list[LeaseInfo]
    running_here: list[str] = field(default_factory=list)
    """Leases this process holds right now."""
    quarantined: int = 0
    """Messages in quarantine, waiting for someone to look (and retry)."""
    spam: int = 0
    """Messages held as spam, not released."""
    undelivered: list[Delivery] = field(default_factory=list)
    """Outgoing mail not getting through (failed, bounced, retrying), with the reasons."""
    machine: int = 0
    """Machine mail (bounces, receipts, reports, auto-replies) that matched no ticket."""

    @property
    def backlog(self) -> int:
        """Incoming mail not imported yet plus outgoing mail not sent yet."""
        return sum(f.backlog for f in self.folders) + self.outbox_backlog

    @property
    def outbox_backlog(self) -> int:
        return sum(self.outbox.get(status, 0) for status in outbox.DUE)

    @property
    def undelivered_count(self) -> int:
        """Outgoing mail given up or bounced: someone should look (and re-send)."""
        return sum(self.outbox.get(status, 0) for status in outbox.UNDELIVERED)

    @property
    def last_error(self) -> str | None:
        errors = [f for f in self.folders if f.last_error and f.last_error_at]
        if not errors:
            return None
        latest = max(errors, key=lambda f: f.last_error_at)  # type: ignore[arg-type,return-value]
        return f"{latest.mailbox}: {latest.last_error}"

    @property
    def last_poll_at(self) -> datetime | None:
        times = [f.last_poll_at for f in self.folders if f.last_poll_at]
        return max(times) if times else None


def read_status(
    db: Database, mail: MailSettings, *, running_here: list[str] | None = None
) -> MailStatus:
    names = [poller_lease(name) for name in mail.mailboxes] + [OUTBOX_LEASE]
    with db.read() as session:
        folders = folder_statuses(session)
        counts = outbox.counts(session)
        undelivered = outbox.undelivered(session)
        leases = []
        for name in names:
            lease = current_holder(session, name)
            leases.append(
                LeaseInfo(
                    name, lease.holder if lease else None, lease.expires_at if lease else None
                )
            )
        held = quarantine.count_held(session)
        spam_held = spam.count_held(session)
        machine_held = machine.count_held(session)
    return MailStatus(
        folders, counts, leases, running_here or [], held, spam_held, undelivered, machine_held
    )


class MailService:
    """Start with :meth:`start`, stop with :meth:`stop`; or :meth:`run` in the foreground."""

    def __init__(
        self,
        db: Database,
        mail: MailSettings,
        *,
        desk_name: str = "Helpdesk",
        holder: str | None = None,
        rules_file: Path | None = None,
    ) -> None:
        problems = mail.problems()
        if problems:
            raise ValueError("; ".join(problems))
        self.db = db
        self.mail = mail
        self.holder = holder or new_holder()
        self.config = IngestConfig.from_settings(mail, desk_name, rules_file=rules_file)
        self.stop_event = threading.Event()
        self._threads: list[threading.Thread] = []
        self._keepers: list[LeaseKeeper] = []

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        if self._threads:
            return
        self.stop_event.clear()
        for name in self.mail.mailboxes:
            self._spawn(f"poll-{name}", poller_lease(name), self._poller_work(name))
        if self.mail.smtp is not None:
            self._spawn("outbox", OUTBOX_LEASE, self._outbox_work)
        else:
            log.warning("mail.smtp is not configured: replies stay in the outbox")

    def stop(self, timeout: float = 15.0) -> None:
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def run(self) -> None:
        """Run in the foreground until :meth:`stop` (e.g. from a signal handler)."""
        self.start()
        try:
            while not self.stop_event.wait(1.0):
                pass
        finally:
            self.stop()

    def status(self) -> MailStatus:
        here = [keeper.name for keeper in self._keepers if keeper.held]
        return read_status(self.db, self.mail, running_here=here)

    # -- workers -------------------------------------------------------------------------

    def _spawn(self, label: str, lease: str, work: Callable[[LeaseKeeper], None]) -> None:
        keeper = LeaseKeeper(self.db, lease, self.holder, self.mail.lease_seconds)
        self._keepers.append(keeper)
        thread = threading.Thread(
            target=self._hold_and_work, args=(keeper, work), name=f"mail-{label}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _hold_and_work(self, keeper: LeaseKeeper, work: Callable[[LeaseKeeper], None]) -> None:
        """Wait for the lease, work while holding it, give it up on stop."""
        wait = min(5.0, self.mail.lease_seconds / 3)
        while not self.stop_event.is_set():
            try:
                if keeper.acquire():
                    work(keeper)
            except Exception:
                log.exception("%s: worker failed; trying again", keeper.name)
            if not self.stop_event.is_set():
                self.stop_event.wait(wait)
        try:
            keeper.release()
        except Exception:
            log.exception("%s: cannot release the lease", keeper.name)

    def _poller_work(self, name: str) -> Callable[[LeaseKeeper], None]:
        def work(keeper: LeaseKeeper) -> None:
            MailboxPoller(
                self.db,
                name,
                self.mail.mailboxes[name],
                self.mail,
                self.config,
                stop=self.stop_event,
                keep_going=keeper.ok,
            ).run()

        return work

    def _outbox_work(self, keeper: LeaseKeeper) -> None:
        sender = OutboxSender(self.db, self.mail, self.config.signer)
        asyncio.run(self._send_loop(sender, keeper))

    async def _send_loop(self, sender: OutboxSender, keeper: LeaseKeeper) -> None:
        while not self.stop_event.is_set() and keeper.ok():
            try:
                report = await sender.send_due()
                if report.sent or report.failed:
                    log.info("outbox: %s sent, %s failed", report.sent, report.failed)
            except Exception:
                log.exception("outbox: pass failed")
            waited = 0.0
            while waited < self.mail.outbox_interval and not self.stop_event.is_set():
                await asyncio.sleep(0.1)
                waited += 0.1
