"""The Drafts screen (ctrl+p, "Drafts") lists every draft the store keeps, as
``helpdesk drafts`` does: replies, notes and call logs, and the knowledge-base articles and
canned responses being written; each line says what it is, Enter opens it in its own editor
with its text, and ctrl+d discards it after asking."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, TextArea

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.drafts import EditorKind
from helpdesk_tui.screens.canned_manager import CannedEditScreen, CannedManagerScreen
from helpdesk_tui.screens.confirm import ChoiceScreen
from helpdesk_tui.screens.drafts import DraftsScreen
from helpdesk_tui.screens.kb import KbScreen
from helpdesk_tui.screens.kb_edit import KbEditScreen
from tests.draft_places import DeskFields, editor_drafts, load_draft
from tests.screens.conftest import FROZEN_NOW, DeskData
from tests.screens.test_composer_canned import seed_canned
from tests.screens.test_undo import saved_drafts
from tests.screens.test_undo_snapshots import still
from tests.screens.ticket_helpers import screen_lines, settle, until

AppFactory = Callable[..., HelpdeskApp]


def _at(store: DeskFields, kind: EditorKind, item: int | None, minutes: int) -> None:
    moment = (FROZEN_NOW - timedelta(minutes=minutes)).timestamp()
    os.utime(store.fields_path(kind, item), (moment, moment))


def every_kind(desk: DeskData) -> dict[str, Any]:
    """A reply (3 min ago) and a note on a closed ticket (50), a new article (1), changes
    to an article (20), a new canned response (10) and changes to one (30)."""
    laptop, thanks = saved_drafts(desk)
    seed_canned(desk)
    ada = Desk(desk.db, desk.ada, clock=lambda: FROZEN_NOW)
    article = ada.kb_create(title="VPN on a hotel network", body="Use port 443.", category="")
    refund = next(v for v in ada.canned_list() if v.name == "Refund policy")
    store = editor_drafts(desk.db)
    store.save_fields("kb", None, {"title": "Guest Wi-Fi", "body": "Ask reception.", "tags": ""})
    store.save_fields("kb", article.id, {"title": "VPN on hotel Wi-Fi", "body": "Port 443."})
    store.save_fields("canned", None, {"name": "", "body": "Hello", "shared": False})
    store.save_fields("canned", refund.id, {"name": "Refunds", "body": "Five days."})
    _at(store, "kb", None, 1)
    _at(store, "kb", article.id, 20)
    _at(store, "canned", None, 10)
    _at(store, "canned", refund.id, 30)
    return {"laptop": laptop, "thanks": thanks, "article": article.id, "refund": refund.id}


def _options(app: HelpdeskApp) -> list[str]:
    if not isinstance(app.screen, DraftsScreen) or not app.screen.query(OptionList):
        return []
    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def open_drafts(pilot: Pilot[None], count: int) -> list[str]:
    app = pilot.app
    assert isinstance(app, HelpdeskApp)
    await settle(pilot)
    app.action_drafts()
    await until(pilot, lambda: len(_options(app)) == count)
    await settle(pilot)
    return _options(app)


async def test_every_kind_is_listed_newest_first_articles_open_in_the_article_editor(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """One app run: every kind of draft is listed, newest first, saying what it is; a new
    article and an article's changes open in the article editor."""
    ids = every_kind(desk_data)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        lines = await open_drafts(pilot, 6)
        assert lines[0].startswith('New KB article "Guest Wi-Fi"  1 min ago'), lines
        assert lines[1].startswith(f"Reply to #{ids['laptop']}: Laptop will not boot  3 min ago")
        assert lines[2].startswith("New canned response (untitled)  10 min ago"), lines
        assert lines[3].startswith('Changes to KB article "VPN on hotel Wi-Fi"  20 min ago'), lines
        assert lines[4].startswith('Changes to canned response "Refunds"  30 min ago'), lines
        assert lines[5].startswith(f"Note on #{ids['thanks']}: Thank you!  50 min ago"), lines
        assert "closed: a supervisor or an admin can reopen it" in lines[5]
        await pilot.press("enter")  # (the newest: the new article)
        await until(pilot, lambda: isinstance(app.screen, KbEditScreen))
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, KbEditScreen) and editor.draft_item is None
        assert editor.query_one("#kb-edit-title", Input).value == "Guest Wi-Fi"
        assert editor.query_one(TextArea).text == "Ask reception."
        assert app.current_mode == "kb"
        assert any("your unsaved draft is back" in line for line in screen_lines(app))
        await pilot.press("ctrl+s")  # (saved: the draft goes)
        await until(pilot, lambda: isinstance(app.screen, KbScreen))
        await until(pilot, lambda: editor_drafts(desk_data.db).load_fields("kb", None) is None)

        await open_drafts(pilot, 5)
        await pilot.press(*"hotel", "enter")
        await until(pilot, lambda: isinstance(app.screen, KbEditScreen))
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, KbEditScreen) and editor.draft_item == ids["article"]
        assert editor.article is not None and editor.article.title == "VPN on a hotel network"
        assert editor.query_one("#kb-edit-title", Input).value == "VPN on hotel Wi-Fi"
        assert editor.query_one(TextArea).text == "Port 443."


