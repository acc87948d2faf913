"""The command palette (ctrl+p), composed once and shown again at every opening.

Textual's ``App.action_command_palette`` builds a new ``CommandPalette`` at each ctrl+p:
its widgets composed and mounted, the stylesheet applied to each, several layout passes —
about 50 ms of CPU and 90 ms to its first frame on a 2-core machine, of which the desk's
provider is ~3 ms. ``KeptPalette`` is installed once and pushed again: an opening only
makes the providers for the screen it opens over and lists their commands, as Textual's
``_on_mount`` does — before the palette is drawn, so it is drawn once, list and all; a
closing clears what the last opening left (its query, its hits) and shuts the providers
down, as Textual's ``_on_unmount`` does, while the palette is hidden.

An opening's list is drawn in its first frame, with ≈ 5 ms less CPU: the list stays shown
between openings (no restyle at each), keeps its measured lines when only its height
changed and its rendered lines by what they show (:class:`KeptCommandList`), Textual's
restyle of every widget of a pushed screen is skipped while the stylesheet is unchanged,
and the palette is drawn once the list and its input have told the screen their changes
(they came after its first frame: a second one).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.command import CommandInput, CommandList, CommandPalette, SearchIcon
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, LoadingIndicator

from helpdesk_tui.app_access import every_screen
from helpdesk_tui.screens.base import styled_by
from helpdesk_tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Self

    from textual.app import App, ComposeResult
    from textual.screen import Screen
    from textual.strip import Strip
    from textual.style import Style
    from textual.widget import Widget
    from textual.widgets._option_list import OptionListContent
    from textual.widgets.option_list import Option

LIST_WAIT_SECONDS = 0.05
"""An opening waits this long at most for its commands to be listed before it is drawn."""
RENDERS_KEPT = 256
"""Rendered options a palette's list keeps by what they show (a few lists' worth)."""
PALETTE_ID = "--command-palette"
"""Textual's id for its palette (its CSS and ``App.action_command_palette`` use it)."""


def stacked(app: App[Any], screen: Screen[Any]) -> bool:
    """Is ``screen`` in the screen stack of any mode (shown, covered, or in a mode left)?"""
    return any(shown is screen for shown in every_screen(app))


