"""``helpdesk db``: which schema the desk has, upgrading it, backups (admins only)."""

from __future__ import annotations

from pathlib import Path

import click

from helpdesk_tui.cli.database import Plan, plan, revisions
from helpdesk_tui.cli.errors import CliError, no_desk, safe_url
from helpdesk_tui.cli.output import echo_json
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.models import Role

_STATE_TEXT = {
    Plan.READY: "up to date",
    Plan.CREATE: "empty; run: helpdesk init",
    Plan.UPGRADE: "older than this helpdesk; an admin must run: helpdesk db upgrade",
    Plan.REFUSE_NEWER: "newer than this helpdesk; upgrade helpdesk-tui",
}


@click.group()
def db() -> None:
    """The desk's database: schema, upgrades, backups."""


@db.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_runtime
def status(runtime: Runtime, as_json: bool) -> None:
    """Which schema the database has and which this helpdesk needs. Changes nothing."""
    url = runtime.settings.database_url
    _database, state = runtime.connect()
    if not state.is_empty:
        runtime.actor(Role.AGENT)
    action = plan(state, upgrade_older=True, create=True)
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
    """Bring the desk's schema up to this helpdesk's (admins only)."""
    url = runtime.settings.database_url
    database, state = runtime.connect()
    if state.is_empty:
        raise CliError(no_desk(safe_url(url)))
    runtime.actor(Role.ADMIN, "upgrade the database")
    action = plan(state, upgrade_older=True, create=False)
    if action is Plan.REFUSE_NEWER:
        raise CliError(
            f"database schema is at {revisions(state.current)}, newer than this "
            "helpdesk; upgrade helpdesk-tui"
        )
    if action is Plan.READY:
        click.echo(f"database schema in {safe_url(url)} is up to date")
        return
    migrate.upgrade(database)
    click.echo(
        f"upgraded database schema in {safe_url(url)} from {revisions(state.current)} "
        f"to {revisions(state.heads)}"
    )


@db.command()
@click.argument("file", type=click.Path(path_type=Path))
@pass_runtime
def backup(runtime: Runtime, file: Path) -> None:
    """Write a consistent copy of the desk to FILE while everyone works on (admins only).

    SQLite: a single database file, readable by you only. PostgreSQL: pg_dump's custom
    format (restore it with helpdesk db restore or pg_restore).
    """
    from helpdesk_tui.storage.backup import BackupError
    from helpdesk_tui.storage.backup import backup as take_backup

    runtime.actor(Role.ADMIN, "back up the desk")
    try:
        take_backup(runtime.database(), file)
    except BackupError as error:
        raise CliError(str(error)) from None
    click.echo(f"backed up {safe_url(runtime.settings.database_url)} to {file}")


@db.command()
@click.argument("file", type=click.Path(path_type=Path))
@pass_runtime
def restore(runtime: Runtime, file: Path) -> None:
    """Fill a new, empty desk (just made by helpdesk init) from the backup FILE (admins only).

    Everything in the backup comes back: tickets, history, agents and their roles.
    """
    from helpdesk_tui.desk.setup import contents
    from helpdesk_tui.storage.backup import BackupError, backup_revisions
    from helpdesk_tui.storage.backup import restore as restore_backup

    runtime.actor(Role.ADMIN, "restore the desk")
    database = runtime.database()
    url = safe_url(runtime.settings.database_url)
    with database.read() as session:
        held = contents(session)
    if held:
        raise CliError(
            f"the desk at {url} is not empty ({', '.join(held)}); restore only into a new desk "
            "made with helpdesk init"
        )
    if database.is_sqlite:
        found = backup_revisions(file) if file.is_file() else frozenset()
        if not found:
            raise CliError(f"{file} is not a helpdesk backup")
        if not found <= migrate.schema_state(database).known:
            raise CliError(f"{file} comes from a newer helpdesk; upgrade helpdesk-tui first")
    try:
        restore_backup(database, file)
    except BackupError as error:
        raise CliError(str(error)) from None
    click.echo(f"restored {file} into {url}")
    database, state = runtime.connect()
    if not state.is_latest:
        click.echo(f"its schema is at {revisions(state.current)}; now run: helpdesk db upgrade")
