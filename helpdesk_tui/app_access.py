"""The one typed way from a screen, widget or palette provider to the running app.

Screens never import ``app.py`` at run time (no import circle app ↔ screens); they reach
the app's desk, settings, clock and mail state through :func:`desk_app` (``DeskScreen``
offers it as ``self.desk_app`` and the facade as ``self.desk``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

    from helpdesk_tui.app import HelpdeskApp


class _OnApp(Protocol):
    @property
    def app(self) -> App[object]: ...


def desk_app(node: _OnApp) -> HelpdeskApp:
    """The helpdesk app ``node`` (a widget, a screen, a command provider) runs in."""
    return cast("HelpdeskApp", node.app)


def every_screen(app: App[Any]) -> Iterator[Screen[Any]]:
    """Every screen in the app's stacks, of every mode (shown, covered, or in a mode left):
    Textual keeps them in ``App._screen_stacks``, which it offers no public way to walk."""
    stacks: dict[str, list[Screen[Any]]] = getattr(app, "_screen_stacks", {})
    for stack in stacks.values() or [app.screen_stack]:
        yield from stack
