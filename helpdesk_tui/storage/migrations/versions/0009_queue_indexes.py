"""queue sort keys and indexes: every view, sort and filter of the queue is an index walk

The queue lists tickets of one or more statuses (optionally of one assignee) in one of nine
orders. ``desk/queue.py`` reads each status as its own index range and merges the ranges, so
every order needs an index ``(status, key, id)`` and, for "My open" and "Unassigned",
``(assignee_id, status, key, id)``.

Three sort keys are not plain columns today; they become columns here, kept by the database
so that every writer (the desk's rules, mail intake, the demo's bulk load) stays right:

- ``requester_sort`` / ``assignee_sort``: the requester's name and the assignee's login,
  copied onto the ticket by triggers (on ticket insert and on a change of requester or
  assignee, and on a contact's rename or an agent's login change), so that sorting by them
  walks an index instead of running a subquery per ticket.
- ``sla_due_at``: the SLA deadline still running while a ticket is open (the first
  response's until it is made, then the resolution's), a generated column.

The old ``(priority_rank, created_at, id)`` index is replaced: the queue's priority order
is ``(priority_rank, id)`` within a status; ``(category)`` becomes ``(category, status)``,
and type and priority get ``(type, status)`` / ``(priority, status)``, so that a filter
rare in a view is found through its own index.

Revision ID: 0009
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLA_DUE = (
    "CASE WHEN first_response_at IS NULL AND response_due_at IS NOT NULL "
    "THEN response_due_at ELSE resolution_due_at END"
)
"""Must stay equal to ``Ticket.sla_due_at``'s ``Computed`` expression in the models."""

# The queue's sort keys, as index columns after the status (``id`` breaks ties).
KEYS: dict[str, tuple[str, ...]] = {
    "created": ("created_at", "id"),
    "number": ("number", "id"),
    "subject": ("subject", "id"),
    "priority": ("priority_rank", "id"),
    "requester": ("requester_sort", "id"),
    "assignee": ("assignee_sort", "id"),
    "sla": ("sla_due_at", "id"),
    "id": ("id",),
}
# ("updated" has had ix_ticket_status_updated and ix_ticket_assignee_status_updated since 0001.)
ASSIGNEE_KEYS = [name for name in KEYS if name != "assignee"]
"""Under one assignee the assignee order is constant: their ``id`` index serves it."""


FILTERS = {
    "ix_ticket_category_status": ["category", "status"],
    "ix_ticket_type_status": ["type", "status"],
    "ix_ticket_priority_status": ["priority", "status"],
}
"""A filter that is rare in a view is read through its own index (``desk/queue.py``)."""


def _indexes() -> list[tuple[str, list[str]]]:
    made = [*FILTERS.items()]
    made += [(f"ix_ticket_status_{name}", ["status", *KEYS[name]]) for name in KEYS]
    made += [
        (f"ix_ticket_assignee_status_{name}", ["assignee_id", "status", *KEYS[name]])
        for name in ASSIGNEE_KEYS
    ]
    return made


_SQLITE_TRIGGERS = {
    "ticket_sort_ai": (
        "AFTER INSERT ON ticket BEGIN "
        "UPDATE ticket SET "
        "requester_sort = coalesce((SELECT name FROM contact WHERE id = new.requester_id), ''), "
        "assignee_sort = coalesce((SELECT login FROM agent WHERE id = new.assignee_id), '') "
        "WHERE id = new.id; END"
    ),
    "ticket_sort_au": (
        "AFTER UPDATE OF requester_id, assignee_id ON ticket BEGIN "
        "UPDATE ticket SET "
        "requester_sort = coalesce((SELECT name FROM contact WHERE id = new.requester_id), ''), "
        "assignee_sort = coalesce((SELECT login FROM agent WHERE id = new.assignee_id), '') "
        "WHERE id = new.id; END"
    ),
    "contact_sort_au": (
        "AFTER UPDATE OF name ON contact BEGIN "
        "UPDATE ticket SET requester_sort = new.name WHERE requester_id = new.id; END"
    ),
    "agent_sort_au": (
        "AFTER UPDATE OF login ON agent BEGIN "
        "UPDATE ticket SET assignee_sort = new.login WHERE assignee_id = new.id; END"
    ),
}

