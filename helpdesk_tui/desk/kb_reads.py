"""The knowledge base as agents read it, on Core tables (``storage/core_tables``): an
article, a listing, the categories and tags, a search.

The one place these reads are: :class:`KbReads` is the base of the facade's ``KbService``
(the terminal's knowledge-base screen and side panel) and alone is what ``helpdesk kb
search`` and ``kb show`` hold, so those verbs import neither the ORM nor SQLModel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, select

from helpdesk_tui.desk import kb
from helpdesk_tui.desk.errors import InvalidValue, NotFound
from helpdesk_tui.desk.service import DeskService
from helpdesk_tui.storage.core_tables import KbArticle, kb_article
from helpdesk_tui.storage.enums import ArticleStatus, Visibility
from helpdesk_tui.storage.kb_search import KbFilters, KbSearch, search_articles

if TYPE_CHECKING:
    from sqlalchemy.orm import Mapped

    from helpdesk_tui.storage.database import Reader


@dataclass(frozen=True)
class ArticleView:
    id: int
    slug: str
    title: str
    body: str
    category: str
    tags: tuple[str, ...]
    status: str
    visibility: str
    author: str
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def draft_key(self) -> str:
        """Which article this is for a draft of it (``drafts.item_key``)."""
        from helpdesk_tui.drafts import item_key

        return item_key(self.id, self.created_at)

    @property
    def is_public(self) -> bool:
        """Customers may read it: published and public."""
        return self.status == ArticleStatus.PUBLISHED and self.visibility == Visibility.PUBLIC

    def reply_text(self) -> str:
        """The article's text, for a reply or note: a published article's only. A draft is not
        checked yet, so it goes into no mail (refused in one line, as ``kb_for_reply`` leaves
        drafts out of the composer's picker)."""
        if self.status != ArticleStatus.PUBLISHED:
            raise InvalidValue(f'"{self.title}" is a draft: it goes into no reply until published')
        return self.body

    def reply_link(self, base_url: str) -> str:
        """The article's address on the help site (``[kb] public_url``), for a reply.

        Only a public, published article is on the help site (``kb export --html``): any
        other's link would be a dead one in the customer's mail, so it is refused in one
        line, as is a link while the desk has no help-site address."""
        if not base_url:
            raise InvalidValue("No help site address: set [kb] public_url")
        if not self.is_public:
            what = "a draft" if self.status != ArticleStatus.PUBLISHED else "internal"
            raise InvalidValue(
                f'"{self.title}" is {what}: it is not on the help site, so it has no public link'
            )
        return kb.public_link(base_url, self.slug)


@dataclass(frozen=True)
class KbResult:
    """One search result: the article, where the searched words are, and how it matched."""

    article: ArticleView
    tier: int
    score: float
    title_spans: tuple[kb.Span, ...]
    snippet: str
    snippet_spans: tuple[kb.Span, ...]


@dataclass(frozen=True)
class ArticleData:
    """An article as a file holds it (``kb export`` / ``kb import``): every field kept."""

    slug: str
    title: str
    body: str
    category: str
    tags: tuple[str, ...]
    status: str
    visibility: str
    author: str
    created_at: datetime
    updated_at: datetime


def article_view(row: Any) -> ArticleView:
    """An article's view, from an ORM row (a write holds one) or a plain row of its columns."""
    assert row.id is not None
    return ArticleView(
        id=row.id,
        slug=row.slug,
        title=row.title,
        body=row.body,
        category=row.category,
        tags=kb.split_tags(row.tags),
        status=row.status,
        visibility=row.visibility,
        author=row.author,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def article_data(row: Any) -> ArticleData:
    """An article as a file holds it, from an ORM row or a plain row of its columns."""
    return ArticleData(
        slug=row.slug,
        title=row.title,
        body=row.body,
        category=row.category,
        tags=kb.split_tags(row.tags),
        status=row.status,
        visibility=row.visibility,
        author=row.author,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def article_ref(
    id_column: ColumnElement[Any] | Mapped[Any],
    slug_column: ColumnElement[Any] | Mapped[Any],
    ref: int | str,
) -> ColumnElement[bool]:
    """Which article ``ref`` names: an id (a number) or a slug (the columns: Core or ORM)."""
    if isinstance(ref, int) or ref.isdigit():
        return id_column == int(ref)
    return slug_column == ref


ARTICLES = select(kb_article)
"""Every column of the articles as plain rows: a read builds views without ORM objects
(what search results cost was as much the ORM's as the search's)."""


def article_views(session: Reader, statement: Select[Any]) -> list[ArticleView]:
    """The views of the articles ``statement`` (``ARTICLES`` narrowed) reads, in its order."""
    return [article_view(row) for row in session.execute(statement)]


def articles_by_id(session: Reader, ids: Sequence[int]) -> dict[int, ArticleView]:
    table = ARTICLES.selected_columns
    return {a.id: a for a in article_views(session, ARTICLES.where(table.id.in_(ids)))}


def search_results(
    session: Reader, found: KbSearch, articles: Mapping[int, ArticleView] | None = None
) -> list[KbResult]:
    """A search's hits as results: each article with its highlights and snippet
    (``articles``: the hits' articles, if the caller read them already)."""
    if not found.hits:
        return []
    if articles is None:
        articles = articles_by_id(session, [hit.article_id for hit in found.hits])
    results = []
    for hit in found.hits:
        article = articles[hit.article_id]
        line = kb.snippet(article.body, found.groups)
        results.append(
            KbResult(
                article=article,
                tier=hit.tier,
                score=hit.score,
                title_spans=kb.spans(article.title, found.groups),
                snippet=line,
                snippet_spans=kb.spans(line, found.groups),
            )
        )
    return results


class KbReads(DeskService):
    """Knowledge-base reads (methods prefixed ``kb_``)."""

    def kb_article(self, ref: int | str) -> ArticleView:
        """An article by id or by slug."""
        with self._read_rows() as conn:
            row = conn.execute(
                ARTICLES.where(article_ref(KbArticle.id, KbArticle.slug, ref))
            ).first()
        if row is None:
            raise NotFound(f"no article {ref}")
        return article_view(row)

    def kb_list(
        self,
        *,
        category: str | None = None,
        tag: str | None = None,
        status: str | None = None,
        visibility: str | None = None,
        limit: int | None = 200,
    ) -> list[ArticleView]:
        """Articles, most recently changed first."""
        table = ARTICLES.selected_columns
        statement = ARTICLES
        for name, value in (("category", category), ("status", status), ("visibility", visibility)):
            if value is not None:
                statement = statement.where(table[name] == value)
        if tag is not None:
            statement = statement.where((" " + table.tags + " ").like(f"% {tag.lower()} %"))
        statement = statement.order_by(table.updated_at.desc(), table.id)
        if limit is not None:
            statement = statement.limit(limit)
        with self._read_rows() as conn:
            return article_views(conn, statement)

    def kb_categories(self) -> list[str]:
        with self._read_rows() as conn:
            rows = conn.scalars(select(KbArticle.category).distinct().order_by(KbArticle.category))
            return [c for c in rows if c]

    def kb_tags(self) -> list[str]:
        with self._read_rows() as conn:
            found = {t for tags in conn.scalars(select(KbArticle.tags)) for t in tags.split()}
        return sorted(found)

    def kb_for_reply(self, query: str, *, limit: int = 20) -> list[ArticleView]:
        """Published articles an agent may put into a reply or note, best first for what
        they typed (the most recently changed first while nothing is typed). Drafts are left
        out: they are not checked yet."""
        published = str(ArticleStatus.PUBLISHED)
        if not query.strip():
            return self.kb_list(status=published, limit=limit)
        return [r.article for r in self.kb_search(query, status=published, limit=limit)]

    def kb_search(
        self,
        query: str,
        *,
        category: str | None = None,
        tag: str | None = None,
        status: str | None = None,
        visibility: str | None = None,
        limit: int = 20,
    ) -> list[KbResult]:
        """Articles for what a person typed, best first (see ``storage/kb_search.py``)."""
        filters = KbFilters(category, tag, status, visibility)
        with self._read_rows() as conn:
            return search_results(conn, search_articles(conn, query, filters, limit=limit))
