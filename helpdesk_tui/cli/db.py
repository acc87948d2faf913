"""``helpdesk db``: which schema the desk has, upgrading it, backups (admins only)."""

from __future__ import annotations

from pathlib import Path

import click

from helpdesk_tui.cli.errors import CliError, safe_url
from helpdesk_tui.cli.output import echo_json, line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.desk.admin_reads import AdminReads
from helpdesk_tui.desk.kinds import Role
from helpdesk_tui.desk.opening import Plan, no_desk, plan, revisions
from helpdesk_tui.timefmt import stamp

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
    """Which schema the database has and which this helpdesk needs, and every restore the
    desk has been through (who, when, which backup, taken when). Changes nothing."""
    url = runtime.start.database_url
    _database, state = runtime.connect()
    if not state.is_empty:
        runtime.actor(Role.AGENT)
    action = plan(state, upgrade_older=True, create=True)
    restored = (
        runtime.service(AdminReads, Role.AGENT, "read the desk").admin_restores()
        if action is Plan.READY
        else []
    )
    if as_json:
        echo_json(
            {
                "database": safe_url(url),
                "current": sorted(state.current),
                "needed": sorted(state.heads),
                "state": action.value,
                "restores": [r.as_json() for r in restored],
            }
        )
        return
    click.echo(f"database: {safe_url(url)}")
    click.echo(f"schema:   {', '.join(sorted(state.current)) or '(none)'}")
    click.echo(f"needed:   {', '.join(sorted(state.heads))}")
    click.echo(f"state:    {_STATE_TEXT[action]}")
    for r in restored:
        taken = stamp(r.taken_at) if r.taken_at is not None else "unknown"
        click.echo(
            f"restored: {stamp(r.at)} by {line(r.by)} from {line(r.file)} "
            f"(taken {taken}; desk {line(r.desk or 'unknown')})"
        )


@db.command()
@pass_runtime
def upgrade(runtime: Runtime) -> None:
    """Bring the desk's schema up to this helpdesk's (admins only)."""
    url = runtime.settings.database_url
    _database, state = runtime.connect()
    if state.is_empty:
        raise CliError(no_desk(safe_url(url)))
    state = runtime.desk(Role.ADMIN, "upgrade the database").admin_upgrade()
    if state.is_latest:
        click.echo(f"database schema in {safe_url(url)} is up to date")
        return
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
    runtime.desk(Role.ADMIN, "back up the desk").admin_backup(file)
    click.echo(f"backed up {safe_url(runtime.settings.database_url)} to {line(str(file))}")


@db.command()
@click.argument("file", type=click.Path(path_type=Path))
@pass_runtime
def restore(runtime: Runtime, file: Path) -> None:
    """Fill a new, empty desk (just made by helpdesk init) from the backup FILE (admins only).

    Everything in the backup comes back: tickets, history, agents and their roles. A SQLite
    desk's backup also fills a new PostgreSQL desk (moving a desk to PostgreSQL).
    """
    url = safe_url(runtime.settings.database_url)
    runtime.desk(Role.ADMIN, "restore the desk").admin_restore(file)
    click.echo(f"restored {line(str(file))} into {url} (helpdesk db status lists restores)")
    _database, state = runtime.connect()
    if not state.is_latest:
        click.echo(f"its schema is at {revisions(state.current)}; now run: helpdesk db upgrade")
