"""Start-up: ``helpdesk --help``, a CLI verb, a shell-completion Tab, the TUI's first paint.

Builds a small desk (``helpdesk init`` + ``helpdesk demo --tickets 200``) under temporary
``HELPDESK_DATA_DIR`` / ``HELPDESK_CONFIG_DIR``, then runs each case ``--runs`` times, each
in a fresh process, and prints the median and max wall-clock time of each:

- ``--help``, ``ticket list``, ``ticket search password``, ``ticket show 12`` and ``report``
  ("desk in use") on the built desk, as a desk in use is read (the installed ``helpdesk``
  entry point, output to a pipe);
- write verbs (``ticket new``, ``reply``, ``note``, ``assign``, ``status``, ``tag`` on an
  open ticket) and other groups' verbs (``mail status``, ``report``, ``agent list``,
  ``team list``, ``canned list``, ``macro list``, ``kb search``, ``sla policy list``,
  ``survey status``, ``rules list``), each run on a fresh copy of the desk (the SQLite file
  copied back, or the PostgreSQL database made again from the built one and connected to
  once, before the run and outside its time), so no write piles up on the next run; their
  own cache directory (kept settings and names) as a user's;
- completion: ``_HELPDESK_COMPLETE=bash_complete COMP_WORDS='helpdesk ticket '``, the
  statuses after ``ticket list --status``, the agents after ``ticket assign 12 --to`` and the
  tags after ``ticket tag 12 --add`` (the names a command kept in the user's cache dir: the
  desk is built by commands, so they are there as a user would have them);
- first paint: from before the process is started until the screen has drawn the first
  page of the queue (the real ``helpdesk`` start path, headless at 80x24): the page kept
  from the last start when there is one ("first paint: helpdesk"), then until the live
  first page is drawn ("live page: helpdesk"); "helpdesk, nothing kept" deletes the kept
  page first, as on a first start (the desk is then opened before the UI). Against a bare
  Textual app with one DataTable of 20 rows, measured the same way; the ratios of medians.
  The desk is one an agent has used: five saved views in its config file (the same as
  ``app_keys.py``'s, :func:`write_views`) and the page kept by the last start (of the view
  the queue landed on, "My open"). Each start also says whether it validated the settings
  in full before its first paint (pydantic loaded: the settings kept in the cache dir did
  not match); a count over 0 is printed, as those paints measure a changed config, not a
  start.

The cases alternate run by run, so a change in the machine's load hits them alike. Each
figure is printed as wall-clock time and as CPU time (user + system): of the whole process
for the CLI cases (``getrusage(RUSAGE_CHILDREN)``), of the process up to that moment for the
paints (``time.process_time()`` in it, all threads), with the load average before and after:
on a shared machine the CPU time is the steadier figure. To measure older code, put its
``helpdesk_tui`` first on ``PYTHONPATH`` (code without a kept page gives the same figure in
all three helpdesk rows). The first paints' processes run ``python -P -c``, so they import
the code the CLI cases run (``PYTHONPATH``, then the installed package) and never a checkout
that happens to be the working directory (without ``-P``, ``-c`` puts the working directory
first on ``sys.path``).

    python benchmarks/startup.py [--runs 15] [--keep DIR] [--postgres] [--cli-only] [--tickets N]
                                 [--warm] [--helpdesk PATH]

``--warm``: the warm command server's path (``helpdesk_tui.cli.warm_client``) as a user
gets it: each CLI case twice, "(cold)" — no server running (stopped, and gone, before each
run), so the command runs in its own process and starts one, detached, as it ends (stopped
again after the run, outside its time) — and "(warm)" — the server running, the command
run in its child; the warm CPU is the client's plus the child's (the server's
``children_cpu``, from ``os.wait4``). Prints the servers' RSS and a child's cost (a fork
and an empty command). Without ``--warm`` the commands run with ``HELPDESK_CLI_SERVER=off``
(each in its own process, as before the server). ``--helpdesk PATH``: the program to run
(default: the installed ``helpdesk``; a script that calls ``helpdesk_tui.cli:run``).

``--postgres``: the desk in a throw-away PostgreSQL cluster (``tests/pg_cluster.py``, kept
in DIR/pg with ``--keep``) instead of a SQLite file. ``--cli-only``: no first paints.
``--no-writes``: not the write verbs (nor the other groups'). ``--paint-only``: the first
paints alone (no CLI case).

Goal (issue 10): a CLI verb ≤ 0.3 s, completion ≤ 0.2 s, first paint ≤ 1.5x bare Textual.
"""

