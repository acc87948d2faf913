from __future__ import annotations

import gc
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from sqlmodel import select
from textual.command import CommandList
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets._footer import FooterKey

from helpdesk_tui import app as app_module
from helpdesk_tui import heap
from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.config import Settings
from helpdesk_tui.desk import presence
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.routing_service import ShiftView
from helpdesk_tui.screens.help import HelpScreen
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.storage.models import Activity, Presence
from helpdesk_tui.stylesheet import KeptStylesheet
from helpdesk_tui.ui_settings import SavedView, UiSettings
from tests.restyles import restyled
from tests.screens import conftest as screen_fixtures
from tests.screens.conftest import FROZEN_NOW, DeskData
from tests.screens.test_queue import settle, shown
from tests.screens.ticket_helpers import notifications, until, workers_done

# The screen tests' fixtures (a seeded desk, the frozen clock, the app factory), used here too.
screen_db = screen_fixtures.screen_db
desk_data = screen_fixtures.desk_data
_seeded_sqlite = screen_fixtures._seeded_sqlite
frozen_clock = screen_fixtures.frozen_clock
make_test_app = screen_fixtures.make_test_app
markers_waited_for = screen_fixtures.markers_waited_for


async def test_help_lists_every_key_of_the_screen_and_the_palette_jumps_to_a_ticket(
    make_test_app: Callable[..., HelpdeskApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One app run: the help lists every key of the screen (? and F1); then the palette
    jumps to a ticket by its number.

    The help, a modal, opens as the app's screens do (``screens.base.ShownOnce``): each of
    its widgets styled once as mounted (and the focused one as it takes the focus), not
    again as it is first shown, and laid out once at its size, not again by the ``Resize``
    its first layout posts to it at the same size."""
    help_layouts: list[Size] = []
    refresh_layout = Screen._refresh_layout

    def laying_out(screen: Screen[object], size: Size | None = None, scroll: bool = False) -> None:
        refresh_layout(screen, size, scroll)
        if size is not None and isinstance(screen, HelpScreen):
            help_layouts.append(size)

    monkeypatch.setattr(Screen, "_refresh_layout", laying_out)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        with restyled() as nodes:
            await pilot.press("question_mark")
            await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        times = Counter(node for node in nodes if node.is_attached and node.screen is app.screen)
        assert max(times.values()) == 2, "styled as mounted and on focus; not resumed"
        assert help_layouts == [Size(120, 40)], "laid out once at its size"
        table = app.screen.query_one("#help-keys")
        rows = {
            str(table.get_row_at(i)[2]): str(table.get_row_at(i)[0]) for i in range(table.row_count)
        }
        assert rows["queue.search"] == "/"
        assert rows["queue.view1"] == "1"  # hidden from the footer, listed here
        assert rows["queue.down"] == "↓, j"
        assert "app.quit" in rows
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        # The palette jumps to a ticket by number.
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"#3")
        commands = app.screen.query_one(CommandList)  # (its search's answer, not 0.5 s)
        await until(pilot, lambda: commands.option_count > 0 and commands.highlighted == 0)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.number == 3


async def test_ticket_help_starts_with_the_tickets_own_keys(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """The thread's stock scroll keys (no binding id) come after every key of the desk."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_ticket(desk_data.numbers["printer"])
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        table = app.screen.query_one("#help-keys")
        rows = [
            (str(table.get_row_at(i)[1]), str(table.get_row_at(i)[2]))
            for i in range(table.row_count)
        ]
        ids = [ident for _, ident in rows]
        assert ids[:2] == ["ticket.back", "ticket.reply"]
        last_desk_key = max(i for i, ident in enumerate(ids) if ident.startswith("ticket."))
        assert rows.index(("Scroll Up", "")) > last_desk_key


async def test_keys_remap_from_config(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    settings = Settings(
        database_url=desk_data.db.url,
        ui=UiSettings(keymap={"queue.search": "z", "queue.next_view": "n"}),
    )
    app = make_test_app(settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert not app.queue.query_one("#queue-search").display  # / is no longer search
        await pilot.press("n")
        await settle(pilot)
        assert app.queue.view.title == "Unassigned"
        await pilot.press("z")
        assert app.focused is app.queue.query_one("#queue-search")


async def test_saved_views_from_config_and_bad_ones_reported(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    settings = Settings(
        database_url=desk_data.db.url,
        ui=UiSettings(
            views={
                "hot": SavedView(
                    title="Hot", priorities=["urgent", "high"], open_only=True, sort="priority"
                ),
                "bad": SavedView(statuses=["opened"]),
            }
        ),
    )
    app = make_test_app(settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert notifications(app) == [
            "view 'bad': unknown status 'opened'; allowed: new, open, in_progress, waiting, "
            "on_hold, resolved, closed"
        ]
        await pilot.press("8")
        await settle(pilot)
        assert app.queue.view.title == "Hot"
        assert shown(app) == [1, 9, 2]


def test_palette_finds_tickets_by_number_and_words(desk_data: DeskData) -> None:
    desk = Desk(desk_data.db, desk_data.ada)
    assert [r.number for r in desk.find_tickets("#3")] == [3]
    assert [r.number for r in desk.find_tickets("5")] == [5]
    assert [r.number for r in desk.find_tickets("black screen")] == [9]
    assert desk.find_tickets("#999") == []


async def test_neighbour_follows_the_queue_as_shown_and_the_palette_offers_views_and_actions(
    make_test_app: Callable[..., HelpdeskApp],
) -> None:
    """One app run: the neighbour of a ticket follows the queue as shown (reversed too);
    then the palette offers the views, and on a ticket that screen's actions."""
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        order = shown(app)
        assert app.neighbour_ticket(order[1], 1) == order[2]
        assert app.neighbour_ticket(order[1], -1) == order[0]
        assert app.neighbour_ticket(order[0], -1) is None
        await pilot.press("S")  # reversed
        await settle(pilot)
        assert app.neighbour_ticket(order[1], 1) == order[0]
        # The palette's views, and the ticket screen's actions.
        await settle(pilot)
        titles = {c.title: c for c in app.get_system_commands(app.screen)}
        titles["View: Waiting"].callback()
        await settle(pilot)
        assert shown(app) == [3]
        app.open_ticket(3)
        await pilot.pause()
        ticket_screen = app.screen
        assert isinstance(ticket_screen, TicketScreen)
        actions = [title for title, _, _ in ticket_screen.palette_commands()]
        assert actions, "the ticket screen offers its actions"
        titles = [c.title for c in app.get_system_commands(ticket_screen)]
        assert set(actions) <= set(titles)
        assert "View: Waiting" not in titles


async def test_failed_read_is_a_notification(
    make_test_app: Callable[..., HelpdeskApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read the desk refuses is a notification. (A refused filter is said in the filter
    form instead, which stays open: tests/screens/test_queue.py.)"""
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)

        def refused(*_args: object, **_kwargs: object) -> None:
            raise InvalidValue("no agent 'nobody'; see: helpdesk agent list")

        monkeypatch.setattr(app.desk, "list_window", refused)
        await pilot.press("S")  # (the list read again, reversed)
        await settle(pilot)
        messages = notifications(app)
        assert messages == ["no agent 'nobody'; see: helpdesk agent list"]


@pytest.mark.usefixtures("markers_waited_for")
async def test_quit_takes_this_terminals_markers_away(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        with desk_data.db.write() as s:
            presence.heartbeat(
                s, desk_data.ada, app.session_id, 1, Activity.VIEWING, now=FROZEN_NOW
            )
        await pilot.press("ctrl+q")
    with desk_data.db.read() as s:
        sessions = set(s.exec(select(Presence.session_id)).all())
    assert app.session_id not in sessions
    assert sessions == {"term-bob", "term-cy"}


async def test_quit_does_not_wait_on_a_locked_database(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another process holds the write lock: quitting still ends the app (markers are
    removed off the event loop, and not waited for past ``LEAVE_SECONDS``); they go once
    the lock is released."""
    monkeypatch.setattr(app_module, "LEAVE_SECONDS", 0.05)
    app = make_test_app()
    with desk_data.db.write() as s:
        presence.heartbeat(s, desk_data.ada, app.session_id, 1, Activity.VIEWING, now=FROZEN_NOW)
    with desk_data.db.write() as lock:  # BEGIN IMMEDIATE: every other writer waits
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+q")
        assert not app.is_running
        sessions = set(lock.exec(select(Presence.session_id)).all())
        assert app.session_id in sessions  # not removed yet: the lock is still held
    for leaving in [t for t in threading.enumerate() if t.name == "presence-leave"]:
        leaving.join()
    with desk_data.db.read() as s:
        assert app.session_id not in set(s.exec(select(Presence.session_id)).all())


@pytest.mark.parametrize(
    ("value", "wait"),
    [("30", 30.0), ("0.5", 0.5), ("0", 2.0), ("-1", 2.0), ("soon", 2.0), ("inf", 2.0),
     ("nan", 2.0), ("", 2.0)],
)  # fmt: skip
def test_the_leaves_wait_is_set_by_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, wait: float
) -> None:
    """``HELPDESK_LEAVE_SECONDS`` (a positive number of seconds) replaces the 2 s a leave
    waits for the markers to go; anything else leaves the 2 s."""
    monkeypatch.setenv("HELPDESK_LEAVE_SECONDS", value)
    assert app_module.leave_seconds() == wait
    monkeypatch.delenv("HELPDESK_LEAVE_SECONDS")
    assert app_module.leave_seconds() == app_module.LEAVE_SECONDS == 2.0


def test_a_failure_reads_as_the_file_and_its_fix_never_a_raw_sql_error(
    make_test_app: Callable[..., HelpdeskApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from helpdesk_tui.desk.errors import NotFound

    app = make_test_app()
    raw = OperationalError("INSERT ...", {}, Exception("attempt to write a readonly database"))
    sentence = "cannot read and write /srv/helpdesk/helpdesk.db (...); an admin can run: ..."
    monkeypatch.setattr(app.db, "trouble", lambda: sentence)
    assert app.failure_text(raw) == sentence
    assert app.failure_text(NotFound("no ticket #9")) == "no ticket #9"
    monkeypatch.setattr(app.db, "trouble", lambda: None)
    monkeypatch.setattr(app.db, "url", "postgresql+psycopg://desk:s3cret@db/desk")
    said = app.failure_text(RuntimeError("cannot reach postgresql+psycopg://desk:s3cret@db/desk"))
    assert "s3cret" not in said and "desk:***@db" in said


def test_ticket_actions_above_the_agents_role_are_not_offered() -> None:
    from helpdesk_tui.desk.actors import Actor
    from helpdesk_tui.screens.ticket import ACTIONS, allowed_actions

    [reopen] = [a for a in ACTIONS if a.name == "reopen"]
    assert reopen.role == "supervisor"
    agent = Actor(name="bob", agent_id=2, role="agent")
    supervisor = Actor(name="sue", agent_id=3, role="supervisor")
    assert allowed_actions(agent) == [a for a in ACTIONS if a is not reopen]
    assert allowed_actions(supervisor) == list(ACTIONS)


async def test_a_running_terminal_is_on_shift_and_the_palette_sets_away_and_back(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """Automatic assignment counts an agent whose TUI runs; Away/Back in the palette."""
    app = make_test_app()

    def ada() -> ShiftView:
        return next(v for v in app.desk.shift_list() if v.login == "ada")

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await workers_done(app)
        assert (ada().on_shift, ada().away) == (True, False)
        titles = {c.title: c for c in app.get_system_commands(app.screen)}
        titles["Away"].callback()
        await until(pilot, lambda: ada().away)
        titles["Back"].callback()
        await until(pilot, lambda: not ada().away)
        await pilot.press("ctrl+q")
    assert ada().on_shift is False


@pytest.mark.heap
async def test_start_up_objects_are_kept_out_of_the_collectors_way(
    make_test_app: Callable[..., HelpdeskApp],
) -> None:
    """A full collection walked every object made at start; frozen, they are skipped. Only an
    app told so (the CLI, whose process runs that one app): freezing is process-wide."""
    before = gc.get_freeze_count()
    quiet = make_test_app()
    assert quiet.settle_heap_after is None
    async with quiet.run_test() as pilot:
        await settle(pilot)
    assert gc.get_freeze_count() <= before  # (frozen objects still go when unreferenced)
    thresholds = gc.get_threshold()
    app = make_test_app()
    app.settle_heap_after = 0.01
    try:
        async with app.run_test() as pilot:
            await until(pilot, lambda: gc.get_freeze_count() > before)
            assert gc.get_threshold()[2] == heap.FULL_EVERY  # full collections in pauses
            stamp = app.idle_collector.last_input
            await pilot.press("down")
            assert app.idle_collector.last_input > stamp  # a key is not a pause
    finally:
        gc.set_threshold(*thresholds)  # (the suite's own, for the tests after this one)


async def test_the_title_is_the_desks_name_not_the_agents_config(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An admin named the desk: a terminal whose config names it otherwise says the desk's.

    The same run counts what the start and the end do for nobody: the screen is laid out
    at a size once (Textual's three ``Resize``s at start, all at the size of its first
    layout, each laid the whole screen out again), the footer's keys are there at the first
    layout, the stylesheet is the one that parses its CSS once, and the queue table is not
    restyled as the app ends (its blur)."""
    sized_layouts: list[Size] = []
    footer_at_first_layout: list[int] = []
    refresh_layout = Screen._refresh_layout

    def laying_out(screen: Screen[object], size: Size | None = None, scroll: bool = False) -> None:
        refresh_layout(screen, size, scroll)
        if size is not None:  # (a resize's or a resume's; the update timer's has none)
            sized_layouts.append(size)
        if not footer_at_first_layout:
            footer_at_first_layout.append(len(screen.query(FooterKey)))

    monkeypatch.setattr(Screen, "_refresh_layout", laying_out)
    Desk(desk_data.db, desk_data.ada).desk_set_name("Walk4 Desk")
    app = make_test_app(settings=Settings(database_url=desk_data.db.url, desk_name="Mine"))
    with restyled() as nodes:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await workers_done(app)
            await pilot.pause()
            assert app.title == "Walk4 Desk"
            assert sized_layouts == [Size(80, 24)], "laid out once at its size"
            assert footer_at_first_layout[0] >= 5
            assert isinstance(app.stylesheet, KeptStylesheet)  # (tests/test_stylesheet.py)
            table, ending = app.queue.table, len(nodes)
    assert table not in nodes[ending:], "restyled as the app ended"
