"""A click group that imports a subcommand's module only when that subcommand runs.

``helpdesk --help`` lists every command from a static table of one-line help texts, so
neither help nor ``--version`` nor shell completion of the top-level names imports the
database, the rules, or Textual.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import click

from helpdesk_tui.cli.errors import CliError


class LazyGroup(click.Group):
    """``lazy_subcommands`` maps a name to ``"package.module:attribute"``."""

    def __init__(
        self,
        *args: Any,
        lazy_subcommands: Mapping[str, str],
        lazy_help: Mapping[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = dict(lazy_subcommands)
        self.lazy_help = dict(lazy_help)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands:
            return self._load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def _load(self, name: str) -> click.Command:
        module_name, attribute = self.lazy_subcommands[name].split(":", 1)
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise CliError(f"the '{name}' command is not available here: {error}") from None
        command = getattr(module, attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}:{attribute} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the static help table, without importing anything."""
        rows = [(name, self.lazy_help.get(name, "")) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