from __future__ import annotations

import argparse
import os
import resource
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The child for the first paint: arguments are "bare" or "helpdesk". It is run as
# ``python -c CHILD kind``; the parent's time.time() before the start is in HELPDESK_T0.
CHILD = r"""
import asyncio, os, sys, time

kind = sys.argv[1]
T0 = float(os.environ["HELPDESK_T0"])


async def until_drawn(app, ready):
    while True:
        screen = app.screen if app._screen_stack else None
        if (
            screen is not None
            and ready(app)
            and not (
                screen._layout_required
                or screen._scroll_required
                or screen._repaint_required
                or screen._dirty_widgets
            )
        ):
            return
        await asyncio.sleep(0.0005)


def stamp():
    # Wall seconds since the parent started the process; CPU seconds of this process
    # (all its threads) so far.
    return f"{time.time() - T0:.6f} {time.process_time():.6f}"


if kind == "bare":
    from textual.app import App
    from textual.widgets import DataTable

    class Bare(App):
        def compose(self):
            yield DataTable()

        def on_mount(self):
            table = self.query_one(DataTable)
            table.add_columns("#", "Subject", "Status")
            for n in range(20):
                table.add_row(n, f"Subject {n}", "open")

    async def main():
        app = Bare()
        async with app.run_test(size=(80, 24)):
            await until_drawn(app, lambda app: app.query_one(DataTable).row_count == 20)
            print(stamp(), stamp(), flush=True)

    asyncio.run(main())
else:
    # The real start path (``helpdesk`` with no arguments), with App.run made headless.
    if kind == "cold":  # no kept first page: the desk is opened before the UI starts
        try:
            from helpdesk_tui import queue_cache
        except ImportError:  # code from before the kept page ("before" runs)
            pass
        else:
            queue_cache.cache_file().unlink(missing_ok=True)
    import textual.app

    def headless_run(self, *args, **kwargs):
        # The settings validated in full (pydantic) before the UI: the kept ones did not
        # match (a changed config, or another copy of the code). (Looked at here: after the
        # first paint the opening thread loads pydantic anyway.)
        validated = int("pydantic" in sys.modules)

        async def main():
            async with self.run_test(size=(80, 24)):
                def shown(app):
                    # A first page is on the screen: the kept one, or the live one.
                    queue = app.queue
                    return queue._started and (bool(queue._rows) or queue._mark is not None)

                def live(app):
                    # The live first page (of "My open": maybe empty) is shown.
                    queue = app.queue
                    return queue._mark is not None and not queue.fetching

                await until_drawn(self, shown)
                first = stamp()
                await until_drawn(self, live)
                print(first, stamp(), validated, flush=True)
                # The live page is kept for the next start, by a thread worker.
                await self.workers.wait_for_complete()

        asyncio.run(main())

    textual.app.App.run = headless_run
    from helpdesk_tui.cli import main

    main([], prog_name="helpdesk", standalone_mode=False)
"""


