"""An article or a canned response being written is a draft like a reply: kept when the
app quits (ctrl+q, the terminal hanging up) or the agent's access ends, in the agent's own
drafts directory, and offered back when the editor opens again; gone once saved."""

from __future__ import annotations

import stat
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, TextArea

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.drafts import DraftStore, stranger_note
from helpdesk_tui.screens.access_ended import AccessEndedScreen
from helpdesk_tui.screens.canned_manager import CannedEditScreen, CannedManagerScreen
from helpdesk_tui.screens.drafts import (
    DraftsScreen,
    EditorDraftRef,
    draft_value,
    parse_draft_value,
)
from helpdesk_tui.screens.kb import KbScreen
from helpdesk_tui.screens.kb_edit import KbEditScreen
from tests.draft_places import editor_drafts
from tests.screens.conftest import DeskData
from tests.screens.test_access_snapshots import utc_time  # noqa: F401 (a fixture)
from tests.screens.test_composer_canned import seed_canned
from tests.screens.test_kb_screen import open_kb
from tests.screens.ticket_helpers import (
    hold_autosave,
    notifications,
    open_canned_editor,
    screen_lines,
    settle,
    until,
)

AppFactory = Callable[..., HelpdeskApp]
REASON = "ada is deactivated on this helpdesk; an admin can run: helpdesk agent reactivate ada"


