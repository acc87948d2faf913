"""open tickets' search index: its vocabulary, for the words' longer forms

A search's prefix tier (every word as the start of a word, ``desk/search.py``) asked the
open tickets' index for ``"printer"*``: FTS5 merges the lists of every word that starts
so (no prefix index beyond 3 letters), the word's own list included, then reads that list
again to leave out what the whole word found. The search now lists a word's longer forms
first, in the index's vocabulary, and asks for them (``"printers"``): a word with none
has no prefix tier to read. Two ``fts5vocab`` tables over ``open_ticket_fts`` and
``open_message_fts`` (migration 0026): a view of the index, nothing stored or written.

PostgreSQL: nothing.

Revision ID: 0027
Revises: 0026
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VOCABULARIES = {"open_ticket_vocab": "open_ticket_fts", "open_message_vocab": "open_message_fts"}
"""Each vocabulary table and its FTS5 table (one row per word: ``row``)."""


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, fts in VOCABULARIES.items():
        op.execute(f"CREATE VIRTUAL TABLE {name} USING fts5vocab({fts}, row)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in VOCABULARIES:
        op.execute(f"DROP TABLE IF EXISTS {name}")
