"""Running ``helpdesk`` in-process (click's CliRunner) and as the installed script."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from helpdesk_tui.cli import main, warm_socket
from helpdesk_tui.cli.init import DATABASE_FILE
from helpdesk_tui.config_files import data_dir
from tests.cli.import_probe import PRELOAD, ImportProbe
from tests.conftest import IN_CI
from tests.pg_cluster import PgCluster

Invoke = Callable[..., Result]
PROMPT_WAIT_SECONDS = 60

on_sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
"""For a test of the process boundary (the installed script, a real terminal): what it
proves (exit status, stderr, prompts, pipes) does not depend on the engine, and the same
commands run in-process on both engines elsewhere; a second engine would only start the
slow part, a fresh interpreter, again."""


def on_engines(
    cases: Sequence[object],
    also_on_postgres: set[int],
    ids: Callable[[Any], str] | None = None,
) -> list[Any]:
    """Parameters ``(db_url, *case)`` (``indirect=["db_url"]``): every case on SQLite, the
    cases at the indexes ``also_on_postgres`` on PostgreSQL too. For a parametrized CLI
    test whose cases differ in what the CLI does with what the desk hands back (a verb's
    wording, its output's form, which verb of a family): the kept PostgreSQL cases are
    those whose desk calls (statements built in ``desk/`` or ``storage/``) differ from
    every other kept case's, and each call site says why it keeps those; the others run
    the same SQL on PostgreSQL as a kept one and would start only the slow part again.
    A tuple case is its parameters after ``db_url``; ``ids(case)`` names a case."""
    made = []
    for index, case in enumerate(cases):
        values = case if isinstance(case, tuple) else (case,)
        name = None if ids is None else ids(case)
        made.append(pytest.param("sqlite", *values, id=name and f"sqlite-{name}"))
        if index in also_on_postgres:
            marks = pytest.mark.postgres
            made.append(
                pytest.param("postgres", *values, marks=marks, id=name and f"postgres-{name}")
            )
    return made


@pytest.fixture
def invoke() -> Invoke:
    """``invoke("ticket", "list", input=...)``: run the CLI in this process."""

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=True)

    return run


@pytest.fixture(scope="session")
def _import_probe() -> Iterator[ImportProbe]:
    """The worker's :class:`ImportProbe`, started at its first use."""
    probe = ImportProbe()
    yield probe
    probe.close()


@pytest.fixture(scope="session")
def _preloaded_probe() -> Iterator[ImportProbe]:
    """The worker's :class:`ImportProbe` that imported SQLAlchemy and the drivers first
    (``import_probe.PRELOAD``), for the verbs a test runs in processes of their own, cold
    (the outage tests, ``in_terminal``, the in-process side of ``test_warm_server``'s
    comparisons), started at its first use."""
    probe = ImportProbe(PRELOAD)
    yield probe
    probe.close()


@pytest.fixture(scope="session")
def _core_probe() -> Iterator[ImportProbe]:
    """The worker's :class:`ImportProbe` that imported SQLAlchemy's Core first (and none of
    its dialects, sqlite3 or its ORM): for the import checks blind to none of it
    (``test_root``'s ``loaded_by``), started at its first use."""
    probe = ImportProbe(("sqlalchemy",))
    assert not probe.preloaded & {"sqlite3", "sqlalchemy.orm", "sqlalchemy.dialects.sqlite"}
    yield probe
    probe.close()


@pytest.fixture
def no_desk_yet(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at an empty database (no desk yet) on each engine in turn."""
    monkeypatch.setenv("HELPDESK_DATABASE_URL", db_url)
    return db_url


@pytest.fixture
def use_db(no_desk_yet: str) -> str:
    """Point the CLI at a new desk, as ``helpdesk init`` leaves it (this login its first
    admin): ``db_url`` made the database a copy of the desk ``init`` made once per session
    (``_initialized_sqlite``, ``_initialized_postgres``), and here the settings are
    validated as ``init``'s are, which keeps their start values (``start_settings``) in the
    cache dir as ``init`` keeps them. (``init`` writes no other file there on a new desk:
    its caller is not yet the command's agent, so no names are kept for completion.)
    ``init`` itself ran for each CLI test before, some 30 ms each; ``init`` is tested
    through ``no_desk_yet`` and ``private_desk``."""
    from helpdesk_tui.cli.runtime import Runtime

    assert Runtime().settings.database_url == no_desk_yet
    return no_desk_yet


def _init_once(url: str, home: Path) -> None:
    """``helpdesk init`` on ``url``, in a config, data and cache dir of its own under
    ``home`` (a session fixture runs before a test's ``_isolated_dirs``)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("HELPDESK_"):
                patch.delenv(name)
        for name in ("config", "site-config", "data", "cache"):
            patch.setenv(f"HELPDESK_{name.upper().replace('-', '_')}_DIR", str(home / name))
        patch.setenv("HELPDESK_CLI_SERVER", "off")
        patch.setenv("HELPDESK_DATABASE_URL", url)
        result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.stderr
    assert "made " in result.stdout and " the first admin" in result.stdout, result.stdout


@pytest.fixture(scope="session")
def _initialized_sqlite(_migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite desk ``helpdesk init`` made once per session (per xdist worker), on a copy
    of the migrated one as ``use_db``'s ``init`` ran before: each ``use_db`` starts from a
    copy of this file (its mode too)."""
    home = tmp_path_factory.mktemp("initialized")
    path = home / DATABASE_FILE
    shutil.copy(_migrated_sqlite, path)
    _init_once(f"sqlite:///{path}", home)
    assert not path.with_name(path.name + "-wal").exists(), "the copy would miss the WAL"
    return path


@pytest.fixture(scope="session")
def _initialized_postgres(
    pg_cluster: PgCluster, _migrated_postgres: str, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A PostgreSQL desk ``helpdesk init`` made once per session, as a template database
    (``init`` leaves no connection open to it): each ``use_db`` is a copy of it."""
    name = f"initialized_{os.getpid()}"
    url = pg_cluster.create_database(name, template=_migrated_postgres)
    _init_once(url, tmp_path_factory.mktemp("initialized"))
    return name


@pytest.fixture(scope="session")
def _second_migrated_sqlite(
    _migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Another SQLite desk as ``_migrated_sqlite`` (a copy of it) whose identity is not
    that desk's (``new_desk``): made anew, as two new desks have two (``_new_identity``)."""
    path = tmp_path_factory.mktemp("second-template") / DATABASE_FILE
    shutil.copy(_migrated_sqlite, path)
    _new_identity(f"sqlite:///{path}")
    assert not path.with_name(path.name + "-wal").exists(), "the copy would miss the WAL"
    return path


@pytest.fixture(scope="session")
def _second_migrated_postgres(pg_cluster: PgCluster, _migrated_postgres: str) -> str:
    """Another PostgreSQL desk as ``_migrated_postgres`` (a copy of it), a template whose
    identity is not that one's (``new_desk``, ``_new_identity``)."""
    name = f"second_template_{os.getpid()}"
    _new_identity(pg_cluster.create_database(name, template=_migrated_postgres))
    return name


def _new_identity(url: str) -> None:
    """The migrated desk at ``url`` given an identity of its own: its ``desk.id`` removed
    and made again by the desk's first use (``desk_identity``, a random token as migration
    0038's); no connection left open (a template may have none when it is copied). Every
    migration run again for a second desk was a second of a worker's CPU, for one row."""
    from sqlalchemy import delete

    from helpdesk_tui.desk.settings import DESK_ID, desk_identity, desk_setting
    from helpdesk_tui.storage.core_tables import desk_setting as desk_setting_table
    from helpdesk_tui.storage.database import Database

    database = Database(url, create=False)
    try:
        with database.engine.begin() as conn:
            before = desk_setting(conn, DESK_ID)
            conn.execute(delete(desk_setting_table).where(desk_setting_table.c.name == DESK_ID))
            assert desk_identity(conn) not in (None, before)
    finally:
        database.dispose()


NewDesk = Callable[..., str]


@pytest.fixture
def new_desk(
    request: pytest.FixtureRequest, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> NewDesk:
    """``new_desk(URL, second=False)``: a new desk at ``URL`` (a SQLite file's, or a
    PostgreSQL database's on ``pg_cluster`` that does not exist yet), made the CLI's desk,
    as ``helpdesk init`` leaves a new database: ``init`` run on a copy of the session's
    migrated desk, or with ``second`` of the other one (``_second_migrated_*``), so that a
    test's two desks have two identities, as two new desks do. Every migration for each
    such desk was most of these tests' time (two desks a test); ``init`` on an empty
    database is tested through ``no_desk_yet`` (test_tickets, test_database)."""

    def make(url: str, second: bool = False) -> str:
        engine = "sqlite" if url.startswith("sqlite:///") else "postgres"
        prefix = "_second_migrated_" if second else "_migrated_"
        template = request.getfixturevalue(prefix + engine)
        if engine == "sqlite":
            shutil.copy(template, url.removeprefix("sqlite:///"))
        else:
            cluster: PgCluster = request.getfixturevalue("pg_cluster")
            cluster.create_database(url.rsplit("/", 1)[1], template=template)
        monkeypatch.setenv("HELPDESK_DATABASE_URL", url)
        made = invoke("init")
        assert made.exit_code == 0, made.stderr
        assert " the first admin" in made.stdout, made.stdout
        return url

    return make


@pytest.fixture
def private_desk(_migrated_sqlite: Path) -> Path:
    """The default desk in the test's data directory, as ``helpdesk init`` leaves it: the
    caller its first admin. ``init`` runs on a copy of the worker's migrated desk put where it
    would create the file (its directory made as the SQLite engine makes it, the file 0600 as
    the template is), not on an empty file: running every migration for each test was most
    of these tests' time. ``init`` on an empty database is tested through ``no_desk_yet``."""
    path = data_dir() / DATABASE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(_migrated_sqlite, path)
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.stderr
    assert "made " in result.stdout and " the first admin" in result.stdout, result.stdout
    return path


def as_login(login: str) -> Invoke:
    """Run the CLI in this process as another agent: the test-only way to be someone else."""
    from helpdesk_tui.cli.runtime import Runtime

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            main, list(args), input=input, obj=Runtime(login=login), catch_exceptions=True
        )

    return run


def helpdesk_script() -> str:
    """The ``helpdesk`` script of the environment running the tests (``.venv/bin``), else PATH's."""
    beside = Path(sys.executable).parent / "helpdesk"
    if beside.is_file():
        return str(beside)
    found = shutil.which("helpdesk")
    if found is None:
        pytest.fail("the helpdesk script is not installed (pip install -e .)")
    return found


Forked = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_forked(_preloaded_probe: ImportProbe, tmp_path: Path) -> Forked:
    """``run_forked(*ARGS, env=...)``: the status, stdout and stderr of ``helpdesk ARGS``
    run as the installed script runs it (``helpdesk_tui.cli.run``; stdin ``/dev/null``,
    stdout and stderr as pipes take them; the environment as the test left it, and
    ``env``), in a process forked for it by the worker's preloaded :class:`ImportProbe`:
    for a test of what the script's process says and how it ends, where the interpreter's
    start (the same for every command, some 0.25 s of CPU each) is not the fact. (It was
    the script itself, ``run_script``; the script itself runs where its start is the
    fact: a shell's pipeline, ``python -m helpdesk_tui --version``.)"""
    outputs = tmp_path / "forked"
    outputs.mkdir()

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return _preloaded_probe.run([*args], {**os.environ, **(env or {})}, Path.cwd(), outputs)

    return run


Terminal = Callable[..., tuple[int, str]]


@pytest.fixture
def in_terminal(_preloaded_probe: ImportProbe) -> Terminal:
    """``in_terminal(*ARGS, answer=...)``: ``helpdesk ARGS`` on a real pseudo-terminal (its
    stdin, stdout and stderr), as the installed script runs it, in a process forked for it
    by the worker's preloaded :class:`ImportProbe` (the interpreter's start and
    SQLAlchemy's import were most of each such run); answer its first question.

    Returns the exit status and everything the terminal showed. The waits for the question
    and the end are a deadline on blocking reads, not a sleep.
    """

    def run(*args: str, answer: str) -> tuple[int, str]:
        leader, follower = pty.openpty()
        try:
            terminal = os.ttyname(follower)
            _preloaded_probe.on_terminal(list(args), os.environ.copy(), Path.cwd(), terminal)
            shown = b""
            answered = False
            deadline = time.monotonic() + PROMPT_WAIT_SECONDS
            while True:
                assert time.monotonic() < deadline, f"the command did not end: {shown!r}"
                ends = _preloaded_probe.ends.fileno()
                ready, _, _ = select.select([leader, ends], [], [], 1.0)
                if leader in ready:
                    shown += os.read(leader, 4096)
                    if not answered and b"[y/N]" in shown:
                        os.write(leader, answer.encode() + b"\n")
                        answered = True
                elif ready:
                    break
            status = _preloaded_probe.ended()
            # Everything the command wrote is in the terminal (the follower kept open here).
            while select.select([leader], [], [], 0)[0]:
                shown += os.read(leader, 4096)
            return status, shown.decode(errors="replace")
        finally:
            os.close(leader)
            os.close(follower)

    return run


def one_error_line(stderr: str) -> str:
    """The single ``error: ...`` line a failure must leave on stderr, and nothing like a trace."""
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def write_toml(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def numbers_of(rows: Sequence[dict[str, object]]) -> list[object]:
    return [row["number"] for row in rows]


def code_stamp() -> str:
    """What of a warm server's key changes when the package's code does (its files' newest
    modification time and their names): ``warm_socket.code_stamp`` of the package imported."""
    return warm_socket.code_stamp(warm_socket.package_dir())


def skip_if_the_code_changed(stamp: str) -> None:
    """Before counting the commands warm servers served since ``stamp`` was taken: skip,
    saying why, if the package's code changed meanwhile (a file saved or a branch merged
    in the checkout beside the run). The key changed with it, so the commands after the
    change ran cold, as they must (no server runs code older than its client's), and the
    next one started a server of the new key: the count says nothing. Never in CI, where
    nothing edits the code: a change there is something writing into the package, and
    the count fails."""
    if not IN_CI and code_stamp() != stamp:
        pytest.skip("the package's code changed during the test: its commands ran cold")
