"""A ticket a writer changes, on Core tables: loaded under a write lock, its changed columns
written back with one UPDATE.

The desk's rules (``fields``, ``thread``, ``history``, ``tags``…) change a ticket through
:class:`TicketState`: the columns they read and set. :class:`TicketRecord` is that state
read with Core (the facade's writes, which never import the ORM); an ORM ``Ticket`` has the
same attributes, so a writer still on the ORM (intake, merge, macros) passes its own object
to the same rules and the session flushes what they set. One rule, either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import TextualSelect, text

from helpdesk_tui.desk import sla_marks
from helpdesk_tui.desk.errors import NotFound
from helpdesk_tui.storage.core_tables import Ticket, ticket
from helpdesk_tui.storage.core_text import column_names, insert_returning, update_by_id
from helpdesk_tui.storage.database import connection_of

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader


class TicketState(Protocol):
    """What the rules read and set on a ticket (an ORM ``Ticket`` or a :class:`TicketRecord`)."""

    @property
    def id(self) -> int | None: ...
    @property
    def number(self) -> int: ...
    @property
    def subject(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def merged_into_id(self) -> int | None: ...

    requester_id: int | None
    status: str
    priority: str
    priority_rank: int
    type: str
    category: str | None
    team_id: int | None
    assignee_id: int | None
    tier: int
    reply_to: str | None
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int


@dataclass(eq=False)
class TicketRecord:
    """A ticket's row as a writer holds it; the columns set since loading are ``changed``."""

    id: int
    number: int
    subject: str
    channel: str
    created_at: datetime
    merged_into_id: int | None
    requester_id: int | None
    status: str
    priority: str
    priority_rank: int
    type: str
    category: str | None
    team_id: int | None
    assignee_id: int | None
    tier: int
    reply_to: str | None
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    reply_due_at: datetime | None
    reply_started_at: datetime | None
    sla_alert_at: datetime | None
    """The SLA clocks' columns: ``sla_clock`` alone sets them (:func:`save`)."""
    changed: set[str] = field(default_factory=set, repr=False)

    def __setattr__(self, name: str, value: Any) -> None:
        # (``changed`` is the last field: the fields set before it are the loaded row)
        if "changed" in self.__dict__ and self.__dict__.get(name, _UNSET) != value:
            self.changed.add(name)
        object.__setattr__(self, name, value)


_UNSET = object()
_COLUMNS = [Ticket[name] for name in TicketRecord.__dataclass_fields__ if name != "changed"]


@cache
def _load_statement(lock: bool) -> TextualSelect:
    """Every writer's first read, as SQL text made once (``FOR UPDATE``: PostgreSQL's row
    lock; SQLite has none, its writer holds the database's): SQLAlchemy compiled
    ``select(*_COLUMNS)`` anew in every command (≈ 1.5 ms, a write's costliest compile;
    the text ≈ 0.3). The columns' types read the row (datetimes on SQLite)."""
    locked = " FOR UPDATE" if lock else ""
    return text(
        f"SELECT {column_names(_COLUMNS)} FROM ticket WHERE number = :number{locked}"
    ).columns(*_COLUMNS)


def add(reader: Reader, **values: Any) -> TicketRecord:
    """A new ticket of these column values, as stored (``RETURNING``: no read after the
    insert; the inserting transaction holds the new row as :func:`load_for_update` would)."""
    conn = connection_of(reader)
    returned = tuple(column.name for column in _COLUMNS)
    # (SQL text made once: ``storage/core_text``)
    statement = insert_returning(conn.dialect, ticket, tuple(values), returned)
    return TicketRecord(*conn.execute(statement, values).one())


def load_for_update(reader: Reader, number: int) -> TicketRecord:
    """Ticket ``number`` under a write lock (PostgreSQL's row lock; SQLite's writer holds
    the database's), or :class:`NotFound`."""
    return load(reader, number, for_update=True)


def load(reader: Reader, number: int, *, for_update: bool = False) -> TicketRecord:
    """Ticket ``number`` (under a write lock with ``for_update``), or :class:`NotFound`."""
    conn = connection_of(reader)
    statement = _load_statement(for_update and conn.dialect.name != "sqlite")
    row = conn.execute(statement, {"number": number}).first()
    if row is None:
        raise NotFound(f"no ticket #{number}")
    return TicketRecord(*row)


def save(reader: Reader, record: TicketRecord) -> None:
    """Write the columns set since loading (or the last save), in one UPDATE.

    A ticket an event of this transaction marked for its SLA clocks (``sla_marks``) has
    them recomputed first, into the same UPDATE: the commit's recompute would write the
    row a second time (every index of the ticket table again)."""
    sla_marks.settle_record(reader, record)
    if record.changed:
        names = tuple(sorted(record.changed))
        values = {name: getattr(record, name) for name in names}
        # (SQL text made once per set of columns: ``storage/core_text``)
        conn = connection_of(reader)
        statement = update_by_id(conn.dialect, ticket, names)
        conn.execute(statement, {**values, "row_id": record.id})
        record.changed.clear()
