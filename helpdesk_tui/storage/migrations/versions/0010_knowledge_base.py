"""knowledge base: articles, their versions and events, and their search index

SQLite: an external-content FTS5 table ``kb_fts`` over the article's title, tags and body
(porter stemming, so "printers" finds "printer"), kept in step by triggers; ranked with
``bm25`` column weights. PostgreSQL: a GIN index on a weighted tsvector (title A, tags B,
body C; the ``english`` configuration stems the same way); ``storage/kb_search.py`` must
repeat exactly this expression (``PG_VECTOR``) for PostgreSQL to use the index.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, tags), 'B') || "
    "setweight(to_tsvector('english'::regconfig, left(body, 100000)), 'C')"
)
_COLUMNS = "title, tags, body"
_NEW = "new.title, new.tags, new.body"
_OLD = "old.title, old.tags, old.body"


def _ts(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "kb_article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("tags", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("visibility", sa.String(length=20), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_index("ix_kb_article_status_visibility", "kb_article", ["status", "visibility"])
    op.create_index("ix_kb_article_category", "kb_article", ["category"])
    op.create_index("ix_kb_article_updated", "kb_article", ["updated_at", "id"])
    op.create_table(
        "kb_article_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("tags", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("visibility", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(["article_id"], ["kb_article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("article_id", "version"),
    )
    op.create_table(
        "kb_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("article_version", sa.Integer(), nullable=True),
        sa.Column("actor_agent_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("field", sa.String(length=50), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        _ts("created_at"),
        sa.ForeignKeyConstraint(["actor_agent_id"], ["agent.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["article_id"], ["kb_article.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kb_event_article", "kb_event", ["article_id", "id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"CREATE VIRTUAL TABLE kb_fts USING fts5({_COLUMNS}, content='kb_article', "
            "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')"
        )
        op.execute(
            "CREATE TRIGGER kb_fts_ai AFTER INSERT ON kb_article BEGIN "
            f"INSERT INTO kb_fts(rowid, {_COLUMNS}) VALUES (new.id, {_NEW}); END"
        )
        op.execute(
            "CREATE TRIGGER kb_fts_ad AFTER DELETE ON kb_article BEGIN "
            f"INSERT INTO kb_fts(kb_fts, rowid, {_COLUMNS}) VALUES ('delete', old.id, {_OLD}); "
            "END"
        )
        op.execute(
            f"CREATE TRIGGER kb_fts_au AFTER UPDATE OF {_COLUMNS} ON kb_article BEGIN "
            f"INSERT INTO kb_fts(kb_fts, rowid, {_COLUMNS}) VALUES ('delete', old.id, {_OLD}); "
            f"INSERT INTO kb_fts(rowid, {_COLUMNS}) VALUES (new.id, {_NEW}); END"
        )
    else:
        op.execute(f"CREATE INDEX ix_kb_article_fts ON kb_article USING gin (({PG_VECTOR}))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS kb_fts_{suffix}")
        op.execute("DROP TABLE IF EXISTS kb_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_kb_article_fts")
    op.drop_table("kb_event")
    op.drop_table("kb_article_version")
    op.drop_index("ix_kb_article_updated", table_name="kb_article")
    op.drop_index("ix_kb_article_category", table_name="kb_article")
    op.drop_index("ix_kb_article_status_visibility", table_name="kb_article")
    op.drop_table("kb_article")