@pytest.fixture(autouse=True)
def _no_autosave(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept by quitting or by the cover, not by the timer a moment after typing."""
    hold_autosave(monkeypatch)  # (both editors')


async def new_article(pilot, app: HelpdeskApp) -> KbEditScreen:  # type: ignore[no-untyped-def]
    screen = await open_kb(pilot)
    screen.query_one("#kb-results", OptionList).focus()
    await pilot.press("n")
    await until(pilot, lambda: isinstance(app.screen, KbEditScreen))
    await settle(pilot)
    editor = app.screen
    assert isinstance(editor, KbEditScreen)
    return editor


async def test_an_article_being_written_is_kept_on_quit_and_offered_back(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await new_article(pilot, app)
        for key in "Guest":
            await pilot.press(key)
        editor.query_one(TextArea).insert("Ask reception for the code.")
        await settle(pilot)
        assert editor_drafts(desk_data.db).load_fields("kb", None) is None
        await pilot.press("ctrl+q")
    assert app.kept_on_quit == ["Your new article"]
    kept = editor_drafts(desk_data.db).load_fields("kb", None)
    assert kept is not None and kept["title"] == "Guest"
    assert kept["body"] == "Ask reception for the code."
    path = editor_drafts(desk_data.db).fields_path("kb", None)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    again = make_test_app()
    async with again.run_test(size=(80, 24)) as pilot:
        editor = await new_article(pilot, again)
        assert editor.query_one("#kb-edit-title", Input).value == "Guest"
        assert editor.query_one(TextArea).text == "Ask reception for the code."
        assert any("your unsaved draft is back" in line for line in screen_lines(again))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(again.screen, KbScreen))
        await until(pilot, lambda: editor_drafts(desk_data.db).load_fields("kb", None) is None)
    titles = [a.article.title for a in Desk(desk_data.db, desk_data.ada).kb_search("Guest")]
    assert "Guest" in titles


async def test_an_article_is_kept_when_access_ends_and_when_the_terminal_hangs_up(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await new_article(pilot, app)
        editor.query_one("#kb-edit-title", Input).value = "Badge reader"
        await settle(pilot)
        app._access_ended(REASON)
        await until(pilot, lambda: isinstance(app.screen, AccessEndedScreen))
        await settle(pilot)
        text = "\n".join(screen_lines(app))
        assert "Your new article is kept as a draft." in text, text
        assert "Badge reader" not in text
        kept = editor_drafts(desk_data.db).load_fields("kb", None)
        assert kept is not None and kept["title"] == "Badge reader"
        # (as the text is as last saved, keeping it again writes nothing: changed under
        # the cover, the hang-up keeps the change)
        editor.query_one("#kb-edit-title", Input).value = "Badge reader, lobby"
        ended: list[bool] = []
        app.end_on_hangup = lambda: ended.append(True)
        app.hung_up()  # (what SIGHUP calls: keeps it again, then ends the process)
        kept = editor_drafts(desk_data.db).load_fields("kb", None)
        assert (kept or {}).get("title") == "Badge reader, lobby"
        assert ended == [True]


async def test_an_article_is_kept_when_the_app_crashes(
    make_test_app: AppFactory, monkeypatch: pytest.MonkeyPatch, desk_data: DeskData
) -> None:
    """An error nothing handles ends the app (Textual's traceback): the article being
    written is kept first."""

    def broken(self: KbEditScreen) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(KbEditScreen, "action_editor", broken)
    app = make_test_app()
    with pytest.raises(RuntimeError, match="a bug"):
        async with app.run_test(size=(80, 24)) as pilot:
            await new_article(pilot, app)
            for key in "Crash":
                await pilot.press(key)
            await pilot.press("ctrl+o")
            await settle(pilot)
    assert app.kept_on_quit == ["Your new article"]
    assert (editor_drafts(desk_data.db).load_fields("kb", None) or {}).get("title") == "Crash"


async def test_escape_asks_before_dropping_an_article(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await new_article(pilot, app)
        for key in "Lift":
            await pilot.press(key)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not editor and not isinstance(app.screen, KbScreen)
        await pilot.press("k")  # keep it
        await until(pilot, lambda: isinstance(app.screen, KbScreen))
    assert (editor_drafts(desk_data.db).load_fields("kb", None) or {}).get("title") == "Lift"


async def test_a_canned_response_being_edited_is_kept_on_hang_up_and_offered_back(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    seed_canned(desk_data)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_canned_editor(pilot, "e", listed=4)
        item = editor.view.id if editor.view else None
        assert item is not None
        editor.query_one(TextArea).text = "Hello {{requester.name}}, a new text"
        await settle(pilot)
        kept = editor_drafts(desk_data.db)
        assert app.screen is editor and kept.load_fields("canned", item) is None
        app.end_on_hangup = app.exit
        app.hung_up()  # (the terminal closing: SIGHUP)
    kept = editor_drafts(desk_data.db).load_fields("canned", item)
    assert kept is not None and kept["body"] == "Hello {{requester.name}}, a new text"

    again = make_test_app()
    async with again.run_test(size=(80, 24)) as pilot:
        editor = await open_canned_editor(pilot, "e", listed=4)
        assert editor.query_one(TextArea).text == "Hello {{requester.name}}, a new text"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(again.screen, CannedManagerScreen))
    assert editor_drafts(desk_data.db).load_fields("canned", item) is None
    bodies = [v.body for v in Desk(desk_data.db, desk_data.ada).canned_list()]
    assert "Hello {{requester.name}}, a new text" in bodies


async def test_a_new_canned_response_is_kept_when_access_ends(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    seed_canned(desk_data)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_canned_editor(pilot, "a", listed=4)
        editor.query_one(Input).value = "Welcome"
        await settle(pilot)
        app._access_ended(REASON)
        await until(pilot, lambda: isinstance(app.screen, AccessEndedScreen))
        await settle(pilot)
        text = "\n".join(screen_lines(app))
        assert "Your new canned response is kept as a draft." in text, text
    assert (editor_drafts(desk_data.db).load_fields("canned", None) or {}).get("name") == "Welcome"


def test_an_article_offered_back_80x24(
    snap_compare: Any, make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """A new article's draft, kept before, back in its editor: the heading says so."""
    editor_drafts(desk_data.db).save_fields(
        "kb",
        None,
        {
            "title": "Guest Wi-Fi",
            "category": "Network",
            "tags": "wifi guest",
            "visibility": "public",
            "body": "Ask reception for the day's code.\n",
        },
    )

    async def reopened(pilot: Pilot[None]) -> None:
        await new_article(pilot, pilot.app)  # type: ignore[arg-type]

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=reopened)


@pytest.mark.usefixtures("utc_time")
def test_access_ended_with_an_article_kept_80x24(
    snap_compare: Any, make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """A new article being written when the access ends: the cover says it is kept, and
    shows nothing of it."""

    async def ended(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, HelpdeskApp)
        editor = await new_article(pilot, app)
        editor.query_one("#kb-edit-title", Input).value = "Badge reader"
        await settle(pilot)
        app._access_ended(REASON)
        await until(pilot, lambda: isinstance(app.screen, AccessEndedScreen))
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=ended)


async def test_a_draft_that_cannot_be_kept_does_not_stop_quitting(
    make_test_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever one editor's keeping raises, ctrl+q still quits (and the others are kept)."""

    def broken(self: DraftStore, *args: object) -> None:
        raise RuntimeError("cannot write")

    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await new_article(pilot, app)
        for key in "Lost":
            await pilot.press(key)
        monkeypatch.setattr(DraftStore, "save_fields", broken)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.is_running)
    assert app.kept_on_quit == []


async def test_the_canned_editor_offers_only_this_desks_draft_of_this_very_response(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """A response deleted and its id given to a new one (SQLite does): the new one's editor
    does not offer the old one's draft, nor the new-response editor another desk's or one
    from before drafts knew their desk; it says so; every draft is kept, and what is typed
    is kept as the new response's."""
    ada = Desk(desk_data.db, desk_data.ada)
    old = ada.canned_save("Old", "Old text")
    fields = editor_drafts(desk_data.db)
    fields.save_fields("canned", old.id, {"name": "Old", "body": "For the old one"})
    ada.canned_delete(old.id)
    new = ada.canned_save("New", "New text")
    assert new.id == old.id and new.draft_key != old.draft_key
    other_desk = DraftStore(desk="ab" * 16)
    other_desk.save_fields("canned", None, {"name": "Other desk's", "body": "x"})
    unclaimed = DraftStore().unclaimed_fields("canned", None)
    unclaimed.write_text('{"name": "From before", "body": "y"}', encoding="utf-8")
    kept_before = sorted((p, p.read_bytes()) for p in DraftStore().base.rglob("*.json"))

    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(CannedManagerScreen(editing=new.id, edit_draft=True))
        await until(pilot, lambda: isinstance(app.screen, CannedEditScreen))
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, CannedEditScreen) and editor.draft_item == new.id
        assert editor.query_one(TextArea).text == "New text"
        told = f"A draft kept for canned response {new.id} was not written on this one"
        assert any(note.startswith(told) for note in notifications(app)), notifications(app)
        editor.query_one(TextArea).text = "New text, changed"
        await pilot.press("escape", "k")  # keep it as a draft
        await until(pilot, lambda: isinstance(app.screen, CannedManagerScreen))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, CannedEditScreen))
        await settle(pilot)
        assert app.screen.query_one(Input).value == ""  # (neither other desk's nor before)
        assert app.screen.query_one(TextArea).text == ""
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, CannedManagerScreen))
        picked = parse_draft_value(draft_value(DraftStore(desk="c" * 32).editor_drafts()[0]))
        assert picked == EditorDraftRef("canned", None, unclaimed=True)
        manager = app.screen
        app.open_editor_draft(picked)  # (as the Drafts screen's Enter does)
        await settle(pilot)
        assert app.screen is manager  # (not opened in an editor)
        assert "helpdesk drafts adopt canned:new" in notifications(app)[-1]
        listing = DraftsScreen()
        app.push_screen(listing)
        await until(pilot, lambda: len(listing.picks) == 3)  # (not the other desk's)
        details = {pick.value: pick.detail for pick in listing.picks}
        assert stranger_note("canned", old.id) in details[f"canned:{old.id}:{old.draft_key}"]
        assert "another" not in details[f"canned:{new.id}:{new.draft_key}"]
    after = sorted((p, p.read_bytes()) for p in DraftStore().base.rglob("*.json"))
    assert [entry for entry in kept_before if entry not in after] == []
    assert (fields.load_fields("canned", new.id) or {}).get("body") == "New text, changed"
    old_draft = fields.store.load_fields("canned", old.id, old.draft_key)
    assert (old_draft or {}).get("body") == "For the old one"
