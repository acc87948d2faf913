"""The full report at a big desk: the first catch-up, reports from the rollups and from the
ticket rows, and what the report tables add to each ticket change.

Builds a demo desk of ``--tickets`` tickets into a temporary SQLite (or migrates and uses
``--db``: give it a COPY, it is written to), then prints wall time, CPU time and the load
average of:

1. **first catch-up** — ``Desk.report_catch_up()`` as the demo loader and the mail service
   run it: replays every ticket whose events are newer than the watermark (on a desk made
   by a ``helpdesk demo`` older than migration 0015, or whose report tables that migration
   emptied, every ticket). With ``--tickets`` the demo has already done it, so it finds
   nothing; on a ``--db`` desk made before 0015 it is the whole replay.
2. **full report** — ``Desk.report_run`` over every day the desk has, ``--repeat`` times
   (nothing changed in between), from the rollups: median and max;
3. **full report from report_ticket** — the same without the rollups (``rollups=False``),
   the way before them (the baseline);
4. **filtered report** — the last 30 days of the first team (``report_ticket``);
5. **cost per ticket change** — ``--changes`` ticket changes through the desk's own writers
   (a reply and a status change alternately, each its own transaction), timed; then the
   catch-up that brings the report tables and rollups up to them, timed: per change.

    python benchmarks/report.py --tickets 100000 [--repeat 5] [--changes 200]
    python benchmarks/report.py --db /path/to/a/copy/of/1m.db
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from helpdesk_tui.desk import fields, thread
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.demo import generate_demo
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.reports import ReportQuery
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Agent, Role, Team, Ticket


def load() -> str:
    return "load " + " ".join(f"{v:.1f}" for v in os.getloadavg())


def once(action: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def timed(name: str, action: Callable[[], object], repeat: int) -> None:
    runs = [once(action) for _ in range(repeat)]
    walls, cpus = [w for w, _ in runs], [c for _, c in runs]
    print(
        f"{name}: wall median {statistics.median(walls) * 1000:.0f} ms, max "
        f"{max(walls) * 1000:.0f} ms; CPU median {statistics.median(cpus) * 1000:.0f} ms, "
        f"max {max(cpus) * 1000:.0f} ms ({repeat} runs; {load()})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="a copy of a desk (it is migrated and written)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "report.db"
        db = Database(f"sqlite:///{path}")
        wall, cpu = once(lambda: migrate.upgrade(db))
        print(f"migrations: {wall:.1f} s wall, {cpu:.1f} s CPU ({load()})", flush=True)
        if args.db is None:
            wall, cpu = once(lambda: generate_demo(db, tickets=args.tickets))
            print(f"demo desk of {args.tickets:,} tickets: {wall:.1f} s wall, {cpu:.1f} s CPU")
        with db.read() as session:
            count = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
            first = session.execute(select(func.min(Ticket.created_at))).scalar_one()
            last = session.execute(select(func.max(Ticket.created_at))).scalar_one()
            admin = session.execute(select(Agent).order_by(Agent.id)).scalar()
            team = session.execute(select(Team.name).order_by(Team.id)).scalar()
            numbers = (
                session.execute(
                    select(Ticket.number).where(Ticket.status == "open").limit(args.changes)
                )
                .scalars()
                .all()
            )
        assert admin is not None and admin.id is not None
        actor = Actor(name=admin.login, agent_id=admin.id, role=Role.ADMIN)
        desk = Desk(db, actor)
        print(f"desk: {count:,} tickets, {first:%Y-%m-%d} to {last:%Y-%m-%d}", flush=True)

        replayed: list[int] = []
        wall, cpu = once(lambda: replayed.append(desk.report_catch_up()))
        print(
            f"first catch-up ({replayed[0]:,} tickets replayed): {wall:.1f} s wall, "
            f"{cpu:.1f} s CPU ({load()})",
            flush=True,
        )

        full = ReportQuery(start=first.date(), end=last.date())
        timed("full report (rollups)", lambda: desk.report_run(full), args.repeat)
        timed(
            "full report (report_ticket, the baseline)",
            lambda: desk.report_run(full, rollups=False),
            max(1, args.repeat // 2),
        )
        assert desk.report_run(full) == desk.report_run(full, rollups=False)
        recent = ReportQuery(start=last.date() - timedelta(days=29), end=last.date(), team=team)
        timed(f"30 days, team {team}", lambda: desk.report_run(recent), args.repeat)
        month = ReportQuery(start=last.date() - timedelta(days=29), end=last.date())
        timed("30 days, every team (rollups)", lambda: desk.report_run(month), args.repeat)

        def change() -> None:
            for i, number in enumerate(numbers):
                with db.write() as session:
                    if i % 2:
                        fields.set_status(session, actor, number, "in_progress")
                    else:
                        thread.reply(session, actor, number, body="On it.", to="x@example.com")

        n = max(1, len(numbers))
        wall, cpu = once(change)
        print(
            f"{len(numbers)} changes: {wall / n * 1000:.2f} ms wall, "
            f"{cpu / n * 1000:.2f} ms CPU each"
        )
        wall, cpu = once(desk.report_catch_up)
        print(
            f"their catch-up (report tables and rollups): {wall / n * 1000:.2f} ms wall, "
            f"{cpu / n * 1000:.2f} ms CPU per change ({load()})",
            flush=True,
        )
        timed("full report after the changes", lambda: desk.report_run(full), args.repeat)
        db.dispose()


if __name__ == "__main__":
    main()
