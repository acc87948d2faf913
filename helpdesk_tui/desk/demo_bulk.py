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

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table

from helpdesk_tui.desk import report_rollups
from helpdesk_tui.desk.demo_story import (
    EVENT_COLUMNS,
    MESSAGE_COLUMNS,
    OUTBOX_COLUMNS,
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
# staging tables stay in memory; it never checkpoints: a ``Pacer`` copies its WAL.
_SQLITE_LOAD_PRAGMAS = ("cache_size = -65536", "temp_store = MEMORY", "wal_autocheckpoint = 0")
WAL_BATCHES = 4
"""SQLite: the most batches the load's WAL holds before the load waits for it to be copied
into the database file (see ``Pacer``)."""
LOCK_GAP = 0.1
"""SQLite: seconds the load leaves the write lock free after each batch (see ``Pacer``)."""
_STAGE = "temp.demo_stage_"


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def prepare_load(conn: Connection) -> None:
    """Make ``conn``, a connection of the load's own, ready for ``insert_batch``.

    SQLite: the load's PRAGMAs, and a staging table (in ``temp``, this connection's own,
    without triggers or indexes) for each table with a full-text trigger.
    """
    driver = _sqlite_driver(conn)
    if driver is None:
        return
    for pragma in _SQLITE_LOAD_PRAGMAS:
        driver.execute(f"PRAGMA {pragma}")
    for table, columns in _STAGED.items():
        driver.execute(
            f"CREATE TEMP TABLE {_STAGE}{table} AS SELECT {', '.join(columns)} "
            f"FROM main.{table} WHERE 0"
        )


class Pacer:
    """The load's pace on SQLite: the gaps it leaves agents between its transactions, and
    its WAL copied into the database file on a thread and connection of its own.

    At 1M tickets a batch of 4,000 writes ≈ 80 MB of WAL frames (its random-keyed index
    leaves), and the commit that passed ``wal_autocheckpoint`` copied them on the load's
    thread: its CPU and two ``fsync`` s, 0.2 to 0.5 s a batch while the one thread that
    bounds the rate waited (``benchmarks/README.md``). Here the load's connection never
    checkpoints (``prepare_load``); after each commit ``PRAGMA wal_checkpoint(PASSIVE)``
    runs on the other connection while the next batch goes in. A passive checkpoint neither
    waits for nor blocks a reader or a writer; an agent's commit meanwhile finds the
    checkpoint lock taken, and its own automatic checkpoint gives up at once.

    SQLite writes the WAL from its start again only when a write transaction begins with
    every frame of it copied, so before every ``WAL_BATCHES``-th batch the load waits for
    the copy of the batch before it: the WAL holds at most that many batches' frames (a
    reader that keeps an old snapshot holds any checkpoint back, as before), and ``close``
    empties it after the load.

    The commit's checkpoint also left the write lock free for its time, and agents waiting
    for it took it then. So the load leaves it free at least ``LOCK_GAP`` after each commit
    (staging its next batch meanwhile): SQLite's busy handler sleeps at most 100 ms between
    tries, so a writer that waits for the lock (an agent's reply, a heartbeat) takes it in
    the gap, behind one batch at most.
    """

    def __init__(self, own: Connection, pool: ThreadPoolExecutor) -> None:
        self._driver = own.connection.driver_connection
        self._pool = pool
        self._copying: Future[None] | None = None
        self._batches = 0  # in the WAL since it last started over
        self._committed: float | None = None

    def before(self) -> None:
        """Before a batch's transaction: the gap, and the copy if the WAL is to start over."""
        if self._batches >= WAL_BATCHES:
            self.wait()
            self._batches = 0
        if self._committed is not None:
            rest = self._committed + LOCK_GAP - time.monotonic()
            if rest > 0:
                time.sleep(rest)

    def after(self) -> None:
        """After a batch committed: copy what the WAL holds (the last copy has had a
        batch's time to end)."""
        self._committed = time.monotonic()
        self._batches += 1
        self.wait()
        self._copying = self._pool.submit(self._checkpoint)

    def wait(self) -> None:
        """Until the last copy has ended."""
        if self._copying is not None:
            self._copying.result()
            self._copying = None

    def close(self) -> None:
        """After the load (and what follows it, the load's connections closed too): wait for
        the last copy, then empty the WAL file if nobody is using it right now, so that it
        does not keep the size of the load's batches on disk for as long as the desk is
        open. The truncating checkpoint takes the write lock and needs every reader out of
        the WAL: it gives up at once rather than wait (``busy_timeout = 0``)."""
        self.wait()
        assert self._driver is not None
        self._driver.execute("PRAGMA busy_timeout = 0")
        self._driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def _checkpoint(self) -> None:
        assert self._driver is not None
        self._driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _sqlite_driver(conn: Connection) -> Any:
    """The load's own ``sqlite3`` connection under ``conn``; None on PostgreSQL."""
    if conn.dialect.name != "sqlite":
        return None
    driver = conn.connection.driver_connection
    assert driver is not None
    return driver


def stage_batch(conn: Connection, batch: Batch) -> None:
    """SQLite: the batch's tickets and messages into the load's staging tables, before its
    transaction (they are this connection's ``temp`` tables: no lock on the desk), for
    ``insert_batch`` to move. Nothing to do on PostgreSQL."""
    driver = _sqlite_driver(conn)
    if driver is None:
        return
    for table in _STAGED:
        driver.execute(f"DELETE FROM {_STAGE}{table}")
    _insert_values(driver.execute, f"{_STAGE}ticket", TICKET_COLUMNS, batch.tickets)
    _insert_values(driver.execute, f"{_STAGE}message", MESSAGE_COLUMNS, batch.messages)


def insert_batch(conn: Connection, batch: Batch) -> Written:
    """Insert one batch of demo tickets with their messages, events and tags, and the
    report rows the batch carries (on SQLite after ``stage_batch``); what the report
    catch-up need not replay."""
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
        _insert_values(conn.exec_driver_sql, f"main.{table}", columns, values)
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
        ("outbox", OUTBOX_COLUMNS, batch.outbox),
    )


