"""Mail inside the TUI: this terminal's mail service, and the mail state every screen shows.

When mail is configured, each terminal starts the same ``MailService`` that ``helpdesk mail
run`` runs; the database leases let exactly one of them poll each mailbox and send the
outbox, so another terminal only costs threads that wait for a lease. The service's threads
never touch Textual: the link reads the mail state in a thread worker on a timer (re-armed
after each read) and publishes it on ``changed`` for the queue's indicator and the mail
screen.

A dead IMAP or SMTP server never stops the app: the poller records the error in the
database, and it shows here as the last error (with a notification when it is new). The
mail modules are imported only when mail runs, so start-up stays fast without it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING

from textual.signal import Signal
from textual.timer import Timer

from helpdesk_tui.messages import MailPolled, OutboxMoved
from helpdesk_tui.safe_text import clean

if TYPE_CHECKING:
    from helpdesk_tui.app import HelpdeskApp
    from helpdesk_tui.desk.inbound import IngestResult
    from helpdesk_tui.desk.mail_holding_service import HeldArea, MailState
    from helpdesk_tui.mail.api import MailService
    from helpdesk_tui.mail_settings import MailSettings

log = logging.getLogger(__name__)

STATUS_SECONDS = 2.0
"""Between two reads of the mail state."""
STOP_SECONDS = 2.0
"""How long leaving the app waits for each mail thread to give its lease back."""


class MailLink:
    """Owned by the app: starts and stops the service, and keeps the latest ``status``."""

    def __init__(self, app: HelpdeskApp) -> None:
        self.app = app
        self.status: MailState | None = None
        self.problem: str | None = None
        """Why mail does not run in this terminal."""
        self.read_error: str | None = None
        """Why the last read of the mail state failed (the database is away, say)."""
        self.changed: Signal[MailLink] = Signal(app, "mail-changed")
        self._service: MailService | None = None
        self._lock = threading.Lock()
        self._stopping = False
        self._paused = False
        """This terminal's agent may not use the desk now (``pause``): no mail runs here."""
        self._timer: Timer | None = None
        self._told: str | None = None

    @property
    def mail(self) -> MailSettings:
        """The ``[mail]`` settings (read with the desk: see ``HelpdeskApp.settings``)."""
        return self.app.settings.mail

    @property
    def enabled(self) -> bool:
        """Mail is configured (a mailbox or SMTP): the state is worth showing."""
        return self.app.start.mail_enabled

    @property
    def running(self) -> bool:
        """Mail is polled and sent from this terminal (the SLA pass alone does not count:
        with mail kept off by a problem, the line must still say so)."""
        return self._service is not None and self._service.mail_jobs

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """On mount: start the service (when configured and wanted) and the state reads.

        Where mail does not run here for want of settings (none, or they cannot start), the
        SLA pass alone does (``desk_jobs``, in the CLI's app): alerts must not wait for mail.
        """
        if not self.enabled:
            self._start_desk_jobs()
            return
        problems = self.mail.problems()
        if problems:
            self.problem = "; ".join(problems)
            self.app.notify(
                self.problem, title="Mail not started", severity="warning", markup=False
            )
            self._start_desk_jobs()
        elif self.mail.run_in_tui:
            self.app.run_worker(
                self._start_service, thread=True, group="mail-start", exit_on_error=False
            )
        self.read_now()

    def _start_desk_jobs(self) -> None:
        if self.app.desk_jobs and self.mail.run_in_tui:
            self.app.run_worker(
                lambda: self._start_service(mail_jobs=False),
                thread=True,
                group="mail-start",
                exit_on_error=False,
            )

    def _start_service(self, *, mail_jobs: bool = True) -> None:
        from helpdesk_tui.config import IntakeOptions
        from helpdesk_tui.mail.api import desk_jobs, mail_service

        try:
            with self._lock:
                if self._stopping or self._paused:
                    return
                options = IntakeOptions.from_settings(self.app.settings)
                if mail_jobs:
                    service = mail_service(self.app.desk, options)
                else:
                    service = desk_jobs(self.app.desk, options)
                service.start()
                self._service = service
        except Exception as error:
            log.exception("mail service did not start")
            self.app.call_from_thread(self._not_started, f"{type(error).__name__}: {error}")

    def _not_started(self, text: str) -> None:
        self.problem = text
        self.app.notify(text, title="Mail not started", severity="error", markup=False)
        self.changed.publish(self)

    def _detach(self) -> MailService | None:
        with self._lock:
            self._stopping = True
            service, self._service = self._service, None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        return service

    async def stop(self) -> None:
        """Stop the service's threads (they give their leases back) without blocking the UI."""
        service = self._detach()
        if service is not None:
            await asyncio.to_thread(service.stop, STOP_SECONDS)

    def stop_now(self) -> None:
        """The app is going away without :meth:`stop` (not by the quit key): stop, briefly."""
        service = self._detach()
        if service is not None:
            service.stop(STOP_SECONDS)

    def pause(self) -> None:
        """The desk refuses this terminal's agent (``HelpdeskApp.refused``): nothing is
        polled or sent from here meanwhile. The service stops in a thread (its leases are
        given back, so another terminal or ``helpdesk mail run`` takes over) and the state
        is read no more; :meth:`resume` starts both again."""
        with self._lock:
            self._paused = True
            service, self._service = self._service, None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if service is not None:
            self.app.run_worker(
                lambda: service.stop(STOP_SECONDS),
                thread=True,
                group="mail-pause",
                exit_on_error=False,
            )

    def resume(self) -> None:
        """The agent may use the desk again: mail runs here as at start (``start``)."""
        if not self._paused:
            return
        with self._lock:
            self._paused = False
        if not self._stopping:
            self.start()

    # -- state ------------------------------------------------------------------------------

    def read_now(self) -> None:
        """Read the mail state now (after a retry, say), then every ``STATUS_SECONDS``."""
        if self._stopping or self._paused or not self.enabled:
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.app.run_worker(
            self._read, thread=True, exclusive=True, group="mail-status", exit_on_error=False
        )

    def _read(self) -> None:
        from helpdesk_tui.mail.api import read_status

        service = self._service
        try:
            if service is not None:
                status = service.status()
            else:
                status = read_status(self.app.desk, self.mail.mailboxes)
        except Exception as error:
            log.exception("cannot read the mail state")
            self.app.post_message(MailPolled(None, f"{type(error).__name__}: {error}"))
        else:
            self.app.post_message(MailPolled(status))

    def polled(self, message: MailPolled) -> None:
        """The app hands each ``MailPolled`` here: keep it, tell what is new, read again later."""
        before = self.status.outbox if self.status else None
        if message.status is not None:
            self.status = message.status
            if before is not None and message.status.outbox != before:
                self._outbox_moved()
        self.read_error = message.problem
        error = self.status.last_error if self.status else None
        if error and error != self._told:
            self.app.notify(
                clean(error, single_line=True), title="Mail", severity="warning", markup=False
            )
        self._told = error
        self.changed.publish(self)
        if not self._stopping and not self._paused:
            self._timer = self.app.set_timer(STATUS_SECONDS, self.read_now)

    def _outbox_moved(self) -> None:
        """Mail was sent or given up: the screens that show deliveries read again."""
        for screen in self.app.screen_stack:
            screen.post_message(OutboxMoved())

    # -- held mail --------------------------------------------------------------------------

    def run_again(self, area: HeldArea, entry_id: int) -> IngestResult:
        """Retry a quarantined message, or release held spam or machine mail as this
        terminal's agent (blocking: call from a worker)."""
        from helpdesk_tui.config import IntakeOptions
        from helpdesk_tui.mail.api import run_again

        return run_again(
            self.app.desk, area, entry_id, IntakeOptions.from_settings(self.app.settings)
        )
