"""Who is acting: an agent (by OS login) or the system itself (mail, SLA clock).

The data layer is imported only by ``agent_actor``, which reads the database: the TUI knows
who runs it (and draws its first page) before SQLAlchemy is loaded.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from typing import TYPE_CHECKING

from helpdesk_tui.desk.errors import PermissionDenied, UnknownAgent
from helpdesk_tui.storage.enums import Role

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Database, Reader

_ROLE_RANK = {Role.AGENT: 0, Role.SUPERVISOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Actor:
    """The author of a change. ``agent_id`` is None for the system."""

    name: str
    agent_id: int | None = None
    role: str = Role.AGENT

    @property
    def is_system(self) -> bool:
        return self.agent_id is None

    def can(self, role: Role | str) -> bool:
        """Whether this actor holds ``role`` or a higher one (the system holds every role)."""
        return self.is_system or _ROLE_RANK.get(Role(self.role), -1) >= _ROLE_RANK[Role(role)]

    def require(self, role: Role, doing: str) -> None:
        """Refuse unless this actor holds ``role`` or a higher one."""
        if not self.can(role):
            article = "an" if role.value[0] in "aeiou" else "a"
            raise PermissionDenied(
                f"only {article} {role.value} may {doing}; {self.name} is {self.role}"
            )


MAIL = Actor(name="mail")
SYSTEM = Actor(name="system")


def os_login() -> str:
    """The real uid's account name. Never ``LOGNAME``/``USER``: anyone can set those."""
    return pwd.getpwuid(os.getuid()).pw_name


_AGENT_BY_LOGIN = "SELECT id, login, role, active FROM agent WHERE login = :login"
"""Every command's first read, as SQL text: SQLAlchemy compiles a Core ``select`` once per
process, ≈ 1 ms of a command's CPU for this one (the ``text`` is made where it runs: this
module imports SQLAlchemy only when the database is read)."""


def agent_actor(session: Reader, login: str | None = None) -> Actor:
    """The actor for an OS login (the current one by default), or one line saying what to run."""
    from sqlalchemy import text

    login = login or os_login()
    # Only the columns every schema has: ``helpdesk db upgrade`` checks its caller on an old one.
    row = session.execute(text(_AGENT_BY_LOGIN), {"login": login}).first()
    if row is None:
        raise UnknownAgent(
            f"{login} is not an agent on this helpdesk; an admin can run: "
            f"helpdesk agent add {login} --name 'Full Name' --email {login}@example.com"
        )
    agent_id, name, role, active = row
    if not active:
        raise UnknownAgent(
            f"{login} is deactivated on this helpdesk; an admin can run: "
            f"helpdesk agent reactivate {login}"
        )
    assert agent_id is not None
    return Actor(name=name, agent_id=agent_id, role=role)


def actor_of(db: Database, login: str) -> Actor:
    """The agent ``login`` as the desk's actor (:class:`UnknownAgent` when not one); read on
    a Core connection (no ORM: a quick CLI verb's first read)."""
    from helpdesk_tui.desk.opening import desk_errors

    with desk_errors(db.url), db.read_rows(autocommit=True) as conn:
        return agent_actor(conn, login)
