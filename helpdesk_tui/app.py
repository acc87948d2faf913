"""The Textual app: wires screens, global bindings and the command palette. Kept thin on purpose.

The app can start before its desk is open (``opening``): the queue then shows the first
page as the user last saw it (``queue_cache``) while a thread imports the data layer and
opens the desk, and everything that needs the desk (mail, the shift heartbeat, opening a
ticket) starts once it is there. Nothing on that path imports SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import re
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import Notification, Notify
from textual.screen import Screen

from helpdesk_tui import completion_cache, heap, queue_cache
from helpdesk_tui.commands import DeskCommands
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.errors import DeskError, DeskLoading, UnknownAgent
from helpdesk_tui.desk.kinds import utcnow
from helpdesk_tui.desk.queue_values import QueueQuery, TicketRow
from helpdesk_tui.desk.views import View, builtin_views, custom_view
from helpdesk_tui.mail_link import MailLink
from helpdesk_tui.messages import (
    AgentChecked,
    MailPolled,
    OpenTicket,
    TicketChanged,
    WorkerFailed,
)
from helpdesk_tui.safe_text import clean
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.screens.styles import screen_css_paths
from helpdesk_tui.start_settings import StartSettings, start_of
from helpdesk_tui.stylesheet import KeptStylesheet
from helpdesk_tui.typing_ahead import TypingAhead

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel
    from textual.worker import Worker

    from helpdesk_tui.config import Settings
    from helpdesk_tui.desk.facade import Desk
    from helpdesk_tui.desk.service import Database
    from helpdesk_tui.drafts import DraftKind
    from helpdesk_tui.screens.drafts import EditorDraftRef
    from helpdesk_tui.screens.help import KeyHelp
    from helpdesk_tui.screens.palette import KeptPalette

Opening = Callable[[], "tuple[Database, Actor]"]
"""Opens the desk (imports the data layer, checks the schema) in a thread: its database and
the agent running the app."""

HEAP_SETTLE_SECONDS = 2.0
"""After start-up, this long: the objects made so far (modules, classes, the screens) are
collected once and then frozen out of the garbage collector's sight (``gc.freeze``). They
live as long as the app, yet a full collection walked all of them — about 140,000 objects,
40 to 60 ms with the app stopped — at random keys. Only where the app has its process to
itself (``HelpdeskApp.settle_heap_after``): freezing is for the whole process."""
OPENING_WAIT = 10
"""At most this many refreshes wait for the first screen to be drawn whole (a screen
with something always moving never is) before the desk is opened."""
_AREAS = frozenset({"mail", "reports", "kb"})
"""The app's actions that take the agent to another area (``check_action``)."""
_FUNCTION_KEY = re.compile(r"f[0-9]{1,2}")
"""A function key as Textual displays it (``get_key_display``)."""
TERMINAL_WATCH_SECONDS = 0.5
"""How often the app asks whether its terminal is still there (``_watch_terminal``)."""

LEAVE_SECONDS = 2.0
"""How long quitting waits for this terminal's presence markers to go. A locked or
unreachable database cannot hold the terminal longer: the markers then expire by themselves.
``HELPDESK_LEAVE_SECONDS`` sets another wait (:func:`leave_seconds`)."""
LEAVE_SECONDS_VARIABLE = "HELPDESK_LEAVE_SECONDS"


def leave_seconds() -> float:
    """How long this leave waits for the markers to go: the positive number of seconds in
    ``HELPDESK_LEAVE_SECONDS`` (a slow database's site; the tests that run the real program
    and read the markers after it ended), else :data:`LEAVE_SECONDS` (also for a value that
    is not one, as ``HELPDESK_CLI_SERVER_IDLE`` is read: a leave has no one to tell)."""
    try:
        value = float(os.environ.get(LEAVE_SECONDS_VARIABLE, LEAVE_SECONDS))
    except ValueError:
        return LEAVE_SECONDS
    return value if 0 < value < float("inf") else LEAVE_SECONDS


def _read_renamed_characters() -> None:
    """Teach Textual the characters of the keys it renames (``at`` is COMMERCIAL AT, ``slash``
    SOLIDUS, ``minus``, ``plus``, ``underscore``, ``backslash``).

    Textual 8 leaves an app key out of a screen's binding chain where the focused text field
    would type it, but reads the key's character by the short name, which has none: it
    missed that a TextArea types "@", and the app's priority ``@`` (Mail) took it out of
    the composer. Only ``textual.keys.key_to_character`` reads the table by these names."""
    import unicodedata

    from textual import keys

    for short, long in keys.REPLACED_KEYS.items():
        name = keys.KEY_TO_UNICODE_NAME.get(long, long.replace("_", " ").upper())
        with contextlib.suppress(KeyError):
            unicodedata.lookup(name)
            keys.KEY_TO_UNICODE_NAME.setdefault(short, name)


_read_renamed_characters()


