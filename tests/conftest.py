"""Fixtures shared by every test: settings isolated under tmp_path, databases on both engines."""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database
from tests import animation_clock, css_rules, frames, pilot_keys, statement_cache
from tests.clocks import local_zone
from tests.pg_cluster import PgCluster, start_cluster

IN_CI = bool(os.environ.get("CI"))
os.environ["HELPDESK_CLI_SERVER"] = "off"  # (session fixtures too; see _isolated_dirs)
HANG_SECONDS = 120.0
"""How long a test waits for something that must happen before it calls it hung. A guard,
never a speed check: generous, as ``-n 4`` on a loaded machine slows everything (a shorter
deadline made tests fail there). Where a wait must prove "sooner than X" (IDLE before the
poll interval, leases taken before they expire), X is made far longer than this instead."""
_db_names = itertools.count()
STARTS_MIGRATED = {"db"}
"""Fixtures whose test gets ``db_url`` as a copy of the migrated desk, not empty."""
STARTS_INITIALIZED = {"use_db"}
"""Fixtures whose test gets ``db_url`` as a copy of the desk ``helpdesk init`` made once per
session (tests/cli/conftest.py, ``_initialized_sqlite``), not empty."""
STARTS_DEMO_DB = {"demo_db"}
"""Fixtures whose test gets ``db_url`` as a copy of the demo desk made at ``DEMO_NOW``
loaded once per session (tests/desk/conftest.py, ``_demo_desk_sqlite``,
``_demo_desk_postgres``)."""


GC_THRESHOLDS = (50_000, 20, 100)
"""The cyclic garbage collector's thresholds while tests run (Python's are 700, 10, 10).

A screen test builds and drops thousands of widgets, styles and strips; at Python's
thresholds the collector ran ~200 times per screen test and a full collection every test or
so, each walking every object the session holds (the imported libraries, ~300,000): a third
of the screen tests' CPU time went to it. Collected less often, and with what was imported
before the first test frozen out of its walks (``gc.freeze``), it costs a tenth of that, for
some 50 MB more memory per worker. Reference counting frees what is not in a cycle at once,
as before; cycles are still collected, only in larger batches."""


MEMORY_TMP = Path("/dev/shm")
MEMORY_TMP_NEEDS = 4 * 1024**3
"""Free space the tmpfs must have for the tests' files to go there: a container's /dev/shm
is often 64 MB, less than one of the big-message tests writes."""


def _memory_tmp() -> None:
    """Temporary files in memory (a tmpfs) where there is one and TMPDIR does not say
    otherwise: pytest's ``tmp_path``, the PostgreSQL clusters, Dovecot's mail.

    Every SQLite desk a test makes lives under ``tmp_path``, and SQLite syncs its files to
    disk at each checkpoint (closing a ``Database`` checkpoints): thousands of syncs of a
    few milliseconds each, waited for and worth nothing for a file thrown away after the
    test. What the tests check does not change: SQLite and PostgreSQL do the same work.
    """
    if "TMPDIR" in os.environ or not MEMORY_TMP.is_dir() or not os.access(MEMORY_TMP, os.W_OK):
        return
    found = os.statvfs(MEMORY_TMP)
    if found.f_flag & os.ST_NOEXEC:  # tests run editor scripts they write
        return
    if found.f_bavail * found.f_frsize < MEMORY_TMP_NEEDS:
        return
    tempfile.tempdir = str(MEMORY_TMP)


XDIST_CHUNK = 2
"""At most this many tests handed to an xdist worker at a time (``--maxschedchunk``, unless
given): by default xdist hands a worker up to a quarter of what is left at a time, and
the last such batch kept one worker busy 15 to 27 s after the other had finished (3 runs
of 4 with ``-n 2``: one core idle at the end). In twos, the workers finish within about a
test of each other. Only which worker runs which test changes, not what a test checks."""


SESSION_END_COLLECTIONS = 1
"""Full garbage collections pytest makes as a session ends, to report what objects' finalizers
raise (``_pytest.unraisableexception``; five by default, "determined experimentally by the
Trio project"). One collects every cycle left and reports what its finalizers raise
(CPython finalizes cycles with ``__del__`` since PEP 442), as the five did. Each cost a
worker 0.7 s of CPU once it held 1.5M objects, and the run's end waits for its workers to
exit (up to execnet's 10 s, then kills them): a worker ended 9.6 s after its last test."""


