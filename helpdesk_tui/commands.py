"""Command palette providers (ctrl+p): jump to a ticket by number or by words of its subject;
open a knowledge-base article by words of it ("KB: <title>").

Ticket text is shown through ``plain`` as a ``Text`` prompt; the palette reads a plain
string prompt and every help text as markup, so neither ever carries outside text.
"""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.command import Hit, Hits, Provider

from helpdesk_tui.app_access import desk_app
from helpdesk_tui.desk.queue_values import TicketRow
from helpdesk_tui.desk.statuses import words
from helpdesk_tui.safe_text import clean, plain

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.style import Style

    from helpdesk_tui.desk.kb_service import KbResult

MAX_HITS = 8


def _prompt(row: TicketRow) -> Text:
    return Text.assemble((f"#{row.number} ", "bold"), plain(row.subject))


ARTICLE_MIN_CHARS = 3
"""Articles are searched from this many characters typed (fewer match nearly every one)."""
ARTICLE_SCORE = 0.5
"""Article hits score at most this plus 0.1: a ticket's number (score 1) or a subject typed
as it is stays above them."""


class DeskCommands(Provider):
    """Tickets and knowledge-base articles, read together, one read at a time.

    ``#1042`` opens ticket 1042; words find tickets by subject and message text, and
    knowledge-base articles ("KB: <title>" opens one on the KB screen).

    One provider, not one per kind: the palette polls for hits every 0.1 s while any
    provider runs, and a provider that finished last *without* a hit (no article for
    "printer") left the hits already found waiting for that poll (a last key → hits of
    ~170 ms instead of ~65). One read that yields everything it found wakes it at once.

    No fixed pause before a read (it was part of every search's wait for its hits): a
    search reads at once when no read runs. Keys typed while one runs are coalesced — the
    palette cancels a key's search when the next key arrives, so when the read ends only
    the newest query's search is left waiting, and it reads next. An older read's hits are
    dropped (its search was cancelled), and never more than one read runs for the palette,
    however fast the keys come or slow the desk is."""

    def __init__(self, screen: Screen[Any], match_style: Style | None = None) -> None:
        super().__init__(screen, match_style)
        self._asked = ""
        """The newest query typed; a read that starts for an older one does nothing."""
        self._reading: asyncio.Event | None = None
        """Set when the read running in its thread ends (None: no read runs)."""

    async def search(self, query: str) -> Hits:
        if not query.strip():
            return
        app = desk_app(self)
        self._asked = query
        while self._reading is not None:
            await self._reading.wait()  # cancelled here when the next key arrives
        asked = query.strip()
        articles = not (len(asked) < ARTICLE_MIN_CHARS or asked.startswith("#") or asked.isdigit())
        ended = self._reading = asyncio.Event()
        loop = asyncio.get_running_loop()

        def end() -> None:
            self._reading = None
            ended.set()

        def latest() -> tuple[list[TicketRow], list[KbResult]]:
            try:
                if query != self._asked or not app.live:  # (nothing to search until it is open)
                    return [], []
                desk = app.desk
                rows = desk.find_tickets(query, limit=MAX_HITS)
                return rows, desk.kb_search(query, limit=MAX_HITS) if articles else []
            finally:  # (even when this search was cancelled meanwhile: the read has ended)
                with contextlib.suppress(RuntimeError):  # (the app's loop closed: none waits)
                    loop.call_soon_threadsafe(end)

        rows, found = await asyncio.to_thread(latest)
        matcher = self.matcher(query)
        for row in rows:
            text = f"#{row.number} {clean(row.subject, single_line=True)}"
            score = 1.0 if asked.lstrip("#") == str(row.number) else matcher.match(text)
            yield Hit(
                max(score, 0.01),
                _prompt(row),
                partial(app.open_ticket, row.number),
                text=text,
                help=f"Open ticket · {words(row.status)} · {row.priority}",
            )
        for rank, result in enumerate(found):
            article = result.article
            text = f"KB: {clean(article.title, single_line=True)}"
            # The search's own order decides; the matcher only lifts a title typed as it is.
            score = ARTICLE_SCORE * (1 - rank / (2 * MAX_HITS)) + 0.1 * matcher.match(text)
            yield Hit(
                score,
                Text.assemble(("KB: ", "bold"), plain(article.title)),
                partial(app.open_article, article.id),
                text=text,
                help=f"Open in the knowledge base · {article.status} · {article.visibility}",
            )
