"""Online backups of a desk, and restoring one into a new desk.

SQLite: the backup API copies the whole database in one step under one read transaction,
so the copy is consistent however many agents write meanwhile (WAL lets them go on). The
copy is a single self-contained file (rollback journal, not WAL), private to its maker.
PostgreSQL: ``pg_dump``/``pg_restore`` (custom format), with the password handed over in the
environment, never on a command line others can see.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import quote

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
