"""The queue's compact cells for 80 columns: short names, badges, marks, in theme colours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.style import Style

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.queue import first_page
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.desk.views import builtin_views
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Ticket
from helpdesk_tui.widgets.queue_table import RowStyles, row_cells, short_name

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
THEME = {"error": "#ff0000", "warning": "#ffaa00", "accent": "#0000ff"}


def test_short_names() -> None:
    assert short_name("Ann Archer", "ann@example.com") == "Ann"
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
    styles = RowStyles.from_theme(THEME)
    cells = row_cells(row, (), NOW, styles)
    assert str(cells["from"]) == "Ann"
    assert str(cells["badge"]) == "late" and cells["badge"].style == styles.late
    assert styles.late == Style(color="#ff0000", bold=True)
    assert str(cells["mark"]) == "!" and cells["mark"].style == styles.urgent
    assert str(cells["state"]) == "new" and str(cells["who"]) == ""
