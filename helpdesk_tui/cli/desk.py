"""``helpdesk desk``: the desk itself, the same for everyone who works it (its name)."""

from __future__ import annotations

import click

from helpdesk_tui.cli.lazy import loading
from helpdesk_tui.cli.runtime import Runtime, pass_runtime


@click.group("desk")
def desk() -> None:
    """The desk itself: its name, the same in every terminal and in the mail."""


@desk.command("name")
@click.argument("name", required=False)
@click.option("--clear", is_flag=True, help="Take the desk's name away: configs name it.")
@pass_runtime
def name(runtime: Runtime, name: str | None, clear: bool) -> None:
    """Say the desk's name, or set NAME for everyone (admins).

    It heads every terminal, is {{desk.name}} in canned responses and {desk} in the
    acknowledgements. A desk never named (or --clear) uses each config's desk_name.
    """
    if name is not None and clear:
        raise click.UsageError("give a NAME or --clear, not both")
    if name is None and not clear:
        with loading():
            from helpdesk_tui.desk.admin_reads import AdminReads

        reads = runtime.service(AdminReads, doing="read the desk's name")
        click.echo(reads.desk_name(runtime.start.desk_name))
        return
    from helpdesk_tui.desk.admin_reads import renamed_said

    desk = runtime.desk(doing="name the desk")
    stored = desk.desk_set_name(None if clear else name)
    shown = desk.desk_name(runtime.start.desk_name) if stored is None else stored
    click.echo(renamed_said(stored, shown))
