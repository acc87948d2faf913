"""When the app's cyclic garbage collector walks its heap: between keys, not during them.

Python starts a full collection when enough objects have outlived younger ones, at
whatever moment that happens: under a key, that is tens of milliseconds added to its
repaint (more on a loaded machine). Where the app has its process to itself, start-up's
objects are frozen out of the walks (:func:`settle`), full collections start on their own
ten times less often, and :class:`IdleCollector` runs one once the agent has paused, as
soon as some work has piled up. Cyclic garbage waits at most until the next pause.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

FULL_EVERY = 100
"""Young collections between two full ones that start by themselves (Python's default: 10)."""
IDLE_SECONDS = 1.0
"""No key, click or paste for this long is a pause."""
IDLE_CHECK_SECONDS = 1.0
"""How often the app asks :meth:`IdleCollector.tick` whether to collect."""
IDLE_COLLECT_AFTER = 2
"""Young collections since the last full one that make a pause's collection worth it."""


def settle() -> None:
    """Collect start-up's garbage, keep what is left out of later walks, and let full
    collections start by themselves only every :data:`FULL_EVERY` young ones."""
    gc.collect()
    gc.freeze()
    young, middle, _full = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_EVERY)


class IdleCollector:
    """Runs a full collection when the agent pauses and garbage has piled up."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.last_input = clock()

    def input_seen(self) -> None:
        """A key, click or paste arrived: no collection until the next pause."""
        self.last_input = self._clock()

    def due(self, young_since_full: int) -> bool:
        """Whether to collect now, given the young collections since the last full one."""
        paused = self._clock() - self.last_input >= IDLE_SECONDS
        return paused and young_since_full >= IDLE_COLLECT_AFTER

    def tick(self) -> bool:
        """Collect if :meth:`due`; whether it did."""
        if not self.due(gc.get_count()[2]):
            return False
        gc.collect()
        return True
