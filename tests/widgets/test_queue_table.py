"""The queue's compact cells for 80 columns: short names, badges, marks; their styles come
from the table's component classes, so the theme and the app's CSS colour them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from rich.style import Style
from textual.app import App, ComposeResult
from textual.widgets import Input

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.queue import first_page
from helpdesk_tui.desk.queue_values import OnTicket
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.desk.views import builtin_views
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.enums import Activity
from helpdesk_tui.storage.models import Ticket
from helpdesk_tui.widgets import queue_table
from helpdesk_tui.widgets.queue_table import QueueTable, RowStyles, row_cells, short_name
from tests.desk.conftest import on_sqlite_only

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
STYLES = RowStyles(
    urgent=Style(color="#ff0000", bold=True),
    high=Style(color="#ffaa00"),
    new=Style(bold=True),
    late=Style(color="#ff0000", bold=True),
    replying=Style(color="#ffaa00", bold=True),
    viewing=Style(color="#0000ff"),
    muted=Style(dim=True),
    due_ok=Style(color="#00ff00"),
    due_warning=Style(color="#ffaa00", bold=True),
)


class TableApp(App[None]):
    def __init__(self, css: str = "") -> None:
        self.CSS = css
        super().__init__()

    def compose(self) -> ComposeResult:
        yield QueueTable(warn_percent=60)


def colour(value: str) -> Style:
    return Style(color=value)


def test_short_names() -> None:
    assert short_name("Ann Archer", "ann@example.com") == "Ann"
    assert short_name("Dvořák, Jiří", "jiri@example.cz") == "Jiří"  # Outlook's Last, First
    assert short_name("  ", "long.address@example.com") == "long.address"
    assert short_name("", None) == ""


def test_compact_cells_say_late_in_the_error_colour(db: Database, admin: Actor) -> None:
    with db.write() as s:
        ticket = create_ticket(
            s,
            admin,
            subject="Printer on fire",
            body="x",
            requester_email="ann@example.com",
            requester_name="Ann \x1b[31mArcher",
            priority="urgent",
        )
    with db.write() as s:  # a deadline pinned after the policy's (no clock event follows)
        s.get(Ticket, ticket.id).reply_due_at = NOW - timedelta(minutes=5)  # type: ignore[union-attr]
    with db.read() as s:
        query = next(view for view in builtin_views("ada") if view.title == "All open").query
        (row,) = first_page(s, query, 10).rows
    cells = row_cells(row, (), NOW, STYLES)
    assert str(cells["from"]) == "Ann"
    assert str(cells["badge"]) == "late" and cells["badge"].style == STYLES.late
    assert str(cells["mark"]) == "!" and cells["mark"].style == STYLES.urgent
    assert str(cells["state"]) == "new" and str(cells["who"]) == ""


def test_the_sla_badge_warns_when_the_policys_alert_does(db: Database, admin: Actor) -> None:
    """A policy warning at 50%: the badge turns at its warning time, when the alert mail
    goes, not at the table's share of wall time (60% here, 75 by default)."""
    Desk(db, admin).sla_set_policy(
        "std", priority="normal", first_response="20m", next_response="20m", resolution="8h",
        warn_percent=50,
    )  # fmt: skip
    with time_machine.travel(NOW - timedelta(minutes=11), tick=False), db.write() as s:
        create_ticket(s, admin, subject="Printer", body="x", requester_email="a@example.com")
    with db.read() as s:
        query = next(view for view in builtin_views("ada") if view.title == "All open").query
        (row,) = first_page(s, query, 10).rows
    early = row_cells(row, (), NOW - timedelta(minutes=2), STYLES)["badge"]
    cells = row_cells(row, (), NOW, STYLES)  # 11 of 20 minutes: past the policy's 50%
    assert (early.style, str(cells["badge"]), cells["badge"].style) == (
        STYLES.due_ok,
        "9m",
        STYLES.due_warning,
    )


async def test_row_styles_are_the_themes_colours_and_follow_a_theme_change() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(QueueTable)

        def theme(name: str) -> Style:
            return colour(app.theme_variables[name])

        styles = table.row_styles
        assert styles.late == styles.urgent == theme("error") + Style(bold=True)
        assert styles.high == theme("warning") and styles.viewing == theme("accent")
        assert styles.due_ok == theme("success") and styles.muted == Style(dim=True)
        assert styles.new == Style(bold=True) and styles.warn_percent == 60
        app.theme = "nord"
        await pilot.pause()
        assert table.row_styles.late == colour(app.theme_variables["error"]) + Style(bold=True)
        assert table.row_styles.late != styles.late


async def test_the_apps_css_restyles_rows() -> None:
    app = TableApp("QueueTable > .queue-table--late { color: #ff00ff; text-style: underline; }")
    async with app.run_test():
        late = app.query_one(QueueTable).row_styles.late
    assert late == Style(color="#ff00ff", underline=True)


async def test_no_color_keeps_only_the_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR greys a colour by its brightness: the theme's red would be near the
    background, so the cells keep their weight alone."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = TableApp()
    async with app.run_test():
        styles = app.query_one(QueueTable).row_styles
    assert styles.late == styles.urgent == Style(bold=True)
    assert styles.high == styles.viewing == Style()


class FocusApp(App[None]):
    def compose(self) -> ComposeResult:
        yield QueueTable()
        yield Input()


