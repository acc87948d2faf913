"""The real ``helpdesk`` through PostgreSQL outages, cold and through the warm server.

A cluster of this module's own (its server is restarted, stopped and has its connections
ended), one desk per test (a new copy of the template under the module's one name), and one
warm server, started by the first "warm" test's first verb and used by the next ones: a
test's desk, directories and socket directory are at the same places as the one before's
(emptied between them), so its verbs have the server's key. Every verb is the installed
script's run in a real process, run in its own process ("cold",
``HELPDESK_CLI_SERVER=off``: forked by the worker's ``ImportProbe`` that imported
SQLAlchemy and the drivers first, and the script itself once) or in a child of the warm
server ("warm": the script as its client). What a user sees is checked
whole: the exit status, stdout, and stderr — empty when the verb worked, else exactly one
``error:`` line saying where the database is, the server's reason and what to check; never
a traceback, a driver's warning or SQLAlchemy's pool log ("Exception during reset or
similar").
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpdesk_tui.cli import main, warm_socket
from helpdesk_tui.cli.server import servers
from tests.cli.conftest import code_stamp, helpdesk_script
from tests.cli.import_probe import ImportProbe
from tests.conftest import HANG_SECONDS, TEST_CLUSTER_SETTINGS, need
from tests.pg_cluster import PgCluster, start_cluster

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TEMPLATE = "desk_template"
CHECK_SERVER = "check that the database server is running there and accepts connections"

VERBS: list[tuple[str, ...]] = [
    ("ticket", "list"),
    ("ticket", "show", "1"),
    ("ticket", "new", "--subject", "Scanner", "--from", "bo@example.com", "--body", "Jammed."),
    ("ticket", "reply", "1", "--body", "Try the other tray."),
    ("ticket", "note", "1", "--body", "Asked about the tray."),
    ("ticket", "assign", "1", "--to", "ann"),
    ("ticket", "status", "1", "in_progress", "--yes"),
    ("report",),
    ("mail", "status"),
    ("kb", "show", "1"),
    ("agent", "list"),
    ("db", "status"),
]
"""One verb of each group (ticket list/show/new/reply/note/assign/status, report, mail,
kb, agent list, db status); ``mail`` and ``db`` always run in their own process."""
DESK: list[tuple[str, ...]] = [
    ("init",),
    ("agent", "add", "ann", "--name", "Ann Agent"),
    ("ticket", "new", "--subject", "Printer", "--from", "cy@example.com", "--body", "Ink."),
    ("kb", "new", "--title", "Printer jams", "--body", "Open the tray."),
]
"""What every test's desk was made with, once, in the module's template database (each
test's desk is a copy of it): ``init``, ann an agent, ticket #1 from cy, one KB draft."""


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    """A cluster for this module alone: its tests stop and restart it."""
    try:
        made = start_cluster(settings=TEST_CLUSTER_SETTINGS)
    except (FileNotFoundError, OSError) as error:
        need(f"PostgreSQL ({error})")
    try:
        url = made.create_database(TEMPLATE)
        with pytest.MonkeyPatch.context() as env:
            env.setenv("HELPDESK_DATABASE_URL", url)
            for args in DESK:
                result = CliRunner().invoke(main, list(args))
                assert result.exit_code == 0, (args, result.output)
        yield made
    finally:
        made.stop()
        shutil.rmtree(made.root, ignore_errors=True)


@dataclass
class Places:
    """Where every test's desk and files are (``places``): the same for each, so that one
    warm server serves them all."""

    name: str
    """The desk's database (dropped and copied anew from the template for each test)."""
    home: Path
    """The config, site config, data and cache directories (emptied for each test)."""
    runtime: Path
    """The socket directory's parent (``XDG_RUNTIME_DIR``)."""
    code_stamp: str = ""
    """The package's code as the warm server was started for (``_start_server``)."""

    def env(self, cluster: PgCluster) -> dict[str, str]:
        dirs = ("config", "site-config", "data", "cache")
        env = {f"HELPDESK_{d.upper().replace('-', '_')}_DIR": str(self.home / d) for d in dirs}
        env.update(
            HELPDESK_DATABASE_URL=cluster.url(self.name),
            XDG_RUNTIME_DIR=str(self.runtime),
            HELPDESK_CLI_SERVER_IDLE="120",  # (if a teardown failed)
        )
        return env


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Places]:
    """The module's :class:`Places`; its warm server (if one was started) stopped after."""
    runtime = Path(tempfile.mkdtemp(prefix="hdo-", dir="/tmp"))  # (a socket's path is short)
    runtime.chmod(0o700)
    made = Places(f"desk_{os.getpid()}", tmp_path_factory.mktemp("outage"), runtime)
    try:
        yield made
    finally:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("XDG_RUNTIME_DIR", str(runtime))
            for info in servers(b"stop"):
                _wait_gone(info["pid"])
        shutil.rmtree(runtime, ignore_errors=True)


