"""Opening a ticket whose message is 1, 10 and 100 MB: time to first paint, Esc, peak memory.

Builds one SQLite desk per size (one ticket whose first message is that many megabytes of
log lines, written through the desk as a phone call would be), then drives the real app
headless, each size in its own process so its memory is that size's alone:

- *first paint*: from asking for the ticket (as Enter in the queue does) until the ticket
  screen shows the message and has drawn everything that changed;
- *read on*: one ``o`` (the next 100,000 characters) until drawn;
- *Esc*: from Esc until the queue is back and drawn;
- *RSS before* (after the app started, queue shown) and *peak RSS* (the process's high-water
  mark, ``VmHWM``, opening the ticket included).

    python benchmarks/huge_body.py [--sizes 1,10,100] [--keep DIR]

(To measure older code, run this script with ``PYTHONPATH`` pointing at an archive of it.)

Goal (issue 8): a 100 MB message opens in under a second, in bounded memory, and Esc works.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from helpdesk_tui.app import HelpdeskApp, make_app
from helpdesk_tui.config import Settings
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.messages import OpenTicket
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database
from helpdesk_tui.widgets.thread import MessageView, Thread

SIZE = (120, 40)
MB = 1024 * 1024


@dataclass
class Figures:
    megabytes: int
    first_paint_ms: float
    read_on_ms: float
    escape_ms: float
    rss_before_mib: float
    peak_rss_mib: float


def build(path: Path, megabytes: int) -> int:
    """A desk with one ticket whose message is ``megabytes`` MB; returns its number."""
    line = "2026-12-04 12:00:00 kernel: [ 1234.5678] usb 1-1: device descriptor read error\n"
    body = line * (megabytes * MB // len(line) + 1)
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    with db.write() as session:
        agent = add_agent(session, None, "ada", name="Ada Admin", role="admin", teams=["Support"])
        actor = Actor(name=agent.login, agent_id=agent.id, role=agent.role)
        number = create_ticket(
            session,
            actor,
            subject=f"{megabytes} MB of kernel log",
            body=body[: megabytes * MB],
            channel="phone",
            requester_email="ann@example.com",
        ).number
    db.dispose()
    return number


def _memory() -> tuple[float, float]:
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def drawn(app: HelpdeskApp) -> bool:
    """The screen has drawn every change (its update tick clears these as it draws)."""
    screen = app.screen
    return not (
        screen._layout_required
        or screen._scroll_required
        or screen._repaint_required
        or screen._dirty_widgets
    )


async def until_drawn(app: HelpdeskApp, ready: Callable[[], bool], timeout: float = 600.0) -> float:
    """Wait until ``ready()`` and everything drawn; the milliseconds it took (long_ticket.py
    waits the same way)."""
    started = time.perf_counter()
    while not (ready() and drawn(app)):
        if time.perf_counter() - started > timeout:
            raise TimeoutError("the screen did not settle")
        await asyncio.sleep(0.0005)
    return (time.perf_counter() - started) * 1000


async def measure(path: Path, megabytes: int, number: int) -> Figures:
    db = Database(f"sqlite:///{path}")
    actor = Actor(name="ada", agent_id=1, role="admin")
    app = make_app(Settings(database_url=db.url), db, actor)
    async with app.run_test(size=SIZE):
        await until_drawn(
            app, lambda: isinstance(app.screen, QueueScreen) and not app.queue.fetching
        )
        rss_before, _ = _memory()
        started = time.perf_counter()
        app.post_message(OpenTicket(number))

        def shown() -> bool:
            screen = app.screen
            return isinstance(screen, TicketScreen) and bool(screen.query(MessageView))

        await until_drawn(app, shown)
        first_paint = (time.perf_counter() - started) * 1000
        thread = app.screen.query_one(Thread)
        # getattr: the script also measures code from before messages were read in parts.
        cut = getattr(thread, "first_cut", lambda: None)()
        read_on = 0.0
        if cut is not None:
            started = time.perf_counter()
            await app.screen.run_action("more")
            await until_drawn(app, lambda: thread.first_cut() is not cut)
            read_on = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        await app.screen.run_action("back")
        await until_drawn(app, lambda: isinstance(app.screen, QueueScreen))
        escape = (time.perf_counter() - started) * 1000
        _, peak = _memory()
    db.dispose()
    return Figures(megabytes, first_paint, read_on, escape, rss_before, peak)


def _child(path: str, megabytes: int, number: int, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        results.put(asyncio.run(measure(Path(path), megabytes, number)))
    except BaseException as error:
        results.put(error)
        raise


def _in_child(target: object, *args: object) -> object:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=target, args=(*args, results))
    process.start()
    value = results.get()
    process.join()
    if isinstance(value, BaseException):
        raise SystemExit(f"failed: {value!r}")
    return value


def _build_child(path: str, megabytes: int, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        results.put(build(Path(path), megabytes))
    except BaseException as error:
        results.put(error)
        raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100", help="message sizes in MB")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the databases here")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="huge-body-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        results = []
        for megabytes in (int(s) for s in args.sizes.split(",")):
            path = workdir / f"desk-{megabytes}mb.db"
            if not path.exists():
                print(f"building a desk with a {megabytes} MB message …", flush=True)
                _in_child(_build_child, str(path), megabytes)
            figures = _in_child(_child, str(path), megabytes, 1)
            assert isinstance(figures, Figures)
            results.append(figures)
        _report(results)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def _report(results: list[Figures]) -> None:
    print()
    print(
        f"{'message':>8} {'first paint':>12} {'read on':>9} {'Esc':>7} "
        f"{'RSS before':>11} {'peak RSS':>9}"
    )
    for f in results:
        print(
            f"{f.megabytes:>5} MB {f.first_paint_ms:>10.0f}ms {f.read_on_ms:>7.0f}ms "
            f"{f.escape_ms:>5.0f}ms {f.rss_before_mib:>8.0f}MiB {f.peak_rss_mib:>7.0f}MiB"
        )


if __name__ == "__main__":
    main()
