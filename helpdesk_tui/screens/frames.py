"""A key's frame drawn as soon as its change is ready, not at Textual's next update tick.

Textual (8.2.8) draws a screen from its update timer, which ticks on a fixed grid of
``1 / MAX_FPS`` (60 a second): ``Screen._on_idle`` resumes it when something waits to be
drawn, and it ticks at its next grid point, or at once when that point has passed while it
was paused. A key whose change was ready just after a frame (the next key pressed right
after one was drawn, a page read in 5-15 ms) waited up to a period for the grid: the same
key took one frame or two by the phase it met, at 1k tickets as at 1M.

:class:`KeyFrames` draws a screen's frame at its first idle after a key (or after
:meth:`KeyFrames.frame_soon`) at which something waits to be drawn and every widget has
handed its changes to the screen (each does at its own idle; drawn before the last, the
frame was partial and the rest came a frame later). Until then the flag stays set: a key
whose change is a page read (a view, a sort, End) is drawn with its rows. Frames that no key
asked for (a cursor's blink, a spinner, a refresh while idle) stay on Textual's grid. Drawn
early, a key's change could go alone where the grid would have drawn it with a later one:
``benchmarks/app_keys.py``'s ``frames`` column counts the same frames per key as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events
from textual.screen import Screen
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.message import Message

    _Base = Screen[Any]
else:
    _Base = object


class KeyFrames(_Base):
    """Mixed into a :class:`~textual.screen.Screen` (before it in the bases).

    Textual calls the ``on_mount`` and ``on_idle`` of every class of a screen's bases, so a
    screen's own handlers run beside these, not instead of them.
    """

    _frame_due = False
    """A key (or ``frame_soon``) asked for its frame at once; cleared when it is drawn."""

    def on_mount(self) -> None:
        # (Every key is the app's message first: it hands it to the focused widget, or runs
        # a binding's action, and tells its signal when done. A key's event never reaches
        # a screen whose focused widget or priority binding takes it.)
        self.app.message_signal.subscribe(self, self._app_handled, immediate=True)

    def _app_handled(self, message: Message) -> None:
        if isinstance(message, events.Key) and self.app.screen is self:
            self._frame_due = True

    def frame_soon(self) -> None:
        """Draw what waits (or the next change) at the screen's next idle."""
        self._frame_due = True
        self.check_idle()

    def frame_not_due(self) -> None:
        """Forget a frame asked for (the screen is covered, or goes)."""
        self._frame_due = False

    def on_idle(self, _event: events.Idle) -> None:
        """(Runs before Textual's ``Screen._on_idle``, which then finds nothing to draw.)"""
        if not self._frame_due or self.app.screen is not self or self.app._batch_count:
            return  # (a screen under another, the palette say, is drawn with the top one's)
        if not (
            self._layout_required
            or self._scroll_required
            or self._repaint_required
            or self._dirty_widgets
        ):
            return  # (the key's change is on its way: a read, another screen's)
        if any(
            widget._repaint_required
            or widget._layout_required
            or widget._scroll_required
            or not widget._message_queue.empty()
            for widget in self.walk_children(Widget)
        ):
            return  # (a widget tells the screen at its idle: this screen idles again then)
        self._frame_due = False
        self._on_timer_update()
        timer = self._update_timer
        if timer._active._waiters:
            # The timer is waiting to be resumed, its last tick more than a period ago: its
            # grid starts again from this frame, and it stays paused until a change resumes
            # it. (Left waiting, the next resume ticked at once, many periods late, and
            # Textual's timer then skips to the grid point after the next: the key after
            # it waited up to two periods. Reset and left running, its first tick came a
            # period after this frame whether or not anything waited.)
            timer.reset()
            timer.pause()