class HelpdeskApp(App[None]):
    """One agent's terminal on the desk."""

    settle_heap_after: float | None = None
    """Seconds after the desk is open to settle the heap (:meth:`settle_heap`); set by the
    command that runs the app in a process of its own. None (the default, as in tests that
    run many apps in one process): never, as ``gc.freeze`` acts on the whole process."""

    collect_after_first_paint = False
    """The command paused the cyclic garbage collector for the first paint (the objects
    made meanwhile are the screen's, and live on): it runs again once that is drawn."""

    CSS_PATH: ClassVar = [Path(__file__).with_name("app.tcss"), *screen_css_paths()]
    """The app's CSS and every screen's, read at once (``screens/styles.py``)."""
    COMMANDS: ClassVar = App.COMMANDS | {DeskCommands}
    MODES: ClassVar = {
        "queue": QueueScreen,
        "reports": "reports",
        "kb": lambda: _kb_screen(),
    }
    SCREENS: ClassVar = {"reports": lambda: _reports_screen()}
    DEFAULT_MODE: ClassVar[str] = "queue"
    BINDINGS: ClassVar[list[BindingType]] = [
        # (priority: a modal screen ends the binding chain at itself, so the app's keys
        # never reach it; ctrl+q must quit from the composer and the editors too, F1 show
        # the keys of any screen. A text field with the focus still types ? and @: Textual
        # leaves a key it takes out of the chain. Where F3, F4 and @ work: check_action.)
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding("question_mark,f1", "help", "Keys", id="app.help", priority=True),
        Binding("at", "mail", "Mail", show=False, id="app.mail", priority=True),
        Binding("f4", "reports", "Reports", show=False, id="app.reports", priority=True),
        Binding("f3", "kb", "Knowledge base", show=False, id="app.kb", priority=True),
    ]

    def __init__(
        self,
        *,
        settings: Settings | None,
        db: Database | None,
        actor: Actor,
        clock: Callable[[], datetime] = utcnow,
        opening: Opening | None = None,
        kept: queue_cache.KeptPage | None = None,
        start: StartSettings | None = None,
        load_settings: Callable[[], Settings] | None = None,
    ) -> None:
        """``db`` None: the desk is opened by ``opening`` once the first screen is drawn
        (``actor`` is then who runs the app, by login, until the desk says more).

        ``settings`` None: the first screen is drawn from ``start`` (the values a start
        needs, as last validated: ``start_settings``) and ``load_settings`` reads them whole
        in the opening thread, before the desk is opened."""
        super().__init__()
        if start is None:
            assert settings is not None
            start = start_of(settings)
        elif settings is None:
            assert load_settings is not None and opening is not None
        self._settings = settings
        self._load_settings = load_settings
        self.start = start
        """What the first screen is drawn with (the title, theme, keys, saved views)."""
        self.db = db
        self.actor = actor
        """This terminal's agent as the desk last had them: a write reads them again (their
        role may change while the app runs: ``AgentChecked``)."""
        self.refused: str | None = None
        """Why the desk refuses this agent now (deactivated or removed while the app runs):
        while it is set, one screen covers everything (``screens.access_ended``)."""
        self.clock = clock
        self._desk: Desk | None = None
        if db is not None:
            self._desk = _new_desk(db, actor, clock)
        self._opening = opening
        self.kept = kept
        """The first page as last seen (``queue_cache``), shown until the live one comes."""
        self.idle_collector = heap.IdleCollector()
        """Told of every key, click and paste; collects in pauses once the heap settles."""
        self.open_error: BaseException | None = None
        """Why the desk could not be opened (the app has then exited): the CLI says it."""
        self._when_live: list[Callable[[], None]] = []
        self.typing_ahead = TypingAhead(self)
        """Hands the terminal's keys on one after the other, each to the screen it was
        typed for (``typing_ahead``)."""
        self._desk_opened = asyncio.Event()
        """Set once the desk is open and what waited for it ran (``_go_live``)."""
        self._desk_wait: Worker[None] | None = None
        """Waits for ``_desk_opened``: the keys typed behind an action that waits for the
        desk to open a screen wait for it (``_later``, ``typing_ahead.wait_for``). None:
        no such action was asked for."""
        self._list_hints: list[Notification] = []
        """Notices withdrawn when a ticket opens (``notify(list_hint=True)``)."""
        self._leaving = False
        """Quit was asked for: a desk opened after that is not used (the CLI closes it)."""
        self._on_hangup = False
        """SIGHUP is the app's (``hung_up``) while it runs in a terminal, SIGTERM too
        (``terminated``)."""
        self._terminal_watch = threading.Event()
        """Set: the app ends, ``_watch_terminal`` with it."""
        self.desk_jobs = False
        """Run the desk's SLA pass here even when mail does not run here (``MailLink``): the
        CLI's app does; the tests' apps run it only when a test asks (it reads the app's
        clock, and its alerts on the seeded tickets would move their snapshots)."""
        self.ended_by: signal.Signals | None = None
        """The signal that ended the app (SIGTERM), if one did: the CLI ends the process by
        it once the terminal is given back (``cli.tui``), as its parent expects."""
        self.kept_on_quit: list[str] = []
        """What quitting kept as drafts ("Your new article"): the CLI says so once the
        terminal is back (``cli.tui``)."""
        self.end_on_hangup: Callable[[], None] = partial(end_by_signal, signal.SIGHUP)
        """How the process ends once the drafts are kept on SIGHUP (tests replace it)."""
        self._left = False
        """This terminal's markers were removed (or tried: ``LEAVE_SECONDS``) already."""
        self.presence_lock = threading.Lock()
        """Held while this terminal writes or removes its presence markers (a ticket's beat,
        a leave): a beat under way as the agent leaves the ticket or the desk is written
        before the markers go, and a later one writes nothing (``presence_leave``,
        ``TicketScreen._heartbeat``). A beat that committed after the removal left a marker
        ("ada is replying") until it expired."""
        self.left_problem: str | None = None
        """Why this terminal's presence markers were not removed on leaving (one line, said
        by the CLI once the terminal is back); None: removed, or nothing to remove."""
        self.session_id = uuid.uuid4().hex
        """Identifies this terminal in presence rows, so two terminals of one agent differ."""
        self.title = (kept and kept.desk_name) or clean(self.start.desk_name, single_line=True)
        """The desk's name: its own as kept with the first page (``queue_cache``) until the
        desk is open and says it (``_name_desk``), else the config's ``desk_name``."""
        self.sub_title = clean(actor.name, single_line=True)
        self.views, self.config_problems = _views(self.start, actor)
        self.mail_link = MailLink(self)
        """Runs mail in this terminal when configured; holds the state the screens show."""
        self._palette: KeptPalette | None = None
        """The command palette, composed at its first opening and kept (``screens.palette``)."""
        self.theme = self.start.theme
        self.stylesheet = KeptStylesheet(variables=self.get_css_variables())
        """Parsed once at start, with the theme's variables (``stylesheet``)."""
        if self.start.keymap:
            from helpdesk_tui.keymap import binding_keys, check_keymap

            check_keymap(self.start.keymap, binding_keys([type(self)]))
            self.set_keymap(self.start.keymap)

    @property
    def settings(self) -> Settings:
        """The settings, whole (mail, limits, the knowledge base's address…).

        Raises :class:`DeskLoading` until they are read, with the desk (``live``)."""
        if self._settings is None:
            raise DeskLoading("the settings are still loading")
        return self._settings

    @cached_property
    def command(self) -> str:
        """How hints name this program: ``helpdesk`` where that name on the PATH is this
        program, else its own path (``program.command_name``), found when a hint first
        needs it, not on the way to the first paint."""
        from helpdesk_tui.program import command_name

        return command_name()

    @property
    def desk(self) -> Desk:
        """The facade every screen calls; screens never open sessions themselves.

        Raises :class:`DeskLoading` while the desk is being opened (see ``live``)."""
        if self._desk is None:
            raise DeskLoading("the desk is still loading")
        return self._desk

    @property
    def live(self) -> bool:
        """The desk is open: pages shown from here on are read from it."""
        return self._desk is not None

    def when_live(self, action: Callable[[], None]) -> None:
        """Run ``action`` now if the desk is open, else as soon as it is."""
        if self.live:
            action()
        else:
            self._when_live.append(action)

    def _later(self, action: Callable[[], None], what: str, *, screen: bool = True) -> bool:
        """While the desk is loading: ``action`` waits for it (True); False once it is open.

        ``action`` opens a screen (``screen``): the keys typed behind it wait for the desk
        as for any screen that opens (``typing_ahead.wait_for``: in order, at most
        ``STALL_SECONDS`` without one going on, then a line says so), and go to that screen
        once it is ready, not to the queue below. A click meanwhile is dropped: it was
        aimed at the screen below (a row, a footer key), which the one asked for is about to
        cover, and given to that one it would land on whatever is there. A key that asks
        for another such action (``@`` behind F4) goes to the first screen and does what it
        does there, as with the desk open. One asked for otherwise (the palette) waits
        behind the first and runs after it.
        """
        if self.live:
            return False
        self.notify(f"{what} once the desk is loaded", markup=False)
        self._when_live.append(action)
        if screen:
            if self._desk_wait is None:
                self._desk_wait = self.run_worker(
                    self._until_opened, group="desk-wait", exit_on_error=False
                )
            self.typing_ahead.wait_for(self._desk_wait)
        return True

    async def _until_opened(self) -> None:
        await self._desk_opened.wait()

    def on_mount(self) -> None:
        self.typing_ahead.start()
        if not self.is_headless:  # (a terminal closed: the text being written is kept)
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop = asyncio.get_running_loop()
                loop.add_signal_handler(signal.SIGHUP, self.hung_up)
                loop.add_signal_handler(signal.SIGTERM, self.terminated)
                self._on_hangup = True
                self._start_terminal_watch(loop)
        for problem in self.config_problems:
            self.notify(problem, title="Config", severity="warning", markup=False)
        if self.live:
            self._go_live()
        else:
            # After the first screen is drawn: the import would slow down the drawing.
            self.call_after_refresh(self._start_opening)

    def _start_opening(self, waited: int = 0) -> None:
        """Open the desk in a thread once the first screen is drawn whole.

        A refresh can leave more to draw (a layout asked for by the first one, as widgets
        get their sizes): the thread's imports would hold that up, so it waits for a
        refresh that leaves nothing to do, for at most ``OPENING_WAIT`` refreshes."""
        screen = self.screen
        pending = (
            screen._layout_required
            or screen._repaint_required
            or screen._recompose_required
            or screen._dirty_widgets
        )
        if pending and waited < OPENING_WAIT:
            self.call_after_refresh(self._start_opening, waited + 1)
            return
        if self.collect_after_first_paint:
            gc.enable()
        self.run_worker(self._open_desk, thread=True, group="opening", exit_on_error=False)

    def _open_desk(self) -> None:
        assert self._opening is not None
        try:
            settings = self._settings
            if settings is None:
                assert self._load_settings is not None
                settings = self._load_settings()
            db, actor = self._opening()
            desk = _new_desk(db, actor, self.clock)
        except Exception as error:  # said by the CLI once the app is gone, as on a cold start
            if isinstance(error, UnknownAgent):
                # The page just shown is shown no more: forgotten here, not by the app's
                # callback, which an agent who quit before the refusal came never runs
                # (their next start showed the desk's tickets again).
                queue_cache.forget()
            self._answer(self._not_opened, error)
            return
        self._answer(self._opened, settings, db, actor, desk)

    def _answer(self, callback: Callable[..., None], *args: object) -> None:
        """Hand the opening's outcome to the app, unless the agent quit meanwhile (the CLI
        closes the database either way)."""
        with contextlib.suppress(RuntimeError):  # the app is no longer running
            self.call_from_thread(callback, *args)

    def _not_opened(self, error: BaseException) -> None:
        self.open_error = error
        self.exit(return_code=1)

    def _opened(self, settings: Settings, db: Database, actor: Actor, desk: Desk) -> None:
        if self._leaving:
            return
        self._settings = settings
        self.db, self.actor, self._desk = db, actor, desk
        self._go_live()

    def _go_live(self) -> None:
        """The desk is open: mail, names for completion, the shift, and what waited for it."""
        from helpdesk_tui.desk.assignment import SHIFT_HEARTBEAT

        self.desk.on_agent_seen = self._agent_seen
        self.mail_link.start()
        self.run_worker(self._remember_names, thread=True, group="names", exit_on_error=False)
        self._name_desk()
        self._on_shift()
        self.set_interval(SHIFT_HEARTBEAT.total_seconds(), self._on_shift)
        self.set_interval(SHIFT_HEARTBEAT.total_seconds(), self._name_desk)
        if self.settle_heap_after is not None:
            self.set_timer(self.settle_heap_after, self.settle_heap)
        waiting, self._when_live = self._when_live, []
        try:
            for action in waiting:
                action()
        finally:  # (the keys behind an action that failed go on, not after STALL_SECONDS)
            self._desk_opened.set()

    def keep_first_page(self, view: View, query: QueueQuery, rows: list[TicketRow]) -> None:
        """Keep the queue's first page for the next start (``queue_cache``), in a thread."""
        if self.db is None:
            return
        sqlite_path, now = self.db.sqlite_path, self.clock()

        def keep() -> None:
            try:  # (the desk's own name, kept with the page: the next start's first title)
                named = self.desk.desk_name_view(self.start.desk_name)
            except DeskError as error:  # the screens say if the desk is away
                self.log.warning(f"first page not kept: {error}")
                return
            try:
                queue_cache.keep(
                    url=self.start.database_url,
                    login=self.actor.name,
                    sqlite_path=sqlite_path,
                    view=view.name,
                    query=query,
                    rows=rows,
                    as_of=now,
                    desk_name=named.name if named.own is not None else None,
                )
            except OSError as error:  # a cache: the next start shows "loading…" instead
                self.log.warning(f"first page not kept: {error}")

        self.run_worker(keep, thread=True, group="keep-page", exit_on_error=False)

    def settle_heap(self) -> None:
        """Collect start-up's garbage once, keep what is left out of later collections for
        the rest of the process (``HEAP_SETTLE_SECONDS``), and from then on collect in the
        agent's pauses rather than under their keys (:mod:`helpdesk_tui.heap`)."""
        heap.settle()
        self.set_interval(heap.IDLE_CHECK_SECONDS, self.idle_collector.tick)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.idle_collector.input_seen()
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            await self._typed(event)
            return
        clicked = isinstance(event, events.MouseDown | events.MouseUp | events.Click)
        if clicked and self._desk_wait is not None and not self.live and not event.is_forwarded:
            return  # (a click meanwhile: on the screen below, about to be covered; dropped)
        await super().on_event(event)

    async def _typed(self, event: events.Key | events.Paste) -> None:
        """A key or a paste from the terminal: handled once the one before it has made its
        way and the screen on top is ready (``typing_ahead``)."""
        if self.typing_ahead.waits(event):
            return
        target = self.focused or self.screen
        try:
            await super().on_event(event)
        finally:
            self.typing_ahead.sent(target)

    def _name_desk(self) -> None:
        """The title says the desk's name as an admin set it for everyone (``helpdesk desk
        name``), read once the desk is open and again at each shift beat; until then, and
        on a desk never named, the config's ``desk_name``."""

        def read() -> None:
            try:
                name = self.desk.desk_name(self.start.desk_name)
            except DeskError as error:  # the screens say if the desk is away
                self.log.warning(f"the desk's name not read: {error}")
                return
            with contextlib.suppress(RuntimeError):  # the app is no longer running
                self.call_from_thread(setattr, self, "title", clean(name, single_line=True))

        self.run_worker(read, thread=True, group="desk-name", exclusive=True, exit_on_error=False)

    def _remember_names(self) -> None:
        """Agents, teams and tags for shell completion (``completion_cache``), as of now."""
        try:
            names = self.desk.completion_names()
            sqlite_path = self.db.sqlite_path if self.db is not None else None
            completion_cache.remember(names.by_kind(), sqlite_path=sqlite_path)
        except (DeskError, OSError) as error:  # a cache: the screens say if the desk is away
            self.log.warning(f"names for shell completion not kept: {error}")

    def _on_shift(self) -> None:
        """A running terminal keeps its agent on shift for automatic assignment (not while
        the desk refuses the agent: the screen over everything asks instead)."""
        if self.refused is None:
            self.run_worker(self._beat_shift, thread=True, group="shift", exit_on_error=False)

    def _beat_shift(self) -> None:
        """(Each beat reads the agent again: on any screen, a deactivation or a new role
        shows within a beat.)"""
        try:
            self.desk.shift_heartbeat()
        except UnknownAgent:
            pass  # (the desk told _agent_checked)
        except DeskError as error:  # a locked or unreachable database: the next beat retries
            self.log.warning(f"shift heartbeat not recorded: {error}")

    def _agent_seen(self) -> None:
        """(Any thread: the desk read this terminal's agent again.)"""
        self.post_message(AgentChecked())

    @on(AgentChecked)
    def _agent_checked(self) -> None:
        """The desk's latest word on this terminal's agent (``Desk.agent_seen``), the one
        gate of what the app shows: refused (deactivated, removed), a screen over everything
        says so and nothing of the desk shows or answers a key until an admin lets the
        agent back in (``screens.access_ended``); a new role's keys come and go."""
        seen = self.desk.agent_seen if self.live else None
        if seen is None or (seen.refused, seen.actor.role) == (self.refused, self.actor.role):
            return
        was, self.refused, self.actor = self.refused, seen.refused, seen.actor
        if seen.refused is not None:
            self._access_ended(seen.refused)
        elif was is not None:
            self._access_back()
            self.notify(f"{seen.actor.name} may use this helpdesk again", markup=False)
        else:
            self.notify(
                f"{seen.actor.name} is now {seen.actor.role} on this helpdesk",
                title="Role changed",
                markup=False,
            )
        self.screen.refresh_bindings()

    def _access_ended(self, reason: str) -> None:
        """Cover everything (once; a new reason is told on the same screen): the drafts
        being written are kept first, the notices on screen go, and so does the queue's
        page kept for the next start (``queue_cache``); mail stops running here."""
        from helpdesk_tui.screens.access_ended import AccessEndedScreen, keep_drafts

        covers = [s for s in self.screen_stack if isinstance(s, AccessEndedScreen)]
        if covers:
            covers[-1].tell(reason)
            return
        kept = keep_drafts(self)
        queue_cache.forget()  # (nor at the next start)
        self.mail_link.pause()  # (no mail polled or sent from here: ``_access_back``)
        self.clear_notifications()
        self.push_screen(AccessEndedScreen(reason, self.clock(), kept))

    def _access_back(self) -> None:
        """Take the cover away: the screens under it show again, as they were left, and
        mail runs here again."""
        from helpdesk_tui.screens.access_ended import AccessEndedScreen

        stack = self.screen_stack
        covers = [i for i, s in enumerate(stack) if isinstance(s, AccessEndedScreen)]
        if covers:
            for _ in range(len(stack) - covers[0]):  # (and anything put over it since)
                self.pop_screen()
        self.mail_link.resume()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the desk refuses this terminal's agent, quitting is the app's one key.

        Mail, reports and the knowledge base (@, F4, F3) leave a modal screen only where
        text is being written (the composer, the editors: their text is kept as a draft as
        they are covered, and they are there on the way back); a question, a picker, the
        palette or the key help is answered or closed first (their keys are not shown)."""
        if self.refused is not None:
            return action == "quit"
        if action in _AREAS and self.screen.is_modal:
            from helpdesk_tui.drafts import KeepsDraft

            return isinstance(self.screen, KeepsDraft)
        return True

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
        list_hint: bool = False,
    ) -> None:
        """A notice, unless the desk refuses this terminal's agent: then nothing of the
        desk shows, not even in a notice (a ticket's subject, a customer's words).

        ``list_hint``: a hint about the list on screen (the queue's "Nothing open is assigned
        to you…"), withdrawn when a ticket opens: it does not stay over the ticket."""
        if self.refused is not None:
            self.log.info(f"notice not shown (access ended): {title} {message}")
            return
        if not list_hint:
            super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)
            return
        seconds = self.NOTIFICATION_TIMEOUT if timeout is None else timeout
        hint = Notification(message, title, severity, seconds, markup=markup)
        self._list_hints.append(hint)
        self.post_message(Notify(hint))

    def _withdraw_list_hints(self) -> None:
        hints, self._list_hints = self._list_hints, []
        for hint in hints:
            if hint in self._notifications:
                # Textual's own way (a toast clicked away); no public call removes one notice.
                self._unnotify(hint)

    async def on_unmount(self) -> None:
        """However the app ends, this terminal's markers go (ctrl+q, a hang-up and a crash
        remove them first: then not again)."""
        self._terminal_watch.set()
        if self._on_hangup:
            loop = asyncio.get_running_loop()
            loop.remove_signal_handler(signal.SIGHUP)
            loop.remove_signal_handler(signal.SIGTERM)
        if self.live and not self._left:
            await self._leave_desk()
        self.mail_link.stop_now()

    def _leave_in_thread(self, finished: Callable[[BaseException | None], None]) -> None:
        """Remove this terminal's presence markers and end its shift, in a daemon thread
        (not the loop's executor: a thread stuck on a lock must not hold up the
        interpreter's exit either); ``finished`` is called there with the error, if any."""
        self._left = True

        def leave() -> None:
            error: BaseException | None = None
            try:
                self.presence_leave()
                self.desk.shift_end()
            except Exception as caught:  # reported by whoever still waits
                error = caught
            finished(error)

        threading.Thread(target=leave, name="presence-leave", daemon=True).start()

    @property
    def leaving(self) -> bool:
        """This terminal leaves the desk (quit, hang-up, crash): no more presence beats."""
        return self._left

    def presence_leave(self) -> None:
        """Remove this terminal's presence markers, once a beat under way has been written
        (``presence_lock``). Blocking: call it in a thread.

        The lock is not held while the markers are removed: a beat that comes after the
        leave began writes nothing (it sees the screen or the app leaving), and it must not
        wait for the removal either. It did: on a database that does not answer, the beat
        due next waited for the leave's lock as long as the database held the leave
        (SQLite's busy timeout, 30 s), long after the app had given up on it
        (``LEAVE_SECONDS``), and the process, which waits for the loop's executor threads
        as it exits, waited with it."""
        with self.presence_lock:
            pass
        self.desk.presence_leave(self.session_id)

    async def _leave_desk(self) -> None:
        """Remove this terminal's presence markers off the event loop, waiting at most
        ``LEAVE_SECONDS`` (the database's busy timeout is far longer)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def finished(error: BaseException | None) -> None:
            if done.done():
                return
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)

        def answer(error: BaseException | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
                loop.call_soon_threadsafe(finished, error)

        wait = leave_seconds()
        self._leave_in_thread(answer)
        try:
            await asyncio.wait_for(asyncio.shield(done), wait)
        except TimeoutError:
            self._not_left(None, wait)
        except Exception as error:
            self._not_left(error, wait)

    def leave_desk_now(self) -> None:
        """Remove this terminal's presence markers now, blocking, for at most
        ``LEAVE_SECONDS``: the app ends without its loop (a hang-up, a crash), and a
        database that does not answer cannot hold that up (``left_problem`` says so)."""
        if not self.live or self._left:
            return
        done = threading.Event()
        errors: list[BaseException | None] = []

        def finished(error: BaseException | None) -> None:
            errors.append(error)
            done.set()

        wait = leave_seconds()
        self._leave_in_thread(finished)
        if not done.wait(wait):
            self._not_left(None, wait)
        elif errors[0] is not None:
            self._not_left(errors[0], wait)

    def _not_left(self, error: BaseException | None, waited: float) -> None:
        """The markers were not removed (``error`` None: not within the ``waited`` seconds):
        one line for the terminal once it is back (``cli.tui``), and the log."""
        from helpdesk_tui.desk.presence import PRESENCE_TTL

        why = (
            f"the database did not answer within {waited:g} s"
            if error is None
            else clean(self.failure_text(error), single_line=True)
        )
        self.left_problem = (
            f"Your viewing/replying markers were not removed ({why}); "
            f"they expire by themselves within {PRESENCE_TTL.total_seconds():g} s."
        )
        self.log.warning(self.left_problem)

    def action_away(self, away: bool = True) -> None:
        """Away: no tickets are assigned to this agent automatically (back: they are again)."""
        if self._later(lambda: self.action_away(away), "Away" if away else "Back", screen=False):
            return
        change = self.desk.shift_away if away else self.desk.shift_back
        self.run_worker(change, thread=True, group="shift", exit_on_error=False)
        said = "Away: no tickets are assigned to you automatically" if away else "Back on shift"
        self.notify(said, title="Shift", markup=False)

    @property
    def queue(self) -> QueueScreen:
        """The queue screen (always at the bottom of the stack)."""
        return next(s for s in self.screen_stack if isinstance(s, QueueScreen))

    # -- tickets ----------------------------------------------------------------------------

    def open_ticket(self, number: int, *, compose: DraftKind | None = None) -> None:
        """Show ticket ``number``; from a ticket screen, it takes that screen's place.

        ``compose`` opens that kind of composer (with its kept draft) once the ticket shows.
        While the desk is loading, the ticket opens as soon as it is there.
        """
        if self._later(lambda: self.open_ticket(number, compose=compose), f"Opening #{number}"):
            return
        from helpdesk_tui.screens.ticket import TicketScreen

        self._withdraw_list_hints()
        if isinstance(self.screen, TicketScreen):
            self.switch_screen(TicketScreen(number, compose=compose))
        else:
            self.push_screen(TicketScreen(number, compose=compose))

    @on(OpenTicket)
    def _open_ticket(self, message: OpenTicket) -> None:
        self.open_ticket(message.number)

    @on(TicketChanged)
    def _ticket_changed(self) -> None:
        if self.current_mode == "queue":
            self.queue.refresh_now()

    def neighbour_ticket(self, number: int, step: int) -> int | None:
        """The ticket ``step`` places after (negative: before) ``number`` in the queue as shown.

        A keyset query in the queue's current view, filter, search and sort; it blocks, so
        call it from a thread worker.
        """
        return self.desk.neighbour(self.queue.query_spec, number, step)

    def action_drafts(self) -> None:
        """List this agent's kept drafts (replies, notes, call logs, articles, canned
        responses); the one picked opens in its editor: its ticket's composer, the article
        editor, the canned-response editor."""
        if self._later(self.action_drafts, "Your drafts show"):
            return
        from helpdesk_tui.screens.drafts import DraftsScreen, TicketDraftRef, parse_draft_value

        def picked(value: str | None) -> None:
            draft = parse_draft_value(value or "")
            if isinstance(draft, TicketDraftRef):
                self.open_ticket(draft.number, compose=draft.kind)
            elif draft is not None:
                self.open_editor_draft(draft)

        self.push_screen(DraftsScreen(), picked)

    def open_editor_draft(self, ref: EditorDraftRef) -> None:
        """Open the editor of a kept article or canned response (``item`` None: a new
        one's), which offers the draft back; where that editor is open already, there. An
        unclaimed draft (written before drafts knew their desk) is not opened: said how to
        adopt it."""
        from helpdesk_tui.drafts import unclaimed_note
        from helpdesk_tui.screens.drafts import open_in_editor

        kind, item = ref.kind, ref.item
        if ref.unclaimed:
            self.notify(unclaimed_note(kind, item), severity="warning", markup=False, timeout=10)
            return
        if open_in_editor(self, ref):
            if kind == "kb" and self.current_mode != "kb":
                self.switch_mode("kb")
            else:
                self.notify("That draft is open in its editor already", markup=False)
            return
        if kind == "kb":
            from helpdesk_tui.screens.kb import KbScreen
            from helpdesk_tui.screens.kb_edit import KbEditScreen

            self.switch_mode("kb")
            if isinstance(self.screen, KbEditScreen):  # (another article, left open there)
                self.notify(
                    "Finish the article being written first (ctrl+s saves, Esc closes)",
                    severity="warning",
                    markup=False,
                )
                return
            screen = self.screen_stack[0]
            assert isinstance(screen, KbScreen)
            screen.edit_draft(item)
        else:
            from helpdesk_tui.screens.canned_manager import CannedManagerScreen

            self.push_screen(CannedManagerScreen(editing=item, edit_draft=True))

    # -- mail ---------------------------------------------------------------------------------

    @on(MailPolled)
    def _mail_polled(self, message: MailPolled) -> None:
        self.mail_link.polled(message)

    def action_mail(self) -> None:
        """Show the mail screen: poller and outbox state, quarantine and spam."""
        if self._later(self.action_mail, "Mail shows"):
            return
        from helpdesk_tui.screens.mail import MailScreen

        if not isinstance(self.screen, MailScreen):
            self.push_screen(MailScreen())

    # -- reports ------------------------------------------------------------------------------

    def action_reports(self) -> None:
        """Switch to the reports mode, or from there back to the queue (as it was left)."""
        if self._later(self.action_reports, "Reports show"):
            return
        if self.current_mode == "reports":
            self.switch_mode("queue")
            self.queue.refresh_now()
        else:
            self.switch_mode("reports")

    # -- knowledge base ------------------------------------------------------------------

    def action_kb(self) -> None:
        """Switch to the knowledge base (from it: back to the queue, as it was left)."""
        if self._later(self.action_kb, "The knowledge base shows"):
            return
        self.switch_mode("queue" if self.current_mode == "kb" else "kb")

    def open_article(self, article_id: int) -> None:
        """Show one article on the knowledge-base screen (the palette's "KB: …" entries)."""
        from helpdesk_tui.screens.kb import KbScreen

        self.switch_mode("kb")
        screen = self.screen_stack[0]  # under an article editor left open there, if any
        assert isinstance(screen, KbScreen)
        screen.open_article(article_id)

    # -- failures, help, palette -------------------------------------------------------------

    @on(WorkerFailed)
    def _worker_failed(self, message: WorkerFailed) -> None:
        error = message.worker.error
        if isinstance(error, UnknownAgent):  # (deactivated meanwhile: _agent_checked covers up)
            return
        self.log.error(f"worker {message.worker.name} failed", error)
        text = self.failure_text(error)
        self.notify(text, title="Could not load", severity="error", markup=False)

    def failure_text(self, error: BaseException | None) -> str:
        """What an agent reads about a failure: a desk refusal as it is; for anything else, the
        desk files this login cannot use (and the fix) if that is the cause, else the error
        with any database password masked."""
        if isinstance(error, DeskError) or not self.live:
            return str(error)
        return self.desk.failure_text(error)

    def action_help(self) -> None:
        # (not needed for the first paint)
        from helpdesk_tui.screens.help import HelpScreen, help_title

        if isinstance(self.screen, HelpScreen):  # (the key that opens it closes it)
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen(help_title(self.screen), self.key_help()))

    def get_key_display(self, binding: Binding) -> str:
        """As Textual shows a key ("^r", "esc", "?"), but a function key as the hints and
        the README name it: "F1", where Textual's footer and key help said "f1"."""
        shown = super().get_key_display(binding)
        return shown.upper() if _FUNCTION_KEY.fullmatch(shown) else shown

    def key_help(self) -> list[KeyHelp]:
        """Every key active on the current screen (shown in the footer or not), grouped.

        The desk's own keys (each has a binding id) first; stock widget keys without an id,
        such as a scroll view's, after them with the id left blank: only ids remap in
        ``[ui.keymap]``, so an action name there would mislead.
        """
        from helpdesk_tui.app_access import working_bindings
        from helpdesk_tui.screens.help import KeyHelp

        grouped: dict[tuple[str | None, str, str], list[str]] = {}
        actives = working_bindings(self.screen).values()
        for active in sorted(actives, key=lambda active: active.binding.id is None):
            binding = active.binding
            if not binding.description:
                continue
            description = binding.description
            if isinstance(self.screen, QueueScreen):
                description = self.screen.key_description(binding)
            what = (binding.id, binding.action, description)
            keys = grouped.setdefault(what, [])
            shown = self.get_key_display(binding)
            if shown not in keys:
                keys.append(shown)
        return [
            KeyHelp(", ".join(keys), description, ident or "")
            for (ident, _action, description), keys in grouped.items()
        ]

    def action_command_palette(self) -> None:
        """The kept palette (Textual builds a new one at each opening: ~50 ms of CPU); a
        new one only when the kept one is open in another mode's stack."""
        from textual.command import CommandPalette

        from helpdesk_tui.screens.palette import PALETTE_ID, KeptPalette, stacked

        if not self.use_command_palette or isinstance(self.screen, CommandPalette):
            return
        if self._palette is None:
            self._palette = KeptPalette()
            self.install_screen(self._palette, name=PALETTE_ID)
        elif stacked(self, self._palette):  # (no id: two screens with one id cannot mount)
            self.push_screen(CommandPalette())
            return
        self.push_screen(self._palette.opening())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Mail", "Mail state, quarantine and spam (@)", self.action_mail)
        yield SystemCommand(
            "Drafts",
            "Your unsent replies, notes, call logs, articles and canned responses",
            self.action_drafts,
        )
        yield SystemCommand(
            "Canned responses", "List, add, edit and delete canned responses", self.action_canned
        )
        yield SystemCommand(
            "Desk settings: SLA, calendars, tiers, routing, surveys",
            "SLA policies, calendars, tiers and escalation, the routing rules, surveys (D)",
            self.action_desk_settings,
        )
        yield SystemCommand(
            "Reports",
            "Volume, response times, SLA, agents, satisfaction (F4)",
            self.action_reports,
        )
        yield SystemCommand(
            "Knowledge base",
            "Search, read and write articles (F3)",
            self.action_kb,
        )
        yield SystemCommand(
            "Away", "Take no automatically assigned tickets", lambda: self.action_away(True)
        )
        yield SystemCommand(
            "Back", "Take automatically assigned tickets again", lambda: self.action_away(False)
        )
        if isinstance(screen, DeskScreen):  # (a ticket's actions; asked without importing
            # the ticket screen, which the first palette on the queue would pay for)
            for title, help_text, callback in screen.palette_commands():
                yield SystemCommand(title, help_text, callback)
        if isinstance(screen, QueueScreen):
            for view in self.views:
                yield SystemCommand(
                    f"View: {view.title}", "Show this view in the queue", _select(screen, view)
                )

    def action_canned(self) -> None:
        if self._later(self.action_canned, "Canned responses show"):
            return
        from helpdesk_tui.screens.canned_manager import CannedManagerScreen

        self.push_screen(CannedManagerScreen())

    def action_desk_settings(self) -> None:
        """At once, the desk open or not: keys typed behind D (a tab's) are the screen's,
        which reads the desk once it is open."""
        from helpdesk_tui.screens.desk_settings import DeskSettingsScreen

        self.push_screen(DeskSettingsScreen())

    def keep_drafts(self) -> list[str]:
        """Every text being written (replies, notes, articles, canned responses) saved as
        its draft now, never dropped by leaving (``screens.access_ended.keep_drafts``)."""
        from helpdesk_tui.screens.access_ended import keep_drafts

        return keep_drafts(self)  # (a draft that cannot be written is logged: the app quits)

    def _handle_exception(self, error: Exception) -> None:
        """A crash (an error nothing handled) ends the app: the texts being written are
        kept as drafts first, and said so once the terminal is back (``cli.tui``); this
        terminal's presence markers go (``leave_desk_now``: at most ``LEAVE_SECONDS``)."""
        with contextlib.suppress(Exception):  # (the crash is what is reported)
            self.kept_on_quit = self.keep_drafts()
        with contextlib.suppress(Exception):
            self.leave_desk_now()
        super()._handle_exception(error)

    def hung_up(self) -> None:
        """The terminal closed (SIGHUP): keep the drafts, remove this terminal's presence
        markers (``leave_desk_now``: at most ``LEAVE_SECONDS``, else they expire), then end
        as SIGHUP ends a process (``end_on_hangup``): an app's own ending writes to a
        terminal that is gone and need not end at all."""
        self.keep_drafts()
        with contextlib.suppress(Exception):  # (the process ends whatever happens)
            self.leave_desk_now()
        self.end_on_hangup()

    def _start_terminal_watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Watch the terminal (stdin) in a thread of its own, where it is one."""
        stdin = sys.__stdin__
        with contextlib.suppress(OSError, ValueError, AttributeError):
            fd = stdin.fileno() if stdin is not None else -1
            if fd >= 0 and os.isatty(fd):
                threading.Thread(
                    target=self._watch_terminal, args=(fd, loop), name="terminal-watch", daemon=True
                ).start()

    def _watch_terminal(self, fd: int, loop: asyncio.AbstractEventLoop) -> None:
        """The terminal went away without a SIGHUP reaching this process: end as a hang-up.

        A wrapper that leads the terminal's session (``runuser``, ``su``, ``sudo -u``, a
        shell ignoring SIGHUP) takes the hang-up itself and passes nothing on. The app then
        read end-of-file for ever (Textual's input thread: a core spinning) and, once its
        output queue filled behind the writer that failed on the closed terminal, its loop
        stopped, and no signal but SIGKILL ended it; its presence markers stayed fresh. So
        the terminal is asked every ``TERMINAL_WATCH_SECONDS`` (``tcgetattr``: EIO once it
        is gone) and, once gone, the loop is asked to hang up (drafts kept, markers gone);
        a loop that no longer answers is ended after the leave's wait, as SIGHUP would."""
        import termios  # (POSIX only: where a terminal can hang up)

        while not self._terminal_watch.wait(TERMINAL_WATCH_SECONDS):
            try:
                termios.tcgetattr(fd)
            except (termios.error, OSError):
                break
        else:
            return
        with contextlib.suppress(RuntimeError):  # (a loop closed meanwhile: ending anyway)
            loop.call_soon_threadsafe(self.hung_up)
        if not self._terminal_watch.wait(leave_seconds() + 2 * TERMINAL_WATCH_SECONDS):
            os._exit(128 + signal.SIGHUP)

    def terminated(self) -> None:
        """SIGTERM (``kill PID``, a shutdown ending sessions): leave as ctrl+q does — the
        texts being written kept as drafts, this terminal's markers removed, the terminal
        given back as it was found — and the CLI then ends the process by SIGTERM. Without
        this the process died at once, leaving the terminal on the app's screen with the
        mouse still reported. A second SIGTERM ends the process at once."""
        asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)
        self.ended_by = signal.SIGTERM
        self.call_later(self.action_quit)

    async def action_quit(self) -> None:
        """Leave: the texts being written are kept as drafts first (``keep_drafts``); this
        terminal's viewing/replying markers go at once (within ``LEAVE_SECONDS``; a database
        that does not answer cannot freeze the terminal)."""
        self.kept_on_quit = self.keep_drafts()
        self._leaving = True
        if self.live:
            await self._leave_desk()
        await self.mail_link.stop()
        self.exit()


