"""The reports screen: its mode and key, presets, filters, chart ↔ table, the CLI's numbers,
and snapshots at 80x24 and 120x40 (frozen clock, fixed history)."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner
from textual.pilot import Pilot
from textual.widgets import DataTable

from helpdesk_tui.app import HelpdeskApp
from helpdesk_tui.cli import main
from helpdesk_tui.cli.runtime import Runtime
from helpdesk_tui.desk import fields, thread
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.screens.reports import ReportFilterScreen, ReportsScreen
from helpdesk_tui.storage.database import Database
from tests.screens.conftest import FROZEN_NOW, DeskData
from tests.screens.ticket_helpers import screen_lines, settle, until

SIZES = [(80, 24), (120, 40)]


def report_history(desk: DeskData) -> None:
    """Ten days of answered and resolved tickets, some rated, before the seeded ones."""
    from helpdesk_tui.desk.tickets import create_ticket

    agents = (desk.ada, desk.bob, desk.cy)
    for day in range(10, 0, -1):
        for n in range(day % 3 + 1):
            agent = agents[(day + n) % 3]
            start = FROZEN_NOW - timedelta(days=day, hours=n + 2)
            with time_machine.travel(start, tick=False), desk.db.write() as session:
                ticket = create_ticket(
                    session,
                    desk.ada,
                    subject=f"History {day}.{n}",
                    body="Help.",
                    requester_email=f"h{day}{n}@example.com",
                    channel=("email", "phone", "web")[n % 3],
                    category=("billing", "access")[day % 2],
                )
                number = ticket.number
            moments = (
                (timedelta(minutes=10 * (n + 1) + day), "reply"),
                (timedelta(minutes=11 * (n + 1) + day), "assign"),
                (timedelta(hours=day % 4 + 1), "resolve"),
            )
            for offset, step in moments:
                with time_machine.travel(start + offset, tick=False), desk.db.write() as session:
                    if step == "reply":
                        thread.reply(session, agent, number, body="On it.")
                    elif step == "assign":
                        fields.assign(session, desk.ada, number, agent=agent.name)
                    else:
                        fields.set_status(session, agent, number, "resolved")
            if (day + n) % 2 == 0:
                with time_machine.travel(start + timedelta(hours=6), tick=False):
                    Desk(desk.db, agent).satisfaction_rate(
                        number, 3 + (day + n) % 3, comment="thanks"
                    )


@pytest.fixture(scope="session")
def _history_sqlite(
    _seeded_sqlite: tuple[Path, DeskData], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The seeded desk with ``report_history`` written into it, made once per session (per
    xdist worker): some hundred transactions at fixed times, the same desk every time, where
    each of this module's tests wrote them again."""
    seeded, data = _seeded_sqlite
    path = tmp_path_factory.mktemp("history") / "screens.db"
    shutil.copy(seeded, path)
    database = Database(f"sqlite:///{path}")
    report_history(dataclasses.replace(data, db=database))
    database.dispose()
    assert not path.with_name(path.name + "-wal").exists(), "the copy would miss the WAL"
    return path


@pytest.fixture
def desk_data(desk_data: DeskData, _history_sqlite: Path) -> DeskData:
    """The seeded desk with ten days of history before it (``report_history``), in the
    test's own file: a copy of ``_history_sqlite``."""
    path = desk_data.db.sqlite_path
    assert path is not None
    desk_data.db.dispose()  # nothing is open on the file while it is replaced
    shutil.copy(_history_sqlite, path)
    return desk_data


async def _open_reports(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("f4")
    await until(pilot, lambda: isinstance(pilot.app.screen, ReportsScreen))
    screen = pilot.app.screen
    assert isinstance(screen, ReportsScreen)
    await until(pilot, lambda: screen.result is not None)
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_reports_screen(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    size: tuple[int, int],
) -> None:
    assert snap_compare(make_test_app(), terminal_size=size, run_before=_open_reports)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_reports_agents_table(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    size: tuple[int, int],
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _open_reports(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ReportsScreen)
        screen.query_one("#report-tabs").active = "tab-agents"  # type: ignore[attr-defined]
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=size, run_before=run_before)


async def test_key_presets_tables_and_back(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_reports(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen) and screen.result is not None
        assert screen.result.created == 20 + 11  # the history and the seeded desk
        await pilot.press("1")  # today: the seeded tickets only
        await until(pilot, lambda: screen.result is not None and screen.result.created == 11)
        await pilot.press("t")
        await settle(pilot)
        assert screen.query_one("#volume-table", DataTable).display
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, ReportFilterScreen))
        app.screen.query_one("#agent").value = "bob"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: screen.result is not None and screen.result.query.agent == "bob")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))


