"""An action bound with ``priority=True`` runs after the keys typed before it.

Textual checks a priority binding the moment its key reaches the app (``App.on_event``),
while every key before it was only posted to the focused widget's queue: keys arriving in
one read (a fast typist, a paste, a terminal over SSH) are still waiting there when the
action runs. An action that reads the typed text (send, save, apply) read it short of its
last keys, or empty. ``after_typed_keys`` runs the action from the end of the focused
widget's queue instead, so it sees exactly what was typed before its key.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar

from textual.screen import Screen

P = ParamSpec("P")
S = TypeVar("S", bound=Screen[Any])


def after_typed_keys(
    action: Callable[Concatenate[S, P], None],
) -> Callable[Concatenate[S, P], None]:
    """Run the screen's ``action`` once the widget the keys go to has handled those
    already sent to it (it, or the screen when nothing has focus)."""

    @wraps(action)
    def queued(screen: S, *args: P.args, **kwargs: P.kwargs) -> None:
        (screen.focused or screen).call_later(action, screen, *args, **kwargs)

    return queued


class ListedFor:
    """Which words a picker's list was looked up for (a worker's answer comes later), so
    that Enter picks from the list of the words typed, not an older one: words and Enter
    in one burst came before their list, and Enter picked the first item of the last."""

    def __init__(self) -> None:
        self.words: str | None = None
        self._pending: tuple[str, Callable[[], None]] | None = None

    def when_listed(self, typed: str, act: Callable[[], None]) -> None:
        """``act`` (pick the highlighted item) now if the list is ``typed``'s, else once it is."""
        if self.words == typed:
            act()
        else:
            self._pending = (typed, act)

    def listed(self, words: str) -> None:
        """The list now shows ``words``' items: a pick waiting for them is made."""
        self.words = words
        if self._pending is not None and self._pending[0] == words:
            act = self._pending[1]
            self._pending = None
            act()
