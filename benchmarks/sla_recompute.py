"""Recomputing every open ticket's SLA clocks after a policy change, on a large desk.

    python3 benchmarks/sla_recompute.py                    # 100,000 demo tickets, temporary SQLite
    python3 benchmarks/sla_recompute.py --tickets 1000000 --repeat 3
    python3 benchmarks/sla_recompute.py --url postgresql+psycopg://user@host/empty_db

Fills the desk with ``generate_demo``, then changes the ``normal`` priority's policy
``--repeat`` times (alternating two targets, so every open normal ticket's due times really
change) and times ``Desk.sla_set_policy``: its recompute walks the open tickets in batches of
``RECOMPUTE_BATCH``, one write transaction each. Prints the total per change, and the median
and maximum of one batch (what a batch holds the write lock for). Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

from helpdesk_tui.desk import sla_clock
from helpdesk_tui.desk.actors import SYSTEM
from helpdesk_tui.desk.demo import generate_demo
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.sla_service import RECOMPUTE_BATCH
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database


def _batches(db: Database) -> list[float]:
    """One recompute, batch by batch, timed (what ``sla_recompute`` does)."""
    with db.read() as session:
        rules = sla_clock.load_rules(session)
        batches = list(sla_clock.open_ticket_batches(session, RECOMPUTE_BATCH))
    times = []
    for ids in batches:
        started = time.perf_counter()
        with db.write() as session:
            sla_clock.refresh(session, ids, rules)
        times.append(time.perf_counter() - started)
    return times


def run(url: str, tickets: int, repeat: int) -> None:
    db = Database(url)
    migrate.upgrade(db)
    started = time.perf_counter()
    generate_demo(db, tickets=tickets, seed=1)
    print(f"demo desk         {tickets:,} tickets in {time.perf_counter() - started:.0f} s")
    with db.read() as session:
        open_tickets = sum(len(ids) for ids in sla_clock.open_ticket_batches(session, 10_000))
    print(f"open tickets      {open_tickets:,}")
    desk = Desk(db, SYSTEM)
    totals, batch_times, changed = [], [], []
    load_before = os.getloadavg()[0]
    for run_number in range(repeat):
        target = ("4h", "40h") if run_number % 2 == 0 else ("6h", "30h")
        desk.sla_set_policy(
            "normal",
            priority="normal",
            first_response=target[0],
            next_response=target[0],
            resolution=target[1],
        )  # fmt: skip  (this recompute is the warm-up and sets the policy)
        started = time.perf_counter()
        times = _batches(db)
        totals.append(time.perf_counter() - started)
        batch_times += times
        print(f"\rchange {run_number + 1}/{repeat}: {totals[-1]:.1f} s", end="", file=sys.stderr)
        changed.append(len(times))
    print(file=sys.stderr)
    db.dispose()
    engine = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    print(f"engine            {engine}")
    print(f"recompute total   median {statistics.median(totals):.1f} s, max {max(totals):.1f} s")
    print(f"tickets/s         {open_tickets / statistics.median(totals):,.0f}")
    print(
        f"one batch         median {statistics.median(batch_times) * 1000:.0f} ms, "
        f"max {max(batch_times) * 1000:.0f} ms ({RECOMPUTE_BATCH} tickets)"
    )
    print(f"load average      {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--url", help="an empty database to fill (default: a temporary SQLite)")
    args = parser.parse_args()
    if args.url:
        run(args.url, args.tickets, args.repeat)
        return
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-") as directory:
        run(f"sqlite:///{directory}/helpdesk.db", args.tickets, args.repeat)


if __name__ == "__main__":
    main()
