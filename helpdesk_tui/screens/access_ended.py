"""What a terminal shows once the desk refuses its agent: nothing of the desk.

An admin deactivates (or removes) an agent whose terminal is open: the CLI already refuses
them every verb, reads included. The app learns it at its next look (the queue's watcher,
the ticket's beat, the shift's minute, any change it makes: ``Desk.agent_seen``), and puts
this screen over everything (``HelpdeskApp.refused``): when and why their access ended, the
command an admin can run, the drafts kept, ``q`` to quit (once it has shown for a moment:
a ``q`` being typed in a reply as it comes is not taken for quitting; ctrl+q at once). No
key but quitting works meanwhile, and no notice shows. The screens under it stay as they
were, unread and undrawn.

The check goes on here, by the app's clock (``CHECK_SECONDS``): one read of the agent's row,
nothing else. Reactivated, the screen goes and the agent is back where they were (the queue,
the ticket, the reply being written).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from helpdesk_tui.app_access import desk_app, every_screen
from helpdesk_tui.drafts import KeepsDraft
from helpdesk_tui.timefmt import clock_time
from helpdesk_tui.widgets.desk_header import DeskHeader
from helpdesk_tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from textual.app import App

CHECK_SECONDS = 5.0
"""How often (by the app's clock) a terminal whose access ended asks whether it is back:
one primary-key read, only while this screen shows."""
TICK_SECONDS = 1.0
"""How often the screen looks at the app's clock (no read: see ``CHECK_SECONDS``)."""

Q_AFTER_SECONDS = 2.0
"""How long (by the app's clock) the screen shows before ``q`` quits (ctrl+q at once)."""

ADMIN_CAN = "; an admin can run: "
"""Where the desk's one line (``actors.agent_actor``) turns from why to what to run."""


def ended_text(reason: str, at: datetime, kept: Iterable[str]) -> Text:
    """The screen's words: when the access ended (``at``, local time, its zone named) and
    why, in the desk's own line cut in two ("bob is deactivated", "An admin can run: …"),
    the drafts ``kept``, and that the screen goes by itself."""
    why, _, command = reason.partition(ADMIN_CAN)
    why = why.removesuffix(" on this helpdesk")
    text = Text()
    text.append(f"Your access to this helpdesk ended at {clock_time(at)}", "bold")
    text.append(f" ({why}).", "bold")
    if command:
        text.append(f"\nAn admin can run: {command}")
    for draft in kept:
        text.append(f"\n\n{draft} is kept as a draft.")
    text.append(
        "\n\nNothing of the desk is shown meanwhile. Once an admin lets you back in, this "
        "goes by itself and you are where you were."
    )
    return text


def keep_drafts(app: App[Any]) -> list[str]:
    """Save the text of every editor open in the app (every mode's screens: the composers,
    an article, a canned response being written) as its draft, now, and say which ("Your
    note on #1042", "Your new article"); blank or unchanged ones keep nothing. Also when
    the app quits (``HelpdeskApp.action_quit``) or its terminal hangs up."""
    kept = []
    for screen in every_screen(app):
        if isinstance(screen, KeepsDraft):
            try:
                said = screen.keep_draft()
            except Exception as error:  # (one editor's failure keeps none of the others
                app.log.error(f"draft not kept: {error!r}")  # from being kept)
                continue
            if said is not None:
                kept.append(said)
    return kept


class AccessEndedScreen(Screen[None]):
    """Over everything while the desk refuses this terminal's agent (``HelpdeskApp.refused``)."""

    CSS_PATH = "access_ended.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit_typed", "Quit", id="access.quit"),
        Binding("ctrl+q", "app.quit", "Quit", show=False, id="access.quit_too", priority=True),
    ]
    """(``ctrl+q`` quits too, as everywhere: in the footer once, as ``q`` — a priority
    binding, as the app's is, else the app's would show. A ``q`` quits
    only once the screen has shown for ``Q_AFTER_SECONDS``: one typed for the text being
    written as the screen came is not taken for quitting.)"""

    def __init__(self, reason: str, at: datetime, kept: list[str]) -> None:
        super().__init__()
        self.reason = reason
        self.at = at
        self.kept = kept
        self._due = at + timedelta(seconds=CHECK_SECONDS)
        self._checking = False
        self._q_from = at + timedelta(seconds=Q_AFTER_SECONDS)

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        with Vertical(id="access-ended"):
            yield Static(ended_text(self.reason, self.at, self.kept), id="access-ended-text")
        yield KeyFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.set_interval(TICK_SECONDS, self.tick)

    async def action_quit_typed(self) -> None:
        """``q``: quit, unless the screen came a moment ago (a key typed for the text)."""
        app = desk_app(self)
        if app.clock() >= self._q_from:
            await app.action_quit()

    def tell(self, reason: str) -> None:
        """The desk refuses the agent for another reason now (removed after deactivated)."""
        self.reason = reason
        if self.is_mounted:  # (else composed with it)
            text = self.query_one("#access-ended-text", Static)
            text.update(ended_text(reason, self.at, self.kept))

    def tick(self) -> None:
        """Ask the desk again once ``CHECK_SECONDS`` have passed by the app's clock."""
        if not self._checking and desk_app(self).clock() >= self._due:
            self._checking = True
            self._check()

    @work(thread=True, group="access-check", exit_on_error=False)
    def _check(self) -> None:
        """(What it finds reaches the app from the desk: ``Desk.on_agent_seen``.)"""
        app = desk_app(self)
        try:
            app.desk.agent_check()
        except Exception as error:  # (a desk away: asked again at the next check)
            app.log.warning(f"agent not checked: {error!r}")
        app.call_from_thread(self._checked)

    def _checked(self) -> None:
        self._checking = False
        self._due = desk_app(self).clock() + timedelta(seconds=CHECK_SECONDS)