@pytest.mark.parametrize("width", [70, 60, 120])
async def test_the_figures_strip_keeps_each_label_with_its_value(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData, width: int
) -> None:
    """The strip wrapped by words: at 80 columns on a demo desk "Resolve" ended a line with
    "2d 10h" on the next, "SLA" one with "72.2%" (these figures do so at 70), and at 60
    the last figure was cut; each figure is whole on its line now, after a resize too."""
    app = make_test_app()
    labels = ("Created", "Resolved", "Backlog", "1st resp", "p90", "Resolve", "SLA", "Overdue")
    labels += ("Reopen", "CSAT", "Business hours:")
    async with app.run_test(size=(100, 24)) as pilot:
        await _open_reports(pilot)
        await pilot.resize_terminal(width, 24)
        await settle(pilot)
        lines = screen_lines(app)
        tabs = next(i for i, line in enumerate(lines) if "Volume  Times  CSAT" in line)
        strip = lines[1:tabs]
        figures = " ".join(line.strip() for line in strip)
        assert re.search(r"Created \d+ .* Reopen \d.* CSAT \d\.\d/5$", figures), strip
        for line in strip:
            assert not line.rstrip().endswith(labels), strip
            assert len(line.rstrip()) <= width, strip


async def test_cli_csv_equals_the_screens_table(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``helpdesk report --group-by agent --format csv`` prints what the Agents tab shows."""
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_reports(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen) and screen.result is not None
        query = screen.result.query
        table = screen.query_one("#agents-table", DataTable)
        shown = [[str(c.label) for c in table.columns.values()]]
        shown += [[str(v) for v in table.get_row_at(i)] for i in range(table.row_count)]
    monkeypatch.setenv("HELPDESK_DATABASE_URL", desk_data.db.url)
    args = ["report", "--from", query.start.isoformat(), "--to", query.end.isoformat()]
    result = CliRunner().invoke(
        main, [*args, "--group-by", "agent", "--format", "csv"], obj=Runtime(login="ada")
    )
    assert result.exit_code == 0, result.output
    printed = list(csv.reader(io.StringIO(result.stdout)))
    assert len(printed) > 2
    assert printed == [[v if v != "—" else "" for v in row] for row in shown]


async def test_cli_csv_equals_the_screens_tables_with_a_filter(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the agent filter set on the screen, ``helpdesk report --agent bob`` prints what
    the Volume and Agents tables show (a filtered report reads the ticket rows, an
    unfiltered one the rollups: both paths are held to the screen)."""
    app = make_test_app()
    shown: dict[str, list[list[str]]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_reports(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, ReportFilterScreen))
        app.screen.query_one("#agent").value = "bob"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: screen.result is not None and screen.result.query.agent == "bob")
        await settle(pilot)
        assert screen.result is not None
        query = screen.result.query
        for name in ("volume", "agents"):
            table = screen.query_one(f"#{name}-table", DataTable)
            rows = [[str(c.label) for c in table.columns.values()]]
            rows += [[str(v) for v in table.get_row_at(i)] for i in range(table.row_count)]
            shown[name] = rows
    monkeypatch.setenv("HELPDESK_DATABASE_URL", desk_data.db.url)
    args = ["report", "--from", query.start.isoformat(), "--to", query.end.isoformat()]
    for name, group_by in (("volume", "day"), ("agents", "agent")):
        result = CliRunner().invoke(
            main,
            [*args, "--agent", "bob", "--group-by", group_by, "--format", "csv"],
            obj=Runtime(login="ada"),
        )
        assert result.exit_code == 0, result.output
        printed = list(csv.reader(io.StringIO(result.stdout)))
        assert len(printed) >= 2 and printed[1][0] != ""
        assert printed == [[v if v != "—" else "" for v in row] for row in shown[name]]
