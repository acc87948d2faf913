"""``contact show`` on a big desk: by keys (the default) against ``--copies`` (every
message, mail and ticket read), with the plan of each statement it sends.

    python benchmarks/contact_show.py --database-url sqlite:////path/to/desk.db \\
        [--address ADDRESS] [--repeat 7]

Without ``--address``, the contact with the most tickets (the longest card). Prints, for
each way, the median and the maximum wall time in milliseconds (the first, cold run
included) and each statement's plan: SQLite's ``EXPLAIN QUERY PLAN``, PostgreSQL's
``EXPLAIN``. Reads only: run it on a copy you may lose, or on a read-only file (the desk
opens SQLite read-write, so ``chmod`` alone does not protect it; the statements' plans and
timings can also be taken with ``sqlite3 -readonly``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from sqlalchemy import event, text

from helpdesk_tui.desk.actors import SYSTEM
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.storage.database import Database


def busiest(db: Database) -> str:
    with db.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT c.email FROM ticket t JOIN contact c ON c.id = t.requester_id"
                " GROUP BY c.email ORDER BY count(*) DESC LIMIT 1"
            )
        ).one()
    return str(row[0])


def plans(db: Database, desk: Desk, address: str, copies: bool) -> list[str]:
    sent: list[tuple[str, Any]] = []

    def remember(_c: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        sent.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        desk.contact_show(address, copies=copies)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    found = []
    with db.engine.connect() as conn:
        explain = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
        for statement, params in sent:
            rows = conn.exec_driver_sql(explain + statement, params).all()
            lines = [str(r[-1] if db.is_sqlite else r[0]).strip() for r in rows]
            shown = " | ".join(line for line in lines if db.is_sqlite or "Scan" in line)
            if shown:  # (a statement with no table: none)
                found.append(shown)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--address")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    db = Database(args.database_url)
    desk = Desk(db, SYSTEM)
    address = args.address or busiest(db)
    for copies in (False, True):
        times = []
        for _ in range(args.repeat if not copies else max(1, args.repeat // 2)):
            start = time.perf_counter()
            card = desk.contact_show(address, copies=copies)
            times.append(time.perf_counter() - start)
        way = "--copies" if copies else "by keys"
        print(
            f"{way:8}  {len(card.tickets):6} tickets  median {statistics.median(times) * 1000:8.1f}"
            f" ms  max {max(times) * 1000:8.1f} ms"
        )
        for plan in plans(db, desk, address, copies):
            print(f"          {plan[:200]}")


if __name__ == "__main__":
    main()