@dataclass
class Desk:
    cluster: PgCluster
    url: str
    env: dict[str, str]
    probe: ImportProbe
    outputs: Path
    places: Places

    def run(self, *args: str, warm: bool) -> subprocess.CompletedProcess[str]:
        """The installed ``helpdesk`` with ``args``, its stdin not a terminal: cold, in a
        process of its own forked by the worker's :class:`ImportProbe` (the script's
        interpreter start is the stopped test's ``[cold]``, once); warm, the script as the
        warm server's client."""
        return self.begin(*args, warm=warm)()

    def begin(self, *args: str, warm: bool) -> Callable[[], subprocess.CompletedProcess[str]]:
        """:meth:`run`'s verb started, not waited for: what it returns waits for its end."""
        if not warm:
            env = {**self.env, "HELPDESK_CLI_SERVER": "off"}
            return self.probe.start(list(args), env, self.outputs, self.outputs)
        process = subprocess.Popen(
            [helpdesk_script(), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**self.env, "HELPDESK_CLI_SERVER": "on"},
        )

        def ended() -> subprocess.CompletedProcess[str]:
            stdout, stderr = process.communicate(timeout=HANG_SECONDS)
            return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

        return ended

    def script(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The installed ``helpdesk`` itself with ``args``, cold."""
        return subprocess.run(
            [helpdesk_script(), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env={**self.env, "HELPDESK_CLI_SERVER": "off"},
            timeout=HANG_SECONDS,
        )

    def ok(self, *args: str, warm: bool) -> str:
        """Run a verb that must work: status 0 and nothing on stderr; its stdout."""
        done = self.run(*args, warm=warm)
        assert (done.returncode, done.stderr) == (0, ""), (args, done.stderr)
        return done.stdout

    def restart(self) -> None:
        self.cluster.stop("fast")
        self.cluster.start()

    def replies(self, number: int, text: str) -> int:
        """How many of ticket ``number``'s messages have the body ``text``."""
        shown = json.loads(self.ok("ticket", "show", str(number), "--json", warm=False))
        (ticket,) = shown
        return [message["body"] for message in ticket["messages"]].count(text)

    def backend_waiting_on_a_lock(self) -> int:
        """The pid of the desk's backend that waits on a lock (a verb held up by a test's
        lock), once there is one."""
        import psycopg

        deadline = time.monotonic() + HANG_SECONDS
        with psycopg.connect(self.url.replace("+psycopg", ""), autocommit=True) as conn:
            while time.monotonic() < deadline:
                found = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                ).fetchone()
                if found is not None:
                    return int(found[0])
                select.select([], [], [], 0.02)
        raise AssertionError("no verb waited on the lock")


@pytest.fixture
def desk(
    cluster: PgCluster,
    places: Places,
    _preloaded_probe: ImportProbe,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Desk]:
    """A new copy of the template's desk (:data:`DESK`) and empty directories, at the
    module's :class:`Places`; the module's warm server, if one runs, goes on running."""
    if not warm_socket.supported():
        need("Linux (SO_PEERCRED, pidfds) for the warm command server")
    shutil.rmtree(places.home, ignore_errors=True)
    places.home.mkdir()
    url = cluster.create_database(places.name, template=TEMPLATE)
    for name, value in places.env(cluster).items():
        monkeypatch.setenv(name, value)
    made = Desk(cluster, url, dict(os.environ), _preloaded_probe, tmp_path, places)
    try:
        yield made
    finally:
        cluster.start_if_stopped()
        cluster.drop_database(places.name)


def _wait_gone(pid: int) -> None:
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        ready, _, _ = select.select([pidfd], [], [], HANG_SECONDS)
        assert ready, f"server {pid} did not stop"
    finally:
        os.close(pidfd)


def _start_server(desk: Desk) -> None:
    """The user's warm server, as a first verb starts it (as it ends, detached), once it
    answers; none where the module's runs already (an earlier test's first verb started
    it)."""
    if servers():
        return
    desk.places.code_stamp = code_stamp()
    desk.ok("ticket", "list", warm=True)
    deadline = time.monotonic() + HANG_SECONDS
    while not servers():  # (it imports, then listens)
        assert time.monotonic() < deadline, "no server was started"
        select.select([], [], [], 0.05)


