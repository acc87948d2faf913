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
