"""One key's timeline in the real app: what happens, in which frame, until its rows are drawn.

``app_keys.py`` says how long a key takes; this says why: each frame written, each layout
pass (and which widget asked for it, with the calls that led there), the queue's read in its
thread, and the queue screen's steps that handle its answer, in milliseconds from the key.

    HELPDESK_DATABASE_URL=sqlite:///DESK.db HELPDESK_CONFIG_DIR=… HELPDESK_DATA_DIR=… \\
        python benchmarks/key_timeline.py search [--view open] [--word printer] [--repeat 3]
    … python benchmarks/key_timeline.py views --keys 12 [--repeat 3]
    … python benchmarks/key_timeline.py filter [--view open] [--tabs 5] --word TAG [--repeat 3]

Run it on a copy of a desk (the app writes presence rows). Wall times on a loaded machine
vary; the order of the steps and the number of frames and layouts do not.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# The package and ``tests`` from PYTHONPATH first (an A/B run puts older code there), this
# checkout's only when nothing else provides them.
sys.path.insert(0, str(HERE))
sys.path.append(str(HERE.parent))

LOG: list[tuple[float, str]] = []
began = [0.0]


def mark(what: str) -> None:
    if began[0]:
        LOG.append(((time.perf_counter() - began[0]) * 1000, what))


def _traced(owner: Any, name: str) -> None:
    original = getattr(owner, name)

    def traced(*args: Any, **kwargs: Any) -> Any:
        mark(f"{name} start")
        try:
            return original(*args, **kwargs)
        finally:
            mark(f"{name} end")

    setattr(owner, name, traced)


def instrument() -> None:
    from textual.screen import Screen
    from textual.widget import Widget

    from helpdesk_tui.desk.facade import Desk
    from helpdesk_tui.screens.queue import QueueScreen
    from helpdesk_tui.widgets.queue_table import QueueTable

    _traced(Desk, "list_window")
    _traced(Desk, "list_changes")
    for name in (
        "_show_rows",
        "_close_search",
        "_keep",
        "_maybe_fetch_more",
        "_reload",
        "_refresh",
        "_show_window",
    ):
        _traced(QueueScreen, name)
    _traced(QueueTable, "show")
    layout = Screen._refresh_layout

    def refresh_layout(self: Any, *args: Any, **kwargs: Any) -> Any:
        mark("layout pass")
        return layout(self, *args, **kwargs)

    Screen._refresh_layout = refresh_layout  # type: ignore[method-assign]
    tick = Screen._on_timer_update
    at_idle = [False]

    def ticked(self: Any) -> None:
        dirty = sorted(type(w).__name__ + (f"#{w.id}" if w.id else "") for w in self._dirty_widgets)
        how = "drawn at once (KeyFrames)" if at_idle[0] else "tick"
        mark(f"{how} (layout {self._layout_required}, dirty {', '.join(dirty)})")
        tick(self)

    Screen._on_timer_update = ticked  # type: ignore[method-assign]
    try:
        from helpdesk_tui.screens.frames import KeyFrames
    except ImportError:  # (older code: every frame is the update timer's)
        pass
    else:
        on_idle = KeyFrames.on_idle

        def idle(self: Any, event: Any) -> None:
            at_idle[0] = True
            try:
                on_idle(self, event)
            finally:
                at_idle[0] = False

        KeyFrames.on_idle = idle  # type: ignore[method-assign]
    from textual.timer import Timer

    resume = Timer.resume

    def resumed(self: Any) -> None:
        if self.name == "screen_update" and not self._active.is_set():
            calls = traceback.extract_stack(limit=7)[:-1]
            path = " < ".join(f"{f.name}:{f.lineno}" for f in reversed(calls))
            mark(f"screen timer resumed ({type(self._target()).__name__}: {path})")
        resume(self)

    Timer.resume = resumed  # type: ignore[method-assign]
    pause = Timer.pause

    def paused(self: Any) -> None:
        if self.name == "screen_update" and self._active.is_set():
            calls = traceback.extract_stack(limit=5)[:-1]
            path = " < ".join(f"{f.name}:{f.lineno}" for f in reversed(calls))
            mark(f"screen timer paused ({path})")
        pause(self)

    Timer.pause = paused  # type: ignore[method-assign]
    import textual.timer as timer_module

    original_sleep = timer_module.sleep

    async def sleep(secs: float) -> None:
        mark(f"timer sleeps {secs * 1000:.1f} ms")
        await original_sleep(secs)

    timer_module.sleep = sleep
    refresh = Widget.refresh

    def refreshed(self: Any, *args: Any, layout: bool = False, **kwargs: Any) -> Any:
        if layout and type(self).__name__ != "FooterKey":
            calls = traceback.extract_stack(limit=6)[:-1]
            path = " < ".join(f"{f.name}:{f.lineno}" for f in reversed(calls))
            mark(f"  asks for layout: {type(self).__name__} ({path})")
        return refresh(self, *args, layout=layout, **kwargs)

    Widget.refresh = refreshed  # type: ignore[method-assign]


async def drive(app: Any, args: argparse.Namespace) -> None:
    from app_keys import Driver
    from textual.widgets import Input

    d = Driver(app)
    display = app._display

    def displayed(screen: Any, renderable: Any) -> None:
        mark("frame")
        display(screen, renderable)

    app._display = displayed
    await d.until(lambda: app.queue._mark is not None and not app.queue.fetching, timeout=600)
    queue = app.queue

    async def timed(label: str, key: str) -> None:
        LOG.clear()
        began[0] = time.perf_counter()
        before = queue._request
        wall = await d.key(
            label, key, lambda: queue._request != before and not queue.fetching, lambda: queue.table
        )
        began[0] = 0.0
        # (to the real stdout: the app captures ``print`` while it runs)
        out = sys.__stdout__
        print(f"--- {label}: wall {wall:.1f} ms, CPU {d.cpu[label][-1]:.1f} ms", file=out)
        for at, what in LOG:
            print(f"  {at:7.1f} {what}", file=out)
        out.flush()
        await asyncio.sleep(0.2)

    if args.what == "views":
        for _ in range(args.repeat):
            for key in args.keys:
                await timed(f"view {key}", key)
        return
    index = next(i for i, view in enumerate(queue.views) if view.name == args.view)
    await d.key("view", str(index + 1), lambda: queue.view is queue.views[index])
    await asyncio.sleep(0.3)
    if args.what == "filter":
        await filter_enters(d, app, args, timed)
        return
    box = queue.query_one("#queue-search", Input)
    for _ in range(args.repeat):
        await d.key("/", "slash", lambda: app.screen.focused is box)
        for i, character in enumerate(args.word):
            typed = args.word[: i + 1]
            await d.key("typing", character, lambda t=typed: box.value == t, lambda: box)
        await asyncio.sleep(0.2)
        await timed("search Enter", "enter")
        await d.key("Esc", "escape", lambda: not queue.fetching)
        await asyncio.sleep(0.2)


async def filter_enters(d: Any, app: Any, args: argparse.Namespace, timed: Any) -> None:
    """f, Tab ``--tabs`` times to the form's field, ``--word`` typed, then the timed Enter
    (the form closes, the filtered list is read and drawn), then Esc clears the filter."""
    from textual.widgets import Input

    from helpdesk_tui.screens.queue_filter import QueueFilterScreen

    queue = app.queue
    for _ in range(args.repeat):
        await d.key("f", "f", lambda: isinstance(app.screen, QueueFilterScreen))
        form = app.screen
        for _ in range(args.tabs):
            before = form.focused
            await d.key("Tab", "tab", lambda b=before, f=form: f.focused is not b)
        box = form.focused
        assert isinstance(box, Input)
        for i, character in enumerate(args.word):
            typed = args.word[: i + 1]
            await d.key("typing", character, lambda t=typed, b=box: b.value == t, lambda b=box: b)
        await asyncio.sleep(0.2)
        await timed("filter Enter", "enter")
        await d.key("Esc", "escape", lambda: not queue.fetching)
        await asyncio.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("search", "views", "filter"))
    parser.add_argument("--view", default="open", help="the view searched in (its name)")
    parser.add_argument("--word", default="printer")
    parser.add_argument("--keys", default="12", help="view keys pressed in turn")
    parser.add_argument("--tabs", type=int, default=5, help="filter: Tabs to the field (5: tag)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import textual.app

    def headless_run(self: Any, *_args: Any, **_kwargs: Any) -> None:
        async def run() -> None:
            async with self.run_test(size=(80, 24)):
                try:
                    await drive(self, args)
                except BaseException:
                    traceback.print_exc(file=sys.__stderr__)
                    raise

        asyncio.run(run())

    textual.app.App.run = headless_run  # type: ignore[method-assign]
    instrument()
    from helpdesk_tui.cli import main as helpdesk

    helpdesk([], prog_name="helpdesk", standalone_mode=False)


if __name__ == "__main__":
    main()