def _served() -> int:
    return sum(info["served"] for info in servers())


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a failed verb leaves: status 1, nothing on stdout, one line on stderr."""
    assert done.returncode == 1, done
    assert done.stdout == "", done.stdout
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


@pytest.fixture(params=["cold", "warm"])
def warm(request: pytest.FixtureRequest, desk: Desk) -> bool:
    if request.param == "warm":
        _start_server(desk)
        return True
    return False


def test_each_verb_while_the_server_is_stopped_is_one_line_then_works_again(
    desk: Desk, warm: bool
) -> None:
    """Stopped: each verb says where the database is (host and port), the server's reason
    and what to check, in one line, and ends with status 1; started again, they work, with
    nothing on stderr, and the reply is saved once; warm, each verb that may run warm did
    (``mail`` and ``db`` never), unless the package's code changed meanwhile (its server
    then stops: the one silent fallback a run of the suite beside an edit meets, and a
    legitimate one).

    The verbs after the start are also "each verb right after a restart works and says
    nothing more", once a test of its own that restarted the server before each verb,
    merged here: a cold verb holds no connection from one run to the next, nor does the
    warm server (it forks each verb's child before any connection is opened, and a child
    changes nothing in it), so every verb after the start meets the server as the first
    after a restart would; twelve restarts proved nothing more."""
    desk.ok("ticket", "list", warm=warm)
    desk.cluster.stop("fast")
    port = desk.cluster.port
    # Warm, ``mail`` and ``db`` run in the script's own process, as they do cold: stopped,
    # they meet the outage there as in [cold] (two fresh interpreters' start more here);
    # started again, they run here too, counted out of the server.
    for verb in [v for v in VERBS if not warm or v[0] not in ("mail", "db")]:
        done = desk.run(*verb, warm=warm)
        line = _one_line(done)
        assert line == (
            f"error: cannot open database postgresql+psycopg://postgres@127.0.0.1:{port}/"
            f'{desk.url.rsplit("/", 1)[1]}: connection to server at "127.0.0.1", port '
            f"{port} failed: Connection refused; {CHECK_SERVER}"
        ), verb
        if not warm and verb == VERBS[-1]:  # (the script's own start, once, the same)
            script = desk.script(*verb)
            assert (script.returncode, script.stdout, script.stderr) == (1, "", done.stderr)
    desk.cluster.start()
    for verb in VERBS:
        before = _served()
        assert desk.ok(*verb, warm=warm), verb
        # A verb runs cold where the package's code changed since the server started (an
        # edit while the suite runs): its key is another, as it must be. That server stops,
        # and the next one starts as the cold verb ends: from there no verb is counted.
        if warm and code_stamp() == desk.places.code_stamp:
            assert _served() - before == (verb[0] not in ("mail", "db")), (verb, servers())
    assert desk.replies(1, "Try the other tray.") == 1


@pytest.mark.parametrize("how", ["pg_terminate_backend", "restart"])
def test_a_reply_cut_off_mid_verb_is_one_line_and_saved_once_when_run_again(
    desk: Desk, warm: bool, how: str
) -> None:
    """The server ends the reply's connection while the reply waits for ticket #1's row
    (a colleague's transaction holds it): one line with the server's reason and what to
    check, nothing saved; run again, the reply is there once."""
    import psycopg

    holder = psycopg.connect(desk.url.replace("+psycopg", ""))
    try:
        holder.execute("SELECT id FROM ticket WHERE number = 1 FOR UPDATE")
        reply = desk.begin("ticket", "reply", "1", "--body", "Once only.", warm=warm)
        backend = desk.backend_waiting_on_a_lock()
        if how == "restart":
            desk.restart()
        else:
            with psycopg.connect(desk.url.replace("+psycopg", ""), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s, 60000)", (backend,))
        done = reply()
    finally:
        holder.close()
    line = _one_line(done)
    assert line == (
        f"error: #1: database error at {desk.url}: terminating connection due to "
        f"administrator command; {CHECK_SERVER}"
    )
    assert desk.replies(1, "Once only.") == 0
    desk.ok("ticket", "reply", "1", "--body", "Once only.", warm=warm)
    assert desk.replies(1, "Once only.") == 1


HOLD_AT_COMMIT = """
CREATE FUNCTION hold_at_commit() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN NULL; END $$;
CREATE CONSTRAINT TRIGGER hold_at_commit AFTER INSERT ON message
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hold_at_commit();
"""
"""A trigger that runs at COMMIT and waits there while a test holds advisory lock 4242:
the connection is lost during the commit itself."""


def test_a_reply_cut_off_during_its_commit_says_it_may_have_been_saved(
    desk: Desk, warm: bool
) -> None:
    """Lost during its COMMIT, a write cannot know whether the server committed before it
    went: its one line says the change may have been saved (look before doing it again),
    not a bare database error that invites doing it twice. (Here the server had not.)"""
    import psycopg

    plain = desk.url.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(HOLD_AT_COMMIT)  # type: ignore[arg-type]
    holder = psycopg.connect(plain, autocommit=True)
    try:
        holder.execute("SELECT pg_advisory_lock(4242)")
        reply = desk.begin("ticket", "reply", "1", "--body", "Maybe saved.", warm=warm)
        backend = desk.backend_waiting_on_a_lock()
        with psycopg.connect(plain, autocommit=True) as admin:
            (query,) = admin.execute(
                "SELECT query FROM pg_stat_activity WHERE pid = %s", (backend,)
            ).fetchone() or ("",)
            assert query == "COMMIT"
            admin.execute("SELECT pg_terminate_backend(%s, 60000)", (backend,))
        done = reply()
    finally:
        holder.close()
    line = _one_line(done)
    assert line == (
        f"error: #1: lost the connection to the database at {desk.url} while saving "
        "(terminating connection due to administrator command): the change may have been "
        "saved; look before doing it again"
    )
    assert desk.replies(1, "Maybe saved.") == 0