async def test_canned_drafts_open_in_the_canned_editor(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    ids = every_kind(desk_data)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_drafts(pilot, 6)
        await pilot.press(*"Refunds", "enter")
        await until(pilot, lambda: isinstance(app.screen, CannedEditScreen))
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, CannedEditScreen) and editor.draft_item == ids["refund"]
        assert isinstance(app.screen_stack[-2], CannedManagerScreen)
        assert editor.query_one(Input).value == "Refunds"
        assert editor.query_one(TextArea).text == "Five days."
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, CannedManagerScreen))
        kept = editor_drafts(desk_data.db)
        await until(pilot, lambda: kept.load_fields("canned", ids["refund"]) is None)
        await pilot.press("escape")
        await settle(pilot)

        await open_drafts(pilot, 5)
        await pilot.press(*"canned", "enter")
        await until(pilot, lambda: isinstance(app.screen, CannedEditScreen))
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, CannedEditScreen) and editor.draft_item is None
        assert editor.query_one(TextArea).text == "Hello"


async def test_discarding_a_draft_asks_first(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    ids = every_kind(desk_data)
    store = editor_drafts(desk_data.db)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_drafts(pilot, 6)
        await pilot.press("down")  # the reply on the laptop ticket
        await pilot.press("ctrl+d")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        question = app.screen
        assert isinstance(question, ChoiceScreen)
        assert question.question.plain.startswith("Discard this draft?")
        assert f"Reply to #{ids['laptop']}: Laptop will not boot" in question.question.plain
        await pilot.press("escape")  # kept
        await until(pilot, lambda: isinstance(app.screen, DraftsScreen))
        assert load_draft(desk_data.db, ids["laptop"], "reply") != ""
        await pilot.press("ctrl+d")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("d")
        await until(pilot, lambda: len(_options(app)) == 5)
        assert load_draft(desk_data.db, ids["laptop"], "reply") == ""
        assert not any("Reply to" in line for line in _options(app))

        await pilot.press("ctrl+d")  # the new article, now first
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("d")
        await until(pilot, lambda: len(_options(app)) == 4)
        assert store.load_fields("kb", None) is None


def test_every_kind_of_draft_80x24(
    snap_compare: Callable[..., bool], make_test_app: AppFactory, desk_data: DeskData
) -> None:
    every_kind(desk_data)

    async def run_before(pilot: Pilot[None]) -> None:
        await open_drafts(pilot, 6)
        await still(pilot)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)


def test_discarding_asks_80x24(
    snap_compare: Callable[..., bool], make_test_app: AppFactory, desk_data: DeskData
) -> None:
    every_kind(desk_data)

    async def run_before(pilot: Pilot[None]) -> None:
        await open_drafts(pilot, 6)
        await pilot.press("ctrl+d")
        await until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen))
        await still(pilot)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)
