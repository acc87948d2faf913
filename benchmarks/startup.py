"""Start-up: ``helpdesk --help``, a CLI verb, a shell-completion Tab, the TUI's first paint.

Builds a small desk (``helpdesk init`` + ``helpdesk demo --tickets 200``) under temporary
``HELPDESK_DATA_DIR`` / ``HELPDESK_CONFIG_DIR``, then runs each case ``--runs`` times, each
in a fresh process, and prints the median and max wall-clock time of each:

- ``--help``, ``ticket list`` (the installed ``helpdesk`` entry point, output to a pipe);
- completion: ``_HELPDESK_COMPLETE=bash_complete COMP_WORDS='helpdesk ticket '``, the
  statuses after ``ticket list --status``, the agents after ``ticket assign 12 --to`` and the
  tags after ``ticket tag 12 --add`` (the names a command kept in the user's cache dir: the
  desk is built by commands, so they are there as a user would have them);
- first paint: from before the process is started until the screen has drawn the first
  page of the queue (the real ``helpdesk`` start path, headless at 80x24) against a bare
  Textual app with one DataTable of 20 rows, measured the same way; the ratio of medians.

The cases alternate run by run, so a change in the machine's load hits them alike. Each
figure is printed as wall-clock time and as the CPU time the process used (user + system,
from ``getrusage(RUSAGE_CHILDREN)``), with the load average before and after: on a shared
machine the CPU time is the steadier figure.

    python benchmarks/startup.py [--runs 15] [--keep DIR]

Goal (issue 10): a CLI verb ≤ 0.3 s, completion ≤ 0.2 s, first paint ≤ 1.5x bare Textual.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The child for the first paint: arguments are "bare" or "helpdesk". It is run as
# ``python -c CHILD kind``; the parent's time.time() before the start is in HELPDESK_T0.
CHILD = r"""
import asyncio, os, sys, time

kind = sys.argv[1]


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


def report():
    print(f"{time.time() - float(os.environ['HELPDESK_T0']):.6f}", flush=True)


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
            report()

    asyncio.run(main())
else:
    # The real start path (``helpdesk`` with no arguments), with App.run made headless.
    import textual.app

    def headless_run(self, *args, **kwargs):
        async def main():
            async with self.run_test(size=(80, 24)):
                def ready(app):
                    # The first page (of "My open": maybe empty) is shown.
                    queue = app.queue
                    return queue._mark is not None and not queue.fetching

                await until_drawn(self, ready)
                report()

        asyncio.run(main())

    textual.app.App.run = headless_run
    from helpdesk_tui.cli import main

    main([], prog_name="helpdesk", standalone_mode=False)
"""


def build(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["HELPDESK_DATA_DIR"] = str(root / "data")
    env["HELPDESK_CONFIG_DIR"] = str(root / "config")
    env["HELPDESK_CACHE_DIR"] = str(root / "cache")
    env.pop("HELPDESK_DATABASE_URL", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled modules are cached
    if not (root / "data").exists():
        subprocess.run(["helpdesk", "init"], env=env, check=True, capture_output=True)
        subprocess.run(
            ["helpdesk", "demo", "--tickets", "200"], env=env, check=True, capture_output=True
        )
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run of ``argv``."""
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed: {done.stderr}")
    return elapsed, _children_cpu() - cpu


def first_paint(kind: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds until the first page is drawn; CPU seconds of the whole process (which runs
    on a little after the paint: the app is then closed)."""
    cpu = _children_cpu()
    child_env = dict(env, HELPDESK_T0=repr(time.time()))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind], env=child_env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"first paint ({kind}) failed: {done.stderr}")
    return float(done.stdout.strip().splitlines()[-1]), _children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", type=Path, help="build the desk here once, reuse it after")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="helpdesk-startup-"))
    try:
        env = build(root)
        helpdesk = shutil.which("helpdesk") or "helpdesk"
        complete = dict(env, _HELPDESK_COMPLETE="bash_complete")
        cases = {
            "helpdesk --help": lambda: timed([helpdesk, "--help"], env),
            "helpdesk ticket list": lambda: timed([helpdesk, "ticket", "list"], env),
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
            "first paint: bare Textual": lambda: first_paint("bare", env),
            "first paint: helpdesk": lambda: first_paint("helpdesk", env),
        }
        for run in cases.values():  # warm the file cache once
            run()
        load_before = os.getloadavg()[0]
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, run in cases.items():
                samples[name].append(run())
        load_after = os.getloadavg()[0]
        print(
            f"{args.runs} runs each, load average {load_before:.2f} before, "
            f"{load_after:.2f} after (1 min; {os.cpu_count()} CPUs)"
        )
        print(f"{'case':<32} {'wall median':>12} {'max':>8} {'CPU median':>11} {'max':>8}")
        for name, values in samples.items():
            walls = [wall for wall, _ in values]
            cpus = [cpu for _, cpu in values]
            print(
                f"{name:<32} {statistics.median(walls) * 1000:>10.0f}ms"
                f" {max(walls) * 1000:>6.0f}ms {statistics.median(cpus) * 1000:>9.0f}ms"
                f" {max(cpus) * 1000:>6.0f}ms"
            )
        for what, index in (("wall", 0), ("CPU", 1)):
            bare = statistics.median(v[index] for v in samples["first paint: bare Textual"])
            ours = statistics.median(v[index] for v in samples["first paint: helpdesk"])
            print(f"first paint helpdesk / bare Textual ({what}, medians): {ours / bare:.2f}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
