"""Queue latency at 1,000 and 100,000 tickets: first paint, PageDown, filter change, memory,
and the CPU an idle queue uses (30 s on "Recently resolved" with nothing changing).

Builds one SQLite desk per size with the demo generator (seed 1), then drives the real app
headless, each size in its own process so resident memory is that size's alone. A key's
latency runs from handing the key to the app until the rows it asked for are in the table
*and* the screen has drawn every change (so it includes the keyset query, the table update
and the paint, and the wait for the screen's next refresh tick).

    python benchmarks/queue_latency.py [--sizes 1000,100000] [--keys 40] [--keep DIR]

Goal (issue 3): the 100k/1k ratio ≤ 1.2 and a median under 50 ms per key at 100,000.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from textual import events

from helpdesk_tui.app import HelpdeskApp, make_app
from helpdesk_tui.config import Settings
from helpdesk_tui.desk.actors import agent_actor
from helpdesk_tui.desk.demo import generate_demo
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database

SIZE = (120, 40)
VIEW_KEYS = ("2", "3", "4", "5", "6", "1")
IDLE_SECONDS = 30.0


@dataclass
class Figures:
    tickets: int
    first_paint_ms: float
    page_down_ms: list[float]
    filter_ms: list[float]
    rss_mib: float
    peak_rss_mib: float
    idle_cpu: float = 0.0
    """CPU seconds per second of the whole process while the queue sat idle on a view."""


def build(path: Path, tickets: int) -> float:
    """A migrated desk with ``tickets`` demo tickets; returns the seconds it took."""
    started = time.perf_counter()
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    generate_demo(db, tickets=tickets, seed=1)
    db.dispose()
    return time.perf_counter() - started


def _memory() -> tuple[float, float]:
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


class Probe:
    """Drives keys and tells when the screen has caught up (reads Textual internals)."""

    def __init__(self, app: HelpdeskApp) -> None:
        self.app = app

    def _dirty(self) -> bool:
        """Changes the screen has not drawn yet (its update tick clears these as it draws)."""
        screen = self.app.screen
        return bool(
            screen._layout_required
            or screen._scroll_required
            or screen._repaint_required
            or screen._dirty_widgets
        )

    async def until(self, ready: object, timeout: float = 30.0) -> None:
        """Wait for ``ready()`` to hold, then until the screen has drawn what changed."""
        deadline = time.perf_counter() + timeout
        while not ready() or self._dirty():  # type: ignore[operator]
            if time.perf_counter() > deadline:
                raise TimeoutError("the queue did not settle")
            await asyncio.sleep(0.0005)

    async def key(self, key: str, ready: object) -> float:
        started = time.perf_counter()
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(self.app)
        assert self.app._driver is not None
        self.app._driver.send_message(event)
        await asyncio.sleep(0)
        await self.until(ready)
        return (time.perf_counter() - started) * 1000


async def measure(path: Path, tickets: int, keys: int) -> Figures:
    db = Database(f"sqlite:///{path}")
    with db.read() as session:
        login = session.execute(text("SELECT login FROM agent ORDER BY id LIMIT 1")).scalar_one()
        actor = agent_actor(session, login)
    # "All tickets" (key 7), so PageDown has the whole desk to walk through.
    settings = Settings(database_url=db.url)
    app = make_app(settings, db, actor)
    started = time.perf_counter()
    async with app.run_test(size=SIZE):
        probe = Probe(app)
        queue = app.queue
        await probe.until(lambda: queue.table.numbers and not queue.fetching)
        first_paint = (time.perf_counter() - started) * 1000
        await probe.key("7", lambda: not queue.fetching)

        table = queue.table
        page_down = []
        for _ in range(keys):
            if table.cursor_row == len(table.numbers) - 1:  # the end of the desk: start again
                await probe.key("g", lambda: table.cursor_row == 0 and not queue.fetching)
            before = table.current_number

            def moved(before: int | None = before) -> bool:
                return table.current_number != before and not queue.fetching

            page_down.append(await probe.key("pagedown", moved))

        filter_change = []
        for index in range(keys // 2):
            key = VIEW_KEYS[index % len(VIEW_KEYS)]
            view = queue.views[int(key) - 1]

            def switched(view: object = view) -> bool:
                return queue.view is view and not queue.fetching

            filter_change.append(await probe.key(key, switched))
        await probe.key("6", lambda: queue.view is queue.views[5] and not queue.fetching)
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        await asyncio.sleep(IDLE_SECONDS)  # "Recently resolved", nothing changing
        idle = (time.process_time() - cpu_before) / (time.perf_counter() - wall_before)
        rss, peak = _memory()
    db.dispose()
    return Figures(tickets, first_paint, page_down, filter_change, rss, peak, idle)


def _child(path: str, tickets: int, keys: int, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        results.put(asyncio.run(measure(Path(path), tickets, keys)))
    except BaseException as error:
        results.put(error)
        raise


def run_size(path: Path, tickets: int, keys: int) -> Figures:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_child, args=(str(path), tickets, keys, results))
    process.start()
    figures = results.get()
    process.join()
    if isinstance(figures, BaseException):
        raise SystemExit(f"measuring {tickets:,} tickets failed: {figures!r}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--keys", type=int, default=40, help="PageDown presses per size")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the databases here")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="queue-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        results = []
        for tickets in sizes:
            path = workdir / f"desk-{tickets}.db"
            if not path.exists():
                print(f"building {tickets:,} tickets …", flush=True)
                print(f"  built in {build(path, tickets):.1f} s", flush=True)
            results.append(run_size(path, tickets, args.keys))
        _report(results)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def _report(results: list[Figures]) -> None:
    print()
    print(
        f"{'tickets':>9} {'first paint':>12} {'PageDown p50':>13} {'p90':>7} "
        f"{'filter p50':>11} {'p90':>7} {'RSS':>8} {'peak RSS':>9} {'idle CPU':>9}"
    )
    for f in results:
        print(
            f"{f.tickets:>9,} {f.first_paint_ms:>10.0f}ms "
            f"{statistics.median(f.page_down_ms):>11.1f}ms {_p90(f.page_down_ms):>5.1f}ms "
            f"{statistics.median(f.filter_ms):>9.1f}ms {_p90(f.filter_ms):>5.1f}ms "
            f"{f.rss_mib:>6.0f}MiB {f.peak_rss_mib:>7.0f}MiB {f.idle_cpu:>8.1%}"
        )
    if len(results) >= 2:
        small, big = results[0], results[-1]
        print()
        print(f"ratio {big.tickets:,} / {small.tickets:,}:")
        for label, a, b in (
            ("first paint", small.first_paint_ms, big.first_paint_ms),
            (
                "PageDown median",
                statistics.median(small.page_down_ms),
                statistics.median(big.page_down_ms),
            ),
            (
                "filter change median",
                statistics.median(small.filter_ms),
                statistics.median(big.filter_ms),
            ),
            ("resident memory", small.rss_mib, big.rss_mib),
        ):
            print(f"  {label:<22} {b / a:5.2f} x")


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


if __name__ == "__main__":
    main()
