"""open tickets' search index: their subjects and messages again, with the view's facets

A search inside a filtered view of open tickets (a tag's, an agent's: a few thousand
tickets at 1M) read every match of a common word in the whole desk and checked each
against the view (issue 10: 25-45 ms at 1M against 6 at 1k); a word the view lacks was read
to its end. On SQLite two more FTS5 tables hold the open tickets only (``OPEN``):
``open_ticket_fts`` (subject, facets) and ``open_message_fts`` (body, facets), rowids the
ticket's and the message's. ``facets`` holds a ticket's filters as tokens (``FACETS``: its
assignee, team, type, priority, category and tags); a search inside an open view asks for
the word in the text column *and* the view's tokens in ``facets``, so FTS5 intersects the
two lists itself (``desk/search.py``, ``open_facets``). The tables are an eighth of the
desk, so a prefix (merged whole by FTS5) costs an eighth too.

They store their own content (not external: a row is deleted by its rowid, FTS5 reading
the tokens it indexed, whatever the ticket has become since). A change of facets writes
the ticket's messages again, each one's body tokenized twice (out, in): a body longer
than ``LONG_BODY`` characters is not copied (a 10 MB one made an assign cost 0.4 s): its
row holds no text, and ``zlong`` beside its facets, and the search looks for the words in
such a message through ``message_fts``. Triggers keep them in step:
a ticket enters when it is created open or becomes open, leaves when it stops being open;
its rows are written again when its subject, assignee, team, type, priority or category
changes, or a tag is added or removed, while it is open; a message enters with its ticket's
facets. A status change between two open statuses writes nothing.

PostgreSQL: nothing (its GIN indexes are searched as before).

Revision ID: 0026
Revises: 0024
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = ("new", "open", "in_progress", "waiting", "on_hold")
"""``desk.statuses.OPEN_STATUSES`` as of this revision (a test checks they agree)."""
_OPEN = "(" + ", ".join(f"'{status}'" for status in OPEN) + ")"

FACETS = (
    "'za' || coalesce(t.assignee_id, 0) || ' zm' || coalesce(t.team_id, 0)"
    " || ' zy' || hex(t.type) || ' zp' || hex(t.priority)"
    " || CASE WHEN t.category IS NULL THEN '' ELSE ' zc' || hex(t.category) END"
    " || coalesce((SELECT ' ' || group_concat('zt' || g.tag_id, ' ') FROM ticket_tag g"
    " WHERE g.ticket_id = t.id), '')"
)
"""A ticket ``t``'s facets: ``za`` its assignee's id (0: none), ``zm`` its team's (0: none),
``zy`` / ``zp`` / ``zc`` the hex of its type, priority and category (none without one),
``zt`` each tag's id; ``desk/search.py`` writes the same tokens."""

LONG_BODY = 32_768
"""A message body longer than this (characters) is not copied into ``open_message_fts``."""

_FTS = "tokenize='unicode61 remove_diacritics 2', prefix='2 3'"
"""As ``ticket_fts`` and ``message_fts`` (migration 0003): the same words match."""

_FACET_COLUMNS = ("assignee_id", "team_id", "type", "priority", "category")


def _message_row(m: str) -> str:
    """The values of message ``m``'s row (rowid, body, facets), ``t`` its ticket."""
    long = f"length({m}.body) > {LONG_BODY}"
    return (
        f"{m}.id, CASE WHEN {long} THEN '' ELSE {m}.body END, "
        f"{FACETS} || CASE WHEN {long} THEN ' zlong' ELSE '' END"
    )


def _subject_enters(ticket: str) -> str:
    """The statement writing the subject row of ticket ``ticket`` (an SQL expression), if
    open."""
    return (
        "INSERT INTO open_ticket_fts(rowid, subject, facets) "
        f"SELECT t.id, t.subject, {FACETS} FROM ticket t WHERE t.id = {ticket} "
        f"AND t.status IN {_OPEN}; "
    )


def _enter(ticket: str) -> str:
    """Statements writing the rows of ticket ``ticket`` (an SQL expression), if open."""
    return (
        _subject_enters(ticket) + "INSERT INTO open_message_fts(rowid, body, facets) "
        f"SELECT {_message_row('m')} FROM ticket t JOIN message m ON m.ticket_id = t.id "
        f"WHERE t.id = {ticket} AND t.status IN {_OPEN}; "
    )


