"""The knowledge base's four filters at 60 columns: each label on one line, shortened with
"…" where it does not fit (they wrapped: "Catego" over "ry", "Visibil" over "ity", the boxes
a line taller than the others)."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Select

from helpdesk_tui.app import HelpdeskApp
from tests.screens.conftest import DeskData
from tests.screens.test_kb_screen import open_kb
from tests.screens.ticket_helpers import screen_lines


async def test_the_filters_labels_are_one_line_each_at_60_columns(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    app = make_test_app()
    async with app.run_test(size=(60, 24)) as pilot:
        screen = await open_kb(pilot)
        filters = screen.query_one("#kb-filters").region
        drawn = screen_lines(app)[filters.y : filters.bottom]
        labels, under = drawn[1], drawn[2]
        for start in ("Cat", "Tag", "Sta", "Vis"):
            assert start in labels, labels
        assert "…" in labels and "ry" not in under and "ity" not in under, drawn
        assert {select.outer_size.height for select in screen.query(Select)} == {3}
