"""Who works the desk, read on Core tables (``storage/core_tables``): the agents with their
teams, and the teams.

The one place these lists are read: :class:`AdminReads` is the base of the facade's
``AdminService`` (the terminal's pickers) and alone is what ``helpdesk agent list`` and
``team list`` hold, so those verbs import neither the ORM nor SQLModel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from helpdesk_tui.desk.service import DeskService
from helpdesk_tui.storage.core_tables import Agent, Team, TeamMember, agent, team, team_member

if TYPE_CHECKING:
    from helpdesk_tui.desk.restores import RestoreRecord


@dataclass(frozen=True)
class AgentView:
    login: str
    name: str
    email: str | None
    role: str
    active: bool
    teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class TeamView:
    name: str
    description: str


@dataclass(frozen=True)
class DeskNameView:
    """The desk's name as a terminal shows it, and the one an admin set (``None``: the
    desk has none of its own, the config's ``desk_name`` is shown): what a form read,
    the guard of :meth:`AdminService.desk_set_name`."""

    name: str
    own: str | None


def renamed_said(stored: str | None, shown: str) -> str:
    """What naming the desk says, in the CLI and the desk settings alike: its own name
    ``stored``, or (``None``) that it has none and shows ``shown``, the config's."""
    if stored is None:
        return f"the desk has no name of its own: {shown} (the config's desk_name)"
    return f"the desk is named {stored}"


class AdminReads(DeskService):
    """The agents and teams, as every agent may read them."""

    def agents_list(self, *, active_only: bool = False) -> list[AgentView]:
        """Every agent with role and teams, by login (only those still working, if asked)."""
        listed = select(Agent.id, Agent.login, Agent.name, Agent.email, Agent.role, Agent.active)
        if active_only:
            listed = listed.where(Agent.active)
        with self._read_rows() as conn:
            rows = conn.execute(listed.select_from(agent).order_by(Agent.login)).all()
            memberships = conn.execute(
                select(TeamMember.agent_id, Team.name).select_from(
                    team_member.join(team, Team.id == TeamMember.team_id)
                )
            ).all()
        teams: dict[int, list[str]] = {}
        for agent_id, team_name in memberships:
            teams.setdefault(agent_id, []).append(team_name)
        return [
            AgentView(login, name, email, role, active, _sorted(teams.get(agent_id, ())))
            for agent_id, login, name, email, role, active in rows
        ]

    def teams_list(self) -> list[TeamView]:
        """Every team, by name."""
        with self._read_rows() as conn:
            rows = conn.execute(select(Team.name, Team.description).order_by(Team.name)).all()
        return [TeamView(name, description) for name, description in rows]

    def desk_name(self, configured: str = "Helpdesk") -> str:
        """The desk's name as every terminal and the mail runner show it: the one an admin
        set (:meth:`AdminService.desk_set_name`), else ``configured`` (the config's
        ``desk_name``), cleaned for the terminal (``settings.desk_name``)."""
        from helpdesk_tui.desk.settings import desk_name

        with self._read_rows() as conn:
            return desk_name(conn, configured)

    def desk_name_view(self, configured: str = "Helpdesk") -> DeskNameView:
        """:meth:`desk_name`, and whether it is the desk's own (an admin set it)."""
        from helpdesk_tui.desk.settings import DESK_NAME, desk_name, desk_setting

        with self._read_rows() as conn:
            return DeskNameView(desk_name(conn, configured), desk_setting(conn, DESK_NAME))

    def admin_restores(self) -> list[RestoreRecord]:
        """Every restore this desk has been through, newest first (``helpdesk db status``,
        which so imports neither the ORM nor the facade: ≈ 0.7 s of its start)."""
        from helpdesk_tui.desk.restores import restores

        with self._read_rows() as conn:
            return restores(conn)


def _sorted(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted(names))
