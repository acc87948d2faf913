"""A ticket whose category and tags are as long as the desk takes, at 80x24: the category is
one line of the side panel, the tags three, cut with "…", the fields under them in sight;
the whole values are the panel's tooltip and, from the keyboard, behind F (they took 5 and
10 lines, pushing the deadlines off the screen)."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Static

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.screens.values import ValuesScreen
from tests.screens.conftest import DeskData
from tests.screens.ticket_helpers import open_ticket, screen_lines, settle, until

CATEGORY = ("Hardware and peripherals / printers / " * 3)[:100].strip()
TAGS = [f"tag-{n}-" + "x" * 40 for n in range(5)]


async def test_a_long_category_is_one_line_long_tags_three_and_whole_behind_a_key(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """One app run: a long category is one line of the side panel and long tags three, cut
    with "…", whole in its tooltip; F shows the panel's values whole (the tooltip was out
    of a keyboard's reach)."""
    number = desk_data.numbers["printer"]
    desk = Desk(desk_data.db, desk_data.ada)
    desk.ticket_set_category(number, CATEGORY)
    desk.ticket_tag(number, add=TAGS)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        ticket = await open_ticket(pilot, number)
        lines = [line.partition("│")[2] for line in screen_lines(app)]  # (the panel's side)
        cut = [line for line in lines if "Hardware" in line or "printers /" in line]
        assert len(cut) == 1 and cut[0].startswith(" Category Hardware and peri"), cut
        at = next(i for i, line in enumerate(lines) if line.startswith(" Tags "))
        tags = lines[at : at + 3]  # (three lines at most, wrapped under the first)
        assert tags[0].startswith(" Tags     hardware,"), tags
        assert tags[1].startswith(" " * 10 + "tag-0-") and tags[2].startswith(" " * 10), tags
        assert cut[0].endswith("…") and tags[2].rstrip().endswith("…")
        assert not lines[at + 3].startswith(" " * 10)
        assert [line for line in lines if "Team" in line]  # (what follows stays in sight)
        assert [line for line in lines if "Updated" in line]
        tooltip = app.screen.query_one("#side-fields", Static).tooltip
        assert tooltip is not None and CATEGORY in str(tooltip) and TAGS[-1] in str(tooltip)
        # F: the values whole.
        await pilot.press("F")
        await settle(pilot)
        assert isinstance(app.screen, ValuesScreen)
        text = " ".join(" ".join(line.strip(" │") for line in screen_lines(app)).split())
        assert f"Category {' '.join(CATEGORY.split())} Tags" in text
        await pilot.press("end")  # (the box scrolls from the keyboard too)
        await settle(pilot)
        text = " ".join(" ".join(line.strip(" │") for line in screen_lines(app)).split())
        assert f"{TAGS[-1]} Team Support" in text
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is ticket)
