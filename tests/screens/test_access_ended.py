"""An agent deactivated while their terminal UI is open: their access ends there too.

The CLI refuses a deactivated agent every verb, reads included; an open app went on showing
them the queue, every ticket and the customers' mail. Each test runs on SQLite and on
PostgreSQL (those of the cover's keys alone on SQLite: ``on_sqlite_only``): an app open on
the queue or on a ticket, bob deactivated from another connection (the CLI's desk call),
the app's clock moved past its next check and that check made (the watcher's look, the
ticket's beat: by hand, their timers kept out of the way): one screen over everything,
nothing of the desk on it; reactivated, bob is back where he was, the draft he was writing
still in its composer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from textual.widgets import TextArea

from helpdesk_tui import queue_cache
from helpdesk_tui.app import HelpdeskApp, make_app
from helpdesk_tui.config import Settings
from helpdesk_tui.desk.actors import actor_of
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.screens import access_ended
from helpdesk_tui.screens import queue as queue_screen
from helpdesk_tui.screens import ticket as ticket_screen
from helpdesk_tui.screens.access_ended import AccessEndedScreen
from helpdesk_tui.screens.composer import ComposerScreen
from helpdesk_tui.storage.database import Database
from tests.clocks import local_zone
from tests.conftest import HANG_SECONDS
from tests.draft_places import load_draft
from tests.screens.conftest import FROZEN_NOW, SEED, DeskData, seed_desk
from tests.screens.test_queue import _Statements
from tests.screens.ticket_helpers import (
    hold_autosave,
    open_canned_editor,
    open_ticket,
    record_notifications,
    screen_lines,
    settle,
    until,
)

PLAIN_SUBJECTS = [
    seed.subject for seed in SEED if seed.subject.isascii() and "[" not in seed.subject
]


class Clock:
    """The app's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = FROZEN_NOW

    def __call__(self) -> datetime:
        return self.now

    def move(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def seeded(db: Database) -> Iterator[DeskData]:
    """The screens' seeded desk, on each engine. After the test, the queue's watcher
    threads have given their probe's connection back before ``db`` is disposed (they end
    at their next wake-up, not waited for by the app: one that ended after the pool was
    disposed would leave its connection open in the process)."""
    yield seed_desk(db)
    for thread in threading.enumerate():
        if thread.name == "queue-watch":
            thread.join(HANG_SECONDS)


@pytest.fixture
def admins(db: Database) -> Iterator[Desk]:
    """The admin's desk on a connection of its own, as ``helpdesk agent deactivate`` has."""
    other = Database(db.url)
    try:
        yield Desk(other, actor_of(other, "ada"))
    finally:
        other.dispose()


def bobs_app(data: DeskData, clock: Clock) -> HelpdeskApp:
    app = make_app(Settings(database_url=data.db.url), data.db, data.bob, clock=clock)
    record_notifications(app)
    return app


def text_of(app: HelpdeskApp) -> str:
    return "\n".join(screen_lines(app))


ENDED = "Your access to this helpdesk ended at"
REACTIVATE = "An admin can run: helpdesk agent reactivate bob"


def assert_covered(app: HelpdeskApp, *hidden: str) -> AccessEndedScreen:
    screen = app.screen
    assert isinstance(screen, AccessEndedScreen)
    text = text_of(app)
    assert ENDED in text and REACTIVATE in text, text
    assert "(bob is" in text and "deactivated)." in text, text  # (the time's zone may wrap it)
    for words in (*PLAIN_SUBJECTS, *hidden):
        assert words not in text, (words, text)
    return screen


async def test_the_queue_of_a_deactivated_agent_gives_way_and_comes_back(
    seeded: DeskData, admins: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the queue: the watcher's next look after the deactivation covers the desk; no
    key but quitting works; reactivated, the next check (by the app's clock) brings the
    queue back as it was."""
    monkeypatch.setattr(queue_screen, "REFRESH_SECONDS", 3600.0)
    clock = Clock()
    app = bobs_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")  # all open tickets
        await settle(pilot)
        assert "Printer on fire" in text_of(app)
        assert queue_cache.cache_file().exists()  # (the page the next start shows first)
        watch = app.queue._watch
        assert watch is not None
        watch.look()  # (the first look has nothing to compare with)
        await settle(pilot)
        admins.agents_deactivate("bob")
        clock.move(61)  # past the queue's minute
        watch.look()
        await until(pilot, lambda: isinstance(app.screen, AccessEndedScreen))
        await settle(pilot)
        cover = assert_covered(app)
        assert not queue_cache.cache_file().exists()  # (nor shown at the next start)
        await pilot.press("2", "enter", "f3", "f4", "at", "question_mark", "ctrl+p")
        await settle(pilot)
        assert app.screen is cover
        assert_covered(app)
        admins.agents_reactivate("bob")
        clock.move(access_ended.CHECK_SECONDS)
        cover.tick()
        await until(pilot, lambda: app.screen is app.queue)
        await settle(pilot)
        assert app.refused is None
        assert "Printer on fire" in text_of(app) and ENDED not in text_of(app)
        assert app.queue.view.title == "All open"


async def test_a_ticket_being_answered_gives_way_and_its_draft_is_kept(
    seeded: DeskData, admins: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a ticket, a note half written: the ticket's next beat covers the desk (no subject,
    no customer's words, no draft text on screen), the note is kept as a draft and the screen
    says so; reactivated, bob is back on that ticket with the note in its composer."""
    monkeypatch.setattr(ticket_screen, "BEAT_SECONDS", 3600.0)  # (beats made by hand)
    hold_autosave(monkeypatch)  # (kept by the cover)
    number = seeded.numbers["printer"]
    clock = Clock()
    app = bobs_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        ticket = await open_ticket(pilot, number)
        assert "It smokes badly." in text_of(app)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        app.screen.query_one(TextArea).insert("Half a thought about the smoke")
        await settle(pilot)
        assert load_draft(seeded.db, number, "note") == ""
        admins.agents_deactivate("bob")
        clock.move(2)  # past the ticket's beat
        ticket._beat()
        await until(pilot, lambda: isinstance(app.screen, AccessEndedScreen))
        # The beat's worker fails as it should (UnknownAgent: the app covers up), and
        # ``settle`` raises a failure of a worker still listed: wait until it has gone.
        await until(pilot, lambda: not any(w.group == "presence" for w in app.workers))
        await settle(pilot)
        cover = assert_covered(app, "It smokes badly.", "Half a thought", "Ann Archer")
        assert f"Your note on #{number} is kept as a draft." in text_of(app)
        assert load_draft(seeded.db, number, "note") == "Half a thought about the smoke"
        clock.move(access_ended.CHECK_SECONDS)
        cover.tick()  # still deactivated: still covered
        await settle(pilot)
        assert_covered(app)
        admins.agents_reactivate("bob")
        clock.move(access_ended.CHECK_SECONDS)
        cover.tick()
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await settle(pilot)
        composer = app.screen
        assert isinstance(composer, ComposerScreen) and composer.number == number
        assert composer.text == "Half a thought about the smoke"
        assert app.screen_stack[-2] is ticket and ticket.number == number


async def test_the_queue_learns_it_at_its_next_look_at_no_idle_cost(
    seeded: DeskData, admins: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watcher's probe reads this terminal's agent with the change mark, on its own
    connection: idle looks send nothing through the engine (as before), and the first look
    after a deactivation covers the desk, with no clock moved (no minute waited)."""
    monkeypatch.setattr(queue_screen, "REFRESH_SECONDS", 3600.0)
    clock = Clock()
    clock.move(2 * 24 * 3600)  # (every presence row expired: nothing moves with time)
    app = bobs_app(seeded, clock)
    with _Statements(seeded.db) as statements:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            watch = app.queue._watch
            assert watch is not None
            watch.look()
            await settle(pilot)
            statements.sent.clear()
            for _ in range(5):
                watch.look()
                await settle(pilot)
            assert statements.sent == []
            admins.agents_deactivate("bob")
            watch.look()
            await until(pilot, lambda: isinstance(app.screen, AccessEndedScreen))
            assert statements.lists() == 0


def test_the_screen_words_the_desks_own_line() -> None:
    """The desk's one line, cut in two: why (deactivated, or no longer an agent at all: a
    row removed by hand) and the command an admin can run; the drafts kept, each once. The
    time says its zone (``timefmt.clock_time``): "ended at 10:30" did not say whose 10:30."""
    at = FROZEN_NOW  # 09:30 UTC
    with local_zone("Europe/Berlin"):
        deactivated = access_ended.ended_text(
            "bob is deactivated on this helpdesk; an admin can run: helpdesk agent reactivate bob",
            at,
            ["Your reply on #7"],
        ).plain
    assert f"{ENDED} 10:30 CET (bob is deactivated)." in deactivated
    assert REACTIVATE in deactivated
    assert deactivated.count("Your reply on #7 is kept as a draft.") == 1
    removed = (
        "bob is not an agent on this helpdesk; an admin can run: "
        "helpdesk agent add bob --name 'Full Name' --email bob@example.com"
    )
    words = access_ended.ended_text(removed, at, []).plain
    assert "(bob is not an agent)." in words
    assert "An admin can run: helpdesk agent add bob" in words and "draft" not in words


on_sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
"""For a test of the cover's keys alone: the desk calls that bring the cover (the ticket's
beat, the queue watcher's look) run on PostgreSQL in
``test_a_ticket_being_answered_gives_way_and_its_draft_is_kept`` and
``test_the_queue_of_a_deactivated_agent_gives_way_and_comes_back`` (and the probe in
tests/desk/test_queue_watch.py), which keep both engines."""


@on_sqlite_only
async def test_a_q_typed_as_the_screen_comes_is_not_quitting(
    seeded: DeskData, admins: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bob types a reply with a "q" in it just as his access ends: that q reaches the cover
    and quits nothing (nor goes into the text); once the cover has shown for
    ``Q_AFTER_SECONDS`` by the app's clock, q quits; ctrl+q quits at once."""
    monkeypatch.setattr(ticket_screen, "BEAT_SECONDS", 3600.0)
    hold_autosave(monkeypatch)
    number = seeded.numbers["printer"]
    clock = Clock()
    app = bobs_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        ticket = await open_ticket(pilot, number)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await pilot.press("T", "h", "e")
        admins.agents_deactivate("bob")
        clock.move(2)
        ticket._beat()
        await until(pilot, lambda: isinstance(app.screen, AccessEndedScreen))
        cover = app.screen
        await pilot.press("space", "q", "u", "e", "u", "e")
        await settle(pilot)
        assert app.is_running and app.screen is cover
        assert_covered(app)
        assert load_draft(seeded.db, number, "note") == "The"
        clock.move(access_ended.Q_AFTER_SECONDS)
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running)


@on_sqlite_only
async def test_ctrl_q_quits_the_cover_at_once(
    seeded: DeskData, admins: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue_screen, "REFRESH_SECONDS", 3600.0)
    app = bobs_app(seeded, Clock())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        watch = app.queue._watch
        assert watch is not None
        watch.look()
        await settle(pilot)
        admins.agents_deactivate("bob")
        watch.look()
        await until(pilot, lambda: isinstance(app.screen, AccessEndedScreen))
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.is_running)


async def test_the_canned_editors_refusal_goes_once_access_is_back(
    seeded: DeskData, admins: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A canned response saved just as the access ended: the desk refuses it, the cover
    comes (the response is kept as a draft); reactivated, the editor shows again with the
    text and no refusal line (it said the access had ended), and saving works."""
    from textual.widgets import Input, Static

    from helpdesk_tui.screens.canned_manager import CannedManagerScreen

    monkeypatch.setattr(queue_screen, "REFRESH_SECONDS", 3600.0)
    hold_autosave(monkeypatch)
    clock = Clock()
    app = bobs_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_canned_editor(pilot)
        editor = app.screen
        editor.query_one(Input).value = "Badge"
        editor.query_one(TextArea).text = "Your badge is on its way."
        await settle(pilot)
        admins.agents_deactivate("bob")
        await pilot.press("ctrl+s")  # (refused: the desk reads bob again)
        await until(pilot, lambda: isinstance(app.screen, AccessEndedScreen))
        await settle(pilot)
        cover = assert_covered(app, "Your badge")
        assert "Your new canned response is kept as a draft." in text_of(app)
        admins.agents_reactivate("bob")
        clock.move(access_ended.CHECK_SECONDS)
        cover.tick()
        await until(pilot, lambda: app.screen is editor)
        await settle(pilot)
        error = editor.query_one("#canned-edit-error", Static)
        assert str(error.render()).strip() == "", str(error.render())
        assert "deactivated" not in text_of(app) and ENDED not in text_of(app)
        assert editor.query_one(TextArea).text == "Your badge is on its way."
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, CannedManagerScreen))
    assert "Badge" in [view.name for view in Desk(seeded.db, seeded.bob).canned_list()]
