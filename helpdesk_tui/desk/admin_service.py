"""Running the desk itself on the `Desk`: agents, teams, the schema, backups.

Roles are checked here on every operation (an admin adds agents, upgrades, backs up,
restores). The functions at the bottom serve the moment before there is an actor: opening a
desk and making its first admin (``helpdesk init``, the private default desk).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from helpdesk_tui.desk import agents
from helpdesk_tui.desk.actors import actor_of as actor_of
from helpdesk_tui.desk.admin_reads import AdminReads, AgentView, DeskNameView, TeamView
from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.opening import (
    Database,
    DeskUnavailable,
    SchemaState,
    desk_errors,
    revisions,
)
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.models import Agent, Role, Team
from helpdesk_tui.urls import mask_url

if TYPE_CHECKING:
    from helpdesk_tui.desk.demo import DemoResult

__all__ = [
    "AdminService",
    "AgentView",
    "BackupFailed",
    "TeamView",
    "actor_of",
    "ensure_first_admin",
    "has_agents",
]


class BackupFailed(DeskError):
    """A backup or restore could not be made (the message says why)."""


def _agent_view(agent: Agent, teams: Sequence[str] = ()) -> AgentView:
    return AgentView(agent.login, agent.name, agent.email, agent.role, agent.active, tuple(teams))


def _team_view(team: Team) -> TeamView:
    return TeamView(team.name, team.description)


class AdminService(AdminReads):
    """Agents and teams (their lists: ``AdminReads``), the schema and backups."""

    # -- agents and teams --------------------------------------------------------------------

    def agents_add(
        self,
        login: str,
        *,
        name: str = "",
        email: str | None = None,
        role: str = Role.AGENT,
        teams: Sequence[str] = (),
    ) -> AgentView:
        """Let the OS user ``login`` work the desk (admins only), a member of ``teams``,
        each an existing team (``agents.existing_teams``: a typo makes no team)."""
        self.actor.require(Role.ADMIN, "add agents")
        with self._write() as session:
            named = sorted(agents.existing_teams(session, teams).values())
            added = agents.add_agent(
                session, self.actor, login, name=name, email=email, role=role, teams=named
            )
            return _agent_view(added, named)

    def agents_set_role(self, login: str, role: str) -> AgentView:
        with self._write() as session:
            return _agent_view(agents.set_role(session, self.actor, login, role))

    def agents_set_details(
        self, login: str, *, name: str | None = None, email: str | None = None
    ) -> AgentView:
        """``login``'s name and/or address (``email`` "": none); admins, or the agent's own."""
        with self._write() as session:
            return _agent_view(
                agents.set_details(session, self.actor, login, name=name, email=email)
            )

    def agents_deactivate(self, login: str) -> AgentView:
        """Stop ``login`` working the desk; their history keeps their name (admins only)."""
        with self._write() as session:
            return _agent_view(agents.set_active(session, self.actor, login, False))

    def agents_open_tickets(self, login: str) -> list[int]:
        """The open tickets ``login`` still holds (numbers), e.g. once deactivated."""
        with self._read() as session:
            return agents.open_tickets_of(session, login)

    def agents_hand_back(self, login: str) -> list[int]:
        """Take a deactivated ``login`` off every open ticket they hold, so each is back in
        its team's (or the desk's) unassigned queue: one ``assignee`` event per ticket, by
        the ticket writer (admins only). The numbers handed back."""
        from helpdesk_tui.desk.errors import InvalidValue
        from helpdesk_tui.desk.fields import assign

        self.actor.require(Role.ADMIN, "hand back an agent's tickets")
        with self._write() as session:
            if agents.is_active(session, login):
                raise InvalidValue(
                    f"{login} is active; their tickets are theirs to hand on "
                    "(helpdesk ticket assign N --to LOGIN)"
                )
            numbers = agents.open_tickets_of(session, login)
            for number in numbers:
                assign(session, self.actor, number, unassign=True)
            return numbers

    def agents_reactivate(self, login: str) -> AgentView:
        with self._write() as session:
            return _agent_view(agents.set_active(session, self.actor, login, True))

    def agents_set_teams(self, login: str, teams: Sequence[str]) -> AgentView:
        """Make ``login`` a member of exactly ``teams``, each an existing team (admins only)."""
        with self._write() as session:
            return _agent_view(*agents.set_teams(session, self.actor, login, teams))

    # -- the desk itself ---------------------------------------------------------------------

    def desk_set_name(
        self, name: str | None, *, expected: DeskNameView | None = None
    ) -> str | None:
        """Name the desk for everyone (admins only): the terminals' title, ``{{desk.name}}``
        in canned responses, the acknowledgements' ``{desk}``. ``None`` or "" takes the
        desk's own name away again (each config's ``desk_name`` is used). Returns the name
        stored, cleaned (one line, no control characters; at most ``MAX_DESK_NAME``).
        ``expected``: only while the desk's own name is the one a form read
        (``ChangedMeanwhile`` otherwise)."""
        from helpdesk_tui.desk.errors import ChangedMeanwhile, InvalidValue
        from helpdesk_tui.desk.settings import (
            DESK_NAME,
            MAX_DESK_NAME,
            clean_desk_name,
            record_setting_change,
            set_desk_setting,
        )
        from helpdesk_tui.storage.survey_models import DeskSetting

        self.actor.require(Role.ADMIN, "name the desk")
        cleaned = clean_desk_name(name or "") or None
        if name and name.strip() and cleaned is None:
            raise InvalidValue("a desk name needs a visible character")
        if name and len(" ".join(name.split())) > MAX_DESK_NAME:
            raise InvalidValue(f"a desk name has at most {MAX_DESK_NAME} characters")
        with self._write() as session:
            row = session.get(DeskSetting, DESK_NAME, with_for_update=True)
            before = row.value if row is not None else None
            if expected is not None and expected.own != before:
                now = f"now {before}" if before else "now it has none of its own"
                raise ChangedMeanwhile(
                    f"the desk's name was changed meanwhile ({now}); nothing saved: see it again"
                )
            if cleaned is None:
                if row is not None:
                    session.delete(row)
            else:
                set_desk_setting(session, DESK_NAME, cleaned)
            record_setting_change(session, self.actor, self.clock(), "desk name", before, cleaned)
        return cleaned

    def teams_add(self, name: str, description: str = "") -> TeamView:
        """Add a team (admins only); an existing team is left as it is."""
        with self._write() as session:
            return _team_view(agents.add_team(session, self.actor, name, description))

    def demo_generate(
        self, *, tickets: int, seed: int = 1, progress: Callable[[int], None] | None = None
    ) -> DemoResult:
        """Fill the desk with demo tickets, people and history, and the knowledge-base
        articles, canned responses and macros such a desk has (those it does not hold yet:
        by slug and name), admins only."""
        from dataclasses import replace

        from helpdesk_tui.desk.demo import generate_demo
        from helpdesk_tui.desk.demo_library import add_library
        from helpdesk_tui.desk.facade import Desk

        self.actor.require(Role.ADMIN, "fill the desk with demo data")
        result = generate_demo(self.db, tickets=tickets, seed=seed, progress=progress)
        desk = Desk(self.db, self.actor, clock=self.clock)
        added = add_library(desk, seed=seed, now=self.clock())
        return replace(result, articles=added.articles, canned=added.canned, macros=added.macros)

    # -- schema and backups ------------------------------------------------------------------

    def admin_schema_state(self) -> SchemaState:
        """Which schema the database has and which this code needs."""
        with self._desk_errors():
            return migrate.schema_state(self.db)

    def admin_upgrade(self) -> SchemaState:
        """Bring the schema up to this code's (admins only); the state it was in before."""
        self.actor.require(Role.ADMIN, "upgrade the database")
        state = self.admin_schema_state()
        if state.is_newer:
            raise DeskUnavailable(
                f"database schema is at {revisions(state.current)}, newer than this "
                "helpdesk; upgrade helpdesk-tui"
            )
        if not state.is_latest:
            with self._desk_errors():
                migrate.upgrade(self.db)
        return state

    def admin_backup(self, target: Path) -> None:
        """Write a consistent copy of the desk to ``target`` while everyone works on."""
        from helpdesk_tui.desk.restores import stamp_backup
        from helpdesk_tui.storage.backup import BackupError, backup

        self.actor.require(Role.ADMIN, "back up the desk")
        with self._write_rows() as conn:  # (the copy says when it was taken)
            stamp_backup(conn, self.clock())
        try:
            backup(self.db, target)
        except BackupError as error:
            raise BackupFailed(str(error)) from None

    def admin_restore(self, source: Path) -> None:
        """Fill this new, empty desk from the backup ``source`` (admins only)."""
        from helpdesk_tui.desk.queue import drop_kept_views
        from helpdesk_tui.desk.restores import record_restore
        from helpdesk_tui.desk.setup import contents
        from helpdesk_tui.storage.backup import BackupError, backup_revisions, restore

        self.actor.require(Role.ADMIN, "restore the desk")
        with self._read() as session:
            held = contents(session)
        if held:
            raise BackupFailed(
                f"the desk at {mask_url(self.db.url)} is not empty ({', '.join(held)}); restore "
                "only into a new desk made with helpdesk init"
            )
        found = backup_revisions(source) if source.is_file() else frozenset()
        if self.db.is_sqlite and not found:
            if _is_pg_dump(source):
                raise BackupFailed(
                    f"{source} is a PostgreSQL desk's backup (pg_dump); it fills a new "
                    "PostgreSQL desk only"
                )
            raise BackupFailed(f"{source} is not a helpdesk backup")
        # A SQLite desk's backup (into a PostgreSQL desk too) from a newer helpdesk:
        if found and not found <= self.admin_schema_state().known:
            raise BackupFailed(f"{source} comes from a newer helpdesk; upgrade helpdesk-tui first")
        try:
            restore(self.db, source)
        except BackupError as error:
            raise BackupFailed(str(error)) from None
        drop_kept_views(self.db.engine.url)
        with self._desk_errors():
            record_restore(self.db, self.actor, self.clock(), source.name)


def _is_pg_dump(source: Path) -> bool:
    """Whether ``source`` is in ``pg_dump``'s custom format (what a PostgreSQL desk's
    ``helpdesk db backup`` writes)."""
    try:
        with source.open("rb") as file:
            return file.read(5) == b"PGDMP"
    except OSError:
        return False


# -- before there is an actor -------------------------------------------------------------------


def has_agents(db: Database) -> bool:
    from helpdesk_tui.desk.setup import has_agents as any_agent  # (mail models: only here)

    with desk_errors(db.url), db.read() as session:
        return any_agent(session)


def ensure_first_admin(db: Database, login: str, *, name: str = "") -> bool:
    """Make ``login`` the first admin of a desk without agents; False when it has some."""
    from helpdesk_tui.desk.setup import ensure_first_admin as first_admin

    with desk_errors(db.url), db.write() as session:
        return first_admin(session, login, name=name) is not None
