"""What a command works with: the settings, the database, and the agent running it.

Each is made on first use, so ``helpdesk locate config`` never touches a database and a
bad setting is reported only by commands that need it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

import click

from helpdesk_tui.cli.database import open_database
from helpdesk_tui.config import Settings, load_settings, secret_file_warnings
from helpdesk_tui.desk.actors import Actor, agent_actor, os_login
from helpdesk_tui.desk.setup import ensure_first_admin, has_agents
from helpdesk_tui.storage.database import Database

P = ParamSpec("P")
R = TypeVar("R")


def full_name(login: str) -> str:
    """The OS account's full name (GECOS), when the system has one."""
    try:
        import pwd

        return pwd.getpwnam(login).pw_gecos.split(",")[0].strip()
    except (ImportError, KeyError):
        return ""


class Runtime:
    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._db: Database | None = None
        self._actor: Actor | None = None
        self.say: Callable[[str], None] = lambda line: click.echo(line, err=True)
        """Where notes go about what was done on the way (schema created, first admin made)."""

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
            for warning in secret_file_warnings(self._settings):
                click.echo(f"warning: {warning}", err=True)
        return self._settings

    @property
    def database_url(self) -> str | None:
        return self._settings.database_url if self._settings is not None else None

    def database(self, *, create: bool = True, upgrade: bool = False) -> Database:
        """The database, ready for this code; an empty one is set up when ``create``."""
        if self._db is None:
            self._db = open_database(
                self.settings.database_url, create=create, upgrade=upgrade, say=self.say
            )
            click.get_current_context().call_on_close(self.close)
        return self._db

    def actor(self) -> Actor:
        """The agent running this command; on a desk with no agents yet, its first admin."""
        if self._actor is None:
            db = self.database()
            login = os_login()
            with db.read() as session:
                if has_agents(session):
                    self._actor = agent_actor(session, login)
                    return self._actor
            with db.write() as session:
                if ensure_first_admin(session, login, name=full_name(login)) is not None:
                    self.say(f"made {login} the first admin of this helpdesk")
                self._actor = agent_actor(session, login)
        return self._actor

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None


def current_runtime() -> Runtime:
    """The one Runtime of this invocation, kept on the root context."""
    root = click.get_current_context().find_root()
    if not isinstance(root.obj, Runtime):
        root.obj = Runtime()
    return root.obj


def pass_runtime(function: Callable[Concatenate[Runtime, P], R]) -> Callable[P, R]:
    """Hand the command the invocation's Runtime as its first argument."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return function(current_runtime(), *args, **kwargs)

    return wrapper
