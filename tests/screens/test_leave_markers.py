"""A hang-up (SIGHUP) or a crash removes this terminal's presence markers ("ada is viewing
#1"), as ctrl+q does, best effort: a database that does not answer holds the end up for at
most ``LEAVE_SECONDS`` and is said in one line once the terminal is back. (SIGKILL cannot:
its markers expire ``PRESENCE_TTL`` after the last beat: ``test_hangup_terminal``; the
queue drops them then: ``test_queue``, ``test_a_marker_that_expires_goes_at_the_first_look…``.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select
from textual.widgets import TextArea

from helpdesk_tui import app as app_module
from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk.presence_service import Beat as PresenceBeat
from helpdesk_tui.desk.presence_service import PresenceService
from helpdesk_tui.screens.composer import ComposerScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.storage.models import Presence
from tests.conftest import HANG_SECONDS
from tests.draft_places import load_draft
from tests.screens.conftest import DeskData
from tests.screens.ticket_helpers import hold_autosave, open_ticket, settle, until

AppFactory = Callable[..., HelpdeskApp]


@pytest.fixture(autouse=True)
def _no_autosave(monkeypatch: pytest.MonkeyPatch) -> None:
    hold_autosave(monkeypatch)


def _sessions(desk: DeskData) -> set[str]:
    with desk.db.read() as s:
        return set(s.exec(select(Presence.session_id)).all())


def _crash_on_history(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: TicketScreen) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(TicketScreen, "action_history", broken)


@pytest.mark.usefixtures("markers_waited_for")
async def test_a_crash_removes_the_markers(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    _crash_on_history(monkeypatch)
    app = make_test_app()
    with pytest.raises(RuntimeError, match="a bug"):
        async with app.run_test(size=(80, 24)) as pilot:
            await open_ticket(pilot, desk_data.numbers["printer"])
            await until(pilot, lambda: app.session_id in _sessions(desk_data))
            await pilot.press("h")
            await settle(pilot)
    assert app.session_id not in _sessions(desk_data)
    assert _sessions(desk_data) == {"term-bob", "term-cy"}
    assert app.left_problem is None


async def test_a_crash_on_a_locked_database_keeps_the_reply_and_says_why_markers_stay(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the write lock: the app still ends (the markers are not waited
    for past ``LEAVE_SECONDS``), the reply is kept, and one line says the markers stay."""
    monkeypatch.setattr(app_module, "LEAVE_SECONDS", 0.05)
    monkeypatch.setattr(ComposerScreen, "action_canned", lambda self: 1 / 0)
    number = desk_data.numbers["printer"]
    app = make_test_app()
    with pytest.raises(ZeroDivisionError):
        async with app.run_test(size=(80, 24)) as pilot:
            await open_ticket(pilot, number)
            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
            await settle(pilot)
            app.screen.query_one(TextArea).insert("Almost done")
            with desk_data.db.write():  # BEGIN IMMEDIATE: every other writer waits
                await pilot.press("ctrl+t")
                await settle(pilot)
    assert app.kept_on_quit == [f"Your reply on #{number}"]
    assert load_draft(desk_data.db, number, "reply") == "Almost done"
    assert app.left_problem == (
        "Your viewing/replying markers were not removed (the database did not answer within "
        "0.05 s); they expire by themselves within 15 s."
    )


@pytest.mark.usefixtures("markers_waited_for")
async def test_a_hang_up_removes_the_markers_before_the_process_ends(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    app = make_test_app()
    seen: list[set[str]] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, desk_data.numbers["printer"])
        await until(pilot, lambda: app.session_id in _sessions(desk_data))
        app.end_on_hangup = lambda: seen.append(_sessions(desk_data))
        app.hung_up()  # (what SIGHUP calls)
        app.exit()
    assert seen == [{"term-bob", "term-cy"}]
    assert app.left_problem is None


async def test_a_hang_up_on_a_locked_database_still_ends(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "LEAVE_SECONDS", 0.05)
    app = make_test_app()
    ended: list[bool] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, desk_data.numbers["printer"])
        app.end_on_hangup = lambda: ended.append(True)
        with desk_data.db.write():
            app.hung_up()
        app.exit()
    assert ended == [True]
    assert app.left_problem is not None and "did not answer" in app.left_problem


