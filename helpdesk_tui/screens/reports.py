"""The reports screen (its own app mode, F4): how much comes in, how fast it is answered,
what is overdue, who carries the load, whether customers are happy.

Every number comes from one ``Desk.report_run`` in a thread worker (the screen never waits on
the database) and is laid out by ``desk.reports``' tables — the ones ``helpdesk report``
prints — so the screen and the CLI always agree. Each chart's numbers are one key away
(``t``) as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import (
    ContentSwitcher,
    DataTable,
    Input,
    Label,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import Worker, WorkerState
from textual_plotext import Plot, PlotextPlot

from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.report_terms import TERMS
from helpdesk_tui.desk.reports import (
    BANDS,
    BREAKDOWNS,
    Grouping,
    ReportQuery,
    ReportResult,
    Table,
    agents_table,
    backlog_table,
    breakdown_table,
    format_minutes,
    format_share,
    periods_table,
    times_table,
)
from helpdesk_tui.desk.statuses import words
from helpdesk_tui.safe_text import clean, plain
from helpdesk_tui.screens.base import DeskModal, DeskScreen
from helpdesk_tui.widgets.desk_header import DeskHeader
from helpdesk_tui.widgets.key_footer import KeyFooter

PRESETS: dict[str, tuple[str, int]] = {
    "today": ("Today", 1),
    "7d": ("7 days", 7),
    "30d": ("30 days", 30),
    "quarter": ("Quarter", 0),
}
"""Range presets: a label and a length in days (0: the calendar quarter so far)."""
FILTERS = ("team", "agent", "channel", "category", "type", "priority")


def preset_query(name: str, today: date, base: ReportQuery | None = None) -> ReportQuery:
    """The range of preset ``name`` ending ``today``, keeping ``base``'s filters."""
    _, days = PRESETS[name]
    if days:
        start = today - timedelta(days=days - 1)
    else:
        start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    grouping = Grouping.WEEK if (today - start).days > 45 else Grouping.DAY
    query = base or ReportQuery(start=start, end=today)
    return replace(query, start=start, end=today, group_by=grouping)


def cell(value: object) -> str:
    """A table cell as the screen shows it (an absent figure is a dash)."""
    return "—" if value is None else str(value)


MINUTES = " (min)"
"""How a table of ``desk.reports`` heads a column of minutes (``helpdesk report`` prints
them so, for scripts)."""


def fill(table: DataTable[str], data: Table) -> None:
    """``data`` in ``table``; a column of minutes shows durations ("2d 8h", as the figures
    strip says them) under its heading without " (min)": the Agents tab's 3360 under
    "resolve med (min)" pushed its CSAT column past 80 columns."""
    timed = {index for index, name in enumerate(data.columns) if name.endswith(MINUTES)}
    table.clear(columns=True)
    table.add_columns(*(name.removesuffix(MINUTES) for name in data.columns))
    table.add_rows(
        [
            [
                format_minutes(v) if i in timed and isinstance(v, int) else cell(v)
                for i, v in enumerate(row)
            ]
            for row in data.rows
        ]
    )


def summary_text(result: ReportResult, width: int) -> Text:
    """The figures strip: the range, then the figures, each (label and value) whole on a
    line ``width`` cells wide; wrapped by words, a label ended a line and its value began
    the next ("Resolve" / "2d 10h")."""
    q = result.query
    text = Text()
    text.append(f"{q.start:%d %b} to {q.end:%d %b %Y}", style="bold")
    filters = [
        f"{name} {clean(getattr(q, name), single_line=True)}"
        for name in FILTERS
        if getattr(q, name)
    ]
    text.append(f"  {' · '.join(filters) or 'all tickets'}\n", style="dim")
    figures = (
        ("Created", str(result.created)),
        ("Resolved", str(result.resolved)),
        ("Backlog", str(result.backlog_total)),
        ("1st resp", format_minutes(result.first_response.median)),
        ("p90", format_minutes(result.first_response.p90)),
        ("Resolve", format_minutes(result.resolution.median)),
        ("p90", format_minutes(result.resolution.p90)),
        ("Business hours: 1st resp", format_minutes(result.first_response_business.median)),
        ("Resolve", format_minutes(result.resolution_business.median)),
        ("SLA", format_share(result.sla_compliance)),
        ("Overdue", format_share(result.overdue_share)),
        ("Reopen", format_share(result.reopen_rate)),
        ("CSAT", "—" if result.satisfaction is None else f"{result.satisfaction:.1f}/5"),
        ("Satisfied", format_share(result.satisfied_share)),
    )
    used = 0
    for label, value in figures:
        cells = len(label) + 1 + len(value)
        if used and used + 2 + cells > width:
            text.append("\n")
            used = 0
        elif used:
            text.append("  ")
            used += 2
        text.append(f"{label} ", style="dim")
        text.append(value, style="bold")
        used += cells
    return text


