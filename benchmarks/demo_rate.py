"""How fast ``generate_demo`` fills a database: tickets per second, CPU per ticket, peak RSS.

    python3 benchmarks/demo_rate.py                       # 100,000 tickets, temporary SQLite
    python3 benchmarks/demo_rate.py --tickets 20000
    python3 benchmarks/demo_rate.py --url postgresql+psycopg://user@host/empty_db
    python3 benchmarks/demo_rate.py --tickets 20000 --url sqlite:////copy/of/desk-1m.db
    python3 benchmarks/demo_rate.py --tickets 20000 --url sqlite:////copy/of/desk-1m.db --later 240

Into an existing desk it adds tickets the way ``helpdesk demo`` does (numbers after the
desk's, dated after its newest ticket). ``--later DAYS`` runs it as ``helpdesk demo`` would
run that many days after the desk's newest ticket (``now`` moved on): tickets of the same
ages, and so the same stories, as a fresh load's, where a run soon after the desk was made
adds young ones (fewer messages and events each). On a local PostgreSQL it also prints the
server's CPU per ticket (its processes' times from /proc, sampled while the load runs), that
of its busiest process (a loading connection's backend: one process, so it bounds the rate
on any number of cores), and tickets per CPU second of client and server together.

CPU is split between the load's own thread (on SQLite the inserts and commits; then the
statistics and report catch-up) and the others (the stories; on SQLite also the WAL's
checkpoints; on PostgreSQL also the inserts, by one thread per loading connection, and the
statistics): on a quiet machine with two cores the run takes about the largest of the two,
of half the client's and server's CPU together and of the busiest backend's, which it prints
as an estimate beside the wall time (a loaded machine inflates wall time, not CPU). It also
prints the load's thread's time spent waiting for a CPU (``/proc/thread-self/schedstat``)
and blocked otherwise (the GIL, ``fsync``, the write lock, waits for the stories or the
checkpoints), and the rate the wall time less the first would give: what other processes on
a shared machine cost it. Bytes written are the process's (``/proc/self/io``):
``write_bytes``, what the kernel charges it with sending to storage, and ``wchar``, the
bytes it handed to ``write()`` (on SQLite the WAL's frames and the checkpoints' pages). Into
a 1M-ticket desk the first is nearly three times the second (164 against 59 KB per ticket,
``benchmarks/README.md``); the WAL's frames written alone are charged one for one, so the
rest is not theirs.

It needs the package installed (``pip install -e .``); it prints figures and asserts
nothing. The load average is printed too: on a shared machine other work slows the run.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from helpdesk_tui.desk.demo import generate_demo
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _reference_ms() -> float:
    """CPU time of a fixed pure-Python loop: compares the CPU's speed between runs."""
    started = time.process_time()
    sum(i * i for i in range(2_000_000))
    return (time.process_time() - started) * 1000


