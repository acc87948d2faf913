"""Fast bulk inserts for the demo generator: ready-made values straight to the driver.

SQLAlchemy's per-value type processing costs more than SQLite's own insert work at a
hundred thousand tickets, so the demo hands the driver ready-made values instead:
``stamper`` (:mod:`helpdesk_tui.storage.driver_rows`, which the mail intake's inserts use
too) turns naive UTC datetimes into exactly what ``UTCDateTime`` would have bound (it checks
itself against the real type on start, and falls back to it if they ever differ),
and ``insert_batch`` writes a batch in few statements (SQLite) or one pipeline (PostgreSQL),
on a connection of the load's own that ``prepare_load`` has set up.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table

from helpdesk_tui.desk import report_rollups
from helpdesk_tui.desk.demo_story import (
    EVENT_COLUMNS,
    MESSAGE_COLUMNS,
    REPORT_REPLY_VALUES,
    TICKET_COLUMNS,
    TICKET_TAG_COLUMNS,
    Batch,
    Values,
)
from helpdesk_tui.desk.report_catchup import (
    REPORT_REPLY_COLUMNS,
    REPORT_TICKET_COLUMNS,
    counted_reply,
)
from helpdesk_tui.desk.report_service import Written
from helpdesk_tui.storage.driver_rows import copy_rows

# Below SQLite's 32,766 bound parameters per statement.
_MAX_PARAMETERS = 30_000
# Only for the load's own connection (``Database.own_connection``): SQLite's default 2 MB page
# cache rereads the indexes' pages from the file over and over once they outgrow it; the
# staging tables stay in memory; fewer, larger WAL checkpoints copy a hot page once, not
# every few batches.
_SQLITE_LOAD_PRAGMAS = ("cache_size = -65536", "temp_store = MEMORY", "wal_autocheckpoint = 10000")
_STAGE = "temp.demo_stage_"


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def prepare_load(conn: Connection) -> None:
    """Make ``conn``, a connection of the load's own, ready for ``insert_batch``.

    SQLite: the load's PRAGMAs, and a staging table (in ``temp``, this connection's own,
    without triggers or indexes) for each table with a full-text trigger.
    """
    if conn.dialect.name != "sqlite":
        return
    driver = conn.connection.driver_connection
    assert driver is not None
    for pragma in _SQLITE_LOAD_PRAGMAS:
        driver.execute(f"PRAGMA {pragma}")
    for table, columns in _STAGED.items():
        driver.execute(
            f"CREATE TEMP TABLE {_STAGE}{table} AS SELECT {', '.join(columns)} "
            f"FROM main.{table} WHERE 0"
        )


def insert_batch(conn: Connection, batch: Batch) -> Written:
    """Insert one batch of demo tickets with their messages, events and tags, and the
    report rows the batch carries; what the report catch-up need not replay."""
    if conn.dialect.name == "sqlite":
        ids = _insert_batch_sqlite(conn, batch)
    else:
        ids = _insert_batch_postgresql(conn, batch)
    return _insert_report(conn, batch, ids)


def _insert_batch_postgresql(conn: Connection, batch: Batch) -> dict[int, int]:
    """Each table's rows in one COPY; the ticket ids come back by number, a block this run
    reserved for itself. Returns the ids by number."""
    _copy(conn, "ticket", TICKET_COLUMNS, batch.tickets)
    first, last = _numbers(batch)
    ids: dict[int, int] = {
        number: ticket_id
        for number, ticket_id in conn.exec_driver_sql(
            "SELECT number, id FROM ticket WHERE number BETWEEN %s AND %s", (first, last)
        )
    }
    for table, columns, values in _children(batch):
        width = len(columns)
        values[::width] = [ids[number] for number in values[::width]]
        _copy(conn, table, columns, values)
    return ids


def _insert_report(conn: Connection, batch: Batch, ids: dict[int, int]) -> Written:
    """The batch's ``report_ticket`` and ``report_reply`` rows and their rollups, in the
    transaction that adds the tickets: these tickets are new, so the rows are current when
    it commits, and any later change of them leaves an event past ``Written.top``.

    A reply's event id is read back: the batch's agent replies in id order are the story's
    in its order (one statement inserted them in that order)."""
    first, last = _numbers(batch)
    top = int(conn.exec_driver_sql("SELECT max(id) FROM event").scalar_one())
    width = len(REPORT_TICKET_COLUMNS)
    values = batch.report_tickets
    values[1::width] = [ids[number] for number in values[1::width]]
    numbers = {ticket_id: number for number, ticket_id in ids.items()}
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    # (kind = 'reply' only narrows the read; counted_reply decides, as in a replay)
    replies = [
        event_id
        for event_id, ticket_id, kind, agent_id in conn.exec_driver_sql(
            "SELECT id, ticket_id, kind, actor_agent_id FROM event "
            f"WHERE ticket_id BETWEEN {mark} AND {mark} AND kind = 'reply' ORDER BY id",
            (min(numbers), max(numbers)),
        )
        if counted_reply(kind, agent_id) and ticket_id in numbers
    ]
    step = len(REPORT_REPLY_VALUES)
    assert len(replies) * step == len(batch.report_replies), "replies do not match"
    rows: Values = []
    for event_id, at in zip(replies, range(0, len(batch.report_replies), step), strict=True):
        rows.append(event_id)
        rows.extend(batch.report_replies[at : at + step])
    _insert(conn, "report_ticket", REPORT_TICKET_COLUMNS, values)
    _insert(conn, "report_reply", REPORT_REPLY_COLUMNS, rows)
    report_rollups.apply(conn, batch.rollups)
    return Written(first, last, top)


def _insert(conn: Connection, table: str, columns: tuple[str, ...], values: Values) -> None:
    if conn.dialect.name == "sqlite":
        _insert_values(conn, f"main.{table}", columns, values)
    else:
        _copy(conn, table, columns, values)


def _numbers(batch: Batch) -> tuple[int, int]:
    """The first and the last ticket number in ``batch``."""
    first: int = batch.tickets[0]
    last: int = batch.tickets[-len(TICKET_COLUMNS)]
    return first, last


def _copy(conn: Connection, table: str, columns: Sequence[str], values: Sequence[Any]) -> None:
    """``values`` (flat, a row after another) into ``table`` by one binary ``COPY``."""
    if values:
        copy_rows(conn, table, columns, zip(*[iter(values)] * len(columns), strict=True))


_STAGED = {"ticket": TICKET_COLUMNS, "message": MESSAGE_COLUMNS}


def _children(batch: Batch) -> tuple[tuple[str, tuple[str, ...], Values], ...]:
    return (
        ("message", MESSAGE_COLUMNS, batch.messages),
        ("event", EVENT_COLUMNS, batch.events),
        ("ticket_tag", TICKET_TAG_COLUMNS, batch.ticket_tags),
    )


def _insert_batch_sqlite(conn: Connection, batch: Batch) -> dict[int, int]:
    """Tickets and messages through their staging tables, events and tags straight in.

    SQLite's full-text triggers flush their index at the end of every statement, so one
    statement per table and batch is several times faster than many: tickets and messages
    are staged (many rows per statement) and then moved in one ``INSERT ... SELECT`` each.
    The tickets get consecutive ids in this transaction (it holds the write lock), so a
    child's ticket id is its ticket number plus one offset, checked at both ends of the
    batch; events and tags then go straight into their tables, the tags before the
    messages: an open ticket's tag rewrites its rows in the open tickets' search index
    (migration 0026), which holds its subject alone until its messages come in with their
    facets. Returns the ticket ids by number.
    """
    first, last = _numbers(batch)
    _insert_values(conn, f"{_STAGE}ticket", TICKET_COLUMNS, batch.tickets)
    names = ", ".join(TICKET_COLUMNS)
    conn.exec_driver_sql(
        f"INSERT INTO main.ticket ({names}) SELECT {names} FROM {_STAGE}ticket ORDER BY rowid"
    )
    first_id, last_id, count = conn.exec_driver_sql(
        "SELECT min(id), max(id), count(*) FROM main.ticket WHERE number BETWEEN ? AND ?",
        (first, last),
    ).one()
    assert last_id - first_id + 1 == count == last - first + 1, "ticket ids not consecutive"
    offset = first_id - first
    for table, columns, values in (
        ("event", EVENT_COLUMNS, batch.events),
        ("ticket_tag", TICKET_TAG_COLUMNS, batch.ticket_tags),
    ):
        step = len(columns)
        values[::step] = [number + offset for number in values[::step]]
        _insert_values(conn, f"main.{table}", columns, values)
    _insert_values(conn, f"{_STAGE}message", MESSAGE_COLUMNS, batch.messages)
    rest = ", ".join(MESSAGE_COLUMNS[1:])
    conn.exec_driver_sql(
        f"INSERT INTO main.message ({', '.join(MESSAGE_COLUMNS)}) "
        f"SELECT ticket_id + ?, {rest} FROM {_STAGE}message ORDER BY rowid",
        (offset,),
    )
    for table in _STAGED:
        conn.exec_driver_sql(f"DELETE FROM {_STAGE}{table}")
    return {number: number + offset for number in range(first, last + 1)}


def _insert_values(conn: Connection, table: str, columns: tuple[str, ...], values: Values) -> None:
    """``values`` into ``table``, many rows per ``INSERT ... VALUES`` statement.

    One bind per value, and no parsing but for the last, shorter chunk: every full chunk
    has the same statement, which the driver keeps prepared.
    """
    width = len(columns)
    step = max(1, _MAX_PARAMETERS // width) * width
    for start in range(0, len(values), step):
        chunk = tuple(values[start : start + step])
        conn.exec_driver_sql(_values_sql(table, columns, len(chunk) // width), chunk)


@lru_cache(maxsize=64)
def _values_sql(table: str, columns: tuple[str, ...], rows: int) -> str:
    row_sql = "(" + ", ".join("?" * len(columns)) + ")"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([row_sql] * rows)
