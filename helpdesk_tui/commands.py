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

from helpdesk_tui.app_access import desk_app
from helpdesk_tui.desk.queries import TicketRow
from helpdesk_tui.desk.statuses import words
from helpdesk_tui.safe_text import clean, plain

if TYPE_CHECKING:
    from helpdesk_tui.desk.facade import Desk

MAX_HITS = 8
DEBOUNCE_SECONDS = 0.15
"""A palette search starts only after typing pauses this long; the palette cancels the
search of a key as soon as the next key arrives, and a search cancelled while it waits
never reaches the database."""


def _prompt(row: TicketRow) -> Text:
    return Text.assemble((f"#{row.number} ", "bold"), plain(row.subject))


class TicketCommands(Provider):
    """``#1042`` opens ticket 1042; words find tickets by subject and message text."""

    _asked = ""
    """The newest query typed; a thread that starts for an older one does nothing."""

    def _find(self, desk: Desk, query: str) -> list[TicketRow]:
        return desk.find_tickets(query, limit=MAX_HITS) if query == self._asked else []

    async def search(self, query: str) -> Hits:
        if not query.strip():
            return
        app = desk_app(self)
        self._asked = query
        await asyncio.sleep(DEBOUNCE_SECONDS)  # cancelled here when the next key arrives
        rows = await asyncio.to_thread(self._find, app.desk, query)
        matcher = self.matcher(query)
        for row in rows:
            text = f"#{row.number} {clean(row.subject, single_line=True)}"
            score = 1.0 if query.strip().lstrip("#") == str(row.number) else matcher.match(text)
            yield Hit(
                max(score, 0.01),
                _prompt(row),
                partial(app.open_ticket, row.number),
                text=text,
                help=f"Open ticket · {words(row.status)} · {row.priority}",
            )
