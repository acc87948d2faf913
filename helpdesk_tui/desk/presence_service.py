"""Presence on the `Desk`: "alice is viewing #1042", "bob is replying to #1042".

A terminal heartbeats what it is doing (``presence_beat``); the same beat tells it who else
is on the ticket and whether the ticket moved since the view it shows. Markers expire on
their own when a terminal dies; ``presence_leave`` removes them at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk_tui.desk import presence
from helpdesk_tui.desk.activity import Arrival, Watermark, since
from helpdesk_tui.desk.presence import OnTicket
from helpdesk_tui.desk.service import DeskService
from helpdesk_tui.desk.tickets import load_ticket
from helpdesk_tui.storage.models import Activity


@dataclass(frozen=True)
class Beat:
    """A heartbeat's answer: who else is on the ticket, its version, and what others
    changed since the caller's watermark (when the version moved)."""

    number: int
    others: list[OnTicket]
    version: int
    news: list[Arrival]


class PresenceService(DeskService):
    """Viewing and replying markers of this agent's terminals."""

    def presence_beat(
        self,
        session_id: str,
        number: int,
        activity: Activity,
        mark: Watermark | None = None,
    ) -> Beat:
        """Say terminal ``session_id`` is on ticket ``number`` doing ``activity``; read who
        else is there and, when the ticket moved past ``mark``, what others did."""
        now = self.clock()
        with self._write(brief=True) as session:  # a locked desk: the next beat repeats it
            presence.heartbeat(session, self.actor, session_id, number, activity, now=now)
        with self._read() as session:
            others = presence.on_tickets(
                session, [number], now=now, exclude_session=session_id
            ).get(number, [])
            version = load_ticket(session, number).version
            news: list[Arrival] = []
            if mark is not None and mark.number == number and version != mark.version:
                news = since(session, mark, excluding=self.actor).arrivals
        return Beat(number, others, version, news)

    def presence_leave(self, session_id: str) -> None:
        """Terminal ``session_id`` left (its ticket, or the desk): its markers go at once."""
        with self._write() as session:
            presence.leave(session, session_id)

    def presence_on(
        self, numbers: list[int], *, exclude_session: str | None = None
    ) -> dict[int, list[OnTicket]]:
        """Live markers by ticket number (replying first), other terminals than
        ``exclude_session``."""
        with self._read() as session:
            return presence.on_tickets(
                session, numbers, now=self.clock(), exclude_session=exclude_session
            )

    def presence_replying(self, number: int) -> list[OnTicket]:
        """Other agents replying to ticket ``number`` now: what a new reply would collide with."""
        with self._read() as session:
            return presence.others_replying(session, number, self.actor, now=self.clock())
