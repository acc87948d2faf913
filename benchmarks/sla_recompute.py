"""Recomputing every open ticket's SLA clocks after a policy change, the way an admin does it.

    python3 benchmarks/sla_recompute.py --db /path/to/copy-of-desk.db      # a desk you have
    python3 benchmarks/sla_recompute.py --tickets 100000                   # builds one first

Runs the real command line, as a user would: ``helpdesk db upgrade`` once (a desk made by an
older helpdesk is upgraded first; its time is printed apart), then ``--repeat`` times
``helpdesk sla policy set normal --priority normal …`` alternating two sets of targets, so
every open normal ticket's due times really change. That command saves the policy and then
recomputes every open ticket's clocks from its history, in batches inside the desk's one
clock writer. Prints, per change and as median / max: wall time, the CPU time of the
``helpdesk`` process, the load average, and the command's own line (how many tickets' due
times changed). Asserts nothing. ``--db`` is written to: give it a copy.

Without ``--db`` a demo desk of ``--tickets`` is made with ``helpdesk demo`` in a temporary
directory (the building is not timed).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = (("4h", "40h"), ("6h", "30h"))
"""Two sets of (first/next response, resolution) targets for the ``normal`` priority."""


def _helpdesk(url: str, *args: str) -> tuple[str, float, float]:
    """Run ``helpdesk ARGS`` on the desk at ``url``: (its output, wall s, CPU s)."""
    env = {**os.environ, "HELPDESK_DATABASE_URL": url}
    command = shutil.which("helpdesk") or "helpdesk"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([command, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.exit(f"helpdesk {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip(), wall, cpu


def _load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def run(path: Path, repeat: int) -> None:
    url = f"sqlite:///{path}"
    output, wall, cpu = _helpdesk(url, "db", "upgrade")
    print(f"db upgrade        wall {wall:.1f} s, CPU {cpu:.1f} s  ({output.splitlines()[-1]})")
    walls, cpus = [], []
    for number in range(repeat):
        first, resolve = TARGETS[number % 2]
        load = _load()
        output, wall, cpu = _helpdesk(
            url, "sla", "policy", "set", "normal", "--priority", "normal",
            "--first", first, "--resolve", resolve,
        )  # fmt: skip
        walls.append(wall)
        cpus.append(cpu)
        print(
            f"change {number + 1}/{repeat}      wall {wall:.1f} s, CPU {cpu:.1f} s, "
            f"load {load} → {_load()}  ({output})"
        )
    print(f"policy set        wall median {statistics.median(walls):.1f} s, max {max(walls):.1f} s")
    print(f"                  CPU  median {statistics.median(cpus):.1f} s, max {max(cpus):.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a SQLite desk to change (give it a copy)")
    parser.add_argument("--tickets", type=int, default=100_000, help="demo desk size (no --db)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.db:
        run(args.db, args.repeat)
        return
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-") as directory:
        path = Path(directory) / "helpdesk.db"
        url = f"sqlite:///{path}"
        _helpdesk(url, "init")
        _helpdesk(url, "demo", "--tickets", str(args.tickets))
        run(path, args.repeat)


if __name__ == "__main__":
    main()