def pytest_configure(config: pytest.Config) -> None:
    """Temporary files in memory (see ``_memory_tmp``); xdist's batches (``XDIST_CHUNK``); one
    collection at the end (``SESSION_END_COLLECTIONS``);
    Ctrl-C and Ctrl-\\ as a terminal's shell gives them (``_terminal_signals``); Textual's
    CSS parsed once per process (``tests/css_rules.py``); SQL statements compiled once per
    process (``tests/statement_cache.py``); the package's bytecode up to date
    (``_compiled_package``); the rewritten test modules kept (``_keep_rewritten_tests``)."""
    if getattr(config.option, "maxschedchunk", False) is None:
        config.option.maxschedchunk = XDIST_CHUNK
    with contextlib.suppress(ImportError):  # (pytest's own setting, kept for pytester)
        from _pytest.unraisableexception import gc_collect_iterations_key

        config.stash[gc_collect_iterations_key] = SESSION_END_COLLECTIONS
    _memory_tmp()
    _terminal_signals()
    css_rules.install()
    statement_cache.install()
    if "PYTEST_XDIST_WORKER" not in os.environ:  # (once, before the workers start)
        _compiled_package()
    _keep_rewritten_tests()


def _compiled_package() -> None:
    """``helpdesk_tui``'s modules compiled to ``__pycache__`` as a first import writes them.

    Where ``PYTHONDONTWRITEBYTECODE`` is set (this machine's environment has it), no process
    writes them, and every ``helpdesk`` a test starts — cold verbs, warm servers, the import
    probe's children, terminals in tmux: hundreds in a run — compiled the package's sources
    it imports again (``tests/cli/test_root.py``: 15 % of its CPU time). Python reads the
    files whatever that variable says; a stale one (a source changed since) is compiled
    again, as on import. What runs is the same code."""
    import compileall

    import helpdesk_tui

    with contextlib.suppress(OSError):  # (a read-only install: imports compile, as before)
        compileall.compile_dir(Path(helpdesk_tui.__file__).parent, quiet=2)


_WRITES_BYTECODE = not sys.dont_write_bytecode


def _keep_rewritten_tests() -> None:
    """The test modules as pytest rewrote their asserts kept in ``__pycache__`` while they
    are collected, and read from there the next time, as pytest does by default.

    Where ``PYTHONDONTWRITEBYTECODE`` is set (this machine's environment has it) pytest
    writes none, and each worker parsed and rewrote every test module again at each run:
    3.5 of a worker's 5.7 s of CPU to collect the suite. A kept one whose source changed
    is rewritten again, as pytest always does. Only while collecting: the programs tests
    start keep the environment's setting (``_compiled_package`` compiles theirs)."""
    sys.dont_write_bytecode = False


