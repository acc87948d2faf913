"""The real app, key by key, at 1,000 tickets and on a big desk: issue 10's "must show".

Starts ``helpdesk`` the way an agent does (the CLI's start path, ``App.run`` made headless
with ``run_test`` at 80x24 and at 120x40), on each desk in a process of its own, and presses
the app's own keys: every view key (1 to 9, 0, and v / V through the views past the tenth:
five saved views are configured, so the view bar overflows), every sort (s through all nine,
then S), every kind of filter typed into the filter form (f, Tab to the field, the value
typed key by key, Enter; Esc clears it), End and Home, PageDown, a search for a common and
a rare word (/, the word typed, Enter), the command palette's search key by key, and then
30 s of idling on "Recently resolved". Each key is timed from handing it to the app until
the screen shows its result *and* has drawn every change (the rows it asked for are in the
table, nothing left to lay out or paint; the headless driver's frames are rendered to
terminal bytes as a terminal's would be), as wall time and as the CPU time of the app's
process (every thread: the reads run in thread workers), and apart the CPU of the desk's
list reads the key caused (``read``: the query's share), and the rows the queue holds after
it, small / big (``rows``: a page of 3 rows at 1,000 tickets against a full one on the big
desk reads and draws more rows, which no index makes cheaper: ≈ 0.1-0.2 ms of CPU a row
drawn), and the frames written until every change is drawn (``frames``, median). Every
action is repeated ``--repeat`` times, the first (cold) time included. The driver looks
again at each frame and each time a screen has handled its messages (``_look_at_idle``).

Beside the keys, per desk: the first paint of ``helpdesk`` against a bare Textual app with
one DataTable (``startup.py``'s way, fresh processes, alternating), and CLI verbs
(``helpdesk ticket list``, ``helpdesk ticket search WORD``), wall and CPU.

No statistics step: the desks are as ``helpdesk init`` + ``helpdesk demo`` leave them. The
load average is printed beside each desk's figures (on a shared machine CPU time is the
steadier figure).

    python benchmarks/app_keys.py --big COPY_OF_1M.db [--postgres] [--keep DIR]
        [--repeat 3] [--runs 3] [--sizes 80x24,120x40] [--idle 30] [--pg-url URL]
        [--only palette|search|filter|window]

``--only palette`` presses only the palette's keys (ctrl+p until its commands are listed,
a word key by key until its hits are, Esc), ``--repeat`` times for each of two words;
``--only search`` only the queue's search (a common and a rare word in "All tickets", "All
open", "My open" and "All open" filtered by a tag and by an agent); ``--only filter`` only
the filter form's keys (every filter, Enter, Esc); ``--only window`` only End, Home and
PageDown.

``--big`` is a SQLite desk built by ``helpdesk demo --tickets 1000000`` (use a copy: the app
writes presence rows). ``--postgres`` also starts a throw-away PostgreSQL cluster (the
system's initdb/pg_ctl, as the tests do) and builds 1,000 and ``--pg-tickets`` (100,000)
tickets into it with ``helpdesk demo`` (several minutes); ``--pg-url URL`` uses a big
PostgreSQL desk you built instead. The 1,000-ticket desks are built in the same run, or
with ``--keep DIR`` once, in DIR, and reused by the next runs (the PostgreSQL ones too, in
the cluster kept there), so that runs to compare measure the same desks.

Goal (issue 10): every key → repaint median ≤ 50 ms and max ≤ 150 ms; the big desk's
figures within 1.2x of the small one's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# The package and ``tests`` from PYTHONPATH first (an A/B run puts older code there), this
# checkout's only when nothing else provides them.
sys.path.insert(0, str(HERE))
sys.path.append(str(HERE.parent))

IDLE_SECONDS = 30.0
KEY_TIMEOUT = 120.0


# -- the child: the app, driven ------------------------------------------------------------


def _names(url: str) -> dict[str, str]:
    """The desk's names the benchmark types: an agent, a team, a tag, a category, words."""
    from lister import _first_names, _words

    from helpdesk_tui.storage.database import Database

    db = Database(url)
    login, team, tag, category = _first_names(db)
    common, rare = _words(db)
    db.dispose()
    return {
        "login": login,
        "team": team,
        "tag": tag,
        "category": category,
        "common": common,
        "rare": rare,
    }


def write_config(config_dir: Path, names: dict[str, str]) -> None:
    """Five saved views after the seven built-in ones: keys 8, 9, 0, then only v / V
    (``startup.py``'s, which measures its first paint on a desk with them too)."""
    from startup import write_views

    write_views(config_dir, names)