_PG_FUNCTIONS = {
    "ticket_sort_keys": (
        "BEGIN "
        "NEW.requester_sort := "
        "coalesce((SELECT name FROM contact WHERE id = NEW.requester_id), ''); "
        "NEW.assignee_sort := "
        "coalesce((SELECT login FROM agent WHERE id = NEW.assignee_id), ''); "
        "RETURN NEW; END"
    ),
    "contact_sort_key": (
        "BEGIN UPDATE ticket SET requester_sort = NEW.name WHERE requester_id = NEW.id "
        "AND requester_sort IS DISTINCT FROM NEW.name; RETURN NULL; END"
    ),
    "agent_sort_key": (
        "BEGIN UPDATE ticket SET assignee_sort = NEW.login WHERE assignee_id = NEW.id "
        "AND assignee_sort IS DISTINCT FROM NEW.login; RETURN NULL; END"
    ),
}
_PG_TRIGGERS = {
    "ticket_sort_keys": "BEFORE INSERT OR UPDATE OF requester_id, assignee_id ON ticket "
    "FOR EACH ROW EXECUTE FUNCTION ticket_sort_keys()",
    "contact_sort_key": "AFTER UPDATE OF name ON contact "
    "FOR EACH ROW EXECUTE FUNCTION contact_sort_key()",
    "agent_sort_key": "AFTER UPDATE OF login ON agent "
    "FOR EACH ROW EXECUTE FUNCTION agent_sort_key()",
}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute("ALTER TABLE ticket ADD COLUMN requester_sort VARCHAR(200) DEFAULT '' NOT NULL")
    op.execute("ALTER TABLE ticket ADD COLUMN assignee_sort VARCHAR(64) DEFAULT '' NOT NULL")
    if sqlite:
        op.execute(
            f"ALTER TABLE ticket ADD COLUMN sla_due_at DATETIME GENERATED ALWAYS AS ({SLA_DUE}) "
            "VIRTUAL"
        )
    else:
        op.execute(
            "ALTER TABLE ticket ADD COLUMN sla_due_at TIMESTAMP WITH TIME ZONE "
            f"GENERATED ALWAYS AS ({SLA_DUE}) STORED"
        )
    op.execute(
        "UPDATE ticket SET "
        "requester_sort = coalesce((SELECT name FROM contact WHERE contact.id = "
        "ticket.requester_id), ''), "
        "assignee_sort = "
        "coalesce((SELECT login FROM agent WHERE agent.id = ticket.assignee_id), '') "
        "WHERE requester_id IS NOT NULL OR assignee_id IS NOT NULL"
    )
    if sqlite:
        for name, body in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    else:
        for name, body in _PG_FUNCTIONS.items():
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$")
        for name, body in _PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    op.drop_index("ix_ticket_priority_rank_created", table_name="ticket")
    op.drop_index("ix_ticket_category", table_name="ticket")
    for name, columns in _indexes():
        op.create_index(name, "ticket", columns)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, _columns in reversed(_indexes()):
        op.drop_index(name, table_name="ticket")
    op.create_index(
        "ix_ticket_priority_rank_created", "ticket", ["priority_rank", "created_at", "id"]
    )
    if sqlite:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        for name in _PG_TRIGGERS:
            table = {"ticket_sort_keys": "ticket", "contact_sort_key": "contact"}.get(name, "agent")
            op.execute(f"DROP TRIGGER {name} ON {table}")
        for name in _PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
    for column in ("sla_due_at", "assignee_sort", "requester_sort"):
        op.execute(f"ALTER TABLE ticket DROP COLUMN {column}")
