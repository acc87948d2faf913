"""``helpdesk db``: where the database is, which schema it has, and upgrading it."""

from __future__ import annotations

import click

from helpdesk_tui.cli.database import Plan, connect, plan
from helpdesk_tui.cli.errors import CliError, safe_url
from helpdesk_tui.cli.output import echo_json
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.storage import migrate

_STATE_TEXT = {
    Plan.READY: "up to date",
    Plan.CREATE: "empty; run: helpdesk init",
    Plan.UPGRADE: "older than this helpdesk; run: helpdesk db upgrade",
    Plan.REFUSE_NEWER: "newer than this helpdesk; upgrade helpdesk-tui",
}


@click.group()
def db() -> None:
    """The database schema."""


@db.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_runtime
def status(runtime: Runtime, as_json: bool) -> None:
    """Which schema the database has and which this helpdesk needs. Changes nothing."""
    url = runtime.settings.database_url
    database, state = connect(url)
    try:
        action = plan(state, upgrade_older=True, create=True)
    finally:
        database.dispose()
    if as_json:
        echo_json(
            {
                "database": safe_url(url),
                "current": sorted(state.current),
                "needed": sorted(state.heads),
                "state": action.value,
            }
        )
        return
    click.echo(f"database: {safe_url(url)}")
    click.echo(f"schema:   {', '.join(sorted(state.current)) or '(none)'}")
    click.echo(f"needed:   {', '.join(sorted(state.heads))}")
    click.echo(f"state:    {_STATE_TEXT[action]}")


@db.command()
@pass_runtime
def upgrade(runtime: Runtime) -> None:
    """Bring the database schema up to this helpdesk's (creating it on an empty database)."""
    url = runtime.settings.database_url
    database, state = connect(url)
    try:
        action = plan(state, upgrade_older=True, create=True)
        if action is Plan.REFUSE_NEWER:
            raise CliError(
                f"database schema is at {', '.join(sorted(state.current))}, newer than this "
                "helpdesk; upgrade helpdesk-tui"
            )
        if action is Plan.READY:
            click.echo(f"database schema in {safe_url(url)} is up to date")
            return
        migrate.upgrade(database)
        before = ", ".join(sorted(state.current)) or "(empty)"
        click.echo(
            f"upgraded database schema in {safe_url(url)} from {before} "
            f"to {', '.join(sorted(state.heads))}"
        )
    finally:
        database.dispose()
