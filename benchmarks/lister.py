"""The ticket lister at 1,000 tickets and at a big desk: every view, sort, filter, End, search.

Drives ``desk.queue`` — the one lister behind the TUI queue, the CLI and the palette — on a
big SQLite desk you built with ``helpdesk demo --tickets 1000000`` (pass it with ``--big``)
and on a 1,000-ticket desk this script builds the same way, in the same run. No statistics
step: whatever statistics the desks have, the desk made itself (``ANALYZE`` after the demo,
``PRAGMA optimize`` when a connection closes). Each action runs ``--repeat`` times on one
connection, the first time included (a cold first query is what an agent meets).

    python benchmarks/lister.py --big /path/to/1m.db [--repeat 5] [--limit 100]
    python benchmarks/lister.py --big-url postgresql+psycopg://…/big --small-url …/empty

Prints, per action, the median and the maximum wall time and the median CPU time in
milliseconds at each size, the rows of the page, the load average, and the ratios of the
medians. The same file runs against older code (it needs only ``first_page``,
``last_page``, ``QueueQuery``, ``TicketFilter`` and ``builtin_views``), which is how the
"before" figures in README.md were taken.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import text

from helpdesk_tui.desk import queue
from helpdesk_tui.desk.demo import generate_demo
from helpdesk_tui.desk.queue_values import SORT_ORDER, TicketFilter
from helpdesk_tui.desk.views import builtin_views
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database

SORTS = SORT_ORDER


def _words(db: Database) -> tuple[str, str]:
    """A common and a rare word of the subjects (by document count in the FTS index)."""
    if not db.is_sqlite:
        with db.read() as session:
            found = (
                session.execute(
                    text(
                        "SELECT word FROM ts_stat('SELECT to_tsvector(''simple'', subject) "
                        "FROM ticket') WHERE length(word) > 4 AND word !~ '[0-9]' "
                        "ORDER BY ndoc DESC, word"
                    )
                )
                .scalars()
                .all()
            )
        return found[0], found[-1]
    with db.read() as session:
        session.execute(
            text(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.bench_vocab "
                "USING fts5vocab(main, ticket_fts, row)"
            )
        )
        common = session.execute(
            text(
                "SELECT term FROM temp.bench_vocab WHERE length(term) > 3 ORDER BY doc DESC LIMIT 1"
            )
        ).scalar_one()
        rare = session.execute(
            text(
                "SELECT term FROM temp.bench_vocab WHERE length(term) > 4 "
                "AND term NOT GLOB '*[0-9]*' ORDER BY doc, term LIMIT 1"
            )
        ).scalar()
    return common, rare or common


def _first_names(db: Database) -> tuple[str, str, str, str]:
    """The agent, team, tag and category the filters name: each the first by its id or
    name, so a desk gives the same names on either engine, run after run, and the demo's
    desks of any size the same ones (picked by ``LIMIT 1`` alone, PostgreSQL gave another
    agent, tag and category for each build of the same 1,000 tickets, and SQLite another
    tag at 1,000 tickets than at 1M)."""
    with db.read() as session:
        login = session.execute(
            text("SELECT login FROM agent WHERE id = (SELECT min(assignee_id) FROM ticket)")
        ).scalar_one()
        team = session.execute(text("SELECT name FROM team ORDER BY id LIMIT 1")).scalar_one()
        tag = session.execute(
            text("SELECT name FROM tag WHERE id = (SELECT min(tag_id) FROM ticket_tag)")
        ).scalar_one()
        category = session.execute(text("SELECT min(category) FROM ticket")).scalar_one()
    return login, team, tag, category


def actions(db: Database, limit: int) -> dict[str, Callable[[object], object]]:
    login, team, tag, category = _first_names(db)
    common, rare = _words(db)
    views = {view.title: view.query for view in builtin_views(login)}
    open_query = views["All open"]
    done = views["Recently resolved"]
    made: dict[str, Callable[[object], object]] = {}
    for title, query in views.items():
        made[f"view {title}"] = lambda s, q=query: queue.first_page(s, q, limit)
    for sort in SORTS:
        q = open_query.with_sort(sort)
        made[f"sort {sort} (All open)"] = lambda s, q=q: queue.first_page(s, q, limit)
    for sort in ("updated", "requester", "priority"):
        q = done.with_sort(sort)
        made[f"sort {sort} (Resolved)"] = lambda s, q=q: queue.first_page(s, q, limit)
    for label, spec in (
        (f"team {team}", TicketFilter(open_only=True, team=team)),
        (f"tag {tag}", TicketFilter(open_only=True, tag=tag)),
        (f"category {category}", TicketFilter(open_only=True, category=category)),
        ("priority urgent", TicketFilter(open_only=True, priorities=("urgent",))),
        ("type complaint", TicketFilter(open_only=True, types=("complaint",))),
    ):
        q = replace(open_query, filter=spec)
        made[f"filter {label}"] = lambda s, q=q: queue.first_page(s, q, limit)
    # The same filters in the other views' kinds of range: one agent's, and the finished.
    for view in ("My open", "Recently resolved"):
        for label, fields in (
            ("team", {"team": team}),
            ("tag", {"tag": tag}),
            ("category", {"category": category}),
            ("priority", {"priorities": ("urgent",)}),
        ):
            q = replace(views[view], filter=replace(views[view].filter, **fields))
            made[f"filter {label} ({view})"] = lambda s, q=q: queue.first_page(s, q, limit)
    made["End (All open)"] = lambda s: queue.last_page(s, open_query, limit)
    made["End (Resolved)"] = lambda s: queue.last_page(s, done, limit)
    everything = queue.QueueQuery(TicketFilter())
    made[f"search common '{common}'"] = lambda s: queue.first_page(
        s, replace(everything, text=common), limit
    )
    made[f"search rare '{rare}'"] = lambda s: queue.first_page(
        s, replace(everything, text=rare), limit
    )
    # A search inside a view: all open tickets, one agent's (small at 1M), a tag's.
    tagged = replace(open_query, filter=TicketFilter(open_only=True, tag=tag))
    for where, query in (("All open", open_query), ("My open", views["My open"]), ("tag", tagged)):
        for word in (common, rare):
            q = replace(query, text=word)
            made[f"search '{word}' ({where})"] = lambda s, q=q: queue.first_page(s, q, limit)
    # A search paged: its first page and four PageDowns (each page read from the top).
    for where, query in (("", everything), (" (All open)", open_query)):
        q = replace(query, text=common)
        made[f"search '{common}'{where} +4 PgDn"] = lambda s, q=q: _paged(s, q, limit, 4)
    return made


def _paged(session: Any, query: queue.QueueQuery, limit: int, downs: int) -> Any:
    """The first page of ``query`` and ``downs`` pages after it, as PageDown reads them."""
    page = queue.first_page(session, query, limit)
    for _ in range(downs):
        if not page.positions:
            break
        page = queue.page_after(session, query, page.positions[-1], limit)
    return page


@dataclass
class Figures:
    """Per action: wall and CPU milliseconds of each run, and the rows of a page."""

    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    """The action's label with this desk's names (a tag's, a team's), by key."""
    load: tuple[float, float] = (0.0, 0.0)
    """The 1-minute load average before and after."""


def measure(db: Database, repeat: int, limit: int) -> Figures:
    """Milliseconds per run of each action, keyed by its place in the list of actions.

    CPU time is this process's (``time.process_time``): on a machine other work keeps busy
    it shows what the action cost, where the wall time also shows the wait for a core.
    """
    figures = Figures()
    before = os.getloadavg()[0]
    for index, (label, action) in enumerate(actions(db, limit).items()):
        key = f"{index:02d}"
        figures.labels[key] = label
        figures.wall[key], figures.cpu[key] = [], []
        for _ in range(repeat):
            with db.read() as session:
                cpu, started = time.process_time(), time.perf_counter()
                page = action(session)
                figures.wall[key].append((time.perf_counter() - started) * 1000)
                figures.cpu[key].append((time.process_time() - cpu) * 1000)
        figures.rows[key] = len(getattr(page, "rows", ()))
    figures.load = (before, os.getloadavg()[0])
    return figures


def build_small(url: str, tickets: int) -> Database:
    db = Database(url)
    migrate.upgrade(db)
    generate_demo(db, tickets=tickets, seed=1)
    db.dispose()
    return Database(db.url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--big", type=Path, help="a SQLite desk built by helpdesk demo")
    parser.add_argument("--big-url", help="or its database URL (PostgreSQL)")
    parser.add_argument("--small-url", help="an empty database for the small desk")
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args()
    big = Database(args.big_url or f"sqlite:///{args.big}")
    started = time.perf_counter()
    state = migrate.schema_state(big)
    if not state.is_latest:
        migrate.upgrade(big)
        print(f"upgraded {big.shown_url} in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        small = build_small(args.small_url or f"sqlite:///{Path(tmp) / 'small.db'}", args.small)
        small_figures = measure(small, args.repeat, args.limit)
        big_figures = measure(big, args.repeat, args.limit)
        small.dispose()
    big.dispose()
    for name, figures in (("small", small_figures), ("big", big_figures)):
        print(f"{name}: load average {figures.load[0]:.2f} before, {figures.load[1]:.2f} after")
    print("milliseconds, wall (median / max) and CPU (median); rows: the page's rows")
    print(
        f"{'action':40} {'small wall':>12} {'cpu':>5} {'rows':>4} "
        f"{'big wall':>12} {'cpu':>5} {'rows':>4} {'wall x':>6} {'cpu x':>5}"
    )
    for key in small_figures.wall:
        s_wall, b_wall = small_figures.wall[key], big_figures.wall[key]
        s_cpu, b_cpu = (
            statistics.median(small_figures.cpu[key]),
            statistics.median(big_figures.cpu[key]),
        )
        s_med, b_med = statistics.median(s_wall), statistics.median(b_wall)
        print(
            f"{small_figures.labels[key][:40]:40} {s_med:6.1f}/{max(s_wall):5.1f} {s_cpu:5.1f} "
            f"{small_figures.rows[key]:4} {b_med:6.1f}/{max(b_wall):5.1f} {b_cpu:5.1f} "
            f"{big_figures.rows[key]:4} {b_med / s_med if s_med else 0:6.2f} "
            f"{b_cpu / s_cpu if s_cpu else 0:5.2f}"
        )


if __name__ == "__main__":
    main()