def _leave(ticket: str) -> str:
    """Statements deleting the rows of ticket ``ticket`` (an SQL expression)."""
    return (
        f"DELETE FROM open_ticket_fts WHERE rowid = {ticket}; "
        "DELETE FROM open_message_fts WHERE rowid IN "
        f"(SELECT id FROM message WHERE ticket_id = {ticket}); "
    )


def _message_enters() -> str:
    """The statement writing the row of message ``new``, if its ticket is open."""
    return (
        f"INSERT INTO open_message_fts(rowid, body, facets) SELECT {_message_row('new')} "
        f"FROM ticket t WHERE t.id = new.ticket_id AND t.status IN {_OPEN}; "
    )


def _is_open(ticket: str) -> str:
    return f"(SELECT status FROM ticket WHERE id = {ticket}) IN {_OPEN}"


_TRIGGERS = {
    "open_fts_ticket_ai": (
        f"AFTER INSERT ON ticket WHEN new.status IN {_OPEN}",
        _subject_enters("new.id"),
    ),
    # A subject change of an open ticket writes its own row only.
    "open_fts_ticket_au": (
        f"AFTER UPDATE OF subject ON ticket WHEN new.status IN {_OPEN} "
        f"AND old.status IN {_OPEN} AND old.subject IS NOT new.subject",
        "DELETE FROM open_ticket_fts WHERE rowid = old.id; " + _subject_enters("new.id"),
    ),
    "open_fts_facets_au": (
        f"AFTER UPDATE OF status, {', '.join(_FACET_COLUMNS)} ON ticket "
        f"WHEN (old.status IN {_OPEN}) IS NOT (new.status IN {_OPEN}) "
        f"OR (new.status IN {_OPEN} AND ("
        + " OR ".join(f"old.{c} IS NOT new.{c}" for c in _FACET_COLUMNS)
        + "))",
        _leave("old.id") + _enter("new.id"),
    ),
    "open_fts_ticket_ad": ("AFTER DELETE ON ticket", _leave("old.id")),
    "open_fts_tag_ai": (
        f"AFTER INSERT ON ticket_tag WHEN {_is_open('new.ticket_id')}",
        _leave("new.ticket_id") + _enter("new.ticket_id"),
    ),
    "open_fts_tag_ad": (
        f"AFTER DELETE ON ticket_tag WHEN {_is_open('old.ticket_id')}",
        _leave("old.ticket_id") + _enter("old.ticket_id"),
    ),
    "open_fts_tag_au": (
        "AFTER UPDATE OF ticket_id, tag_id ON ticket_tag",
        _leave("old.ticket_id")
        + _enter("old.ticket_id")
        + _leave("new.ticket_id")
        + _enter("new.ticket_id"),
    ),
    "open_fts_message_ai": ("AFTER INSERT ON message", _message_enters()),
    "open_fts_message_ad": (
        "AFTER DELETE ON message",
        "DELETE FROM open_message_fts WHERE rowid = old.id; ",
    ),
    "open_fts_message_au": (
        "AFTER UPDATE OF body, ticket_id ON message",
        "DELETE FROM open_message_fts WHERE rowid = old.id; " + _message_enters(),
    ),
}


def _sqlite_upgrade() -> None:
    op.execute(f"CREATE VIRTUAL TABLE open_ticket_fts USING fts5(subject, facets, {_FTS})")
    op.execute(f"CREATE VIRTUAL TABLE open_message_fts USING fts5(body, facets, {_FTS})")
    op.execute(
        "INSERT INTO open_ticket_fts(rowid, subject, facets) "
        f"SELECT t.id, t.subject, {FACETS} FROM ticket t WHERE t.status IN {_OPEN}"
    )
    op.execute(
        f"INSERT INTO open_message_fts(rowid, body, facets) SELECT {_message_row('m')} "
        f"FROM ticket t JOIN message m ON m.ticket_id = t.id WHERE t.status IN {_OPEN} "
        "ORDER BY m.id"
    )
    for name in ("open_ticket_fts", "open_message_fts"):  # one segment each, to start with
        op.execute(f"INSERT INTO {name}({name}) VALUES ('optimize')")
    for name, (when, body) in _TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body}END")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS open_message_fts")
    op.execute("DROP TABLE IF EXISTS open_ticket_fts")
