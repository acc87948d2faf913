"""The ``helpdesk`` process ends without the interpreter's finalization only when that
loses nothing (``cli/quick_exit``)."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from helpdesk_tui.cli import quick_exit
from helpdesk_tui.storage.database import Database, connections_open
from tests.cli.conftest import on_sqlite_only


class Ended(Exception):
    """What the stand-in for ``os._exit`` raises: the process would have ended here."""


@pytest.fixture
def ends(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What happened on the way out: the ``atexit`` handlers run, then the status ended
    with (``os._exit`` replaced)."""
    happened: list[str] = []

    def exit_now(status: int) -> None:
        happened.append(f"exit {status}")
        raise Ended

    monkeypatch.setattr(quick_exit.os, "_exit", exit_now)
    monkeypatch.setattr(quick_exit.atexit, "_run_exitfuncs", lambda: happened.append("atexit"))
    return happened


@pytest.fixture
def alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process as a command leaves it: no other thread, no connection open (a test
    worker has other tests' threads and engines)."""
    monkeypatch.setattr(quick_exit.threading, "active_count", lambda: 1)
    monkeypatch.setattr(quick_exit, "_connections_open", lambda: 0)


@pytest.mark.usefixtures("alone")
@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (1, 1), (2, 2)])
def test_a_number_ends_the_process_after_the_atexit_handlers(
    ends: list[str], code: int | None, status: int
) -> None:
    with pytest.raises(Ended):
        quick_exit.end(code)
    assert ends == ["atexit", f"exit {status}"]


@pytest.mark.usefixtures("alone")
def test_a_message_is_left_to_python(ends: list[str]) -> None:
    quick_exit.end("error: printed by Python, which then ends with 1")
    assert ends == []


def test_not_while_another_thread_runs(ends: list[str]) -> None:
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        quick_exit.end(0)
    finally:
        stop.set()
        worker.join()
    assert ends == []


@pytest.mark.usefixtures("alone")
def test_not_when_stdout_cannot_be_flushed(
    ends: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A closed pipe: Python's own exit reports it and ends with 120."""

    class Broken(io.StringIO):
        def flush(self) -> None:
            raise BrokenPipeError

    monkeypatch.setattr(sys, "stdout", Broken())
    quick_exit.end(0)
    assert ends == []


def test_not_while_a_database_connection_is_open(db: Database, ends: list[str]) -> None:
    before = connections_open()
    with db.read_rows() as conn:
        conn.exec_driver_sql("SELECT 1")
        assert connections_open() == before + 1
        quick_exit.end(0)
    assert ends == []
    assert connections_open() == before + 1  # pooled: open until the engine is disposed
    db.dispose()
    assert connections_open() == before


def test_an_invalidated_connection_is_no_longer_counted(db: Database) -> None:
    before = connections_open()
    with db.own_connection() as conn, conn.begin():
        conn.exec_driver_sql("SELECT 1")
        assert connections_open() == before + 1
    assert connections_open() == before


SCRIPT = """
import atexit, sys

class Finalized:
    def __del__(self):
        print("finalized", flush=True)

kept = Finalized()
atexit.register(print, "atexit ran", flush=True)
sys.argv = ["helpdesk", *sys.argv[1:]]
from helpdesk_tui.cli import main
main()
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True, timeout=120
    )


@on_sqlite_only
def test_a_verb_ends_after_its_atexit_handlers_without_finalization(
    use_db: str, tmp_path: Path
) -> None:
    """The program (arguments from argv) running a verb: its output and the ``atexit``
    handlers' are out, the exit status is the verb's, nothing is torn down after; the
    write's WAL is folded into the desk file, as the last connection's close does."""
    listed = _run("ticket", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.endswith("atexit ran\n")
    assert "finalized" not in listed.stdout
    created = _run("ticket", "new", "--subject", "Scanner", "--body", "It is slow.")
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("created #1 ") and "finalized" not in created.stdout
    wal = Path(use_db.removeprefix("sqlite:///") + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    refused = _run("ticket", "show", "99")
    assert refused.returncode == 1 and "finalized" not in refused.stdout
    assert refused.stderr.startswith("error:")


def test_a_caller_s_arguments_end_the_normal_way() -> None:
    """``main([...])`` (a caller, the tests) is never ended for it, nor the terminal UI."""
    code = (
        "import os, sys\n"
        "os._exit = None  # (would fail if called)\n"
        "from helpdesk_tui.cli import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit as done:\n"
        "    print('returned', done.code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.endswith("returned 0\n")
