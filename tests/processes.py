"""Real processes racing on one database, started from a fork server that imported the desk once.

A race test starts several processes, each opening its own ``Database`` from the URL as a
second agent's terminal would. Started by "spawn", each was a fresh interpreter that imported
the whole data layer again: about a second of CPU per child, eight children in one test, and
most of these tests' time. multiprocessing's "forkserver" starts one clean, single-threaded
server process per test session (per xdist worker) that imports :data:`PRELOAD` once; each
child is forked from it, so it is still a separate process with its own connections and no
state of the test's process (no open database, no threads), only without the imports.

A child runs with the environment of the test that started it, as a spawned child did (the
server itself keeps the environment of the first test that needed it).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Barrier
from typing import Any

PRELOAD = [
    "helpdesk_tui.desk.facade",
    "helpdesk_tui.storage.database",
    "sqlalchemy.dialects.postgresql.psycopg",
    "sqlalchemy.dialects.sqlite.pysqlite",
    # The modules whose functions the children run (a child imports its target's module).
    "tests.desk.test_assignment",
    "tests.desk.test_concurrency",
    "tests.desk.test_macros",
    # ``helpdesk mail run``'s libraries (tests/mail/mail_run.py), none of the package's own
    # modules but those above: the command imports them as a fresh interpreter would.
    "imapclient",
    "aiosmtplib",
    "tests.mail.mail_run",
]
CONTEXT = multiprocessing.get_context("forkserver")
CONTEXT.set_forkserver_preload(PRELOAD)


def barrier(parties: int) -> Barrier:
    """A barrier the children wait on, so their racing writes start at the same moment."""
    return CONTEXT.Barrier(parties)


def _child(environ: Mapping[str, str], target: Callable[..., None], *args: Any) -> None:
    os.environ.clear()
    os.environ.update(environ)
    target(*args)


def start(target: Callable[..., None], environ: Mapping[str, str], *args: Any) -> BaseProcess:
    """One process forked from the server, running ``target(*args)`` with ``environ``."""
    child = CONTEXT.Process(target=_child, args=(dict(environ), target, *args))
    child.start()
    return child


def run_children(
    target: Callable[..., None], args_per_child: Sequence[tuple[Any, ...]], timeout: float
) -> list[Any]:
    """One process per args tuple, each calling ``target(*args, results)``; ``target`` puts
    exactly one result on ``results``. Returns them in the order they came; every child must
    exit with status 0. ``timeout`` guards against a hang only."""
    results = CONTEXT.Queue()
    environ = dict(os.environ)
    children = [
        CONTEXT.Process(target=_child, args=(environ, target, *args, results))
        for args in args_per_child
    ]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=timeout) for _ in children]
    for child in children:
        child.join(timeout)
        assert child.exitcode == 0
    return outcomes
