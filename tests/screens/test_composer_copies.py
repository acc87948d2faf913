"""The composer says where a reply goes ("To: … · Cc: …", one line at 80x24) and ctrl+b
changes its Cc: for this reply only, or kept as the ticket's copies. Before, the composer
had no Cc and did not say who the reply went to."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Input

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk import copies
from helpdesk_tui.desk.tickets_service import TicketsService
from helpdesk_tui.screens.composer import ComposerScreen
from helpdesk_tui.screens.confirm import ChoiceScreen
from helpdesk_tui.screens.pickers import PromptScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.storage.models import Outbox, Ticket
from tests.screens.conftest import DeskData
from tests.screens.snapshot_setup import start_reply
from tests.screens.ticket_helpers import notifications, settle, until

AppFactory = Callable[..., HelpdeskApp]
COPIES = ["petra@acme.test", "li.wei@acme-industries.test", "zed.moreau@acme-industries.test"]


def _with_copies(desk_data: DeskData) -> int:
    number = desk_data.numbers["printer"]
    TicketsService(desk_data.db, desk_data.ada).ticket_copies(number, add=COPIES)
    return number


def _kept(desk_data: DeskData, number: int) -> list[str]:
    """The ticket's copies as the desk keeps them."""
    with desk_data.db.read() as s:
        ticket = s.exec(select(Ticket).where(Ticket.number == number)).one()
        assert ticket.id is not None
        return copies.copies_of(s, ticket.id)


def test_composer_says_to_and_cc_at_80x24(
    snap_compare: Callable[..., bool], make_test_app: AppFactory, desk_data: DeskData
) -> None:
    number = _with_copies(desk_data)

    async def run_before(pilot: Pilot[None]) -> None:
        await start_reply(pilot, number, "Dear Ann,\n\nit is fixed.")

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)


async def _cc(pilot: Pilot[None], typed: str, choice: str) -> None:
    app = pilot.app
    await pilot.press("ctrl+b")
    await until(pilot, lambda: isinstance(app.screen, PromptScreen))
    field = app.screen.query_one(Input)
    assert field.value == ", ".join(COPIES)
    field.value = typed
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
    await pilot.press(choice)
    await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
    await settle(pilot)


async def test_the_cc_of_this_reply_only_goes_with_it(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    number = _with_copies(desk_data)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_reply(pilot, number, "Fixed.")
        await _cc(pilot, "petra@acme.test, boss@acme.test", "t")
        assert isinstance(app.screen, ComposerScreen)
        assert app.screen.cc == ("petra@acme.test", "boss@acme.test")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))
    with desk_data.db.read() as s:
        [mail] = s.exec(select(Outbox)).all()
    assert mail.cc_addresses == "petra@acme.test, boss@acme.test"
    assert _kept(desk_data, number) == COPIES  # (the ticket's copies stay as they were)


async def test_kept_as_the_ticket_s_copies_checked(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    number = _with_copies(desk_data)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_reply(pilot, number, "Fixed.")
        await _cc(pilot, "petra@acme.test ann@example.com", "k")  # ann: the requester
        assert any("requester" in n for n in notifications(app))
        await _cc(pilot, "petra@acme.test", "k")
        assert isinstance(app.screen, ComposerScreen)
        assert app.screen.cc == ("petra@acme.test",)
        await pilot.press("ctrl+b")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one(Input).value = "petra@acme.test, \x1b[2Jbad"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await settle(pilot)
        said = [n for n in notifications(app) if "not an address to copy" in n]
        assert said and "\x1b" not in said[-1]
    assert _kept(desk_data, number) == ["petra@acme.test"]
