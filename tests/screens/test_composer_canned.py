"""The composer's canned picker, macro picker and attached files, driven by keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlmodel import col, select
from textual.widgets import Input, Static, TextArea

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk.attachments import list_attachments
from helpdesk_tui.desk.demo_library import CANNED, add_library
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.macros import MacroSpec
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.screens.attach import AttachScreen
from helpdesk_tui.screens.canned_picker import CannedPickScreen, MacroPickScreen
from helpdesk_tui.screens.composer import ComposerScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.storage.canned_models import CannedResponse
from helpdesk_tui.storage.models import Event
from helpdesk_tui.widgets.attachment_list import AttachmentList, PathSuggester
from tests.screens.conftest import FROZEN_NOW, DeskData
from tests.screens.ticket_helpers import (
    notifications,
    open_ticket,
    screen_lines,
    settle,
    until,
)

AppFactory = Callable[..., HelpdeskApp]


def seed_canned(desk: DeskData) -> None:
    ada = Desk(desk.db, desk.ada)
    ada.canned_save(
        "Password reset", "Hi {{requester.first_name}},\n\nuse the reset link.", shared=True
    )
    ada.canned_save("Printer offline", "Please power-cycle the printer.", shared=True)
    ada.canned_save("Refund policy", "Refunds take 5 days. -- {{agent.name}}", shared=True)
    ada.canned_save("[bold]Markup[/bold] name", "Body with [red]markup[/red]\x1b[31m.")


async def start(pilot, number: int, key: str = "r") -> ComposerScreen:  # type: ignore[no-untyped-def]
    await open_ticket(pilot, number)
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, ComposerScreen))
    return pilot.app.screen


async def test_canned_picker_inserts_the_rendered_text(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    seed_canned(desk_data)
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        composer = await start(pilot, number)
        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(app.screen, CannedPickScreen))
        await pilot.press(*"refnd")
        await until(
            pilot, lambda: "Refund" in str(app.screen.query_one("OptionList").render_line(0))
        )
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is composer)
        assert composer.query_one(TextArea).text == "Refunds take 5 days. -- Ada Admin"


async def test_unknown_placeholder_shows_the_error_and_inserts_nothing(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    with desk_data.db.write() as s:  # written before the check existed, say
        s.add(CannedResponse(name="Broken", body="Dear {{customer.name}}", updated_by="ada"))
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        composer = await start(pilot, number)
        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(app.screen, CannedPickScreen))
        picker = app.screen
        await until(pilot, lambda: picker.query_one("OptionList").option_count == 1)
        await pilot.press("enter")
        error = picker.query_one("#canned-error", Static)
        await until(pilot, lambda: "{{customer.name}}" in str(error.render()))
        assert app.screen is picker
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is composer)
        assert composer.query_one(TextArea).text == ""


async def test_macro_picker_applies_the_macro_once(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    Desk(desk_data.db, desk_data.ada).macro_save(
        MacroSpec(name="Escalate", status="on_hold", priority="urgent", tags_add=("vip",))
    )
    number = desk_data.numbers["vpn"]
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot, number, "n")
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, MacroPickScreen))
        await until(pilot, lambda: app.screen.query_one("OptionList").option_count == 1)
        await pilot.press("enter")
        await until(pilot, lambda: any("Macro Escalate" in n for n in notifications(app)))
    with desk_data.db.read() as s:
        detail = ticket_detail(s, number)
        macro_events = s.exec(select(Event).where(col(Event.kind) == "macro")).all()
    assert (detail.row.status, detail.row.priority) == ("on_hold", "urgent")
    assert "vip" in detail.tags and len(macro_events) == 1


async def test_a_reply_macro_in_the_reply_composer_puts_its_text_in_the_draft(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """Ctrl-G in a reply being written sent the macro's reply at once, beside the draft
    (the customer got the macro's text, then the half-written draft later, or never). The
    text goes into the draft where the cursor is, a paragraph of its own, and is sent with
    it; the fields change at once; a second macro is not refused as a stale write."""
    desk = Desk(desk_data.db, desk_data.ada)
    desk.macro_save(
        MacroSpec(
            name="Wait",
            body="We will get back to you, {{requester.first_name}}.",
            status="waiting",
            tags_add=("followup",),
        )
    )
    desk.macro_save(MacroSpec(name="Urgent", priority="urgent"))
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        composer = await start(pilot, number)
        await pilot.press(*"Hello Ann,")
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, MacroPickScreen))
        await until(pilot, lambda: app.screen.query_one("OptionList").option_count == 2)
        await pilot.press(*"Wait", "enter")
        await until(pilot, lambda: any("Macro Wait" in n for n in notifications(app)))
        await settle(pilot)
        assert app.screen is composer
        area = composer.query_one(TextArea)
        assert area.text == "Hello Ann,\n\nWe will get back to you, Ann."
        said = [n for n in notifications(app) if "Macro Wait" in n]
        assert "reply text into your draft" in said[0] and "status → waiting" in said[0]
        with desk_data.db.read() as s:
            detail = ticket_detail(s, number)
        assert detail.row.status == "waiting" and "followup" in detail.tags
        assert [m.body for m in detail.messages if m.kind == "reply"] == [], "nothing sent yet"
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, MacroPickScreen))
        await until(pilot, lambda: app.screen.query_one("OptionList").option_count == 2)
        await pilot.press(*"Urgent", "enter")
        await until(pilot, lambda: any("Macro Urgent" in n for n in notifications(app)))
        await settle(pilot)
        assert area.text == "Hello Ann,\n\nWe will get back to you, Ann."
    with desk_data.db.read() as s:
        assert ticket_detail(s, number).row.priority == "urgent"


async def test_a_macro_from_the_ticket_opens_the_reply_with_its_text(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """ctrl+g on the ticket (a macro was only in the composer: r, ctrl+g, and Esc again for
    one that only changes fields): the fields change at once; a reply text opens the reply
    with it, to read and send, never sent unread; the send does not ask about the macro's
    own change."""
    desk = Desk(desk_data.db, desk_data.ada)
    desk.macro_save(
        MacroSpec(name="Wait", body="Back soon, {{requester.first_name}}.", status="waiting")
    )
    desk.macro_save(MacroSpec(name="Urgent", priority="urgent"))
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(pilot, number)
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, MacroPickScreen))
        await until(pilot, lambda: app.screen.query_one("OptionList").option_count == 2)
        await pilot.press(*"Urgent", "enter")
        await until(pilot, lambda: screen.view is not None and screen.view.row.priority == "urgent")
        assert app.screen is screen  # fields only: no composer
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, MacroPickScreen))
        await until(pilot, lambda: app.screen.query_one("OptionList").option_count == 2)
        await pilot.press(*"Wait", "enter")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        composer = app.screen
        await until(pilot, lambda: composer.query_one(TextArea).text == "Back soon, Ann.")
        with desk_data.db.read() as s:
            detail = ticket_detail(s, number)
        assert detail.row.status == "waiting"
        assert [m.body for m in detail.messages if m.kind == "reply"] == [], "nothing sent yet"
        await pilot.press("ctrl+r")
        await until(pilot, lambda: app.screen is screen)
    with desk_data.db.read() as s:
        replies = [m.body for m in ticket_detail(s, number).messages if m.kind == "reply"]
    assert replies[-1] == "Back soon, Ann."


async def test_empty_pickers_say_where_to_write_one_files_are_attached_and_sent(
    make_test_app: AppFactory, desk_data: DeskData, tmp_path: Path
) -> None:
    """One reply composer, in turn: on a desk with none, the canned and macro pickers say
    where to write one (the program's own path); files are attached, listed, removed and
    sent."""
    (tmp_path / "trace.log").write_bytes(b"\x00\x01 trace")
    (tmp_path / "photo [bold]x \x1b[31m.png").write_bytes(b"\x89PNG")
    (tmp_path / "extra.txt").write_bytes(b"extra")
    number = desk_data.numbers["printer"]
    app = make_test_app()
    app.command = "/opt/hd/bin/helpdesk"  # (the program's path: not on the PATH)
    async with app.run_test(size=(80, 24)) as pilot:
        composer = await start(pilot, number)
        for key, picker, empty, verb in (
            ("ctrl+t", CannedPickScreen, "No canned responses yet", "canned"),
            ("ctrl+g", MacroPickScreen, "No macros yet", "macro"),
        ):
            await pilot.press(key)
            await until(pilot, lambda picker=picker: isinstance(app.screen, picker))
            preview = app.screen.query_one("#canned-preview", Static)
            await until(pilot, lambda e=empty, p=preview: e in str(p.render()))
            said = " ".join(str(preview.render()).split())
            assert f"/opt/hd/bin/helpdesk {verb} add NAME; /opt/hd/bin/helpdesk demo" in said, verb
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is composer)
        # Files attached, listed, removed and sent.
        await pilot.press(*"See the files.")
        await pilot.press("ctrl+f")
        await until(pilot, lambda: isinstance(app.screen, AttachScreen))
        field = app.screen.query_one(Input)
        for name in ("trace.log", "photo [bold]x \x1b[31m.png", "extra.txt", "missing"):
            field.value = str(tmp_path / name)
            await pilot.press("enter")
        assert "No such file" in str(app.screen.query_one("#attach-error", Static).render())
        field.value = ""
        await pilot.press("down", "down", "down", "delete")  # extra.txt goes
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is composer)
        shown = str(composer.query_one(AttachmentList).render())
        assert "trace.log" in shown and "photo [bold]x .png" in shown
        assert "extra.txt" not in shown and "\x1b" not in shown
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))
        await settle(pilot)
        # Shown on the reply in the thread as incoming files are, names as plain text.
        thread = "\n".join(screen_lines(app))
        await until(pilot, lambda: "Attachment: trace.log" in "\n".join(screen_lines(app)))
        assert "\x1b" not in thread
    with desk_data.db.read() as s:
        files = [a.filename for a in list_attachments(s, number)]
    assert files == ["trace.log", "photo [bold]x .png"]


async def test_path_suggester_completes_from_the_file_system(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "readme.txt").write_text("x")
    (tmp_path / ".hidden").write_text("x")
    suggester = PathSuggester(cwd=tmp_path)
    assert await suggester.get_suggestion("rep") == "reports/"
    assert await suggester.get_suggestion("rea") == "readme.txt"
    assert await suggester.get_suggestion(f"{tmp_path}/rea") == f"{tmp_path}/readme.txt"
    assert await suggester.get_suggestion(".h") == ".hidden"
    assert await suggester.get_suggestion("zz") is None


async def test_the_demos_canned_responses_are_in_the_picker(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """What ``helpdesk demo`` writes besides tickets (its macros name the demo's teams)."""
    desk = Desk(desk_data.db, desk_data.ada, clock=lambda: FROZEN_NOW)
    desk.teams_add("Network")
    added = add_library(desk, seed=1, now=FROZEN_NOW)
    assert added.canned == len(CANNED)
    number = desk_data.numbers["printer"]
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        composer = await start(pilot, number)
        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(app.screen, CannedPickScreen))
        await pilot.press(*"vpn first")
        await until(
            pilot, lambda: "VPN first" in str(app.screen.query_one("OptionList").render_line(0))
        )
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is composer)
        assert composer.query_one(TextArea).text.startswith("Hi Ann,\n\nPlease try these steps")
