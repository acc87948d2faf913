"""``helpdesk init``: set up (or upgrade) the database and make yourself its first admin."""

from __future__ import annotations

import click

from helpdesk_tui.cli.errors import safe_url
from helpdesk_tui.cli.runtime import Runtime, pass_runtime


@click.command()
@pass_runtime
def init(runtime: Runtime) -> None:
    """Create or upgrade the database; the first person to run this becomes its admin.

    Safe to run again: it then only says that everything is in place.
    """
    runtime.say = click.echo
    runtime.database(upgrade=True)
    actor = runtime.actor()
    click.echo(
        f"helpdesk ready at {safe_url(runtime.settings.database_url)}; "
        f"{actor.name} is an agent with role {actor.role}"
    )
