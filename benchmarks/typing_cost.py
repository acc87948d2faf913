"""What a typed key costs the app: CPU per key for ↓ in the queue and letters in the composer.

    python benchmarks/typing_cost.py [--keys 200] [--runs 5]

Runs the app (Textual's pilot, headless, 80x24) on a throw-away SQLite desk seeded as the
screen tests' desk plus ``--keys`` tickets, in a temporary directory. Presses ↓ ``--keys``
times in the queue ("All open"), then opens a ticket's reply composer and types ``--keys``
letters; each key is pressed alone, as a typist at normal speed does (the pilot waits
for the app to go idle after each, with the test suite's quick wait: tests/pilot_keys.py).
Prints the process's CPU time (every thread) per key, median of ``--runs`` fresh runs,
its wall time per key (which includes the pilot's idle wait), and the messages the app's
widgets handled per key (callbacks, events: a figure a busy machine does not move). A
burst (all keys in one read) follows in each place: ``--keys`` ↓ or letters posted at
once, CPU per key until the last one is handled.

Run against older code with ``PYTHONPATH=<its checkout>`` (the package and ``tests`` are
taken from there first); the CPU figure is the one to compare on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE.parent))  # (``tests``: the screen tests' seeded desk)

LETTERS = "thequickbrownfoxjumpsoverthelazydog"


BURST_LOOK_SECONDS = 0.005
"""How often the burst's end is looked for."""


async def _burst_done(app: Any, pilot: Any, done: Any) -> None:
    """Until ``done()`` and no key typed ahead waits, then the app has handled every message.

    Looked at every ``BURST_LOOK_SECONDS``, not by ``drain``'s ``pilot.pause(0)``, which posts a
    callback to every widget of the screen at each look (≈ 20 on the queue): looking after
    each key, as it did while keys went on one at a time, counted some 10 to 20 messages a key
    that were the pilot's, not the app's."""
    from tests.screens.ticket_helpers import drain

    typing = getattr(app, "typing_ahead", None)
    while not (done() and (typing is None or typing.idle)):
        await asyncio.sleep(BURST_LOOK_SECONDS)
    await drain(pilot)


async def run(keys: int, tmp: Path) -> dict[str, tuple[float, float, float]]:
    """CPU and wall ms and messages handled per key for each place: {place: (cpu, wall,
    messages)}."""
    for name in ("CONFIG", "SITE_CONFIG", "DATA", "CACHE"):
        os.environ[f"HELPDESK_{name}_DIR"] = str(tmp / name.lower())
    from textual import events
    from textual.message_pump import MessagePump
    from textual.widgets import TextArea

    from helpdesk_tui.app import make_app
    from helpdesk_tui.config import Settings
    from helpdesk_tui.desk.facade import Desk
    from helpdesk_tui.screens.composer import ComposerScreen
    from helpdesk_tui.screens.queue import QueueScreen
    from helpdesk_tui.storage import migrate
    from helpdesk_tui.storage.database import Database
    from helpdesk_tui.widgets.queue_table import QueueTable
    from tests import pilot_keys
    from tests.screens.conftest import seed_desk
    from tests.screens.ticket_helpers import open_ticket, settle, until

    db = Database(f"sqlite:///{tmp}/desk.db")
    migrate.upgrade(db)
    data = seed_desk(db)
    desk = Desk(db, data.ada)
    for index in range(keys):
        desk.ticket_create(
            subject=f"Bench ticket {index}", body="Body.", requester_email="ann@example.com"
        )
    app = make_app(Settings(database_url=db.url), db, data.ada)
    patches = pytest.MonkeyPatch()
    pilot_keys.install(patches)  # (the suite's quick idle wait: less polling in the figure)
    figures: dict[str, tuple[float, float, float]] = {}
    handled = [0]
    dispatch = MessagePump._dispatch_message

    async def counted_dispatch(pump: MessagePump, message: Any) -> Any:
        handled[0] += 1
        return await dispatch(pump, message)

    async def timed(place: str, press: Any) -> None:
        cpu, wall, before = time.process_time(), time.perf_counter(), handled[0]
        MessagePump._dispatch_message = counted_dispatch  # type: ignore[method-assign]
        try:
            await press()
        finally:
            MessagePump._dispatch_message = dispatch  # type: ignore[method-assign]
        figures[place] = (
            (time.process_time() - cpu) * 1000 / keys,
            (time.perf_counter() - wall) * 1000 / keys,
            (handled[0] - before) / keys,
        )

    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, QueueScreen) and app.live)
            await pilot.press("3")  # All open
            await settle(pilot)
            table = app.screen.query_one(QueueTable)
            await until(pilot, lambda: bool(table.numbers))
            moves = [0]
            cursor_down = QueueTable.action_cursor_down

            def counted(self: QueueTable) -> None:
                moves[0] += 1
                cursor_down(self)

            QueueTable.action_cursor_down = counted  # type: ignore[method-assign]

            async def downs() -> None:
                for _ in range(keys):
                    await pilot.press("down")

            await timed("queue ↓", downs)
            await settle(pilot)

            async def burst_downs() -> None:
                for _ in range(keys):
                    app.post_message(events.Key("down", None))
                await _burst_done(app, pilot, lambda: moves[0] >= 2 * keys)

            await timed("queue ↓ burst", burst_downs)
            QueueTable.action_cursor_down = cursor_down  # type: ignore[method-assign]
            await open_ticket(pilot, data.numbers["printer"])
            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
            await settle(pilot)
            area = app.screen.query_one(TextArea)
            text = (LETTERS * (keys // len(LETTERS) + 1))[:keys]

            async def letters() -> None:
                for char in text:
                    await pilot.press(char)

            await timed("composer letters", letters)

            async def burst_letters() -> None:
                for char in text:
                    app.post_message(events.Key(char, char))
                await _burst_done(app, pilot, lambda: len(area.text) >= 2 * keys)

            await timed("composer letters burst", burst_letters)
            assert area.text == text * 2, "the letters typed are not all in the composer"
    finally:
        patches.undo()
        db.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import helpdesk_tui

    print(f"code: {Path(helpdesk_tui.__file__).parent.parent}")
    runs: list[dict[str, tuple[float, float, float]]] = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(asyncio.run(run(args.keys, Path(tmp))))
    for place in runs[0]:
        cpus = [figures[place][0] for figures in runs]
        walls = [figures[place][1] for figures in runs]
        handled = [figures[place][2] for figures in runs]
        print(
            f"{place:24} CPU {statistics.median(cpus):6.2f} ms/key "
            f"(runs {', '.join(f'{c:.2f}' for c in cpus)}); "
            f"wall {statistics.median(walls):6.1f} ms/key; "
            f"{statistics.median(handled):5.1f} messages handled/key"
        )
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