class Driver:
    """Presses keys the way a terminal sends them and waits until the screen caught up."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.drawn = asyncio.Event()
        """Set at each frame written and each time a screen's messages are all handled:
        the driver looks again whether the key is drawn (``until``)."""
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self.timeouts: list[str] = []
        self.gc: dict[str, list[float]] = {}
        self.settled: dict[str, list[float]] = {}
        self.rows: dict[str, list[int]] = {}
        """Per key: the queue's rows after it (a page of few rows draws and reads less)."""
        self.frames: dict[str, list[int]] = {}
        """Per key: the frames written from the key until every change is drawn."""
        self._frames = 0
        self.read: dict[str, list[float]] = {}
        """Per key: CPU ms of the desk's list reads done for it (their worker threads)."""
        self.read_wall: dict[str, list[float]] = {}
        """Per key: wall ms of those reads (on PostgreSQL the server's time is in it, not
        in the app's CPU), in the JSON result only."""
        self.reads: list[float] = []
        self._reads_wall: list[float] = []
        self._time_reads()
        self._gc_ms = 0.0
        self._gc_began = 0.0

        def collecting(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                self._gc_began = time.perf_counter()
            else:
                self._gc_ms += (time.perf_counter() - self._gc_began) * 1000

        gc.callbacks.append(collecting)
        original = app._display
        headless = app.is_headless

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if headless and renderable is not None and hasattr(renderable, "render_segments"):
                renderable.render_segments(app.console)  # what a terminal would be sent
            self._frames += 1
            self.drawn.set()

        app._display = display
        self._look_at_idle()

    def _look_at_idle(self) -> None:
        """Look again each time a screen has handled all its messages, not only at a frame.

        A frame is often written while the screen still has a message queued (the read's
        worker saying it ended, a footer's update that draws nothing): the key is settled a
        moment later, with no frame after it to wake the driver. Woken only by frames, it
        looked again 10 ms later (``until``'s timeout): up to 10 ms added to the key's wall
        time after the frame the agent saw (a filter's Enter 15 or 25 ms by chance, at 1k
        and at 1M alike). The driver now ends the key when the screen goes idle after it,
        which is when the agent has seen everything the key drew."""
        from textual.screen import Screen

        screen_idle = Screen._on_idle
        drawn = self.drawn

        async def idle(screen: Any, event: Any) -> None:
            await screen_idle(screen, event)
            drawn.set()

        Screen._on_idle = idle  # type: ignore[method-assign]

    def _time_reads(self) -> None:
        """Time each ``Desk.list_window`` (the queue's read: change check, page, presence)
        by its thread's CPU, to tell a key's query from its drawing."""
        from helpdesk_tui.desk.facade import Desk

        original = Desk.list_window
        reads, walls = self.reads, self._reads_wall

        def timed(desk: Any, *args: Any, **kwargs: Any) -> Any:
            began, wall = time.thread_time(), time.perf_counter()
            try:
                return original(desk, *args, **kwargs)
            finally:
                reads.append((time.thread_time() - began) * 1000)
                walls.append((time.perf_counter() - wall) * 1000)

        Desk.list_window = timed  # type: ignore[method-assign]

    def _settled(self) -> bool:
        """Nothing left to lay out or paint, and no repaint on its way to the screen."""
        screen = self.app.screen
        if (
            screen._layout_required
            or screen._scroll_required
            or screen._repaint_required
            or screen._dirty_widgets
            or not screen._message_queue.empty()
        ):
            return False
        for widget in screen.walk_children():
            if widget._repaint_required or widget._layout_required or widget._scroll_required:
                return False
        return True

    def _drawn(self, widget: Any) -> bool:
        """``widget`` is on the screen as it is now: nothing of it waits to be drawn."""
        screen = self.app.screen
        return not (
            widget._repaint_required
            or widget._layout_required
            or widget._scroll_required
            or widget in screen._dirty_widgets
            or screen._layout_required
            or screen._repaint_required
            or not screen._message_queue.empty()
        )

    async def until(
        self,
        ready: Callable[[], bool],
        drawn: Callable[[], bool] | None = None,
        timeout: float = KEY_TIMEOUT,
    ) -> bool:
        """Wait for ``ready()`` and then ``drawn()`` (by default: every change drawn)."""
        deadline = time.perf_counter() + timeout
        while True:
            self.drawn.clear()
            try:
                if ready() and (drawn or self._settled)():
                    return True
            except Exception:  # a screen on its way in or out: look again
                pass
            if time.perf_counter() > deadline:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.drawn.wait(), 0.01)

    async def key(
        self,
        label: str,
        key: str,
        ready: Callable[[], bool],
        shows: Callable[[], Any] | None = None,
    ) -> float:
        """Press ``key``; record the wall and CPU milliseconds until ``ready`` holds and
        ``shows()`` (the widget the agent waits for: the table's rows, the input typed in)
        is drawn; then, apart, until every change of the screen is drawn (``settled``)."""
        from textual import events
        from textual.keys import _character_to_key

        name = _character_to_key(key) if len(key) == 1 else key
        character = key if len(key) == 1 else None
        event = events.Key(name, character)
        event.set_sender(self.app)
        cpu, started, collected = time.process_time(), time.perf_counter(), self._gc_ms
        reads, frames = len(self.reads), self._frames
        self.app._driver.send_message(event)
        await asyncio.sleep(0)
        drawn = None if shows is None else (lambda: self._drawn(shows()))
        ok = await self.until(ready, drawn)
        wall = (time.perf_counter() - started) * 1000
        self.wall.setdefault(label, []).append(wall)
        self.cpu.setdefault(label, []).append((time.process_time() - cpu) * 1000)
        self.gc.setdefault(label, []).append(self._gc_ms - collected)
        self.read.setdefault(label, []).append(sum(self.reads[reads:]))
        self.read_wall.setdefault(label, []).append(sum(self._reads_wall[reads:]))
        if shows is not None:
            ok = await self.until(ready) and ok
        self.settled.setdefault(label, []).append((time.perf_counter() - started) * 1000)
        self.frames.setdefault(label, []).append(self._frames - frames)
        self.rows.setdefault(label, []).append(len(self.app.queue.table.numbers))
        if not ok:
            self.timeouts.append(label)
        return wall

    async def type(self, label: str, text: str, field: Callable[[], Any]) -> None:
        """Type ``text`` key by key into the focused input, each key until it is drawn."""
        for index in range(len(text)):
            typed = text[: index + 1]
            await self.key(label, text[index], lambda typed=typed: field().value == typed, field)


