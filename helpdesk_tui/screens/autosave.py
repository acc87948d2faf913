"""Keeping what a screen's agent writes as a draft: one autosave for every writing screen.

The composer (a reply, a note, a call log) and the editors (an article, a canned response)
save alike: ``AUTOSAVE_SECONDS`` after typing pauses, at least every ``AUTOSAVE_MAX_SECONDS``
while it goes on, at once when the screen is covered or its text field loses the focus
(``save_now``), and never while the text is as last saved (no write while idle). The write
(a draft file, fsynced: 1 to 100 ms and more on a busy disk) runs in a thread, so no key
waits for it; ``keep`` writes at once, blocking, for the app quitting, hanging up, crashing
or covering everything when the agent's access ends.

Writes are serialized by a lock and always write the newest text taken (a slow write that
finishes after a newer one took its turn writes nothing older over it); once the text is
sent, saved by the desk or discarded (``end``), nothing is written any more, so a save
still running cannot bring a draft back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker

AUTOSAVE_SECONDS = 0.3
"""How long after the last key the text is saved as its draft: a pause in typing (a word,
a thought) keeps what is on screen, so a killed terminal loses at most the keys of the last
0.3 s. Keys typed without such a pause write nothing until one; the text is also saved at
once when the text field loses focus or something comes over the screen (a picker, a
question), and never when it is as last saved (no write while idle)."""
AUTOSAVE_MAX_SECONDS = 2.0
"""Typing on with no such pause saves at least this often (one write per 2 s of typing)."""
monotonic = time.monotonic
"""(The clock of ``AUTOSAVE_MAX_SECONDS``; tests replace it.)"""

T = TypeVar("T")

_UNKNOWN: Any = object()
"""(What the store holds before the first write, when the screen did not say.)"""


class Autosave(Generic[T]):
    """Saves ``read()`` (called on the UI thread: the text as shown) by ``write`` (called in
    a thread, one at a time) for ``screen``."""

    def __init__(
        self,
        screen: Screen[Any],
        read: Callable[[], T],
        write: Callable[[T], None],
        *,
        saved: T = _UNKNOWN,
    ) -> None:
        """``saved``: what the draft store holds now (nothing is written while the text is
        that); unknown, the first save writes."""
        self._screen = screen
        self._read = read
        self._write = write
        self._saved: T = saved
        self._newest: T = _UNKNOWN
        """The newest text taken to be written (by a worker, or ``keep``)."""
        self._lock = threading.Lock()
        self._timer: Timer | None = None
        self._unsaved_since: float | None = None
        """When (``monotonic``) the first key not yet saved was typed."""
        self.ended = False
        """Sent, saved by the desk or discarded: nothing is written from now on."""

    def saved_as(self, value: T) -> None:
        """The store holds ``value`` (what the screen showed when it opened, say)."""
        with self._lock:
            self._saved = value

    def typed(self) -> None:
        """A key changed the text: save once typing pauses, or now if it has gone on for
        ``AUTOSAVE_MAX_SECONDS`` without a save."""
        self._stop()
        now = monotonic()
        if self._unsaved_since is None:
            self._unsaved_since = now
        elif now - self._unsaved_since >= AUTOSAVE_MAX_SECONDS:
            self.save_now()  # (typing on without a pause)
            return
        self._timer = self._screen.set_timer(AUTOSAVE_SECONDS, self.save_now)

    def save_now(self, then: Callable[[], object] | None = None) -> Worker[None] | None:
        """Save the text now, in a thread, unless it is as last saved; ``then`` (given: the
        write runs even so) is called in that thread once it is written, not once ended.
        The thread's worker; None: nothing to write."""
        self._stop()
        self._unsaved_since = None
        if not self._screen.is_mounted or self.ended:
            return None
        value = self._read()
        with self._lock:
            if then is None and value == self._saved and self._newest is _UNKNOWN:
                return None
            self._newest = value

        def save() -> None:
            try:
                written = self._write_newest()
            except OSError as error:  # (a full disk, a directory made read-only…)
                message = f"The draft was not saved: {error}"
                self._screen.notify(message, severity="error", timeout=8, markup=False)
                return
            if written and then is not None:
                then()

        return self._screen.run_worker(
            save, thread=True, group="draft-autosave", exit_on_error=False
        )

    def keep(self) -> bool:
        """Save the text now, blocking (the app is quitting, or covering everything); False
        once ended (nothing written)."""
        self._stop()
        self._unsaved_since = None
        if self.ended or not self._screen.is_mounted:
            return False
        return self.write(self._read())

    def write(self, value: T) -> bool:
        """Save ``value`` (the text as read on the UI thread) now, in the calling thread (a
        worker's: an editor's save); False once ended (nothing written)."""
        with self._lock:
            self._newest = value
        return self._write_newest()

    def _write_newest(self) -> bool:
        """Write the newest text taken unless it is as last saved; False once ended."""
        with self._lock:
            if self.ended:
                return False
            value, self._newest = self._newest, _UNKNOWN
            if value is not _UNKNOWN and value != self._saved:
                self._write(value)
                self._saved = value
            return True

    def end(self, then: Callable[[], object] | None = None) -> None:
        """Write nothing from now on (a save running now finishes first); ``then`` (any
        thread) runs after that, under the same lock: removing the draft, say."""
        with self._lock:
            self.ended = True
            if then is not None:
                then()

    def stop(self) -> None:
        """No save pending (the screen is going)."""
        self._stop()
        self._unsaved_since = None

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
