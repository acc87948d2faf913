"""``helpdesk db restore`` leaves its record on the restored desk — who restored which
backup (its file name cleaned), when the backup was taken, the desk's identity — and
``helpdesk db status`` lists it; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import text

from helpdesk_tui.desk.actors import os_login
from helpdesk_tui.storage.database import Database
from tests.cli.conftest import Invoke
from tests.clocks import local_zone
from tests.conftest import need

TAKEN = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
RESTORED = datetime(2026, 12, 7, 12, 40, tzinfo=UTC)


def _desk_id(url: str) -> str:
    db = Database(url, create=False)
    try:
        with db.engine.connect() as conn:
            found = conn.execute(text("SELECT value FROM desk_setting WHERE name = 'desk.id'"))
            return str(found.scalar_one())
    finally:
        db.dispose()


def _new_desk(url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Another new desk, as ``helpdesk init`` leaves it, on the engine of ``url``."""
    if url.startswith("sqlite"):
        path = tmp_path / "new.db"
        shutil.copy(request.getfixturevalue("_initialized_sqlite"), path)
        return f"sqlite:///{path}"
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        need("pg_dump and pg_restore (postgresql-client)")
    template = request.getfixturevalue("_initialized_postgres")
    return request.getfixturevalue("pg_cluster").create_database(
        f"restore_target_{os.getpid()}_{id(url)}", template=template
    )


def test_a_restore_is_recorded_on_the_restored_desk(
    use_db: str,
    invoke: Invoke,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    live, new = use_db, _new_desk(use_db, tmp_path, request)
    copy = tmp_path / "desk\x1b[31m-backup.db"  # (a file name is outside text)
    with time_machine.travel(TAKEN, tick=False):
        taken = invoke("db", "backup", str(copy))
    assert taken.exit_code == 0, taken.stderr
    assert "\x1b" not in taken.stdout
    identity = _desk_id(live)

    monkeypatch.setenv("HELPDESK_DATABASE_URL", new)
    assert "restored:" not in invoke("db", "status").stdout
    with time_machine.travel(RESTORED, tick=False):
        done = invoke("db", "restore", str(copy))
    assert done.exit_code == 0, done.stderr
    assert "\x1b" not in done.stdout

    with local_zone("Europe/Berlin"):
        status = invoke("db", "status")
    assert status.exit_code == 0, status.stderr
    assert status.stdout.splitlines()[-1] == (
        f"restored: 2026-12-07 13:40 CET by {os_login()} from desk-backup.db "
        f"(taken 2026-12-07 10:00 CET; desk {identity})"
    )
    [record] = json.loads(invoke("db", "status", "--json").stdout)["restores"]
    assert record == {
        "at": "2026-12-07T12:40:00+00:00",
        "by": os_login(),
        "file": "desk-backup.db",
        "taken_at": "2026-12-07T09:00:00+00:00",
        "desk": identity,
    }
