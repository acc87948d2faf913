"""The ticket side of the `Desk`: listing and finding tickets, opening one, and every change
an agent makes to it (reply, note, assign, status, fields, tags, merge, links, resend).

``list_page``, ``search`` and ``neighbour`` are the one lister (``desk/queue.py``) for every
front door; the ``ticket_*`` changes take the version the agent saw (``expected_version``)
and are refused with :class:`~helpdesk_tui.desk.errors.Conflict` when someone changed the
ticket since.

What only the reads and the terminal's own paths use (the lister, the ticket's view, the
news since a mark, presence, claims) is imported where it is used: a CLI verb that changes
a ticket holds this service alone (``cli/ticket/batch.tickets``) and starts without them.

The changes agents make most (reply, note, call, status, assignment, fields, tags, a new
ticket) run on Core tables (``_write_rows``): the same rules (``fields``, ``thread``) for the
terminal and the CLI, and a CLI verb that starts without the ORM, SQLModel or pydantic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy.engine import Connection

from helpdesk_tui.desk import fields, sla_marks, thread
from helpdesk_tui.desk.errors import InvalidValue, NotFound
from helpdesk_tui.desk.kinds import Priority, Status, TicketType
from helpdesk_tui.desk.outbox_rows import HardBounce, last_hard_bounce
from helpdesk_tui.desk.service import DeskService
from helpdesk_tui.desk.ticket_row_value import TicketRow
from helpdesk_tui.desk.ticket_rows import has_tickets, ticket_row
from helpdesk_tui.desk.tickets import create_ticket

if TYPE_CHECKING:
    from helpdesk_tui.desk.activity import Since, Watermark
    from helpdesk_tui.desk.batch import BatchResult, FieldChange, Target
    from helpdesk_tui.desk.copies import CopiesChanged
    from helpdesk_tui.desk.draft_place import DraftPlace
    from helpdesk_tui.desk.email_meta import NewAttachment
    from helpdesk_tui.desk.merge_plan import MergePlan
    from helpdesk_tui.desk.queue_values import (
        ChangeMark,
        OnTicket,
        PageKind,
        Position,
        QueueCheck,
        QueuePage,
        QueueQuery,
        QueueWindow,
    )
    from helpdesk_tui.desk.routing import Rules
    from helpdesk_tui.desk.routing_apply import Routed
    from helpdesk_tui.desk.ticket_view import DraftTicket, Entry, TicketView
    from helpdesk_tui.drafts import EditorKind
    from helpdesk_tui.storage.database import Reader

WriteKind = Literal["reply", "note", "call"]
"""What an agent writes on a ticket: a reply (emailed), an internal note, a call log."""


@dataclass(frozen=True)
class CreatedTicket:
    """A ticket just made: its row (after routing) and what routing did, if rules were given."""

    row: TicketRow
    routed: Routed | None


@dataclass(frozen=True)
class Recipient:
    """Where a reply goes when the requester has no address; ``keep`` saves it on them."""

    email: str
    keep: bool


@dataclass(frozen=True)
class ReplyRecipients:
    """Where an agent's reply goes: ``to`` (None: nowhere yet), ``cc``, and the copies left
    out because their mail bounced for good lately (each said as a warning)."""

    to: str | None
    cc: tuple[str, ...]
    bounced: tuple[HardBounce, ...] = ()


def _row(reader: Reader, number: int) -> TicketRow:
    """The ticket's row as this transaction stores it (its new version, and its clocks
    recomputed: ``sla_marks.settle``)."""
    if not isinstance(reader, Connection):
        reader.flush()
    sla_marks.settle(reader)
    row = ticket_row(reader, number)
    if row is None:
        raise NotFound(f"no ticket #{number}")
    return row


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
        from helpdesk_tui.desk import queue

        with self._read() as session:
            return queue.read_page(session, query, limit, kind=kind, start=start)

    def search(self, text: str, limit: int, *, open_only: bool = False) -> QueuePage:
        """The best matches for ``text`` (number, words, requester, organization)."""
        from helpdesk_tui.desk.queue_values import QueueQuery, TicketFilter

        return self.list_page(QueueQuery(TicketFilter(open_only=open_only), text=text), limit)

    def neighbour(self, query: QueueQuery, number: int, step: int) -> int | None:
        """The ticket ``step`` places after (negative: before) ``number`` in ``query``'s list."""
        from helpdesk_tui.desk import queue

        with self._read() as session:
            return queue.neighbour(session, query, number, step)

    def find_tickets(self, query: str, *, limit: int = 20) -> list[TicketRow]:
        """Tickets for a picker or the palette: ``#1042`` first, then a search; with no
        query, the most recently updated open tickets."""
        from helpdesk_tui.desk.ticket_view import find_tickets

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
        ``session_id``) and the change mark, in one read: two statements (the mark; the
        page with its rows), and a third for the markers only when someone is on a ticket."""
        from helpdesk_tui.desk import queue
        from helpdesk_tui.desk.queue_values import QueueWindow

        with self._read_rows() as conn:
            now = self.clock()
            mark = queue.change_mark(conn, now)
            page = queue.read_page(conn, query, limit, kind=kind, start=start, mark=mark)
            on = self._markers(conn, mark, [row.number for row in page.rows], now, session_id)
            new_desk = not page.rows and not has_tickets(conn)
        return QueueWindow(page, on, new_desk, mark)

    def list_changes(
        self, seen: ChangeMark | None, numbers: list[int], *, session_id: str | None = None
    ) -> QueueCheck:
        """Has anything changed since ``seen``? One small indexed read; the presence of
        ``numbers`` is read too when only presence moved (and someone is on a ticket).

        With ``actor_may_change`` (a terminal), this terminal's agent is read again too
        (``agent_seen``): the queue's watcher sees their row change (``ChangeProbe``), so a
        deactivation reaches the queue at its next look."""
        from helpdesk_tui.desk import queue
        from helpdesk_tui.desk.queue_values import QueueCheck

        with self._read_rows() as conn:
            self._agent_now(conn)
            now = self.clock()
            mark = queue.change_mark(conn, now)
            on = None
            if seen is not None and mark.events == seen.events and mark.presence != seen.presence:
                on = self._markers(conn, mark, numbers, now, session_id)
        return QueueCheck(mark, on)

    @staticmethod
    def _markers(
        conn: Connection,
        mark: ChangeMark,
        numbers: list[int],
        now: datetime,
        session_id: str | None,
    ) -> dict[int, list[OnTicket]]:
        """Who is on tickets ``numbers``; not read when ``mark`` says nobody is on any."""
        from helpdesk_tui.desk import presence, queue

        if not queue.anyone_on(mark):
            return {}
        return presence.on_tickets(conn, numbers, now=now, exclude_session=session_id)

    # -- one ticket -----------------------------------------------------------------------

    def ticket_open(self, number: int, *, windows: int | None = 1) -> TicketView:
        """Ticket ``number`` as its screen shows it (each message's first part): its newest
        ``windows`` windows of messages and changes (``ticket_view.READ_FIRST`` each: the
        one it opens with, and one more for each time the agent scrolled past what was
        read), or with None all of them."""
        from helpdesk_tui.desk import ticket_view
        from helpdesk_tui.desk.settings import DESK_ID, desk_setting

        with self._read() as session:
            latest = None if windows is None else max(1, windows) * ticket_view.READ_FIRST
            view = ticket_view.load_view(session, number, latest=latest)
            desk_id = desk_setting(session, DESK_ID)
        # (the desk's identity: where this agent's drafts of it are kept; made once)
        return replace(view, desk_id=desk_id or self.desk_identity())

    def desk_identity(self) -> str:
        """The desk's own identity (``settings.DESK_ID``): this agent's drafts on its
        tickets are kept under it (``helpdesk_tui.drafts``)."""
        from helpdesk_tui.desk.settings import DESK_ID, desk_identity, desk_setting

        with self._read_rows(autocommit=True) as conn:
            found = desk_setting(conn, DESK_ID)
        if found is not None:
            return found
        with self._desk_errors(), self.db.write_rows() as conn:  # (made once, by the first)
            return desk_identity(conn)

    def draft_place(self, number: int) -> DraftPlace:
        """Where a draft on ticket ``number`` is kept: the desk's identity and the
        ticket's (``drafts.ticket_key``; None when there is no such ticket)."""
        from helpdesk_tui.desk.draft_place import DraftPlace
        from helpdesk_tui.drafts import ticket_key

        with self._read_rows() as conn:  # (Core: a CLI question's read, ``draft_place``)
            row = ticket_row(conn, number)
        key = ticket_key(row.id, row.created_at) if row is not None else None
        return DraftPlace(self.desk_identity(), key)

    def editor_draft_key(self, kind: EditorKind, item: int) -> str | None:
        """Which knowledge-base article (``kb``) or canned response (``canned``) has id
        ``item`` now, for a draft of it (``drafts.item_key``); None when none has."""
        from sqlalchemy import select

        from helpdesk_tui.drafts import item_key
        from helpdesk_tui.storage.core_tables import canned_response, kb_article

        table = kb_article if kind == "kb" else canned_response
        with self._read_rows() as conn:
            row = conn.execute(
                select(table.c.id, table.c.created_at).where(table.c.id == int(item))
            ).first()
        return item_key(row.id, row.created_at) if row is not None else None

    def ticket_more(self, entry: Entry) -> Entry:
        """``entry`` with the next part of its text read."""
        from helpdesk_tui.desk.ticket_view import more_text

        with self._read() as session:
            return more_text(session, entry)

    def ticket_merge_plan(self, number: int, into: int) -> MergePlan:
        """What merging ``number`` into ``into`` would join (ask before, warn when the
        requesters differ). Read on Core tables: the question comes before the ORM loads."""
        from helpdesk_tui.desk.merge_plan import read_merge_plan

        with self._read_rows() as conn:
            return read_merge_plan(conn, number, into)

    def drafts_tickets(self, numbers: Iterable[int]) -> dict[int, DraftTicket]:
        """For each ticket number that has drafts: its row, and where a merge took it."""
        from helpdesk_tui.desk.ticket_view import draft_tickets

        with self._read() as session:
            return draft_tickets(session, numbers)

    # -- writing on a ticket ----------------------------------------------------------------

    def ticket_write(
        self,
        number: int,
        kind: WriteKind,
        body: str,
        mark: Watermark,
        *,
        to: Recipient | None = None,
        attachments: Sequence[NewAttachment] = (),
        cc: Sequence[str] | None = None,
    ) -> Since | None:
        """Save a reply, note or call log, unless something arrived since ``mark`` (what
        the agent had seen): then nothing is saved and what arrived is returned, to be
        read before sending again against its ``current`` mark. None once saved.

        ``to`` sends a reply to an address the requester lacks (kept on them if asked).
        ``attachments`` go on a reply or note (a call log takes none). ``cc``: the reply's
        Cc as the agent left it (None: the ticket's copies, ``copies.reply_copies``).
        """
        from helpdesk_tui.desk.activity import since

        actor = self.actor
        with self._write_rows() as session:
            news = since(session, mark, excluding=actor)
            if news.arrivals:
                return news
            version = news.current.version
            if kind == "note":
                thread.add_note(
                    session,
                    actor,
                    number,
                    body=body,
                    expected_version=version,
                    attachments=attachments,
                )
            elif kind == "call":
                if attachments:
                    raise InvalidValue("a call log takes no files; attach them to a note")
                thread.log_call(session, actor, number, body=body, expected_version=version)
            elif to is not None and to.keep:
                ticket = fields.set_requester_email(
                    session, actor, number, to.email, expected_version=version
                )
                thread.reply(
                    session,
                    actor,
                    number,
                    body=body,
                    expected_version=ticket.version,
                    attachments=attachments,
                    cc=cc or (),
                    with_copies=cc is None,
                )
            else:
                thread.reply(
                    session,
                    actor,
                    number,
                    body=body,
                    expected_version=version,
                    to=to.email if to is not None else None,
                    attachments=attachments,
                    cc=cc or (),
                    with_copies=cc is None,
                )
        return None

    def reply_bounce(self, number: int, *, to: str | None = None) -> HardBounce | None:
        """A warning for an agent about to reply on ticket ``number`` (to ``to``, else
        where its mail goes): mail to that address bounced for good lately, the hard
        bounce that holds the desk's automatic mail to it (``outbox_rows.last_hard_bounce``),
        said in one line by :meth:`HardBounce.warning` (how long ago, and its code). None: no such
        bounce. The reply still goes when sent: the agent decides."""
        from helpdesk_tui.desk import ticket_record

        with self._read_rows() as conn:
            ticket = ticket_record.load(conn, number)
            address = to or thread.reply_address(conn, ticket)
            bounce = last_hard_bounce(conn, address, self.clock())
        return bounce

    def reply_recipients(self, number: int) -> ReplyRecipients:
        """Where a reply on ticket ``number`` goes: To (the requester, or ``Reply-To``), Cc
        (its copies less the hard-bounced ones), and those bounced copies' warnings."""
        from helpdesk_tui.desk import copies, ticket_record

        with self._read_rows() as conn:
            ticket = ticket_record.load(conn, number)
            kept, bounced = copies.reply_copies(conn, ticket.id, self.clock())
            return ReplyRecipients(thread.reply_address(conn, ticket), tuple(kept), tuple(bounced))

    def ticket_copies(
        self,
        number: int,
        *,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
        ours: Iterable[str] = (),
        expected_version: int | None = None,
    ) -> CopiesChanged:
        """Add and remove the people ticket ``number``'s replies copy (``copies.change``:
        every address checked first; ``ours``: the desk's mail addresses, never copied)."""
        from helpdesk_tui.desk import copies

        own = frozenset(a.strip().lower() for a in ours)
        with self._write_rows() as conn:
            return copies.change(
                conn,
                self.actor,
                number,
                add_addresses=add,
                remove_addresses=remove,
                ours=own,
                expected_version=expected_version,
            )

    def reply_collision(self, number: int, *, go_ahead: str) -> str | None:
        """A reply on ticket ``number`` now would collide: the one line naming who else is
        replying to it (``presence_rows.others_replying``, the rule the terminal's composer
        warns with) and how to reply all the same (``go_ahead``). None: nobody is."""
        from helpdesk_tui.desk import presence_rows

        with self._read_rows() as conn:
            replying = presence_rows.others_replying(conn, number, self.actor, now=self.clock())
        return (
            presence_rows.replying_line(number, replying, go_ahead=go_ahead) if replying else None
        )

    def ticket_reply(
        self,
        number: int,
        body: str,
        *,
        cc: Sequence[str] = (),
        to: str | None = None,
        status_after: Status | None = None,
        expected_version: int | None = None,
        attachments: Sequence[NewAttachment] = (),
    ) -> TicketRow:
        """An answer to the customer; its email (with any files) is queued with it."""
        with self._write_rows() as session:
            thread.reply(
                session,
                self.actor,
                number,
                body=body,
                cc=cc,
                to=to,
                status_after=status_after,
                expected_version=expected_version,
                attachments=attachments,
            )
            return _row(session, number)

    def ticket_note(
        self,
        number: int,
        body: str,
        *,
        expected_version: int | None = None,
        attachments: Sequence[NewAttachment] = (),
    ) -> TicketRow:
        """An internal note: visible to agents, never sent."""
        with self._write_rows() as session:
            thread.add_note(
                session,
                self.actor,
                number,
                body=body,
                expected_version=expected_version,
                attachments=attachments,
            )
            return _row(session, number)

    def ticket_log_call(
        self, number: int, body: str, *, expected_version: int | None = None
    ) -> TicketRow:
        """What was said on the phone, kept on the ticket."""
        with self._write_rows() as session:
            thread.log_call(
                session, self.actor, number, body=body, expected_version=expected_version
            )
            return _row(session, number)

    # -- fields -----------------------------------------------------------------------------

    def ticket_assign(
        self,
        number: int,
        *,
        agent: str | None = None,
        team: str | None = None,
        unassign: bool = False,
        expected_version: int | None = None,
    ) -> TicketRow:
        """Assign to an agent (by login) and/or hand to a team (by name), or unassign."""
        with self._write_rows() as session:
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

    def ticket_set_status(
        self, number: int, status: Status | str, *, expected_version: int | None = None
    ) -> TicketRow:
        """Move to ``status`` if the workflow allows it from the current one."""
        with self._write_rows() as session:
            fields.set_status(
                session, self.actor, number, str(status), expected_version=expected_version
            )
            return _row(session, number)

    def ticket_reopen(
        self, number: int, reason: str, *, expected_version: int | None = None
    ) -> TicketRow:
        """Open a closed ticket again (supervisors and admins), the reason kept."""
        with self._write_rows() as session:
            fields.reopen(
                session, self.actor, number, reason=reason, expected_version=expected_version
            )
            return _row(session, number)

    def ticket_set_requester_email(
        self, number: int, email: str, *, expected_version: int | None = None
    ) -> TicketRow:
        with self._write_rows() as session:
            fields.set_requester_email(
                session, self.actor, number, email, expected_version=expected_version
            )
            return _row(session, number)

    def ticket_set_priority(
        self, number: int, priority: Priority | str, *, expected_version: int | None = None
    ) -> TicketRow:
        with self._write_rows() as session:
            fields.set_priority(
                session, self.actor, number, str(priority), expected_version=expected_version
            )
            return _row(session, number)

    def ticket_set_type(
        self, number: int, type_: TicketType | str, *, expected_version: int | None = None
    ) -> TicketRow:
        with self._write_rows() as session:
            fields.set_type(
                session, self.actor, number, str(type_), expected_version=expected_version
            )
            return _row(session, number)

    def ticket_set_category(
        self, number: int, category: str, *, expected_version: int | None = None
    ) -> TicketRow:
        """Set the category; empty clears it."""
        with self._write_rows() as session:
            fields.set_category(
                session, self.actor, number, category, expected_version=expected_version
            )
            return _row(session, number)

    def ticket_set_tier(
        self, number: int, tier: str, *, expected_version: int | None = None
    ) -> TicketRow:
        with self._write_rows() as session:
            fields.set_tier(session, self.actor, number, tier, expected_version=expected_version)
            return _row(session, number)

    def ticket_tag(
        self,
        number: int,
        *,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        expected_version: int | None = None,
    ) -> TicketRow:
        with self._write_rows() as session:
            fields.set_tags(
                session,
                self.actor,
                number,
                add=add,
                remove=remove,
                expected_version=expected_version,
            )
            return _row(session, number)

    def ticket_escalate(
        self, number: int, *, team: str | None = None, expected_version: int | None = None
    ) -> TicketRow:
        """Move up one support tier (to ``team`` when given)."""
        with self._write_rows() as session:
            fields.escalate(
                session, self.actor, number, team=team, expected_version=expected_version
            )
            return _row(session, number)

    def ticket_deescalate(
        self, number: int, *, team: str | None = None, expected_version: int | None = None
    ) -> TicketRow:
        """Move down one support tier (to ``team`` when given)."""
        with self._write_rows() as session:
            fields.deescalate(
                session, self.actor, number, team=team, expected_version=expected_version
            )
            return _row(session, number)

    def tickets_change(self, targets: Iterable[Target], change: FieldChange) -> BatchResult:
        """One field change made to each of several tickets (the queue's marked rows), by
        the same writer as for one ticket (``change_each``): each at the version the agent
        saw, in its own transaction; a refused ticket is named in the result, the others
        still change."""
        from helpdesk_tui.desk.batch import change_all

        return change_all(targets, lambda number, version: self._field(number, change, version))

    def _field(self, number: int, change: FieldChange, version: int | None) -> TicketRow:
        value = change.value
        match change.field:
            case "assign":
                return self.ticket_assign(number, agent=value, expected_version=version)
            case "team":
                return self.ticket_assign(number, team=value, expected_version=version)
            case "status":
                return self.ticket_set_status(number, value, expected_version=version)
            case "priority":
                return self.ticket_set_priority(number, value, expected_version=version)
            case "type":
                return self.ticket_set_type(number, value, expected_version=version)
            case "category":
                return self.ticket_set_category(number, value, expected_version=version)
            case "tags":
                return self.ticket_tag(
                    number, add=change.add, remove=change.remove, expected_version=version
                )
            case "escalate":
                return self.ticket_escalate(number, expected_version=version)
            case "deescalate":
                return self.ticket_deescalate(number, expected_version=version)
            case "reopen":
                return self.ticket_reopen(number, value, expected_version=version)
        raise InvalidValue(f"no field {change.field!r}")  # pragma: no cover (typed)

    # -- relations, claims, mail, files -------------------------------------------------------

    def ticket_merge(
        self,
        number: int,
        into: int,
        *,
        expected_version: int | None = None,
        different_requesters: bool = False,
    ) -> TicketRow:
        """Merge ``number`` into ``into`` (it closes); the row of the ticket that remains.

        ``different_requesters`` says the agent saw the plan's warning and merges anyway.
        """
        from helpdesk_tui.desk import relations

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

    def ticket_link(self, number: int, other: int, *, kind: str = "related") -> TicketRow:
        """Link ``other`` to ``number`` (related by default)."""
        from helpdesk_tui.desk import relations

        with self._write() as session:
            relations.link(session, self.actor, number, other, kind=kind)
            return _row(session, number)

    def ticket_delete(self, number: int) -> None:
        """Delete a ticket for good (admins only; the audit trail keeps a record)."""
        from helpdesk_tui.desk import relations

        with self._write() as session:
            relations.delete_ticket(session, self.actor, number)

    def ticket_create(
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
        rules: Rules | None = None,
        desk_name: str = "Helpdesk",
    ) -> CreatedTicket:
        """A new ticket from a phone call, a walk-in or a script.

        With ``rules``, the ticket is routed as mail intake routes a new one, in the same
        transaction: nobody sees it unrouted, and a failed routing leaves no ticket behind.
        Without rules it is written on Core tables (routing is still on the ORM).
        """
        routing = rules is not None and bool(rules.rules)
        with self._write() if routing else self._write_rows() as session:
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
            routed = None
            if rules is not None and routing:
                from helpdesk_tui.desk.routing_apply import new_ticket_arrival, route

                assert not isinstance(session, Connection)

                arrival = new_ticket_arrival(session, ticket)
                from helpdesk_tui.desk.settings import desk_name as named

                desk = named(session, desk_name)
                routed = route(session, rules, arrival, self.clock(), desk=desk)
            return CreatedTicket(_row(session, ticket.number), routed)

    def ticket_row(self, number: int) -> TicketRow:
        """Ticket ``number``'s row as stored now."""
        with self._read() as session:
            return _row(session, number)

    def ticket_take_next(self) -> int:
        """Assign the most urgent unassigned ticket of my teams to me; its number."""
        from helpdesk_tui.desk.claims import take_next

        with self._write() as session:
            return take_next(session, self.actor, now=self.clock()).number

    def ticket_resend(self, outbox_id: int) -> None:
        """Queue a failed or bounced mail again, now, with fresh tries."""
        from helpdesk_tui.desk import outbox

        with self._write() as session:
            outbox.resend(session, self.actor, outbox_id, now=self.clock())

    def ticket_save_attachment(
        self, number: int, attachment_id: int, target: Path, *, overwrite: bool = False
    ) -> Path:
        """Write one attachment to ``target`` (a file path); ``TargetExists`` unless
        ``overwrite``. Returns the path written."""
        from helpdesk_tui.desk.attachments import save_attachment

        with self._read_rows() as session:
            return save_attachment(
                session,
                number,
                attachment_id,
                target.parent,
                name=target.name,
                overwrite=overwrite,
            )
