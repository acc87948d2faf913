"""The knowledge base's tables (migration ``0010``).

An article is its latest state; every state it has had — the first included — is a row of
``kb_article_version``, so an earlier version can be shown and compared. ``kb_event`` is
the article's audit trail, like ``event`` is a ticket's. Search indexes (SQLite FTS5,
PostgreSQL tsvector) live in the migration and ``storage/kb_search.py``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Text, UniqueConstraint
from sqlmodel import Field

from helpdesk_tui.storage.enums import ArticleStatus as ArticleStatus
from helpdesk_tui.storage.enums import Visibility as Visibility
from helpdesk_tui.storage.models import utcnow
from helpdesk_tui.storage.table import Table
from helpdesk_tui.storage.types import UTCDateTime


def _ts(*, nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class KbArticle(Table, table=True):
    """An article as it is now. ``tags`` are lower-case words joined by single spaces."""

    __tablename__ = "kb_article"
    __table_args__ = (
        Index("ix_kb_article_status_visibility", "status", "visibility"),
        Index("ix_kb_article_category", "category"),
        Index("ix_kb_article_updated", "updated_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=Column(String(120), nullable=False, unique=True))
    title: str = Field(sa_column=Column(String(300), nullable=False))
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    category: str = Field(default="", sa_column=Column(String(100), nullable=False))
    tags: str = Field(default="", sa_column=Column(String(1000), nullable=False))
    status: str = Field(default=ArticleStatus.DRAFT, sa_column=Column(String(20), nullable=False))
    visibility: str = Field(
        default=Visibility.INTERNAL, sa_column=Column(String(20), nullable=False)
    )
    author: str = Field(default="", sa_column=Column(String(100), nullable=False))
    """The login of whoever wrote the first version (kept as text: it survives an export)."""
    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class KbArticleVersion(Table, table=True):
    """One state an article had: written when the article is created and at each change."""

    __tablename__ = "kb_article_version"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(
        sa_column=Column(ForeignKey("kb_article.id", ondelete="CASCADE"), nullable=False)
    )
    version: int = Field(nullable=False)
    title: str = Field(sa_column=Column(String(300), nullable=False))
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    category: str = Field(default="", sa_column=Column(String(100), nullable=False))
    tags: str = Field(default="", sa_column=Column(String(1000), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    visibility: str = Field(sa_column=Column(String(20), nullable=False))
    actor: str = Field(sa_column=Column(String(100), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class KbEvent(Table, table=True):
    """Append-only: who changed what on which article, old → new, when."""

    __tablename__ = "kb_event"
    __table_args__ = (Index("ix_kb_event_article", "article_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("kb_article.id", ondelete="SET NULL"))
    )
    article_version: int | None = Field(default=None)
    actor_agent_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("agent.id", ondelete="SET NULL"))
    )
    actor: str = Field(sa_column=Column(String(100), nullable=False))
    kind: str = Field(sa_column=Column(String(30), nullable=False))
    field: str | None = Field(default=None, sa_column=Column(String(50)))
    old_value: str | None = Field(default=None, sa_column=Column(Text))
    new_value: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
