"""The queue's once-a-second look for changes made elsewhere, in a thread of its own.

Asked as a Textual timer starting a thread worker each second, the look cost an idle app
≈ 0.4 % of a core (the timer's tick ≈ 0.7 ms, the worker ≈ 0.8 ms, the check's statement
through the pool ≈ 2 ms, in-process on a 1,000-ticket desk), ten times the rest of the idle
app. Here one thread sleeps between looks and asks the desk's probe
(``Desk.change_probe``: microseconds on SQLite); only when the probe says the desk may have
changed does it wake the screen, which then runs its real check as before. An idle queue
costs the app's loop nothing.

The screen coming back from another one (the palette, the filter form, a ticket) asks for a
look at once (``look_now``): the same look, so an unchanged desk posts the screen nothing.

While someone is on a ticket their marker expires with time alone, with no write for the
probe to see: the screen arms the watch with the time the first live marker expires
(``until``, read with the change mark) and is woken at the first look past it. It had been
woken at every look for as long as anyone was on any ticket (a team's audit on PostgreSQL:
13 ticks of CPU per 20 s for an idle queue while a colleague had a ticket open, 3 alone).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helpdesk_tui.desk.queue_watch import ChangeProbe


class QueueWatch:
    """Every ``period`` seconds, or at once when asked (``look_now``): ``look()``. ``wake``
    is called (from the watcher's thread) when the screen armed the watch and the desk may
    have changed since the last wake, the time it armed it ``until`` has passed (by
    ``clock``, the app's: a marker expired), or it asked to be woken anyway (a check it had
    to put off). ``also``: one more cheap look at each look, beside the desk's (a file's
    stamp; true when it moved since its last look).
    """

    def __init__(
        self,
        probe: Callable[[], ChangeProbe],
        wake: Callable[[], None],
        period: float,
        clock: Callable[[], datetime],
        also: Callable[[], bool] | None = None,
    ) -> None:
        self._make_probe = probe
        self._also = also
        self._probe: ChangeProbe | None = None
        self._wake = wake
        self._period = period
        self._clock = clock
        self._lock = threading.Lock()
        self._armed = False
        self._until: datetime | None = None
        self._moved = False
        self._stop = threading.Event()
        self._soon = threading.Event()
        """Set to look before the period is out (``look_now``, ``stop``)."""
        self._thread: threading.Thread | None = None

    @property
    def armed(self) -> bool:
        return self._armed

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="queue-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """The thread ends at its next wake-up, at once if it sleeps (not waited for)."""
        self._stop.set()
        self._soon.set()
        if self._thread is None:
            self._close()

    def arm(self, *, until: datetime | None = None, again: bool = False) -> None:
        """Wake the screen at the next look that finds a change, or that comes after
        ``until``; at the next look whatever it finds with ``again``."""
        with self._lock:
            self._armed, self._until = True, until
            self._moved = self._moved or again

    def look_now(self) -> None:
        """Look at once (in the watcher's thread), not at the end of the period."""
        self._soon.set()

    def disarm(self) -> None:
        with self._lock:
            self._armed = False

    def look(self) -> None:
        """One look (the thread's, every period; a test's, by hand)."""
        if self._probe is None:
            self._probe = self._make_probe()
        moved = self._probe.moved()
        if self._also is not None:
            moved = self._also() or moved  # (each look asked: each keeps its own last one)
        with self._lock:
            self._moved = self._moved or moved
            due = self._until is not None and self._clock() > self._until
            wake = self._armed and (self._moved or due)
            if wake:
                self._armed = self._moved = False
        if wake:
            self._wake()

    def _run(self) -> None:
        try:
            while True:
                self._soon.wait(self._period)
                self._soon.clear()
                if self._stop.is_set():
                    break
                self.look()
        finally:
            self._close()

    def _close(self) -> None:
        if self._probe is not None:
            with suppress(Exception):  # (the app may be closing its database meanwhile)
                self._probe.close()