def _terminal_signals() -> None:
    """SIGINT and SIGQUIT acting by default in this process and the programs it starts.

    A suite started in the background by a shell without job control (``cmd &`` in a
    script, ``nohup … &``) inherits both ignored, and an ignored signal stays ignored across
    ``exec``: the tests of Ctrl-C and Ctrl-\\ (``tests/cli/test_warm_server.py``) would see a
    command that ignores them, as no user's terminal has it."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGQUIT) is signal.SIG_IGN:
        signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked heap first, then those marked slow, the rest after (each in their
    order).

    xdist hands tests out in this order; a test of 10 s that comes last keeps one worker
    busy while the others have finished. Run first, it overlaps with the short ones. A
    full garbage collection walks everything the worker holds that is not frozen, and
    that grows with every test run before (caches, Textual's and SQLAlchemy's among
    them): the two heap tests took 0.6 s and 0.01 s run alone, 12 s and 9 s (2.4 s and
    2.2 s of CPU) where the order put them in a -n 2 run under load."""
    items.sort(
        key=lambda item: (
            item.get_closest_marker("heap") is None,
            item.get_closest_marker("slow") is None,
        )
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Every module is imported now: keep the collector's walks to what tests make (and
    bytecode writes as the environment has them, ``_keep_rewritten_tests``)."""
    sys.dont_write_bytecode = not _WRITES_BYTECODE
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def need(what: str) -> None:
    """Missing infrastructure fails in CI and skips (with the reason) elsewhere."""
    if IN_CI:
        pytest.fail(f"{what} is required when CI is set")
    pytest.skip(f"{what} is not available here")


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's config or data."""
    monkeypatch.setenv("HELPDESK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("HELPDESK_SITE_CONFIG_DIR", str(tmp_path / "site-config"))
    monkeypatch.setenv("HELPDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HELPDESK_CACHE_DIR", str(tmp_path / "cache"))
    # No test starts a warm command server unless it is about one (tests/cli/test_warm_server.py).
    monkeypatch.setenv("HELPDESK_CLI_SERVER", "off")
    for name in list(os.environ):
        if name.startswith("HELPDESK_") and name not in {
            "HELPDESK_CONFIG_DIR",
            "HELPDESK_SITE_CONFIG_DIR",
            "HELPDESK_DATA_DIR",
            "HELPDESK_CACHE_DIR",
            "HELPDESK_CLI_SERVER",
        }:
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _utc_local_zone() -> Iterator[None]:
    """Local time is UTC unless a test says otherwise (``tests.clocks.local_zone``): every
    date printed to a person is in the local zone, named (``timefmt.stamp``), so output is
    the same on every machine."""
    with local_zone("UTC"):
        yield


@pytest.fixture(autouse=True)
def _quick_pilot_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pilot's key press waits for what the key set going, falling back to Textual's
    idle wait while a worker or an animation runs (tests/pilot_keys.py): Textual's own
    wait slept at least 20 ms twice per key."""
    pilot_keys.install(monkeypatch)


@pytest.fixture(autouse=True)
def _animations_end_at_their_first_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test app's animations (a tab's underline, an animated scroll) end on the first
    frame after they start, at the value they end on (tests/animation_clock.py): the pilot
    waited out each one's duration, 0.3 s a tab chosen."""
    animation_clock.install(monkeypatch)


@pytest.fixture(autouse=True)
def _frames_drawn_when_looked_at(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A headless app (a pilot's, a snapshot's) does not render the frames it throws away:
    each screen that skipped one is drawn in full as it leaves and as the app ends, so a
    widget that fails to draw still fails its test (tests/frames.py says why and how).
    Tests of what a frame draws are marked ``frames`` and draw every one."""
    if request.node.get_closest_marker("frames") is None:
        frames.install(monkeypatch)


TEST_CLUSTER_SETTINGS = {"jit": "off"}
"""The tests' PostgreSQL runs without JIT compilation: the plan tests cost sequential scans,
sorts and bitmap scans off (``enable_* = off``), which lifts their statements' estimated
cost far above ``jit_above_cost``, and PostgreSQL then compiled every such statement with
LLVM first (tens to hundreds of milliseconds each; the four PostgreSQL "search in a view"
plan tests took 20 s instead of 5 under load). JIT changes how a plan's expressions run,
not the plan chosen nor any row returned, so every test checks what it checked. The
benchmarks start their clusters with PostgreSQL's defaults, JIT on, as a desk has it."""


@pytest.fixture(scope="session")
def pg_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgCluster]:
    try:
        cluster = start_cluster(settings=TEST_CLUSTER_SETTINGS)
    except (FileNotFoundError, OSError) as error:
        need(f"PostgreSQL ({error})")
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'helpdesk.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL, on each engine in turn (a PostgreSQL one is dropped after).

    Empty, unless the test also takes ``db``, ``use_db`` or ``demo_db``: then
    it is already a copy of the session's migrated desk (``db``), of the desk ``helpdesk
    init`` made on a copy of it once per session (``use_db``, tests/cli: the caller its first
    admin), or of the demo desk loaded once per session (``demo_db``), made here
    once (not made empty and replaced). Running every migration, or ``init``, again for
    each test was a good part of their time; ``init`` on an empty database is tested
    through ``no_desk_yet``, on a migrated one through ``private_desk``.
    """
    template = None
    if not STARTS_DEMO_DB.isdisjoint(request.fixturenames):
        template = f"_demo_desk_{request.param}"
    elif not STARTS_INITIALIZED.isdisjoint(request.fixturenames):
        template = f"_initialized_{request.param}"
    elif not STARTS_MIGRATED.isdisjoint(request.fixturenames):
        template = f"_migrated_{request.param}"
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
        if template is not None:
            shutil.copy(request.getfixturevalue(template), url.removeprefix("sqlite:///"))
        yield url
        return
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    if template is not None:  # (a copy made while the test before ran)
        name = cluster.copy_of(request.getfixturevalue(template))
    else:
        name = f"t{os.getpid()}_{next(_db_names)}"
        cluster.create_database(name)
    yield cluster.url(name)
    # Dropped as the next test runs: keeps the cluster small (its files go at the session's
    # end); a drop that failed fails the session's end (``PgCluster.stop``).
    cluster.drop_database_later(name)


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite desk migrated once per session (per xdist worker); ``db`` starts from a copy."""
    path = tmp_path_factory.mktemp("template") / "helpdesk.db"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    database.dispose()
    assert not path.with_name(path.name + "-wal").exists(), "the copy would miss the WAL"
    return path


@pytest.fixture(scope="session")
def _migrated_postgres(pg_cluster: PgCluster) -> str:
    """A PostgreSQL database migrated once per session: ``db_url`` makes each ``db`` from it."""
    name = f"template_{os.getpid()}"
    database = Database(pg_cluster.create_database(name))
    migrate.upgrade(database)
    database.dispose()  # a template may have no connections when it is copied
    return name


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated database on each engine in turn: ``db_url`` made it a copy of the one
    migrated per session, as running the migrations for each test took a good part of the
    suite's time."""
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def admin(db: Database) -> Actor:
    with db.write() as session:
        agent = add_agent(session, None, "ada", name="Ada Admin", role="admin", teams=["Support"])
        return Actor(name=agent.login, agent_id=agent.id, role=agent.role)


@pytest.fixture
def agent_bob(db: Database, admin: Actor) -> Actor:
    with db.write() as session:
        agent = add_agent(session, admin, "bob", name="Bob Agent", teams=["Support"])
        return Actor(name=agent.login, agent_id=agent.id, role=agent.role)
