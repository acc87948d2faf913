"""A new desk: its first admin (whoever initialises it), and whether it is still empty."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session, func, select

from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.storage.mail_models import QuarantinedMail
from helpdesk_tui.storage.models import Agent, Contact, Role, Team, Ticket


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


def contents(session: Session) -> list[str]:
    """What a desk holds beyond what ``helpdesk init`` made (empty for a new desk)."""
    held = []
    for what, model in (
        ("tickets", Ticket),
        ("contacts", Contact),
        ("teams", Team),
        ("quarantined mails", QuarantinedMail),
    ):
        count = session.exec(select(func.count()).select_from(model)).one()
        if count:
            held.append(f"{count} {what}")
    agents = session.exec(select(func.count()).select_from(Agent)).one()
    if agents > 1:
        held.append(f"{agents} agents")
    return held
