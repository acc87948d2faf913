"""``contact export`` and ``contact forget`` (its question, then the work) on a big desk.

    python benchmarks/contact_forget.py --database-url sqlite:////path/to/desk.db \\
        [--address ADDRESS] [--repeat 5]

Without ``--address``, the first contact (by id) with three tickets: a typical customer.
Prints one JSON line per run of each: ``leave`` (the customer card's ``c``, the copies'
whole-desk read, stopped 0.5 s after it began as when the agent leaves the card: the
milliseconds it ran on after the stop; a tree without ``ReadStop`` runs it to its end),
``export`` (``Desk.contact_export``) and ``forget``
(``forget_plan`` as the question, then ``forget_contact`` in a transaction that is rolled
back: the desk is left as it was), wall and CPU milliseconds (SQLite works in this process:
its CPU is the read's cost when other work shares the cores), and which statements read a table
whole (SQLite's ``SCAN``, PostgreSQL's ``Seq Scan``). Runs the code it imports: point
``PYTHONPATH`` at another tree to compare (a tree before the plan was carried out calls
``forget_contact`` without it).
"""

from __future__ import annotations

import argparse
import inspect
import json
import time
from typing import Any

from sqlalchemy import event, text

from helpdesk_tui.desk import privacy
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.models import Role

ADMIN = Actor(name="bench", agent_id=None, role=Role.ADMIN)


class _Rollback(Exception):
    """Raised to leave the forget's transaction without committing it."""


def typical(db: Database) -> str:
    with db.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT c.email FROM contact c JOIN ticket t ON t.requester_id = c.id"
                " GROUP BY c.id, c.email HAVING count(*) = 3 ORDER BY c.id LIMIT 1"
            )
        ).one()
    return str(row[0])


def scans(db: Database, sent: list[tuple[str, Any]]) -> list[str]:
    found = []
    with db.engine.connect() as conn:
        explain = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
        for statement, params in sent:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            for row in conn.exec_driver_sql(explain + statement, params).all():
                line = str(row[-1] if db.is_sqlite else row[0]).strip()
                if line.startswith("SCAN ") or "Seq Scan" in line:
                    found.append(line)
    return found


def forget(db: Database, address: str) -> None:
    with db.read() as session:
        plan = privacy.forget_plan(session, ADMIN, address)
    carried = "plan" in inspect.signature(privacy.forget_contact).parameters
    try:
        with db.write() as session:
            if carried:
                privacy.forget_contact(session, ADMIN, address, plan=plan)
            else:
                privacy.forget_contact(session, ADMIN, address)
            raise _Rollback
    except _Rollback:
        pass


def leave(desk: Desk, address: str) -> float:
    """Milliseconds the copies' read runs on once the agent has left (0.5 s in)."""
    import threading

    from helpdesk_tui.desk import contact_service

    maker = getattr(contact_service, "ReadStop", None)
    stop = maker() if maker is not None else None
    more = {"stop": stop} if stop is not None else {}

    def read() -> None:
        try:
            desk.contact_show(address, copies=True, **more)
        except Exception as error:  # (the stopped read's ReadStopped)
            if type(error).__name__ != "ReadStopped":
                raise

    worker = threading.Thread(target=read)
    worker.start()
    worker.join(0.5)
    left = time.perf_counter()
    if stop is not None:
        stop.stop()
    worker.join()
    return (time.perf_counter() - left) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--address")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--label", default="")
    parser.add_argument("--only", help="one of leave, export, forget")
    args = parser.parse_args()
    db = Database(args.database_url)
    address = args.address or typical(db)
    desk = Desk(db, ADMIN)
    actions = {
        "leave": lambda: leave(desk, address),
        "export": lambda: desk.contact_export(address),
        "forget": lambda: forget(db, address),
    }
    for name, action in actions.items():
        if args.only and name != args.only:
            continue
        for run in range(args.repeat):
            sent: list[tuple[str, Any]] = []

            def remember(_c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
                sent.append((statement, params))  # noqa: B023

            event.listen(db.engine, "before_cursor_execute", remember)
            started, cpu = time.perf_counter(), time.process_time()
            try:
                after_leaving = action()
            finally:
                elapsed = (time.perf_counter() - started) * 1000
                cpu = (time.process_time() - cpu) * 1000
                event.remove(db.engine, "before_cursor_execute", remember)
            record = {
                "label": args.label,
                "what": name,
                "run": run,
                "ms": round(elapsed, 1),
                "cpu_ms": round(cpu, 1),
            }
            if isinstance(after_leaving, float):
                record["ran_on_ms"] = round(after_leaving, 1)
            if run == 0:
                record["scans"] = scans(db, sent)
            print(json.dumps(record), flush=True)
    db.dispose()


if __name__ == "__main__":
    main()
