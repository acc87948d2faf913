"""``helpdesk demo``: fill a database with a realistic, deterministic desk to try things on."""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from helpdesk_tui.cli.errors import safe_url
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.cli.streams import raw_stderr
from helpdesk_tui.desk.kinds import Role
from helpdesk_tui.desk.values import MAX_NUMBER


@click.command()
@click.option("--tickets", type=click.IntRange(1, MAX_NUMBER), default=1000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same desk.")
@pass_runtime
def demo(runtime: Runtime, tickets: int, seed: int) -> None:
    """Add demo tickets, contacts, agents, teams, tags and months of history, with
    knowledge-base articles, canned responses and macros (admins only)."""
    desk = runtime.desk(Role.ADMIN, "fill the desk with demo data")
    console = Console(file=raw_stderr())
    columns = (
        TextColumn("demo tickets"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("demo", total=tickets)

        def advance(done: int) -> None:
            progress.update(task, completed=done)

        result = desk.demo_generate(tickets=tickets, seed=seed, progress=advance)
    click.echo(
        f"added {result.tickets} demo tickets ({result.messages} messages, {result.events} "
        f"events, {result.contacts} new contacts) to {safe_url(runtime.settings.database_url)} "
        f"in {result.seconds:.1f} s: {result.rate:,.0f} tickets/s"
    )
    if result.articles or result.canned or result.macros:
        click.echo(
            f"added {result.articles} knowledge-base articles, {result.canned} canned "
            f"responses and {result.macros} macros (those the desk did not have yet)"
        )
    else:
        click.echo("the demo's knowledge-base articles, canned responses and macros are there")
