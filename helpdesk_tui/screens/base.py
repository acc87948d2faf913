"""What every screen of the app shares: the desk, and failed workers reported, not lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from helpdesk_tui.app_access import desk_app
from helpdesk_tui.messages import WorkerFailed

if TYPE_CHECKING:
    from helpdesk_tui.app import HelpdeskApp
    from helpdesk_tui.desk.facade import Desk


def key_shown(screen: Screen[Any], ident: str) -> str:
    """The key bound to binding ``ident`` on ``screen``, as shown ("s", "^g"): what the
    keymap made of it, never a key written in a hint."""
    for bindings in screen._bindings.key_to_bindings.values():
        for binding in bindings:
            if binding.id == ident:
                return screen.app.get_key_display(binding)
    return ""


class DeskScreen(Screen[Any]):
    """A screen whose failed workers (run with ``exit_on_error=False``) become a notification.

    ``Worker.StateChanged`` does not bubble, so each screen forwards failures to the app,
    whose one handler words them for people.
    """

    @property
    def desk_app(self) -> HelpdeskApp:
        """The app this screen runs in: its settings, clock, views and mail state."""
        return desk_app(self)

    @property
    def desk(self) -> Desk:
        """The app's desk facade: every read and change a screen makes goes through it."""
        return desk_app(self).desk

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """(title, help, callback) of this screen's own commands for the palette."""
        return []

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.post_message(WorkerFailed(event.worker))
