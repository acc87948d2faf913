"""The command palette (ctrl+p), composed once and shown again at every opening.

Textual's ``App.action_command_palette`` builds a new ``CommandPalette`` at each ctrl+p:
its widgets composed and mounted, the stylesheet applied to each, several layout passes —
about 50 ms of CPU and 90 ms to its first frame on a 2-core machine, of which the desk's
provider is ~3 ms. ``KeptPalette`` is installed once and pushed again: an opening only
makes the providers for the screen it opens over and lists their commands, as Textual's
``_on_mount`` does — before the palette is drawn, so it is drawn once, list and all; a
closing clears what the last opening left (its query, its hits) and shuts the providers
down, as Textual's ``_on_unmount`` does, while the palette is hidden.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual.command import CommandInput, CommandList, CommandPalette
from textual.widgets import Input, LoadingIndicator

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

LIST_WAIT_SECONDS = 0.05
"""An opening waits this long at most for its commands to be listed before it is drawn."""
PALETTE_ID = "--command-palette"
"""Textual's id for its palette (its CSS and ``App.action_command_palette`` use it)."""


def stacked(app: App[Any], screen: Screen[Any]) -> bool:
    """Is ``screen`` in the screen stack of any mode (shown, covered, or in a mode left)?"""
    return any(screen in stack for stack in app._screen_stacks.values())


def _retrieved(waited: asyncio.Future[object]) -> None:
    """A listing cancelled by a key (or failed: Textual reports a worker's failure) was
    waited for, not lost."""
    if not waited.cancelled():
        waited.exception()


class KeptPalette(CommandPalette):
    """Textual's command palette, kept between openings (install it; push it to open).

    Everything else is Textual's: the providers (``App.COMMANDS`` and the calling screen's),
    fuzzy highlighting, the keys, Escape, the search cancelled at each key.
    """

    def __init__(self) -> None:
        super().__init__(id=PALETTE_ID)
        self._asked = 0
        """Openings asked for (:meth:`opening`)."""
        self._begun = 0
        """Openings begun: one behind ``_asked`` when a resume is a new opening, not the
        palette uncovered again."""
        self._used = False
        """An opening has left its query, hits or providers to clear."""
        self._blinks = True
        """Whether the input's cursor blinks while the palette is open (see ``_still``)."""
        self._spins: float | None = None
        """The busy indicator's refresh interval while the palette is open."""

    def opening(self) -> KeptPalette:
        """Say that the next push is a new opening (the app calls this before pushing)."""
        self._asked += 1
        return self

    def on_mount(self) -> None:
        """The first opening: Textual's ``_on_mount`` begins it."""
        self._begun = self._asked
        self._used = True

    async def on_screen_resume(self) -> None:
        if self._begun == self._asked:
            return
        self._begun = self._asked
        await self._clear()  # (done already unless it was reopened before it saw its closing)
        self.query_one(CommandInput).cursor_blink = self._blinks
        self.query_one(LoadingIndicator).auto_refresh = self._spins
        self._used = True
        self.app.post_message(CommandPalette.Opened())
        self._calling_screen = self.app.screen_stack[-2]
        match_style = self.get_visual_style("command-palette--highlight", partial=True)
        self._providers = [
            provider_class(self._calling_screen, match_style)
            for provider_class in self._provider_classes
        ]
        for provider in self._providers:
            provider._post_init()
        # Listed before the palette is drawn (Textual draws it, then the list: a layout and
        # two frames more); the palette's messages (a key's search) wait meanwhile.
        listed = asyncio.ensure_future(self._gather_commands("").wait())
        listed.add_done_callback(_retrieved)
        await asyncio.wait([listed], timeout=LIST_WAIT_SECONDS)

    async def on_screen_suspend(self) -> None:
        """Hidden: closed if no screen stack holds it any more (not merely covered, nor
        left open in another mode's stack), so cleared now, while nobody sees it."""
        if not stacked(self.app, self):
            await self._clear()
            self._still()

    def _still(self) -> None:
        """Stop the hidden palette's timers: its input's cursor blink and its busy
        indicator's animation. A closed palette stays mounted, focus and all, so they would
        wake an idle app 18 times a second for as long as it runs, ≈ 0.5 % of a core
        (Textual's own palette is unmounted at closing, and its timers with it)."""
        field = self.query_one(CommandInput)
        self._blinks = field.cursor_blink
        field.cursor_blink = False
        indicator = self.query_one(LoadingIndicator)
        self._spins = indicator.auto_refresh
        indicator.auto_refresh = None

    async def _clear(self) -> None:
        """Forget the last opening: its search, query, hits and providers."""
        if not self._used:
            return
        self._used = False
        self._cancel_gather_commands()
        self._stop_busy_countdown()
        self._stop_no_matches_countdown()
        with self.prevent(Input.Changed):
            self.query_one(CommandInput).value = ""
        self.query_one(CommandList).clear_options()
        self._list_visible = False
        self._hit_count = 0
        self._selected_command = None
        providers, self._providers = self._providers, []
        if providers:
            await asyncio.wait([asyncio.create_task(p._shutdown()) for p in providers])