def _worded(data: Table, column: int) -> Table:
    """``data`` with the desk values of ``column`` in words (``in_progress``: ``in progress``),
    as the queue, the ticket and its history say them."""
    rows = tuple(
        tuple(words(v) if i == column and isinstance(v, str) else v for i, v in enumerate(row))
        for row in data.rows
    )
    return data._replace(rows=rows)


COUNT_TICKS = 5
"""Most ticks on the y-axis of a chart of ticket counts."""


def count_ticks(highest: int) -> list[int]:
    """Whole-number ticks from 0 to at least ``highest`` for a count of tickets, at most
    :data:`COUNT_TICKS` of them, a step of 1, 2 or 5 times a power of ten. plotext's own
    ticks divide the range evenly: "4.17" tickets on the Times chart."""
    step = 1
    while True:
        for size in (step, 2 * step, 5 * step):
            top = -(-max(highest, 1) // size) * size
            if top // size < COUNT_TICKS:
                return list(range(0, top + 1, size))
        step *= 10


def count_axis(plt: Plot, highest: int) -> None:
    """The y-axis of a chart of ticket counts: from 0, whole-number ticks only."""
    ticks = count_ticks(highest)
    plt.ylim(0, ticks[-1])
    plt.yticks([float(tick) for tick in ticks], [str(tick) for tick in ticks])


def steps(counts: Sequence[int]) -> tuple[list[float], list[int]]:
    """The points of a step line over periods 1, 2, …: each count level across its period
    (from x - 0.5 to x + 0.5), so the line rises or falls between periods, never slopes
    through one as a line from day to day did (a count per day is no trend within it)."""
    xs = [x + edge for x in range(1, len(counts) + 1) for edge in (-0.5, 0.5)]
    return xs, [count for count in counts for _ in (0, 1)]


class ReportFilterScreen(DeskModal[ReportQuery | None]):
    """A custom range and the filters; Enter applies, Escape keeps the report as it was."""

    HELP_TITLE = "Report filter"

    CSS_PATH = "reports.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="reports.filter.cancel"),
    ]

    def __init__(self, query: ReportQuery, *, refused: str = "") -> None:
        """``refused``: why the desk refused ``query`` (the form opens again as written)."""
        super().__init__()
        self.query_now = query
        self.refused = refused

    def compose(self) -> ComposeResult:
        with Vertical(id="report-filter"):
            yield Static("Report range and filters (Enter applies)", classes="title")
            with Grid(id="report-filter-grid"):
                yield Label("From")
                yield Input(self.query_now.start.isoformat(), id="from")
                yield Label("To")
                yield Input(self.query_now.end.isoformat(), id="to")
                for name in FILTERS:
                    yield Label(name.capitalize())
                    yield Input(getattr(self.query_now, name) or "", id=name, placeholder="any")
            yield Static(plain(self.refused, "bold"), id="report-filter-error")
        yield KeyFooter(show_command_palette=False)  # (its keys, not the report's under it)

    @on(Input.Submitted)
    def _apply(self) -> None:
        values = {i.id: i.value.strip() for i in self.query(Input) if i.id}
        try:
            start, end = date.fromisoformat(values["from"]), date.fromisoformat(values["to"])
        except ValueError:
            self.query_one("#report-filter-error", Static).update(
                Text("dates are written like 2026-11-30", style="bold")
            )
            return
        if end < start:
            self.query_one("#report-filter-error", Static).update(
                Text("the range ends before it starts", style="bold")
            )
            return
        grouping = Grouping.WEEK if (end - start).days > 45 else Grouping.DAY
        filters = {name: values[name] or None for name in FILTERS}
        self.dismiss(ReportQuery(start=start, end=end, group_by=grouping, **filters))

    def action_cancel(self) -> None:
        self.dismiss(None)


def terms_text() -> Text:
    """What each figure counts (``desk.report_terms``, the words of ``helpdesk report
    --help`` and README): the strip's label in bold, the report's name, what it counts."""
    text = Text()
    for index, term in enumerate(TERMS):
        if index:
            text.append("\n\n")
        text.append(term.label, style="bold")
        if term.name.lower() != term.label.lower():
            text.append(f" ({term.name})", style="dim")
        text.append(f": {term.means}")
    return text


