"""What every screen of the app shares: the desk, and failed workers reported, not lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual import events
from textual.app import App
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from helpdesk_tui.app_access import desk_app
from helpdesk_tui.messages import WorkerFailed

ResultT = TypeVar("ResultT")

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


def styled_by(app: App[Any]) -> tuple[object, ...]:
    """What a screen's styles follow besides its own nodes' classes, which restyle them as
    they change: the app's stylesheet (replaced when its files are reloaded) and its sources
    (a screen's CSS joins them when it is first shown), Textual's count of theme and CSS
    changes (``App._css_update_count``, by which Textual itself restyles the screens of a
    mode switched to), the app's classes and pseudo-classes."""
    stylesheet = app.stylesheet
    return (
        stylesheet,
        len(stylesheet.source),
        app._css_update_count,
        app.classes,
        app.pseudo_classes,
    )


class ShownOnce(Screen[ResultT]):
    """A screen shown without work nobody sees: styled and laid out once as it is first shown.

    Textual restyles every widget of a screen each time it is pushed (``ScreenResume``), for
    a stylesheet changed while it was hidden; the first time, its widgets were styled as they
    were mounted, a moment before, by the same stylesheet: that restyle is skipped (a second
    styling of the whole screen at each ticket or modal opened, and of the queue at each start).
    """

    _styled_at_mount: tuple[object, ...] | None = None
    """``styled_by`` as the screen was mounted, until it is first shown."""

    def _on_mount(self, event: events.Mount) -> None:
        self._styled_at_mount = styled_by(self.app)

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """(Before Textual's ``Screen._on_screen_resume``, which restyles if asked.)"""
        if self._styled_at_mount is not None and self._styled_at_mount == styled_by(self.app):
            event.refresh_styles = False
        self._styled_at_mount = None

    def _screen_resized(self, size: Size) -> None:
        """Lay the screen out again only at a size it is not laid out at. Textual sends a
        screen three ``Resize``s at start, all at the size of its first layout: the app's
        own first, the driver's (the terminal's size, measured again), and one the screen's
        first layout posts to every widget it shows, the screen included; each laid the
        whole screen out again, for nothing (three of the five layouts of a start, and one
        more at each screen or modal shown). A change inside the screen lays it out as it
        happens (``refresh(layout=True)``), never by a resize."""
        if size != self._compositor.size:
            super()._screen_resized(size)


class DeskModal(ShownOnce[ResultT], ModalScreen[ResultT]):
    """A modal screen (a question, a picker, a form) shown without work nobody sees."""


class DeskScreen(ShownOnce[Any]):
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
