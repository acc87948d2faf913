"""Online backups of a desk, and restoring one into a new desk.

SQLite: the backup API copies the whole database in one step under one read transaction,
so the copy is consistent however many agents write meanwhile (WAL lets them go on). The
copy is a single self-contained file (rollback journal, not WAL), private to its maker.
PostgreSQL: ``pg_dump``/``pg_restore`` (custom format), with the password handed over in the
environment, never on a command line others can see.
A SQLite backup also fills a new PostgreSQL desk (a team's desk that outgrew SQLite): its rows
are copied table by table in one transaction (:func:`_copy_sqlite_into`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Connection, MetaData, Table, bindparam, func, insert, select, text
from sqlalchemy.engine import make_url

from helpdesk_tui.storage.database import Database


class BackupError(Exception):
    """The backup or restore could not be made; the message says why and what to do."""


def backup(db: Database, target: Path) -> None:
    """Write a consistent copy of the desk to ``target``, which must not exist yet."""
    if db.is_sqlite:
        _backup_sqlite(db, target)
    else:
        _pg_tool("pg_dump", db, ["--format=custom", f"--file={target}"])


def restore(db: Database, source: Path) -> None:
    """Replace the contents of ``db`` with the backup in ``source``."""
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    if db.is_sqlite:
        _restore_sqlite(db, source)
    elif backup_revisions(source):
        _copy_sqlite_into(db, source)
    else:
        _pg_tool(
            "pg_restore",
            db,
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(source)],
        )
    db.dispose()


def backup_revisions(source: Path) -> frozenset[str]:
    """The schema revisions a SQLite backup holds (empty when it is not a desk)."""
    try:
        with contextlib.closing(_read_only(source)) as conn:
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError:
        return frozenset()
    return frozenset(row[0] for row in rows)


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode=ro", uri=True)


def _backup_sqlite(db: Database, target: Path) -> None:
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise BackupError(f"{target} exists already; give a new file name") from None
    except OSError as error:
        raise BackupError(f"cannot write {target}: {error.strerror}") from None
    try:
        raw = db.engine.raw_connection()
        try:
            source = raw.driver_connection
            assert isinstance(source, sqlite3.Connection)
            with contextlib.closing(sqlite3.connect(target)) as copy:
                source.backup(copy)  # all pages in one step: one consistent snapshot
                copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            raw.close()
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _restore_sqlite(db: Database, source: Path) -> None:
    with contextlib.closing(_read_only(source)) as backup_conn:
        raw = db.engine.raw_connection()
        try:
            target = raw.driver_connection
            assert isinstance(target, sqlite3.Connection)
            backup_conn.backup(target)
        finally:
            raw.close()


COPY_BATCH = 2000
"""Rows a SQLite backup's table is copied in per statement into PostgreSQL."""


def _copy_sqlite_into(db: Database, source: Path) -> None:
    """Fill the PostgreSQL desk ``db`` with the rows of the SQLite backup ``source``.

    The backup is first brought to this code's schema (on a private copy; the backup file
    is never changed), then, in one transaction, every row the new desk's ``helpdesk init``
    wrote is replaced by the backup's, table by table in the order of their foreign keys,
    and the id sequences are set past the ids copied. Columns PostgreSQL computes itself
    (generated columns; sort keys its triggers keep) are computed there as on any insert.
    A table the desk has that this code does not know is refused before anything is
    written: a copy must not leave anything behind unsaid."""
    tables = _desk_tables()
    with tempfile.TemporaryDirectory(prefix="helpdesk-restore-") as scratch:
        copy = Path(scratch) / "backup.db"
        with (
            contextlib.closing(_read_only(source)) as backup_conn,
            contextlib.closing(sqlite3.connect(copy)) as private,
        ):
            backup_conn.backup(private)
        from helpdesk_tui.storage import migrate

        backup_db = Database(f"sqlite:///{copy}", create=False)
        try:
            migrate.upgrade(backup_db)
            with db.engine.begin() as target, backup_db.engine.connect() as rows:
                _refuse_unknown_tables(target, tables)
                target.execute(text("SET LOCAL TIME ZONE 'UTC'"))
                for table in reversed(tables):
                    target.execute(table.delete())
                for table in tables:
                    _copy_table(rows, target, table)
                    _set_sequence(target, table)
        finally:
            backup_db.dispose()


