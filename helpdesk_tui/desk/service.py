"""What every part of the `Desk` facade shares: the database, who is acting, and the clock.

Each area of the desk (tickets, mail holding, knowledge base, reports, SLA …) adds its
operations as a class deriving from :class:`DeskService`; :class:`helpdesk_tui.desk.facade.Desk`
joins them into the one object screens and the CLI hold. Operations open their own
transactions (``self._read()`` / ``self._write()``) and return frozen dataclasses, never ORM
rows, so callers cannot reach the database through a result.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.opening import desk_errors
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.enums import clock_of, utcnow
from helpdesk_tui.urls import scrub

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session

__all__ = ["AgentSeen", "Database", "DeskService"]
"""``Database`` is named here for callers that hand one to the facade (the app's factory):
they never import storage themselves."""


@dataclass(frozen=True)
class AgentSeen:
    """The acting agent as a write's transaction read them (``actor_may_change``)."""

    check: int
    """The read's number, in the order the reads began."""
    actor: Actor
    """As the desk has them (their role now); as before when ``refused``."""
    refused: str | None
    """Why the desk refuses them now (deactivated, removed), in its one line; None: it
    takes them."""


class DeskService:
    """The shared state of the facade; one instance per session of work (a terminal, a CLI run)."""

    def __init__(
        self,
        db: Database,
        actor: Actor,
        *,
        clock: Callable[[], datetime] = utcnow,
        actor_may_change: bool = False,
    ) -> None:
        self.db = db
        self.actor = actor
        self.clock = clock
        self.actor_may_change = actor_may_change
        """A terminal open for hours: each write first reads the actor's agent row again, so
        an agent an admin deactivated meanwhile can no longer act (one line saying so) and
        one given another role acts with it, as the CLI reads it at each command's start."""
        self.agent_seen: AgentSeen | None = None
        """With ``actor_may_change``: the agent as the latest of those reads found them,
        for a screen to follow (``AgentSeen``); None before the first."""
        self.on_agent_seen: Callable[[], None] | None = None
        """Called after each of those reads, in the thread that made it: a terminal follows
        ``agent_seen`` from there, whichever screen's read or write it was."""
        self._checks = 0
        self._checks_lock = threading.Lock()

    @property
    def location(self) -> str:
        """Where the desk's data is, for people: the SQLite file, or the URL without password."""
        return self.db.shown_url

    def failure_text(self, error: BaseException | None) -> str:
        """What a person reads about an unexpected failure: the desk files this login cannot
        use (and the fix) if that is the cause, else the error with any password masked."""
        return self.db.trouble() or scrub(f"{type(error).__name__}: {error}", self.db.url)

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._desk_errors(), self.db.read() as session:
            yield session

    @contextmanager
    def _read_rows(self, *, autocommit: bool = False) -> Iterator[Connection]:
        """A read on Core tables only (``storage/core_tables``): no ORM session, so a quick
        CLI verb never imports the ORM, SQLModel or pydantic. ``autocommit``: a read of one
        statement, without a transaction around it (``Database.read_rows``)."""
        with self._desk_errors(), self.db.read_rows(autocommit=autocommit) as conn:
            yield conn

    @contextmanager
    def _write(self, *, brief: bool = False) -> Iterator[Session]:
        """A write transaction; ``brief`` gives up after a short wait for another writer's
        lock (``Database.write``), for heartbeats the next beat repeats."""
        with self._desk_errors(), self.db.write(brief=brief) as session:
            self._actor_now(session)
            yield session

    @contextmanager
    def _write_rows(self, *, brief: bool = False) -> Iterator[Connection]:
        """A write on Core tables only (``Database.write_rows``): the facade's ticket writes,
        which never import the ORM, SQLModel or pydantic; like :meth:`_write` otherwise."""
        with self._desk_errors(), self.db.write_rows(brief=brief) as conn:
            self._actor_now(conn)
            yield conn

    def _actor_now(self, reader: Session | Connection) -> None:
        """With ``actor_may_change``: the actor as the desk has it now, inside the write's
        transaction (``UnknownAgent`` once deactivated or removed). One indexed read."""
        seen = self._agent_now(reader)
        if seen is not None and seen.refused is not None:
            from helpdesk_tui.desk.errors import UnknownAgent

            raise UnknownAgent(seen.refused)

    def _agent_now(self, reader: Session | Connection) -> AgentSeen | None:
        """With ``actor_may_change``: read the actor's agent row again and keep what it
        says (``agent_seen``; the actor takes its new role); None without. One indexed read,
        which refuses nothing itself: a write refuses a refused agent (``_actor_now``), a
        terminal stops showing the desk to them (the app's ``refused``)."""
        if not self.actor_may_change or self.actor.agent_id is None:
            return None
        from helpdesk_tui.desk.actors import agent_actor
        from helpdesk_tui.desk.errors import UnknownAgent

        with self._checks_lock:
            self._checks += 1
            check = self._checks  # (taken before the read: see _seen)
        try:
            self.actor = agent_actor(reader, self.actor.name)
        except UnknownAgent as error:
            seen = AgentSeen(check, self.actor, str(error))
        else:
            seen = AgentSeen(check, self.actor, None)
        self._seen(seen)
        if self.on_agent_seen is not None:
            self.on_agent_seen()
        return seen

    def agent_check(self) -> AgentSeen | None:
        """Read this terminal's agent again and nothing else (``agent_seen``): what a
        terminal whose access ended asks now and then, to come back once an admin
        reactivates the agent. None without ``actor_may_change``."""
        with self._read_rows(autocommit=True) as conn:
            return self._agent_now(conn)

    def _seen(self, seen: AgentSeen) -> None:
        """Keep what the latest read found: the writes of several threads end in any order
        (a heartbeat that read the agent before an admin deactivated them may end after a
        reply refused since), so the reads are numbered as they begin, and one numbered
        after another that saw the agent as before a change began after it too, unless the
        two overlapped the change's commit (which the next read settles)."""
        with self._checks_lock:
            if self.agent_seen is None or seen.check > self.agent_seen.check:
                self.agent_seen = seen

    @contextmanager
    def _desk_errors(self) -> Iterator[None]:
        """The database's failures leave the facade as desk errors (one line, no password);
        what the operation writes is stamped by the desk's clock (``utcnow``, ``clock_of``)."""
        with clock_of(self.clock), desk_errors(self.db.url):
            yield
