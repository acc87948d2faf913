"""Command palette providers (ctrl+p): jump to a ticket by number or by words of its subject.

Ticket text is shown through ``plain`` as a ``Text`` prompt; the palette reads a plain
string prompt and every help text as markup, so neither ever carries outside text.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual.command import Hit, Hits, Provider

from helpdesk_tui.desk import queue as pages
from helpdesk_tui.desk.queries import TicketRow, ticket_row
from helpdesk_tui.desk.queue import QueueQuery
from helpdesk_tui.desk.values import number_in
from helpdesk_tui.safe_text import clean, plain
from helpdesk_tui.storage.database import Database

if TYPE_CHECKING:
    from helpdesk_tui.app import HelpdeskApp

MAX_HITS = 8
DEBOUNCE_SECONDS = 0.15
"""A palette search starts only after typing pauses this long; the palette cancels the
search of a key as soon as the next key arrives, and a search cancelled while it waits
never reaches the database."""


def find_tickets(db: Database, query: str) -> list[TicketRow]:
    """Tickets for a palette query: ``#1042`` / ``1042`` first, then by full-text search."""
    with db.read() as session:
        found: list[TicketRow] = []
        number = number_in(query)
        if number is not None:
            row = ticket_row(session, number)
            if row is not None:
                found.append(row)
        if not query.strip().lstrip("#").isdigit():
            page = pages.first_page(session, QueueQuery(text=query), MAX_HITS)
            found += [row for row in page.rows if row not in found]
    return found[:MAX_HITS]


def _prompt(row: TicketRow) -> Text:
    return Text.assemble((f"#{row.number} ", "bold"), plain(row.subject))


class TicketCommands(Provider):
    """``#1042`` opens ticket 1042; words find tickets by subject and message text."""

    _asked = ""
    """The newest query typed; a thread that starts for an older one does nothing."""

    @property
    def desk_app(self) -> HelpdeskApp:
        return self.app  # type: ignore[return-value]

    def _find(self, db: Database, query: str) -> list[TicketRow]:
        return find_tickets(db, query) if query == self._asked else []

    async def search(self, query: str) -> Hits:
        if not query.strip():
            return
        app = self.desk_app
        self._asked = query
        await asyncio.sleep(DEBOUNCE_SECONDS)  # cancelled here when the next key arrives
        rows = await asyncio.to_thread(self._find, app.db, query)
        matcher = self.matcher(query)
        for row in rows:
            text = f"#{row.number} {clean(row.subject, single_line=True)}"
            score = 1.0 if query.strip().lstrip("#") == str(row.number) else matcher.match(text)
            yield Hit(
                max(score, 0.01),
                _prompt(row),
                partial(app.open_ticket, row.number),
                text=text,
                help=f"Open ticket · {row.status.replace('_', ' ')} · {row.priority}",
            )
