"""``helpdesk report``: the reports screen's numbers, for people (table) and scripts (CSV, JSON).

Every number comes from ``Desk.report_run`` and is laid out by ``desk.reports``' tables —
the same ones the reports screen shows — so the two never disagree.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import click

from helpdesk_tui.cli.lazy import loading
from helpdesk_tui.cli.output import echo_json, line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.desk.report_terms import terms_text
from helpdesk_tui.desk.reports import (
    Grouping,
    ReportQuery,
    Table,
    report_tables,
    result_table,
)

DEFAULT_DAYS = 30


def _day(_ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-30", param=param) from None


def _cell(value: object) -> str:
    return "" if value is None else line(str(value))


def _text(table: Table) -> str:
    cells = [list(table.columns), *([_cell(v) for v in row] for row in table.rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(table.columns))]
    lines = [table.title]
    for row in cells:
        lines.append(
            "  ".join(
                (c.ljust(w) if i == 0 else c.rjust(w))
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
    return "\n".join(lines)


def table_csv(table: Table) -> str:
    """One table as CSV (header row first); empty figures are empty cells."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


@click.command("report", epilog="What the figures count:\n\n" + terms_text())
@click.option("--from", "start", callback=_day, help="First day (YYYY-MM-DD; default 30 days ago).")
@click.option("--to", "end", callback=_day, help="Last day, included (default today, UTC).")
@click.option("--team", help="Only tickets of this team.")
@click.option("--agent", help="Only tickets this agent handled (login).")
@click.option("--channel", help="Only tickets that came in by this channel.")
@click.option("--category", help="Only tickets of this category.")
@click.option("--type", "type_", help="Only tickets of this type.")
@click.option("--priority", help="Only tickets of this priority.")
@click.option(
    "--group-by",
    "group_by",
    type=click.Choice([g.value for g in Grouping]),
    default=Grouping.DAY.value,
    show_default=True,
    help="The rows of the main table.",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table: every table, for people; csv: the main table; json: every table.",
)
@pass_runtime
def report(
    runtime: Runtime,
    start: date | None,
    end: date | None,
    team: str | None,
    agent: str | None,
    channel: str | None,
    category: str | None,
    type_: str | None,
    priority: str | None,
    group_by: str,
    format_: str,
) -> None:
    """Created and resolved, backlog, response and resolution times, SLA, reopen rate,
    agents, breakdowns and satisfaction — the numbers of the reports screen."""
    with loading():
        from helpdesk_tui.desk.report_reads import ReportReads

    desk = runtime.service(ReportReads, doing="read reports")
    end = end or desk.clock().date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    grouping = Grouping(group_by)
    query = ReportQuery(
        start=start,
        end=end,
        team=team,
        agent=agent,
        channel=channel,
        category=category,
        type=type_,
        priority=priority,
        group_by=Grouping.WEEK if grouping is Grouping.WEEK else Grouping.DAY,
    )
    result = desk.report_run(query)
    if format_ == "csv":
        click.echo(table_csv(result_table(result, grouping)), nl=False)
        return
    tables = report_tables(result, grouping)
    if format_ == "json":
        echo_json(
            {
                "from": start.isoformat(),
                "to": end.isoformat(),
                **{
                    t.title.lower().replace(" ", "_"): [
                        dict(zip(t.columns, row, strict=True)) for row in t.rows
                    ]
                    for t in tables
                },
            }
        )
        return
    click.echo(f"Report {start.isoformat()} to {end.isoformat()} (days in UTC)")
    for table in tables:
        click.echo("")
        click.echo(_text(table))
