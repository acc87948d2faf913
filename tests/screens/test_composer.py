"""The composer: replies, notes and call logs; drafts that outlive it; $EDITOR."""

from __future__ import annotations

import contextlib
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.widgets import TextArea

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.drafts import DraftStore
from helpdesk_tui.screens import autosave
from helpdesk_tui.screens.composer import ComposerScreen
from helpdesk_tui.screens.confirm import ChoiceScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.storage.models import Outbox
from tests.draft_places import load_draft, ticket_drafts
from tests.screens.conftest import DeskData
from tests.screens.ticket_helpers import notifications, open_ticket, settle, until

AppFactory = Callable[..., HelpdeskApp]


def _text(app: HelpdeskApp) -> str:
    return app.screen.query_one(TextArea).text


async def _start(pilot, number: int, key: str = "r") -> ComposerScreen:  # type: ignore[no-untyped-def]
    await open_ticket(pilot, number)
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, ComposerScreen))
    return pilot.app.screen


async def test_keys_in_the_footer_an_empty_reply_not_sent_a_reply_sent_and_queued(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """One reply composer, in turn: Send, Save draft and Close are in its footer; an empty
    reply is not sent (said, the composer stays); a reply is sent and its mail queued."""
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        composer = await _start(pilot, number)
        shown = {
            (b.binding.key, b.binding.description)
            for b in composer.active_bindings.values()
            if b.binding.show
        }
        assert {("ctrl+r", "Send"), ("ctrl+s", "Save draft"), ("escape", "Close")} <= shown
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen), "empty"
        assert "Nothing to send: the reply is empty" in notifications(app), "empty"
        await pilot.press(*"On our way", "enter", *"Ada")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))
        await settle(pilot)
        assert f"Reply queued to send on #{number}" in notifications(app)
    with desk_data.db.read() as s:
        detail = ticket_detail(s, number)
        outbox = s.exec(Outbox.__table__.select()).all()  # type: ignore[attr-defined]
    assert (detail.messages[-1].kind, detail.messages[-1].body) == ("reply", "On our way\nAda")
    assert len(outbox) == 1
    assert load_draft(desk_data.db, number, "reply") == ""


TITLES = {"n": "Internal note on #", "c": "Log a phone call on #"}


async def test_note_and_call_log(make_test_app: AppFactory, desk_data: DeskData) -> None:
    """An internal note (``n``), then a phone call logged (``c``), in one app run."""
    number = desk_data.numbers["vpn"]
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        for key, kind in [("n", "note"), ("c", "customer")]:
            composer = await _start(pilot, number, key)
            title = str(composer.query_one("#composer-title").render())
            assert title.startswith(TITLES[key]), title  # what is being written, not done
            await pilot.press(*"written down", "ctrl+r")
            await until(pilot, lambda: isinstance(app.screen, TicketScreen))
            with desk_data.db.read() as s:
                last = ticket_detail(s, number).messages[-1]
            assert (last.kind, last.body) == (kind, "written down"), key
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, TicketScreen))


async def test_draft_survives_closing_and_restarting(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(autosave, "AUTOSAVE_SECONDS", 0.05)  # not a second's wait below
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _start(pilot, number)
        await pilot.press(*"half a thought")
        await pilot.press("escape")  # asks before closing a non-empty draft
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        assert _text(app) == "half a thought"
        await pilot.press(*" and more")  # autosaved a moment after typing stops
        await until(pilot, lambda: load_draft(desk_data.db, number, "reply").endswith("and more"))
    store, key = ticket_drafts(desk_data.db, number)
    path = store.path(number, "reply", key)
    assert path.parent.parent == DraftStore().base  # (the desk's own folder of drafts)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = make_test_app()  # the app restarts: the draft is still there
    async with again.run_test(size=(120, 40)) as pilot:
        await _start(pilot, number)
        assert _text(again) == "half a thought and more"


async def test_escape_asks_before_discarding(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _start(pilot, number, "n")
        await pilot.press(*"scrap this", "ctrl+s")
        await until(pilot, lambda: "Draft saved" in notifications(app))
        assert load_draft(desk_data.db, number, "note") == "scrap this"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("escape")  # back to writing: nothing lost
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        assert _text(app) == "scrap this"
        await pilot.press("escape", "d")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))
        assert load_draft(desk_data.db, number, "note") == ""
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await pilot.press("escape")  # empty: closes without asking
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))


async def test_editor_on_request(
    make_test_app: AppFactory,
    desk_data: DeskData,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "written in vi\\n" >> "$1"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_test_app()

    @contextlib.contextmanager
    def suspend() -> Iterator[None]:  # the headless test driver cannot hand the tty over
        yield

    monkeypatch.setattr(app, "suspend", suspend)
    async with app.run_test(size=(120, 40)) as pilot:
        await _start(pilot, desk_data.numbers["printer"])
        await pilot.press(*"typed here", "ctrl+o")
        await settle(pilot)
        assert _text(app) == "typed here\nwritten in vi"


async def test_a_draft_not_written_on_this_ticket_is_never_opened_in_its_composer(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """Three drafts kept for this ticket's number were not written on it: another desk's
    (its own identity, even with this ticket's key), an older ticket that had the number on
    this desk (a restored older backup), and one written before drafts knew their desk.
    The composer opens empty, says one line, and what is typed is kept beside them: none
    of the three is read, overwritten or deleted."""
    number = desk_data.numbers["printer"]
    store, key = ticket_drafts(desk_data.db, number)
    others = {
        DraftStore(desk="0" * 32).path(number, "reply", key): "Another desk's customer",
        store.path(number, "reply", "1-1"): "The old ticket's customer",
        DraftStore().path(number, "reply"): "Written before",
    }
    for path, text in others.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _start(pilot, number)
        assert _text(app) == ""
        assert any("not written on this ticket" in line for line in notifications(app))
        await pilot.press(*"Dear Ann")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: load_draft(desk_data.db, number, "reply") == "Dear Ann")
    assert {path: path.read_text() for path in others} == others
