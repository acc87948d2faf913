"""contact search: a requester's name or email found through an index, not a scan

Search's last tier (``desk/search.py``) finds the tickets of the contacts whose name or email
holds every word. It is read when the tiers above it hold less than a page (a rare word, a
typo), and it read every contact with ``LIKE '%word%'``: at 20,000 contacts a scan on every
such search. Here it gets trigram indexes, which answer "contains" for words of three or
more characters:

- SQLite: an external-content FTS5 table ``contact_trigram`` (``tokenize='trigram'``, SQLite
  3.34 or later) over ``contact.name`` and ``contact.email``, kept by triggers.
- PostgreSQL: GIN ``gin_trgm_ops`` indexes on ``lower(name)`` and
  ``lower(coalesce(email, ''))`` — the expressions the search writes — when the server has
  the ``pg_trgm`` extension (part of PostgreSQL's contrib); without it the search scans as
  before and finds the same contacts.

Revision ID: 0021
Revises: 0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_INDEXES = {
    "ix_contact_name_trgm": "lower(name)",
    "ix_contact_email_trgm": "lower(coalesce(email, ''))",
}


def _sqlite_upgrade() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE contact_trigram USING fts5(name, email, content='contact', "
        "content_rowid='id', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER contact_trigram_ai AFTER INSERT ON contact BEGIN "
        "INSERT INTO contact_trigram(rowid, name, email) VALUES (new.id, new.name, new.email); "
        "END"
    )
    op.execute(
        "CREATE TRIGGER contact_trigram_ad AFTER DELETE ON contact BEGIN "
        "INSERT INTO contact_trigram(contact_trigram, rowid, name, email) "
        "VALUES ('delete', old.id, old.name, old.email); END"
    )
    op.execute(
        "CREATE TRIGGER contact_trigram_au AFTER UPDATE OF name, email ON contact BEGIN "
        "INSERT INTO contact_trigram(contact_trigram, rowid, name, email) "
        "VALUES ('delete', old.id, old.name, old.email); "
        "INSERT INTO contact_trigram(rowid, name, email) VALUES (new.id, new.name, new.email); "
        "END"
    )
    op.execute("INSERT INTO contact_trigram(contact_trigram) VALUES ('rebuild')")


def _pg_has_trigrams() -> bool:
    bind = op.get_bind()
    available = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    ).scalar()
    if not available:
        return False
    installed = bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    if installed.scalar():
        return True
    # pg_trgm is a trusted extension from PostgreSQL 13: whoever may create in the database
    # may install it; before that, only a superuser.
    allowed = bind.exec_driver_sql(
        "SELECT (current_setting('server_version_num')::int >= 130000 "
        "AND has_database_privilege(current_database(), 'CREATE')) "
        "OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
    ).scalar()
    if not allowed:
        return False
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    return True


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
        return
    if _pg_has_trigrams():
        for name, expression in _PG_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON contact USING gin ({expression} gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS contact_trigram_{suffix}")
        op.execute("DROP TABLE IF EXISTS contact_trigram")
        return
    for name in _PG_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
