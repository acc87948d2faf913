"""a new ticket's sort keys are written once: SQLite's insert trigger updates only wrong ones

Migration 0009's ``ticket_sort_ai`` copied the requester's name and the assignee's login
onto every ticket inserted on SQLite by an ``UPDATE`` of the row just written: the row a
second time, and its keys in the indexes by requester and assignee (by everyone's and by
the agent's) moved from ``''`` to their place. A writer that already knows the keys (the
demo's bulk load) paid that for nothing: ≈ 30 µs a ticket of the load's ≈ 220 at 1M
tickets (``benchmarks/README.md``). The trigger now runs its update only ``WHEN`` a key
differs from what it would write, so the database still keeps every writer's keys right
(a wrong or missing key is corrected as before) and a right one is left alone.
PostgreSQL's ``BEFORE INSERT`` trigger sets the keys in the row being written: no change.

Revision ID: 0033
Revises: 0028
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0033"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REQUESTER = "coalesce((SELECT name FROM contact WHERE id = new.requester_id), '')"
_ASSIGNEE = "coalesce((SELECT login FROM agent WHERE id = new.assignee_id), '')"
_UPDATE = (
    f"BEGIN UPDATE ticket SET requester_sort = {_REQUESTER}, assignee_sort = {_ASSIGNEE} "
    "WHERE id = new.id; END"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER ticket_sort_ai")
    op.execute(
        "CREATE TRIGGER ticket_sort_ai AFTER INSERT ON ticket "
        f"WHEN new.requester_sort IS NOT {_REQUESTER} "
        f"OR new.assignee_sort IS NOT {_ASSIGNEE} {_UPDATE}"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER ticket_sort_ai")
    op.execute(f"CREATE TRIGGER ticket_sort_ai AFTER INSERT ON ticket {_UPDATE}")
