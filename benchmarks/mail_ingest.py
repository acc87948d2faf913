"""Mail ingest rate against a real Dovecot, beside a fetch-and-parse-only baseline.

    python benchmarks/mail_ingest.py [--messages 2000] [--postgres | --database-url URL]

Both runs read the same messages from the same Dovecot over loopback in batches of the
poller's size. The baseline only fetches (BODY.PEEK[]) and parses; the ingest run is the
real poller: fetch, parse, classify, thread, store (tickets, contacts, raw, attachments,
acknowledgements in the outbox), commit, then flag \\Seen and move each batch. Goal (issue
9): an ingest rate at least 0.9 of the baseline's on SQLite, 0.7 on PostgreSQL.

Each run prints its wall time, the load average before it, and the CPU time of every
process that works for it: this process (the baseline, or the poller), the poller's parse
process, Dovecot (its whole process group) and, with ``--database-url`` on this machine,
the PostgreSQL server (the postmaster and all its processes). On a shared machine the wall
times move with everyone else's work, so two estimates from CPU time follow the wall
ratio: the longest process (poller or parse process) against the baseline, and the same
with everything shared out on two cores.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

# The package from PYTHONPATH first (an A/B run puts older code there), this checkout's
# only when nothing else provides it.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from typing import TYPE_CHECKING

from helpdesk_tui.config import IntakeOptions
from helpdesk_tui.mail.ingest import IngestConfig
from helpdesk_tui.mail.parse import parse_message
from helpdesk_tui.mail_settings import MailSettings
from tests.mail.servers import DovecotServer, ImapAccount

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Database

# The poller and the database are imported where they are used: the parse process is
# spawned, so it imports this script (the main module) again, and it should find it as
# light as the ``helpdesk`` command's own main module.

DESK = "support@desk.example"
BATCH = 50


def make_messages(count: int, seed: int = 7) -> list[bytes]:
    """Realistic-ish mail: a few hundred customers, follow-ups by header, some attachments."""
    from faker import Faker  # here: the parse process imports this script again (spawn)

    fake = Faker()
    Faker.seed(seed)
    chooser = random.Random(seed)
    customers = [(fake.name(), fake.unique.email()) for _ in range(max(10, count // 5))]
    sent: list[tuple[str, str, str]] = []
    messages = []
    for n in range(count):
        name, address = chooser.choice(customers)
        message_id = f"<bench-{n}-{chooser.getrandbits(48):x}@{address.split('@')[1]}>"
        headers = [
            f"From: {name} <{address}>",
            f"To: Support <{DESK}>",
            f"Message-ID: {message_id}",
            f"Date: {fake.date_time(tzinfo=None):%a, %d %b %Y %H:%M:%S} +0000",
            "MIME-Version: 1.0",
        ]
        previous = [s for s in sent[-200:] if s[1] == address]
        if previous and chooser.random() < 0.3:
            subject, _, parent = chooser.choice(previous)
            headers += [
                f"Subject: Re: {subject}",
                f"In-Reply-To: {parent}",
                f"References: {parent}",
            ]
        else:
            subject = fake.sentence(nb_words=6).rstrip(".")
            headers.append(f"Subject: {subject}")
        body = "\r\n\r\n".join(fake.paragraphs(nb=chooser.randint(1, 5)))
        if chooser.random() < 0.15:
            attachment = fake.binary(length=chooser.randint(2_000, 40_000))
            encoded = base64.encodebytes(attachment).decode().replace("\n", "\r\n")
            headers.append('Content-Type: multipart/mixed; boundary="bench"')
            text = (
                f"--bench\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
                "--bench\r\nContent-Type: application/pdf\r\n"
                'Content-Disposition: attachment; filename="report.pdf"\r\n'
                f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}--bench--\r\n"
            )
        else:
            headers.append("Content-Type: text/plain; charset=utf-8")
            text = body + "\r\n"
        sent.append((subject, address, message_id))
        messages.append(("\r\n".join(headers) + "\r\n\r\n" + text).encode())
    return messages


def settings_for(account: ImapAccount) -> MailSettings:
    return MailSettings.model_validate(
        {
            "mailboxes": {
                "bench": {
                    "host": account.host,
                    "port": account.port,
                    "security": "none",
                    "user": account.user,
                    "password": account.password,
                }
            },
            "addresses": [DESK],
            "message_id_secret": "benchmark-secret-0123456789",
            "batch_size": BATCH,
        }
    )


def fill(account: ImapAccount, messages: list[bytes]) -> None:
    with account.connect() as client:
        for raw in messages:
            client.append("INBOX", raw)


def baseline(settings: MailSettings) -> int:
    """Fetch every message in batches and parse it; store nothing, move nothing."""
    from helpdesk_tui.mail.poller import connect

    box = settings.mailboxes["bench"]
    parsed = 0
    with connect(box) as client:
        client.select_folder(box.folder, readonly=True)
        uids = sorted(client.search("ALL"))
        for start in range(0, len(uids), BATCH):
            fetched = client.fetch(uids[start : start + BATCH], ["BODY.PEEK[]"])
            for data in fetched.values():
                parse_message(
                    bytes(data[b"BODY[]"]), max_attachment_bytes=settings.max_attachment_bytes
                )
                parsed += 1
    return parsed


_TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int | None) -> float:
    """CPU seconds of a process and all its descendants, live or reaped (0 without one)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        children = " ".join(
            p.read_text() for p in Path(f"/proc/{pid}/task").glob("*/children")
        ).split()
    except OSError:
        return 0.0
    # utime, stime, cutime, cstime: fields 14-17 of stat, 12-15 after the ")"
    own = sum(int(v) for v in fields[11:15]) / _TICK
    return own + sum(tree_cpu(int(child)) for child in children)


