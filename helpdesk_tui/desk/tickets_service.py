"""The ticket side of the `Desk`: listing and finding tickets, opening one, and every change
an agent makes to it (reply, note, assign, status, fields, tags, merge, links, resend).

``list_page``, ``search`` and ``neighbour`` are the one lister (``desk/queue.py``) for every
front door; the ``ticket_*`` changes take the version the agent saw (``expected_version``)
and are refused with :class:`~helpdesk_tui.desk.errors.Conflict` when someone changed the
ticket since.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from helpdesk_tui.desk import fields, outbox, presence, queue, relations, thread
from helpdesk_tui.desk.activity import Since, Watermark, since
from helpdesk_tui.desk.agents import list_agents, list_teams
from helpdesk_tui.desk.attachments import save_attachment
from helpdesk_tui.desk.claims import take_next
from helpdesk_tui.desk.presence import OnTicket
from helpdesk_tui.desk.queries import TicketFilter, TicketRow, has_tickets
from helpdesk_tui.desk.queue import ChangeMark, PageKind, Position, QueuePage, QueueQuery
from helpdesk_tui.desk.relations import MergePlan
from helpdesk_tui.desk.service import DeskService
from helpdesk_tui.desk.ticket_view import (
    DraftTicket,
    Entry,
    TicketView,
    draft_tickets,
    find_tickets,
    load_view,
    more_text,
)
from helpdesk_tui.storage.models import Priority, Status, TicketType

WriteKind = Literal["reply", "note", "call"]
"""What an agent writes on a ticket: a reply (emailed), an internal note, a call log."""


@dataclass(frozen=True)
class AgentChoice:
    """An agent as a picker offers them."""

    login: str
    name: str
    teams: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class TeamChoice:
    name: str
    description: str


@dataclass(frozen=True)
class QueueWindow:
    """One read of the queue screen: a page, who is on its tickets, and the change mark
    read just before it (what later checks compare against)."""

    page: QueuePage
    on: dict[int, list[OnTicket]]
    new_desk: bool
    """No rows, and the whole desk has no ticket at all."""
    mark: ChangeMark


@dataclass(frozen=True)
class QueueCheck:
    """A refresh tick's answer: the change mark now, and who is on which ticket (read only
    when presence alone changed since the mark the caller holds)."""

    mark: ChangeMark
    on: dict[int, list[OnTicket]] | None


@dataclass(frozen=True)
class Recipient:
    """Where a reply goes when the requester has no address; ``keep`` saves it on them."""

    email: str
    keep: bool


class TicketsService(DeskService):
    """Tickets: the lister, one ticket's view, and the changes agents make."""

    # -- the one lister -------------------------------------------------------------------

    def list_page(
        self,
        query: QueueQuery,
        limit: int,
        *,
        kind: PageKind = "first",
        start: Position | None = None,
    ) -> QueuePage:
        """A page of tickets in ``query``'s view, filter, search and sort (keyset paging:
        pass a row's position from ``QueuePage.positions`` as ``start``)."""
        with self._read() as session:
            return queue.read_page(session, query, limit, kind=kind, start=start)

    def search(self, text: str, limit: int, *, open_only: bool = False) -> QueuePage:
        """The best matches for ``text`` (number, words, requester, organization)."""
        return self.list_page(QueueQuery(TicketFilter(open_only=open_only), text=text), limit)

    def neighbour(self, query: QueueQuery, number: int, step: int) -> int | None:
        """The ticket ``step`` places after (negative: before) ``number`` in ``query``'s list."""
        with self._read() as session:
            return queue.neighbour(session, query, number, step)

    def find_tickets(self, query: str, *, limit: int = 20) -> list[TicketRow]:
        """Tickets for a picker or the palette: ``#1042`` first, then a search; with no
        query, the most recently updated open tickets."""
        with self._read() as session:
            return find_tickets(session, query, limit=limit)

    def list_window(
        self,
        query: QueueQuery,
        limit: int,
        *,
        kind: PageKind = "first",
        start: Position | None = None,
        session_id: str | None = None,
    ) -> QueueWindow:
        """A page for the queue screen with its presence markers (other terminals than
        ``session_id``) and the change mark, in one read."""
        with self._read() as session:
            mark = queue.change_mark(session, self.clock())
            page = queue.read_page(session, query, limit, kind=kind, start=start)
            on = presence.on_tickets(
                session,
                [row.number for row in page.rows],
                now=self.clock(),
                exclude_session=session_id,
            )
            new_desk = not page.rows and not has_tickets(session)
        return QueueWindow(page, on, new_desk, mark)

    def list_changes(
        self, seen: ChangeMark | None, numbers: list[int], *, session_id: str | None = None
    ) -> QueueCheck:
        """Has anything changed since ``seen``? Two small indexed reads; the presence of
        ``numbers`` is read too when only presence moved."""
        with self._read() as session:
            mark = queue.change_mark(session, self.clock())
            on = None
            if seen is not None and mark.events == seen.events and mark.presence != seen.presence:
                on = presence.on_tickets(
                    session, numbers, now=self.clock(), exclude_session=session_id
                )
        return QueueCheck(mark, on)

    # -- one ticket -----------------------------------------------------------------------

    def ticket_open(self, number: int) -> TicketView:
        """Ticket ``number`` as its screen shows it (each message's first part)."""
        with self._read() as session:
            return load_view(session, number)

    def ticket_more(self, entry: Entry) -> Entry:
        """``entry`` with the next part of its text read."""
        with self._read() as session:
            return more_text(session, entry)

    def ticket_merge_plan(self, number: int, into: int) -> MergePlan:
        """What merging ``number`` into ``into`` would join (ask before, warn when the
        requesters differ)."""
        with self._read() as session:
            return relations.merge_plan(session, number, into)

    def drafts_tickets(self, numbers: Iterable[int]) -> dict[int, DraftTicket]:
        """For each ticket number that has drafts: its row, and where a merge took it."""
        with self._read() as session:
            return draft_tickets(session, numbers)

    def agents_list(self, *, active_only: bool = True) -> list[AgentChoice]:
        with self._read() as session:
            return [
                AgentChoice(agent.login, agent.name, tuple(teams), agent.active)
                for agent, teams in list_agents(session)
                if agent.active or not active_only
            ]

    def teams_list(self) -> list[TeamChoice]:
        with self._read() as session:
            return [TeamChoice(team.name, team.description) for team in list_teams(session)]

    # -- writing on a ticket ----------------------------------------------------------------

    def ticket_write(
        self,
        number: int,
        kind: WriteKind,
        body: str,
        mark: Watermark,
        *,
        to: Recipient | None = None,
    ) -> Since | None:
        """Save a reply, note or call log, unless something arrived since ``mark`` (what
        the agent had seen): then nothing is saved and what arrived is returned, to be
        read before sending again against its ``current`` mark. None once saved.

        ``to`` sends a reply to an address the requester lacks (kept on them if asked).
        """
        actor = self.actor
        with self._write() as session:
            news = since(session, mark, excluding=actor)
            if news.arrivals:
                return news
            version = news.current.version
            if kind == "note":
                thread.add_note(session, actor, number, body=body, expected_version=version)
            elif kind == "call":
                thread.log_call(session, actor, number, body=body, expected_version=version)
            elif to is not None and to.keep:
                ticket = fields.set_requester_email(
                    session, actor, number, to.email, expected_version=version
                )
                thread.reply(session, actor, number, body=body, expected_version=ticket.version)
            else:
                thread.reply(
                    session,
                    actor,
                    number,
                    body=body,
                    expected_version=version,
                    to=to.email if to is not None else None,
                )
        return None

    def ticket_reply(self, number: int, body: str, *, expected_version: int | None) -> None:
        """An answer to the customer; its email is queued with it."""
        with self._write() as session:
            thread.reply(session, self.actor, number, body=body, expected_version=expected_version)

    def ticket_note(self, number: int, body: str, *, expected_version: int | None) -> None:
        """An internal note: visible to agents, never sent."""
        with self._write() as session:
            thread.add_note(
                session, self.actor, number, body=body, expected_version=expected_version
            )

    # -- fields -----------------------------------------------------------------------------

    def ticket_assign(
        self,
        number: int,
        *,
        agent: str | None = None,
        team: str | None = None,
        expected_version: int | None,
    ) -> None:
        """Assign to an agent (by login) and/or hand to a team (by name)."""
        with self._write() as session:
            fields.assign(
                session,
                self.actor,
                number,
                agent=agent,
                team=team,
                expected_version=expected_version,
            )

    def ticket_set_status(
        self, number: int, status: Status | str, *, expected_version: int | None
    ) -> None:
        """Move to ``status`` if the workflow allows it from the current one."""
        with self._write() as session:
            fields.set_status(
                session, self.actor, number, str(status), expected_version=expected_version
            )

    def ticket_reopen(self, number: int, reason: str, *, expected_version: int | None) -> None:
        """Open a closed ticket again (supervisors and admins), the reason kept."""
        with self._write() as session:
            fields.reopen(
                session, self.actor, number, reason=reason, expected_version=expected_version
            )

    def ticket_set_priority(
        self, number: int, priority: Priority | str, *, expected_version: int | None
    ) -> None:
        with self._write() as session:
            fields.set_priority(
                session, self.actor, number, str(priority), expected_version=expected_version
            )

    def ticket_set_type(
        self, number: int, type_: TicketType | str, *, expected_version: int | None
    ) -> None:
        with self._write() as session:
            fields.set_type(
                session, self.actor, number, str(type_), expected_version=expected_version
            )

    def ticket_set_category(
        self, number: int, category: str, *, expected_version: int | None
    ) -> None:
        """Set the category; empty clears it."""
        with self._write() as session:
            fields.set_category(
                session, self.actor, number, category, expected_version=expected_version
            )

    def ticket_tag(
        self,
        number: int,
        *,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        expected_version: int | None,
    ) -> None:
        with self._write() as session:
            fields.set_tags(
                session,
                self.actor,
                number,
                add=add,
                remove=remove,
                expected_version=expected_version,
            )

    def ticket_escalate(self, number: int, *, expected_version: int | None) -> None:
        """Move up one support tier."""
        with self._write() as session:
            fields.escalate(session, self.actor, number, expected_version=expected_version)

    # -- relations, claims, mail, files -------------------------------------------------------

    def ticket_merge(
        self,
        number: int,
        into: int,
        *,
        expected_version: int | None,
        different_requesters: bool = False,
    ) -> int:
        """Merge ``number`` into ``into`` (it closes); returns the ticket that remains.

        ``different_requesters`` says the agent saw the plan's warning and merges anyway.
        """
        with self._write() as session:
            return relations.merge(
                session,
                self.actor,
                number,
                into,
                expected_version=expected_version,
                different_requesters=different_requesters,
            ).number

    def ticket_link(self, number: int, other: int) -> None:
        """Link ``other`` to ``number`` as related."""
        with self._write() as session:
            relations.link(session, self.actor, number, other)

    def ticket_take_next(self) -> int:
        """Assign the most urgent unassigned ticket of my teams to me; its number."""
        with self._write() as session:
            return take_next(session, self.actor, now=self.clock()).number

    def ticket_resend(self, outbox_id: int) -> None:
        """Queue a failed or bounced mail again, now, with fresh tries."""
        with self._write() as session:
            outbox.resend(session, self.actor, outbox_id, now=self.clock())

    def ticket_save_attachment(
        self, number: int, attachment_id: int, target: Path, *, overwrite: bool = False
    ) -> Path:
        """Write one attachment to ``target`` (a file path); ``TargetExists`` unless
        ``overwrite``. Returns the path written."""
        with self._read() as session:
            return save_attachment(
                session,
                number,
                attachment_id,
                target.parent,
                name=target.name,
                overwrite=overwrite,
            )
