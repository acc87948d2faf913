"""Mail ingest rate against a real Dovecot, beside a fetch-and-parse-only baseline.

    python benchmarks/mail_ingest.py [--messages 2000] [--database-url URL]

Both runs read the same messages from the same Dovecot over loopback in batches of the
poller's size. The baseline only fetches (BODY.PEEK[]) and parses; the ingest run is the
real poller: fetch, parse, classify, thread, store (tickets, contacts, raw, attachments,
acknowledgements in the outbox), commit, then flag \\Seen and move each batch. The goal is
an ingest rate at least half the baseline's.
"""

from __future__ import annotations

import argparse
import base64
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faker import Faker

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


def ingest_run(settings: MailSettings, db: Database) -> int:
    poller = MailboxPoller(
        db,
        "bench",
        settings.mailboxes["bench"],
        settings,
        IngestConfig.from_settings(settings, "Benchmark Desk"),
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

        started = time.perf_counter()
        parsed = baseline(settings)
        base_seconds = time.perf_counter() - started

        db = Database(args.database_url or f"sqlite:///{workdir / 'bench.db'}")
        migrate.upgrade(db)
        started = time.perf_counter()
        imported = ingest_run(settings, db)
        ingest_seconds = time.perf_counter() - started
        db.dispose()
        assert parsed == imported == len(messages), (parsed, imported)
        assert account.list_uids("INBOX") == []

        base_rate = parsed / base_seconds
        ingest_rate = imported / ingest_seconds
        engine = "PostgreSQL" if (args.database_url or "").startswith("postgres") else "SQLite"
        print(
            f"baseline (fetch + parse):         {base_rate:8.0f} messages/s  ({base_seconds:.2f}s)"
        )
        label = f"ingest ({engine}, commit + move):"
        print(f"{label:<34}{ingest_rate:8.0f} messages/s  ({ingest_seconds:.2f}s)")
        print(f"ratio ingest / baseline:          {ingest_rate / base_rate:8.2f}   (goal >= 0.5)")
    finally:
        server.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
