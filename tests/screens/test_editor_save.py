"""ctrl+s in the knowledge-base article and canned-response editors: the draft and the desk
are written in a worker, never on the UI thread; the editor answers keys meanwhile and says
"Saving…"; a refusal (a conflicting edit) or a failure (the database gone) is one line in
the editor, with the fields and their draft all there."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Input, OptionList, TextArea

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.opening import DatabaseUnreachable
from helpdesk_tui.drafts import DraftStore
from helpdesk_tui.screens.canned_manager import CannedManagerScreen
from helpdesk_tui.screens.help import HelpScreen
from helpdesk_tui.screens.kb import KbScreen
from helpdesk_tui.screens.kb_edit import KbEditScreen
from tests.draft_places import editor_drafts
from tests.screens.conftest import DeskData
from tests.screens.test_composer_canned import seed_canned
from tests.screens.test_editor_drafts import new_article
from tests.screens.test_kb_screen import open_kb
from tests.screens.ticket_helpers import (
    notifications,
    open_canned_editor,
    screen_lines,
    settle,
    until,
)

AppFactory = Callable[..., HelpdeskApp]


def on_ui_thread(monkeypatch: pytest.MonkeyPatch, owner: type, name: str) -> list[bool]:
    """Each call of ``owner.name`` from now on: whether it ran on the UI (main) thread."""
    calls: list[bool] = []
    original = getattr(owner, name)

    def recorded(*args: Any, **kwargs: Any) -> Any:
        calls.append(threading.current_thread() is threading.main_thread())
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, recorded)
    return calls


def drawn(app: HelpdeskApp, words: str) -> list[str]:
    return [line for line in screen_lines(app) if words in line]


async def test_an_article_is_saved_in_a_worker_while_the_editor_answers_keys(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    drafts = on_ui_thread(monkeypatch, DraftStore, "save_fields")
    go = threading.Event()
    desk_calls: list[bool] = []
    create = Desk.kb_create

    def slow_create(desk: Desk, *args: Any, **kwargs: Any) -> Any:
        desk_calls.append(threading.current_thread() is threading.main_thread())
        assert go.wait(30), "never let go"
        return create(desk, *args, **kwargs)

    monkeypatch.setattr(Desk, "kb_create", slow_create)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await new_article(pilot, app)
        await pilot.press(*"Guest")
        editor.query_one(TextArea).insert("Ask reception.")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(desk_calls))
        await until(pilot, lambda: bool(drawn(app, "Saving…")))  # (no settle: it waits)
        await pilot.press("f1")  # (the desk still busy: the editor answers)
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is editor)
        go.set()
        await until(pilot, lambda: isinstance(app.screen, KbScreen))
        await settle(pilot)
        assert "Saved: Guest" in notifications(app)
        assert editor_drafts(desk_data.db).load_fields("kb", None) is None
    assert desk_calls == [False]
    assert drafts and not any(drafts), drafts  # (the draft was written, never on the UI thread)


async def test_a_conflicting_edit_is_one_line_in_the_editor_and_nothing_is_lost(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    made = Desk(desk_data.db, desk_data.ada).kb_create(
        title="VPN", body="Use the client.", category="network", tags=["vpn"]
    )
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        kb = await open_kb(pilot)
        kb.query_one("#kb-results", OptionList).focus()
        await until(pilot, lambda: kb.article is not None)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, KbEditScreen))
        await settle(pilot)
        editor = app.screen
        Desk(desk_data.db, desk_data.bob).kb_update(
            made.id, expected_version=made.version, body="Bob's text."
        )
        editor.query_one(TextArea).text = "Use the new client, version 5."
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(drawn(app, "Not saved:")))
        await settle(pilot)
        assert app.screen is editor
        line = drawn(app, "Not saved:")
        assert len(line) == 1 and "changed" in line[0].lower(), line
        assert editor.query_one(TextArea).text == "Use the new client, version 5."
        assert not editor.query_one(TextArea).disabled
        kept = editor_drafts(desk_data.db).load_fields("kb", made.id)
        assert kept is not None and kept["body"] == "Use the new client, version 5."
        await pilot.press(*" ok")  # (the title takes keys again, where its cursor was)
        assert editor.query_one("#kb-edit-title", Input).value == "VPN ok"
    assert Desk(desk_data.db, desk_data.ada).kb_article(made.id).body.strip() == "Bob's text."


async def test_a_key_typed_in_the_editors_adds_to_the_title_or_name_it_opens_on(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """The article editor opened with its title selected (as Input selects on focus): the
    first key typed replaced the title. It and the canned editor's name open with the
    cursor after the text, as the tags and category are when Tab reaches them."""
    Desk(desk_data.db, desk_data.ada).kb_create(
        title="VPN", body="Use the client.", category="network", tags=["vpn"]
    )
    seed_canned(desk_data)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        kb = await open_kb(pilot)
        kb.query_one("#kb-results", OptionList).focus()
        await until(pilot, lambda: kb.article is not None)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, KbEditScreen))
        await settle(pilot)
        await pilot.press(*" client")
        assert app.screen.query_one("#kb-edit-title", Input).value == "VPN client"
        await pilot.press("tab", "x")
        assert app.screen.query_one("#kb-edit-category", Input).value == "networkx"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, KbEditScreen))
        editor = await open_canned_editor(pilot, "e", listed=4)
        name = editor.query_one("#canned-edit-name", Input)
        typed = name.value
        await pilot.press("!")
        assert name.value == typed + "!"


async def test_the_database_gone_is_one_line_in_the_canned_editor_then_it_saves(
    make_test_app: AppFactory, desk_data: DeskData, monkeypatch: pytest.MonkeyPatch
) -> None:
    drafts = on_ui_thread(monkeypatch, DraftStore, "save_fields")
    gone = threading.Event()
    gone.set()
    save = Desk.canned_save

    def unreachable(desk: Desk, *args: Any, **kwargs: Any) -> Any:
        if gone.is_set():
            raise DatabaseUnreachable(
                "database error at the desk: connection refused\nIs the server running?"
            )
        return save(desk, *args, **kwargs)

    monkeypatch.setattr(Desk, "canned_save", unreachable)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        editor = await open_canned_editor(pilot)
        editor.query_one(Input).value = "Badge"
        editor.query_one(TextArea).text = "Your badge is on its way."
        await settle(pilot)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(drawn(app, "Not saved:")))
        await settle(pilot)
        line = drawn(app, "Not saved:")
        assert len(line) == 1 and "connection refused" in line[0], screen_lines(app)
        assert not drawn(app, "Is the server running?")
        assert app.screen is editor
        assert editor.query_one(TextArea).text == "Your badge is on its way."
        kept = editor_drafts(desk_data.db).load_fields("canned", None)
        assert kept is not None and kept["body"] == "Your badge is on its way."
        gone.clear()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, CannedManagerScreen))
        await settle(pilot)
        assert "Saved: Badge" in notifications(app)
    assert editor_drafts(desk_data.db).load_fields("canned", None) is None
    assert "Badge" in [view.name for view in Desk(desk_data.db, desk_data.ada).canned_list()]
    assert drafts and not any(drafts), drafts
