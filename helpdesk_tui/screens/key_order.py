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
    that the keys typed after the words act on the list of those words, not an older one:
    words and Enter in one burst came before their list, and Enter picked the first item
    of the last; words and ↓ moved in the last list, and the words' list then came with
    its first item highlighted."""

    def __init__(self) -> None:
        self.words: str | None = None
        self._waiting_for: str | None = None
        self._acts: list[Callable[[], None]] = []

    def when_listed(self, typed: str, act: Callable[[], None]) -> None:
        """``act`` (move, pick) now if the list is ``typed``'s, else once it is, after the
        acts waiting before it. Those waiting for other words are dropped: typed before
        more words, they acted on a list the words' list replaces."""
        if self.words == typed:
            act()
            return
        if self._waiting_for != typed:
            self._waiting_for, self._acts = typed, []
        self._acts.append(act)

    def listed(self, words: str) -> None:
        """The list now shows ``words``' items: the acts waiting for them are made."""
        self.words = words
        if self._waiting_for == words:
            acts, self._waiting_for, self._acts = self._acts, None, []
            for act in acts:
                act()
