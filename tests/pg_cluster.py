"""A throw-away PostgreSQL cluster for tests, started with the system's initdb/pg_ctl.

Both refuse to run as root, so as root they run as the ``postgres`` user via runuser.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.ports import CLUSTER_PORTS, reserve

PG_CTL_WAIT_SECONDS = 120
"""How long a start or stop may take before it is called failed (``pg_ctl``'s ``-t``)."""
PG_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def find_pg_bin() -> Path | None:
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    for candidate in PG_BIN_CANDIDATES:
        if (candidate / "pg_ctl").exists():
            return candidate
    return None


def _free_port() -> int:
    """Where a cluster listens: below Linux's ephemeral range, in this worker's slice, and
    this process's alone (``tests/ports.py``), so no port handed out elsewhere in the suite
    can be a cluster's while an outage test has it stopped and expects "Connection refused"
    there (CI once got a mail server's greeting instead: "server closed the connection
    unexpectedly")."""
    return reserve(CLUSTER_PORTS)


@dataclass
class PgCluster:
    bin_dir: Path
    root: Path
    port: int
    settings: Mapping[str, str] = field(default_factory=dict)
    """Server settings beyond the throw-away ones every cluster here gets (``-c name=value``)."""
    _admin: Any = field(default=None, init=False, repr=False, compare=False)
    """The connection ``create_database`` and ``drop_database`` send their statements on
    (to the ``postgres`` database), kept open between them: a connection of its own for
    each cost a new server process each time, twice per PostgreSQL test."""

    _background: _Background | None = field(default=None, init=False, repr=False, compare=False)
    """Sends the copies made ahead (``copy_of``), which no test waits for."""
    _dropper: _Background | None = field(default=None, init=False, repr=False, compare=False)
    """Sends the drops (``drop_database_later``), beside the copies: see ``copy_of``."""
    _spares: dict[str, tuple[str, Future[None]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Per template, the copy the next ``copy_of`` takes, made (or being made) ahead."""
    _copies: itertools.count[int] = field(
        default_factory=itertools.count, init=False, repr=False, compare=False
    )

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def _command(self, *args: str) -> list[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return command

    def _run(self, *args: str) -> None:
        subprocess.run(self._command(*args), check=True, capture_output=True, timeout=120)

    def running(self) -> bool:
        """Whether the server runs (``pg_ctl status``)."""
        status = self._command("pg_ctl", "-D", str(self.data_dir), "status")
        return subprocess.run(status, capture_output=True, timeout=120).returncode == 0

    def start_if_stopped(self) -> None:
        """Start the server unless it runs (after a test that stopped it failed)."""
        if not self.running():
            self.start()

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        if not (self.data_dir / "PG_VERSION").exists():
            # ``--no-sync``: the server runs with ``fsync=off`` anyway; initdb's own fsync of
            # every file it wrote was 2-4 s of each new cluster's wall on a disk-backed /tmp.
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        options += "".join(f" -c {name}={value}" for name, value in self.settings.items())
        log = self.root / "log"
        logged = log.stat().st_size if log.exists() else 0
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-W",
            "start",
        )
        self._wait_until(self._ready, "accept connections", failed=lambda: self._fatal(logged))

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; ``mode="fast"`` for a cluster whose data is kept. The statements
        sent in the background are waited for first, and one that failed is raised here."""
        self._close_admin()
        try:
            self._end_background()
        finally:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-W", "stop")
            self._wait_until(lambda: not self._pid_file.exists(), "stop")

    # pg_ctl's own wait (``-w``) looks at the server's pid file ten times a second, so each
    # start and stop took 100 ms or more where the server needs 10 to 40: the outage tests
    # restart it dozens of times. The same look, every few milliseconds.

    @property
    def _pid_file(self) -> Path:
        return self.data_dir / "postmaster.pid"

    def _ready(self) -> bool:
        """The pid file says "ready" (its 8th line), as ``pg_ctl -w start`` waits for."""
        try:
            lines = self._pid_file.read_text().splitlines()
        except FileNotFoundError:
            return False
        return len(lines) >= 8 and lines[7].strip() == "ready"

    def _fatal(self, logged: int) -> bool:
        """A start that failed (``pg_ctl -w`` saw its server gone): no pid file, and a FATAL
        or PANIC line in the log after its first ``logged`` bytes (a client's "starting up"
        while the server starts is logged as FATAL too, with the pid file there)."""
        if self._pid_file.exists():
            return False
        with contextlib.suppress(FileNotFoundError), (self.root / "log").open("rb") as log:
            log.seek(logged)
            text = log.read()
            return b"FATAL:" in text or b"PANIC:" in text
        return False

    def _wait_until(
        self, condition: Callable[[], bool], what: str, failed: Callable[[], bool] = lambda: False
    ) -> None:
        deadline = time.monotonic() + PG_CTL_WAIT_SECONDS
        while not condition():
            if failed() or time.monotonic() > deadline:
                log = self.root / "log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RuntimeError(f"the server did not {what}\n{tail}")
            select.select([], [], [], 0.005)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _sql(self, statement: str) -> Any:
        """Run ``statement`` (autocommit) on the kept connection; on a new one when the kept
        one is gone (a test ended it, or stopped the server): then the statement had not
        reached the server, so it runs once all the same."""
        import psycopg

        if self._admin is not None:
            try:
                return self._admin.execute(statement)
            except psycopg.OperationalError:
                if not self._admin.broken and not self._admin.closed:
                    raise
                self._close_admin()
        self._admin = psycopg.connect(self.url().replace("+psycopg", ""), autocommit=True)
        return self._admin.execute(statement)

    def _close_admin(self) -> None:
        if self._admin is not None:
            with contextlib.suppress(Exception):
                self._admin.close()
            self._admin = None

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database, empty or a copy of ``template`` (which must have no open
        connections); from PostgreSQL 15 by file copy, the quickest for a small database.

        Measured on a tmpfs cluster with the migrated desk (635 files, 10 MB): a copy and its
        drop cost the server ~19 ms of CPU, nearly all the kernel's creating and removing the
        files; ``STRATEGY WAL_LOG`` costs ~40 ms (every page through shared buffers and the
        WAL), and ``tests/desk`` with it cost the server more CPU (57 s against 47 s). Neither
        ``shared_buffers=16MB`` nor ``wal_level=minimal`` changed either figure."""
        copy = f' TEMPLATE "{template}"' if template else ""
        if template and self._server_version() >= 150000:
            copy += " STRATEGY FILE_COPY"
        self._sql(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def _server_version(self) -> int:
        if self._admin is None:
            self._sql("SELECT 1")
        return int(self._admin.info.server_version)

    def drop_database(self, name: str) -> None:
        """Drop ``name``, ending any connection a test left open to it."""
        self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # A test on PostgreSQL starts from a copy of the migrated desk and drops it after: a
    # CREATE DATABASE and a DROP DATABASE, each with a checkpoint the server waits for, some
    # 35 ms of each such test's setup and teardown (681 tests) in which the test waited.
    # ``copy_of`` hands out a copy made while the test before ran, and asks for the next;
    # ``drop_database_later`` leaves the drop to a thread of its own. The server does the
    # same work; the tests no longer wait for it. (On one connection each copy waited for
    # the drop sent before it and its checkpoint: a test shorter than both waited for the
    # difference, ~0.1 s per PostgreSQL case on a busy machine; on two, the server runs
    # them at once and one checkpoint can serve both.)

    def copy_of(self, template: str) -> str:
        """The name of a new database copied from ``template`` (which must have no open
        connections), made ahead in the background where it can be."""
        background = self._started_background()
        name, made = self._spares.pop(template, (None, None))
        try:
            if made is not None:
                made.result(timeout=PG_CTL_WAIT_SECONDS)
        except Exception:
            name = None  # (made anew below, here, where its failure is this test's)
        if name is None:
            name = self._copy_name(template)
            self.create_database(name, template=template)
        spare = self._copy_name(template)
        self._spares[template] = (spare, background.send(self._create_statement(spare, template)))
        return name

    def drop_database_later(self, name: str) -> None:
        """``drop_database`` in the background: the caller goes on at once; ``stop`` raises
        a drop that failed."""
        if self._dropper is None:
            self._dropper = _Background(self.url().replace("+psycopg", ""))
        self._dropper.send(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _copy_name(self, template: str) -> str:
        return f"{template}_c{next(self._copies)}"

    def _create_statement(self, name: str, template: str) -> str:
        strategy = " STRATEGY FILE_COPY" if self._server_version() >= 150000 else ""
        return f'CREATE DATABASE "{name}" TEMPLATE "{template}"{strategy}'

    def _started_background(self) -> _Background:
        if self._background is None:
            self._background = _Background(self.url().replace("+psycopg", ""))
        return self._background

    def _end_background(self) -> None:
        background, self._background = self._background, None
        dropper, self._dropper = self._dropper, None
        self._spares.clear()
        try:
            if background is not None:
                background.end()
        finally:
            if dropper is not None:
                dropper.end()


class _Background:
    """A thread with a connection of its own (to the ``postgres`` database) that sends one
    statement after another, in the order sent."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._jobs: queue.SimpleQueue[tuple[str, Future[None]] | None] = queue.SimpleQueue()
        self._sent: list[tuple[str, Future[None]]] = []
        self._thread = threading.Thread(target=self._run, name="pg-cluster", daemon=True)
        self._thread.start()

    def send(self, statement: str) -> Future[None]:
        done: Future[None] = Future()
        self._sent.append((statement, done))
        self._jobs.put((statement, done))
        return done

    def end(self) -> None:
        """Once every statement sent has run; raises if a drop failed."""
        self._jobs.put(None)
        self._thread.join(PG_CTL_WAIT_SECONDS)
        failed = [
            f"{statement}: {done.exception()}"
            for statement, done in self._sent
            if statement.startswith("DROP") and done.done() and done.exception() is not None
        ]
        if failed:
            raise RuntimeError("dropped in the background, failed:\n" + "\n".join(failed))

    def _run(self) -> None:
        import psycopg

        connection: psycopg.Connection[Any] | None = None
        while (job := self._jobs.get()) is not None:
            statement, done = job
            try:
                if connection is None or connection.closed:
                    connection = psycopg.connect(self._url, autocommit=True)
                connection.execute(statement)
            except BaseException as error:
                done.set_exception(error)
                with contextlib.suppress(Exception):
                    if connection is not None and connection.broken:
                        connection.close()
            else:
                done.set_result(None)
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()


def start_cluster(root: Path | None = None, settings: Mapping[str, str] | None = None) -> PgCluster:
    """A new cluster in a temp dir, or in ``root``: made there the first time, started
    again from its data the next (a benchmark's kept desk); ``settings`` as ``PgCluster``'s."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) not found")
    if root is None:
        root = Path(tempfile.mkdtemp(prefix="helpdesk-pg-"))
    cluster = PgCluster(bin_dir=bin_dir, root=root, port=_free_port(), settings=settings or {})
    cluster.start()
    return cluster
