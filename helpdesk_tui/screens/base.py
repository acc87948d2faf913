"""What every screen of the app shares: failed workers are reported, not silently lost."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from helpdesk_tui.messages import WorkerFailed


class DeskScreen(Screen[Any]):
    """A screen whose failed workers (run with ``exit_on_error=False``) become a notification.

    ``Worker.StateChanged`` does not bubble, so each screen forwards failures to the app,
    whose one handler words them for people.
    """

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.post_message(WorkerFailed(event.worker))