def build(root: Path, url: str | None = None, tickets: int = 200) -> dict[str, str]:
    """The desk's environment: a SQLite desk in ROOT/data, or the database at ``url``."""
    env = dict(os.environ)
    env["HELPDESK_DATA_DIR"] = str(root / "data")
    env["HELPDESK_CONFIG_DIR"] = str(root / "config")
    env["HELPDESK_CACHE_DIR"] = str(root / "cache")
    env.pop("HELPDESK_DATABASE_URL", None)
    if url is not None:
        env["HELPDESK_DATABASE_URL"] = url
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled modules are cached
    built = root / ("pg-desk-built" if url is not None else "data")
    if not built.exists():
        subprocess.run(["helpdesk", "init"], env=env, check=True, capture_output=True)
        subprocess.run(
            ["helpdesk", "demo", "--tickets", str(tickets)],
            env=env,
            check=True,
            capture_output=True,
        )
        built.mkdir(exist_ok=True)
    desk_url = url if url is not None else f"sqlite:///{root / 'data' / 'helpdesk.db'}"
    write_views(root / "config", desk_names(desk_url))
    return env


WRITES = {
    "helpdesk ticket new": [
        "ticket", "new", "--subject", "Printer jams on tray 2", "--from", "pat@example.com",
        "--body", "It jams every morning.",
    ],
    "helpdesk ticket reply N": ["ticket", "reply", "{n}", "--body", "Please try tray 1."],
    "helpdesk ticket note N": ["ticket", "note", "{n}", "--body", "Asked facilities."],
    "helpdesk ticket assign N --me": ["ticket", "assign", "{n}", "--me"],
    "helpdesk ticket status N waiting": ["ticket", "status", "{n}", "waiting"],
    "helpdesk ticket tag N --add vip": ["ticket", "tag", "{n}", "--add", "vip"],
    "helpdesk mail status": ["mail", "status"],
    "helpdesk report": ["report"],
    "helpdesk agent list": ["agent", "list"],
    "helpdesk team list": ["team", "list"],
    "helpdesk canned list": ["canned", "list"],
    "helpdesk macro list": ["macro", "list"],
    "helpdesk kb search printer": ["kb", "search", "printer"],
    "helpdesk sla policy list": ["sla", "policy", "list"],
    "helpdesk survey status": ["survey", "status"],
    "helpdesk rules list": ["rules", "list"],
}  # fmt: skip
"""Verbs that change the desk (N: an open ticket), and other groups' verbs, by case name."""


class FreshDesk:
    """The write verbs' desk, made again from the built one before each of their runs: a
    copy of the SQLite file, or a PostgreSQL database made from the built one as template."""

    def __init__(self, root: Path, env: dict[str, str], cluster: Any = None) -> None:
        self.cluster = cluster
        self.env = dict(env, HELPDESK_CACHE_DIR=str(root / "write-cache"))
        if cluster is None:
            self.built = Path(env["HELPDESK_DATA_DIR"]) / "helpdesk.db"
            self.data = root / "write-data"
            self.data.mkdir(exist_ok=True)
            self.env["HELPDESK_DATA_DIR"] = str(self.data)
        else:
            self.env["HELPDESK_DATABASE_URL"] = cluster.url("writes")

    def renew(self) -> None:
        if self.cluster is None:
            for companion in ("-wal", "-shm"):
                (self.data / f"helpdesk.db{companion}").unlink(missing_ok=True)
            shutil.copy2(self.built, self.data / "helpdesk.db")
        else:
            self.cluster.drop_database("writes")
            url = self.cluster.create_database("writes", template="postgres")
            # A first connection, as a desk in use has had: the server writes a new
            # database's catalog cache file then (tens of ms of its time, not the verb's).
            import psycopg

            with psycopg.connect(url.replace("+psycopg", "")) as conn:
                conn.execute("SELECT 1")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run of ``argv`` (with ``--warm``, as :class:`Warm`
    arranges it)."""
    if WARM.mode == "cold":
        WARM.stop()
    served_cpu = WARM.children_cpu() if WARM.mode == "warm" else 0.0
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    cpu = _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed: {done.stderr}")
    if WARM.mode == "warm":
        cpu += WARM.children_cpu() - served_cpu
    elif WARM.mode == "cold":
        WARM.wait_for_servers(1)  # the one it started: stopped before the next cold run
    return elapsed, cpu


class Warm:
    """The warm command servers of the benchmark's own socket directory."""

    def __init__(self) -> None:
        self.mode = "off"
        """"cold" (no server before a run), "warm" (one ready), else no arrangement."""

    def servers(self, what: bytes = b"status") -> list[dict[str, Any]]:
        from helpdesk_tui.cli.server import servers

        return servers(what)

    def children_cpu(self) -> float:
        return sum(info["children_cpu"] for info in self.servers())

    def wait_for_servers(self, count: int) -> None:
        deadline = time.monotonic() + 120
        while len(self.servers()) < count:
            if time.monotonic() > deadline:
                raise SystemExit("no warm server started")
            time.sleep(0.02)

    def stop(self) -> None:
        for info in self.servers(b"stop"):
            try:
                pidfd = os.pidfd_open(info["pid"])
            except ProcessLookupError:
                continue
            select.select([pidfd], [], [], 120)
            os.close(pidfd)

    def served(self) -> int:
        return sum(info["served"] for info in self.servers())

    def case(self, mode: str, run: Callable[[], tuple[float, float]]) -> Callable[[], Any]:
        """``run`` as a case of ``mode``; a warm case first makes sure its server runs (an
        untimed run: in-process, it starts one, waited for)."""

        def measured() -> tuple[float, float]:
            if mode == "warm":
                self.mode = "plain"
                before, count = self.served(), len(self.servers())
                run()
                if self.served() == before:
                    self.wait_for_servers(count + 1)
            self.mode = mode
            try:
                return run()
            finally:
                self.mode = "off"

        return measured


