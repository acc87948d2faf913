"""``helpdesk init``: the one command that creates a desk (and makes its first admin).

``helpdesk init --shared GROUP [DIRECTORY]`` sets up a team desk on one server: a setgid
directory of the group (2770) holding the database, which is group-writable and closed to
everyone else (0660) whatever the umask; SQLite gives its ``-wal``/``-shm`` files the
database's mode, and the setgid directory gives them the group.
"""

from __future__ import annotations

import grp
from pathlib import Path

import click

from helpdesk_tui.cli.errors import CliError, safe_url
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.config import site_config_file
from helpdesk_tui.desk.opening import share_sqlite_desk

DEFAULT_SHARED_DIR = Path("/srv/helpdesk")
DATABASE_FILE = "helpdesk.db"


@click.command()
@click.option(
    "--shared",
    "group",
    metavar="GROUP",
    help="Set up a team desk for the OS group GROUP in DIRECTORY (default /srv/helpdesk).",
)
@click.option("--admin", metavar="LOGIN", help="The desk's first admin (default: you).")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@pass_runtime
def init(runtime: Runtime, group: str | None, admin: str | None, directory: Path | None) -> None:
    """Create the desk; its first admin is you or --admin LOGIN.

    Without --shared the desk is the configured database_url. On an existing desk it only
    says that everything is in place (an admin's run also upgrades its schema; with
    --shared, root's run mends the files' modes).
    """
    runtime.say = click.echo
    if group is None:
        if directory is not None:
            raise CliError("a DIRECTORY is only for --shared GROUP; or set database_url")
        actor = runtime.set_up(admin)
        assert actor is not None
        click.echo(
            f"helpdesk ready at {safe_url(runtime.settings.database_url)}; "
            f"{actor.name} is an agent with role {actor.role}"
        )
        return
    directory = (directory or DEFAULT_SHARED_DIR).absolute()
    url = f"sqlite:///{directory / DATABASE_FILE}"
    _share(directory, group)
    runtime.point_at(url)
    actor = runtime.set_up(admin, as_outsider=True)
    who = f"{actor.name} is an agent with role {actor.role}" if actor else "its files mended"
    click.echo(f"shared desk ready in {directory} for group {group}; {who}")
    click.echo("")
    click.echo(
        "Every agent puts this line in their ~/.config/helpdesk-tui/config.toml (or an admin "
        f"once for everyone in {site_config_file()}; helpdesk locate config shows both):"
    )
    click.echo("")
    click.echo(f'database_url = "{url}"')
    click.echo("")
    click.echo(
        f"Each agent must be in group {group} (usermod -aG {group} LOGIN, then log in again) "
        "and be added by an admin: helpdesk agent add LOGIN --name 'Full Name'"
    )


def _share(directory: Path, group: str) -> None:
    """The group's setgid directory and database file, with their modes whatever the umask."""
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        raise CliError(f"there is no group {group!r}; create it first: groupadd {group}") from None
    try:
        share_sqlite_desk(directory / DATABASE_FILE, gid)
    except PermissionError as error:
        raise CliError(
            f"cannot give {error.filename or directory} to group {group}: {error.strerror}; "
            f"run this as root (sudo helpdesk init --shared {group} {directory} --admin LOGIN) "
            f"or as a member of {group} who owns {directory}"
        ) from None
    except OSError as error:
        raise CliError(f"cannot set up {error.filename or directory}: {error.strerror}") from None
