"""What shell completion offers from the desk: agents' logins, team names, tag names."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import literal, select, union_all

from helpdesk_tui.desk.service import DeskService
from helpdesk_tui.storage.core_tables import Agent, Tag, Team


class CompletionNames(NamedTuple):
    agents: tuple[str, ...]
    """Logins of active agents."""
    teams: tuple[str, ...]
    tags: tuple[str, ...]

    def by_kind(self) -> dict[str, tuple[str, ...]]:
        return {"agent": self.agents, "team": self.teams, "tag": self.tags}


class CompletionService(DeskService):
    def completion_names(self) -> CompletionNames:
        """Every name a command line may need: three small indexed reads in one statement,
        on Core tables (every command ends with it; one round trip, not three)."""
        names = union_all(
            select(literal("agent").label("kind"), Agent.login.label("name")).where(Agent.active),
            select(literal("team"), Team.name),
            select(literal("tag"), Tag.name),
        )
        found: dict[str, list[str]] = {"agent": [], "team": [], "tag": []}
        with self._read_rows(autocommit=True) as conn:
            # The columns share a type and collation, so each kind's names come out in the
            # order each table's own ORDER BY name would give.
            for kind, name in conn.execute(names.order_by(*names.selected_columns)):
                found[kind].append(name)
        return CompletionNames(tuple(found["agent"]), tuple(found["team"]), tuple(found["tag"]))
