"""Working tickets on the `Desk`: write, set fields, relate, read.

Each operation is one transaction that ends by reading the ticket's row back, so the caller
shows what was stored (and its new version) without a second trip; the rules themselves
live in ``desk.thread``, ``desk.fields``, ``desk.relations`` and ``desk.tickets``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlmodel import Session

from helpdesk_tui.desk import fields, relations, thread
from helpdesk_tui.desk.errors import NotFound
from helpdesk_tui.desk.queries import TicketDetail, TicketRow, ticket_detail, ticket_row
from helpdesk_tui.desk.relations import MergePlan
from helpdesk_tui.desk.service import DeskService
from helpdesk_tui.desk.ticket_view import DraftTicket, draft_tickets
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.models import Status

__all__ = ["DraftTicket", "MergePlan", "TicketDetail", "TicketRow", "TicketsService"]


def _row(session: Session, number: int) -> TicketRow:
    session.flush()
    row = ticket_row(session, number)
    if row is None:
        raise NotFound(f"no ticket #{number}")
    return row


class TicketsService(DeskService):
    """One method per ticket operation; each returns the ticket's row as stored."""

    # -- the conversation --------------------------------------------------------------------

    def tickets_reply(
        self,
        number: int,
        *,
        body: str,
        cc: Sequence[str] = (),
        to: str | None = None,
        status_after: Status | None = None,
        expected_version: int | None = None,
    ) -> TicketRow:
        """Answer the customer; the mail goes out through the outbox."""
        with self._write() as session:
            thread.reply(
                session,
                self.actor,
                number,
                body=body,
                cc=cc,
                to=to,
                status_after=status_after,
                expected_version=expected_version,
            )
            return _row(session, number)

    def tickets_note(
        self, number: int, *, body: str, expected_version: int | None = None
    ) -> TicketRow:
        """An internal note: agents see it, the customer never does."""
        with self._write() as session:
            thread.add_note(
                session, self.actor, number, body=body, expected_version=expected_version
            )
            return _row(session, number)

    def tickets_log_call(
        self, number: int, *, body: str, expected_version: int | None = None
    ) -> TicketRow:
        with self._write() as session:
            thread.log_call(
                session, self.actor, number, body=body, expected_version=expected_version
            )
            return _row(session, number)

    # -- fields ------------------------------------------------------------------------------

    def tickets_set_status(
        self, number: int, status: str, *, expected_version: int | None = None
    ) -> TicketRow:
        with self._write() as session:
            fields.set_status(
                session, self.actor, number, status, expected_version=expected_version
            )
            return _row(session, number)

    def tickets_reopen(
        self, number: int, *, reason: str, expected_version: int | None = None
    ) -> TicketRow:
        with self._write() as session:
            fields.reopen(
                session, self.actor, number, reason=reason, expected_version=expected_version
            )
            return _row(session, number)

    def tickets_set_requester_email(
        self, number: int, email: str, *, expected_version: int | None = None
    ) -> TicketRow:
        with self._write() as session:
            fields.set_requester_email(
                session, self.actor, number, email, expected_version=expected_version
            )
            return _row(session, number)

    def tickets_set_priority(
        self, number: int, value: str, *, expected_version: int | None = None
    ) -> TicketRow:
        with self._write() as session:
            fields.set_priority(
                session, self.actor, number, value, expected_version=expected_version
            )
            return _row(session, number)

    def tickets_set_type(
        self, number: int, value: str, *, expected_version: int | None = None
    ) -> TicketRow:
        with self._write() as session:
            fields.set_type(session, self.actor, number, value, expected_version=expected_version)
            return _row(session, number)

    def tickets_set_category(
        self, number: int, value: str, *, expected_version: int | None = None
    ) -> TicketRow:
        with self._write() as session:
            fields.set_category(
                session, self.actor, number, value, expected_version=expected_version
            )
            return _row(session, number)

    def tickets_set_tier(
        self, number: int, value: str, *, expected_version: int | None = None
    ) -> TicketRow:
        with self._write() as session:
            fields.set_tier(session, self.actor, number, value, expected_version=expected_version)
            return _row(session, number)

    def tickets_escalate(
        self, number: int, *, team: str | None = None, expected_version: int | None = None
    ) -> TicketRow:
        with self._write() as session:
            fields.escalate(
                session, self.actor, number, team=team, expected_version=expected_version
            )
            return _row(session, number)

    def tickets_assign(
        self,
        number: int,
        *,
        agent: str | None = None,
        team: str | None = None,
        unassign: bool = False,
        expected_version: int | None = None,
    ) -> TicketRow:
        with self._write() as session:
            fields.assign(
                session,
                self.actor,
                number,
                agent=agent,
                team=team,
                unassign=unassign,
                expected_version=expected_version,
            )
            return _row(session, number)

    def tickets_set_tags(
        self,
        number: int,
        *,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
        expected_version: int | None = None,
    ) -> TicketRow:
        with self._write() as session:
            fields.set_tags(
                session,
                self.actor,
                number,
                add=add,
                remove=remove,
                expected_version=expected_version,
            )
            return _row(session, number)

    # -- tickets and each other --------------------------------------------------------------

    def tickets_merge_plan(self, number: int, into: int) -> MergePlan:
        """What merging ``number`` into ``into`` would join (different requesters?)."""
        with self._read() as session:
            return relations.merge_plan(session, number, into)

    def tickets_merge(
        self,
        number: int,
        into: int,
        *,
        different_requesters: bool = False,
        expected_version: int | None = None,
    ) -> TicketRow:
        """Merge ``number`` into ``into``; the row of the ticket it ended up in."""
        with self._write() as session:
            merged = relations.merge(
                session,
                self.actor,
                number,
                into,
                expected_version=expected_version,
                different_requesters=different_requesters,
            )
            return _row(session, merged.number)

    def tickets_link(self, number: int, other: int, *, kind: str = "related") -> TicketRow:
        with self._write() as session:
            relations.link(session, self.actor, number, other, kind=kind)
            return _row(session, number)

    def tickets_delete(self, number: int) -> None:
        """Delete a ticket for good (admins only; the audit trail keeps a record)."""
        with self._write() as session:
            relations.delete_ticket(session, self.actor, number)

    # -- new and read ------------------------------------------------------------------------

    def tickets_create(
        self,
        *,
        subject: str,
        body: str,
        channel: str = "manual",
        requester_email: str | None = None,
        requester_name: str = "",
        priority: str = "normal",
        ticket_type: str = "question",
        category: str | None = None,
        tags: Iterable[str] = (),
    ) -> TicketRow:
        """A new ticket from a phone call, a walk-in or a script."""
        with self._write() as session:
            ticket = create_ticket(
                session,
                self.actor,
                subject=subject,
                body=body,
                channel=channel,
                requester_email=requester_email,
                requester_name=requester_name,
                priority=priority,
                ticket_type=ticket_type,
                category=category,
                tags=tags,
            )
            return _row(session, ticket.number)

    def tickets_show(self, number: int) -> TicketDetail:
        """One ticket in full: fields, thread, history, links and outgoing mail."""
        with self._read() as session:
            return ticket_detail(session, number)

    def tickets_for_drafts(self, numbers: Iterable[int]) -> dict[int, DraftTicket]:
        """The tickets kept drafts belong to, and whether a reply can still go there."""
        with self._read() as session:
            return draft_tickets(session, numbers)
