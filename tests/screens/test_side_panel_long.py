"""A ticket whose category and tags are as long as the desk takes, at 80x24: each is one line
of the side panel, cut with "…", the fields under them in sight; the whole values are the
panel's tooltip (they took 5 and 10 lines, pushing the deadlines off the screen)."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Static

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk.facade import Desk
from tests.screens.conftest import DeskData
from tests.screens.ticket_helpers import open_ticket, screen_lines

CATEGORY = ("Hardware and peripherals / printers / " * 3)[:100].strip()
TAGS = [f"tag-{n}-" + "x" * 40 for n in range(5)]


async def test_long_category_and_tags_are_one_line_each(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    number = desk_data.numbers["printer"]
    desk = Desk(desk_data.db, desk_data.ada)
    desk.ticket_set_category(number, CATEGORY)
    desk.ticket_tag(number, add=TAGS)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(pilot, number)
        lines = [line.partition("│")[2] for line in screen_lines(app)]  # (the panel's side)
        cut = [line for line in lines if "Hardware" in line or "printers /" in line]
        assert len(cut) == 1 and cut[0].startswith(" Category Hardware and peri"), cut
        tags = [line for line in lines if line.startswith(" Tags ")]
        assert len(tags) == 1 and tags[0].startswith(" Tags     hardware, tag-0-"), tags
        assert cut[0].endswith("…") and tags[0].endswith("…")
        assert [line for line in lines if "Team" in line]  # (what follows stays in sight)
        assert [line for line in lines if "Updated" in line]
        tooltip = app.screen.query_one("#side-fields", Static).tooltip
        assert tooltip is not None and CATEGORY in str(tooltip) and TAGS[-1] in str(tooltip)
