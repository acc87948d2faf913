"""Closing asks, supervisors reopen, merges across requesters warn, a reply with no address
asks for one, drafts are listed and reopened: the terminal UI side."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta

from sqlmodel import select
from textual.widgets import OptionList, Static, TextArea

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk import fields
from helpdesk_tui.desk.queries import ticket_detail
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.screens.composer import ComposerScreen
from helpdesk_tui.screens.confirm import ChoiceScreen
from helpdesk_tui.screens.drafts import DraftsScreen
from helpdesk_tui.screens.pickers import PickScreen, PromptScreen, TicketPickScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.storage.models import Event, Outbox
from tests.draft_places import draft_kinds, load_draft, save_draft, ticket_drafts
from tests.screens.conftest import FROZEN_NOW, DeskData
from tests.screens.ticket_helpers import notifications, open_ticket, settle, until

AppFactory = Callable[..., HelpdeskApp]


def _status(desk: DeskData, number: int) -> str:
    with desk.db.read() as s:
        return ticket_detail(s, number).row.status


def _question(app: HelpdeskApp) -> str:
    return str(app.screen.query_one("#question", Static).render())


def _options(app: HelpdeskApp) -> list[str]:
    """The picker's lines (none while it is still being composed)."""
    if not app.screen.query(OptionList):
        return []
    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def close(desk: DeskData, number: int) -> None:
    with desk.db.write() as s:
        fields.set_status(s, desk.ada, number, "closed")


def no_address_ticket(desk: DeskData) -> int:
    with desk.db.write() as s:
        return create_ticket(s, desk.ada, subject="Phoned in: screen flickers", body="").number


async def test_closing_from_the_status_picker_asks_keeps_the_draft_and_an_admin_reopens(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """One app run: closing from the status picker asks first (Escape keeps it open) and
    keeps the reply draft; then, on the closed ticket, the status key offers an admin to
    reopen it, with a reason."""
    number = desk_data.numbers["vpn"]
    save_draft(desk_data.db, number, "reply", "Dear Ben,")
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ticket(pilot, number)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        assert any(o.startswith("closed") and "asks first" in o for o in _options(app))
        await pilot.press(*"closed", "enter")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert app.screen.id == "confirm-close"
        assert "only a supervisor or an admin can reopen" in _question(app)
        assert "reply draft is kept" in _question(app)
        await pilot.press("escape")  # the safe answer
        await settle(pilot)
        assert _status(desk_data, number) == "new"
        await pilot.press("s", *"closed", "enter")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("y")
        await until(pilot, lambda: screen.view is not None and screen.view.row.status == "closed")
        # An admin reopens it with a reason.
        await settle(pilot)
        await pilot.press("s")  # on a closed ticket, the status key offers to reopen
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        title = str(app.screen.query_one("#picker-title", Static).render())
        assert title == f"Reopen #{number}: why?"
        await pilot.press(*"customer still cannot connect", "enter")
        await until(pilot, lambda: screen.view is not None and screen.view.row.status == "open")
        await settle(pilot)
        assert f"#{number} reopened" in notifications(app)
    with desk_data.db.read() as s:
        event = s.exec(select(Event).where(Event.kind == "reopened")).one()
    assert (event.actor, event.new_value) == ("ada", "customer still cannot connect")
    assert load_draft(desk_data.db, number, "reply") == "Dear Ben,"


async def test_an_agent_cannot_reopen_and_the_palette_does_not_offer_it(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    number = desk_data.numbers["vpn"]
    close(desk_data, number)
    app = make_test_app(actor=desk_data.bob)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ticket(pilot, number)
        assert not any(title.endswith("Reopen") for title, _, _ in screen.palette_commands())
        await pilot.press("O")  # not bound for an agent: nothing happens
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and not notifications(app)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert any("a supervisor or an admin can reopen it" in n for n in notifications(app))
    assert _status(desk_data, number) == "closed"


async def test_merging_the_same_requester_asks_plainly_different_ones_warn_naming_both(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """One app run: merging a ticket into another of the same requester asks the plain
    question (left with Escape); merging one of another requester warns, naming both."""
    source, target = desk_data.numbers["vpn"], desk_data.numbers["printer"]
    same_source = desk_data.numbers["laptop"]  # Ann's, as the printer ticket
    save_draft(desk_data.db, source, "reply", "Dear Ben,")
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket(pilot, same_source)
        await pilot.press("M", *f"#{target}")
        await until(pilot, lambda: isinstance(app.screen, TicketPickScreen) and bool(_options(app)))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert _question(app) == f"Merge #{same_source} into #{target}?"
        details = str(app.screen.query_one("#details Static", Static).render())
        assert details == (
            f"#{same_source} will be closed and its messages and history move into #{target}: "
            "a merge cannot be undone."
        )
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))
        assert _status(desk_data, same_source) == "in_progress", "the same requester"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, TicketScreen))
        # Different requesters.
        screen = await open_ticket(pilot, source)
        await pilot.press("M", *f"#{target}")
        await until(pilot, lambda: isinstance(app.screen, TicketPickScreen) and bool(_options(app)))
        assert _options(app) == [f"#{target} open Printer on fire  ann@example.com"]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert app.screen.id == "confirm-merge"
        assert "different requesters" in _question(app)
        details = str(app.screen.query_one("#details Static", Static).render())
        assert "Ben Baker <ben@example.com>" in details
        assert "Ann Archer <ann@example.com>" in details
        assert details.endswith(
            f"requester. #{source} will be closed and its messages and history move into "
            f"#{target}: a merge cannot be undone."
        )
        await pilot.press("escape")
        await settle(pilot)
        assert _status(desk_data, source) == "new"
        await pilot.press("M", *f"#{target}")
        await until(pilot, lambda: isinstance(app.screen, TicketPickScreen) and bool(_options(app)))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("y")
        await until(pilot, lambda: screen.number == target and screen.view is not None)
    with desk_data.db.read() as s:
        assert ticket_detail(s, source).merged_into == target
    assert load_draft(desk_data.db, target, "reply") == "Dear Ben,"  # the draft followed the merge
    assert draft_kinds(desk_data.db, source) == []