WARM = Warm()
NEVER_WARM = ("complete", "helpdesk --help", "helpdesk mail status")
"""Cases that never go to a warm server (``warm_client.goes_warm``): help and completion
answer without the data layer; ``mail`` may run the poller."""


def open_ticket(helpdesk: str, env: dict[str, str]) -> str:
    """The number of an open ticket of the desk (the write verbs work on it)."""
    done = subprocess.run(
        [helpdesk, "ticket", "list", "--status", "open", "--ids", "--limit", "1"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()[0]


def child_argv(*args: str) -> list[str]:
    """A Python child that imports the package as the ``helpdesk`` program does.

    ``-P``: with ``-c`` the working directory comes first on ``sys.path`` otherwise, so a run
    from one checkout with another one's code on ``PYTHONPATH`` (an A/B run) had its first
    paints import the checkout's code and its CLI cases the other one's; the two copies'
    files differ in their times, so each wrote its own fingerprint into the kept settings
    (``start_settings``) and every first paint validated the settings in full first: 60-70
    ms more of CPU, ``app_keys.py``'s 1.70-1.86x against ``startup.py``'s 1.33x."""
    return [sys.executable, "-P", *args]


def first_paint(kind: str, env: dict[str, str]) -> dict[str, Any]:
    """Wall and CPU seconds until the first page is drawn ("first"; for helpdesk the kept
    page, if any) and until the live first page is drawn ("live"), CPU as the process's own
    (all threads) at that moment; "validated": the settings were validated in full before
    the first paint (for "helpdesk": the kept settings were not used)."""
    child_env = dict(env, HELPDESK_T0=repr(time.time()))
    done = subprocess.run(
        child_argv("-c", CHILD, kind), env=child_env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"first paint ({kind}) failed: {done.stderr}")
    fields = done.stdout.strip().splitlines()[-1].split()
    wall1, cpu1, wall2, cpu2 = map(float, fields[:4])
    validated = len(fields) > 4 and fields[4] == "1"
    return {"first": (wall1, cpu1), "live": (wall2, cpu2), "validated": validated}


SAVED_VIEWS = {
    "urgent": ('title = "Urgent open"', 'priorities = ["urgent"]', "open_only = true"),
    "team": ('title = "Team {team}"', 'team = "{team}"'),
    "tag": ('title = "Tag {tag}"', 'tag = "{tag}"', "open_only = true"),
    "category": ('title = "Category {category}"', 'category = "{category}"'),
    "complaints": ('title = "Complaints"', 'types = ["complaint"]', 'sort = "priority"'),
}
"""Five saved views after the seven built-in ones (keys 8, 9, 0, then only v / V): a team's,
a tag's and a category's by the desk's names (:func:`desk_names`)."""


def write_views(config_dir: Path, names: dict[str, str]) -> None:
    """The desk's config file: :data:`SAVED_VIEWS`, as an agent who uses the desk has some."""
    config_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, fields in SAVED_VIEWS.items():
        lines.append(f"[ui.views.{name}]")
        lines.extend(field.format(**names) for field in fields)
        lines.append("")
    (config_dir / "config.toml").write_text("\n".join(lines))


def desk_names(url: str) -> dict[str, str]:
    """The team, tag and category the saved views name (``lister``'s first ones)."""
    from lister import _first_names

    from helpdesk_tui.storage.database import Database

    db = Database(url)
    try:
        _login, team, tag, category = _first_names(db)
    finally:
        db.dispose()
    return {"team": team, "tag": tag, "category": category}


def kept_page(root: Path) -> str:
    """What the last start kept in ROOT/cache/queue.json: the view and its rows."""
    import json

    try:
        data = json.loads((root / "cache" / "queue.json").read_text())
    except (OSError, ValueError):
        return "none"
    return f"view {data.get('view')!r}, {len(data.get('rows') or [])} rows"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", type=Path, help="build the desk here once, reuse it after")
    parser.add_argument("--postgres", action="store_true", help="a PostgreSQL desk")
    parser.add_argument("--tickets", type=int, default=200, help="the demo desk's size")
    parser.add_argument("--cli-only", action="store_true", help="no first paints")
    parser.add_argument("--no-writes", action="store_true", help="no write verbs")
    parser.add_argument("--paint-only", action="store_true", help="the first paints only")
    parser.add_argument("--warm", action="store_true", help="the warm server's path too")
    parser.add_argument("--helpdesk", help="the program to run (default: the installed one)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="helpdesk-startup-"))
    # The servers' sockets in a directory of this run's own (0700, as the program wants it).
    root.mkdir(parents=True, exist_ok=True)
    (root / "run").mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(root / "run")
    os.environ["HELPDESK_CLI_SERVER"] = "on" if args.warm else "off"
    cluster = None
    try:
        if args.postgres:
            sys.path.append(str(Path(__file__).resolve().parents[1]))
            from tests.pg_cluster import start_cluster

            root.chmod(0o755)  # mkdtemp's 0700 keeps the cluster's own user out
            cluster = start_cluster(root / "pg")
        env = build(root, cluster.url() if cluster is not None else None, args.tickets)
        helpdesk = args.helpdesk or shutil.which("helpdesk") or "helpdesk"
        complete = dict(env, _HELPDESK_COMPLETE="bash_complete")
        cases = {
            "helpdesk --help": lambda: timed([helpdesk, "--help"], env),
            "helpdesk ticket list": lambda: timed([helpdesk, "ticket", "list"], env),
            "helpdesk ticket search password": lambda: timed(
                [helpdesk, "ticket", "search", "password"], env
            ),
            "helpdesk ticket show 12": lambda: timed([helpdesk, "ticket", "show", "12"], env),
            "helpdesk report (desk in use)": lambda: timed([helpdesk, "report"], env),
            "complete 'helpdesk ticket '": lambda: timed(
                [helpdesk], dict(complete, COMP_WORDS="helpdesk ticket ", COMP_CWORD="2")
            ),
            "complete '… list --status '": lambda: timed(
                [helpdesk],
                dict(complete, COMP_WORDS="helpdesk ticket list --status ", COMP_CWORD="4"),
            ),
            "complete '… assign 12 --to '": lambda: timed(
                [helpdesk],
                dict(complete, COMP_WORDS="helpdesk ticket assign 12 --to ", COMP_CWORD="5"),
            ),
            "complete '… tag 12 --add '": lambda: timed(
                [helpdesk],
                dict(complete, COMP_WORDS="helpdesk ticket tag 12 --add ", COMP_CWORD="5"),
            ),
        }
        if not args.no_writes:
            fresh = FreshDesk(root, env, cluster)
            fresh.renew()
            number = open_ticket(helpdesk, fresh.env)

            def write(argv: list[str]) -> Callable[[], tuple[float, float]]:
                def run() -> tuple[float, float]:
                    fresh.renew()
                    return timed([helpdesk, *(a.format(n=number) for a in argv)], fresh.env)

                return run

            for name, argv in WRITES.items():
                cases[name] = write(argv)
        if args.paint_only:
            cases = {}
        if args.warm:
            both: dict[str, Callable[[], Any]] = {}
            for name, run in cases.items():
                if name.startswith(NEVER_WARM):
                    both[name] = run  # nothing to start a server for
                    continue
                both[f"{name} (cold)"] = WARM.case("cold", run)
            for name, run in cases.items():
                if not name.startswith(NEVER_WARM):
                    both[f"{name} (warm)"] = WARM.case("warm", run)
            cases = both
        paints = {
            "bare Textual": "bare",
            "helpdesk": "helpdesk",
            "helpdesk, nothing kept": "cold",
        }
        if args.cli_only:
            paints = {}
        for run in cases.values():  # warm the file cache once
            run()
        for kind in paints.values():  # (and keep the first page, as a first start does)
            first_paint(kind, env)
        load_before = os.getloadavg()[0]
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for name in paints:
            samples[f"first paint: {name}"] = []
            if name != "bare Textual":
                samples[f"live page: {name}"] = []
        validated = 0
        for _ in range(args.runs):
            for name, run in cases.items():
                samples[name].append(run())
            for name, kind in paints.items():
                times = first_paint(kind, env)
                samples[f"first paint: {name}"].append(times["first"])
                if name != "bare Textual":
                    samples[f"live page: {name}"].append(times["live"])
                if kind == "helpdesk":
                    validated += times["validated"]
        load_after = os.getloadavg()[0]
        print(
            f"{args.runs} runs each, load average {load_before:.2f} before, "
            f"{load_after:.2f} after (1 min; {os.cpu_count()} CPUs)"
        )
        print(f"{'case':<36} {'wall median':>12} {'max':>8} {'CPU median':>11} {'max':>8}")
        for name, values in samples.items():
            walls = [wall for wall, _ in values]
            cpus = [cpu for _, cpu in values]
            print(
                f"{name:<36} {statistics.median(walls) * 1000:>10.0f}ms"
                f" {max(walls) * 1000:>6.0f}ms {statistics.median(cpus) * 1000:>9.0f}ms"
                f" {max(cpus) * 1000:>6.0f}ms"
            )
        if args.warm:
            for info in WARM.servers():
                print(
                    f"warm server pid {info['pid']}: RSS {info['rss_kb'] / 1024:.0f} MB, "
                    f"{info['served']} commands, a fork {info['fork_seconds'] * 1000:.2f} ms "
                    "(median of the last ones, in the server)"
                )
        if paints:
            print(
                f"first paint: helpdesk: 5 saved views, the kept page: {kept_page(root)}; the "
                f"settings validated in full before it in {validated} of {args.runs} starts"
                + ("" if not validated else " (not a start as a user's: see first_paint)")
            )
        bare = samples.get("first paint: bare Textual")
        for case in (
            "first paint: helpdesk",
            "live page: helpdesk",
            "first paint: helpdesk, nothing kept",
        ):
            if not bare:
                break
            for what, index in (("wall", 0), ("CPU", 1)):
                ours = statistics.median(v[index] for v in samples[case])
                base = statistics.median(v[index] for v in bare)
                print(f"{case} / bare Textual ({what}, medians): {ours / base:.2f}")
    finally:
        if args.warm:
            WARM.stop()
        if cluster is not None:
            cluster.stop("fast" if args.keep else "immediate")
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
