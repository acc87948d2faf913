"""Textual's footer, composed again only when the keys it shows change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.screen import Screen


class SteadyFooter(Footer):
    """A :class:`Footer` that makes its key widgets anew only when the keys change.

    Textual's footer recomposes on every refresh of the screen's bindings (the focus moves,
    the screen resumes): three times while the queue's first screen is drawn, each time
    every key widget and its styles, for a sixth of the first paint. The keys it would show
    are compared first; the same keys are left as they are.
    """

    _shown: tuple[Any, ...] | None = None

    def _keys(self) -> tuple[Any, ...]:
        """What the footer would show now: each shown binding, as ``Footer.compose`` reads it."""
        app = self.app
        shown = [
            (binding, enabled, tooltip)
            for (_node, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show or binding.action == "command_palette"
        ]
        return (
            app.ENABLE_COMMAND_PALETTE,
            *(
                (binding, app.get_key_display(binding), enabled, tooltip)
                for binding, enabled, tooltip in shown
            ),
        )

    def compose(self) -> ComposeResult:
        self._shown = self._keys() if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if self.is_attached and self._keys() != self._shown:
            await self.recompose()
