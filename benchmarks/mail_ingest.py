"""Mail ingest rate against a real Dovecot, beside a fetch-and-parse-only baseline.

    python benchmarks/mail_ingest.py [--messages 2000] [--database-url URL]

Both runs read the same messages from the same Dovecot over loopback in batches of the
poller's size. The baseline only fetches (BODY.PEEK[]) and parses; the ingest run is the
real poller: fetch, parse, classify, thread, store (tickets, contacts, raw, attachments,
acknowledgements in the outbox), commit, then flag \\Seen and move each batch. Goal (issue
9): an ingest rate at least 0.9 of the baseline's on SQLite, 0.7 on PostgreSQL.

Each run prints its wall time, the CPU time of this process and of any processes it waited
for, and the load average before it: on a shared machine the
wall times move with everyone else's work.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faker import Faker

from helpdesk_tui.config import IntakeOptions
from helpdesk_tui.mail.ingest import IngestConfig
from helpdesk_tui.mail.parse import parse_message
from helpdesk_tui.mail.poller import MailboxPoller, connect
from helpdesk_tui.mail_settings import MailSettings
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database
from tests.mail.servers import DovecotServer, ImapAccount

DESK = "support@desk.example"
BATCH = 50


def make_messages(count: int, seed: int = 7) -> list[bytes]:
    """Realistic-ish mail: a few hundred customers, follow-ups by header, some attachments."""
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


class Timed:
    """Wall and CPU seconds (this process, and children it waited for) of a ``with`` block."""

    def __enter__(self) -> Timed:
        self.load = os.getloadavg()[0]
        self.wall = time.perf_counter()
        self.own, self.children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.own = _cpu(resource.RUSAGE_SELF) - self.own
        self.children = _cpu(resource.RUSAGE_CHILDREN) - self.children

    @property
    def cpu(self) -> float:
        return self.own + self.children

    def line(self, label: str, count: int) -> str:
        rate = count / self.wall
        return (
            f"{label:<34}{rate:8.0f} messages/s  ({self.wall:.2f} s wall, "
            f"{self.own:.2f} s CPU + {self.children:.2f} s in child processes, "
            f"load {self.load:.2f})"
        )


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def ingest_run(settings: MailSettings, db: Database) -> int:
    poller = MailboxPoller(
        db,
        "bench",
        settings.mailboxes["bench"],
        settings,
        IngestConfig.from_options(IntakeOptions(settings, "Benchmark Desk")),
        stop=threading.Event(),
    )
    return poller.run_once()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temp dir)")
    args = parser.parse_args()

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

        with Timed() as base:
            parsed = baseline(settings)

        db = Database(args.database_url or f"sqlite:///{workdir / 'bench.db'}")
        migrate.upgrade(db)
        with Timed() as run:
            imported = ingest_run(settings, db)
        db.dispose()
        assert parsed == imported == len(messages), (parsed, imported)
        assert account.list_uids("INBOX") == []

        engine = "PostgreSQL" if (args.database_url or "").startswith("postgres") else "SQLite"
        goal = 0.7 if engine == "PostgreSQL" else 0.9
        print(base.line("baseline (fetch + parse):", parsed))
        print(run.line(f"ingest ({engine}, commit + move):", imported))
        print(
            f"ratio ingest / baseline:          {base.wall / run.wall:8.2f}   (goal >= {goal}); "
            f"by CPU: total {base.cpu / run.cpu:.2f}, "
            f"longest process {base.cpu / max(run.own, run.children):.2f}"
        )
    finally:
        server.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
