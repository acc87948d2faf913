"""The ticket screen: one ticket's thread, fields and history, and every action on it.

Reads and writes run in thread workers; results come back as messages. Every change is
made against the version the agent was looking at when they started it (``expected_version``),
so a change someone else made meanwhile is refused by the desk; the screen then reloads and
says who changed what.

While the screen is open it heartbeats presence (viewing, or replying while a composer is
open) every ``BEAT_SECONDS``, re-arming the timer after each beat; the same beat reads who
else is on the ticket and whether its version moved, and reloads when it did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import var
from textual.timer import Timer
from textual.widgets import ContentSwitcher
from textual.worker import Worker, WorkerState

from helpdesk_tui.desk.activity import Arrival, Watermark
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.attachments import TargetExists, safe_filename
from helpdesk_tui.desk.errors import Conflict, DeskError, NotFound, UnknownAgent
from helpdesk_tui.desk.kinds import Activity, Priority, Status, TicketType
from helpdesk_tui.desk.merge_plan import MergePlan
from helpdesk_tui.desk.presence import OnTicket, replying_names
from helpdesk_tui.desk.presence_service import Beat as PresenceBeat
from helpdesk_tui.desk.queries import TicketRow
from helpdesk_tui.desk.statuses import (
    ALLOWED,
    asks_before,
    becomes_article,
    may_reopen,
    takes_from,
    words,
)
from helpdesk_tui.desk.ticket_view import Entry, TicketView
from helpdesk_tui.drafts import DraftKind, DraftStore
from helpdesk_tui.messages import OutboxMoved, TicketChanged
from helpdesk_tui.safe_text import clean, plain
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.screens.composer import ComposerScreen
from helpdesk_tui.screens.confirm import Choice, ChoiceScreen, confirm
from helpdesk_tui.screens.pickers import (
    Pick,
    PickScreen,
    PromptScreen,
    TicketPickScreen,
    agent_pick,
)
from helpdesk_tui.screens.values import ValuesScreen
from helpdesk_tui.widgets.desk_header import DeskHeader
from helpdesk_tui.widgets.history_log import HistoryLog
from helpdesk_tui.widgets.key_footer import KeyFooter
from helpdesk_tui.widgets.side_panel import SidePanel, whole_values
from helpdesk_tui.widgets.thread import Thread, human_size
from helpdesk_tui.widgets.ticket_header import TicketHeader
from helpdesk_tui.widgets.windowed import Windowed

if TYPE_CHECKING:
    from helpdesk_tui.desk.canned_service import MacroResult
    from helpdesk_tui.desk.kb_service import ArticleView, KbResult

BEAT_SECONDS = 1.5
"""Presence heartbeat and change check: others see this terminal on the ticket within 2 s."""

Change = Callable[[int, int], object]
"""A change through the desk: (ticket number, the version the agent saw). What it returns,
if a ticket number other than this one, is opened next (a merge's target)."""


@dataclass(frozen=True)
class Action:
    """A ticket action: its key binding, and its line in the command palette."""

    name: str
    key: str
    title: str
    help: str
    show: bool = False
    role: str = "agent"
    """The least role that may do this; others never see it (key, footer or palette)."""


ACTIONS: tuple[Action, ...] = (
    Action("reply", "r", "Reply", "Answer the customer by email", show=True),
    Action("note", "n", "Note", "Add an internal note (never sent)", show=True),
    Action("call", "c", "Log call", "Write down a phone call with the customer"),
    Action("assign_me", "m", "Mine", "Assign this ticket to me", show=True),
    Action("assign_agent", "a", "Assign", "Assign to an agent (fuzzy pick)", show=True),
    Action("assign_team", "T", "Team", "Hand to a team (fuzzy pick)"),
    Action("status", "s", "Status", "Change the status", show=True),
    Action(
        "reopen",
        "O",
        "Reopen",
        "Reopen a closed ticket, saying why (supervisors, admins)",
        role="supervisor",
    ),
    Action("priority", "p", "Priority", "Change the priority"),
    Action("type", "y", "Type", "Change the type"),
    Action("category", "C", "Category", "Set or clear the category"),
    Action("tags", "t", "Tags", "Edit the tags"),
    Action("macro", "ctrl+g", "Macro", "Apply a macro: fields now, a reply text into a reply"),
    Action("escalate", "e", "Escalate", "Move up one support tier"),
    Action("deescalate", "E", "De-escalate", "Move down one support tier"),
    Action("merge", "M", "Merge", "Merge this ticket into another one"),
    Action("link", "l", "Link", "Link another ticket as related"),
    Action("save_attachment", "d", "Save file", "Save an attachment to a file"),
    Action("resend", "R", "Resend", "Send this ticket's failed or bounced mail again"),
    Action("next", "right_square_bracket", "Next", "Next ticket in the queue", show=True),
    Action("previous", "left_square_bracket", "Prev", "Previous ticket in the queue"),
    Action("take_next", "x", "Take next", "Take the most urgent unassigned ticket of my teams"),
    Action("history", "h", "History", "Show the history of changes (again: the thread)"),
    Action(
        "related",
        "g",
        "Related",
        "Go to the side panel's links, other tickets and articles (again: back)",
    ),
    Action(
        "values",
        "F",
        "Values",
        "Show the side panel's values whole (a name, category or team cut to its line)",
    ),
    Action("quotes", "f", "Quotes", "Show or fold quoted history in messages"),
    Action("more", "o", "Read on", "Read the next part of a long message"),
    Action("reload", "ctrl+l", "Reload", "Read the ticket again"),
    Action("kb_insert", "i", "Insert article", "Reply with a suggested article's text"),
    Action("kb_link", "I", "Insert article link", "Reply with a suggested article's public link"),
    Action(
        "kb_draft", "A", "Article from ticket", "Turn this resolved ticket's reply into a draft"
    ),
)


_ACTIONS = {a.name: a for a in ACTIONS}


def allowed_actions(actor: Actor, actions: tuple[Action, ...] = ACTIONS) -> list[Action]:
    """The ticket actions ``actor``'s role allows. (An agent the desk refuses now sees no
    ticket at all: the app covers everything, ``screens.access_ended``.)"""
    return [a for a in actions if actor.can(a.role)]


NARROW_COLUMNS = 60
"""Below this width the side panel is under the thread, not beside it (32 cells beside it
left the thread one cell at 40 columns)."""


class TicketScreen(DeskScreen):
    """One ticket, opened from the queue (Enter) or the command palette."""

    CSS_PATH = "ticket.tcss"
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),  # (the side panel goes under the thread: ticket.tcss)
        (NARROW_COLUMNS, "-wide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="ticket.back"),
        *(Binding(a.key, a.name, a.title, show=a.show, id=f"ticket.{a.name}") for a in ACTIONS),
    ]

    class Loaded(Message):
        def __init__(self, number: int, view: TicketView) -> None:
            super().__init__()
            self.number = number
            self.view = view

    class Beat(Message):
        """A heartbeat's answer: who else is here, and what others changed since our view."""

        def __init__(self, beat: PresenceBeat) -> None:
            super().__init__()
            self.beat = beat

    class Done(Message):
        """A change was saved; ``open_number`` is a ticket to show next (take, merge)."""

        def __init__(self, number: int, text: str, open_number: int | None = None) -> None:
            super().__init__()
            self.number = number
            self.text = text
            self.open_number = open_number

    class Ready(Message):
        """Checked who else is replying; the composer may open (after a warning)."""

        def __init__(self, kind: DraftKind, mark: Watermark, replying: list[OnTicket]) -> None:
            super().__init__()
            self.kind = kind
            self.mark = mark
            self.replying = replying

    class Planned(Message):
        """What a merge would join came back: ask, warning when requesters differ."""

        def __init__(self, plan: MergePlan, version: int) -> None:
            super().__init__()
            self.plan = plan
            self.version = version

    class Picked(Message):
        """Lists for a picker came back from the database."""

        def __init__(self, what: str, picks: list[Pick]) -> None:
            super().__init__()
            self.what = what
            self.picks = picks

    view: var[TicketView | None] = var(None, init=False, always_update=True)
    """The ticket as last read: every read shows it again (relative times move on)."""
    activity: var[Activity] = var(Activity.VIEWING, init=False, always_update=True)
    """What this terminal does on the ticket (viewing, replying): each change beats at once."""

    def __init__(self, number: int, *, compose: DraftKind | None = None) -> None:
        """``compose`` opens the composer of that kind (a kept draft) once the ticket shows."""
        super().__init__(classes=" ".join(self._width_classes()))
        self.number = number
        self.compose_draft = compose
        self.drafts = DraftStore()
        """(Bound to the desk once the ticket is read: ``view.desk_id``.)"""
        self._beat_timer: Timer | None = None
        self._beating = True
        self._beat_trouble = False
        self._outage_since: datetime | None = None
        """When the first of the beats the desk has not answered since the last one it did
        failed (by the app's clock): the presence line says so until a beat is answered."""
        self._saving: tuple[int, str] = (0, "")
        self.pending_insert = ""
        """An article's text (or link) the next reply opens with."""
        self._typed_before_esc: dict[str, tuple[int, str]] = {}
        """A prompt's line left with Esc, by the prompt's title: (the ticket's version, text)."""
        self._came_from: list[int] = []
        """The tickets this screen showed before the ones opened from its side panel
        (their other tickets, links): Esc goes back through them before the queue."""
        self._windows: int | None = 1
        """How much of this ticket is read (``desk.ticket_open``): its newest window, one
        more each time the agent scrolls past what was read, and all of it (None) once they
        go to its far end (Home in the thread, End in the history). Every read of it again
        (a colleague's reply, a live refresh) reads as much: what the agent has scrolled
        into, not the whole of a 20,000-change ticket."""

    def _width_classes(self) -> set[str]:
        """The class of ``HORIZONTAL_BREAKPOINTS`` for the app's width, which Textual gives
        the screen at its first resize (after its widgets are mounted and styled): given as
        it is made, that resize changes no class, where it restyled every widget of the
        ticket once more (174 stylesheet applications to open one, now 147)."""
        width = self.app.size.width
        return self._get_breakpoint_classes(width, self.HORIZONTAL_BREAKPOINTS)

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield TicketHeader(id="ticket-header")
        with Horizontal(id="ticket-body"):
            with ContentSwitcher(initial="thread", id="ticket-main"):
                yield Thread(id="thread")
                yield HistoryLog(id="history")
            yield SidePanel(warn_percent=self.desk_app.start.sla_warn_percent, id="side")
        yield KeyFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(TicketHeader).show_ticket(self.number, None)
        self.query_one(Thread).focus()
        self.reload()
        self._beat()

    def on_unmount(self) -> None:
        self._beating = False
        if self._beat_timer is not None:
            self._beat_timer.stop()
        app = self.desk_app
        if not app.is_running:
            return  # the app is ending: it removes all of this terminal's markers itself
        if any(isinstance(s, TicketScreen) and s is not self for s in app.screen_stack):
            return  # another ticket screen took over; its beat replaces this one's marker
        app.run_worker(
            app.presence_leave,
            thread=True,
            exit_on_error=False,
            group="presence-leave",
        )

    # -- loading ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="ticket-load", exit_on_error=False)
    def reload(self) -> None:
        number, windows = self.number, self._windows
        self.post_message(self.Loaded(number, self.desk.ticket_open(number, windows=windows)))

    def on_windowed_wanted(self, message: Windowed.Wanted) -> None:
        """The agent scrolled past the part of a long ticket read: read a window more (all
        of it for Home or End), and as much from now on, each time it is read again."""
        message.stop()
        if self._windows is not None:
            self._windows = None if message.whole else self._windows + 1
            self.reload()

    def on_outbox_moved(self, _message: OutboxMoved) -> None:
        self.reload()  # the replies' delivery state changed

    def on_ticket_screen_loaded(self, message: Loaded) -> None:
        if message.number != self.number:
            return
        if message.view.desk_id is not None and self.drafts.desk != message.view.desk_id:
            self.drafts = DraftStore(desk=message.view.desk_id)
        self.view = message.view
        if self.compose_draft is not None:
            kind, self.compose_draft = self.compose_draft, None
            self._start_composer(kind)

    def watch_view(self, view: TicketView | None) -> None:
        if view is None:
            return
        now = self.desk_app.clock()
        self.query_one(TicketHeader).show_ticket(self.number, view.row)
        self.query_one(Thread).show(view.entries, now, earlier=view.earlier)
        self.query_one(HistoryLog).show(view, now)
        self.query_one(SidePanel).show(view, now)
        self._suggest(self.number)

    def open_number(self, number: int, *, trail: bool = False) -> None:
        """Show another ticket in this screen (next, previous, take next, after a merge;
        ``trail``: one opened from the side panel, or the one Esc goes back to, which keep
        the way back; any other forgets it)."""
        if not trail:
            self._came_from.clear()
        if number == self.number:
            self.reload()
            return
        self.number = number
        self.view = None
        self._windows = 1
        self.query_one(Thread).clear()
        self.query_one(HistoryLog).clear()
        header = self.query_one(TicketHeader)
        header.show_ticket(number, None)
        header.show_presence([])
        self.query_one(ContentSwitcher).current = "thread"
        self._beating = True
        self.reload()
        self._beat()

    # -- presence -----------------------------------------------------------------------------

    def _beat(self) -> None:
        if self._beat_timer is not None:
            self._beat_timer.stop()
            self._beat_timer = None
        if self.desk_app.refused is not None:  # (covered: the app asks; beats go on after)
            self._rearm()
            return
        mark = self.view.watermark if self.view is not None else None
        self._heartbeat(self.number, self.activity, mark)

    @work(thread=True, exclusive=True, group="presence", exit_on_error=False)
    def _heartbeat(self, number: int, activity: Activity, mark: Watermark | None) -> None:
        app = self.desk_app
        with app.presence_lock:  # (a leave waits for this beat; a beat after it writes nothing)
            if not self._beating or app.leaving:
                return
            beat = self.desk.presence_beat(app.session_id, number, activity, mark)
        self.post_message(self.Beat(beat))

    def on_ticket_screen_beat(self, message: Beat) -> None:
        self._beat_trouble = False
        self._rearm()
        beat = message.beat
        was_out, self._outage_since = self._outage_since is not None, None
        if beat.number != self.number:
            if was_out:
                self.query_one(TicketHeader).show_presence([])  # (this ticket's beat is next)
            return
        self.query_one(TicketHeader).show_presence(beat.others)
        if self.view is not None and beat.version != self.view.row.version:
            if beat.news:
                self._tell_news(beat.news)
            self.reload()

    def _tell_news(self, news: list[Arrival]) -> None:
        lines = [f"{a.who}: {a.what}" for a in news[-3:]]
        self.notify("\n".join(lines), title=f"#{self.number} changed", timeout=6, markup=False)

    def _beat_failed(self, error: BaseException | None) -> None:
        """A ticket that is gone stops the beat; other failures are said once, then retried,
        and while the desk does not answer the presence line says since when."""
        if isinstance(error, NotFound):
            self._beating = False
            self.notify(str(error), title=f"#{self.number}", severity="error", markup=False)
            return
        if isinstance(error, UnknownAgent):  # (the app covers up; the beat waits meanwhile)
            self._rearm()
            return
        if self._outage_since is None and (not isinstance(error, DeskError) or error.transient):
            self._outage_since = self.desk_app.clock()
            self.query_one(TicketHeader).show_outage(self._outage_since)
        if not self._beat_trouble:
            self._beat_trouble = True
            self.notify(
                f"Cannot reach the desk to show who else is here: {error}",
                severity="warning",
                markup=False,
            )
        self._rearm()

    def _rearm(self) -> None:
        """One timer at a time, set after each beat (a beat cut short by a newer one too)."""
        if self._beat_timer is not None:
            self._beat_timer.stop()
            self._beat_timer = None
        if self._beating and self.is_mounted:
            self._beat_timer = self.set_timer(BEAT_SECONDS, self._beat)

    def watch_activity(self) -> None:
        self._beat()

    # -- failures -----------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Refusals this screen words itself; anything else ``DeskScreen`` reports.

        (Textual runs the base class's handler too, unless told not to.)
        """
        if event.state != WorkerState.ERROR:
            return
        group, error = event.worker.group, event.worker.error
        if group == "presence":
            self._beat_failed(error)
        elif isinstance(error, UnknownAgent):
            return  # (the desk told the app, which covers up: ``screens.access_ended``)
        elif isinstance(error, Conflict):
            self.notify(str(error), title="Not saved", severity="warning", timeout=12, markup=False)
            self.reload()
        elif isinstance(error, TargetExists):
            self._ask_overwrite(error.path)
        elif isinstance(error, DeskError) and group != "ticket-load":
            self.notify(str(error), title="Not done", severity="error", timeout=8, markup=False)
        elif isinstance(error, DeskError):
            self.query_one(TicketHeader).show_problem(self.number, str(error))
            return  # and DeskScreen reports it too
        else:
            return
        event.prevent_default()

    # -- changes ------------------------------------------------------------------------------

    def _seen(self) -> TicketView | None:
        """The view an action starts from, or a note that the ticket is still loading."""
        if self.view is None or self.view.row.number != self.number:
            self.notify("The ticket is still loading", severity="warning", timeout=3)
            return None
        return self.view

    def _change(
        self,
        done: str,
        change: Change,
        *,
        version: int | None = None,
        after: Callable[[], object] | None = None,
    ) -> None:
        """Run ``change`` against the version seen (by default: the one on screen now).

        ``after`` runs once the change has committed (never when it was refused).
        """
        view = self._seen()
        if view is None:
            return
        seen = view.row.version if version is None else version
        self._write(self.number, seen, done, change, after)

    @work(thread=True, group="ticket-write", exit_on_error=False)
    def _write(
        self,
        number: int,
        version: int,
        done: str,
        change: Change,
        after: Callable[[], object] | None = None,
    ) -> None:
        result = change(number, version)
        if after is not None:
            after()
        open_number = None
        if isinstance(result, TicketRow) and result.number != number:
            open_number = result.number  # a merge: the ticket that remains
        self.post_message(self.Done(number, done, open_number))

    def on_ticket_screen_done(self, message: Done) -> None:
        self.notify(message.text, timeout=3, markup=False)
        self.desk_app.post_message(TicketChanged(message.number))
        if message.open_number is not None:
            self.open_number(message.open_number)
        elif message.number == self.number:
            self.reload()

    def _pick_then(
        self, screen: PickScreen | PromptScreen | TicketPickScreen, apply: Callable[[str], object]
    ) -> None:
        """Show a picker; its answer (if any) goes to ``apply``.

        A line typed into a prompt (tags, category, a reason, a path) and left with Esc is
        kept: the same prompt on this ticket opens with it, while the ticket is as it was
        (once it changed, the prompt starts from what it has now)."""
        version = self.view.row.version if self.view is not None else -1
        original = screen.initial if isinstance(screen, PromptScreen) else ""
        if isinstance(screen, PromptScreen):
            kept_at, kept = self._typed_before_esc.pop(screen.title_text, (None, ""))
            if kept_at == version:
                screen.initial = screen.typed = kept
                screen.hint = f"{screen.hint} · kept from before Esc".lstrip(" ·")

        def picked(answer: str | None) -> None:
            if answer is None:
                if isinstance(screen, PromptScreen) and screen.typed != original:
                    self._typed_before_esc[screen.title_text] = (version, screen.typed)
                return
            if isinstance(screen, PickScreen) and screen.current and answer == screen.current:
                # (the desk would change nothing; "#12 priority: high" said it had)
                label = next((p.label for p in screen.picks if p.value == answer), answer)
                self.notify(
                    f"Nothing changed: #{self.number} has {clean(label, single_line=True)} already",
                    timeout=3,
                    markup=False,
                )
                return
            apply(answer)

        self.app.push_screen(screen, picked)

    # -- the actions --------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.query_one(SidePanel).related.has_focus:
            self._focus_main()  # Esc leaves the side panel first, then the ticket
            return
        if self._came_from:  # (a ticket opened from the side panel: back to the one before)
            self.open_number(self._came_from.pop(), trail=True)
            return
        self.app.pop_screen()

    def _focus_main(self) -> None:
        self.query_one(f"#{self.query_one(ContentSwitcher).current}").focus()

    def action_related(self) -> None:
        """Focus the side panel's list (links, other tickets, articles); again: back."""
        side = self.query_one(SidePanel)
        if side.related.has_focus:
            self._focus_main()
        elif not side.enter():
            self.notify("Nothing linked or suggested for this ticket", timeout=3)

    @on(SidePanel.Opened)
    def _open_related(self, message: SidePanel.Opened) -> None:
        if message.kind == "ticket":
            if message.key != self.number:
                self._came_from.append(self.number)
            self.open_number(message.key, trail=True)
            self._focus_main()
            return
        side = self.query_one(SidePanel)
        article = next((r.article for r in side.suggestions if r.article.id == message.key), None)
        if article is not None:
            self.pending_insert = clean(article.body).rstrip("\n")
            self._start_composer("reply")

    def action_reply(self) -> None:
        self._start_composer("reply")

    def action_note(self) -> None:
        self._start_composer("note")

    def action_call(self) -> None:
        self._start_composer("call")

    def action_assign_me(self) -> None:
        view = self._seen()
        if view is None:
            return
        actor, number, version = self.desk_app.actor, self.number, view.row.version

        def take() -> None:
            self._change(
                f"#{number} is yours now",
                lambda n, v: self.desk.ticket_assign(n, agent=actor.name, expected_version=v),
                version=version,
            )

        holder = takes_from(view.row.assignee, actor)
        if holder is None:
            take()
            return
        question = plain(f"#{number} is {holder}'s. Take it from them?")
        self.app.push_screen(
            confirm(question, yes="Take it"), lambda answer: take() if answer == "yes" else None
        )

    def action_assign_agent(self) -> None:
        self.desk_app.typing_ahead.wait_for(self._load_picks("agent"))

    def action_assign_team(self) -> None:
        self.desk_app.typing_ahead.wait_for(self._load_picks("team"))

    @work(thread=True, group="ticket-picks", exit_on_error=False)
    def _load_picks(self, what: str) -> None:
        if what == "agent":
            picks = [
                agent_pick(agent.login, agent.name, agent.teams)
                for agent in self.desk.agents_list(active_only=True)
            ]
        else:
            picks = [
                Pick(team.name, team.name, team.description) for team in self.desk.teams_list()
            ]
        self.post_message(self.Picked(what, picks))

    def on_ticket_screen_picked(self, message: Picked) -> None:
        view = self._seen()
        if view is None:
            return
        version = view.row.version
        if message.what == "agent":
            self._pick_then(
                PickScreen(f"Assign #{self.number} to", message.picks, current=view.row.assignee),
                lambda login: self._change(
                    f"#{self.number} assigned to {login}",
                    lambda n, v: self.desk.ticket_assign(n, agent=login, expected_version=v),
                    version=version,
                ),
            )
        else:
            self._pick_then(
                PickScreen(f"Hand #{self.number} to team", message.picks, current=view.row.team),
                lambda team: self._change(
                    f"#{self.number} handed to {team}",
                    lambda n, v: self.desk.ticket_assign(n, team=team, expected_version=v),
                    version=version,
                ),
            )

    def action_status(self) -> None:
        view = self._seen()
        if view is None:
            return
        current = Status(view.row.status)
        allowed = [s for s in Status if s in ALLOWED[current]]
        if not allowed:
            if current is Status.CLOSED and may_reopen(self.desk_app.actor):
                self.action_reopen()
            else:
                self.notify(
                    f"#{self.number} is {words(current.value)}; "
                    "a supervisor or an admin can reopen it",
                    markup=False,
                )
            return
        picks = [
            Pick(s.value, words(s.value), "asks first" if asks_before(s) else "") for s in allowed
        ]
        title = f"Status of #{self.number} (now {words(current.value)})"
        self._field_pick("status", title, picks)

    def action_reopen(self) -> None:
        view = self._seen()
        if view is None:
            return
        if view.row.status != Status.CLOSED:
            self.notify(f"#{self.number} is not closed", timeout=3)
            return
        if not may_reopen(self.desk_app.actor):
            self.notify(
                f"Only a supervisor or an admin can reopen #{self.number}",
                severity="warning",
                markup=False,
            )
            return
        version = view.row.version
        self._pick_then(
            PromptScreen(
                f"Reopen #{self.number}: why?", hint="The reason is kept in the ticket's history"
            ),
            lambda reason: self._change(
                f"#{self.number} reopened",
                lambda n, v: self.desk.ticket_reopen(n, reason, expected_version=v),
                version=version,
            ),
        )

    def _ask_to_close(self, apply: Callable[[], None]) -> None:
        """Closing is final for an agent: say so (and that drafts are kept), then ``apply``."""
        view = self.view
        key = view.draft_key if view is not None and view.row.number == self.number else None
        kept = self.drafts.kinds_with_drafts(self.number, key) if key is not None else []
        question = Text(
            f"Close #{self.number}? A closed ticket takes no replies; "
            "only a supervisor or an admin can reopen it."
        )
        if kept:
            verb = "drafts are" if len(kept) > 1 else "draft is"
            question.append(f"\nYour {' and '.join(kept)} {verb} kept (ctrl+p, Drafts).")

        def answered(answer: str | None) -> None:
            if answer == "yes":
                apply()

        self.app.push_screen(
            ChoiceScreen(question, [Choice("y", "Close it", "yes")], id="confirm-close"), answered
        )

    def action_priority(self) -> None:
        picks = [Pick(p.value, p.value) for p in reversed(Priority)]
        self._field_pick("priority", f"Priority of #{self.number}", picks)

    def action_type(self) -> None:
        picks = [Pick(t.value, words(t.value)) for t in TicketType]
        self._field_pick("type", f"Type of #{self.number}", picks)

    def _field_pick(self, field: str, title: str, picks: list[Pick]) -> None:
        view = self._seen()
        if view is None:
            return
        setters: dict[str, Callable[..., object]] = {
            "status": self.desk.ticket_set_status,
            "priority": self.desk.ticket_set_priority,
            "type": self.desk.ticket_set_type,
        }
        setter, version = setters[field], view.row.version
        current = getattr(view.row, field)

        def apply(value: str) -> None:
            self._change(
                f"#{self.number} {field}: {words(value)}",
                lambda n, v: setter(n, value, expected_version=v),
                version=version,
            )

        def picked(value: str) -> None:
            if field == "status" and asks_before(Status(value)):
                self._ask_to_close(lambda: apply(value))
            else:
                apply(value)

        self._pick_then(PickScreen(title, picks, current=current), picked)

    def action_category(self) -> None:
        view = self._seen()
        if view is None:
            return
        version = view.row.version
        self._pick_then(
            PromptScreen(
                f"Category of #{self.number}", hint="Empty clears it", value=view.row.category or ""
            ),
            lambda value: self._change(
                f"#{self.number} category: {value.strip() or 'none'}",
                lambda n, v: self.desk.ticket_set_category(n, value, expected_version=v),
                version=version,
            ),
        )

    def action_tags(self) -> None:
        view = self._seen()
        if view is None:
            return
        version, before = view.row.version, set(view.tags)

        def apply(value: str) -> None:
            after = set(value.replace(",", " ").split())
            add, remove = sorted(after - before), sorted(before - after)
            if not (add or remove):
                return
            self._change(
                f"#{self.number} tags: {' '.join(sorted(after)) or 'none'}",
                lambda n, v: self.desk.ticket_tag(n, add=add, remove=remove, expected_version=v),
                version=version,
            )

        self._pick_then(
            PromptScreen(
                f"Tags of #{self.number}",
                hint="Words separated by spaces; remove a word to drop the tag",
                value=" ".join(view.tags),
            ),
            apply,
        )

    def action_macro(self) -> None:
        """A macro from the ticket, as from its reply (ctrl+g there): the fields change now
        against the version on screen; a reply text opens the reply with it, to be read and
        sent (never sent unread); a note text is written as the macro says."""
        from helpdesk_tui.screens.canned_picker import MacroPickScreen

        view = self._seen()
        if view is None:
            return
        number, version = self.number, view.row.version

        def chosen(name: str | None) -> None:
            if name:
                self._apply_macro(number, name, version)

        self.app.push_screen(MacroPickScreen(number, "reply"), chosen)

    @work(thread=True, group="ticket-write", exit_on_error=False)
    def _apply_macro(self, number: int, name: str, version: int) -> None:
        result = self.desk.macro_apply(
            number,
            name,
            expected_version=version,
            desk_name=self.desk_app.settings.desk_name,
            draft_kind="reply",
        )
        done = f"Macro {name} applied to #{number}: {', '.join(result.changes)}"
        self.app.call_from_thread(self._macro_applied, number, done, result)

    def _macro_applied(self, number: int, done: str, result: MacroResult) -> None:
        self.on_ticket_screen_done(self.Done(number, done, None))
        if result.draft_text and number == self.number and self.view is not None:
            self.pending_insert = result.draft_text
            # (the macro's own change is seen: the composer does not ask about it)
            self._check_replying("reply", replace(self.view.watermark, version=result.version))

    def action_escalate(self) -> None:
        self._change(
            f"#{self.number} escalated",
            lambda n, v: self.desk.ticket_escalate(n, expected_version=v),
        )

    def action_deescalate(self) -> None:
        self._change(
            f"#{self.number} de-escalated",
            lambda n, v: self.desk.ticket_deescalate(n, expected_version=v),
        )

    def action_merge(self) -> None:
        view = self._seen()
        if view is None:
            return
        version = view.row.version
        self._pick_then(
            TicketPickScreen(
                f"Merge #{self.number} into", self.desk.find_tickets, exclude=self.number
            ),
            lambda target: self._plan_merge(self.number, int(target), version),
        )

    @work(thread=True, group="ticket-picks", exit_on_error=False)
    def _plan_merge(self, number: int, other: int, version: int) -> None:
        plan = self.desk.ticket_merge_plan(number, other)
        self.post_message(self.Planned(plan, version))

    def on_ticket_screen_planned(self, message: Planned) -> None:
        plan = message.plan
        if plan.source != self.number:
            return
        question = Text(f"Merge #{plan.source} into #{plan.target}?")
        source_key = self.view.draft_key if self.view is not None else None
        details = Text(plan.for_good)
        if plan.different_requesters:
            question = Text(f"#{plan.source} and #{plan.target} have different requesters.")
            details = Text.assemble(
                (f"#{plan.source} ", "bold"),
                "is from ",
                plain(plan.source_requester),
                "\n",
                (f"#{plan.target} ", "bold"),
                "is from ",
                plain(plan.target_requester),
                "\n\nMerging puts both conversations in one ticket, and replies go to "
                f"#{plan.target}'s requester. {plan.for_good}",
            )

        def answered(answer: str | None) -> None:
            if answer == "yes":
                self._change(
                    f"#{plan.source} merged into #{plan.target}",
                    lambda n, v: self.desk.ticket_merge(
                        n,
                        plan.target,
                        expected_version=v,
                        different_requesters=plan.different_requesters,
                    ),
                    version=message.version,
                    after=lambda: self._drafts_follow(plan.source, source_key, plan.target),
                )

        yes = "Merge anyway" if plan.different_requesters else "Merge"
        self.app.push_screen(
            ChoiceScreen(question, [Choice("y", yes, "yes")], details=details, id="confirm-merge"),
            answered,
        )

    def action_link(self) -> None:
        def picked(target: str) -> None:
            other = int(target)
            self._change(
                f"#{self.number} linked to #{other}",
                lambda n, _v: self.desk.ticket_link(n, other),
            )

        self._pick_then(
            TicketPickScreen(
                f"Link #{self.number} to", self.desk.find_tickets, exclude=self.number
            ),
            picked,
        )

    def action_next(self) -> None:
        self._step(1)

    def action_previous(self) -> None:
        self._step(-1)

    @work(thread=True, exclusive=True, group="ticket-step", exit_on_error=False)
    def _step(self, step: int) -> None:
        number = self.desk_app.neighbour_ticket(self.number, step)
        self.app.call_from_thread(self._stepped, number, step)

    def _stepped(self, number: int | None, step: int) -> None:
        if number is None:
            where = "after" if step > 0 else "before"
            self.notify(f"No ticket {where} #{self.number} in the queue", timeout=3)
        else:
            self.open_number(number)

    def action_take_next(self) -> None:
        self._take()

    @work(thread=True, exclusive=True, group="ticket-take", exit_on_error=False)
    def _take(self) -> None:
        number = self.desk.ticket_take_next()
        self.post_message(self.Done(number, f"You took #{number}", number))

    def action_history(self) -> None:
        switcher = self.query_one(ContentSwitcher)
        switcher.current = "history" if switcher.current == "thread" else "thread"
        if switcher.current == "history":
            self.query_one(HistoryLog).reveal()
        # Now, not with Widget.focus (a callback queued behind keys already typed): a key
        # typed right after h goes to the pane it shows.
        self.set_focus(self.query_one(f"#{switcher.current}"))

    def action_values(self) -> None:
        view = self._seen()
        if view is None:
            return
        title = Text(f"#{view.row.number} ")
        title.append_text(plain(view.row.subject))
        self.app.push_screen(ValuesScreen(title, whole_values(view)))

    def action_quotes(self) -> None:
        self.query_one(Thread).toggle_quotes()

    def action_more(self) -> None:
        entry = self.query_one(Thread).first_cut()
        if entry is None:
            self.notify("Every message is shown in full", timeout=3)
            return
        self._read_on(self.number, entry)

    @work(thread=True, exclusive=True, group="ticket-more", exit_on_error=False)
    def _read_on(self, number: int, entry: Entry) -> None:
        longer = self.desk.ticket_more(entry)
        self.app.call_from_thread(self._extended, number, entry, longer)

    def _extended(self, number: int, old: Entry, new: Entry) -> None:
        if number == self.number:
            self.query_one(Thread).extend(old, new)

    def action_reload(self) -> None:
        self.reload()

    # -- mail that did not get through -------------------------------------------------------

    def action_resend(self) -> None:
        view = self._seen()
        if view is None:
            return
        undelivered = [d for d in view.outgoing if d.resendable]
        if not undelivered:
            self.notify(f"#{self.number} has no failed or bounced mail", timeout=3)
            return

        def resend(outbox_id: str) -> None:
            self._change(
                f"Mail {outbox_id} of #{self.number} queued to send again",
                lambda _n, _v: self.desk.ticket_resend(int(outbox_id)),
            )

        if len(undelivered) == 1:
            resend(str(undelivered[0].id))
            return
        picks = [Pick(str(d.id), f"{d.kind} to {d.to}", d.describe()) for d in undelivered]
        self._pick_then(PickScreen(f"Send mail of #{self.number} again", picks), resend)

    # -- attachments --------------------------------------------------------------------------

    def action_save_attachment(self) -> None:
        view = self._seen()
        if view is None:
            return
        if not view.attachments:
            self.notify(f"#{self.number} has no attachments", timeout=3)
            return
        names = {str(a.id): a.filename for a in view.attachments}
        picks = [
            Pick(str(a.id), a.filename, f"{human_size(a.size)} · {a.content_type}")
            for a in view.attachments
        ]

        def chosen(attachment_id: str) -> None:
            default = _download_dir() / safe_filename(names[attachment_id])
            self._pick_then(
                PromptScreen("Save to", value=str(default)),
                lambda path: self._start_save(int(attachment_id), path, overwrite=False),
            )

        self._pick_then(PickScreen(f"Save an attachment of #{self.number}", picks), chosen)

    def _start_save(self, attachment_id: int, path: str, *, overwrite: bool) -> None:
        self._saving = (attachment_id, path)
        self._save(self.number, attachment_id, path, overwrite=overwrite)

    @work(thread=True, group="ticket-save", exit_on_error=False)
    def _save(self, number: int, attachment_id: int, path: str, *, overwrite: bool) -> None:
        target = Path(path).expanduser()
        saved = self.desk.ticket_save_attachment(number, attachment_id, target, overwrite=overwrite)
        self.app.call_from_thread(self.notify, f"Saved {saved}", timeout=4, markup=False)

    def _ask_overwrite(self, path: Path) -> None:
        attachment_id, requested = self._saving

        def answered(answer: str | None) -> None:
            if answer == "yes":
                self._start_save(attachment_id, requested, overwrite=True)

        question = plain(f"{path} exists. Replace it?")
        self.app.push_screen(confirm(question, yes="Replace", key="o"), answered)

    # -- composing ----------------------------------------------------------------------------

    def _start_composer(self, kind: DraftKind) -> None:
        view = self._seen()
        if view is None:
            return
        self.desk_app.typing_ahead.wait_for(self._check_replying(kind, view.watermark))

    @work(thread=True, exclusive=True, group="ticket-compose", exit_on_error=False)
    def _check_replying(self, kind: DraftKind, mark: Watermark) -> None:
        replying = self.desk.presence_replying(mark.number)
        self.post_message(self.Ready(kind, mark, replying))

    def on_ticket_screen_ready(self, message: Ready) -> None:
        if message.mark.number != self.number:
            return
        if not message.replying or message.kind != "reply":
            self._open_composer(message.kind, message.mark)
            return
        names = plain(replying_names(message.replying), "bold")  # (the CLI's words)
        verb = "is" if len(message.replying) == 1 else "are"
        question = Text.assemble(
            names, f" {verb} replying to #{self.number} right now.\n", "Write a reply as well?"
        )

        def answered(answer: str | None) -> None:
            if answer == "continue":
                self._open_composer(message.kind, message.mark)

        self.app.push_screen(
            ChoiceScreen(question, [Choice("c", "Continue anyway", "continue")], id="collision"),
            answered,
        )

    def _drafts_follow(self, source: int, source_key: str | None, target: int) -> None:
        """(A thread, once the merge committed.) This agent's drafts on ``source`` follow
        it into ``target``, where ``target`` has none of that kind."""
        if source_key is None or self.drafts.desk is None:
            return
        place = self.desk.draft_place(target)
        if place.ticket is not None and place.desk == self.drafts.desk:
            self.drafts.move(source, target, source_key, place.ticket)

    def _open_composer(self, kind: DraftKind, mark: Watermark) -> None:
        subject = self.view.row.subject if self.view is not None else ""
        key = self.view.draft_key if self.view is not None else None
        others = self.drafts.strangers(mark.number, key) if key is not None else []
        if any(other.kind == kind for other in others):
            # A draft kept for this number that was not written on this ticket (another
            # desk's copy, an older ticket the number was given again, or written before
            # drafts knew their desk): never put in this composer; kept, and listed.
            self.notify(
                f"A {kind} draft kept for #{mark.number} was not written on this ticket: "
                "not opened here, kept (helpdesk drafts lists it)",
                severity="warning",
                timeout=10,
                markup=False,
            )
        no_address = kind == "reply" and self.view is not None and not self.view.row.requester_email

        def closed(sent: bool | None) -> None:
            self.activity = Activity.VIEWING
            if sent:
                self.desk_app.post_message(TicketChanged(mark.number))
                self.query_one(Thread).scroll_end(animate=False)  # the reload follows the end
                self.reload()

        self.activity = Activity.REPLYING
        insert, self.pending_insert = self.pending_insert, ""
        composer = ComposerScreen(
            mark.number,
            kind,
            mark,
            subject=subject,
            drafts=self.drafts,
            ticket=key,
            no_address=no_address,
        )
        self.app.push_screen(composer, closed)
        if insert:
            composer.call_after_refresh(lambda: composer.text_area.insert(insert))

    # -- knowledge base -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="ticket-kb", exit_on_error=False)
    def _suggest(self, number: int) -> None:
        found = self.desk.kb_suggest_for_ticket(number)
        self.app.call_from_thread(self._suggested, number, found)

    def _suggested(self, number: int, found: list[KbResult]) -> None:
        if number == self.number:
            self.query_one(SidePanel).show_suggestions(found)

    def action_kb_insert(self) -> None:
        self._pick_article(lambda article: article.reply_text())

    def action_kb_link(self) -> None:
        base = self.desk_app.settings.kb.public_url
        if not base:
            self.notify("No help site address: set [kb] public_url", severity="warning")
            return
        self._pick_article(lambda article: article.reply_link(base))

    def _pick_article(self, text_of: Callable[[ArticleView], str]) -> None:
        """Pick one of the suggested articles; a reply opens with its text (or link) in it."""
        suggested = {str(r.article.id): r.article for r in self.query_one(SidePanel).suggestions}
        if not suggested:
            self.notify("No suggested article for this ticket", severity="warning")
            return
        picks = [Pick(key, a.title, a.category) for key, a in suggested.items()]

        def insert(key: str) -> None:
            try:
                text = text_of(suggested[key])
            except DeskError as error:  # a link to an article not on the help site
                self.notify(str(error), severity="warning", markup=False)
                return
            self.pending_insert = clean(text).rstrip("\n")
            self._start_composer("reply")

        self._pick_then(PickScreen("Insert into the reply", picks), insert)

    @work(thread=True, group="ticket-kb-draft", exit_on_error=False)
    def action_kb_draft(self) -> None:
        article = self.desk.kb_from_ticket(self.number)
        self.app.call_from_thread(
            self.notify,
            f"Draft article {article.slug} written; F3 opens the knowledge base",
            markup=False,
        )

    # -- the palette --------------------------------------------------------------------------

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """(title, help, callback) for every ticket action this agent may use, for the palette:
        "Article from ticket" only on a ticket that may become one (``becomes_article``, the
        action's own check), not offered to be refused."""
        view = self.view if self.view is not None and self.view.row.number == self.number else None
        article = view is not None and becomes_article(view.row.status)
        return [
            (f"#{self.number}: {a.title}", a.help, getattr(self, f"action_{a.name}"))
            for a in allowed_actions(self.desk_app.actor)
            if a.name != "kb_draft" or article
        ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """An action above this agent's role is neither bound nor shown."""
        known = _ACTIONS.get(action)
        return known is None or self.desk_app.actor.can(known.role)


def _download_dir() -> Path:
    downloads = Path.home() / "Downloads"
    return downloads if downloads.is_dir() else Path.cwd()
