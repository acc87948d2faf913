"""A click group that imports a subcommand's module only when that subcommand runs.

``helpdesk --help`` lists every command from a static table of one-line help texts, so
neither help nor ``--version`` nor shell completion of the top-level names imports the
database, the rules, or Textual.
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import click
from click.shell_completion import CompletionItem

from helpdesk_tui.cli.errors import CliError


@contextmanager
def loading() -> Iterator[None]:
    """Import a command's modules (the data layer) with the cyclic garbage collector
    paused, and keep what they made out of its later walks (``gc.freeze``).

    Importing SQLAlchemy, the tables and the desk makes some 200,000 long-lived objects;
    the collector, running as they were made, walked them over and over: 60-80 ms of a
    verb's half second. Imports make next to no garbage. The young garbage there is before
    is collected first (cheap), so what is frozen is what lives on; nothing is frozen when
    nothing new was imported (a process that runs many commands, as the tests do).
    """
    enabled = gc.isenabled()
    modules = len(sys.modules)
    gc.collect(1)
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        if len(sys.modules) != modules:
            gc.freeze()


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
            with loading():
                module = importlib.import_module(module_name)
        except ImportError as error:
            raise CliError(f"the '{name}' command is not available here: {error}") from None
        command = getattr(module, attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}:{attribute} is not a click command")
        return command

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """Subcommand names (with their help) from the static table, importing none of them.

        click's own completion loads every subcommand to read its help: a Tab would then
        import the whole CLI and the database layer with it.
        """
        names = [name for name in self.list_commands(ctx) if name.startswith(incomplete)]
        eager = [name for name in names if name not in self.lazy_subcommands]
        results = [
            CompletionItem(name, help=self.lazy_help.get(name, ""))
            for name in names
            if name in self.lazy_subcommands
        ]
        for name in eager:
            command = super().get_command(ctx, name)
            if command is not None and not command.hidden:
                results.append(CompletionItem(name, help=command.get_short_help_str()))
        results.extend(click.Command.shell_complete(self, ctx, incomplete))
        return results

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the static help table, without importing anything."""
        rows = [(name, self.lazy_help.get(name, "")) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
