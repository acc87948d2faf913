"""A new desk's first admin: whoever initialises an empty helpdesk runs it."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session, select

from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.storage.models import Agent, Role


def has_agents(session: Session) -> bool:
    return session.exec(select(Agent.id).limit(1)).first() is not None


def ensure_first_admin(session: Session, login: str, *, name: str = "") -> Agent | None:
    """Make ``login`` an admin when the desk has no agents yet; None when it already has some.

    On PostgreSQL the agent table is locked first, so two people starting a fresh desk at the
    same moment cannot both become its first admin (SQLite's write lock already does this).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE agent IN SHARE ROW EXCLUSIVE MODE"))
    if has_agents(session):
        return None
    return add_agent(session, None, login, name=name, role=Role.ADMIN)