async def drive(
    app: Any, names: dict[str, str], repeat: int, idle: float, only: str | None = None
) -> dict[str, Any]:
    from textual.command import CommandInput, CommandList, CommandPalette
    from textual.widgets import Input

    from helpdesk_tui.screens.queue_filter import QueueFilterScreen

    d = Driver(app)
    started = time.perf_counter()
    await d.until(lambda: app.queue._mark is not None and not app.queue.fetching, timeout=600)
    first_page = (time.perf_counter() - started) * 1000
    queue = app.queue
    table = queue.table
    views = queue.views

    def rows() -> Any:
        return table

    def loaded(before: int) -> Callable[[], bool]:
        return lambda: app.screen is queue and queue._request > before and not queue.fetching

    async def view(key: str, index: int, label: str | None = None) -> None:
        before = queue._request
        title = views[index].title
        await d.key(
            label or f"view {key} ({title})",
            key,
            lambda: queue.view is views[index] and loaded(before)(),
            rows,
        )

    async def press(label: str, key: str) -> None:
        await d.key(label, key, loaded(queue._request), rows)

    async def end_home(where: str) -> None:
        await d.key(
            f"End ({where})",
            "end",
            lambda: (
                not queue.fetching and queue._at_end and table.cursor_row == len(table.numbers) - 1
            ),
            rows,
        )
        await d.key(
            f"Home ({where})",
            "home",
            lambda: not queue.fetching and queue._at_start and table.cursor_row == 0,
            rows,
        )

    def focused_input() -> Any:
        focused = app.screen.focused
        assert isinstance(focused, Input)
        return focused

    async def filter_form(label: str, tabs: int, value: str | None) -> None:
        """f, Tab to the field, type the value (or Space on the checkbox), Enter, then Esc."""
        await d.key("filter form: f", "f", lambda: isinstance(app.screen, QueueFilterScreen))
        form = app.screen
        for _ in range(tabs):
            before = form.focused
            await d.key("filter form: Tab", "tab", lambda b=before: form.focused is not b)
        if value is None:
            box = form.focused
            await d.key("filter form: Space", "space", lambda b=box: b.value)
        else:
            await d.type("filter form: typing", value, focused_input)
        await press(f"filter {label}: Enter", "enter")
        await press("filter cleared: Esc", "escape")

    async def search(label: str, word: str) -> None:
        search_box = queue.query_one("#queue-search", Input)
        await d.key("search: /", "slash", lambda: app.screen.focused is search_box)
        await d.type("search: typing", word, focused_input)
        await press(f"search {label}: Enter", "enter")
        await press("search cleared: Esc", "escape")

    listed: list[str] = []
    """The palette's input each time it put hits in its list (the palette's own method)."""
    show_hits = CommandPalette._refresh_command_list

    def spy(palette: Any, *args: Any, **kwargs: Any) -> None:
        show_hits(palette, *args, **kwargs)
        listed.append(palette.query_one(CommandInput).value)

    CommandPalette._refresh_command_list = spy  # type: ignore[method-assign]

    def listing() -> Any:
        return app.screen.query_one(CommandList)

    def discovered() -> bool:
        """The palette is shown with its commands listed (Textual shows it once they are)."""
        shown = app.screen
        return (
            isinstance(shown, CommandPalette)
            and shown.has_class("-ready")
            and listing().option_count > 0
            and not shown.query_one(CommandInput).value
        )

    async def palette(word: str) -> None:
        await d.key("palette: ctrl+p", "ctrl+p", discovered, listing)
        shown = app.screen
        box = shown.query_one(CommandInput)
        hits = shown.query_one(CommandList)

        def box_of() -> Any:
            return box

        for index in range(len(word) - 1):
            typed = word[: index + 1]
            await d.key("palette: key → echo", word[index], lambda t=typed: box.value == t, box_of)
        # The last key, until its hits are drawn (the palette searches once typing pauses).
        listed.clear()
        await d.key(
            "palette: last key → hits",
            word[-1],
            lambda: bool(listed) and listed[-1] == word and hits.option_count > 0,
            lambda: hits,
        )
        await d.key("palette: Esc", "escape", lambda: app.screen is queue)

    index_of = {view.name: i for i, view in enumerate(views)}
    names_team, names_tag, names_cat = names["team"], names["tag"], names["category"]

    async def filters() -> None:
        # Filters through the form, in "All open", "Recently resolved" and "All tickets".
        for name in ("open", "resolved"):
            await view(str(index_of[name] + 1), index_of[name], "view (to filter)")
            where = views[index_of[name]].title
            await filter_form(f"priority urgent ({where})", 1, "urgent")
            await filter_form(f"type complaint ({where})", 2, "complaint")
            await filter_form(f"assignee ({where})", 3, names["login"])
            await filter_form(f"assignee none ({where})", 3, "none")
            await filter_form(f"team ({where})", 4, names_team)
            await filter_form(f"tag ({where})", 5, names_tag)
            await filter_form(f"category ({where})", 6, names_cat)
        await view("7", index_of["all"], "view (to filter)")
        await filter_form("status waiting (All tickets)", 0, "waiting")
        await filter_form("open only (All tickets)", 7, None)

    async def window_keys() -> None:
        # End / Home, PageDown.
        await end_home("All tickets")
        for _step in range(5):
            before_number = table.current_number
            await d.key(
                "PageDown (All tickets)",
                "pagedown",
                lambda b=before_number: table.current_number != b and not queue.fetching,
                rows,
            )
        for name in ("open", "resolved"):
            await view(str(index_of[name] + 1), index_of[name], "view (to End)")
            await end_home(views[index_of[name]].title)

    async def every_other_key() -> None:
        # Views: every key, then v / V past the tenth (the bar overflows).
        for i, key in enumerate("1234567890"):
            await view(key, i)
        await view("v", 10, f"view v ({views[10].title})")
        await view("v", 11, f"view v ({views[11].title})")
        await view("v", 0, f"view v ({views[0].title})")
        await view("V", 11, f"view V ({views[11].title})")
        await view("V", 10, f"view V ({views[10].title})")
        # Sorts, in "All open" and "Recently resolved": s through all nine, then S.
        for name in ("open", "resolved"):
            await view(str(index_of[name] + 1), index_of[name], "view (to sort)")
            where = views[index_of[name]].title
            for _step in range(9):
                before = queue._request
                await d.key(
                    f"sort s → {_next_sort(queue.query_spec.sort)} ({where})",
                    "s",
                    loaded(before),
                    rows,
                )
            await press(f"sort S reverse ({where})", "S")
            await end_home(f"{where}, sorted by updated ▲")
        await filters()
        await window_keys()
        await search_keys()

    async def search_keys() -> None:
        # Search, over all tickets, in "All open" and in "My open", then in "All open"
        # filtered by a tag and by an agent (small views at 1M; the filter form first).
        for name in ("all", "open", "mine"):
            await view(str(index_of[name] + 1), index_of[name], "view (to search)")
            where = views[index_of[name]].title
            await search(f"common ({where})", names["common"])
            await search(f"rare ({where})", names["rare"])
        await view(str(index_of["open"] + 1), index_of["open"], "view (to search)")
        # The app's own agent may have no tickets; another agent's are a filter away.
        for field, tabs, value in (("tag", 5, names_tag), ("assignee", 3, names["login"])):
            for kind in ("common", "rare"):
                await d.key(
                    "filter form: f", "f", lambda: isinstance(app.screen, QueueFilterScreen)
                )
                form = app.screen
                for _ in range(tabs):
                    before = form.focused
                    await d.key(
                        "filter form: Tab", "tab", lambda b=before, f=form: f.focused is not b
                    )
                await d.type("filter form: typing", value, focused_input)
                await press(f"filter {field} (All open): Enter", "enter")
                # (its Esc clears the search and the filter: back to "All open")
                await search(f"{kind} (All open, {field})", names[kind])

    for _ in range(repeat):
        if only is None:
            await every_other_key()
        if only == "search":
            await search_keys()
            continue
        if only == "filter":
            await filters()
            continue
        if only == "window":
            await view("7", index_of["all"], "view (to End)")
            await window_keys()
            continue
        await palette(names["common"])
        await palette(names["rare"])

    result: dict[str, Any] = {
        "first_page_ms": first_page,
        "wall": d.wall,
        "cpu": d.cpu,
        "gc": d.gc,
        "settled": d.settled,
        "rows": d.rows,
        "read": d.read,
        "read_wall": d.read_wall,
        "frames": d.frames,
    }
    if idle:
        await view("6", index_of["resolved"], "view (to idle)")
        cpu, began = time.process_time(), time.perf_counter()
        await asyncio.sleep(idle)
        result["idle_cpu"] = (time.process_time() - cpu) / (time.perf_counter() - began)
    result["timeouts"] = d.timeouts
    result["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _next_sort(sort: str) -> str:
    from helpdesk_tui.desk.queue import SORT_ORDER

    return SORT_ORDER[(SORT_ORDER.index(sort) + 1) % len(SORT_ORDER)]


def child(spec_path: str) -> None:
    """The app process: ``helpdesk`` started as an agent would, ``App.run`` made headless."""
    spec = json.loads(Path(spec_path).read_text())
    import textual.app

    def headless_run(self: Any, *args: Any, **kwargs: Any) -> None:
        async def main() -> None:
            async with self.run_test(size=tuple(spec["size"])):
                result = await drive(
                    self, spec["names"], spec["repeat"], spec["idle"], spec["only"]
                )
            Path(spec["out"]).write_text(json.dumps(result))

        asyncio.run(main())

    textual.app.App.run = headless_run  # type: ignore[method-assign]
    from helpdesk_tui.cli import main

    main([], prog_name="helpdesk", standalone_mode=False)


# -- the parent: desks, processes, the table ----------------------------------------------


@dataclass
class Desk:
    label: str
    url: str
    env: dict[str, str]
    names: dict[str, str]


def desk_env(root: Path, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled modules are cached
    env["HELPDESK_DATABASE_URL"] = url
    env["HELPDESK_CONFIG_DIR"] = str(root / "config")
    env["HELPDESK_DATA_DIR"] = str(root / "data")
    env["HELPDESK_CACHE_DIR"] = str(root / "cache")
    return env


def build(root: Path, url: str, tickets: int) -> None:
    """``helpdesk init`` + ``helpdesk demo --tickets N``, as a user makes a desk."""
    env = desk_env(root, url)
    started = time.perf_counter()
    for argv in (["helpdesk", "init"], ["helpdesk", "demo", "--tickets", str(tickets)]):
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{argv} failed: {done.stderr}")
    print(f"  built {tickets:,} tickets in {time.perf_counter() - started:.0f} s", flush=True)


def prepare(label: str, root: Path, url: str) -> Desk:
    env = desk_env(root, url)
    started = time.perf_counter()
    done = subprocess.run(["helpdesk", "db", "upgrade"], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"helpdesk db upgrade failed on {label}: {done.stderr}")
    if "upgraded" in done.stdout + done.stderr:  # a desk made by older code, as a user's
        print(f"  {label}: helpdesk db upgrade took {time.perf_counter() - started:.1f} s")
    names = _names(url)
    write_config(root / "config", names)
    return Desk(label, url, env, names)


def run_app(
    desk: Desk, root: Path, size: tuple[int, int], repeat: int, idle: float, only: str | None
) -> dict:
    out = root / f"keys-{size[0]}x{size[1]}.json"
    spec = root / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "size": size,
                "names": desk.names,
                "repeat": repeat,
                "idle": idle,
                "out": str(out),
                "only": only,
            }
        )
    )
    load = os.getloadavg()[0]
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(spec)],
        env=desk.env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"the app on {desk.label} failed: {done.stderr[-3000:]}")
    result = json.loads(out.read_text())
    result["load"] = (load, os.getloadavg()[0])
    return result


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli_and_paint(desk: Desk, runs: int) -> tuple[dict[str, list[tuple[float, float]]], int]:
    """Fresh processes, alternating: first paint (bare Textual, helpdesk), CLI verbs, after
    one round not counted (as ``startup.py`` warms up); and in how many of the helpdesk
    first paints the settings were validated in full (0 as a user's start:
    ``startup.first_paint``)."""
    from startup import first_paint

    helpdesk = shutil.which("helpdesk") or "helpdesk"

    def timed(argv: list[str]) -> tuple[float, float]:
        cpu = _children_cpu()
        started = time.perf_counter()
        done = subprocess.run(argv, env=desk.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{argv} failed: {done.stderr}")
        return time.perf_counter() - started, _children_cpu() - cpu

    validated = 0

    def helpdesk_paint() -> tuple[float, float]:
        nonlocal validated
        times = first_paint("helpdesk", desk.env)
        validated += times["validated"]
        return times["first"]

    cases: dict[str, Callable[[], tuple[float, float]]] = {
        "first paint: bare Textual": lambda: first_paint("bare", desk.env)["first"],
        "first paint: helpdesk": helpdesk_paint,
        "live first page: helpdesk": lambda: first_paint("helpdesk", desk.env)["live"],
        "cli: ticket list": lambda: timed([helpdesk, "ticket", "list"]),
        "cli: ticket search (common)": lambda: timed(
            [helpdesk, "ticket", "search", desk.names["common"]]
        ),
        "cli: ticket search (rare)": lambda: timed(
            [helpdesk, "ticket", "search", desk.names["rare"]]
        ),
    }
    for case in cases.values():  # once, not counted, as startup.py warms up
        case()
    validated = 0
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, case in cases.items():
            samples[name].append(case())
    return samples, validated


def measure(
    desk: Desk,
    root: Path,
    sizes: list[tuple[int, int]],
    repeat: int,
    runs: int,
    idle: float,
    only: str | None = None,
) -> dict:
    """The app at each size; then (all keys only) first paint and CLI verbs."""
    print(f"{desk.label}: the app …", flush=True)
    result: dict[str, Any] = {"sizes": {}}
    for size in sizes:
        tag = f"{size[0]}x{size[1]}"
        idles = idle if size == sizes[0] else 0
        result["sizes"][tag] = run_app(desk, root, size, repeat, idles, only)
        print(f"  {tag} done, load {result['sizes'][tag]['load']}", flush=True)
    if only is None:
        load = os.getloadavg()[0]
        result["startup"], result["startup_validated"] = cli_and_paint(desk, runs)
        result["startup_load"] = (load, os.getloadavg()[0])
    (root / "result.json").write_text(json.dumps(result))
    return result


def _median(result: dict, key: str, label: str) -> float:
    return statistics.median(result.get(key, {}).get(label) or [0.0])


def _last(result: dict, label: str) -> str:
    """The queue's rows after the key's last press ("-": a run without the figure)."""
    rows = result.get("rows", {}).get(label)
    return str(rows[-1]) if rows else "-"


def _frames(result: dict, label: str) -> str:
    """The key's frames, median ("-": a run without the figure)."""
    frames = result.get("frames", {}).get(label)
    return f"{statistics.median(frames):g}" if frames else "-"


def _med_max(values: list[float]) -> str:
    return f"{statistics.median(values):7.1f} /{max(values):7.1f}"


def _print_keys_over(sa: dict, sb: dict) -> None:
    """The keys whose median CPU on the big desk is over 1.2x the small one's, apart by
    whether the two desks showed the same rows (a short page on the small desk draws less:
    content, not the desk's size)."""
    over: dict[bool, list[str]] = {True: [], False: []}
    for label in sa["cpu"]:
        if label not in sb["cpu"]:
            continue
        cpu_a = statistics.median(sa["cpu"][label])
        cpu_b = statistics.median(sb["cpu"][label])
        if cpu_a and cpu_b / cpu_a > 1.2:
            over[_last(sa, label) == _last(sb, label)].append(f"{label} {cpu_b / cpu_a:.2f}")
    total = sum(1 for label in sa["cpu"] if label in sb["cpu"])
    print(
        f"   keys over 1.2x by CPU: {len(over[True]) + len(over[False])} of {total}; "
        f"with the same rows on both desks: {len(over[True])}"
    )
    for same, labels in over.items():
        if labels:
            kind = "same rows" if same else "different rows (a short page on one desk)"
            print(f"     {kind}: {'; '.join(labels)}")


def report(small: Desk, big: Desk, a: dict, b: dict) -> None:
    print()
    print(f"=== {small.label} against {big.label} ===")
    for desk in (small, big):
        print(f"   {desk.label}: {desk.names}")
    for tag in a["sizes"]:
        sa, sb = a["sizes"][tag], b["sizes"][tag]
        print(
            f"-- {tag}: load {sa['load'][0]:.1f}→{sa['load'][1]:.1f} / "
            f"{sb['load'][0]:.1f}→{sb['load'][1]:.1f} ({os.cpu_count()} CPUs); "
            f"first page {sa['first_page_ms']:.0f} / {sb['first_page_ms']:.0f} ms; "
            f"max RSS {sa['rss_mib']:.0f} / {sb['rss_mib']:.0f} MiB"
        )
        if sa.get("timeouts") or sb.get("timeouts"):
            print(f"   TIMEOUTS: {sa.get('timeouts')} / {sb.get('timeouts')}")
        print(
            f"   {'key (ms)':52} {'small wall med / max':>20} {'cpu':>6} "
            f"{'big wall med / max':>20} {'cpu':>6} {'wall x':>6} {'cpu x':>6} "
            f"{'settled':>7} {'gc':>5} {'read':>11} {'rows':>7} {'frames':>9}"
        )
        worst: list[tuple[float, str]] = []
        for label, walls in sa["wall"].items():
            if label not in sb["wall"]:
                continue
            cpu_a = statistics.median(sa["cpu"][label])
            cpu_b = statistics.median(sb["cpu"][label])
            wa, wb = statistics.median(walls), statistics.median(sb["wall"][label])
            flag = " *" if wb > 50 or max(sb["wall"][label]) > 150 else ""
            print(
                f"   {label[:52]:52} {_med_max(walls):>20} {cpu_a:6.1f} "
                f"{_med_max(sb['wall'][label]):>20} {cpu_b:6.1f} "
                f"{wb / wa if wa else 0:6.2f} {cpu_b / cpu_a if cpu_a else 0:6.2f} "
                f"{statistics.median(sb.get('settled', {}).get(label, sb['wall'][label])):7.1f} "
                f"{max(sb.get('gc', {}).get(label, [0])):5.0f} "
                f"{_median(sa, 'read', label):5.1f}/{_median(sb, 'read', label):5.1f} "
                f"{_last(sa, label):>3}/{_last(sb, label):<3} "
                f"{_frames(sa, label):>4}/{_frames(sb, label):<4}{flag}"
            )
            worst.append((wb, label))
        figures = {}
        for name, side in (("small", sa), ("big", sb)):
            walls = [v for values in side["wall"].values() for v in values]
            cpus = [v for values in side["cpu"].values() for v in values]
            figures[name] = (
                statistics.median(walls),
                max(walls),
                statistics.median(cpus),
                max(cpus),
            )
            print(
                f"   every key, {name} desk: wall median {figures[name][0]:.1f}, "
                f"max {figures[name][1]:.1f} ms; CPU median {figures[name][2]:.1f}, "
                f"max {figures[name][3]:.1f} ms"
            )
        pairs = zip(figures["small"], figures["big"], strict=True)
        ratios = [b / s if s else 0.0 for s, b in pairs]
        print(
            "   big / small, the figures above: wall median {:.2f}, max {:.2f}; "
            "CPU median {:.2f}, max {:.2f} (goal ≤ 1.2)".format(*ratios)
        )
        _print_keys_over(sa, sb)
        if "idle_cpu" in sa:
            print(
                f"   idle 30 s on Recently resolved: CPU {sa['idle_cpu']:.1%} / "
                f"{sb['idle_cpu']:.1%} of a core"
            )
    if "startup" not in a:
        return
    print(
        f"-- fresh processes (load {a['startup_load'][0]:.1f} / {b['startup_load'][0]:.1f}):"
        f" {'small wall med / max':>20} {'cpu':>6} {'big wall med / max':>20} {'cpu':>6}"
    )
    for name, values in a["startup"].items():
        other = b["startup"][name]
        print(
            f"   {name:32} "
            f"{_med_max([w * 1000 for w, _ in values]):>20} "
            f"{statistics.median(c * 1000 for _, c in values):6.0f} "
            f"{_med_max([w * 1000 for w, _ in other]):>20} "
            f"{statistics.median(c * 1000 for _, c in other):6.0f}"
        )
    for desk, result in ((small, a), (big, b)):
        runs = result["startup"]
        for what, index in (("wall", 0), ("CPU", 1)):
            bare = statistics.median(v[index] for v in runs["first paint: bare Textual"])
            ours = statistics.median(v[index] for v in runs["first paint: helpdesk"])
            print(f"   {desk.label}: first paint helpdesk / bare ({what}): {ours / bare:.2f}")
        validated = result.get("startup_validated")
        if validated:  # (a changed config each start: not what a user's start does)
            print(f"   {desk.label}: settings validated in full in {validated} first paints")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--big", type=Path, help="a copy of a SQLite desk made by helpdesk demo")
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--postgres", action="store_true", help="also PostgreSQL (throw-away)")
    parser.add_argument("--pg-url", help="a big PostgreSQL desk made by helpdesk demo")
    parser.add_argument("--pg-tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3, help="first-paint and CLI runs")
    parser.add_argument("--idle", type=float, default=IDLE_SECONDS)
    parser.add_argument(
        "--keep",
        type=Path,
        help="build (or reuse) the small desks and the PostgreSQL cluster here",
    )
    parser.add_argument("--sizes", default="80x24,120x40", help="terminal sizes, comma-separated")
    parser.add_argument(
        "--only",
        choices=("palette", "search", "filter", "window"),
        help="only these keys (the palette: ctrl+p, its search, Esc; search: /, a word, Enter, "
        "Esc in All tickets, All open, My open, All open with a tag or agent filter; filter: "
        "every filter typed in the form, Enter and Esc, in All open, Recently resolved and "
        "All tickets; window: End, Home and PageDown), no idle, no fresh processes",
    )
    args = parser.parse_args()
    idle = 0.0 if args.only else args.idle
    sizes = [(int(w), int(h)) for w, h in (size.split("x") for size in args.sizes.split(","))]
    if args.child:
        child(args.child)
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="app-keys-"))
    work.mkdir(parents=True, exist_ok=True)
    cluster = None
    try:
        pairs: list[tuple[Desk, Path, Desk, Path]] = []
        if args.big:
            small_root = work / "sqlite-small"
            small_url = f"sqlite:///{small_root / 'desk.db'}"
            if not (small_root / "desk.db").exists():
                small_root.mkdir(parents=True, exist_ok=True)
                print(f"building {args.small:,} tickets (SQLite) …", flush=True)
                build(small_root, small_url, args.small)
            big_root = work / "sqlite-big"
            big_root.mkdir(parents=True, exist_ok=True)
            small = prepare(f"SQLite {args.small:,}", small_root, small_url)
            big = prepare("SQLite big", big_root, f"sqlite:///{args.big.resolve()}")
            pairs.append((small, small_root, big, big_root))
        if args.postgres or args.pg_url:
            big_url = args.pg_url
            if big_url is None:
                from tests.pg_cluster import start_cluster

                # With --keep the cluster lives in DIR/pg-cluster and its big desk is reused.
                cluster = start_cluster(work / "pg-cluster" if args.keep else None)
                built = work / "pg-big" / "built"
                if built.exists():
                    big_url = cluster.url("big")
                    print(f"reusing the kept PostgreSQL desk ({built.read_text()})", flush=True)
                else:
                    cluster.drop_database("big")
                    big_url = cluster.create_database("big")
                    print(f"building {args.pg_tickets:,} tickets (PostgreSQL) …", flush=True)
                    build(work / "pg-big", big_url, args.pg_tickets)
                    built.parent.mkdir(parents=True, exist_ok=True)
                    built.write_text(f"{args.pg_tickets:,} tickets")
            kept = work / "pg-small" / "built"
            if args.keep and kept.exists():  # (the small desk of an earlier run, as is)
                small_url = big_url.rpartition("/")[0] + "/app_keys_small"
                print(f"reusing the kept PostgreSQL desk ({kept.read_text()})", flush=True)
            else:
                small_url = _fresh_database(big_url, "app_keys_small")
                print(f"building {args.small:,} tickets (PostgreSQL) …", flush=True)
                build(work / "pg-small", small_url, args.small)
                kept.parent.mkdir(parents=True, exist_ok=True)
                kept.write_text(f"{args.small:,} tickets")
            small = prepare(f"PostgreSQL {args.small:,}", work / "pg-small", small_url)
            big = prepare("PostgreSQL big", work / "pg-big", big_url)
            pairs.append((small, work / "pg-small", big, work / "pg-big"))
        if not pairs:
            parser.error("give --big and/or --postgres / --pg-url")
        done = []
        for small, small_root, big, big_root in pairs:
            a = measure(small, small_root, sizes, args.repeat, args.runs, idle, args.only)
            b = measure(big, big_root, sizes, args.repeat, args.runs, idle, args.only)
            done.append((small, big, a, b))
        for small, big, a, b in done:
            report(small, big, a, b)
    finally:
        if cluster is not None and args.keep is not None:
            cluster.stop(mode="fast")  # its data stays in DIR/pg-cluster for the next run
        elif cluster is not None:
            cluster.stop()
            shutil.rmtree(cluster.root, ignore_errors=True)
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def _fresh_database(url: str, name: str) -> str:
    """An empty database ``name`` beside ``url``'s, dropped first if it is there."""
    import psycopg

    base, _, _ = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres".replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    return f"{base}/{name}"


if __name__ == "__main__":
    main()
