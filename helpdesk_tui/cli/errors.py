"""Every expected failure ends as one line on stderr (``error: ...``) and a non-zero exit.

Only bugs show a traceback. Modules are never imported here just to name an exception
type: an exception of a type whose module is not loaded cannot have been raised. The CLI
never names the database's exceptions: the desk turns them into desk errors.
"""

from __future__ import annotations

import sys
from typing import IO, Any

import click

CONFIG_ERROR_EXIT = 2
"""Exit status for a setting that cannot be used (as for a usage error)."""


class CliError(click.ClickException):
    """One line for a person, and the exit status to leave with."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        # click declares exit_code on the class; each error sets its own status.
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", file=file or sys.stderr)


def safe_url(url: str) -> str:
    """The database URL with any password hidden, for messages."""
    from helpdesk_tui.urls import mask_url

    return mask_url(url)


def translate(error: BaseException, database_url: str | None = None) -> CliError | None:
    """The one-line error for an expected failure; None for a bug (which keeps its traceback).

    A database failure outside a desk operation (its driver's exception) is worded by the
    desk (``desk.opening.database_error``), as the desk words the ones inside.
    """
    config = sys.modules.get("helpdesk_tui.config_files")
    if config is not None and isinstance(error, config.ConfigError):
        return CliError(str(error), CONFIG_ERROR_EXIT)
    opening = sys.modules.get("helpdesk_tui.desk.opening")
    if opening is not None:
        error = opening.database_error(error, database_url) or error
    desk_errors = sys.modules.get("helpdesk_tui.desk.errors")
    if desk_errors is not None and isinstance(error, desk_errors.DeskError):
        return CliError(str(error))
    return None