def _desk_tables() -> list[Table]:
    """Every table of a desk, parents before the tables that refer to them."""
    from sqlmodel import SQLModel

    import helpdesk_tui.storage.canned_models
    import helpdesk_tui.storage.kb_models
    import helpdesk_tui.storage.mail_models
    import helpdesk_tui.storage.models
    import helpdesk_tui.storage.report_models
    import helpdesk_tui.storage.routing_models
    import helpdesk_tui.storage.sla_models
    import helpdesk_tui.storage.survey_models  # noqa: F401  (they register the tables)

    metadata: MetaData = SQLModel.metadata
    return list(metadata.sorted_tables)


def _refuse_unknown_tables(target: Connection, tables: list[Table]) -> None:
    found = target.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    ).scalars()
    unknown = sorted(set(found) - {t.name for t in tables} - {"alembic_version"})
    if unknown:
        raise BackupError(
            f"the desk has tables this helpdesk does not know ({', '.join(unknown)}); "
            "restore with the helpdesk-tui that made it"
        )


def _copy_table(rows: Connection, target: Connection, table: Table) -> None:
    """Copy one table; a column referring to the same table (a ticket merged into another)
    is filled in once all its rows are there, whichever order they came in."""
    own = [fk.parent for fk in table.foreign_keys if fk.column.table is table]
    (key,) = table.primary_key.columns if own else (None,)
    later: list[dict[str, object]] = []
    for batch in _batches(rows, table):
        for row in batch:
            values = {column.name: row[column.name] for column in own}
            if key is not None and any(value is not None for value in values.values()):
                later.append({"_key": row[key.name]} | {f"_{n}": v for n, v in values.items()})
                row.update(dict.fromkeys(values))
        target.execute(insert(table), batch)
    if later and key is not None:
        update = (
            table.update()
            .where(key == bindparam("_key"))
            .values({column.name: bindparam(f"_{column.name}") for column in own})
        )
        target.execute(update, later)


def _batches(rows: Connection, table: Table) -> Iterator[list[dict[str, object]]]:
    """The backup's rows of ``table`` (only the columns PostgreSQL does not compute), in
    primary-key order (a ticket merged into another refers to an older one), in batches."""
    columns = [column for column in table.columns if column.computed is None]
    query = select(*columns).order_by(*table.primary_key.columns)
    result = rows.execution_options(yield_per=COPY_BATCH).execute(query)
    for part in result.mappings().partitions():
        yield [dict(row) for row in part]


def _set_sequence(target: Connection, table: Table) -> None:
    """Set the table's id sequence (if it has one) past the largest id copied."""
    key = list(table.primary_key.columns)
    if len(key) != 1:
        return
    sequence = target.execute(select(func.pg_get_serial_sequence(table.name, key[0].name))).scalar()
    if sequence is None:
        return
    largest = target.execute(select(func.max(key[0]))).scalar()
    if largest is None:
        target.execute(select(func.setval(sequence, 1, False)))
    else:
        target.execute(select(func.setval(sequence, largest)))


def _pg_tool(tool: str, db: Database, args: list[str]) -> None:
    program = shutil.which(tool)
    if program is None:
        raise BackupError(
            f"{tool} is not installed here (Debian: apt install postgresql-client); "
            f"or run {tool} yourself against the desk's database"
        )
    url = make_url(db.url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    target = [f"--dbname={url.database}"]
    if url.host:
        target.append(f"--host={url.host}")
    if url.port:
        target.append(f"--port={url.port}")
    if url.username:
        target.append(f"--username={url.username}")
    done = subprocess.run(
        [program, "--no-password", *target, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        raise BackupError(f"{tool} failed: {reason}")