@on_sqlite_only("tests/desk/test_views.py::test_builtin_views")
@pytest.mark.frames  # (what the update timer's frames draw: tests/frames.py)
async def test_a_focus_change_keeps_the_drawn_rows_and_a_theme_change_redraws_them(
    db: Database, admin: Actor
) -> None:
    """Focus leaving the table (search, filter form, palette) restyles only its cursor: the
    other rows are not drawn again; a new theme draws them all in its colours."""
    with db.write() as s:
        for n in range(5):
            create_ticket(s, admin, subject=f"Printer {n}", body="x", priority="urgent")
    with db.read() as s:
        query = next(view for view in builtin_views("ada") if view.title == "All open").query
        rows = first_page(s, query, 10).rows
    app = FocusApp()
    async with app.run_test() as pilot:
        table = app.query_one(QueueTable)
        table.show(rows, {}, NOW, focus=None)
        table.focus()
        await pilot.pause()
        drawn = dict(table._strips)
        assert len(drawn) == len(rows) - 1  # every row but the cursor's (never cached)
        app.query_one(Input).focus()
        await pilot.pause()
        assert not table.has_focus
        assert all(table._strips[number] is strip for number, strip in drawn.items())
        app.theme = "nord"
        await pilot.pause()
        assert not any(table._strips.get(number) is strip for number, strip in drawn.items())


@on_sqlite_only("tests/desk/test_views.py::test_builtin_views")
@pytest.mark.frames  # (what the update timer's frames draw: tests/frames.py)
async def test_a_page_makes_the_cells_of_the_rows_it_draws_only(
    db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page holds more rows than the screen shows (a search's or a view's 100): their
    cells are made when a row is first drawn, and made once while it shows the same."""
    with db.write() as s:
        for n in range(40):
            create_ticket(s, admin, subject=f"Printer {n}", body="x")
    with db.read() as s:
        query = next(view for view in builtin_views("ada") if view.title == "All open").query
        rows = first_page(s, query, 40).rows
    made: list[int] = []

    def counted(row: Any, *args: Any) -> Any:
        made.append(row.number)
        return row_cells(row, *args)

    monkeypatch.setattr(queue_table, "row_cells", counted)
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(QueueTable)
        table.show(rows, {}, NOW, focus=None)
        await pilot.pause()
        assert len(set(made)) == len(made)
        assert 0 < len(made) <= table.page_rows < len(rows)
        assert rows[-1].number not in made
        assert str(table.cell(rows[-1].number, "no")) == str(rows[-1].number)  # asked: made
        assert made[-1] == rows[-1].number
        count = len(made)
        table.show(rows, {}, NOW, focus=None)  # the same rows again: nothing made anew
        await pilot.pause()
        assert len(made) == count


@on_sqlite_only("tests/desk/test_views.py::test_builtin_views")
@pytest.mark.parametrize("width", [80, 120, 200])
async def test_a_row_is_drawn_as_rich_draws_its_cells(
    db: Database, admin: Actor, width: int
) -> None:
    """Rows are fitted as strings, not as ``Text``: the segments are Rich's own, styled
    cells, wide characters, cut subjects and presence marks (drawn through Rich) alike."""
    subjects = ["Printer on fire", "打印机坏了" * 12, "x" * 300, "[bold]not markup[/]", "👋 hi"]
    with db.write() as s:
        for n, subject in enumerate(subjects):
            create_ticket(
                s,
                admin,
                subject=subject,
                body="x",
                requester_email=f"r{n}@example.com",
                requester_name="Ann 安 \x1b[31mArcher" if n % 2 else "",
                priority=("urgent", "high", "normal", "low", "urgent")[n],
            )
    with db.read() as s:
        query = next(view for view in builtin_views("ada") if view.title == "All open").query
        rows = first_page(s, query, 10).rows
    on = (OnTicket("bob", "Bob", Activity.REPLYING, NOW, "s1"),)
    app = TableApp()
    async with app.run_test(size=(width, 24)) as pilot:
        table = app.query_one(QueueTable)
        table.show(rows, {rows[0].number: on}, NOW, focus=None)
        await pilot.pause()
        for index in range(len(rows)):
            cells = table._cells_at(index)
            assert table._line(cells) == table._rich_line(cells)


@on_sqlite_only("tests/desk/test_views.py::test_builtin_views")
def test_an_owner_on_their_own_ticket_is_named_by_their_mark(db: Database, admin: Actor) -> None:
    """At 80 columns the owner cell is 8 wide: with the assignee viewing their own ticket
    (a team's audit: the usual sight) it showed "… ◉ada", the owner cut to nothing. Their
    mark alone says both; another agent on it still takes the room first."""
    with db.write() as s:
        create_ticket(s, admin, subject="Printer", body="x", requester_email="ann@example.com")
    with db.write() as s:
        s.get(Ticket, 1).assignee_id = admin.agent_id  # type: ignore[union-attr]
    with db.read() as s:
        query = next(view for view in builtin_views("ada") if view.title == "All open").query
        (row,) = first_page(s, query, 10).rows
    ada = OnTicket("ada", "Ada", Activity.VIEWING, NOW, "s1")
    bob = OnTicket("bob", "Bob", Activity.REPLYING, NOW, "s2")
    assert str(row_cells(row, (ada,), NOW, STYLES)["who"]) == "◉ada"
    assert str(row_cells(row, (ada,), NOW, STYLES)["owner"]) == "◉ada"
    assert str(row_cells(row, (), NOW, STYLES)["who"]) == "ada"
    assert str(row_cells(row, (bob,), NOW, STYLES)["who"]) == "ada ✎bob"
    assert str(row_cells(row, (bob, ada), NOW, STYLES)["who"]) == "✎bob ◉ada"
