"""What a command works with: the settings, the database, and the agent running it.

Each is made on first use, so ``helpdesk locate config`` never touches a database and a
bad setting is reported only by commands that need it. The data layer too is imported on
first use (the terminal UI draws its first page before it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

import click

from helpdesk_tui import completion_cache, start_settings
from helpdesk_tui.cli import interrupts
from helpdesk_tui.cli.lazy import loading
from helpdesk_tui.desk.actors import Actor, os_login
from helpdesk_tui.desk.errors import DeskError, UnknownAgent
from helpdesk_tui.desk.kinds import Role

if TYPE_CHECKING:
    from helpdesk_tui.config import Settings
    from helpdesk_tui.desk.facade import Desk
    from helpdesk_tui.desk.opening import Database, SchemaState
    from helpdesk_tui.desk.service import DeskService
    from helpdesk_tui.desk.tickets_cli_service import TicketsCliService

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="DeskService")


def full_name(login: str) -> str:
    """The OS account's full name (GECOS), when the system has one."""
    try:
        import pwd

        return pwd.getpwnam(login).pw_gecos.split(",")[0].strip()
    except (ImportError, KeyError):
        return ""


class Runtime:
    """Settings, database and acting agent of one invocation.

    ``login`` is who runs the command: the real uid's account. Tests hand a Runtime with
    another login to click (``main(obj=Runtime(login="bob"))``); no environment variable can.
    """

    def __init__(self, login: str | None = None) -> None:
        self.login = login or os_login()
        self._settings: Settings | None = None
        self._start: start_settings.StartSettings | None = None
        self._warned = False
        self._db: Database | None = None
        self._actor: Actor | None = None
        self.say: Callable[[str], None] = lambda line: click.echo(line, err=True)
        """Where notes go about what was done on the way (schema created, first admin made)."""

    @property
    def settings(self) -> Settings:
        """The settings, validated (pydantic): a bad one is a ConfigError naming it."""
        if self._settings is None:
            from helpdesk_tui.config import load_settings, secret_file_warnings

            made_of = start_settings.inputs()
            settings = load_settings()
            warnings = secret_file_warnings(settings)
            self._warn(warnings)
            try:
                start_settings.keep(made_of, settings, warnings)
            except OSError as error:  # a cache: the next start validates again
                self.say(f"note: settings for a quick start not kept: {error}")
            self._settings = settings
        return self._settings

    @property
    def start(self) -> start_settings.StartSettings:
        """What a start needs from the settings (``start_settings``): kept from their last
        validation when nothing they are made of changed since, else validated now."""
        if self._start is None:
            found = start_settings.recall() if self._settings is None else None
            if found is not None:
                self._start, warnings = found
                self._warn(warnings)
            else:
                self._start = start_settings.StartSettings.from_settings(self.settings)
        return self._start

    def _warn(self, warnings: list[str]) -> None:
        """The settings' warnings, said once per command."""
        if not self._warned:
            self._warned = True
            for warning in warnings:
                click.echo(f"warning: {warning}", err=True)

    @property
    def database_url(self) -> str | None:
        for known in (self._settings, self._start):
            if known is not None:
                return known.database_url
        return None

    def point_at(self, url: str) -> None:
        """Work on the desk at ``url`` instead of the configured one (``init --shared``)."""
        self._settings = self.settings.model_copy(update={"database_url": url})
        self._start = None

    def database(self, *, create: bool = False, upgrade: bool = False) -> Database:
        """The desk's database, ready for this code; only ``create`` sets up an empty one."""
        if self._db is None:
            url = self.start.database_url
            with loading():
                from helpdesk_tui.desk.opening import load_driver, open_database

                load_driver(url, connect=True)
            self._db = open_database(url, create=create, upgrade=upgrade, say=self.say)
            # (None in the terminal UI's opening thread: ``cli/tui.py`` registered it)
            context = click.get_current_context(silent=True)
            if context is not None:
                context.call_on_close(self._command_done)
        return self._db

    def connect(self, *, create: bool = False) -> tuple[Database, SchemaState]:
        """The database as it is, whatever its schema (``helpdesk db``, ``helpdesk init``)."""
        from helpdesk_tui.desk.opening import connect

        if self._db is not None:
            self.close()
        self._db, state = connect(self.start.database_url, create=create)
        click.get_current_context().call_on_close(self._command_done)
        return self._db, state

    def actor(self, role: Role = Role.AGENT, doing: str = "do that") -> Actor:
        """The agent running this command, refused unless they hold ``role`` (or higher)."""
        if self._actor is None:
            with loading():
                from helpdesk_tui.desk.actors import actor_of

            self._actor = actor_of(self.database(), self.login)
        self._actor.require(role, doing)
        return self._actor

    def desk(self, role: Role = Role.AGENT, doing: str = "do that") -> Desk:
        """The desk, worked on by the agent running this command (who must hold ``role``)."""
        with loading():
            from helpdesk_tui.desk.facade import Desk

        return self.service(Desk, role, doing)

    def service(self, area: type[S], role: Role = Role.AGENT, doing: str = "do that") -> S:
        """One area of the desk (a service the facade joins, e.g. ``TicketsService``), for a
        verb that needs no other: the same operations as on the facade, without importing
        the other areas and their tables (a write verb's start)."""
        actor = self.actor(role, doing)
        return area(self.database(), actor)

    def lister(self) -> TicketsCliService:
        """The ticket reader alone, for ``ticket list``, ``search`` and ``show``: it reads on
        Core tables, so these verbs import neither the facade nor the ORM, SQLModel or
        pydantic (two fifths of their start)."""
        with loading():
            from helpdesk_tui.desk.tickets_cli_service import TicketsCliService

        actor = self.actor()
        return TicketsCliService(self.database(), actor)

    def set_up(self, admin: str | None = None, *, as_outsider: bool = False) -> Actor | None:
        """``helpdesk init``: create the desk, or bring an existing one up to date.

        A new desk (no agents yet) gets ``admin`` (by default the caller) as its first admin.
        On an existing desk the caller must be one of its agents, and an admin to upgrade it;
        ``as_outsider`` (root mending a shared desk's modes) gives None for a non-agent instead.
        """
        from helpdesk_tui.desk.admin_service import actor_of, ensure_first_admin, has_agents

        database, state = self.connect(create=True)
        if not state.is_empty and has_agents(database) and not state.is_latest:
            self.actor(Role.ADMIN, "upgrade the database")
        self.close()
        self.database(create=True, upgrade=True)
        login = admin or self.login
        if ensure_first_admin(self.database(), login, name=full_name(login)):
            self.say(f"made {login} the first admin of this helpdesk")
            return actor_of(self.database(), login)
        try:
            return self.actor()
        except UnknownAgent:
            if as_outsider:
                return None
            raise

    def first_admin(self) -> Actor:
        """The private default desk's owner: its first admin when it has no agents yet."""
        from helpdesk_tui.desk.admin_service import ensure_first_admin

        if ensure_first_admin(self.database(), self.login, name=full_name(self.login)):
            self.say(f"made {self.login} the first admin of this helpdesk")
        return self.actor()

    def _command_done(self) -> None:
        """The command's context closes: its work is done (a Ctrl-C from now on is kept for
        the program's end, ``interrupts.ending``), then its desk closes."""
        interrupts.ending()
        self.close()

    def close(self) -> None:
        if self._db is not None:
            if self._actor is not None:
                self._remember_names(self._db, self._actor)
            self._db.dispose()
            self._db = None

    @staticmethod
    def _remember_names(db: Database, actor: Actor) -> None:
        """Keep the desk's agents, teams and tags for shell completion (``completion_cache``):
        after every command that used the desk, so the user's own changes complete at once."""
        from helpdesk_tui.desk.completion_service import CompletionService

        try:
            names = CompletionService(db, actor).completion_names()
        except DeskError:
            return  # the database is out of reach: the command has said so, or will
        try:
            completion_cache.remember(names.by_kind(), sqlite_path=db.sqlite_path)
        except OSError as error:  # a cache: the command itself went through
            click.echo(f"note: names for shell completion not kept: {error}", err=True)


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
