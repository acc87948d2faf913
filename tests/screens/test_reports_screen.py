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
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.reports import format_minutes, format_share
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.screens.reports import ReportFilterScreen, ReportsScreen, count_ticks, steps
from helpdesk_tui.storage.database import Database
from tests.screens.conftest import FROZEN_NOW, DeskData, _actor
from tests.screens.ticket_helpers import screen_lines, settle, until

SIZES = [(80, 24), (120, 40)]


def report_history(desk: DeskData, agents: tuple[Actor, ...] = ()) -> None:
    """Ten days of answered and resolved tickets, some rated, before the seeded ones (by
    ada, bob and cy unless ``agents`` says who)."""
    from helpdesk_tui.desk.tickets import create_ticket

    agents = agents or (desk.ada, desk.bob, desk.cy)
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


async def _show_tab(pilot: Pilot[None], tab: str) -> None:
    """The reports screen (open) on tab ``tab`` ("tab-agents")."""
    screen = pilot.app.screen
    assert isinstance(screen, ReportsScreen)
    screen.query_one("#report-tabs").active = tab  # type: ignore[attr-defined]
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
        await _show_tab(pilot, "tab-agents")

    assert snap_compare(make_test_app(), terminal_size=size, run_before=run_before)


def test_reports_times_chart(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _open_reports(pilot)
        await _show_tab(pilot, "tab-times")

    assert snap_compare(make_test_app(), terminal_size=(80, 24), run_before=run_before)


_Y_LABEL = re.compile(r"^\s*(\S+)┤")


def test_a_count_per_period_is_a_step_on_whole_ticks() -> None:
    """Each period's count is level across it (the line rose or fell through a day before),
    and the ticks of a count are whole numbers from 0, at most five."""
    assert steps([1, 3]) == ([0.5, 1.5, 1.5, 2.5], [1, 1, 3, 3])
    assert count_ticks(0) == [0, 1]
    assert count_ticks(4) == [0, 1, 2, 3, 4]
    assert count_ticks(13) == [0, 5, 10, 15]
    assert count_ticks(1234) == [0, 500, 1000, 1500]


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


async def test_the_agents_tab_fits_80_columns_with_its_times_as_durations(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """At 80 columns the Agents tab's CSAT column was past the right edge (its times in
    minutes under "1st reply med (min)" and "resolve med (min)", a login of 12 letters):
    every column is drawn, the times said as the figures strip says them."""
    priya = _actor(desk_data.db, desk_data.ada, "priya.sharma", "Priya Sharma", "agent", "IT")
    report_history(desk_data, (desk_data.ada, priya, desk_data.cy))
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_reports(pilot)
        pilot.app.screen.query_one("#report-tabs").active = "tab-agents"  # type: ignore[attr-defined]
        await settle(pilot)
        lines = screen_lines(app)
        [head] = [line for line in lines if line.lstrip().startswith("agent ")]
        assert head.split() == [
            *("agent", "handled", "replies", "1st", "reply", "med"),
            *("resolve", "med", "ratings", "CSAT"),
        ], head
        rows = [line.split() for line in lines if line.lstrip().startswith(("ada ", "priya"))]
        assert len(rows) == 2, lines
        for row in rows:
            assert re.fullmatch(r"\d\.\d+|—", row[-1]), row  # (the CSAT, drawn)
            assert re.search(r"\d+[dh]|\d+m", " ".join(row[3:-2])), row


def as_shown(printed: list[list[str]]) -> list[list[str]]:
    """A CSV of ``helpdesk report`` as the screen shows it: a column of minutes as
    durations under its heading without " (min)", an empty figure as a dash."""
    timed = {i for i, name in enumerate(printed[0]) if name.endswith(" (min)")}
    head = [name.removesuffix(" (min)") for name in printed[0]]
    return [head] + [
        [format_minutes(int(v)) if i in timed and v else v or "—" for i, v in enumerate(row)]
        for row in printed[1:]
    ]


def _table_rows(screen: ReportsScreen, name: str) -> list[list[str]]:
    """The header and rows of the ``#NAME-table`` as drawn."""
    table = screen.query_one(f"#{name}-table", DataTable)
    rows = [[str(c.label) for c in table.columns.values()]]
    rows += [[str(v) for v in table.get_row_at(i)] for i in range(table.row_count)]
    return rows


async def test_cli_csv_equals_the_screens_tables_without_and_with_a_filter(
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``helpdesk report --group-by agent --format csv`` prints what the Agents tab shows;
    with the agent filter set on the screen, ``helpdesk report --agent bob`` prints what
    the Volume and Agents tables show (a filtered report reads the ticket rows, an
    unfiltered one the rollups: both paths are held to the screen). One app run reads the
    tables before and after the filter."""
    app = make_test_app()
    shown: dict[str, list[list[str]]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_reports(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen) and screen.result is not None
        whole = screen.result.query
        shown["unfiltered agents"] = _table_rows(screen, "agents")
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, ReportFilterScreen))
        app.screen.query_one("#agent").value = "bob"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: screen.result is not None and screen.result.query.agent == "bob")
        await settle(pilot)
        assert screen.result is not None
        query = screen.result.query
        for name in ("volume", "agents"):
            shown[name] = _table_rows(screen, name)
    monkeypatch.setenv("HELPDESK_DATABASE_URL", desk_data.db.url)
    args = ["report", "--from", whole.start.isoformat(), "--to", whole.end.isoformat()]
    result = CliRunner().invoke(
        main, [*args, "--group-by", "agent", "--format", "csv"], obj=Runtime(login="ada")
    )
    assert result.exit_code == 0, result.output
    printed = list(csv.reader(io.StringIO(result.stdout)))
    assert len(printed) > 2
    assert as_shown(printed) == shown["unfiltered agents"]
    args = ["report", "--from", query.start.isoformat(), "--to", query.end.isoformat()]
    for name, group_by in (("volume", "day"), ("agents", "agent")):
        result = CliRunner().invoke(
            main,
            [*args, "--agent", "bob", "--group-by", group_by, "--format", "csv"],
            obj=Runtime(login="ada"),
        )
        assert result.exit_code == 0, (name, result.output)
        printed = list(csv.reader(io.StringIO(result.stdout)))
        assert len(printed) >= 2 and printed[1][0] != "", name
        assert as_shown(printed) == shown[name], name


def _words(text: str) -> str:
    """``text`` with every run of blanks (line breaks, indents, table borders) one space."""
    return " ".join(text.replace("│", " ").replace("▊", " ").split())


async def test_the_reports_at_80x24_strip_definitions_t_key_and_whole_counts(
    make_test_app: Callable[..., HelpdeskApp], desk_data: DeskData
) -> None:
    """Four facts of the reports screen at 80x24, read in one app run, each in its own
    helper (its docstring says what was wrong): the strip shows every figure ``d`` defines
    (``_strip_shows_every_figure_d_defines``); ``d`` shows every figure's words
    (``_d_says_what_each_figure_counts``); ``t`` is shown as what it shows next, and only
    on a tab with a chart (``_t_is_shown_as_what_it_shows_next``); ticket counts are
    charted in whole numbers (``_ticket_counts_are_charted_in_whole_numbers``: it picks
    the 7-day preset). First, in the same app run, the figures strip keeps each label
    with its value at 70, 60 and 120 columns
    (``_the_figures_strip_keeps_each_label_with_its_value``); then, back at 80x24, the four
    facts; then two more:
    ``_a_refused_filter_opens_the_form_again_as_written_saying_why`` (it picks today) and
    ``_f4_back_to_the_reports_reads_the_figures_again`` (last: it writes a ticket)."""
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_reports(pilot)
        await _the_figures_strip_keeps_each_label_with_its_value(pilot, app)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await _strip_shows_every_figure_d_defines(app)
        await _d_says_what_each_figure_counts(pilot, app)
        await _t_is_shown_as_what_it_shows_next(pilot, app)
        await _ticket_counts_are_charted_in_whole_numbers(pilot, app)
        await _a_refused_filter_opens_the_form_again_as_written_saying_why(pilot, app)
        await _f4_back_to_the_reports_reads_the_figures_again(pilot, app, desk_data)


async def _the_figures_strip_keeps_each_label_with_its_value(
    pilot: Pilot[None], app: HelpdeskApp
) -> None:
    """The strip wrapped by words: at 80 columns on a demo desk "Resolve" ended a line with
    "2d 10h" on the next, "SLA" one with "72.2%" (these figures do so at 70), and at 60
    the last figure was cut; each figure is whole on its line now, after a resize too."""
    labels = ("Created", "Resolved", "Backlog", "1st resp", "p90", "Resolve", "SLA", "Overdue")
    labels += ("Reopen", "CSAT", "Satisfied", "Business hours:")
    for width in (70, 60, 120):  # (each a resize from the width before)
        await pilot.resize_terminal(width, 24)
        await settle(pilot)
        lines = screen_lines(app)
        tabs = next(i for i, line in enumerate(lines) if "Volume  Times  CSAT" in line)
        strip = lines[1:tabs]
        figures = " ".join(line.strip() for line in strip)
        assert re.search(r"Created \d+ .* Reopen \d.* CSAT \d\.\d/5\s+Satisfied \d.*%$", figures), (
            width,
            figures,
        )
        for line in strip:
            assert not line.rstrip().endswith(labels), (width, strip)
            assert len(line.rstrip()) <= width, (width, strip)


async def _a_refused_filter_opens_the_form_again_as_written_saying_why(
    pilot: Pilot[None], app: HelpdeskApp
) -> None:
    """A team the desk does not have: the form again with what was typed and one line on
    why; the report shown stays the last that ran and a preset key works from it (it kept
    the refused filter: ``f`` showed it over a report of all tickets, each preset was
    refused again)."""
    screen = app.screen
    assert isinstance(screen, ReportsScreen)
    await pilot.press("f")
    await until(pilot, lambda: isinstance(app.screen, ReportFilterScreen))
    form = app.screen
    form.query_one("#team").value = "Nowhere [b]x"  # type: ignore[attr-defined]
    await pilot.press("enter")
    await until(
        pilot, lambda: isinstance(app.screen, ReportFilterScreen) and app.screen is not form
    )
    assert app.screen.query_one("#team").value == "Nowhere [b]x"  # type: ignore[attr-defined]
    assert "no team is called 'Nowhere [b]x'" in "\n".join(screen_lines(app))
    await pilot.press("escape")
    await until(pilot, lambda: app.screen is screen)
    assert screen.result is not None and screen.query_spec == screen.result.query
    await pilot.press("1")
    await until(pilot, lambda: screen.result is not None and screen.result.created == 11)


async def _f4_back_to_the_reports_reads_the_figures_again(
    pilot: Pilot[None], app: HelpdeskApp, desk_data: DeskData
) -> None:
    """Found on a walk: the reports opened in the morning and shown again with F4 at the
    day's end still said the morning's figures (the CLI's report had the day's)."""
    screen = app.screen
    assert isinstance(screen, ReportsScreen) and screen.result is not None
    before = screen.result.created
    await pilot.press("f4")
    await until(pilot, lambda: isinstance(app.screen, QueueScreen))
    from helpdesk_tui.desk.tickets import create_ticket

    with time_machine.travel(FROZEN_NOW, tick=False), desk_data.db.write() as session:
        create_ticket(session, desk_data.ada, subject="Late", body="x", requester_email="l@ex.com")
    Desk(desk_data.db, desk_data.ada).report_catch_up()
    await pilot.press("f4")
    await until(pilot, lambda: screen.result is not None and screen.result.created > before, 10)
    assert screen.result is not None and screen.result.created == before + 1


async def _strip_shows_every_figure_d_defines(app: HelpdeskApp) -> None:
    """Found walking a month of reports: ``d`` defines "Satisfied" as one of the strip's
    figures and ``helpdesk report`` prints the satisfied share, but the strip at 80x24 never
    showed it (nor did any tab): it does now, as the CLI computes it."""
    from helpdesk_tui.desk.report_terms import TERMS

    lines = screen_lines(app)
    tabs = next(i for i, line in enumerate(lines) if "Volume  Times  CSAT" in line)
    figures = " ".join(line.strip() for line in lines[1:tabs])
    for term in TERMS:
        assert term.label in figures, ("the strip shows every figure", term.label, figures)
    screen = app.screen
    assert isinstance(screen, ReportsScreen) and screen.result is not None
    assert screen.result.ratings, "the seeded desk has ratings"
    assert f"Satisfied {format_share(screen.result.satisfied_share)}" in figures, figures


async def _d_says_what_each_figure_counts(pilot: Pilot[None], app: HelpdeskApp) -> None:
    """What "Reopen", "1st resp", "Overdue", a business minute or CSAT count was only in
    README (the ``?`` help lists keys): ``d`` shows every figure's words (the ones of
    ``helpdesk report --help``) over the report at 80x24, the end of the list reached by
    scrolling, and ``d`` or Escape closes it."""
    from helpdesk_tui.desk.report_terms import TERMS
    from helpdesk_tui.screens.reports import ReportTermsScreen

    assert " d Definitions " in screen_lines(app)[-1] + " ", "d is in the footer"
    await pilot.press("d")
    await until(pilot, lambda: isinstance(app.screen, ReportTermsScreen))
    await settle(pilot)
    screens = [_words("\n".join(screen_lines(app)))]
    for _ in range(12):  # (ten lines at a time: lines a page break splits share a screen)
        await pilot.press(*["down"] * 10)
        await settle(pilot)
        screens.append(_words("\n".join(screen_lines(app))))
    for term in TERMS:
        assert any(term.label in seen for seen in screens), ("d shows the term", term)
        end = _words(term.means)[-40:]  # (its end: the whole was drawn)
        assert any(end in seen for seen in screens), ("d shows the term's words", term)
    await pilot.press("d")
    await until(pilot, lambda: isinstance(app.screen, ReportsScreen))


async def _t_is_shown_as_what_it_shows_next(pilot: Pilot[None], app: HelpdeskApp) -> None:
    """The footer said "t Table" on every tab: on Agents, Breakdown and Backlog (tables
    only) t did nothing, and over a table it meant the chart. (The Backlog tab said
    "in_progress", where every other screen says "in progress".)"""
    screen = app.screen
    assert isinstance(screen, ReportsScreen)
    assert " t Table " in screen_lines(app)[-1], "t over a chart"
    await pilot.press("t")
    await settle(pilot)
    assert screen.show_tables and " t Chart " in screen_lines(app)[-1], "t over a table"
    for tab in ("tab-agents", "tab-breakdown", "tab-backlog"):
        screen.query_one("#report-tabs").active = tab  # type: ignore[attr-defined]
        await settle(pilot)
        assert " t " not in screen_lines(app)[-1], ("no t on", tab, screen_lines(app)[-1])
        # (and statuses and types in words, as every other screen says them)
        drawn = "\n".join(screen_lines(app))
        assert "in_progress" not in drawn and "on_hold" not in drawn, (tab, drawn)
    assert " in progress " in drawn and " on hold " in drawn, ("statuses in words", drawn)
    screen.query_one("#report-tabs").active = "tab-times"  # type: ignore[attr-defined]
    await settle(pilot)
    await pilot.press("t")
    await settle(pilot)
    assert not screen.show_tables and " t Table " in screen_lines(app)[-1], "t back"


async def _ticket_counts_are_charted_in_whole_numbers(pilot: Pilot[None], app: HelpdeskApp) -> None:
    """The Times chart's y-axis said "4.17" tickets: a chart of ticket counts has whole
    numbers on its axis, the 7-day Volume chart and the Times chart alike."""
    await pilot.press("2")  # the last 7 days
    await settle(pilot)
    for tab in ("tab-volume", "tab-times"):
        await _show_tab(pilot, tab)
        labels = [m[1] for line in screen_lines(app) if (m := _Y_LABEL.match(line))]
        assert len(labels) >= 2, ("a chart's y-axis", tab, labels)
        assert all(label.isdigit() for label in labels), ("whole counts", tab, labels)


def test_the_figures_words_are_the_same_in_readme_and_report_help() -> None:
    """One text of what each figure counts: README's list and ``helpdesk report --help``
    say ``desk.report_terms`` word for word (README said it in its own words alone)."""
    from helpdesk_tui.desk.report_terms import TERMS

    readme = _words((Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8"))
    result = CliRunner().invoke(main, ["report", "--help"], obj=Runtime(login="ada"))
    assert result.exit_code == 0, result.output
    helped = _words(result.output)
    for term in TERMS:
        assert f"- **{term.label}** (`{term.name}`): {_words(term.means)}" in readme, term
        assert f"{term.label} ({term.name}): {_words(term.means)}" in helped, term


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_reports_terms_screen(
    snap_compare: Callable[..., bool],
    make_test_app: Callable[..., HelpdeskApp],
    desk_data: DeskData,
    size: tuple[int, int],
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _open_reports(pilot)
        await pilot.press("d")
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=size, run_before=run_before)
