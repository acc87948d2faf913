"""``helpdesk locate``: where the config files and the data live."""

from __future__ import annotations

import click

from helpdesk_tui.config_files import data_dir, site_config_file, user_config_file


@click.group()
def locate() -> None:
    """Print where helpdesk-tui keeps its files."""


@locate.command("config")
def locate_config() -> None:
    """The user's config file and the site-wide one under it (either may not exist yet)."""
    click.echo(f"user config: {user_config_file()}")
    click.echo(f"site config: {site_config_file()}")


@locate.command("data")
def locate_data() -> None:
    """The data directory (holding the default SQLite database), as a bare path."""
    click.echo(str(data_dir()))
