"""What shell completion offers from the desk: agents' logins, team names, tag names."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from helpdesk_tui.desk.service import DeskService
from helpdesk_tui.storage.core_tables import Agent, Tag, Team


@dataclass(frozen=True)
class CompletionNames:
    agents: tuple[str, ...]
    """Logins of active agents."""
    teams: tuple[str, ...]
    tags: tuple[str, ...]

    def by_kind(self) -> dict[str, tuple[str, ...]]:
        return {"agent": self.agents, "team": self.teams, "tag": self.tags}


class CompletionService(DeskService):
    def completion_names(self) -> CompletionNames:
        """Every name a command line may need (three small indexed reads, on Core tables:
        every command ends with them)."""
        with self._read_rows() as conn:
            agents = conn.scalars(
                select(Agent.login).where(Agent.active).order_by(Agent.login)
            ).all()
            teams = conn.scalars(select(Team.name).order_by(Team.name)).all()
            tags = conn.scalars(select(Tag.name).order_by(Tag.name)).all()
        return CompletionNames(tuple(agents), tuple(teams), tuple(tags))