@pytest.mark.usefixtures("markers_waited_for")
async def test_a_beat_under_way_as_the_agent_quits_is_written_before_the_markers_go(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ticket screen's heartbeat (every ``BEAT_SECONDS``, in a thread) was writing its
    marker as ctrl+q removed them: written after the removal, it stayed ("ada is viewing")
    until it expired. Here a beat is held inside the desk until the leave has either
    removed the markers (the beat then writes after it: the marker stays) or waits for
    the beat (the app's ``presence_lock``: the leave then removes what the beat wrote)."""
    app = make_test_app()
    held, go, beaten = threading.Event(), threading.Event(), threading.Event()
    armed = [False]
    real_beat, real_leave = PresenceService.presence_beat, PresenceService.presence_leave

    def beat(desk: PresenceService, *args: Any, **kwargs: Any) -> PresenceBeat:
        if not armed[0]:
            return real_beat(desk, *args, **kwargs)
        armed[0] = False
        held.set()
        go.wait(HANG_SECONDS)
        try:
            return real_beat(desk, *args, **kwargs)
        finally:
            beaten.set()

    def leave(desk: PresenceService, session_id: str) -> None:
        real_leave(desk, session_id)
        go.set()  # removed: the beat goes on

    class WatchedLock:
        """The app's presence lock; a leave that comes to wait for it lets the beat go on."""

        def __init__(self) -> None:
            self._lock = threading.Lock()

        def __enter__(self) -> bool:
            if threading.current_thread().name == "presence-leave":
                go.set()
            return self._lock.__enter__()

        def __exit__(self, *exc: object) -> None:
            self._lock.__exit__(*exc)  # type: ignore[arg-type]

    monkeypatch.setattr(PresenceService, "presence_beat", beat)
    monkeypatch.setattr(PresenceService, "presence_leave", leave)
    monkeypatch.setattr(app, "presence_lock", WatchedLock(), raising=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, desk_data.numbers["printer"])
        await until(pilot, lambda: app.session_id in _sessions(desk_data))
        armed[0] = True
        await until(pilot, held.is_set)  # (the next beat, within BEAT_SECONDS)
        await pilot.press("ctrl+q")
    assert beaten.wait(HANG_SECONDS)
    for leaving in [t for t in threading.enumerate() if t.name == "presence-leave"]:
        leaving.join()
    assert _sessions(desk_data) == {"term-bob", "term-cy"}
    assert app.left_problem is None


async def test_a_beat_due_while_a_leave_waits_for_the_database_ends_at_once(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hang-up on a database that does not answer: the app gives up on removing the
    markers after ``LEAVE_SECONDS``, and the ticket's beat due then (every
    ``BEAT_SECONDS``, in the loop's executor) ends at once, writing nothing. It waited for
    the leave's presence lock as long as the database held the leave (SQLite's busy
    timeout, 30 s), and the process's exit, which waits for those threads, with it."""
    monkeypatch.setattr(app_module, "LEAVE_SECONDS", 0.05)
    answers = threading.Event()
    real_leave = PresenceService.presence_leave

    def leave(desk: PresenceService, session_id: str) -> None:
        answers.wait()  # (the database does not answer until the test is done)
        real_leave(desk, session_id)

    beaten = threading.Event()

    class WatchedLock:
        """The app's presence lock, saying when a beat (not the leave) has taken it."""

        def __init__(self) -> None:
            self._lock = threading.Lock()

        def __enter__(self) -> bool:
            taken = self._lock.__enter__()
            if threading.current_thread().name != "presence-leave":
                beaten.set()
            return taken

        def __exit__(self, *exc: object) -> None:
            self._lock.__exit__(*exc)  # type: ignore[arg-type]

    monkeypatch.setattr(PresenceService, "presence_leave", leave)
    app = make_test_app()
    monkeypatch.setattr(app, "presence_lock", WatchedLock(), raising=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(pilot, desk_data.numbers["printer"])
        app.end_on_hangup = lambda: None
        app.hung_up()  # (what SIGHUP calls): the leave waits for the database
        beaten.clear()  # (a beat before the leave took the lock)
        screen._heartbeat(screen.number, screen.activity, None)
        try:
            await until(pilot, beaten.is_set)
        finally:
            answers.set()
        app.exit()
    assert app.left_problem is not None and "did not answer" in app.left_problem


def test_the_line_is_said_once_the_terminal_is_back(capsys: pytest.CaptureFixture[str]) -> None:
    """(``helpdesk`` prints it after the drafts kept, on stderr.)"""
    from helpdesk_tui.cli.tui import _say_kept

    _say_kept(["Your reply on #1"], "Your viewing/replying markers were not removed (…).")
    assert capsys.readouterr().err.splitlines() == [
        "Your reply on #1 is kept as a draft: it is offered back when opened again.",
        "Your viewing/replying markers were not removed (…).",
    ]
