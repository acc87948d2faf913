"""The full report at a big desk, against replaying the event history, and the catch-up cost.

Builds a demo desk of ``--tickets`` tickets into a temporary SQLite (or uses ``--db``), then:

1. **baseline** — what a report costs without the report tables: replaying every ticket's
   event history (``report_service.replay`` over all ticket numbers, the same code that
   first fills the tables), timed once;
2. **full report** — ``Desk.report_run`` over every day the desk has, ``--repeat`` times,
   nothing changed in between (the catch-up finds nothing new): median and max;
3. **filtered report** — the last 30 days of the first team, ``--repeat`` times;
4. **cost per ticket change** — ``--changes`` ticket changes through the desk's own writers
   (a reply and a status change alternately, each its own transaction), timed; then the
   next report, whose catch-up replays those tickets: (that report - a report with nothing
   new) / changes is what the report tables add to each change.

    python benchmarks/report.py --tickets 100000 [--repeat 5] [--changes 200]
    python benchmarks/report.py --db /path/to/1m.db
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from helpdesk_tui.desk import fields, thread
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.demo import generate_demo
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.report_service import catch_up
from helpdesk_tui.desk.reports import ReportQuery
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Agent, Role, Team, Ticket


def timed(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), max(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "report.db"
        db = Database(f"sqlite:///{path}")
        migrate.upgrade(db)
        if args.db is None:
            started = time.perf_counter()
            generate_demo(db, tickets=args.tickets)
            print(f"demo desk of {args.tickets:,} tickets: {time.perf_counter() - started:.1f} s")
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
        print(f"desk: {count:,} tickets, {first:%Y-%m-%d} to {last:%Y-%m-%d}")

        started = time.perf_counter()
        with db.write() as session:
            replayed = catch_up(session)
        baseline = time.perf_counter() - started
        print(f"baseline, replaying every history ({replayed:,} tickets): {baseline:.2f} s")
        with db.write() as session:
            session.execute(text("ANALYZE"))

        full = ReportQuery(start=first.date(), end=last.date())
        median, worst = timed(lambda: desk.report_run(full), args.repeat)
        print(f"full report: median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms")
        recent = ReportQuery(start=last.date() - timedelta(days=29), end=last.date(), team=team)
        median_f, worst_f = timed(lambda: desk.report_run(recent), args.repeat)
        print(f"30 days, team {team}: median {median_f * 1000:.0f} ms, max {worst_f * 1000:.0f} ms")

        started = time.perf_counter()
        for i, number in enumerate(numbers):
            with db.write() as session:
                if i % 2:
                    fields.set_status(session, actor, number, "in_progress")
                else:
                    thread.reply(session, actor, number, body="On it.", to="x@example.com")
        write = (time.perf_counter() - started) / max(1, len(numbers))
        started = time.perf_counter()
        desk.report_run(full)
        after_changes = time.perf_counter() - started
        per_change = (after_changes - median) / max(1, len(numbers))
        print(
            f"{len(numbers)} changes: {write * 1000:.2f} ms each to write; the next full report "
            f"{after_changes * 1000:.0f} ms: {per_change * 1000:.2f} ms of catch-up per change"
        )
        db.dispose()


if __name__ == "__main__":
    main()
