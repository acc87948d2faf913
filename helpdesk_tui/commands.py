"""Command palette providers (ctrl+p): jump to a ticket by number or by words of its subject;
open a knowledge-base article by words of it ("KB: <title>"); an address typed shows that
customer's card ("Customer: <address>", read-only: ``screens/contact``).

Ticket text is shown through ``plain`` as a ``Text`` prompt; the palette reads a plain
string prompt and every help text as markup, so neither ever carries outside text.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.command import Hit, Hits, Provider

from helpdesk_tui.app_access import desk_app
from helpdesk_tui.desk.queue_values import TicketRow
from helpdesk_tui.desk.statuses import words
from helpdesk_tui.safe_text import clean, plain

if TYPE_CHECKING:
    from textual.app import App

    from helpdesk_tui.desk.kb_service import KbResult

MAX_HITS = 8
_READS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="palette-read")
"""The palette's reads, one at a time, in the order asked (its thread starts at the first)."""


def _prompt(row: TicketRow) -> Text:
    return Text.assemble((f"#{row.number} ", "bold"), plain(row.subject))


ARTICLE_MIN_CHARS = 3
"""Articles are searched from this many characters typed (fewer match nearly every one)."""
ARTICLE_SCORE = 0.5
"""Article hits score at most this plus 0.1: a ticket's number (score 1) or a subject typed
as it is stays above them."""


CUSTOMER_SCORE = 0.9
"""An address typed: its card is listed first, under a ticket whose number was typed."""


def _show_customer(app: App[Any], address: str) -> None:
    from helpdesk_tui.screens.contact import ContactScreen

    app.push_screen(ContactScreen(address))


class DeskCommands(Provider):
    """Tickets and knowledge-base articles, read together, one read at a time.

    ``#1042`` opens ticket 1042; words find tickets by subject and message text, and
    knowledge-base articles ("KB: <title>" opens one on the KB screen).

    One provider, not one per kind: the palette polls for hits every 0.1 s while any
    provider runs, and a provider that finished last *without* a hit (no article for
    "printer") left the hits already found waiting for that poll (a last key → hits of
    ~170 ms instead of ~65). One read that yields everything it found wakes it at once.

    No fixed pause before a read (it was part of every search's wait for its hits): a
    search reads at once when no read runs. Reads run one at a time in the palette's own
    thread, and keys typed while one runs are coalesced: the palette cancels a key's search
    when the next key arrives, which takes its read out of the queue unstarted, so when the
    running read ends only the newest query's read is left. An older read's hits are
    dropped (its search was cancelled), however fast the keys come or slow the desk is."""

    _asked = ""
    """The newest query typed; a read that starts for an older one does nothing."""

    async def search(self, query: str) -> Hits:
        if not query.strip():
            return
        app = desk_app(self)
        self._asked = query
        asked = query.strip()
        articles = not (len(asked) < ARTICLE_MIN_CHARS or asked.startswith("#") or asked.isdigit())

        def latest() -> tuple[list[TicketRow], list[KbResult]]:
            if query != self._asked or not app.live:  # (nothing to search until it is open)
                return [], []
            desk = app.desk
            rows = desk.find_tickets(query, limit=MAX_HITS)
            return rows, desk.kb_search(query, limit=MAX_HITS) if articles else []

        # Cancelled here when the next key arrives (a read not started yet never starts).
        rows, found = await asyncio.wrap_future(_READS.submit(latest))
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
        if "@" in asked and not any(c.isspace() for c in asked):
            text = f"Customer: {clean(asked, single_line=True)}"
            yield Hit(
                CUSTOMER_SCORE,
                Text.assemble(("Customer: ", "bold"), plain(asked)),
                partial(_show_customer, app, asked),
                text=text,
                help="Who they are, their tickets, what the desk keeps about them",
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
