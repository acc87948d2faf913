"""Opening a ticket with 10, 2,000 and 20,000 events: CPU until the ticket screen is drawn.

Builds one SQLite desk per size: one ticket whose history has that many events — one in
four a note (every tenth of those 8 KB long), the rest priority and tag changes — written
through the desk. Then drives the real app headless at 80x24, each size in its own
process: the queue shows, then the ticket is asked for (as Enter in the queue does) and
the CPU of the process (every thread: the read in its worker, the layout, the drawing) is
taken until the ticket screen shows its thread and has drawn everything that changed;
then ``h`` (the history) until drawn, then Esc. Repeated ``--runs`` times in one app.

Then, once, the agent scrolls up past the newest part the ticket opened with (until the
screen has read more of it) and the ticket is read again ``--runs`` times as a colleague's
reply or a live refresh reads it: CPU until the new read is drawn ("reload").

    python benchmarks/long_ticket.py [--sizes 10,2000,20000] [--runs 7] [--keep DIR]

(To measure older code, run it with ``PYTHONPATH`` pointing at an archive of that code.)
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from huge_body import until_drawn
from textual.pilot import Pilot

from helpdesk_tui.app import HelpdeskApp, make_app
from helpdesk_tui.config import Settings
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.agents import add_agent
from helpdesk_tui.desk.fields import set_priority, set_tags
from helpdesk_tui.desk.thread import add_note
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.messages import OpenTicket
from helpdesk_tui.screens.queue import QueueScreen
from helpdesk_tui.screens.ticket import TicketScreen
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database

SIZE = (80, 24)
LONG_NOTE = "A line of a long note, as an agent pastes a log into it.\n" * 140


def build(path: Path, events: int) -> int:
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    with db.write() as session:
        agent = add_agent(session, None, "ada", name="Ada Admin", role="admin", teams=["Support"])
        actor = Actor(name=agent.login, agent_id=agent.id, role=agent.role)
        number = create_ticket(
            session,
            actor,
            subject=f"A ticket with {events} events",
            body="It does not work.",
            channel="phone",
            requester_email="ann@example.com",
        ).number
    written = 1
    while written < events:
        with db.write() as session:
            for _ in range(min(500, events - written)):
                if written % 4 == 0:
                    body = LONG_NOTE if written % 40 == 0 else f"Note {written}: tried again."
                    add_note(session, actor, number, body=body)
                elif written % 4 == 1:
                    set_priority(session, actor, number, ("high", "normal")[written % 8 // 4])
                elif written % 4 == 2:
                    set_tags(session, actor, number, add=[f"t{written % 7}"])
                else:
                    set_tags(session, actor, number, remove=[f"t{(written - 1) % 7}"])
                written += 1
    db.dispose()
    return number


async def measure(
    path: Path, number: int, runs: int
) -> tuple[list[tuple[float, float]], list[float]]:
    db = Database(f"sqlite:///{path}")
    actor = Actor(name="ada", agent_id=1, role="admin")
    app = make_app(Settings(database_url=db.url), db, actor)
    figures = []
    async with app.run_test(size=SIZE) as pilot:
        await until_drawn(
            app, lambda: isinstance(app.screen, QueueScreen) and not app.queue.fetching
        )
        for _ in range(runs):
            started = time.process_time()
            app.post_message(OpenTicket(number))

            def shown() -> bool:
                screen = app.screen
                return isinstance(screen, TicketScreen) and screen.view is not None

            await until_drawn(app, shown)
            opened = (time.process_time() - started) * 1000
            started = time.process_time()
            await pilot.press("h")
            await until_drawn(app, lambda: True)
            history = (time.process_time() - started) * 1000
            figures.append((opened, history))
            await app.screen.run_action("back")
            await until_drawn(app, lambda: isinstance(app.screen, QueueScreen))
        reloads = await _reloads(app, pilot, number, runs)
    db.dispose()
    return figures, reloads


async def _reloads(app: HelpdeskApp, pilot: Pilot[None], number: int, runs: int) -> list[float]:
    """The ticket opened, scrolled up past its newest part (a ticket read whole at once
    is not), then read again ``runs`` times: CPU ms of each until drawn."""
    app.post_message(OpenTicket(number))
    await until_drawn(
        app, lambda: isinstance(app.screen, TicketScreen) and app.screen.view is not None
    )
    screen = app.screen
    assert isinstance(screen, TicketScreen)
    opened = screen.view
    assert opened is not None
    while opened.earlier and screen.view is opened:  # PageUp onto the marker
        await pilot.press("pageup")
        await until_drawn(app, lambda: True)
    figures = []
    for _ in range(runs):
        before = screen.view
        started = time.process_time()
        screen.reload()
        await until_drawn(app, lambda: screen.view is not before)  # noqa: B023
        figures.append((time.process_time() - started) * 1000)
    await screen.run_action("back")
    return figures


def _child(target: object, args: tuple[object, ...], results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        value = target(*args)  # type: ignore[operator]
        results.put(asyncio.run(value) if asyncio.iscoroutine(value) else value)
    except BaseException as error:
        results.put(error)
        raise


def _in_child(target: object, *args: object) -> object:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_child, args=(target, args, results))
    process.start()
    value = results.get()
    process.join()
    if isinstance(value, BaseException):
        raise SystemExit(f"failed: {value!r}")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,2000,20000", help="events on the ticket")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the databases here")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="long-ticket-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        print(
            f"{'events':>7} {'open: median':>13} {'max':>8} {'h: median':>10} {'max':>8}"
            f" {'reload: median':>15} {'max':>8}  (CPU ms)"
        )
        for events in (int(s) for s in args.sizes.split(",")):
            path = workdir / f"desk-{events}.db"
            if not path.exists():
                _in_child(build, path, events)
            measured = _in_child(measure, path, 1, args.runs)
            assert isinstance(measured, tuple)
            figures, reloads = measured
            opened = [o for o, _ in figures]
            history = [h for _, h in figures]
            print(
                f"{events:>7,} {statistics.median(opened):>13.1f} {max(opened):>8.1f}"
                f" {statistics.median(history):>10.1f} {max(history):>8.1f}"
                f" {statistics.median(reloads):>15.1f} {max(reloads):>8.1f}",
                flush=True,
            )
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