def _tell(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _retrieved(waited: asyncio.Future[object]) -> None:
    """A listing cancelled by a key (or failed: Textual reports a worker's failure) was
    waited for, not lost."""
    if not waited.cancelled():
        waited.exception()


class KeptCommandList(CommandList):
    """Textual's command list, whose measured lines outlive a change of its height.

    Textual's ``OptionList`` forgets its lines and their renders at every resize, and draws
    them again at the next frame; the palette's list changes height whenever its number of
    hits does, so an opening after a search (or a search) was drawn twice, the second time
    a frame later. The lines are measured for a width, not a height: they are kept when the
    width is the one they were measured at (``_measured_at``), and forgotten as Textual
    does otherwise.

    Each line of a hit is one line of the list, cut with "…": a ticket's subject may be 500
    characters, which wrapped took six of the palette's lines at 80 columns.

    The vertical scrollbar's columns are kept whether it shows or not (``scrollbar-gutter:
    stable``), so the width does not follow the number of hits: it narrowed when they
    overflowed the list's height and widened when they no longer did, and each time the
    lines were measured again. Hits listed after the palette was drawn (an opening slower
    than ``LIST_WAIT_SECONDS``, a search's hits in batches under load) were added at the
    width of the list before them, and measured again a frame later. (No horizontal
    gutter: Textual adds one to an auto height kept stable, and the list never scrolls
    sideways.)
    """

    DEFAULT_CSS = """
    KeptCommandList {
        text-wrap: nowrap;
        text-overflow: ellipsis;
        scrollbar-gutter: stable;
        scrollbar-size-horizontal: 0;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._measured_at: int | None = None
        """The content width the lines were measured at (``None``: several, or unknown)."""
        self._renders: LRUCache[tuple[object, ...], list[Strip]] = LRUCache(RENDERS_KEPT)
        """Rendered options by what they show (see ``_get_option_render``)."""

    def _width(self) -> int:
        return self.scrollable_content_region.width

    def add_options(self, new_options: Iterable[OptionListContent]) -> Self:
        if not self.options:  # (measured from the first: clear_options forgot the others)
            self._measured_at = self._width()
        elif self._measured_at != self._width():
            self._measured_at = None
        return super().add_options(new_options)

    def measure(self) -> None:
        """Measure the lines again now if the width changed since they were (the terminal
        resized while the palette was closed)."""
        if self._measured_at != self._width():
            self._clear_caches()
            self._measured_at = self._width()

    def _get_option_render(self, option: Option, style: Style) -> list[Strip]:
        """Textual's rendering of an option, kept by what it shows, not by the option object.

        Each opening lists new ``Command`` objects, so Textual's own cache (by object) never
        served one: the list's lines were rendered anew at every opening (≈ 4-6 ms of the
        first frame), the same lines as the last time. The key is all the render depends on:
        the prompt's text and styled spans (its help text's style follows the theme), the
        line style (highlighted or not), the option padding, the width, and the option's
        index (each line carries it, for a click)."""
        prompt = option.prompt
        if not isinstance(prompt, Content):
            return super()._get_option_render(option, style)
        key = (
            prompt.plain,
            tuple(prompt.spans),
            style,
            self.get_component_styles("option-list--option").padding,
            self._width(),
            self._option_to_index[option],
        )
        strips = self._renders.get(key)
        if strips is None:
            strips = super()._get_option_render(option, style)
            self._renders[key] = strips
        return strips

    def on_resize(self, event: events.Resize) -> None:
        if self._width() == self._measured_at:
            event.prevent_default()  # (OptionList._on_resize would forget them)
        else:
            self._measured_at = self._width()  # (forgotten, then measured at this width)


class KeptPalette(CommandPalette):
    """Textual's command palette, kept between openings (install it; push it to open).

    Everything else is Textual's: the providers (``App.COMMANDS`` and the calling screen's),
    fuzzy highlighting, the keys, Escape, the search cancelled at each key.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # Textual's, in the words of this app's footers (its own said "Exit the command
        # palette", "Go to bottom", "Go to top").
        Binding("escape", "escape", "Close", id="palette.close"),
        Binding("ctrl+end,shift+end", "command_list('last')", "Last", show=False),
        Binding("ctrl+home,shift+home", "command_list('first')", "First", show=False),
    ]

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
        self._styled: tuple[object, ...] = ()
        """What the palette's styles followed when they were last applied (``styled_by``)."""

    def compose(self) -> ComposeResult:
        """Textual's palette, its list a :class:`KeptCommandList`."""
        with Vertical(id="--container"):
            with Horizontal(id="--input"):
                yield SearchIcon()
                yield CommandInput(placeholder=self._placeholder, select_on_focus=False)
                if not self.run_on_select:
                    yield Button("\u25b6")
            with Vertical(id="--results"):
                yield KeptCommandList()
                yield LoadingIndicator()
        # Its keys over the screen's below (the queue's "/ Search", "f Filter", which are
        # typed into the palette while it is open).
        yield KeyFooter(show_command_palette=False)

    def opening(self) -> KeptPalette:
        """Say that the next push is a new opening (the app calls this before pushing)."""
        self._asked += 1
        return self

    def on_mount(self) -> None:
        """The first opening: Textual's ``_on_mount`` begins it."""
        self._begun = self._asked
        self._used = True
        self._styled = styled_by(self.app)

    async def on_screen_resume(self, event: events.ScreenResume) -> None:
        if self._begun == self._asked:
            return
        self._begun = self._asked
        styled = styled_by(self.app)
        if styled == self._styled:
            # Textual's ``Screen._on_screen_resume`` (after this) restyles every widget of a
            # screen pushed (≈ 2-4 ms here), for a stylesheet changed while it was hidden.
            event.refresh_styles = False
        self._styled = styled
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
        commands = self.query_one(KeptCommandList)
        if not listed.done():  # (shown when its commands come, as Textual does)
            self._list_visible = bool(commands.option_count)
        commands.measure()
        await self._posted(self.query_one(CommandInput), commands)

    async def _posted(self, *widgets: Widget) -> None:
        """Wait until each of ``widgets`` has told the screen what its changes ask for (a
        repaint, a layout): a widget does so once its own queue is idle, and the screen,
        with nothing queued, draws at once; what came later was drawn a frame later."""
        loop = asyncio.get_running_loop()
        told: list[asyncio.Future[None]] = []
        for widget in widgets:
            future: asyncio.Future[None] = loop.create_future()
            widget.call_next(_tell, future)  # (after the widget's idle, where it tells)
            told.append(future)
        await asyncio.wait(told, timeout=LIST_WAIT_SECONDS)

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
        self._hit_count = 0
        self._selected_command = None
        providers, self._providers = self._providers, []
        if providers:
            await asyncio.wait([asyncio.create_task(p._shutdown()) for p in providers])
