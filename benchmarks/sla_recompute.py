"""Recomputing every open ticket's SLA clocks after a policy change, the way an admin does it.

    python3 benchmarks/sla_recompute.py --db /path/to/copy-of-desk.db      # a desk you have
    python3 benchmarks/sla_recompute.py --db COPY --baseline /path/to/older/checkout
    python3 benchmarks/sla_recompute.py --tickets 100000                   # builds one first

Runs the real command line, as a user would: ``helpdesk db upgrade`` once (a desk made by an
older helpdesk is upgraded first; its time is printed apart), then ``--repeat`` times
``helpdesk sla policy set normal --priority normal …`` alternating two sets of targets, so
every open normal ticket's due times really change. That command saves the policy and then
recomputes every open ticket's clocks from its history, in batches inside the desk's one
clock writer. Prints, per change and as median / max: wall time, the CPU time of the
``helpdesk`` process, the load average, and the command's own line (how many tickets' due
times changed). Asserts nothing. ``--db`` is written to: give it a copy.

``--baseline DIR`` first runs the same changes with the helpdesk-tui source tree in ``DIR``
(an older checkout, put first on ``PYTHONPATH``) on the desk as it is, then upgrades the desk
with this tree and runs them again: the baseline and the new figures in one run.

Without ``--db`` a demo desk of ``--tickets`` is made with ``helpdesk init`` and
``helpdesk demo`` (by the baseline tree, if given) in a temporary directory (not timed).
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

HERE = Path(__file__).resolve().parent.parent
"""This helpdesk-tui tree: what runs unless ``--baseline`` names another."""
TARGETS = (("4h", "40h"), ("6h", "30h"))
"""Two sets of (first/next response, resolution) targets for the ``normal`` priority."""


def _helpdesk(url: str, *args: str, source: Path | None = None) -> tuple[str, float, float]:
    """Run ``helpdesk ARGS`` on the desk at ``url``: (its output, wall s, CPU s); ``source``:
    the helpdesk-tui tree to run (default: this one)."""
    env = {**os.environ, "HELPDESK_DATABASE_URL": url}
    env["PYTHONPATH"] = os.pathsep.join([str(source or HERE), env.get("PYTHONPATH", "")])
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


def _changes(url: str, repeat: int, label: str, source: Path | None = None) -> None:
    walls, cpus = [], []
    for number in range(repeat):
        first, resolve = TARGETS[number % 2]
        load = _load()
        output, wall, cpu = _helpdesk(
            url, "sla", "policy", "set", "normal", "--priority", "normal",
            "--first", first, "--resolve", resolve, source=source,
        )  # fmt: skip
        walls.append(wall)
        cpus.append(cpu)
        print(
            f"{label} change {number + 1}/{repeat}: wall {wall:.1f} s, CPU {cpu:.1f} s, "
            f"load {load} → {_load()}  ({output})"
        )
    print(
        f"{label} policy set: wall median {statistics.median(walls):.1f} s, max {max(walls):.1f} s"
    )
    print(f"{label} policy set: CPU  median {statistics.median(cpus):.1f} s, max {max(cpus):.1f} s")


def run(path: Path, repeat: int, baseline: Path | None = None) -> None:
    url = f"sqlite:///{path}"
    if baseline is not None:
        _changes(url, repeat, "baseline", baseline)
    output, wall, cpu = _helpdesk(url, "db", "upgrade")
    print(f"db upgrade: wall {wall:.1f} s, CPU {cpu:.1f} s  ({output.splitlines()[-1]})")
    _changes(url, repeat, "this tree")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a SQLite desk to change (give it a copy)")
    parser.add_argument("--tickets", type=int, default=100_000, help="demo desk size (no --db)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="an older helpdesk-tui tree to run first")
    args = parser.parse_args()
    if args.db:
        run(args.db, args.repeat, args.baseline)
        return
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-") as directory:
        path = Path(directory) / "helpdesk.db"
        url = f"sqlite:///{path}"
        _helpdesk(url, "init", source=args.baseline)  # (a baseline runs on its own schema)
        _helpdesk(url, "demo", "--tickets", str(args.tickets), source=args.baseline)
        run(path, args.repeat, args.baseline)


if __name__ == "__main__":
    main()
