"""knowledge-base search on PostgreSQL: stored tsvectors instead of an expression index

0010 indexed the weighted tsvector as an expression, so ranking (``ts_rank``) rebuilt it from
every matching article's text: half a second for a common word over 10,000 articles. The
vectors are now stored (generated columns, kept by PostgreSQL itself): ``search_all`` (title
A, tags B, body C) and ``search_head`` (title A, tags B: what a search too common to rank on
the bodies is ranked on, see ``storage/kb_search.py``), each with a GIN index. SQLite's FTS5
table already stores its index: nothing changes there.

Revision ID: 0018
Revises: 0010 (it changes 0010's table, so it comes after it, not beside it on 0009)
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HEAD = (
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, tags), 'B')"
)
_ALL = f"{_HEAD} || setweight(to_tsvector('english'::regconfig, left(body, 100000)), 'C')"
"""Equal to 0010's indexed expression (dropped: the stored column replaces it)."""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column, expression in (("search_all", _ALL), ("search_head", _HEAD)):
        op.execute(
            f"ALTER TABLE kb_article ADD COLUMN {column} tsvector "
            f"GENERATED ALWAYS AS ({expression}) STORED"
        )
        op.execute(f"CREATE INDEX ix_kb_article_{column} ON kb_article USING gin ({column})")
    op.execute("DROP INDEX IF EXISTS ix_kb_article_fts")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE INDEX ix_kb_article_fts ON kb_article USING gin (({_ALL}))")
    for column in ("search_all", "search_head"):
        op.execute(f"DROP INDEX IF EXISTS ix_kb_article_{column}")
        op.execute(f"ALTER TABLE kb_article DROP COLUMN {column}")