class ReportTermsScreen(DeskModal[None]):
    """What the figures count (``d`` on the reports screen); Escape or ``d`` closes it.
    Before it, only README said what "reopen rate" or a business minute counts."""

    HELP_TITLE = "What the figures count"

    CSS_PATH = "reports.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,d,q", "dismiss", "Close", id="reports.terms.close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="report-terms"):
            yield Static(Text("What the figures count"), classes="title")
            with VerticalScroll(id="report-terms-text"):
                yield Static(terms_text())
        yield KeyFooter(show_command_palette=False)  # (its keys, not the report's under it)

    def on_mount(self) -> None:
        self.query_one("#report-terms-text", VerticalScroll).focus()


class ReportsScreen(DeskScreen):
    """Charts, figures and tables of one report; recomputed in a worker on every change."""

    CSS_PATH = "reports.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "preset('today')", "Today", id="reports.today"),
        Binding("2", "preset('7d')", "7d", id="reports.7d"),
        Binding("3", "preset('30d')", "30d", id="reports.30d"),
        Binding("4", "preset('quarter')", "Quarter", id="reports.quarter"),
        Binding("f", "filter", "Filter", id="reports.filter"),
        # One key, said as what it shows next, and only on a tab with a chart: on Agents,
        # Breakdown and Backlog (tables only) "t Table" did nothing.
        Binding("t", "show_tables(True)", "Table", id="reports.tables"),
        Binding("t", "show_tables(False)", "Chart", id="reports.charts"),
        Binding("d", "terms", "Definitions", id="reports.terms"),
        Binding("r", "rerun", "Refresh", show=False, id="reports.refresh"),
        Binding("escape", "app.reports", "Back", show=False, id="reports.back"),
    ]

    query_spec: reactive[ReportQuery | None] = reactive(None, init=False)
    result: reactive[ReportResult | None] = reactive(None, init=False)
    show_tables: reactive[bool] = reactive(False)

    class Computed(Message):
        def __init__(self, result: ReportResult) -> None:
            super().__init__()
            self.result = result

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static(Text("Computing the report…"), id="report-summary")
        with TabbedContent(id="report-tabs"):
            for pane, title in (("volume", "Volume"), ("times", "Times"), ("csat", "CSAT")):
                with TabPane(title, id=f"tab-{pane}"), ContentSwitcher(initial=f"{pane}-chart"):
                    yield PlotextPlot(id=f"{pane}-chart")
                    yield DataTable[str](id=f"{pane}-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Agents", id="tab-agents"):
                yield DataTable[str](id="agents-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Breakdown", id="tab-breakdown"):
                yield DataTable[str](id="breakdown-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Backlog", id="tab-backlog"):
                yield DataTable[str](id="backlog-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_spec = preset_query("30d", self.desk.clock().date())

    def on_screen_resume(self) -> None:
        """Back on the reports (``F4`` from the queue): the figures are read again. They
        were the ones of the screen's first opening, however much had changed since, with
        nothing to say how old they were (a week's end showed the morning's)."""
        if self.result is not None:
            self.action_rerun()

    def watch_query_spec(self, query: ReportQuery | None) -> None:
        if query is not None:
            self._run(query)

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def _run(self, query: ReportQuery) -> None:
        self.post_message(self.Computed(self.desk.report_run(query)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A filter the desk refuses (a team or an agent it does not have) opens the form
        again as the agent wrote it, saying why on its line; the report shown is still the
        last one that ran, and the next preset or filter starts from that one. (Refused, it
        was said in a corner while the screen kept the refused filter: ``f`` showed it
        over a report of all tickets, and each preset key was refused again.)"""
        error = event.worker.error
        if (
            event.state != WorkerState.ERROR
            or event.worker.group != "report"
            or not isinstance(error, InvalidValue)
            or self.query_spec is None
        ):
            return
        event.prevent_default()
        refused = self.query_spec
        shown = None if self.result is None else self.result.query
        self.set_reactive(ReportsScreen.query_spec, shown)
        self._ask_filter(refused, refused=str(error))

    @on(Computed)
    def _computed(self, message: Computed) -> None:
        if message.result.query == self.query_spec:
            self.result = message.result

    def watch_result(self, result: ReportResult | None) -> None:
        if result is None:
            return
        self._show_summary(result)
        fill(self.query_one("#volume-table", DataTable), periods_table(result))
        fill(self.query_one("#times-table", DataTable), times_table(result))
        fill(self.query_one("#csat-table", DataTable), periods_table(result))
        fill(self.query_one("#agents-table", DataTable), agents_table(result))
        fill(self.query_one("#breakdown-table", DataTable), self._breakdowns(result))
        fill(self.query_one("#backlog-table", DataTable), _worded(backlog_table(result), 0))
        self._draw(result)

    def _show_summary(self, result: ReportResult) -> None:
        summary = self.query_one("#report-summary", Static)
        width = self.size.width - summary.styles.padding.width
        summary.update(summary_text(result, max(width, 20)))

    def on_resize(self) -> None:
        if self.result is not None:
            self._show_summary(self.result)

    @staticmethod
    def _breakdowns(result: ReportResult) -> Table:
        rows = tuple(
            (grouping.value, *row)
            for grouping in BREAKDOWNS
            for row in (
                # (types in words, as the other screens say them; categories as named)
                _worded(breakdown_table(result, grouping), 0)
                if grouping is Grouping.TYPE
                else breakdown_table(result, grouping)
            ).rows
        )
        return Table("Breakdown", ("by", "value", "created", "resolved"), rows)

    def _draw(self, result: ReportResult) -> None:
        labels = [p.start.strftime("%m-%d") for p in result.periods]
        xs = [float(x) for x in range(1, len(labels) + 1)]
        step = max(1, len(xs) // 6)
        volume = self.query_one("#volume-chart", PlotextPlot)
        plt = volume.plt
        plt.clear_data()
        plt.clear_figure()
        created = [p.created for p in result.periods]
        resolved = [p.resolved for p in result.periods]
        plt.plot(*steps(created), label="created", marker="braille")
        plt.plot(*steps(resolved), label="resolved", marker="braille")
        plt.xlim(0.5, len(xs) + 0.5)
        plt.xticks(xs[::step], labels[::step])
        count_axis(plt, max([*created, *resolved], default=0))
        plt.title("Created vs resolved")
        volume.refresh()

        times = self.query_one("#times-chart", PlotextPlot)
        plt = times.plt
        plt.clear_data()
        plt.clear_figure()
        plt.multiple_bar(
            [label for label, _ in BANDS],
            [list(result.response_bands), list(result.resolution_bands)],
            labels=["first response", "resolution"],  # type: ignore[call-arg]  # (stub: label)
        )
        count_axis(plt, max([*result.response_bands, *result.resolution_bands], default=0))
        plt.title("Response times (tickets per band)")
        times.refresh()

        csat = self.query_one("#csat-chart", PlotextPlot)
        plt = csat.plt
        plt.clear_data()
        plt.clear_figure()
        rated = [(x, p.satisfaction) for x, p in zip(xs, result.periods, strict=True)]
        points = [(x, s) for x, s in rated if s is not None]
        if points:
            plt.plot([x for x, _ in points], [s for _, s in points], marker="braille")
        plt.ylim(1, 5)
        plt.xlim(1, max(2, len(xs)))
        plt.xticks(xs[::step], labels[::step])
        plt.title("Satisfaction (1-5)" if points else "Satisfaction: no ratings in this range")
        csat.refresh()

    def watch_show_tables(self, show: bool) -> None:
        for pane in ("volume", "times", "csat"):
            switcher = self.query_one(f"#tab-{pane} ContentSwitcher", ContentSwitcher)
            switcher.current = f"{pane}-table" if show else f"{pane}-chart"

    CHARTED = ("tab-volume", "tab-times", "tab-csat")
    """The tabs with a chart, shown as a table by ``t``."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_tables":
            tabs = self.query_one("#report-tabs", TabbedContent)
            return tabs.active in self.CHARTED and parameters[0] != self.show_tables
        return True

    @on(TabbedContent.TabActivated)
    def _tab_shown(self) -> None:
        self.refresh_bindings()

    def action_show_tables(self, show: bool) -> None:
        self.show_tables = show
        self.refresh_bindings()

    def action_terms(self) -> None:
        """What each figure counts, over the report (the words of ``helpdesk report --help``)."""
        self.app.push_screen(ReportTermsScreen())

    def action_preset(self, name: str) -> None:
        self.query_spec = preset_query(name, self.desk.clock().date(), self.query_spec)

    def action_rerun(self) -> None:
        if self.query_spec is not None:
            self._run(self.query_spec)

    def action_filter(self) -> None:
        if self.query_spec is None:
            return

        self._ask_filter(self.query_spec)

    def _ask_filter(self, query: ReportQuery, *, refused: str = "") -> None:
        def chosen(query: ReportQuery | None) -> None:
            if query is not None:
                self.query_spec = query

        self.app.push_screen(ReportFilterScreen(query, refused=refused), chosen)
