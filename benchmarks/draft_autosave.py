"""The composer's draft autosave in the real app: how many writes while typing and while
idle, and how long a typed key waits to be on disk (what a killed terminal would lose).

    python benchmarks/draft_autosave.py

Runs the app (Textual's pilot) on a throw-away SQLite desk seeded as the screen tests' desk,
in a temporary directory, three ways: the old autosave (1 s after typing stops, nothing
while typing goes on), 0.3 s alone, and 0.3 s with a save at least every 2 s (what the
composer does now). Typing model: 151 keys about 150 ms apart, a 700 ms pause after each
sentence; once without pauses between words, once with 0.4 s after each word; then 5 s idle.
Wall times vary with the machine; the counts of writes hardly do.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

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


async def run(delay: float, most: float, word_pause: float, tmp: Path) -> str:
    where = tmp / f"{delay}-{most}-{word_pause}"
    for name in ("CONFIG", "SITE_CONFIG", "DATA", "CACHE"):
        os.environ[f"HELPDESK_{name}_DIR"] = str(where / name.lower())
    from helpdesk_tui.app import make_app
    from helpdesk_tui.config import Settings
    from helpdesk_tui.drafts import DraftKind, DraftStore
    from helpdesk_tui.screens import composer
    from helpdesk_tui.screens.composer import ComposerScreen
    from helpdesk_tui.storage import migrate
    from helpdesk_tui.storage.database import Database
    from tests.screens.conftest import seed_desk
    from tests.screens.ticket_helpers import open_ticket, settle, until

    composer.AUTOSAVE_SECONDS = delay
    composer.AUTOSAVE_MAX_SECONDS = most
    db = Database(f"sqlite:///{where}.db")
    migrate.upgrade(db)
    data = seed_desk(db)
    number = data.numbers["printer"]
    writes: list[tuple[float, str, float]] = []
    save = DraftStore.save

    def timed(self: DraftStore, n: int, kind: DraftKind, text: str) -> None:
        start = time.perf_counter()
        save(self, n, kind, text)
        writes.append((time.perf_counter(), text, time.perf_counter() - start))

    DraftStore.save = timed  # type: ignore[method-assign]
    app = make_app(Settings(database_url=db.url), db, data.ada)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await open_ticket(pilot, number)
            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, ComposerScreen))
            await settle(pilot)
            typed = ""
            keys: list[tuple[float, str]] = []
            for char in TEXT:
                await pilot.press("space" if char == " " else char)
                typed += char
                keys.append((time.perf_counter(), typed))
                await asyncio.sleep(0.7 if char == "." else word_pause if char == " " else GAP)
            while_typing = len(writes)
            idle_from = time.perf_counter() + delay + 0.2  # (the last pause's own save)
            await asyncio.sleep(IDLE_SECONDS)
            idle = len([w for w in writes if w[0] > idle_from])
    finally:
        DraftStore.save = save  # type: ignore[method-assign]
        db.dispose()
    waits = []
    for at, state in keys:  # until a write holding this key (or later ones) is on disk
        later = [w[0] for w in writes if w[0] >= at and w[1].startswith(state)]
        if later:
            waits.append(later[0] - at)
    apart = (keys[-1][0] - keys[0][0]) / (len(keys) - 1) * 1000
    costs = [w[2] * 1000 for w in writes]
    return (
        f"autosave {delay:.1f} s, at least every {most:g} s; {word_pause:.2f} s after a word: "
        f"{len(keys)} keys {apart:.0f} ms apart, {while_typing} writes while typing, "
        f"{idle} in {IDLE_SECONDS:g} s idle; key → on disk median {statistics.median(waits):.2f}"
        f" s, max {max(waits):.2f} s; a write (thread) {statistics.median(costs):.1f} ms median"
    )


def main() -> None:
    os.environ.setdefault("HELPDESK_CLI_SERVER", "off")
    with tempfile.TemporaryDirectory() as tmp:
        for word_pause in (GAP, 0.4):
            for delay, most in ((1.0, float("inf")), (0.3, float("inf")), (0.3, 2.0)):
                print(asyncio.run(run(delay, most, word_pause, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
