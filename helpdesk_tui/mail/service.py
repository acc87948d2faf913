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
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from helpdesk_tui.desk import sla_alerts
from helpdesk_tui.desk.actors import SYSTEM
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.mail_holding_service import MailState
from helpdesk_tui.desk.queue_watch import ChangeProbe
from helpdesk_tui.mail.ingest import IngestConfig
from helpdesk_tui.mail.lease_keeper import LeaseKeeper
from helpdesk_tui.mail.outbox_sender import OutboxSender
from helpdesk_tui.mail.poller import MailboxPoller
from helpdesk_tui.mail.status import OUTBOX_LEASE as OUTBOX_LEASE
from helpdesk_tui.mail.status import SLA_LEASE as SLA_LEASE
from helpdesk_tui.mail.status import poller_lease, read_status
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import utcnow

if TYPE_CHECKING:
    from helpdesk_tui.config import IntakeOptions

log = logging.getLogger(__name__)


def new_holder() -> str:
    """Names this process in lease rows: host, pid, and a nonce for two services in one."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


SLA_FULL_PASS = 300.0
"""Seconds after which an SLA pass runs even when nothing it watches moved (a change no
event records; a policy's or calendar's edit recomputes its tickets' next alerts, which the
pass then finds): an index read on an idle desk, whatever its size."""
SLA_DUTY = 0.1
"""The most of one core the SLA pass takes over time (its CPU time over its period)."""


def sla_pause(interval: float, spent: float) -> float:
    """Seconds between two SLA passes: ``interval``, or longer when the pass took ``spent``
    seconds of CPU, so that passes take at most ``SLA_DUTY`` of a core."""
    return max(interval, spent / SLA_DUTY - spent)


class MailService:
    """Start with :meth:`start`, stop with :meth:`stop`; or :meth:`run` in the foreground."""

    def __init__(
        self,
        db: Database,
        options: IntakeOptions,
        *,
        holder: str | None = None,
        mail_jobs: bool = True,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``mail_jobs`` False: the SLA pass alone (``desk_jobs``), for a terminal on a desk
        whose mail does not run, which needs no mail settings. ``clock``: the desk's
        (``Desk.clock``), which the outbox sender and the SLA pass read for now."""
        self.config: IngestConfig | None = None
        if mail_jobs:
            problems = options.mail.problems()
            if problems:
                raise ValueError("; ".join(problems))
            self.config = IngestConfig.from_options(options)
        self.mail_jobs = mail_jobs
        self.clock = clock
        self.db = db
        self.mail = options.mail
        self.holder = holder or new_holder()
        self.stop_event = threading.Event()
        self._threads: list[threading.Thread] = []
        self._keepers: list[LeaseKeeper] = []

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        if self._threads:
            return
        self.stop_event.clear()
        if not self.mail_jobs:
            self._spawn("sla", SLA_LEASE, self._sla_work)
            return
        for name in self.mail.mailboxes:
            self._spawn(f"poll-{name}", poller_lease(name), self._poller_work(name))
        self._spawn("sla", SLA_LEASE, self._sla_work)
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

    @property
    def sends_mail(self) -> bool:
        """Whether this service runs an outbox sender (``[mail.smtp]``): the SLA alerts it
        finds are mailed whatever the desk's last sender says."""
        return self.mail_jobs and self.mail.smtp is not None

    def status(self) -> MailState:
        here = [keeper.name for keeper in self._keepers if keeper.held]
        return read_status(Desk(self.db, SYSTEM), self.mail.mailboxes, running_here=here)

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
            assert self.config is not None  # (mail_jobs)
            MailboxPoller(
                self.db,
                name,
                self.mail.mailboxes[name],
                self.mail,
                self.config,
                stop=self.stop_event,
                keep_going=keeper.ok,
                clock=self.clock,
            ).run()

        return work

    def _sla_work(self, keeper: LeaseKeeper) -> None:
        """SLA warning and breach alerts, so they go out with no terminal open; and the
        report tables' catch-up (one lease: one process does both).

        A pass runs when it can have something to do: the desk changed (``ChangeProbe``,
        one indexed read on a connection of its own, a few microseconds on SQLite while no
        one commits), a ticket's next alert came (``Pass.next_at``), or ``SLA_FULL_PASS``
        went by. A pass reads only the tickets whose next alert came (``sla_alerts``): at 1M
        tickets 0.4 ms of CPU idle, a few ms for an alert. After a pass the next look waits
        ``sla_pause`` after its CPU time, so that a pass with much to say (a desk's first
        after an upgrade) does not take a core, least of all in a terminal's process."""
        try:  # (a desk without SMTP: what it queued before can never go)
            withdrawn = sla_alerts.withdraw_unsendable(
                self.db, self.clock(), sends_here=self.sends_mail
            )
            if withdrawn:
                log.info("sla: %s alert mail(s) withdrawn: this desk sends no mail", withdrawn)
        except Exception:
            log.exception("sla: cannot withdraw alert mail")
        probe = ChangeProbe(self.db)
        next_at: datetime | None = None
        last_pass = -SLA_FULL_PASS
        try:
            while not self.stop_event.is_set() and keeper.ok():
                spent = 0.0
                moved = probe.moved()  # (every look: its last answer is the one compared)
                now = self.clock()
                due = next_at is not None and now >= next_at
                if moved or due or time.monotonic() - last_pass >= SLA_FULL_PASS:
                    started, last_pass = time.thread_time(), time.monotonic()
                    next_at = self._sla_pass(now)
                    spent = time.thread_time() - started
                self.stop_event.wait(sla_pause(self.mail.outbox_interval, spent))
        finally:
            probe.close()

    def _sla_pass(self, now: datetime) -> datetime | None:
        """One pass: alerts, then the report tables' catch-up; when the next has work."""
        next_at: datetime | None = now  # (a failed pass is tried again at the next look)
        try:
            done = sla_alerts.run_pass(self.db, now, sends_here=self.sends_mail)
            next_at = done.next_at
            if done.alerts:
                log.info("sla: %s alert(s)", len(done.alerts))
            if done.late:
                log.info("sla: %s alert(s) owed for over a day recorded as given", done.late)
            if done.overdue:
                log.info("sla: %s ticket(s) breached meanwhile, in one summary", done.overdue)
        except Exception:
            log.exception("sla: alert pass failed")
        try:  # the report tables follow the desk, so a report finds little to replay
            Desk(self.db, SYSTEM).report_catch_up()
        except Exception:
            log.exception("reports: catch-up failed")
        return next_at

    def _outbox_work(self, keeper: LeaseKeeper) -> None:
        assert self.config is not None  # (mail_jobs)
        sender = OutboxSender(self.db, self.mail, self.config.signer, clock=self.clock)
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
