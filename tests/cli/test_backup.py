"""``helpdesk db backup`` / ``restore``: an online copy taken while another process writes
restores to the very desk that was copied, and restoring only ever fills a new desk."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke, NewDesk, one_error_line
from tests.conftest import need

# Another agent's process: one ticket per transaction until the stop file appears, printing
# each committed number.
WRITER = """
import sys
from pathlib import Path
from helpdesk_tui.desk.actors import agent_actor
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.storage.database import Database

db = Database(sys.argv[1], create=False)
stop = Path(sys.argv[2])
with db.read() as session:
    actor = agent_actor(session, sys.argv[3])
while not stop.exists():
    with db.write() as session:
        ticket = create_ticket(
            session, actor, subject="Busy desk", body="x" * 2000, requester_email="a@example.com"
        )
    print(ticket.number, flush=True)
db.dispose()
"""


def _tickets(invoke: Invoke) -> list[dict[str, object]]:
    numbers = invoke("ticket", "list", "--ids", "--limit", "0").stdout.split()
    if not numbers:
        return []
    shown = invoke("ticket", "show", *sorted(numbers, key=int), "--json")
    assert shown.exit_code == 0, shown.stderr
    return list(json.loads(shown.stdout))


def test_a_backup_taken_while_another_process_writes_restores_to_an_identical_desk(
    invoke: Invoke, new_desk: NewDesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpdesk_tui.desk.actors import os_login

    live = f"sqlite:///{tmp_path / 'live.db'}"
    new_desk(live)
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, live, str(stop), os_login()],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        for _ in range(20):
            assert writer.stdout.readline()
        copy = tmp_path / "backup.db"
        taken = invoke("db", "backup", str(copy))
        assert taken.exit_code == 0, taken.stderr
        with contextlib.closing(sqlite3.connect(copy)) as conn:
            (copied,) = conn.execute("SELECT max(number) FROM ticket").fetchone()
        # The writer kept writing after the backup: a number past the copy's comes. (One
        # line read was not proof: the writer's lines from before the backup may still be
        # in the pipe, and under load the writer had once written nothing since.)
        for line in writer.stdout:
            if int(line) > copied:
                break
        else:
            raise AssertionError("the writer stopped")
    finally:
        stop.touch()
        writer.communicate(timeout=120)
    assert writer.returncode == 0
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("backup")) == [
        "backup.db"
    ]

    new_desk(f"sqlite:///{tmp_path / 'new.db'}", second=True)
    restored_run = invoke("db", "restore", str(copy))
    assert restored_run.exit_code == 0, restored_run.stderr
    restored = _tickets(invoke)
    monkeypatch.setenv("HELPDESK_DATABASE_URL", live)
    source = _tickets(invoke)
    # A consistent snapshot: the first k tickets exactly as the live desk has them, no gaps.
    k = len(restored)
    assert k >= 20 and len(source) > k
    assert [t["number"] for t in restored] == list(range(1, k + 1))
    assert restored == source[:k]


def test_backup_and_restore_refuse_what_would_lose_data(
    invoke: Invoke, new_desk: NewDesk, tmp_path: Path
) -> None:
    new_desk(f"sqlite:///{tmp_path / 'live.db'}")
    assert invoke("ticket", "new", "--subject", "Keep", "--body", "x").exit_code == 0
    copy = tmp_path / "backup.db"
    assert invoke("db", "backup", str(copy)).exit_code == 0
    again = invoke("db", "backup", str(copy))
    assert one_error_line(again.stderr) == f"error: {copy} exists already; give a new file name"
    into_full = invoke("db", "restore", str(copy))
    assert one_error_line(into_full.stderr).startswith("error: the desk at ")
    assert "is not empty (1 tickets)" in into_full.stderr

    new_desk(f"sqlite:///{tmp_path / 'new.db'}", second=True)
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    for bad in (junk, tmp_path / "missing.db"):
        refused = invoke("db", "restore", str(bad))
        assert one_error_line(refused.stderr) == f"error: {bad} is not a helpdesk backup"
    dump = tmp_path / "desk.dump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00")
    refused = invoke("db", "restore", str(dump))
    assert one_error_line(refused.stderr) == (
        f"error: {dump} is a PostgreSQL desk's backup (pg_dump); it fills a new PostgreSQL "
        "desk only"
    )
    assert invoke("ticket", "list", "--ids").stdout == ""


@pytest.mark.postgres
def test_postgresql_backup_and_restore_with_pg_dump(
    invoke: Invoke, new_desk: NewDesk, pg_cluster: object, tmp_path: Path
) -> None:
    from tests.pg_cluster import PgCluster

    assert isinstance(pg_cluster, PgCluster)
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        need("pg_dump and pg_restore (postgresql-client)")
    new_desk(pg_cluster.url("backup_source"))
    for subject in ("One", "Two"):
        assert invoke("ticket", "new", "--subject", subject, "--body", "x").exit_code == 0
    source = _tickets(invoke)
    copy = tmp_path / "desk.dump"
    taken = invoke("db", "backup", str(copy))
    assert taken.exit_code == 0, taken.stderr
    new_desk(pg_cluster.url("backup_target"), second=True)
    restored_run = invoke("db", "restore", str(copy))
    assert restored_run.exit_code == 0, restored_run.stderr
    assert _tickets(invoke) == source


def _figures(invoke: Invoke) -> list[str]:
    """What an admin compares after moving a desk: every ticket whole (thread, history,
    tags, SLA times, ratings), the report's figures, the shared texts and the agents."""
    tickets = json.dumps(_tickets(invoke), sort_keys=True)
    report = invoke("report", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "csv")
    lists = [invoke(*verb).stdout for verb in (("canned", "list"), ("macro", "list"))]
    lists.append(invoke("agent", "list").stdout)
    lists.append(invoke("sla", "status").stdout)
    return [tickets, report.stdout, *lists]


@pytest.mark.postgres
def test_a_sqlite_desk_moves_to_postgresql_through_its_backup(
    invoke: Invoke, new_desk: NewDesk, pg_cluster: object, tmp_path: Path
) -> None:
    """A team's SQLite desk that outgrew it: its backup fills a new PostgreSQL desk, which
    then carries on from there (the next ticket number, ids past the copied ones)."""
    from tests.pg_cluster import PgCluster

    assert isinstance(pg_cluster, PgCluster)
    new_desk(f"sqlite:///{tmp_path / 'team.db'}")
    assert invoke("demo", "--tickets", "12", "--seed", "4").exit_code == 0
    # A ticket merged into a newer one refers forward: copied all the same.
    assert invoke("ticket", "merge", "2", "11", "--yes").exit_code == 0
    source = _figures(invoke)
    copy = tmp_path / "team-backup.db"
    assert invoke("db", "backup", str(copy)).exit_code == 0

    new_desk(pg_cluster.url("moved_desk"))
    moved = invoke("db", "restore", str(copy))
    assert moved.exit_code == 0, moved.stderr
    assert _figures(invoke) == source
    after = invoke("ticket", "new", "--subject", "After the move", "--body", "x", "--json")
    assert after.exit_code == 0, after.stderr
    assert json.loads(after.stdout)["number"] == 13
    assert invoke("ticket", "note", "13", "--body", "noted").exit_code == 0
