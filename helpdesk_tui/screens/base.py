"""What every screen of the app shares: failed workers are reported, not silently lost."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from helpdesk_tui.messages import WorkerFailed

if TYPE_CHECKING:
    from helpdesk_tui.desk.facade import Desk


class DeskScreen(Screen[Any]):
    """A screen whose failed workers (run with ``exit_on_error=False``) become a notification.

    ``Worker.StateChanged`` does not bubble, so each screen forwards failures to the app,
    whose one handler words them for people.
    """

    @property
    def desk(self) -> Desk:
        """The app's desk facade: every read and change a screen makes goes through it."""
        return cast("Desk", self.app.desk)  # type: ignore[attr-defined]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.post_message(WorkerFailed(event.worker))
