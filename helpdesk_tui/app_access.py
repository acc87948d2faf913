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
    from textual.screen import ActiveBinding, Screen

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


def working_bindings(screen: Screen[Any]) -> dict[str, ActiveBinding]:
    """Every key that does something on ``screen`` now, for its footer and its key help.

    Textual's ``Screen.active_bindings``, and on a modal screen the app's priority keys as
    well: Textual ends a modal screen's binding chain at the modal (the app's keys never
    reach it) but checks priority bindings from the app down, so ctrl+q, F1, F3, F4 work
    there, yet ``active_bindings`` would leave them out of the footer and the help. A key a
    focused text field takes (``?`` and ``@`` in a TextArea or an Input) is none of them:
    Textual leaves it out of the chain, and it is typed.
    """
    from textual.screen import ActiveBinding

    active = screen.active_bindings
    chain = screen._binding_chain  # (Textual offers no public way to walk it)
    if len(screen._modal_binding_chain) == len(chain):
        return active  # (the app's keys are in it already)
    app = screen.app
    working = dict(active)
    for namespace, bindings in chain:
        if namespace is not app:
            continue
        for key, binding in bindings:
            if not binding.priority:
                continue
            state = app._check_action_state(binding.action, app)
            if state is not False:  # (a priority key is checked first: it is the one at work)
                working[key] = ActiveBinding(app, binding, bool(state), binding.tooltip)
    return working