def settle(dovecot: int | None) -> None:
    """Wait (up to 10 s) until Dovecot has reaped the IMAP sessions of earlier steps, so
    their CPU is not counted in the next run's."""
    deadline = time.monotonic() + 10
    while dovecot is not None and time.monotonic() < deadline:
        children = " ".join(
            p.read_text() for p in Path(f"/proc/{dovecot}/task").glob("*/children")
        ).split()
        names = []
        for child in children:
            try:
                names.append(Path(f"/proc/{child}/comm").read_text().strip())
            except OSError:
                continue
        if "imap" not in names:
            return
        time.sleep(0.05)


def postgres_pid(db: Database) -> int | None:
    """The postmaster's pid when the server runs on this machine (a backend's parent)."""
    if db.engine.dialect.name != "postgresql":
        return None
    with db.engine.connect() as conn:
        backend = int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
    try:
        return int(Path(f"/proc/{backend}/stat").read_text().rpartition(")")[2].split()[1])
    except OSError:
        return None  # another machine: its CPU is not seen from here


class Timed:
    """Wall and CPU seconds of a ``with`` block: this process, the child processes it waited
    for (the parse process), Dovecot and the PostgreSQL server."""

    def __init__(self, dovecot: int | None, postgres: int | None = None) -> None:
        self._dovecot_pid, self._postgres_pid = dovecot, postgres

    def __enter__(self) -> Timed:
        self.load = os.getloadavg()[0]
        self.wall = time.perf_counter()
        self.own, self.children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        self.dovecot, self.postgres = tree_cpu(self._dovecot_pid), tree_cpu(self._postgres_pid)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.own = _cpu(resource.RUSAGE_SELF) - self.own
        self.children = _cpu(resource.RUSAGE_CHILDREN) - self.children
        self.dovecot = tree_cpu(self._dovecot_pid) - self.dovecot
        self.postgres = tree_cpu(self._postgres_pid) - self.postgres

    @property
    def longest(self) -> float:
        """The busiest of the processes that run side by side (this one, the parse one)."""
        return max(self.own, self.children)

    @property
    def two_cores(self) -> float:
        """Seconds on two free cores by CPU alone: the busiest process, or all of the work
        (Dovecot's and PostgreSQL's too) shared out on both, whichever is longer."""
        everything = self.own + self.children + self.dovecot + self.postgres
        return max(self.longest, everything / 2)

    def line(self, label: str, count: int, here: str) -> str:
        rate = count / self.wall
        parts = [f"{here} {self.own:.2f} s"]
        if self.children >= 0.005:
            parts.append(f"parse process {self.children:.2f} s")
        parts.append(f"Dovecot {self.dovecot:.2f} s")
        if self._postgres_pid is not None:
            parts.append(f"PostgreSQL {self.postgres:.2f} s")
        return (
            f"{label:<34}{rate:8.0f} messages/s  ({self.wall:.2f} s wall, load {self.load:.2f}; "
            f"CPU: {', '.join(parts)})"
        )


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def ingest_run(settings: MailSettings, db: Database) -> tuple[int, str]:
    """The real poller, one poll: how many it imported, and what its parse process did."""
    from helpdesk_tui.mail.poller import MailboxPoller

    poller = MailboxPoller(
        db,
        "bench",
        settings.mailboxes["bench"],
        settings,
        IngestConfig.from_options(IntakeOptions(settings, "Benchmark Desk")),
        stop=threading.Event(),
    )
    imported = poller.run_once()
    return imported, poller.parse_worker.summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="an empty database (default: SQLite in a temp dir)")
    where.add_argument(
        "--postgres", action="store_true", help="a temporary PostgreSQL cluster (initdb/pg_ctl)"
    )
    args = parser.parse_args()
    # Loaded before either run is timed, as a running poller has them: both runs measure
    # mail going through, not the first import of the IMAP client or of the writer.
    import helpdesk_tui.mail.poller  # noqa: F401
    from helpdesk_tui.storage import migrate
    from helpdesk_tui.storage.database import Database

    cluster = None
    if args.postgres:
        from tests.pg_cluster import start_cluster

        cluster = start_cluster()
        args.database_url = cluster.create_database("mail_bench")

    workdir = Path(tempfile.mkdtemp(prefix="helpdesk-bench-"))
    server = DovecotServer()
    server.start()
    try:
        account = ImapAccount(server, *server.new_account())
        settings = settings_for(account)
        messages = make_messages(args.messages)
        size = sum(map(len, messages))
        started = time.perf_counter()
        fill(account, messages)
        print(
            f"appended {len(messages)} messages ({size / 1e6:.1f} MB) to Dovecot "
            f"in {time.perf_counter() - started:.1f}s"
        )

        dovecot = server._process.pid if server._process else None
        settle(dovecot)
        with Timed(dovecot) as base:
            parsed = baseline(settings)

        db = Database(args.database_url or f"sqlite:///{workdir / 'bench.db'}")
        migrate.upgrade(db)
        settle(dovecot)
        with Timed(dovecot, postgres_pid(db)) as run:
            imported, worker = ingest_run(settings, db)
        db.dispose()
        assert parsed == imported == len(messages), (parsed, imported)
        assert account.list_uids("INBOX") == []

        engine = "PostgreSQL" if (args.database_url or "").startswith("postgres") else "SQLite"
        goal = 0.7 if engine == "PostgreSQL" else 0.9
        print(base.line("baseline (fetch + parse):", parsed, "baseline"))
        print(run.line(f"ingest ({engine}, commit + move):", imported, "poller"))
        print(f"parse process: {worker}")
        print(
            f"ratio ingest / baseline:          {base.wall / run.wall:8.2f}   (goal >= {goal}); "
            f"by CPU: longest process {base.longest / run.longest:.2f}, "
            f"on two cores {base.two_cores / run.two_cores:.2f}"
        )
    finally:
        server.close()
        shutil.rmtree(workdir, ignore_errors=True)
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(cluster.root, ignore_errors=True)


if __name__ == "__main__":
    main()
