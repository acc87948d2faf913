"""Draft autosave in the real app: how many writes while typing and while idle, how long a
typed key waits to be on disk (what a killed terminal would lose), and how long the UI
waits for a write (a frozen key).

    python benchmarks/draft_autosave.py [--screens composer,kb] [--quick]

Runs the app (Textual's pilot) on a throw-away SQLite desk seeded as the screen tests' desk,
in a temporary directory, with the real draft store (a temporary file, fsynced, renamed).
The composer three ways: the old autosave (1 s after typing stops, nothing while typing goes
on), 0.3 s alone, and 0.3 s with a save at least every 2 s (what the composer and the
editors do now); the knowledge-base article editor as the code has it. ``--quick``: only
the code's own timings. Typing model: 151 keys about 150 ms apart, a 700 ms pause after each
sentence; once without pauses between words, once with 0.4 s after each word; then 5 s idle.

"UI stall" is the event loop's lateness seen by a 5 ms probe: the longest and the total
while a draft write was under way (a write on the UI thread stalls it for the write's
whole time; a write in a thread for next to nothing), and the longest outside writes.
Wall times vary with the machine; the counts of writes hardly do. Run against older code
with ``PYTHONPATH=<its checkout>`` (the editors' own 1 s autosave there is used as it is).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE.parent))  # (``tests``: the screen tests' seeded desk)

TEXT = (
    "Thanks for the report. We have a replacement printer ready. "
    "A technician will bring it this afternoon. "
    "Please keep the old one switched off until then."
)
GAP = 0.06
"""Sleep between keys (with the pilot's own ≈ 90 ms per key: ≈ 150 ms apart)."""
IDLE_SECONDS = 5.0
PROBE_SECONDS = 0.005


def _timing_module() -> Any:
    """Where the autosave's timings live (before the shared autosave: the composer)."""
    try:
        from helpdesk_tui.screens import autosave

        return autosave
    except ImportError:
        from helpdesk_tui.screens import composer

        return composer


async def _probe(stalls: list[tuple[float, float]], stop: asyncio.Event) -> None:
    """Each wake-up later than asked: (when it woke, how late)."""
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(PROBE_SECONDS)
        woke = time.perf_counter()
        stalls.append((woke, woke - asked - PROBE_SECONDS))


async def run(
    screen: str, delay: float | None, most: float | None, word_pause: float, tmp: Path
) -> str:
    where = tmp / f"{screen}-{delay}-{most}-{word_pause}"
    for name in ("CONFIG", "SITE_CONFIG", "DATA", "CACHE"):
        os.environ[f"HELPDESK_{name}_DIR"] = str(where / name.lower())
    from helpdesk_tui.app import make_app
    from helpdesk_tui.config import Settings
    from helpdesk_tui.drafts import DraftStore
    from helpdesk_tui.screens.composer import ComposerScreen
    from helpdesk_tui.screens.kb import KbScreen
    from helpdesk_tui.screens.kb_edit import KbEditScreen
    from helpdesk_tui.storage import migrate
    from helpdesk_tui.storage.database import Database
    from tests.screens.conftest import seed_desk
    from tests.screens.ticket_helpers import open_ticket, settle, until

    timing = _timing_module()
    kept = (timing.AUTOSAVE_SECONDS, timing.AUTOSAVE_MAX_SECONDS)
    if delay is not None and most is not None:
        timing.AUTOSAVE_SECONDS, timing.AUTOSAVE_MAX_SECONDS = delay, most
    db = Database(f"sqlite:///{where}.db")
    migrate.upgrade(db)
    data = seed_desk(db)
    number = data.numbers["printer"]
    writes: list[tuple[float, float, str, bool]] = []
    """(start, end, text, on the UI thread)"""
    save, save_fields = DraftStore.save, DraftStore.save_fields
    ui_thread = threading.get_ident()

    def timed_save(self: DraftStore, *args: Any) -> None:
        start = time.perf_counter()
        if len(args) == 3 and isinstance(args[2], str):  # save(number, kind, text)
            save(self, *args)
            text = args[2]
        else:  # save_fields(kind, item, fields)
            save_fields(self, *args)
            text = str(args[2].get("body", ""))
        writes.append((start, time.perf_counter(), text, threading.get_ident() == ui_thread))

    DraftStore.save = timed_save  # type: ignore[method-assign,assignment]
    DraftStore.save_fields = timed_save  # type: ignore[method-assign,assignment]
    app = make_app(Settings(database_url=db.url), db, data.ada)
    stalls: list[tuple[float, float]] = []
    stop = asyncio.Event()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            if screen == "composer":
                await open_ticket(pilot, number)
                await pilot.press("r")
                await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
            else:
                await settle(pilot)
                await pilot.press("f3")
                await until(pilot, lambda: isinstance(app.screen, KbScreen))
                await settle(pilot)
                app.screen.query_one("#kb-results").focus()
                await pilot.press("n")
                await until(pilot, lambda: isinstance(app.screen, KbEditScreen))
                await settle(pilot)
                app.screen.query_one("#kb-edit-body").focus()
            await settle(pilot)
            probe = asyncio.create_task(_probe(stalls, stop))
            typed = ""
            keys: list[tuple[float, str]] = []
            for char in TEXT:
                await pilot.press("space" if char == " " else char)
                typed += char
                keys.append((time.perf_counter(), typed))
                await asyncio.sleep(0.7 if char == "." else word_pause if char == " " else GAP)
            while_typing = len(writes)
            idle_from = time.perf_counter() + (delay or 1.0) + 0.2  # (the last pause's save)
            await asyncio.sleep(IDLE_SECONDS)
            stop.set()
            await probe
            idle = len([w for w in writes if w[0] > idle_from])
    finally:
        DraftStore.save, DraftStore.save_fields = save, save_fields  # type: ignore[method-assign]
        timing.AUTOSAVE_SECONDS, timing.AUTOSAVE_MAX_SECONDS = kept
        db.dispose()
    waits = []
    for at, state in keys:  # until a write holding this key (or later ones) is on disk
        later = [w[1] for w in writes if w[1] >= at and w[2].startswith(state)]
        if later:
            waits.append(later[0] - at)
    apart = (keys[-1][0] - keys[0][0]) / (len(keys) - 1) * 1000
    costs = [(w[1] - w[0]) * 1000 for w in writes]
    on_ui = sum(w[3] for w in writes)

    def in_write(woke: float, late: float) -> bool:
        return any(w[0] <= woke and woke - late - PROBE_SECONDS <= w[1] for w in writes)

    during = [late * 1000 for woke, late in stalls if in_write(woke, late)]
    outside = [late * 1000 for woke, late in stalls if not in_write(woke, late)]
    setting = (
        f"autosave {delay:.1f} s, at least every {most:g} s"
        if delay is not None and most is not None
        else "autosave as the code has it"
    )
    return (
        f"{screen}: {setting}; {word_pause:.2f} s after a word: "
        f"{len(keys)} keys {apart:.0f} ms apart, {while_typing} writes while typing "
        f"({on_ui} on the UI thread), {idle} in {IDLE_SECONDS:g} s idle; key → on disk median "
        f"{statistics.median(waits) if waits else float('nan'):.2f} s, max "
        f"{max(waits, default=float('nan')):.2f} s; a write {statistics.median(costs):.1f} ms "
        f"median, {max(costs):.1f} max; UI stall during writes max "
        f"{max(during, default=0):.1f} ms (sum {sum(during):.0f}), elsewhere max "
        f"{max(outside, default=0):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", default="composer,kb")
    parser.add_argument("--quick", action="store_true", help="only the code's own timings")
    args = parser.parse_args()
    os.environ.setdefault("HELPDESK_CLI_SERVER", "off")
    screens = args.screens.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        for word_pause in (GAP, 0.4):
            if "composer" in screens:
                settings: list[tuple[float | None, float | None]] = (
                    [(None, None)]
                    if args.quick
                    else [(1.0, float("inf")), (0.3, float("inf")), (0.3, 2.0)]
                )
                for delay, most in settings:
                    line = asyncio.run(run("composer", delay, most, word_pause, Path(tmp)))
                    print(line, flush=True)
            if "kb" in screens:
                print(asyncio.run(run("kb", None, None, word_pause, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
