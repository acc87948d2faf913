"""Every expected failure ends as one line on stderr (``error: ...``) and a non-zero exit.

Only bugs show a traceback. Modules are never imported here just to name an exception
type: an exception of a type whose module is not loaded cannot have been raised.
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


def database_problem(error: BaseException) -> str:
    """The first line of what the driver said, without SQLAlchemy's boilerplate."""
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__


def translate(error: BaseException, database_url: str | None = None) -> CliError | None:
    """The one-line error for an expected failure; None for a bug (which keeps its traceback)."""
    desk_errors = sys.modules.get("helpdesk_tui.desk.errors")
    if desk_errors is not None and isinstance(error, desk_errors.DeskError):
        return CliError(str(error))
    config = sys.modules.get("helpdesk_tui.config")
    if config is not None and isinstance(error, config.ConfigError):
        return CliError(str(error), CONFIG_ERROR_EXIT)
    storage = sys.modules.get("helpdesk_tui.storage.database")
    if storage is not None and isinstance(error, storage.NoDesk):
        return CliError(no_desk(str(error.path)))
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is not None and isinstance(error, sqlalchemy_exc.DataError):
        # A value the desk's checks let through and the database refuses: one line still,
        # and never the statement's parameters.
        return CliError(f"the database refused a value: {database_problem(error)}")
    if sqlalchemy_exc is not None and isinstance(
        error, sqlalchemy_exc.OperationalError | sqlalchemy_exc.InterfaceError
    ):
        from helpdesk_tui.urls import scrub

        problem = sqlite_trouble(database_url)
        if problem is not None:
            return CliError(problem)
        where = f" at {safe_url(database_url)}" if database_url else ""
        return CliError(f"database error{where}: {scrub(database_problem(error), database_url)}")
    return None


def no_desk(where: str) -> str:
    return f"no desk at {where}; create one with `helpdesk init`"


def sqlite_trouble(database_url: str | None) -> str | None:
    """For a SQLite desk this process cannot read or write: which file, and the fix."""
    if not database_url or not database_url.startswith("sqlite:"):
        return None
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from helpdesk_tui.storage.sqlite_files import access_problem

    path = make_url(database_url).database
    return access_problem(Path(path)) if path else None
