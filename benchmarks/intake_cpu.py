"""CPU seconds of mail intake itself, in-process: reading (parse, classify, hash) and
deciding + writing, for the same messages as ``mail_ingest.py``, without IMAP.

    python benchmarks/intake_cpu.py [--messages 2000] [--database-url URL]

Wall-clock rates on a shared two-core machine move with everyone else's load; the CPU time
this process spends moves far less, so it compares two versions of intake fairly.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

# The package from PYTHONPATH first (an A/B run puts older code there), this checkout's
# only when nothing else provides it.
sys.path.append(str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mail_ingest import BATCH, DESK, make_messages

from helpdesk_tui.config import IntakeOptions
from helpdesk_tui.mail.ingest import IngestConfig, ingest_batch, read_message
from helpdesk_tui.mail_settings import MailSettings
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temp dir)")
    args = parser.parse_args()
    messages = make_messages(args.messages)
    settings = MailSettings.model_validate(
        {"addresses": [DESK], "message_id_secret": "benchmark-secret-0123456789"}
    )
    config = IngestConfig.from_options(IntakeOptions(settings, "Benchmark Desk"))
    with tempfile.TemporaryDirectory() as folder:
        db = Database(args.database_url or f"sqlite:///{folder}/intake.db")
        migrate.upgrade(db)
        started = time.process_time()
        items = [read_message(raw, None, config) for raw in messages]
        read_cpu = time.process_time() - started
        started, wall = time.process_time(), time.perf_counter()
        for start in range(0, len(items), BATCH):
            with db.write(bulk=True) as session:  # as the poller writes
                ingest_batch(session, items[start : start + BATCH], config)
        write_cpu, wall = time.process_time() - started, time.perf_counter() - wall
        db.dispose()
    print(f"{db.engine.dialect.name}, {len(messages)} messages in batches of {BATCH}")
    print(f"read (parse, classify, hash):   {read_cpu:6.2f} s CPU")
    print(f"decide and write, commit:       {write_cpu:6.2f} s CPU  ({wall:.2f} s wall)")


if __name__ == "__main__":
    main()