def _postmaster(db: Database) -> int | None:
    """The local PostgreSQL server's postmaster pid; None on SQLite or a server elsewhere."""
    if db.is_sqlite:
        return None
    try:
        with db.read() as session:
            directory = session.execute(text("SHOW data_directory")).scalar_one()
        return int(Path(directory, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError, SQLAlchemyError):
        return None


def _server_processes(postmaster: int) -> dict[int, float]:
    """CPU seconds of the postmaster (with the children it has reaped) and of each live
    child, by pid."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, parent = int(stat.parent.name), int(fields[1])
        if pid == postmaster:
            found[pid] = sum(int(f) for f in fields[11:15]) / ticks  # utime stime cutime cstime
        elif parent == postmaster:
            found[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return found


class _ServerWatch:
    """The local PostgreSQL server's CPU while the load runs, sampled every 0.1 s: in all,
    and of its busiest process (a loading connection's backend: one process, so tickets / its
    CPU bounds the rate whatever the cores)."""

    def __init__(self, postmaster: int) -> None:
        self.postmaster = postmaster
        self.before = _server_processes(postmaster)
        self.last = dict(self.before)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.last.update(_server_processes(self.postmaster))

    def stop(self) -> tuple[float, float]:
        """CPU seconds: the server in all, its busiest process."""
        self._stop.set()
        self._thread.join()
        now = _server_processes(self.postmaster)  # the ended ones: in the postmaster's
        self.last.update(now)
        busiest = max(
            (
                cpu - self.before.get(pid, 0.0)
                for pid, cpu in self.last.items()
                if pid != self.postmaster
            ),
            default=0.0,
        )
        return sum(now.values()) - sum(self.before.values()), busiest


def _written() -> tuple[int, int]:
    """Bytes this process has written so far: as the kernel charges them (``write_bytes``),
    as handed to ``write()`` (``wchar``)."""
    found = dict(line.split(":") for line in Path("/proc/self/io").read_text().splitlines())
    return int(found.get("write_bytes", 0)), int(found.get("wchar", 0))


def _thread_cpu() -> tuple[float, float]:
    """This thread's CPU seconds: in user mode, in the kernel."""
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime, usage.ru_stime


def _waited_for_cpu() -> float:
    """Seconds this thread has been ready to run but waited for a CPU (``schedstat``'s
    run-queue delay): on a shared machine, other processes' share of its wall time."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def run(url: str, tickets: int, seed: int, later: float | None = None) -> None:
    db = Database(url)
    migrate.upgrade(db)
    with db.read() as session:
        existing = session.execute(text("SELECT count(*) FROM ticket")).scalar_one()
        newest = session.execute(text("SELECT max(updated_at) FROM ticket")).scalar()
    now = None
    if later is not None and newest is not None:
        now = datetime.fromisoformat(str(newest)).replace(tzinfo=UTC) + timedelta(days=later)
    load_before = os.getloadavg()[0]
    postmaster = _postmaster(db)
    watch = None if postmaster is None else _ServerWatch(postmaster)
    cpu_before = time.process_time()
    thread_before = _thread_cpu()
    queued_before = _waited_for_cpu()
    written_before = _written()
    shown = [0.0]

    def progress(done: int) -> None:
        if time.monotonic() - shown[0] >= 1 or done == tickets:
            shown[0] = time.monotonic()
            print(f"\r{done:>9,} / {tickets:,}", end="", file=sys.stderr, flush=True)

    result = generate_demo(db, tickets=tickets, seed=seed, progress=progress, now=now)
    cpu = time.process_time() - cpu_before
    user, system = _thread_cpu()
    own_system = system - thread_before[1]
    own = user - thread_before[0] + own_system
    queued = _waited_for_cpu() - queued_before
    charged, handed = _written()
    charged, handed = charged - written_before[0], handed - written_before[1]
    server = None if watch is None else watch.stop()
    print(file=sys.stderr)
    db.dispose()
    engine = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    print(f"engine            {engine}")
    print(f"tickets before    {existing:,}")
    print(f"tickets           {result.tickets:,}")
    print(f"messages          {result.messages:,}")
    print(f"events            {result.events:,}")
    print(f"contacts          {result.contacts:,}")
    print(f"messages/ticket   {result.messages / result.tickets:.2f}")
    print(f"events/ticket     {result.events / result.tickets:.2f}")
    if now is not None:
        print(f"now               {now:%Y-%m-%d %H:%M} ({later:g} days after the newest ticket)")
    print(f"seconds           {result.seconds:.1f}")
    print(f"tickets/s         {result.rate:,.0f}")
    print(f"CPU µs/ticket     {cpu / result.tickets * 1e6:.0f}  (all threads)")
    print(
        f"  load's thread   {own / result.tickets * 1e6:.0f}  "
        f"({own_system / result.tickets * 1e6:.0f} of it in the kernel)"
    )
    blocked = result.seconds - own - queued
    print(f"  other threads   {(cpu - own) / result.tickets * 1e6:.0f}  (the stories, …)")
    print(
        f"load's thread µs  {queued / result.tickets * 1e6:.0f} waiting for a CPU, "
        f"{blocked / result.tickets * 1e6:.0f} blocked (GIL, I/O, locks, the other threads)"
    )
    print(
        f"wall less waits   {result.tickets / (result.seconds - queued):,.0f} tickets/s "
        "(the load's thread never waiting for a CPU)"
    )
    print(f"written KB/ticket {charged / result.tickets / 1024:.0f}  (write_bytes)")
    print(f"  by write()      {handed / result.tickets / 1024:.0f}  (wchar)")
    bound = max(own, cpu - own)
    if server is not None:
        total, busiest = server
        print(f"server µs/ticket  {total / result.tickets * 1e6:.0f}  (PostgreSQL's processes)")
        print(f"  busiest backend {busiest / result.tickets * 1e6:.0f}  (a loading connection's)")
        print(f"tickets/CPU s     {result.tickets / (cpu + total):,.0f}")
        # client and server share the two cores; a backend is one process
        bound = max(bound, (cpu + total) / 2, busiest)
    print(f"quiet estimate    {result.tickets / bound:,.0f} tickets/s (by CPU, two cores)")
    print(f"peak RSS          {_peak_rss_mb():.0f} MB")
    print(f"load average      {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"CPUs              {os.cpu_count()}")
    print(f"reference loop    {_reference_ms():.0f} ms CPU (more: a slower or shared CPU)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="an empty database to fill (default: a temporary SQLite)")
    parser.add_argument(
        "--later",
        type=float,
        metavar="DAYS",
        help="into a desk in use: run as if DAYS after its newest ticket (see above)",
    )
    args = parser.parse_args()
    if args.url:
        run(args.url, args.tickets, args.seed, args.later)
        return
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-") as directory:
        run(f"sqlite:///{directory}/helpdesk.db", args.tickets, args.seed)
        size = sum(f.stat().st_size for f in Path(directory).iterdir())
        print(f"database size     {size / 1e6:,.0f} MB (with -wal)")


if __name__ == "__main__":
    main()
