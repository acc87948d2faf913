"""Knowledge-base search latency over 10,000 articles, and the time to build the help site.

Loads 10,000 articles into a temporary SQLite desk, a temporary PostgreSQL cluster
(``--postgres``: the system's initdb/pg_ctl, as the tests make one) or the empty database
``--database-url`` names: the 200 articles of ``tests/desk/kb_fixture.py``, each in 50
variants (one per office, with a sentence of its own), all published and public. Then runs,
``--rounds`` times, every query of the fixture's ranking test (typos and synonyms included)
and what an agent types on the way to each (every prefix of 3 characters and more), through
``Desk.kb_search`` with the KB screen's limit — the call the screen makes as one types — and
prints the median, p95 and max latency, wall and CPU (this thread's), with the load average.
It checks, too, that each whole query still finds its article (or one of its office
variants) in the top 3. Last, it times ``kb export --html`` (``build_site``) for all
10,000 articles into a temporary directory.

    python benchmarks/kb_search.py [--articles 10000] [--rounds 3]
                                   [--postgres | --database-url URL]

Goal (issue 12): median ≤ 20 ms, max ≤ 60 ms per search.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

# The package from PYTHONPATH first (an A/B run puts older code there), this checkout's
# only when nothing else provides it.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from helpdesk_tui.desk.actors import SYSTEM
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.kb_service import ArticleData
from helpdesk_tui.desk.kb_site import build_site
from helpdesk_tui.screens.kb import LISTED
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database
from tests.desk.kb_fixture import ARTICLES, QUERIES
from tests.pg_cluster import start_cluster

OFFICES = [
    "Amsterdam", "Berlin", "Boston", "Brussels", "Chicago", "Copenhagen", "Dallas", "Denver",
    "Dublin", "Frankfurt", "Geneva", "Hamburg", "Helsinki", "Lisbon", "London", "Lyon",
    "Madrid", "Manchester", "Milan", "Montreal", "Munich", "Nairobi", "Oslo", "Paris",
    "Prague", "Rome", "Rotterdam", "Seattle", "Singapore", "Stockholm", "Sydney", "Tallinn",
    "Tokyo", "Toronto", "Valencia", "Vancouver", "Vienna", "Vilnius", "Warsaw", "Zurich",
    "Atlanta", "Austin", "Bangalore", "Cape Town", "Edinburgh", "Glasgow", "Leeds", "Porto",
    "Riga", "Seoul",
]  # fmt: skip


def articles(count: int) -> list[ArticleData]:
    when = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    made = []
    for i in range(count):
        base = ARTICLES[i % len(ARTICLES)]
        office = OFFICES[(i // len(ARTICLES)) % len(OFFICES)]
        variant = i // len(ARTICLES)
        made.append(
            ArticleData(
                slug=f"{base.slug}-{variant}" if variant else base.slug,
                title=f"{base.title} ({office})" if variant else base.title,
                body=f"{base.body}\n\nIn the {office} office, ask the local IT contact first.",
                category=base.category,
                tags=base.tags,
                status="published",
                visibility="public",
                author="ada",
                created_at=when,
                updated_at=when,
            )
        )
    return made


def typed(query: str) -> list[str]:
    """What an agent types on the way to ``query``: every prefix of 3 characters or more."""
    return [query[:n] for n in range(3, len(query) + 1)]


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu() -> float:
    """CPU seconds of the whole process (user + system; the database's too on SQLite)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU milliseconds of ``run()``."""
    wall, used = time.perf_counter(), cpu()
    run()
    return (time.perf_counter() - wall) * 1000, (cpu() - used) * 1000


def summary(what: str, figures: list[tuple[float, float]]) -> str:
    walls = sorted(w for w, _ in figures)
    cpus = sorted(c for _, c in figures)
    p95 = int(len(walls) * 0.95)
    return (
        f"{what}: wall median {statistics.median(walls):.1f} ms, p95 {walls[p95]:.1f} ms, "
        f"max {walls[-1]:.1f} ms; CPU median {statistics.median(cpus):.1f} ms, "
        f"p95 {cpus[p95]:.1f} ms, max {cpus[-1]:.1f} ms"
    )


SERVER: list[int] = []
"""The temporary cluster's postmaster pid (``--postgres``): its processes' CPU is counted."""


def server_cpu() -> float | None:
    """CPU seconds used so far by the temporary PostgreSQL cluster's server processes (the
    searches' work on PostgreSQL is mostly there, not in this process); None without one."""
    if not SERVER:
        return None
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid = int(stat.parent.name)
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            continue  # a process that ended meanwhile
        if pid == SERVER[0] or int(fields[1]) == SERVER[0]:  # fields[1]: the parent's pid
            ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def database(args: argparse.Namespace, tmp: Path) -> Iterator[str]:
    if args.database_url:
        yield args.database_url
    elif args.postgres:
        cluster = start_cluster()
        SERVER.append(int((cluster.data_dir / "postmaster.pid").read_text().split()[0]))
        try:
            yield cluster.create_database("kb_bench")
        finally:
            cluster.stop()
    else:
        yield f"sqlite:///{tmp / 'kb.db'}"


def found(desk: Desk, query: str, slug: str) -> bool:
    """The query's article, or one of its office variants, is in the top 3."""
    top = [r.article.slug for r in desk.kb_search(query, limit=3)]
    return any(s == slug or s.removeprefix(slug + "-").isdigit() for s in top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", "--url", help="an empty database")
    where.add_argument("--postgres", action="store_true", help="a temporary PostgreSQL cluster")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database(args, Path(tmp)) as url:
        db = Database(url)
        print(f"{db.engine.dialect.name}, {args.articles} articles; {load()}")
        migrate.upgrade(db)
        desk = Desk(db, SYSTEM)
        wall, used = timed(lambda: desk.kb_import(articles(args.articles)))
        print(
            f"loaded (kb import, one transaction) in {wall / 1000:.1f} s, CPU {used / 1000:.1f} s"
        )

        # What was loaded stays in memory for good, as in a running app: keep the collector's
        # full passes off it (they would be timed as a search that happened to trigger one).
        gc.collect()
        gc.freeze()
        wall, used = timed(lambda: desk.kb_search("printer", limit=LISTED))
        print(f"first search (reads the typo vocabulary): wall {wall:.1f} ms, CPU {used:.1f} ms")
        queries = [q for query, _ in QUERIES for q in typed(query)]
        typing: list[tuple[float, float]] = []
        slowest: list[tuple[float, float, str]] = []
        server_before = server_cpu()
        for _ in range(args.rounds):
            for query in queries:
                figures = timed(lambda q=query: desk.kb_search(q, limit=LISTED))  # type: ignore[misc]
                typing.append(figures)
                slowest.append((*figures, query))
        print(load())
        print(summary(f"{len(typing)} searches as typed ({len(queries)} distinct)", typing))
        server_after = server_cpu()
        if server_before is not None and server_after is not None:
            used = (server_after - server_before) * 1000
            print(
                f"  PostgreSQL server CPU: {used / 1000:.1f} s in all, "
                f"{used / len(typing):.1f} ms a search on average"
            )
        for wall, used, query in sorted(slowest, reverse=True)[:5]:
            print(f"  slowest: {query!r} wall {wall:.1f} ms, CPU {used:.1f} ms")
        whole = [timed(lambda q=q: desk.kb_search(q, limit=LISTED)) for q, _ in QUERIES]  # type: ignore[misc]
        print(summary(f"the {len(QUERIES)} whole queries", whole))
        changed = desk.kb_list(limit=1)[0]
        desk.kb_update(changed.id, body=changed.body + "\nChecked again.")
        wall, used = timed(lambda: desk.kb_search("printer", limit=LISTED))
        print(f"first search after an article changed: wall {wall:.1f} ms, CPU {used:.1f} ms")
        missed = [q for q, slug in QUERIES if not found(desk, q, slug)]
        print(f"whole queries with their article in the top 3: {len(QUERIES) - len(missed)}"
              f"/{len(QUERIES)}" + (f" (missed: {missed})" if missed else ""))  # fmt: skip

        site = Path(tmp) / "site"
        listed: list = []
        wall, used = timed(
            lambda: listed.extend(desk.kb_list(status="published", visibility="public", limit=None))
        )
        build_wall, build_cpu = timed(lambda: build_site(listed, site))
        print(
            f"site: {len(listed)} articles read in {wall / 1000:.1f} s (CPU {used / 1000:.1f} s), "
            f"built in {build_wall / 1000:.1f} s (CPU {build_cpu / 1000:.1f} s); {load()}"
        )
        db.dispose()


if __name__ == "__main__":
    main()
