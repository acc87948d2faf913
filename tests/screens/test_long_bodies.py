"""A long message opens at once, in part, and reads on with a key (issue 8, item 7)."""

from __future__ import annotations

from collections.abc import Callable

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk import thread
from helpdesk_tui.desk.actors import MAIL
from helpdesk_tui.desk.ticket_view import FIRST_PART
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.widgets.thread import Thread
from tests.screens.conftest import DeskData
from tests.screens.ticket_helpers import open_ticket, screen_lines, until

AppFactory = Callable[..., HelpdeskApp]


async def test_a_long_message_shows_its_first_part_and_reads_on(
    make_test_app: AppFactory, desk_data: DeskData
) -> None:
    number = desk_data.numbers["printer"]
    body = "".join(f"log line {i:08}\n" for i in range(200_000))  # 3.6 MB
    with desk_data.db.write() as session:
        thread.add_customer_message(session, MAIL, number, body=body)
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(pilot, number)
        view = screen.view
        assert view is not None
        [long] = [e for e in view.entries if e.length == len(body)]
        assert len(long.body) == FIRST_PART
        threads = screen.query_one(Thread)
        threads.scroll_end(animate=False)
        await until(pilot, lambda: "more characters of this message" in "\n".join(screen_lines(app)))
        await pilot.press("o")
        await until(pilot, lambda: (threads.first_cut() or long).body != long.body)
        extended = threads.first_cut()
        assert extended is not None and extended.length == len(body)
        assert body.startswith(extended.body) and len(extended.body) > FIRST_PART
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
