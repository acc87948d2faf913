"""full-text search over ticket subjects and message bodies

SQLite: two external-content FTS5 tables (``ticket_fts`` over ``ticket.subject``,
``message_fts`` over ``message.body``) kept in step with their tables by triggers.
PostgreSQL: GIN indexes on ``to_tsvector('simple', ...)`` expressions, which PostgreSQL keeps
in step itself. Both use the same tokenising (no stemming) so a search finds the same
tickets on either engine. ``desk/search.py`` must use exactly these expressions.

Revision ID: 0003
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A tsvector holds at most 1 MB; a huge mail body must not make its insert fail.
PG_BODY_PREFIX = 100_000

_SQLITE_FTS = {
    # fts table: (content table, indexed column)
    "ticket_fts": ("ticket", "subject"),
    "message_fts": ("message", "body"),
}


def _sqlite_upgrade() -> None:
    for fts, (table, column) in _SQLITE_FTS.items():
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', "
            f"content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
            "END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {column} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
            f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def _sqlite_downgrade() -> None:
    for fts in _SQLITE_FTS:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
        return
    op.execute(
        "CREATE INDEX ix_ticket_subject_fts ON ticket "
        "USING gin (to_tsvector('simple'::regconfig, subject))"
    )
    op.execute(
        "CREATE INDEX ix_message_body_fts ON message "
        f"USING gin (to_tsvector('simple'::regconfig, left(body, {PG_BODY_PREFIX})))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_downgrade()
        return
    op.execute("DROP INDEX IF EXISTS ix_message_body_fts")
    op.execute("DROP INDEX IF EXISTS ix_ticket_subject_fts")