def _insert_batch_sqlite(conn: Connection, batch: Batch) -> dict[int, int]:
    """Tickets and messages through their staging tables; events, tags and the surveys'
    outbox rows straight in.

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
        ("outbox", OUTBOX_COLUMNS, batch.outbox),
    ):
        step = len(columns)
        values[::step] = [number + offset for number in values[::step]]
        _insert_values(conn.exec_driver_sql, f"main.{table}", columns, values)
    rest = ", ".join(MESSAGE_COLUMNS[1:])
    conn.exec_driver_sql(
        f"INSERT INTO main.message ({', '.join(MESSAGE_COLUMNS)}) "
        f"SELECT ticket_id + ?, {rest} FROM {_STAGE}message ORDER BY rowid",
        (offset,),
    )
    return {number: number + offset for number in range(first, last + 1)}


def _insert_values(
    execute: Callable[[str, tuple[Any, ...]], object],
    table: str,
    columns: tuple[str, ...],
    values: Values,
) -> None:
    """``values`` into ``table``, many rows per ``INSERT ... VALUES`` statement.

    One bind per value, and no parsing but for the last, shorter chunk: every full chunk
    has the same statement, which the driver keeps prepared.
    """
    width = len(columns)
    step = max(1, _MAX_PARAMETERS // width) * width
    for start in range(0, len(values), step):
        chunk = tuple(values[start : start + step])
        execute(_values_sql(table, columns, len(chunk) // width), chunk)


@lru_cache(maxsize=64)
def _values_sql(table: str, columns: tuple[str, ...], rows: int) -> str:
    row_sql = "(" + ", ".join("?" * len(columns)) + ")"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([row_sql] * rows)