def end_by_signal(signum: signal.Signals) -> None:
    """End the process as ``signum`` does by default (its status says so to the parent)."""
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _new_desk(db: Database, actor: Actor, clock: Callable[[], datetime]) -> Desk:
    """The facade, imported here: importing it loads the whole data layer."""
    from helpdesk_tui.desk.facade import Desk

    return Desk(db, actor, clock=clock, actor_may_change=True)


def _reports_screen() -> Screen[None]:
    """The reports screen, imported on first use (plotting stays out of start-up)."""
    from helpdesk_tui.screens.reports import ReportsScreen

    return ReportsScreen()


def _kb_screen() -> Screen:
    """The knowledge-base mode's screen, imported when the mode is first entered."""
    from helpdesk_tui.screens.kb import KbScreen

    return KbScreen()


def _select(screen: QueueScreen, view: View) -> Callable[[], None]:
    return lambda: screen.select_view(view)


def kept_page(settings: Settings | StartSettings, login: str) -> queue_cache.KeptPage | None:
    """The queue's first page as ``login`` last saw it on this desk (``queue_cache``), of a
    view they still have, with the same query; None if there is none to trust."""
    start = start_of(settings)
    views, _problems = _views(start, Actor(name=login))
    return queue_cache.recall(
        url=start.database_url, login=login, views={view.name: view.query for view in views}
    )


def _views(start: StartSettings, actor: Actor) -> tuple[list[View], list[str]]:
    """Built-in views, then the valid saved ones; a problem with a saved one is reported."""
    views = builtin_views(actor.name)
    problems = []
    for name, saved in start.views.items():
        try:
            views.append(custom_view(name, actor.name, **saved))
        except DeskError as error:
            problems.append(str(error))
    return views, problems


def make_app(
    settings: Settings | None,
    db: Database | None,
    actor: Actor,
    *,
    clock: Callable[[], datetime] = utcnow,
    opening: Opening | None = None,
    kept: queue_cache.KeptPage | None = None,
    start: StartSettings | None = None,
    load_settings: Callable[[], Settings] | None = None,
) -> HelpdeskApp:
    """The one factory the CLI and the tests use to build the app.

    With ``db`` None the app opens the desk itself, in a thread, by ``opening``, after
    showing ``kept`` (the first page as last seen) or "loading…". With ``settings`` None
    it is drawn from ``start`` and reads the settings by ``load_settings`` in that thread."""
    return HelpdeskApp(
        settings=settings,
        db=db,
        actor=actor,
        clock=clock,
        opening=opening,
        kept=kept,
        start=start,
        load_settings=load_settings,
    )
