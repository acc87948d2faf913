"""Command palette providers (ctrl+p): jump to a ticket by number or by words of its subject;
open a knowledge-base article by words of it ("KB: <title>").

Ticket text is shown through ``plain`` as a ``Text`` prompt; the palette reads a plain
string prompt and every help text as markup, so neither ever carries outside text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from rich.text import Text
from textual.command import Hit, Hits, Provider

from helpdesk_tui.app_access import desk_app
from helpdesk_tui.desk.queue_values import TicketRow
from helpdesk_tui.desk.statuses import words
from helpdesk_tui.safe_text import clean, plain

if TYPE_CHECKING:
    from helpdesk_tui.desk.facade import Desk

T = TypeVar("T")
MAX_HITS = 8
DEBOUNCE_SECONDS = 0.05
"""A palette search starts only after typing pauses this long; the palette cancels the
search of a key as soon as the next key arrives, and a search cancelled while it waits
never reaches the database. Short, because the pause is part of every search's wait for
its hits (a key → its hits within 150 ms): a burst of keys typed faster than this still
makes one search, and a search started between slower keys costs one page's read."""


def _prompt(row: TicketRow) -> Text:
    return Text.assemble((f"#{row.number} ", "bold"), plain(row.subject))


class _DeskSearch(Provider):
    """A provider whose hits come from a desk search, run once typing pauses."""

    _asked = ""
    """The newest query typed; a thread that starts for an older one does nothing."""

    async def _found(self, query: str, find: Callable[[Desk, str], list[T]]) -> list[T]:
        app = desk_app(self)
        self._asked = query
        await asyncio.sleep(DEBOUNCE_SECONDS)  # cancelled here when the next key arrives

        def latest() -> list[T]:
            if query != self._asked or not app.live:  # (nothing to search until it is open)
                return []
            return find(app.desk, query)

        return await asyncio.to_thread(latest)


class TicketCommands(_DeskSearch):
    """``#1042`` opens ticket 1042; words find tickets by subject and message text."""

    async def search(self, query: str) -> Hits:
        if not query.strip():
            return
        app = desk_app(self)
        rows = await self._found(
            query, lambda desk, asked: desk.find_tickets(asked, limit=MAX_HITS)
        )
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


ARTICLE_MIN_CHARS = 3
"""Articles are searched from this many characters typed (fewer match nearly every one)."""
ARTICLE_SCORE = 0.5
"""Article hits score at most this plus 0.1: a ticket's number (score 1) or a subject typed
as it is stays above them."""


class ArticleCommands(_DeskSearch):
    """Words find knowledge-base articles; "KB: <title>" opens one on the KB screen."""

    async def search(self, query: str) -> Hits:
        asked = query.strip()
        if len(asked) < ARTICLE_MIN_CHARS or asked.startswith("#") or asked.isdigit():
            return
        app = desk_app(self)
        found = await self._found(query, lambda desk, q: desk.kb_search(q, limit=MAX_HITS))
        matcher = self.matcher(query)
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