async def _reply_without_address(pilot, number: int) -> None:  # type: ignore[no-untyped-def]
    await open_ticket(pilot, number)
    await pilot.press("r")
    await until(pilot, lambda: isinstance(pilot.app.screen, ComposerScreen))
    hint = str(pilot.app.screen.query_one("#composer-hint", Static).render())
    assert hint.startswith("The requester has no email address: you will be asked on send")
    await pilot.press(*"Fixed", "ctrl+r")
    await until(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))


async def test_a_reply_with_no_address_cancelled_sent_once_or_saved(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """A reply on a ticket whose requester has no address asks for one on send. In one app
    run: the question cancelled keeps the composer and sends nothing; asked again, the
    address typed is used once (the ticket keeps no address); on a second such ticket, the
    address typed is saved as its requester's and the reply goes there."""
    once, saved = no_address_ticket(desk_data), no_address_ticket(desk_data)
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _reply_without_address(pilot, once)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        assert app.screen.query_one(TextArea).text == "Fixed", "cancelled"
        with desk_data.db.read() as s:
            assert s.exec(select(Outbox)).all() == [], "cancelled"
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"desk@example.org", "enter")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))
        with desk_data.db.read() as s:
            assert s.exec(select(Outbox.to_addresses)).all() == ["desk@example.org"], "once"
            assert ticket_detail(s, once).row.requester_email is None, "once"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, TicketScreen))
        told = len(notifications(app))
        await _reply_without_address(pilot, saved)
        assert not any("queued" in n for n in notifications(app)[told:])
        # Autosave may not have run, or run between two keys of a loaded machine.
        assert "Fixed".startswith(load_draft(desk_data.db, saved, "reply"))
        await pilot.press(*"Fay@Example.com", "enter")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert app.screen.id == "reply-address"
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))
        await settle(pilot)
        assert f"Reply queued to send on #{saved}" in notifications(app)
    with desk_data.db.read() as s:
        sent = s.exec(select(Outbox.to_addresses).order_by(Outbox.id)).all()  # type: ignore[arg-type]
        assert sent == ["desk@example.org", "fay@example.com"], "saved"
        assert ticket_detail(s, saved).row.requester_email == "fay@example.com"


def saved_drafts(desk: DeskData) -> tuple[int, int]:
    """A reply draft on the laptop ticket and a note draft on a closed one, at set times."""
    laptop, thanks = desk.numbers["laptop"], desk.numbers["thanks"]
    close(desk, thanks)
    save_draft(desk.db, laptop, "reply", "Dear Ann,\nplease hold the power button.")
    save_draft(desk.db, thanks, "note", "Customer happy.")
    for number, kind, minutes in ((laptop, "reply", 3), (thanks, "note", 50)):
        moment = (FROZEN_NOW - timedelta(minutes=minutes)).timestamp()
        store, key = ticket_drafts(desk.db, number)
        os.utime(store.path(number, kind, key), (moment, moment))  # type: ignore[arg-type]
    return laptop, thanks


async def test_drafts_are_in_the_palette_say_when_there_are_none_then_list_and_open(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    """One app run: Drafts is in the palette and says when there are none; then, with two
    drafts saved meanwhile (``saved_drafts``), they are listed, newest first, and the one
    picked opens in its composer over its ticket."""
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Drafts" in titles, "Drafts in the palette"
        app.action_drafts()
        await until(pilot, lambda: isinstance(app.screen, DraftsScreen))
        await settle(pilot)
        hint = str(app.screen.query_one("#picker-hint", Static).render())
        assert hint.startswith("You have no drafts"), hint
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, DraftsScreen))
        laptop, _closed = saved_drafts(desk_data)
        app.action_drafts()
        await until(pilot, lambda: isinstance(app.screen, DraftsScreen) and bool(_options(app)))
        options = _options(app)
        assert options[0].startswith(f"Reply to #{laptop}: Laptop will not boot"), options
        assert "3 min ago" in options[0] and "Dear Ann," in options[0], options
        assert "closed: a supervisor or an admin can reopen it" in options[1], options
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await settle(pilot)  # pushed is not yet composed
        assert app.screen.query_one(TextArea).text == "Dear Ann,\nplease hold the power button."
        assert isinstance(app.screen_stack[-2], TicketScreen)
        assert app.screen_stack[-2].number == laptop
