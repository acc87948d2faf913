"""Ticket reading the CLI needs beyond the shared operations: a whole listing, page by page.

It reads on Core tables only: ``ticket list``, ``ticket search`` and ``ticket show`` hold
this service alone (``Runtime.lister``), never the whole facade, so they import neither the
ORM nor SQLModel.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from helpdesk_tui.desk.queries import TicketDetail, ticket_detail
from helpdesk_tui.desk.service import DeskService
from helpdesk_tui.desk.ticket_row_value import TicketRow

if TYPE_CHECKING:
    from helpdesk_tui.desk.queue import Position, QueueQuery

PAGE = 500


class TicketsCliService(DeskService):
    def tickets_rows(self, query: QueueQuery, *, limit: int) -> Iterator[TicketRow]:
        """Up to ``limit`` rows (0: all), a page at a time, each page its own short read.

        The lister (with the search) is imported here: ``ticket show`` does without it."""
        from helpdesk_tui.desk.queue import first_page, page_after

        after: Position | None = None
        remaining = limit or None
        while remaining is None or remaining > 0:
            size = PAGE if remaining is None else min(PAGE, remaining)
            with self._read_rows() as session:
                if after is None:
                    page = first_page(session, query, size)
                else:
                    page = page_after(session, query, after, size)
            yield from page.rows
            if remaining is not None:
                remaining -= len(page.rows)
            if not page.more_after or not page.rows:
                return
            after = page.positions[-1]

    def ticket_show(self, number: int) -> TicketDetail:
        """One ticket in full: fields, thread, history, links and outgoing mail."""
        with self._read_rows() as conn:
            return ticket_detail(conn, number)
