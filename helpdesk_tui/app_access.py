"""The one typed way from a screen, widget or palette provider to the running app.

Screens never import ``app.py`` at run time (no import circle app ↔ screens); they reach
the app's desk, settings, clock and mail state through :func:`desk_app` (``DeskScreen``
offers it as ``self.desk_app`` and the facade as ``self.desk``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from textual.app import App

    from helpdesk_tui.app import HelpdeskApp


class _OnApp(Protocol):
    @property
    def app(self) -> App[object]: ...


def desk_app(node: _OnApp) -> HelpdeskApp:
    """The helpdesk app ``node`` (a widget, a screen, a command provider) runs in."""
    return cast("HelpdeskApp", node.app)
