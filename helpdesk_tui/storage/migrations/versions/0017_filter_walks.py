"""filter walks: every filter of every view is an index walk of its own

Every built-in view lists its statuses by ``updated_at``; ``desk/queue.py`` reads each status
as its own index range. Migration 0009 gave the views and the sorts their ranges; a filter
(team, category, type, priority, tag) was then checked row by row along the view's walk, so
at 1M tickets a page of a filter read several pages' worth of tickets. Here each filter gets
the view's range behind it, ``(filter, status, updated_at, id)``, and the same after the
assignee for "My open" and "Unassigned":

- ``(category|type|priority, status)`` of 0009 become ``(…, status, updated_at, id)`` (the
  team's has existed since 0001); ``(assignee_id, <filter>, status, updated_at, id)`` are new.
- ``ticket_tag`` gets copies of its ticket's ``status``, ``updated_at`` and ``assignee_id``,
  kept by triggers (on a tag's insert unless the writer gave them, and on a change of any of
  the three on the ticket), so that a tag filter walks ``(tag_id, status, updated_at,
  ticket_id)`` or ``(tag_id, assignee_id, status, updated_at, ticket_id)``.

Revision ID: 0017
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILTERS = ("category", "type", "priority")
"""Ticket columns a filter names, whose ``(column, status)`` index of 0009 is replaced."""

_TICKET_INDEXES = {
    **{
        f"ix_ticket_{name}_status_updated": [name, "status", "updated_at", "id"] for name in FILTERS
    },
    **{
        f"ix_ticket_assignee_{name}_status_updated": [
            "assignee_id",
            name,
            "status",
            "updated_at",
            "id",
        ]
        for name in ("team_id", *FILTERS)
    },
}
_TAG_INDEXES = {
    "ix_ticket_tag_status_updated": ["tag_id", "status", "updated_at", "ticket_id"],
    "ix_ticket_tag_assignee_status_updated": [
        "tag_id",
        "assignee_id",
        "status",
        "updated_at",
        "ticket_id",
    ],
}

_SQLITE_TRIGGERS = {
    "ticket_tag_keys_ai": (
        "AFTER INSERT ON ticket_tag WHEN new.status IS NULL BEGIN "
        "UPDATE ticket_tag SET (status, updated_at, assignee_id) = "
        "(SELECT status, updated_at, assignee_id FROM ticket WHERE id = new.ticket_id) "
        "WHERE ticket_id = new.ticket_id AND tag_id = new.tag_id; END"
    ),
    "ticket_tag_keys_au": (
        "AFTER UPDATE OF status, updated_at, assignee_id ON ticket "
        "WHEN old.status IS NOT new.status OR old.updated_at IS NOT new.updated_at "
        "OR old.assignee_id IS NOT new.assignee_id BEGIN "
        "UPDATE ticket_tag SET status = new.status, updated_at = new.updated_at, "
        "assignee_id = new.assignee_id WHERE ticket_id = new.id; END"
    ),
}

_PG_FUNCTIONS = {
    "ticket_tag_keys": (
        "BEGIN SELECT status, updated_at, assignee_id "
        "INTO NEW.status, NEW.updated_at, NEW.assignee_id "
        "FROM ticket WHERE id = NEW.ticket_id; RETURN NEW; END"
    ),
    "ticket_tag_follow": (
        "BEGIN UPDATE ticket_tag SET status = NEW.status, updated_at = NEW.updated_at, "
        "assignee_id = NEW.assignee_id WHERE ticket_id = NEW.id; RETURN NULL; END"
    ),
}
_PG_TRIGGERS = {
    "ticket_tag_keys": (
        "ticket_tag",
        "BEFORE INSERT ON ticket_tag FOR EACH ROW WHEN (NEW.status IS NULL) "
        "EXECUTE FUNCTION ticket_tag_keys()",
    ),
    "ticket_tag_follow": (
        "ticket",
        "AFTER UPDATE OF status, updated_at, assignee_id ON ticket FOR EACH ROW "
        "WHEN (OLD.status IS DISTINCT FROM NEW.status "
        "OR OLD.updated_at IS DISTINCT FROM NEW.updated_at "
        "OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id) "
        "EXECUTE FUNCTION ticket_tag_follow()",
    ),
}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("ticket_tag", sa.Column("status", sa.String(20), nullable=True))
    op.add_column("ticket_tag", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("ticket_tag", sa.Column("assignee_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE ticket_tag SET status = ticket.status, updated_at = ticket.updated_at, "
        "assignee_id = ticket.assignee_id FROM ticket WHERE ticket.id = ticket_tag.ticket_id"
    )
    if sqlite:
        for name, body in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    else:
        for name, body in _PG_FUNCTIONS.items():
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$")
        for name, (_table, body) in _PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    for name in FILTERS:
        op.drop_index(f"ix_ticket_{name}_status", table_name="ticket")
    op.drop_index("ix_ticket_tag_tag", table_name="ticket_tag")
    for name, columns in _TICKET_INDEXES.items():
        op.create_index(name, "ticket", columns)
    for name, columns in _TAG_INDEXES.items():
        op.create_index(name, "ticket_tag", columns)
    # The new indexes and columns have no statistics yet, beside the old ones' (the desk
    # keeps its own, ``storage/database.py``; sampled on SQLite, quick at 1M tickets).
    op.execute("ANALYZE ticket")
    op.execute("ANALYZE ticket_tag")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name in _TAG_INDEXES:
        op.drop_index(name, table_name="ticket_tag")
    for name in _TICKET_INDEXES:
        op.drop_index(name, table_name="ticket")
    op.create_index("ix_ticket_tag_tag", "ticket_tag", ["tag_id", "ticket_id"])
    for name in FILTERS:
        op.create_index(f"ix_ticket_{name}_status", "ticket", [name, "status"])
    if sqlite:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        for name, (table, _body) in _PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER {name} ON {table}")
        for name in _PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
    with op.batch_alter_table("ticket_tag") as batch:
        for column in ("assignee_id", "updated_at", "status"):
            batch.drop_column(column)
